import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineEndpoint, LogLine, Resource, StackPatch } from '../../shared/contract/domain';
import { PilothouseError } from '../../shared/contract/envelope';
import { AuditLog, actorName } from '../audit/audit-log';
import { LogBuffer } from '../logs/buffer';
import type { RawLine } from '../logs/lines';
import type { ContainerView } from '../planes/docker/container';
import { discoverDocker, DockerConfigError, type DockerCandidate } from '../planes/docker/discover';
import { DockerPlane } from '../planes/docker/plane';
import { containerResource, resourceId, type UpdateState } from '../planes/docker/resources';
import type { Handlers, StreamSink } from './dispatch';
import { nextBackoff } from './backoff';

export const VERSION = '0.1.0';
/** Per followed stream: enough for a long incident, bounded so a chatty container cannot eat the laptop. */
export const LOG_BUFFER_BYTES = 8 * 1024 * 1024;

export interface EngineOptions {
  dataDir: string;
  env?: Record<string, string | undefined>;
  home?: string;
  now?: () => number;
}

export function defaultDataDir(env = process.env): string {
  if (env.PILOTHOUSE_DATA_DIR) return env.PILOTHOUSE_DATA_DIR;
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'pilothouse');
}

/**
 * The engine: owns the planes, keeps the model (resources and their health), and answers the contract.
 * It runs in Electron's utility process, behind the web host, and in the CLI alike.
 */
export class Engine {
  readonly audit: AuditLog;
  private docker?: DockerPlane;
  private configError?: EngineEndpoint;
  private resources = new Map<string, Resource>();
  private containerOf = new Map<string, string>();     // resource id → container id
  private updates = new Map<string, UpdateState>();    // resource id → action under way / failed
  private watchers = new Set<(p: StackPatch) => void>();
  private containerListeners = new Set<(c: ContainerView) => void>();
  private endpointListeners = new Set<(e: EngineEndpoint) => void>();
  private readonly now: () => number;

  constructor(readonly opts: EngineOptions) {
    this.now = opts.now ?? Date.now;
    this.audit = new AuditLog(path.join(opts.dataDir, 'audit.jsonl'));
  }

  /** Starts every plane; resolves once each has made its first attempt (listed, or said why not). */
  async start(): Promise<void> {
    const env = this.opts.env ?? process.env;
    let cand: DockerCandidate;
    try {
      cand = discoverDocker({
        env,
        home: this.opts.home ?? os.homedir(),
        readFile: (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
        exists: (p) => fs.existsSync(p),
      }).chosen;
    } catch (e) {
      if (!(e instanceof DockerConfigError)) throw e;
      this.configError = { plane: 'docker', target: '(none)', source: e.file, state: 'unavailable', message: e.message, hint: 'Fix or remove that file, or set DOCKER_HOST.' };
      this.broadcast({ kind: 'patch', upsert: [], remove: [], endpoints: this.endpoints() });
      return;
    }
    this.docker = new DockerPlane(cand, {
      change: (upsert, removed) => this.applyContainers(upsert, removed),
      endpoint: () => this.onEndpoint(),
    });
    await this.docker.start();
  }

  stop(): void { this.docker?.stop(); }
  suspend(): void { this.docker?.suspend(); }
  resume(): void { this.docker?.resume(); }

  endpoints(): EngineEndpoint[] {
    return [...(this.configError ? [this.configError] : []), ...(this.docker ? [this.docker.endpoint] : [])];
  }
  /** True when a configuration file is wrong (not merely a server being away). */
  hasConfigError(): boolean { return !!this.configError; }
  list(): Resource[] { return [...this.resources.values()].sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name)); }

  /** Finds a resource by id, `group/name`, or a unique name; the error lists close matches. */
  find(ref: string): Resource {
    const byId = this.resources.get(ref) ?? this.resources.get(`docker/${ref}`);
    if (byId) return byId;
    const all = this.list();
    const named = all.filter((r) => r.name === ref);
    if (named.length === 1) return named[0];
    if (named.length > 1) throw new PilothouseError('conflict', `'${ref}' names ${named.length} resources: ${named.map((r) => `${r.group}/${r.name}`).join(', ')}; say which as group/name`);
    const near = all.filter((r) => r.name.includes(ref) || ref.includes(r.name)).slice(0, 5).map((r) => `${r.group}/${r.name}`);
    throw new PilothouseError('not-found', `no resource named '${ref}'${near.length ? `; did you mean ${near.join(', ')}?` : ''}`);
  }

  private onEndpoint(): void {
    // While the engine is unreachable, keep resources but mark them unknown rather than letting them look fine.
    const reachable = this.docker?.endpoint.state === 'connected';
    const upsert: Resource[] = [];
    if (this.docker) for (const c of this.docker.list()) {
      const r = containerResource(c, this.now(), this.updates.get(resourceId(c)), reachable);
      this.resources.set(r.id, r);
      upsert.push(r);
    }
    this.broadcast({ kind: 'patch', upsert, remove: [], endpoints: this.endpoints() });
    this.endpointListeners.forEach((f) => f(this.docker!.endpoint));
  }

  private applyContainers(upsert: ContainerView[], removedIds: string[]): void {
    const reachable = this.docker?.endpoint.state === 'connected';
    const changed: Resource[] = [];
    const removed: string[] = [];
    for (const id of removedIds) {
      for (const [rid, cid] of this.containerOf) if (cid === id) { this.containerOf.delete(rid); this.resources.delete(rid); removed.push(rid); }
    }
    for (const c of upsert) {
      const r = containerResource(c, this.now(), this.updates.get(resourceId(c)), reachable);
      this.containerOf.set(r.id, c.id);
      this.resources.set(r.id, r);
      changed.push(r);
      this.containerListeners.forEach((f) => f(c));
    }
    this.broadcast({ kind: 'patch', upsert: changed, remove: removed });
  }

  private broadcast(p: StackPatch): void { this.watchers.forEach((w) => w(p)); }

  private containerFor(r: Resource): string {
    const id = this.containerOf.get(r.id);
    if (!id || !this.docker) throw new PilothouseError('not-found', `${r.group}/${r.name} has no container any more`);
    return id;
  }

  async action(ref: string, action: 'start' | 'stop' | 'restart'): Promise<{ resource: Resource; audit: string }> {
    const r = this.find(ref);
    const cid = this.containerFor(r);
    const target = `${r.group}/${r.name} (container ${cid.slice(0, 12)}) on ${this.docker!.endpoint.target}`;
    this.setUpdate(r.id, cid, { status: 'in_progress', reason: `${action} in progress` });
    try {
      await this.docker!.act(cid, action);
      this.updates.delete(r.id);
    } catch (e) {
      const msg = (e as Error).message;
      this.setUpdate(r.id, cid, { status: 'error', reason: `${action} failed: ${msg}` });
      await this.audit.append({ ts: new Date().toISOString(), actor: actorName(), action: `docker.${action}`, target, outcome: 'failed', detail: msg });
      throw e;
    }
    const line = await this.audit.append({ ts: new Date().toISOString(), actor: actorName(), action: `docker.${action}`, target, outcome: 'ok' });
    // refresh() feeds the model, so the store holds the container's state after the action.
    await this.docker!.refresh(cid);
    return { resource: this.resources.get(r.id) ?? r, audit: line };
  }

  private setUpdate(rid: string, cid: string, u: UpdateState): void {
    this.updates.set(rid, u);
    const c = this.docker?.get(cid);
    if (c) this.applyContainers([c], []);
  }

  /**
   * Follows a resource's log through container stops and engine restarts: when the stream ends it says
   * why in the log itself, waits for the container to run again, and resumes from the last timestamp.
   */
  followLogs(ref: string, tail: number, sink: StreamSink<LogLine>): () => void {
    const r = this.find(ref);
    let cid = this.containerFor(r);
    const buf = new LogBuffer(LOG_BUFFER_BYTES);
    let lastTs: string | undefined;
    let lastText: string | undefined;
    let dispose: (() => void) | undefined;
    let closed = false;
    let opening = false;
    let attempt = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const emit = (raw: RawLine) => {
      // After a resume, `since` repeats the boundary second; drop what was already delivered.
      if (lastTs && raw.ts && !raw.cont && (raw.ts < lastTs || (raw.ts === lastTs && raw.text === lastText))) return;
      if (raw.ts) { lastTs = raw.ts; lastText = raw.text; }
      sink.push(buf.push(raw));
    };
    const system = (text: string) => sink.push(buf.push({ stream: 'system', text, ts: new Date(this.now()).toISOString() }));
    const open = async (first: boolean) => {
      if (closed || opening) return;
      opening = true;
      try {
        const since = lastTs ? String(Date.parse(lastTs) / 1000) : undefined;
        dispose = await this.docker!.logs(cid, { follow: true, tail: first ? tail : undefined, since }, emit, (err) => {
          dispose = undefined;
          if (closed) return;
          const c = this.docker?.get(cid);
          const why = err ? `log stream broke: ${err.message}` : this.docker?.endpoint.state !== 'connected' ? 'Docker engine went away' : c && c.state.status !== 'running' ? `container ${c.state.status}${c.state.status === 'exited' ? ` with code ${c.state.exitCode}` : ''}` : 'log stream ended';
          system(`— ${why}; waiting to resume —`);
          schedule();
        });
        if (!first) system('— log stream resumed —');
        attempt = 0;
      } catch (e) {
        if (first && !lastTs) throw e;
        schedule();
      } finally {
        opening = false;
      }
    };
    const schedule = () => {
      if (closed || retry) return;
      retry = setTimeout(() => { retry = undefined; if (canOpen()) void open(false); else schedule(); }, nextBackoff(attempt++, { baseMs: 250, maxMs: 5_000 }));
    };
    const canOpen = () => {
      if (this.docker?.endpoint.state !== 'connected') return false;
      const again = this.containerOf.get(r.id);
      if (again) cid = again;       // the service may come back as a new container (compose up)
      return this.docker.get(cid)?.state.status === 'running';
    };
    const onContainer = (c: ContainerView) => { if (!dispose && !opening && resourceId(c) === r.id && c.state.status === 'running') { cid = c.id; void open(false); } };
    this.containerListeners.add(onContainer);
    open(true).catch((e) => sink.end(e instanceof PilothouseError ? e : new PilothouseError('unavailable', (e as Error).message)));
    return () => {
      closed = true;
      this.containerListeners.delete(onContainer);
      if (retry) clearTimeout(retry);
      dispose?.();
    };
  }

  async tailLogs(ref: string, tail: number): Promise<LogLine[]> {
    const r = this.find(ref);
    const cid = this.containerFor(r);
    const buf = new LogBuffer(LOG_BUFFER_BYTES);
    await new Promise<void>((resolve, reject) => {
      this.docker!.logs(cid, { follow: false, tail }, (l) => buf.push(l), (e) => (e ? reject(e) : resolve())).catch(reject);
    });
    return buf.tail(tail);
  }

  handlers(): Handlers {
    return {
      requests: {
        'engine:info': async () => ({ version: VERSION, dataDir: this.opts.dataDir, endpoints: this.endpoints() }),
        'stack:overview': async () => ({ resources: this.list(), endpoints: this.endpoints() }),
        'logs:tail': async ({ resource, tail }) => ({ lines: await this.tailLogs(resource, tail) }),
        'resource:action': async ({ resource, action }) => this.action(resource, action),
        'engine:power': async ({ state }) => { if (state === 'suspend') this.suspend(); else this.resume(); return {}; },
      },
      streams: {
        'stack:watch': (_input, sink) => {
          sink.push({ kind: 'snapshot', resources: this.list(), endpoints: this.endpoints() });
          const w = (p: StackPatch) => sink.push(p);
          this.watchers.add(w);
          return () => this.watchers.delete(w);
        },
        'logs:follow': ({ resource, tail }, sink) => this.followLogs(resource, tail, sink),
      },
    };
  }
}
