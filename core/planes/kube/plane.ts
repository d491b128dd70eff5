import * as fs from 'node:fs';
import type { PlaneEndpoint, Resource } from '../../../shared/contract/domain';
import type { ActionDef } from '../../actions/action';
import type { ModelObject, PlaneRules } from '../../model/object';
import type { Plane, PlaneEnv, PlaneSink } from '../plane';
import type { TerminalRequest, TerminalSession } from '../../terminals/session';
import type { KubeTransport } from './client';
import { KubeAccess } from './access';
import { LeanKubeConfig } from './auth-options';
import { kubeAction } from './actions';
import { ConfigWatch } from './config-watch';
import { ContextConnection } from './context-connection';
import { ExecCredentials, nodePluginRun, type ExecCredentialDeps } from './exec-credential';
import { kubeTerminal } from './exec';
import { PortForwards } from './port-forward';
import type { KindInfo } from './kinds';
import { kubeconfigPaths, loadKubeconfig, type KubeconfigDeps, type KubeContext, type MergedKubeconfig } from './kubeconfig';
import { loginShellPath } from './login-shell';
import { kubeLogSource, type KubeLogContext } from './logs';
import type { LogOptions, MergedLogSource } from '../../logs/merge';
import { kubeRules } from './rules';
import { KubeUsage } from './metrics';

/** How long start() waits for the contexts' first lists (an unreachable one keeps trying meanwhile). */
export const FIRST_ATTEMPT_MS = 5_000;

const readIfThere = (p: string): string | undefined => {
  try { return fs.readFileSync(p, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
};

/**
 * The disk, and the contexts' auth applied without client-node (auth-options.ts): it loads only for a
 * context with an auth-provider or a proxy-url, on that context's first request.
 */
export async function nodeKubeconfigDeps(): Promise<KubeconfigDeps> {
  return { readFile: readIfThere, exists: (p) => fs.existsSync(p), KubeConfig: LeanKubeConfig };
}

export interface KubePlaneOptions {
  rules?: PlaneRules;
  config?: KubeconfigDeps;
  plugins?: Partial<ExecCredentialDeps>;
  kinds?: readonly KindInfo[];
  /** Tests: a transport per context instead of the real one. */
  transport?: (ctx: KubeContext) => KubeTransport;
  /** Watch the kubeconfig files for changes (off in unit tests that reload by hand). */
  watchConfig?: boolean;
  backoff?: { baseMs: number; maxMs: number };
}

/** PILOTHOUSE_KUBE_CONTEXTS=a,b limits the plane to those contexts; unset: every context, all live. */
export function selectedContexts(env: Record<string, string | undefined>): Set<string> | undefined {
  const v = env.PILOTHOUSE_KUBE_CONTEXTS?.trim();
  return v ? new Set(v.split(',').map((s) => s.trim()).filter(Boolean)) : undefined;
}

/**
 * Every context of the user's kubeconfig, live at once: one endpoint and one set of watches per
 * context, each failing on its own. The files are watched; a context added, changed or removed is
 * connected, re-connected or dropped without a restart.
 */
export class KubePlane implements Plane {
  readonly name = 'kube' as const;
  readonly rules: PlaneRules;
  private sink?: PlaneSink;
  private readonly conns = new Map<string, ContextConnection>();
  private readonly problems = new Map<string, PlaneEndpoint>();
  private readonly creds: ExecCredentials;
  private readonly watcher?: ConfigWatch;
  /** The port-forwards this engine holds open (port-forward.ts). */
  readonly forwards = new PortForwards({
    sink: () => this.sink,
    context: (ep) => { const c = this.conns.get(ep); return c && { server: c.ctx.server ?? '', transport: c.transport }; },
    now: () => this.env.now(),
  });
  private stopped = false;
  private suspended = false;
  private merged?: MergedKubeconfig;
  /** SelfSubjectAccessReviews per context, asked again after a reconnect (access.ts). */
  private readonly access = new KubeAccess();
  /** CPU and memory from metrics.k8s.io for the resources someone looks at (metrics.ts). */
  private readonly usage = new KubeUsage();

  constructor(private readonly env: PlaneEnv, private readonly opts: KubePlaneOptions = {}) {
    this.rules = opts.rules ?? kubeRules;
    this.creds = new ExecCredentials({
      run: opts.plugins?.run ?? nodePluginRun,
      env: opts.plugins?.env ?? (async () => ({ ...env.env, PATH: await loginShellPath(env.env) })),
      now: opts.plugins?.now ?? env.now,
    });
    if (opts.watchConfig !== false) this.watcher = new ConfigWatch(() => { if (!this.suspended) void this.sync(); });
  }

  async start(sink: PlaneSink): Promise<void> {
    this.sink = sink;
    await this.sync();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.forwards.stopAll();
    this.usage.stop();
    for (const c of this.conns.values()) c.stop();
  }

  suspend(): void {
    this.suspended = true;
    for (const c of this.conns.values()) c.suspend();
    this.forwards.suspend();
    this.usage.suspend();
  }

  resume(): void {
    if (this.stopped || !this.sink) return;
    this.suspended = false;
    this.access.reset();
    this.usage.resume();
    for (const c of this.conns.values()) c.resume();
    this.forwards.resume();
    // The files may have changed while asleep (a VPN client rewrote them): pick that up too.
    void this.sync();
  }

  endpoints(): PlaneEndpoint[] {
    return [...[...this.conns.values()].map((c) => c.endpoint), ...this.problems.values()];
  }

  /** The connection of a context (actions, logs and port-forwards of the other parts use it). */
  connection(endpointId: string): ContextConnection | undefined { return this.conns.get(endpointId); }

  /** An exec into the resource's pod (core/planes/kube/exec.ts). */
  terminal(resource: Resource, objects: readonly ModelObject[], request: TerminalRequest): Promise<TerminalSession> | undefined {
    const c = this.conns.get(resource.endpoint);
    const conn = c && { endpoint: c.id, server: c.ctx.server ?? '', transport: c.transport };
    return kubeTerminal(conn, resource, objects, request);
  }

  action(resource: Resource, actionId: string, objects: readonly ModelObject[]): ActionDef | undefined {
    const forward = this.forwards.action(resource, actionId);
    if (forward) return forward;
    const conn = this.conns.get(resource.endpoint);
    return conn ? kubeAction(resource, actionId, objects, conn, this.access) : undefined;
  }

  /**
   * Someone looks at a resource: its actions' access reviews (and a secret's key names) come into the
   * model, and a pod's, workload's or node's CPU and memory while the look lasts.
   */
  watch(resource: Resource): () => void {
    const conn = this.conns.get(resource.endpoint);
    if (!conn || !this.sink) return () => {};
    const releaseAccess = this.access.look(resource, conn, this.sink);
    const releaseUsage = this.usage.look(resource, conn, this.sink);
    return () => { releaseAccess(); releaseUsage(); };
  }

  /** Reads the kubeconfig files again and makes the connections match them. */
  async sync(): Promise<void> {
    if (this.stopped || !this.sink) return;
    const sink = this.sink;
    const { files, source } = kubeconfigPaths(this.env.env, this.env.home);
    const none = !this.opts.config && !files.some((f) => fs.existsSync(f));
    const merged: MergedKubeconfig = none
      ? { files, source, contexts: [], problems: [] }
      : loadKubeconfig(files, source, this.opts.config ?? (await nodeKubeconfigDeps()));
    if (this.stopped) return;
    this.merged = merged;
    this.watcher?.watch(files);
    const only = selectedContexts(this.env.env);
    const wanted = merged.contexts.filter((c) => !only || only.has(c.name));
    const next = new Map<string, PlaneEndpoint>();
    for (const p of merged.problems) {
      const name = `kubeconfig:${p.file}`;
      next.set(`kube/${name}`, { id: `kube/${name}`, plane: 'kube', name, target: p.file, source, state: 'unavailable', message: p.message, configError: true });
    }
    for (const c of wanted) {
      if (c.error) next.set(c.id, { id: c.id, plane: 'kube', name: c.name, target: c.server ?? '', source: `context ${c.name} in ${c.file} (${source})`, state: 'unavailable', message: c.error, configError: true });
    }
    if (only) {
      for (const name of only) {
        if (merged.contexts.some((c) => c.name === name)) continue;
        const id = `kube/${name}`;
        next.set(id, { id, plane: 'kube', name, target: '', source: 'PILOTHOUSE_KUBE_CONTEXTS', state: 'unavailable', message: `context "${name}" (from PILOTHOUSE_KUBE_CONTEXTS) is not in ${files.join(', ')}`, configError: true });
      }
    }
    const good = new Map(wanted.filter((c) => !c.error).map((c) => [c.id, c]));
    for (const [id, conn] of [...this.conns]) {
      const c = good.get(id);
      if (c && c.fingerprint === conn.fingerprint) continue;
      conn.stop();
      this.conns.delete(id);
      // A context now pointing at another cluster or user (or broken): what it held may not be there.
      sink.dropEndpoint(id);
    }
    for (const id of [...this.problems.keys()]) if (!next.has(id) && !good.has(id)) { this.problems.delete(id); sink.dropEndpoint(id); }
    for (const [id, ep] of next) {
      const old = this.problems.get(id);
      this.problems.set(id, ep);
      if (!old || old.message !== ep.message) sink.endpoint(ep);
    }
    const firsts: Array<Promise<void>> = [];
    for (const [id, c] of good) {
      this.problems.delete(id);
      if (this.conns.has(id)) continue;
      const access = this.access;
      const connSink: PlaneSink = { ...sink, endpoint: (ep) => { access.endpointChanged(ep); sink.endpoint(ep); } };
      const conn = new ContextConnection(c, source, connSink, {
        creds: this.creds, now: this.env.now, kinds: this.opts.kinds, transport: this.opts.transport?.(c), backoff: this.opts.backoff,
      });
      this.conns.set(id, conn);
      firsts.push(conn.start());
      if (this.suspended) conn.suspend();
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((r) => { timer = setTimeout(r, FIRST_ATTEMPT_MS); timer.unref?.(); });
    await Promise.race([Promise.all(firsts), deadline]);
    clearTimeout(timer);
  }

  /** The merged kubeconfig as last read (the CLI's `--context` completion, tests). */
  config(): MergedKubeconfig | undefined { return this.merged; }

  /** A pod-bearing resource's log, one part per pod container (core/planes/kube/logs.ts). */
  logSource(resource: Resource, objects: readonly ModelObject[], options?: LogOptions): MergedLogSource | undefined {
    const c = this.conns.get(resource.endpoint);
    if (!c) return undefined;
    const ctx: KubeLogContext = {
      id: c.id,
      transport: c.transport,
      reachable: () => (c.endpoint.state === 'unavailable' ? { ok: false, why: `API server of ${c.id} unreachable${c.endpoint.message ? `: ${c.endpoint.message}` : ''}` } : { ok: true }),
    };
    return kubeLogSource(ctx, resource, objects, () => this.sink?.objectsOf(resource.id) ?? [], options);
  }
}
