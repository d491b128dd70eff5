import * as fs from 'node:fs';
import type { PlaneEndpoint, Resource } from '../../../shared/contract/domain';
import type { ActionDef } from '../../actions/action';
import type { LogSource } from '../../logs/source';
import type { TerminalRequest, TerminalSession } from '../../terminals/session';
import type { ModelObject } from '../../model/object';
import { objectKey } from '../../model/object';
import type { Plane, PlaneEnv, PlaneFactory, PlaneSink } from '../plane';
import { composeAction } from '../compose/actions';
import { ComposeDetector, localHost, sshHost, type CommandHost } from '../compose/host';
import { COMPOSE_CONFIG, composeConfigObject } from '../compose/project';
import { containerAction } from './actions';
import { discoverDocker, type DiscoverDeps, type DockerCandidate } from './discover';
import { EngineConnection } from './engine-connection';
import { containerLogSource } from './logs';
import { containerTerminal } from './exec';
import { openRemote, remoteCandidates } from './remote';
import { dockerRules, primaryContainer, statsObject } from './rules';

/**
 * How long start() waits for the engines' first answers. A local socket answers in milliseconds; a
 * remote engine behind a dead VPN can hang for minutes, and must not hold up `status` or the page:
 * it stays "connecting" and shows up when it answers.
 */
export const FIRST_ATTEMPT_MS = 5_000;

export function nodeDiscoverDeps(env: PlaneEnv): DiscoverDeps {
  return {
    env: env.env,
    home: env.home,
    readFile: (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
    exists: (p) => fs.existsSync(p),
    listDir: (p) => { try { return fs.readdirSync(p); } catch { return []; } },
    realpath: (p) => fs.realpathSync(p),
  };
}

function problemEndpoint(c: DockerCandidate): PlaneEndpoint {
  return {
    id: `docker/${c.name}`, plane: 'docker', name: c.name, target: c.target, source: c.source,
    state: 'unavailable', message: c.error!.message, hint: c.error!.hint, configError: true,
  };
}

/**
 * Every Docker engine the user has, side by side: one connection per endpoint, found again on wake so
 * a context added or removed meanwhile shows up or goes.
 */
export class DockerPlane implements Plane {
  readonly name = 'docker' as const;
  readonly rules = dockerRules;
  private sink?: PlaneSink;
  private readonly conns = new Map<string, EngineConnection>();
  private readonly problems = new Map<string, PlaneEndpoint>();
  /** Where each engine's compose commands run: this machine, or the SSH host the engine is on. */
  private readonly hosts = new Map<string, { host: CommandHost; remote: boolean; off?: () => void; close?: () => void }>();
  private readonly detector = new ComposeDetector();
  /** Container stats streams, one per watched resource, shared by whoever looks at it. */
  private readonly stats = new Map<string, { count: number; stop: () => void }>();
  private stopped = false;

  constructor(private readonly env: PlaneEnv, private readonly deps: DiscoverDeps = nodeDiscoverDeps(env)) {}

  async start(sink: PlaneSink): Promise<void> {
    this.sink = sink;
    await this.sync();
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.stats.values()) s.stop();
    this.stats.clear();
    for (const c of this.conns.values()) c.stop();
    for (const h of this.hosts.values()) { h.off?.(); h.close?.(); }
  }

  suspend(): void { for (const c of this.conns.values()) c.suspend(); }

  resume(): void {
    if (this.stopped || !this.sink) return;
    void this.sync();
    for (const c of this.conns.values()) c.resume();
  }

  endpoints(): PlaneEndpoint[] {
    return [...[...this.conns.values()].map((c) => c.endpoint), ...this.problems.values()];
  }

  action(resource: Resource, actionId: string, objects: readonly ModelObject[]): ActionDef | undefined {
    const conn = this.conns.get(resource.endpoint);
    if (!conn) return undefined;
    if (resource.kind === 'compose-project') {
      const h = this.hostOf(conn);
      return composeAction({
        endpoint: conn.id, host: h.host, remote: h.remote, dockerHost: h.remote ? undefined : conn.target, detector: this.detector,
        containers: (p) => conn.projectContainers(p), onChange: (fn) => conn.onChange(fn), home: this.env.home,
        unreachable: () => (conn.connected ? undefined : conn.endpoint.message ?? conn.endpoint.state),
        stepTimeoutMs: stepTimeout(this.env.env.PILOTHOUSE_COMPOSE_STEP_TIMEOUT),
      }, resource, actionId, objects);
    }
    return containerAction(conn, resource, actionId, objects);
  }

  /**
   * Someone looks at this resource in detail: its container's stats stream runs, one per resource
   * however many look, and stops (its sample leaves the model) when the last one looks away.
   */
  watch(resource: Resource): () => void {
    if (resource.kind === 'compose-project') {
      // The operator is looking at a project: ask its host for the compose CLI now, so that the preview
      // of an action shows the exact command rather than both candidates.
      const conn = this.conns.get(resource.endpoint);
      if (conn) void this.detector.detect(this.hostOf(conn).host).catch(() => undefined);
      return () => {};
    }
    if (resource.kind !== 'compose-service' && resource.kind !== 'container') return () => {};
    const rid = resource.id;
    const had = this.stats.get(rid);
    if (had) { had.count++; return () => this.unwatch(rid); }
    const entry = { count: 1, stop: () => {} };
    this.stats.set(rid, entry);
    let closed = false;
    let streaming = false;
    let stopStream: (() => void) | undefined;
    let key: string | undefined;
    const conn = this.conns.get(resource.endpoint);
    const open = () => {
      const sink = this.sink!;
      const o = primaryContainer(sink.objectsOf(rid));
      if (closed || streaming || !o || !conn || o.data.state.status !== 'running') return;
      streaming = true;
      key = objectKey(statsObject(conn.id, rid, o.data, { read: '' }));
      const ended = () => {
        streaming = false;
        stopStream = undefined;
        if (key) sink.remove(key);
      };
      void conn.stats(o.data.id, (s) => { if (!closed) sink.upsert(statsObject(conn.id, rid, o.data, s)); }, ended)
        .then((stop) => { if (closed) stop(); else stopStream = stop; }, ended);
    };
    // The container stopped, started or was replaced (the engine's events): follow the one the resource
    // stands for now. `open` does nothing while a stream runs.
    const off = conn?.onChange(open);
    entry.stop = () => {
      closed = true;
      off?.();
      stopStream?.();
      if (key) this.sink?.remove(key);
    };
    open();
    return () => this.unwatch(rid);
  }

  private unwatch(rid: string): void {
    const e = this.stats.get(rid);
    if (!e || --e.count > 0) return;
    this.stats.delete(rid);
    e.stop();
  }

  private hostOf(conn: EngineConnection): { host: CommandHost; remote: boolean } {
    // Every local engine shares this machine's compose CLI (asked once); each gets its own DOCKER_HOST.
    return this.hosts.get(conn.id) ?? (this.local ??= { host: localHost(this.env.env), remote: false });
  }
  private local?: { host: CommandHost; remote: boolean };

  logSource(resource: Resource, objects: readonly ModelObject[]): LogSource | undefined {
    const conn = this.conns.get(resource.endpoint);
    return conn && containerLogSource(conn, objects);
  }

  terminal(resource: Resource, objects: readonly ModelObject[], req: TerminalRequest): Promise<TerminalSession> | undefined {
    const conn = this.conns.get(resource.endpoint);
    return conn && containerTerminal(conn, objects, req);
  }

  /** hosts.yaml's hosts (read by the SSH plane's settings module); none when there is no such file. */
  private async hostSettings() {
    const { loadHostSettings } = await import('../ssh/settings');
    return loadHostSettings(this.env).hosts;
  }

  /** An engine on an SSH host: its API over the host's shared connection; retried at once when SSH is back. */
  private async startRemote(r: ReturnType<typeof remoteCandidates>[number], sink: PlaneSink): Promise<void> {
    const id = `docker/${r.candidate.name}`;
    const { conn: ssh, transport } = await openRemote(this.env, r.alias);
    if (this.stopped || this.conns.has(id)) return;
    const conn = new EngineConnection(r.candidate, sink, this.env.now, transport);
    this.conns.set(id, conn);
    const off = ssh.subscribe((s) => { if (s.state === 'connected') conn.retryNow(); });
    this.hosts.set(id, { host: sshHost(r.alias, ssh), remote: true, off, close: () => ssh.close() });
    await conn.start();
  }

  /** Discovers the engines and makes the connections match: new ones connect, gone ones are dropped. */
  private async sync(): Promise<void> {
    if (this.stopped) return;
    const sink = this.sink!;
    const found = discoverDocker(this.deps);
    const remotes = remoteCandidates(await this.hostSettings(), new Set(found.map((c) => c.name)));
    const ids = new Set([...found, ...remotes.map((r) => r.candidate)].map((c) => `docker/${c.name}`));
    const drop = (id: string) => {
      this.conns.get(id)?.stop();
      this.conns.delete(id);
      this.problems.delete(id);
      const h = this.hosts.get(id);
      h?.off?.();
      this.hosts.delete(id);
      sink.dropEndpoint(id);
    };
    for (const id of [...this.conns.keys(), ...this.problems.keys()]) if (!ids.has(id)) drop(id);
    const firsts: Array<Promise<void>> = [];
    for (const c of found) {
      const id = `docker/${c.name}`;
      if (c.error) {
        if (this.conns.has(id)) drop(id);
        const ep = problemEndpoint(c);
        this.problems.set(id, ep);
        sink.endpoint(ep);
        continue;
      }
      this.problems.delete(id);
      const had = this.conns.get(id);
      if (had?.target === c.target) continue;
      // A context now pointing elsewhere: what the old engine held is not on the new one.
      if (had) drop(id);
      const conn = new EngineConnection(c, sink, this.env.now);
      this.conns.set(id, conn);
      firsts.push(conn.start());
    }
    for (const r of remotes) {
      const id = `docker/${r.candidate.name}`;
      if (!this.conns.has(id)) firsts.push(this.startRemote(r, sink));
      // hosts.yaml is read again on every sync (start, wake): its projects as written now, a removed one gone.
      sink.reconcile(id, r.host.compose.map((cfg) => composeConfigObject(id, {
        project: cfg.project, host: r.alias, dir: cfg.dir, command: cfg.command, env: cfg.env, envFiles: cfg.envFiles, order: cfg.order, file: r.host.file, line: r.host.line,
      })), [COMPOSE_CONFIG]);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((r) => { timer = setTimeout(r, FIRST_ATTEMPT_MS); timer.unref?.(); });
    await Promise.race([Promise.all(firsts), deadline]);
    clearTimeout(timer);
  }
}

/** Timeout per step of the ordered start, in seconds (PILOTHOUSE_COMPOSE_STEP_TIMEOUT); default 120 s. */
function stepTimeout(v: string | undefined): number | undefined {
  const n = Number(v);
  return v && Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
}

export const dockerPlaneFactory: PlaneFactory = {
  name: 'docker',
  create: (env) => new DockerPlane(env),
};
