import type { PlaneEndpoint, Reason, Resource } from '../../shared/contract/domain';
import { displayStatus, SEVERITY_RANK } from '../../shared/health/summary';
import { sameResource } from './equal';
import { objectKey, planeOf, type ModelObject, type PlaneRules, type UpdateState } from './object';
import { TimerHeap } from './timers';

const REASON_RANK = { error: 0, warning: 1, info: 2 } as const;

export interface ModelChange {
  /** Resources whose derived value changed (or that are new). */
  upsert: Resource[];
  removed: string[];
  /** Every endpoint, when any of them changed in this tick. */
  endpoints?: PlaneEndpoint[];
}

export interface ModelOptions {
  now?: () => number;
  /** How changes are batched into one emission; tests pass a manual scheduler. */
  schedule?: (fn: () => void) => void;
}

/**
 * The store of normalized objects and the resources derived from them. Planes write objects; a resource
 * is derived again only when one of its objects, its endpoint, its update state or its clock changed, and
 * is emitted only when the derived value differs. Every index is a Map, so adding or removing an object
 * costs the same at 50 objects as at 50,000.
 */
export class Model {
  private readonly rules = new Map<string, PlaneRules>();
  private readonly objects = new Map<string, ModelObject>();
  private readonly objectResources = new Map<string, readonly string[]>();   // object key → resource ids
  private readonly resourceObjects = new Map<string, Set<string>>();         // resource id → object keys
  private readonly endpointObjects = new Map<string, Set<string>>();         // endpoint id → object keys
  private readonly resources = new Map<string, Resource>();
  private readonly endpointResources = new Map<string, Set<string>>();       // endpoint id → resource ids
  private readonly endpointMap = new Map<string, PlaneEndpoint>();
  private readonly updates = new Map<string, UpdateState>();
  private readonly dirty = new Set<string>();
  private endpointsDirty = false;
  private scheduled = false;
  private readonly listeners = new Set<(c: ModelChange) => void>();
  private readonly timers: TimerHeap;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void) => void;

  constructor(opts: ModelOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.schedule = opts.schedule ?? ((fn) => setImmediate(fn));
    this.timers = new TimerHeap(this.now, (ids) => { ids.forEach((id) => this.dirty.add(id)); this.request(); });
  }

  registerRules(plane: string, rules: PlaneRules): void { this.rules.set(plane, rules); }

  // ---- writes (from planes) ----

  upsert(obj: ModelObject): void {
    const key = objectKey(obj);
    const before = this.objectResources.get(key);
    this.objects.set(key, obj);
    let byEp = this.endpointObjects.get(obj.endpoint);
    if (!byEp) this.endpointObjects.set(obj.endpoint, (byEp = new Set()));
    byEp.add(key);
    const rules = this.rules.get(obj.plane);
    const after = rules ? rules.bind(obj) : [];
    if (before) for (const rid of before) if (!after.includes(rid)) this.unlink(rid, key);
    for (const rid of after) {
      let set = this.resourceObjects.get(rid);
      if (!set) this.resourceObjects.set(rid, (set = new Set()));
      set.add(key);
      this.dirty.add(rid);
    }
    if (before) for (const rid of before) this.dirty.add(rid);
    this.objectResources.set(key, after);
    this.request();
  }

  remove(key: string): void {
    const obj = this.objects.get(key);
    if (!obj) return;
    this.objects.delete(key);
    this.endpointObjects.get(obj.endpoint)?.delete(key);
    for (const rid of this.objectResources.get(key) ?? []) this.unlink(rid, key);
    this.objectResources.delete(key);
    this.request();
  }

  /**
   * A full list from an endpoint: what it holds now replaces what the store had for it (limited to
   * `kinds` when given), so nothing stale or missing remains after a re-list.
   */
  reconcile(endpoint: string, objs: Iterable<ModelObject>, kinds?: readonly string[]): void {
    const seen = new Set<string>();
    for (const o of objs) { const k = objectKey(o); seen.add(k); this.upsert(o); }
    for (const key of [...(this.endpointObjects.get(endpoint) ?? [])]) {
      if (seen.has(key)) continue;
      if (kinds && !kinds.includes(this.objects.get(key)!.kind)) continue;
      this.remove(key);
    }
  }

  setEndpoint(ep: PlaneEndpoint): void {
    const old = this.endpointMap.get(ep.id);
    this.endpointMap.set(ep.id, ep);
    this.endpointsDirty = true;
    // The state changes every resource's runtime and first reason (unknown while away, and why); a new
    // message or retry time of the same state changes none of them, so 50,000 rows are not re-sent for it.
    if (!old || old.state !== ep.state) for (const rid of this.endpointResources.get(ep.id) ?? []) this.dirty.add(rid);
    this.request();
  }

  /** An endpoint that no longer exists (a context deleted from the config): it and everything of it go. */
  dropEndpoint(id: string): void {
    for (const key of [...(this.endpointObjects.get(id) ?? [])]) this.remove(key);
    this.endpointObjects.delete(id);
    if (this.endpointMap.delete(id)) { this.endpointsDirty = true; this.request(); }
  }

  setUpdate(rid: string, u: UpdateState | undefined): void {
    if (u) this.updates.set(rid, u); else this.updates.delete(rid);
    this.dirty.add(rid);
    this.request();
  }

  // ---- reads ----

  get(id: string): Resource | undefined { return this.resources.get(id); }
  all(): IterableIterator<Resource> { return this.resources.values(); }
  get size(): number { return this.resources.size; }
  objectsOf(rid: string): ModelObject[] {
    const out: ModelObject[] = [];
    for (const k of this.resourceObjects.get(rid) ?? []) { const o = this.objects.get(k); if (o) out.push(o); }
    return out;
  }
  object(key: string): ModelObject | undefined { return this.objects.get(key); }
  endpoints(): PlaneEndpoint[] { return [...this.endpointMap.values()]; }
  endpoint(id: string): PlaneEndpoint | undefined { return this.endpointMap.get(id); }
  get objectCount(): number { return this.objects.size; }

  subscribe(fn: (c: ModelChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---- derivation ----

  private unlink(rid: string, key: string): void {
    const set = this.resourceObjects.get(rid);
    if (!set) return;
    set.delete(key);
    if (!set.size) this.resourceObjects.delete(rid);
    this.dirty.add(rid);
  }

  private request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** Derives every dirty resource and emits what changed. Runs once per tick; callable at once too. */
  flush(): void {
    this.scheduled = false;
    if (!this.dirty.size && !this.endpointsDirty) return;
    const now = this.now();
    const upsert: Resource[] = [];
    const removed: string[] = [];
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const rid of ids) {
      const next = this.derive(rid, now);
      const prev = this.resources.get(rid);
      if (!next) {
        if (prev) {
          this.resources.delete(rid);
          this.endpointResources.get(prev.endpoint)?.delete(rid);
          this.timers.cancel(rid);
          removed.push(rid);
        }
        continue;
      }
      if (prev && sameResource(prev, next)) continue;
      this.resources.set(rid, next);
      if (!prev) {
        let set = this.endpointResources.get(next.endpoint);
        if (!set) this.endpointResources.set(next.endpoint, (set = new Set()));
        set.add(rid);
      }
      upsert.push(next);
    }
    const change: ModelChange = { upsert, removed };
    if (this.endpointsDirty) { this.endpointsDirty = false; change.endpoints = this.endpoints(); }
    if (!upsert.length && !removed.length && !change.endpoints) return;
    for (const l of this.listeners) l(change);
  }

  private derive(rid: string, now: number): Resource | undefined {
    const all = this.objectsOf(rid);
    const plane = planeOf(rid);
    // Objects of other planes (alerts about this resource) never reach its own plane's rules: they only
    // annotate a resource that plane derives from its own objects.
    let foreignCount = 0;
    for (const o of all) if (o.plane !== plane) foreignCount++;
    const objs = foreignCount ? all.filter((o) => o.plane === plane) : all;
    if (!objs.length) { this.timers.cancel(rid); return undefined; }
    const rules = this.rules.get(plane);
    const d = rules?.derive(rid, objs, { now });
    if (!d) { this.timers.cancel(rid); return undefined; }
    if (d.recheckAt !== undefined) this.timers.set(rid, d.recheckAt); else this.timers.cancel(rid);
    const { stateSince, ...base } = d.resource;
    const u = this.updates.get(rid);
    const ep = this.endpointMap.get(base.endpoint);
    let reasons: Reason[] = base.reasons;
    let runtime = base.runtime;
    let rowReason = base.reason;
    if (objs.length !== all.length) {
      const foreign = new Map<string, ModelObject[]>();
      for (const o of all) if (o.plane !== plane) { const l = foreign.get(o.plane); if (l) l.push(o); else foreign.set(o.plane, [o]); }
      for (const [p, os] of foreign) {
        const a = this.rules.get(p)?.annotate?.(rid, os, { now });
        if (!a) continue;
        reasons = [...reasons, ...a.reasons];
        // The list shows one reason: an added one leads when it is worse than the plane's own.
        for (const r of a.reasons) if (!rowReason || REASON_RANK[r.severity] < REASON_RANK[rowReason.severity]) rowReason = r;
        if (a.runtime && runtime !== 'unknown' && SEVERITY_RANK[a.runtime] < SEVERITY_RANK[runtime]) runtime = a.runtime;
      }
    }
    // An idle endpoint was never connected: there is no "last known state" to warn about. The resource
    // an endpoint names in `actOn` (an SSH host) describes the endpoint's state itself.
    if (ep && ep.state !== 'connected' && ep.state !== 'idle' && ep.actOn !== rid) {
      // While the endpoint is away, keep the resource but do not let it look fine.
      if (runtime !== 'not_applicable') runtime = 'unknown';
      const why = ep.state === 'suspended' ? 'paused while the computer sleeps' : ep.state === 'connecting' ? 'connecting' : 'unreachable';
      reasons = [{ text: `${ep.name} ${why}: last known state shown`, severity: 'warning' }, ...reasons];
    }
    if (u?.reason) reasons = [{ text: u.reason, severity: u.status === 'error' ? 'error' : 'info' }, ...reasons];
    const r: Resource = { ...base, ...(rowReason ? { reason: rowReason } : {}), runtime, reasons, update: u?.status ?? base.update ?? 'idle' };
    const status = displayStatus(r);
    const prev = this.resources.get(rid);
    r.since = !prev ? Math.min(stateSince ?? now, now) : prev.since !== undefined && displayStatus(prev) === status ? prev.since : now;
    return r;
  }

  /** Stops the time-based re-derivation timer (engine stop). */
  dispose(): void { this.timers.clear(); }
}
