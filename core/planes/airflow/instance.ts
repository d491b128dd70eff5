import type { Duplex } from 'node:stream';
import type { PlaneEndpoint } from '../../../shared/contract/domain';
import { nextBackoff } from '../../../shared/time/backoff';
import type { ModelObject } from '../../model/object';
import type { PlaneSink } from '../plane';
import { AirflowApi, AirflowHttpError, AirflowUnreachable, type ApiPool, type ApiTaskInstance } from './api';
import { failureWords, HOLDERS_KIND, POOL_KIND, type Holder, type HoldersData, type PoolData } from './rules';
import { readPassword, type AirflowSettings } from './settings';
import type { RememberedSizes } from './sizes';
import { utcClock } from '../../../shared/text/utc';

/** Occupancy while someone looks at the instance's pools (a list that shows them, a pool's detail). */
export const WATCHED_REFRESH_MS = 3_000;
const BACKOFF = { baseMs: 2_000, maxMs: 60_000 };
/** A refused login is not retried fast: the password will not fix itself. */
const UNAUTHORIZED_RETRY_MS = 60_000;
/** Tasks listed per pool: enough for any pool an operator reads; the rest are counted. */
const MAX_HOLDERS = 200;

export interface InstanceDeps {
  sink: PlaneSink;
  now: () => number;
  env: Record<string, string | undefined>;
  home: string;
  sizes: RememberedSizes;
  /** An SSH channel to `via` (the SSH plane's shared connection to that host). */
  dial?: () => Promise<Duplex>;
}

/**
 * One Airflow: its endpoint, its pools as objects, and a refresh that runs every few seconds only while
 * someone looks (a view that may show its pools: Plane.look; a pool's detail: Plane.watch), with backoff
 * while the server is away or refuses the login. With nobody looking nothing is read (no polling in the
 * background): the endpoint says when the pools were last read, and the next look reads them at once.
 */
export class AirflowInstance {
  readonly endpointId: string;
  readonly api: AirflowApi;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private stopped = false;
  private suspended = false;
  private running: Promise<void> | undefined;
  private readonly watched = new Map<string, number>();
  private lookers = 0;
  private readonly published = new Map<string, string>();
  private connected = false;
  /** The endpoint says "last read at …" (nobody looking); the next read says connected again. */
  private resting = false;
  private lastRead = 0;

  constructor(readonly settings: AirflowSettings, private readonly deps: InstanceDeps) {
    this.endpointId = `airflow/${settings.name}`;
    this.api = new AirflowApi({
      base: settings.url,
      username: settings.username,
      password: () => readPassword(settings, deps.env, deps.home),
      ...(deps.dial ? { dial: deps.dial } : {}),
    });
  }

  get target(): string {
    const v = this.settings.via;
    return v ? `${this.settings.url} through ssh ${v.ssh} (to ${v.host}:${v.port} there)` : this.settings.url;
  }

  private endpoint(p: Pick<PlaneEndpoint, 'state'> & Partial<PlaneEndpoint>): void {
    this.deps.sink.endpoint({ id: this.endpointId, plane: 'airflow', name: this.settings.name, target: this.target, source: this.settings.source, ...p });
  }

  /** The first attempt; resolves once it listed the pools or said why not. */
  async start(): Promise<void> {
    this.endpoint({ state: 'connecting', message: `connecting to ${this.target}` });
    await this.refreshNow();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  suspend(): void {
    this.suspended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.endpoint({ state: 'suspended', message: 'asleep: reads again when the machine wakes' });
  }

  resume(): void {
    this.suspended = false;
    this.attempt = 0;
    void this.refreshNow();
  }

  get looked(): boolean { return this.lookers > 0 || this.watched.size > 0; }

  /** A view that may show this instance's pools: they are read now, then every few seconds until released. */
  look(): () => void {
    if (++this.lookers === 1 && this.watched.size === 0) void this.refreshNow();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.lookers--;
      if (!this.looked && !this.running) this.rest();
    };
  }

  /** Nobody looks any more: no timer; the endpoint keeps what the last read said, with its time. */
  private rest(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.connected || this.stopped || this.suspended) return;
    this.resting = true;
    this.endpoint({ state: 'connected', message: `${this.connectedWords()}; pools last read at ${utcClock(this.lastRead)}, read again when someone looks at them` });
  }

  private connectedWords(): string {
    return `connected as Airflow ${this.api.version} via /api/${this.api.api} (${this.api.api === 'v2' ? 'token from /auth/token' : 'basic auth'})`;
  }

  /** Someone looks at a pool: its tasks are listed, and every pool of this instance refreshes fast. */
  watch(pool: string): () => void {
    this.watched.set(pool, (this.watched.get(pool) ?? 0) + 1);
    if (this.watched.get(pool) === 1) void this.refreshNow();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.watched.get(pool) ?? 1) - 1;
      if (n > 0) { this.watched.set(pool, n); return; }
      this.watched.delete(pool);
      if (!this.looked && !this.running) this.rest();
      const key = `${this.endpointId}/${HOLDERS_KIND}//${pool}`;
      this.published.delete(key);
      this.deps.sink.remove(key);
    };
  }

  /** A read now (one at a time: a second caller shares the one under way, then the timer is re-armed). */
  refreshNow(): Promise<void> {
    if (this.running) return this.running.then(() => this.refreshNow());
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.refresh().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async refresh(): Promise<void> {
    if (this.stopped || this.suspended) return;
    let delay: number;
    try {
      if (!this.api.api || !this.connected) await this.api.detect();
      const pools = await this.api.pools();
      const wasConnected = this.connected;
      this.connected = true;
      this.attempt = 0;
      this.lastRead = this.deps.now();
      // Said once per connection (and when nobody looks any more, with the read time): an endpoint
      // that changed on every read would be sent to every view every few seconds.
      if (!wasConnected || this.resting) this.endpoint({ state: 'connected', message: this.connectedWords() });
      this.resting = false;
      this.publishPools(pools);
      for (const name of this.watched.keys()) {
        const p = pools.find((x) => x.name === name);
        if (p) this.publishHolders(name, await this.api.holders(p));
      }
      delay = WATCHED_REFRESH_MS;
    } catch (e) {
      if (this.stopped) return;
      this.connected = false;
      const kind = e instanceof AirflowHttpError && (e.status === 401 || e.status === 403) ? 'unauthorized' as const
        : e instanceof AirflowUnreachable ? 'unreachable' as const : 'error' as const;
      delay = kind === 'unauthorized' ? UNAUTHORIZED_RETRY_MS : nextBackoff(this.attempt++, BACKOFF);
      const retryAt = this.looked ? this.deps.now() + delay : undefined;
      const words = failureWords(this.settings.name, this.target, { kind, text: (e as Error).message }, retryAt);
      // A password source that cannot be read is the operator's configuration, not the server.
      const config = /password (variable|file)/.test((e as Error).message);
      this.endpoint({ state: 'unavailable', ...(retryAt !== undefined ? { retryAt } : {}), ...words, ...(config ? { configError: true } : {}) });
    }
    if (this.stopped || this.suspended) return;
    if (!this.looked) {
      this.rest();
      return;
    }
    this.timer = setTimeout(() => { this.timer = undefined; void this.refreshNow(); }, delay);
  }

  private poolObject(p: ApiPool): ModelObject<PoolData> {
    const remembered = this.deps.sizes.get(this.sizeKey(p.name));
    return {
      plane: 'airflow', endpoint: this.endpointId, kind: POOL_KIND, ns: '', name: p.name,
      data: { pool: p, api: this.api.api!, version: this.api.version ?? '?', ...(remembered !== undefined ? { remembered } : {}), at: this.deps.now() },
    };
  }

  /** A full list: pools gone from Airflow leave the model. Unchanged pools are not sent again. */
  publishPools(pools: ApiPool[]): void {
    const objs = pools.map((p) => this.poolObject(p));
    const fresh: ModelObject[] = [];
    for (const o of objs) {
      const key = `${o.endpoint}/${o.kind}//${o.name}`;
      const { at: _at, ...same } = o.data;
      const text = JSON.stringify(same);
      if (this.published.get(key) === text) {
        // Unchanged: reconcile needs it listed, but with the object the model already has.
        const had = this.deps.sink.objectsOf(`${this.endpointId}/${POOL_KIND}/${o.name}`).find((x) => x.kind === POOL_KIND);
        fresh.push(had ?? o);
        continue;
      }
      this.published.set(key, text);
      fresh.push(o);
    }
    this.deps.sink.reconcile(this.endpointId, fresh, [POOL_KIND]);
  }

  /** One pool read again (an action's own refresh). */
  publishPool(p: ApiPool): void {
    const o = this.poolObject(p);
    const { at: _at, ...same } = o.data;
    this.published.set(`${o.endpoint}/${o.kind}//${o.name}`, JSON.stringify(same));
    this.deps.sink.upsert(o);
  }

  publishHolders(pool: string, tis: ApiTaskInstance[]): Holder[] {
    const holders = tis.slice(0, MAX_HOLDERS).map(holderOf);
    const data: HoldersData = { holders, more: Math.max(0, tis.length - MAX_HOLDERS), at: this.deps.now() };
    const key = `${this.endpointId}/${HOLDERS_KIND}//${pool}`;
    const text = JSON.stringify(holders) + data.more;
    if (this.published.get(key) !== text) {
      this.published.set(key, text);
      this.deps.sink.upsert({ plane: 'airflow', endpoint: this.endpointId, kind: HOLDERS_KIND, ns: '', name: pool, data });
    }
    return holders;
  }

  sizeKey(pool: string): string { return `${this.endpointId}/${pool}`; }
  get sizesFile(): string | undefined { return this.deps.sizes.file; }
  remember(key: string, slots: number): void { this.deps.sizes.set(key, slots, this.deps.now()); }
  forget(key: string): void { this.deps.sizes.delete(key); }
}

export function holderOf(t: ApiTaskInstance): Holder {
  return {
    dag_id: t.dag_id,
    run_id: t.dag_run_id ?? t.run_id ?? '?',
    task_id: t.task_id,
    state: t.state ?? 'none',
    ...(t.start_date ? { start: t.start_date } : {}),
    ...(t.map_index !== undefined && t.map_index >= 0 ? { map_index: t.map_index } : {}),
  };
}

