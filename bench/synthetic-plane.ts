import type { PlaneEndpoint, RuntimeStatus } from '../shared/contract/domain';
import type { ActionDef } from '../core/actions/action';
import { objectKey, type ModelObject, type PlaneRules } from '../core/model/object';
import type { Plane, PlaneSink } from '../core/planes/plane';

// A plane that invents its objects: N resources, then as many updates, removals and additions as a
// benchmark or a test asks for. It lives in bench/, never in the product; it runs through the real model,
// views, contract and page exactly as a real plane does.

export interface SyntheticItem {
  status: RuntimeStatus;
  reason?: string;
  /** Bumped on every update; `stamp` is when (ms), so a page can measure event to screen. */
  rev: number;
  stamp: number;
}

export interface SyntheticOptions {
  count: number;
  endpoints?: number;
  /** Resources per group (namespace, project). */
  groupSize?: number;
  /** Fraction of resources that start in a non-ok state. */
  badFraction?: number;
  seed?: number;
}

const STATUSES: RuntimeStatus[] = ['error', 'warning', 'pending', 'unknown'];

export const syntheticRules: PlaneRules = {
  bind: (o) => [`synthetic/${o.endpoint.slice('synthetic/'.length)}/${o.ns}/${o.name}`],
  derive(id, objects) {
    const o = objects[0] as ModelObject<SyntheticItem>;
    const d = o.data;
    const severity = d.status === 'error' ? 'error' : d.status === 'warning' || d.status === 'unknown' ? 'warning' : 'info';
    return {
      resource: {
        id, name: o.name, kind: 'synthetic', plane: 'synthetic', endpoint: o.endpoint,
        group: { kind: 'group', name: o.ns },
        runtime: d.status,
        reasons: d.reason ? [{ text: d.reason, severity, ref: objectKey(o) }] : [],
        facts: { rev: String(d.rev), stamp: String(d.stamp) },
        actions: [
          { id: 'bump', label: 'Bump', destructive: false, confirm: 'confirm' },
          { id: 'wipe', label: 'Wipe', destructive: true, confirm: 'type-name' },
        ],
      },
    };
  },
};

/** Small deterministic generator, so two runs of a bench see the same cluster. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 2 ** 32; };
}

export class SyntheticPlane implements Plane {
  readonly name = 'synthetic' as const;
  readonly rules = syntheticRules;
  private sink?: PlaneSink;
  private readonly items = new Map<string, ModelObject<SyntheticItem>>();
  private readonly keys: string[] = [];
  private readonly random: () => number;
  private next = 0;
  private timer?: ReturnType<typeof setInterval>;
  /** Slows `run` of the `bump` action, so a test can see two actions overlap. */
  actionDelayMs = 0;

  constructor(readonly opts: SyntheticOptions) {
    this.random = rng(opts.seed ?? 42);
  }

  private endpointId(i: number): string { return `synthetic/sim-${i}`; }

  endpoints(): PlaneEndpoint[] {
    return Array.from({ length: this.opts.endpoints ?? 1 }, (_, i) => ({
      id: this.endpointId(i), plane: 'synthetic', name: `sim-${i}`, target: 'memory', source: 'bench', state: 'connected',
    }));
  }

  private make(): ModelObject<SyntheticItem> {
    const n = this.next++;
    const eps = this.opts.endpoints ?? 1;
    const groupSize = this.opts.groupSize ?? 100;
    const bad = this.random() < (this.opts.badFraction ?? 0.05);
    const status = bad ? STATUSES[Math.floor(this.random() * STATUSES.length)] : 'ok';
    return {
      plane: 'synthetic', endpoint: this.endpointId(n % eps), kind: 'item',
      ns: `group-${String(Math.floor(n / groupSize)).padStart(3, '0')}`, name: `svc-${String(n).padStart(5, '0')}`,
      data: { status, reason: bad ? `${status}: synthetic trouble #${n}` : undefined, rev: 0, stamp: Date.now() },
    };
  }

  async start(sink: PlaneSink): Promise<void> {
    this.sink = sink;
    for (const ep of this.endpoints()) sink.endpoint(ep);
    const objs: ModelObject<SyntheticItem>[] = [];
    for (let i = 0; i < this.opts.count; i++) objs.push(this.add(this.make()));
    for (const ep of this.endpoints()) sink.reconcile(ep.id, objs.filter((o) => o.endpoint === ep.id), ['item']);
  }

  private add(o: ModelObject<SyntheticItem>): ModelObject<SyntheticItem> {
    const k = objectKey(o);
    if (!this.items.has(k)) this.keys.push(k);
    this.items.set(k, o);
    return o;
  }

  stop(): void { this.stopUpdates(); }
  suspend(): void { this.stopUpdates(); }
  resume(): void {}

  get size(): number { return this.items.size; }
  objectKeys(): readonly string[] { return this.keys; }

  /** Changes one object: a new revision, sometimes a new status. Returns its key. */
  update(key?: string, patch: Partial<SyntheticItem> = {}): string {
    const k = key ?? this.keys[Math.floor(this.random() * this.keys.length)];
    const o = this.items.get(k);
    if (!o) return k;
    const flip = patch.status === undefined && this.random() < 0.1;
    const status = patch.status ?? (flip ? (o.data.status === 'ok' ? STATUSES[Math.floor(this.random() * STATUSES.length)] : 'ok') : o.data.status);
    const next: ModelObject<SyntheticItem> = { ...o, data: { ...o.data, ...patch, status, rev: o.data.rev + 1, stamp: patch.stamp ?? Date.now(), reason: patch.reason ?? (status === 'ok' ? undefined : `${status}: synthetic trouble rev ${o.data.rev + 1}`) } };
    this.items.set(k, next);
    this.sink?.upsert(next);
    return k;
  }

  /** Keys that removals pass over: rows a bench watches on the page stay where they are (bench/core-model.ts). */
  readonly pinned = new Set<string>();

  /** Removes a fraction of the objects at once (a namespace deleted, a node drained). */
  removeFraction(f: number): string[] {
    const n = Math.floor(this.keys.length * f);
    let gone: string[];
    if (!this.pinned.size) gone = this.keys.splice(0, n);
    else {
      gone = [];
      const kept: string[] = [];
      let i = 0;
      for (; i < this.keys.length && gone.length < n; i++) (this.pinned.has(this.keys[i]) ? kept : gone).push(this.keys[i]);
      this.keys.splice(0, i, ...kept);
    }
    for (const k of gone) { this.items.delete(k); this.sink?.remove(k); }
    return gone;
  }

  addMore(n: number): void { for (let i = 0; i < n; i++) this.sink?.upsert(this.add(this.make())); }

  /** `perSecond` updates, plus `churn` (a fraction per second) of the objects removed and as many added. */
  startUpdates(perSecond: number, churn = 0): void {
    this.stopUpdates();
    const tickMs = 10;
    let owed = 0;
    let churnOwed = 0;
    this.timer = setInterval(() => {
      owed += (perSecond * tickMs) / 1000;
      churnOwed += (this.keys.length * churn * tickMs) / 1000;
      for (; owed >= 1; owed--) this.update();
      if (churnOwed >= 1) { const n = Math.floor(churnOwed); churnOwed -= n; this.removeFraction(n / this.keys.length); this.addMore(n); }
    }, tickMs);
  }

  stopUpdates(): void { if (this.timer) clearInterval(this.timer); this.timer = undefined; }

  action(resource: { id: string; name: string; endpoint: string }, actionId: string, objects: readonly ModelObject[]): ActionDef | undefined {
    const o = objects[0] as ModelObject<SyntheticItem> | undefined;
    if (!o) return undefined;
    const key = objectKey(o);
    const from = o.data.rev;
    if (actionId === 'bump') {
      return {
        spec: { id: 'bump', label: 'Bump', destructive: false, confirm: 'confirm' },
        summary: `Bump ${resource.name} on ${resource.endpoint}`,
        steps: [{ endpoint: resource.endpoint, call: `bump ${key}` }],
        verifyText: `revision above ${from}`,
        verifyTimeoutMs: 2_000,
        auditName: 'synthetic.bump',
        run: async () => {
          if (this.actionDelayMs) await new Promise((r) => setTimeout(r, this.actionDelayMs));
          this.update(key, { status: 'ok' });
        },
        verify: (objs) => (objs[0] as ModelObject<SyntheticItem> | undefined)?.data.rev !== undefined && (objs[0] as ModelObject<SyntheticItem>).data.rev > from,
      };
    }
    if (actionId === 'wipe') {
      return {
        spec: { id: 'wipe', label: 'Wipe', destructive: true, confirm: 'type-name' },
        summary: `Wipe ${resource.name} on ${resource.endpoint} (its data cannot be rebuilt)`,
        steps: [{ endpoint: resource.endpoint, call: `wipe ${key}` }],
        verifyText: `${resource.name} is gone`,
        verifyTimeoutMs: 2_000,
        auditName: 'synthetic.wipe',
        run: async () => { this.items.delete(key); this.sink?.remove(key); },
        verify: (objs) => objs.length === 0,
      };
    }
    return undefined;
  }
}
