import Docker from 'dockerode';
import { Readable, Writable } from 'node:stream';
import type { EngineEndpoint } from '../../../shared/contract/domain';
import { PilothouseError } from '../../../shared/contract/envelope';
import { LineAssembler, type RawLine } from '../../logs/lines';
import { containerFromInspect, type ContainerView } from './container';
import { dockerHint, type DockerCandidate } from './discover';
import { nextBackoff } from '../../engine/backoff';

export interface DockerPlaneListener {
  /** Containers that appeared or changed, and ids of those that are gone. */
  change(upsert: ContainerView[], removed: string[]): void;
  endpoint(ep: EngineEndpoint): void;
}

/** Events for one container arriving within this window cost one inspect. */
const COALESCE_MS = 50;
const INSPECT_CONCURRENCY = 8;

/**
 * One Docker engine: a full list on connect, then the engine's event stream (never polling). When the
 * engine goes away the plane says so, retries with capped backoff, and lists again when it is back, so
 * the view is never left stale after a daemon restart or a laptop's sleep.
 */
export class DockerPlane {
  readonly docker: Docker;
  private containers = new Map<string, ContainerView>();
  private events?: NodeJS.ReadableStream & { destroy?: () => void };
  private retryTimer?: ReturnType<typeof setTimeout>;
  private flushTimer?: ReturnType<typeof setTimeout>;
  private dirty = new Set<string>();
  private attempt = 0;
  private suspended = false;
  private stopped = false;
  private generation = 0;
  private firstAttempt: Promise<void>;
  private resolveFirst!: () => void;
  endpoint: EngineEndpoint;

  constructor(readonly candidate: DockerCandidate, private readonly listener: DockerPlaneListener) {
    const c = candidate;
    this.docker = new Docker(
      c.socketPath ? { socketPath: c.socketPath } : { host: c.host, port: c.port, protocol: c.protocol, username: c.username } as Docker.DockerOptions,
    );
    this.endpoint = { plane: 'docker', target: c.target, source: c.source, state: 'connecting' };
    this.firstAttempt = new Promise((r) => { this.resolveFirst = r; });
  }

  start(): Promise<void> { void this.connect(); return this.firstAttempt; }
  /** Resolves once the first connection attempt has either listed the containers or failed. */
  ready(): Promise<void> { return this.firstAttempt; }
  list(): ContainerView[] { return [...this.containers.values()]; }
  get(id: string): ContainerView | undefined { return this.containers.get(id); }

  suspend(): void {
    this.suspended = true;
    this.teardown();
  }

  resume(): void {
    if (!this.suspended) return;
    this.suspended = false;
    this.attempt = 0;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.teardown();
  }

  private teardown(): void {
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.retryTimer = this.flushTimer = undefined;
    const ev = this.events;
    this.events = undefined;
    ev?.removeAllListeners();
    ev?.on('error', () => {});
    ev?.destroy?.();
  }

  private setEndpoint(state: EngineEndpoint['state'], message?: string, hint?: string): void {
    this.endpoint = { plane: 'docker', target: this.candidate.target, source: this.candidate.source, state, message, hint };
    this.listener.endpoint(this.endpoint);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.suspended) return;
    const gen = ++this.generation;
    try {
      // Subscribe before listing, so nothing that happens during the list is missed.
      const stream = (await this.docker.getEvents({ filters: JSON.stringify({ type: ['container'] }) })) as NodeJS.ReadableStream;
      if (gen !== this.generation) { (stream as unknown as { destroy(): void }).destroy(); return; }
      this.events = stream;
      this.followEvents(stream, gen);
      const summaries = await this.docker.listContainers({ all: true });
      const views = await mapLimit(summaries, INSPECT_CONCURRENCY, (s) => this.inspect(s.Id));
      if (gen !== this.generation) return;
      const fresh = new Map(views.filter((v): v is ContainerView => !!v).map((v) => [v.id, v]));
      const removed = [...this.containers.keys()].filter((id) => !fresh.has(id));
      this.containers = fresh;
      this.attempt = 0;
      this.setEndpoint('connected');
      this.listener.change([...fresh.values()], removed);
    } catch (e) {
      if (gen !== this.generation) return;
      this.fail(e as NodeJS.ErrnoException);
    } finally {
      this.resolveFirst();
    }
  }

  private fail(e: NodeJS.ErrnoException): void {
    this.teardown();
    const code = e.code ?? (e.message?.includes('ENOENT') ? 'ENOENT' : undefined);
    const why = code === 'ENOENT' ? 'socket not found' : code === 'EACCES' ? 'permission denied' : e.message || String(e);
    this.setEndpoint('unavailable', `Docker engine at ${this.candidate.target} (${this.candidate.source}): ${why}`, dockerHint(this.candidate, code));
    // Containers stay listed (marked unknown by the engine) rather than vanishing while the engine is away.
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.suspended) return;
    const delay = nextBackoff(this.attempt++, { baseMs: 500, maxMs: 15_000 });
    this.retryTimer = setTimeout(() => void this.connect(), delay);
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
          const ev = JSON.parse(line) as { id?: string; Actor?: { ID?: string }; Action?: string; status?: string };
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
    let views: Array<readonly [string, ContainerView | undefined]>;
    try {
      views = await mapLimit(ids, INSPECT_CONCURRENCY, async (id) => [id, await this.inspect(id)] as const);
    } catch {
      // The engine went away mid-inspect; the lost event stream reconnects and the full list repairs this.
      return;
    }
    if (gen !== this.generation) return;
    const upsert: ContainerView[] = [];
    const removed: string[] = [];
    for (const [id, v] of views) {
      if (v) { this.containers.set(v.id, v); upsert.push(v); }
      else if (this.containers.delete(id)) removed.push(id);
    }
    if (upsert.length || removed.length) this.listener.change(upsert, removed);
  }

  private async inspect(id: string): Promise<ContainerView | undefined> {
    try {
      return containerFromInspect(await this.docker.getContainer(id).inspect() as never);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  /** Refreshes one container now (after an action), without waiting for its events. */
  async refresh(id: string): Promise<ContainerView | undefined> {
    const v = await this.inspect(id);
    if (v) this.containers.set(v.id, v); else this.containers.delete(id);
    this.listener.change(v ? [v] : [], v ? [] : [id]);
    return v;
  }

  async act(id: string, action: 'start' | 'stop' | 'restart'): Promise<void> {
    const c = this.docker.getContainer(id);
    try {
      if (action === 'start') await c.start();
      else if (action === 'stop') await c.stop({ t: 10 });
      else await c.restart({ t: 10 });
    } catch (e) {
      const err = e as { statusCode?: number; json?: { message?: string }; message: string };
      // 304: already started / already stopped: the goal holds, which is what the operator wanted.
      if (err.statusCode === 304) return;
      if (err.statusCode === 404) throw new PilothouseError('not-found', `container ${id.slice(0, 12)} no longer exists`);
      throw new PilothouseError('unavailable', `docker ${action} failed: ${err.json?.message ?? err.message}`);
    }
  }

  /**
   * Streams a container's log as lines. Ends (calls onEnd) when the engine closes the stream: when the
   * container stops, or the engine goes away. `since` is a unix time in seconds (fractions allowed).
   */
  async logs(id: string, opts: { follow: boolean; tail?: number; since?: string }, onLine: (l: RawLine) => void, onEnd: (err?: Error) => void): Promise<() => void> {
    const c = this.docker.getContainer(id);
    const view = this.containers.get(id) ?? (await this.inspect(id));
    if (!view) throw new PilothouseError('not-found', `container ${id.slice(0, 12)} not found`);
    const base = { stdout: true, stderr: true, timestamps: true, tail: opts.tail ?? 'all', since: opts.since } as const;
    let stream: NodeJS.ReadableStream;
    try {
      stream = opts.follow
        ? ((await c.logs({ ...base, follow: true } as Docker.ContainerLogsOptions & { follow: true })) as NodeJS.ReadableStream)
        : bufferToStream((await c.logs({ ...base, follow: false } as Docker.ContainerLogsOptions & { follow: false })) as unknown as Buffer);
    } catch (e) {
      throw new PilothouseError('unavailable', `cannot read logs of ${view.name}: ${(e as Error).message}`);
    }
    const out = new LineAssembler('stdout', onLine, { timestamps: true });
    const err = new LineAssembler('stderr', onLine, { timestamps: true });
    const sink = (a: LineAssembler) => new Writable({ write(chunk, _enc, cb) { a.write(chunk as Buffer); cb(); } });
    if (view.tty) stream.on('data', (b: Buffer) => out.write(b));
    else this.docker.modem.demuxStream(stream, sink(out), sink(err));
    let ended = false;
    const finish = (e?: Error) => { if (ended) return; ended = true; out.end(); err.end(); onEnd(e); };
    stream.on('end', () => finish());
    stream.on('close', () => finish());
    stream.on('error', (e: Error) => finish(e));
    return () => { ended = true; (stream as unknown as { destroy(): void }).destroy(); };
  }
}

function bufferToStream(buf: Buffer): NodeJS.ReadableStream {
  return Readable.from([buf]);
}

export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => { while (next < items.length) { const i = next++; out[i] = await fn(items[i]); } };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
