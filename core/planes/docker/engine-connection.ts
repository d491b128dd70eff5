import type { Readable } from 'node:stream';
import type { PlaneEndpoint } from '../../../shared/contract/domain';
import { PilothouseError } from '../../../shared/contract/envelope';
import { nextBackoff } from '../../engine/backoff';
import { FrameReader } from '../../logs/frames';
import { DockerTtyRecords, dockerEntry, type Entry } from '../../logs/partials';
import { objectKey } from '../../model/object';
import type { PlaneSink } from '../plane';
import { DockerApiError, mayHaveHappened, openApi, type DockerApi } from './api';
import { containerFromInspect, type ContainerView } from './container';
import { dockerHint, type DockerCandidate } from './discover';
import { CONTAINER, containerObject } from './rules';

/** Events for one container arriving within this window cost one inspect. */
const COALESCE_MS = 50;
/** A container whose inspect failed is tried again this much later, this many times. */
const INSPECT_RETRY_MS = 1_000;
const MAX_INSPECT_RETRIES = 5;
/**
 * Inspects in flight at once. On a local socket an inspect costs the daemon a fraction of a millisecond
 * and the first list is bound by round trips (measured, 2 cores, 300 containers: 8 in flight ~95-120 ms,
 * 32 in flight ~70-100 ms; at 33 containers it makes no difference). A remote engine gets fewer, so one
 * list does not crowd out everything else on a thin link.
 */
export const INSPECT_CONCURRENCY_LOCAL = 32;
export const INSPECT_CONCURRENCY_REMOTE = 8;
/** Over SSH every call is a channel, and sshd allows 10 per connection (MaxSessions) for everything on the host. */
export const INSPECT_CONCURRENCY_SSH = 4;

/**
 * An engine reached through a transport of ours rather than a socket: the agent that carries its API
 * calls, and what to say when it cannot be reached (the host's own words: "docker ... is not running").
 */
export interface EngineTransport {
  agent: import('node:http').Agent;
  diagnose(err: Error): Promise<{ message: string; hint?: string } | undefined>;
}

/** One sample of a container's resource use, from the engine's stats stream. */
export interface ContainerStats {
  cpuPercent?: number;
  memUsed?: number;
  memLimit?: number;
  read: string;
}

export type DockerAction = 'start' | 'stop' | 'restart';

/** The `t` of stop and restart: seconds the engine waits for the container to stop before it kills it. */
const STOP_TIMEOUT_S = 10;
/** The stop timeout plus a margin for the engine's own work (stopping, starting, a busy daemon). */
export const ACT_TIMEOUT_MS = (STOP_TIMEOUT_S + 20) * 1000;

/**
 * One Docker engine: a full list on connect, then the engine's event stream (never polling). When the
 * engine goes away it says so, retries with capped backoff, and lists again when it is back, so the view
 * is never left stale after a daemon restart or a laptop's sleep. The plane holds one per endpoint.
 */
export class EngineConnection {
  readonly id: string;
  readonly target: string;
  private containers = new Map<string, ContainerView>();
  private api?: Promise<DockerApi>;
  private events?: NodeJS.ReadableStream & { destroy?: () => void };
  private retryTimer?: ReturnType<typeof setTimeout>;
  private flushTimer?: ReturnType<typeof setTimeout>;
  private dirty = new Set<string>();
  /** Per container: inspects in flight, the newest answer applied while some are, failed inspects in a row. */
  private inspectSeq = 0;
  private inflight = new Map<string, number>();
  private newest = new Map<string, number>();
  private retries = new Map<string, number>();
  private attempt = 0;
  private suspended = false;
  private stopped = false;
  private generation = 0;
  private firstAttempt: Promise<void>;
  private resolveFirst!: () => void;
  private readonly concurrency: number;
  private readonly listeners = new Set<() => void>();
  endpoint: PlaneEndpoint;

  constructor(readonly candidate: DockerCandidate, private readonly sink: PlaneSink, private readonly now: () => number = Date.now, private readonly transport?: EngineTransport) {
    const c = candidate;
    this.id = `docker/${c.name}`;
    this.target = c.target;
    this.concurrency = transport ? INSPECT_CONCURRENCY_SSH : c.socketPath ? INSPECT_CONCURRENCY_LOCAL : INSPECT_CONCURRENCY_REMOTE;
    this.endpoint = this.describe('connecting');
    this.firstAttempt = new Promise((r) => { this.resolveFirst = r; });
  }

  /** Connects; resolves once the first attempt has either listed the containers or failed. */
  start(): Promise<void> {
    this.sink.endpoint(this.endpoint);
    void this.connect();
    return this.firstAttempt;
  }
  get connected(): boolean { return this.endpoint.state === 'connected'; }
  get(id: string): ContainerView | undefined { return this.containers.get(id); }
  /** The containers of one compose project on this engine now, as the events keep them. */
  projectContainers(project: string): ContainerView[] {
    const out: ContainerView[] = [];
    for (const c of this.containers.values()) if (c.labels.project === project) out.push(c);
    return out;
  }
  /** Called after every change this connection applies (an event's inspect, a full list); returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  private changed(): void { for (const fn of [...this.listeners]) { try { fn(); } catch { /* a listener's bug is not the engine's */ } } }

  /** The engine may be back (its host's SSH connection came up again): try now instead of at the backoff's time. */
  retryNow(): void {
    if (this.stopped || this.suspended || this.endpoint.state !== 'unavailable') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.attempt = 0;
    void this.connect();
  }

  suspend(): void {
    if (this.stopped) return;
    this.suspended = true;
    this.teardown();
    this.dropApi();
    this.setEndpoint('suspended', 'the computer went to sleep: reconnects on wake');
  }

  resume(): void {
    if (!this.suspended || this.stopped) return;
    this.suspended = false;
    this.attempt = 0;
    this.setEndpoint('connecting');
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.teardown();
    this.dropApi();
    this.resolveFirst();
  }

  private client(): Promise<DockerApi> {
    return (this.api ??= openApi(this.candidate, this.transport?.agent));
  }

  /** Pooled connections to an engine that went away (or a laptop that slept) are dead: start afresh. */
  private dropApi(): void {
    const api = this.api;
    this.api = undefined;
    void api?.then((a) => a.close(), () => undefined);
  }

  private teardown(): void {
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.retryTimer = this.flushTimer = undefined;
    this.dirty.clear();
    this.retries.clear();
    const ev = this.events;
    this.events = undefined;
    ev?.removeAllListeners();
    ev?.on('error', () => {});
    ev?.destroy?.();
  }

  private describe(state: PlaneEndpoint['state'], message?: string, hint?: string, retryAt?: number): PlaneEndpoint {
    const c = this.candidate;
    const ep: PlaneEndpoint = { id: this.id, plane: 'docker', name: c.name, target: c.target, source: c.source, state };
    if (message) ep.message = message;
    if (hint) ep.hint = hint;
    if (retryAt !== undefined) ep.retryAt = retryAt;
    return ep;
  }

  private setEndpoint(state: PlaneEndpoint['state'], message?: string, hint?: string, retryAt?: number): void {
    this.endpoint = this.describe(state, message, hint, retryAt);
    this.sink.endpoint(this.endpoint);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.suspended) return;
    const gen = ++this.generation;
    try {
      // Subscribe before listing, so nothing that happens during the list is missed.
      const api = await this.client();
      const stream = await api.stream('/events', { filters: JSON.stringify({ type: ['container'] }) });
      if (gen !== this.generation) { stream.destroy(); return; }
      this.events = stream;
      this.followEvents(stream, gen);
      const summaries = (await api.request<Array<{ Id: string }>>('GET', '/containers/json', { all: 1 })).body;
      const views = await mapLimit(summaries, this.concurrency, (s) => this.inspect(s.Id));
      if (gen !== this.generation) return;
      this.containers = new Map(views.filter((v): v is ContainerView => !!v).map((v) => [v.id, v]));
      this.attempt = 0;
      // Objects before the state: the model then derives every resource once, already reachable.
      this.sink.reconcile(this.id, [...this.containers.values()].map((v) => containerObject(this.id, v)), [CONTAINER]);
      this.setEndpoint('connected');
      this.changed();
    } catch (e) {
      if (gen !== this.generation) return;
      this.fail(e as NodeJS.ErrnoException);
    } finally {
      this.resolveFirst();
    }
  }

  private fail(e: NodeJS.ErrnoException): void {
    this.teardown();
    this.dropApi();
    const code = e.code ?? (e.message?.includes('ENOENT') ? 'ENOENT' : undefined);
    const status = (e as { statusCode?: number }).statusCode;
    const why = code === 'ENOENT' ? 'socket not found' : code === 'EACCES' ? 'permission denied'
      // Something answered HTTP but not as a Docker engine would (a proxy, another service on that port).
      : status === 404 ? `something answers there, but not the Docker Engine API (${e.message})`
      : e.message || String(e);
    const delay = this.stopped || this.suspended ? undefined : nextBackoff(this.attempt++, { baseMs: 500, maxMs: 15_000 });
    // Containers stay in the model (shown unknown) rather than vanishing while the engine is away.
    this.setEndpoint('unavailable', `Docker engine ${this.id} at ${this.candidate.target} (${this.candidate.source}): ${why}`, dockerHint(this.candidate, code), delay === undefined ? undefined : this.now() + delay);
    if (delay !== undefined) this.retryTimer = setTimeout(() => void this.connect(), delay);
    const gen = this.generation;
    // Over SSH the modem only sees the channel close; the host itself says why (docker stopped, CLI missing).
    void this.transport?.diagnose(e).then((d) => {
      if (!d || gen !== this.generation || this.endpoint.state !== 'unavailable') return;
      this.setEndpoint('unavailable', d.message, d.hint ?? this.endpoint.hint, this.endpoint.retryAt);
    }, () => undefined);
  }

  private followEvents(stream: NodeJS.ReadableStream, gen: number): void {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl).trim();
        partial = partial.slice(nl + 1);
        if (!line) continue;
        try {
          const ev = JSON.parse(line) as { id?: string; Actor?: { ID?: string } };
          const id = ev.Actor?.ID ?? ev.id;
          if (!id) continue;
          this.dirty.add(id);
          this.flushTimer ??= setTimeout(() => void this.flushDirty(gen), COALESCE_MS);
        } catch { /* an event we cannot read is skipped; the next list repairs any gap */ }
      }
    });
    const lost = (err?: Error) => {
      if (gen !== this.generation || this.stopped || this.suspended) return;
      this.fail(Object.assign(err ?? new Error('the event stream ended (engine stopped or restarted)'), { code: (err as NodeJS.ErrnoException)?.code }));
    };
    stream.on('end', () => lost());
    stream.on('close', () => lost());
    stream.on('error', (e: Error) => lost(e));
  }

  private async flushDirty(gen: number): Promise<void> {
    this.flushTimer = undefined;
    const ids = [...this.dirty];
    this.dirty.clear();
    const failed: string[] = [];
    await mapLimit(ids, this.concurrency, async (id) => {
      try { await this.inspectApply(id, gen); } catch { failed.push(id); }
    });
    if (gen !== this.generation || !failed.length) return;
    // An inspect that failed while the event stream lives (a busy engine, a timeout) is tried again: once the
    // event has been read, nothing else would bring that container's change (a destroy has no later event).
    // An engine that went away ends the stream instead, and the reconnect's full list repairs everything.
    for (const id of failed) {
      const n = (this.retries.get(id) ?? 0) + 1;
      if (n > MAX_INSPECT_RETRIES) { this.retries.delete(id); continue; }
      this.retries.set(id, n);
      this.dirty.add(id);
    }
    if (this.dirty.size) this.flushTimer ??= setTimeout(() => void this.flushDirty(gen), INSPECT_RETRY_MS);
  }

  /**
   * Inspects one container and applies the answer unless a newer answer for it has been applied meanwhile.
   * Two inspects of one container can be in flight at once (an event's flush and the next one, an action's
   * refresh) and can answer out of order; an "exited" answering after "gone" kept a removed container on
   * screen for good (seen on a loaded machine).
   */
  private async inspectApply(id: string, gen: number, timeoutMs?: number): Promise<ContainerView | undefined> {
    const mine = ++this.inspectSeq;
    this.inflight.set(id, (this.inflight.get(id) ?? 0) + 1);
    try {
      const v = await this.inspect(id, timeoutMs);
      this.retries.delete(id);
      if (gen === this.generation && mine > (this.newest.get(id) ?? 0)) {
        this.newest.set(id, mine);
        this.apply(id, v);
      }
      return v;
    } finally {
      // Only answers still in flight can be out of order: with none left, nothing about this id is kept.
      const n = (this.inflight.get(id) ?? 1) - 1;
      if (n > 0) this.inflight.set(id, n);
      else { this.inflight.delete(id); this.newest.delete(id); }
    }
  }

  private apply(id: string, v: ContainerView | undefined): void {
    if (v) {
      this.containers.set(v.id, v);
      this.sink.upsert(containerObject(this.id, v));
      this.changed();
      return;
    }
    const gone = this.containers.get(id);
    if (!gone) return;
    this.containers.delete(id);
    this.sink.remove(objectKey(containerObject(this.id, gone)));
    this.changed();
  }

  private async inspect(id: string, timeoutMs?: number): Promise<ContainerView | undefined> {
    try {
      return containerFromInspect((await (await this.client()).request('GET', `/containers/${encodeURIComponent(id)}/json`, undefined, { timeoutMs })).body as never);
    } catch (e) {
      if ((e as DockerApiError).statusCode === 404) return undefined;
      throw e;
    }
  }

  /** Refreshes one container now (after an action), so the model need not wait for its events. */
  async refresh(id: string, timeoutMs?: number): Promise<ContainerView | undefined> {
    // A reconnect meanwhile has listed afresh (the generation changed); this older answer must not overwrite it.
    return this.inspectApply(id, this.generation, timeoutMs);
  }

  /** The Docker API call an action makes, exactly as the preview and the audit show it. */
  static call(action: DockerAction, id: string): string {
    return action === 'start' ? `POST /containers/${id}/start` : `POST /containers/${id}/${action}?t=10`;
  }

  /**
   * Bounded: a stop or restart may take the container's stop timeout (t=10) before the engine answers;
   * a frozen engine must not hold the action (and the CLI waiting on it) for ever. A cut or timed-out
   * request throws a PilothouseError with `mayHaveHappened` (the caller checks the container).
   */
  async act(id: string, action: DockerAction, timeoutMs = ACT_TIMEOUT_MS): Promise<'done' | 'already'> {
    try {
      const api = await this.client();
      const { status } = await api.request('POST', `/containers/${encodeURIComponent(id)}/${action}`, action === 'start' ? undefined : { t: STOP_TIMEOUT_S }, { timeoutMs });
      // 304: already started / already stopped: the goal holds, which is what the operator wanted.
      return status === 304 ? 'already' : 'done';
    } catch (e) {
      const err = e as DockerApiError;
      if (err.statusCode === 404) throw new PilothouseError('not-found', `container ${id.slice(0, 12)} no longer exists on ${this.id}`);
      if (mayHaveHappened(err)) throw Object.assign(new PilothouseError('unavailable', `the request to ${this.id} (${this.target}) was cut after it was sent (${err.message})`), { mayHaveHappened: true });
      throw new PilothouseError('unavailable', `docker ${action} on ${this.id} failed: ${err.message}`);
    }
  }

  /**
   * Streams a container's log as records (core/logs/partials.ts: one per multiplexed frame, or split out
   * of a TTY stream), each with its own timestamp; the follow engine joins a long line's records. Ends
   * (calls onEnd) when the engine closes the stream: the container stopped, or the engine went away.
   * `since` is a unix time in seconds with nanoseconds (dockerSince), inclusive.
   */
  async logs(id: string, opts: { follow: boolean; tail?: number; since?: string }, onRecord: (e: Entry) => void, onEnd: (err?: Error) => void): Promise<() => void> {
    const view = this.containers.get(id) ?? (await this.inspect(id));
    if (!view) throw new PilothouseError('not-found', `container ${id.slice(0, 12)} not found on ${this.id}`);
    let stream: NodeJS.ReadableStream & { destroy(): void };
    try {
      const api = await this.client();
      stream = await api.stream(`/containers/${encodeURIComponent(id)}/logs`, {
        stdout: 1, stderr: 1, timestamps: 1, follow: opts.follow ? 1 : 0, tail: opts.tail ?? 'all', since: opts.since,
      });
    } catch (e) {
      throw new PilothouseError('unavailable', `cannot read logs of ${view.name} on ${this.id}: ${(e as Error).message}`);
    }
    let ended = false;
    // A TTY container's log is one raw stream; otherwise the engine multiplexes stdout and stderr, one
    // frame per record (core/logs/frames.ts says why not the modem's demultiplexer: one frame per line).
    const tty = view.tty ? new DockerTtyRecords((r) => { if (!ended) onRecord(dockerEntry(r, 'stdout')); }) : undefined;
    const frames = new FrameReader((s, payload) => { if (!ended) onRecord(dockerEntry(payload, s)); });
    stream.on('data', (b: Buffer) => {
      if (tty) { tty.write(b); return; }
      try { frames.write(b); } catch (e) { finish(e as Error); stream.destroy(); }
    });
    const finish = (e?: Error) => { if (ended) return; tty?.end(); ended = true; onEnd(e); };
    stream.on('end', () => finish());
    // 'close' without 'end': the connection was cut (the engine went away, or a network error).
    stream.on('close', () => finish(opts.follow && !(stream as unknown as Readable).readableEnded ? Object.assign(new Error('the connection to the engine closed'), { code: 'ECONNRESET' }) : undefined));
    stream.on('error', (e: Error) => finish(e));
    return () => { ended = true; stream.removeAllListeners('data'); stream.on('error', () => {}); stream.destroy(); };
  }

  /**
   * A container's stats stream (one sample a second from the engine), until the returned function is
   * called or the stream ends. The first sample has no CPU figure: CPU % needs two readings.
   */
  async stats(id: string, onSample: (s: ContainerStats) => void, onEnd: (err?: Error) => void): Promise<() => void> {
    const api = await this.client();
    const stream = await api.stream(`/containers/${encodeURIComponent(id)}/stats`, { stream: 1 });
    let partial = '';
    let ended = false;
    const finish = (e?: Error) => { if (ended) return; ended = true; onEnd(e); };
    stream.on('data', (b: Buffer) => {
      partial += b.toString('utf8');
      // One JSON document a line; a bounded remainder so a broken stream cannot grow without end.
      if (partial.length > 1 << 20) { stream.destroy(); finish(new Error('stats stream sent a line over 1 MB')); return; }
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl).trim();
        partial = partial.slice(nl + 1);
        if (!line) continue;
        try { onSample(statsFromSample(JSON.parse(line) as DockerStatsSample)); } catch { /* a sample we cannot read is skipped */ }
      }
    });
    stream.on('end', () => finish());
    stream.on('close', () => finish());
    stream.on('error', (e: Error) => finish(e));
    return () => { ended = true; stream.removeAllListeners('data'); stream.on('error', () => {}); stream.destroy(); };
  }

  /** This engine's dockerode, reached however the engine is (an exec's terminal: exec.ts). */
  async dockerode(): Promise<DockerApi['docker']> { return (await this.client()).docker; }

  /** Why a container's log stream ended, asked right after it did: the engine, the container, or the network. */
  async whyLogEnded(id: string, err?: Error): Promise<string> {
    let v: ContainerView | undefined;
    try {
      v = await this.inspect(id);
    } catch (e) {
      const code = (e as DockerApiError).code;
      if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE') return `Docker engine ${this.id} went away`;
      return `Docker engine ${this.id} did not answer: ${(e as Error).message}`;
    }
    if (!v) return 'container removed';
    const s = v.state;
    if (s.status === 'exited' || s.status === 'dead') return `container exited with code ${s.exitCode}`;
    if (s.status !== 'running') return `container ${s.status}`;
    return err ? `network error: ${err.message}` : 'log stream ended';
  }
}

export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => { while (next < items.length) { const i = next++; out[i] = await fn(items[i]); } };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The fields of Docker's stats sample that CPU % and memory use are computed from (API 1.41+, cgroup v1 and v2). */
export interface DockerStatsSample {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

/**
 * CPU % and memory as `docker stats` shows them: CPU is the container's share of the host's time since
 * the previous sample times the CPUs online (so 200 % is two full cores); memory excludes the page cache
 * the kernel can drop (`inactive_file` on cgroup v2, `total_inactive_file` on v1).
 */
export function statsFromSample(s: DockerStatsSample): ContainerStats {
  const out: ContainerStats = { read: s.read ?? '' };
  const cpu = s.cpu_stats, pre = s.precpu_stats;
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  const cpus = cpu?.online_cpus || cpu?.cpu_usage?.percpu_usage?.length || 1;
  if (pre?.system_cpu_usage && sysDelta > 0 && cpuDelta >= 0) out.cpuPercent = (cpuDelta / sysDelta) * cpus * 100;
  const m = s.memory_stats;
  if (m?.usage !== undefined) {
    const st = m.stats ?? {};
    const cache = st.total_inactive_file ?? st.inactive_file ?? 0;
    out.memUsed = cache < m.usage ? m.usage - cache : m.usage;
    if (m.limit) out.memLimit = m.limit;
  }
  return out;
}
