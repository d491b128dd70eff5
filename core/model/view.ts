import type { PlaneEndpoint, Resource, ResourceRow, ViewItem, ViewLevel, ViewScope } from '../../shared/contract/domain';
import { displayStatus, SEVERITY_RANK } from '../../shared/health/summary';
import type { Model, ModelChange } from './store';

/** Resources per snapshot chunk: a chunk of rows is ~200 KB, cheap to clone and to apply in one frame. */
export const SNAPSHOT_CHUNK = 2000;
/** How long a view gathers changes before it sends them; the latest value per id wins meanwhile. */
export const VIEW_BATCH_MS = 50;

export interface ViewSink {
  push(item: ViewItem): void;
  /** True while the other side has not taken what was sent: the view keeps coalescing instead of sending. */
  congested(): boolean;
}

export function toRow(r: Resource): ResourceRow {
  const row: ResourceRow = { id: r.id, name: r.name, kind: r.kind, plane: r.plane, endpoint: r.endpoint, group: r.group, runtime: r.runtime, update: r.update };
  if (r.reasons[0]) row.reason = r.reasons[0];
  if (r.since !== undefined) row.since = r.since;
  if (r.parent !== undefined) row.parent = r.parent;
  return row;
}

/** Whether a resource is in a view's scope: a pure rule, shared by views and the CLI's overview. */
export function inScope(r: Resource, s: ViewScope, text = s.text?.trim().toLowerCase()): boolean {
  if (s.ids && !s.ids.includes(r.id)) return false;
  if (s.planes && !s.planes.includes(r.plane)) return false;
  if (s.endpoints && !s.endpoints.includes(r.endpoint)) return false;
  if (s.groups && !s.groups.includes(r.group.name)) return false;
  if (text && !r.name.toLowerCase().includes(text) && !r.group.name.toLowerCase().includes(text)) return false;
  return true;
}

/**
 * One subscriber's window on the model: a snapshot in chunks, then patches. Its queue holds at most one
 * value per resource (the latest), so a page that falls behind gets the newest state of everything
 * when it catches up, never a backlog, and the engine never waits for it.
 */
export class View {
  private scope: ViewScope;
  private text?: string;
  private level: ViewLevel;
  private readonly members = new Set<string>();
  private readonly pending = new Map<string, Resource | null>();
  private pendingEndpoints?: PlaneEndpoint[];
  private snapshotting = false;
  private generation = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly model: Model, scope: ViewScope, level: ViewLevel, private readonly sink: ViewSink, private readonly batchMs = VIEW_BATCH_MS) {
    this.scope = scope;
    this.text = scope.text?.trim().toLowerCase() || undefined;
    this.level = level;
    this.unsubscribe = model.subscribe((c) => this.onChange(c));
    this.snapshot();
  }

  /** A new scope or level: the page changed its filter or selection. A fresh snapshot follows. */
  update(scope?: ViewScope, level?: ViewLevel): void {
    if (scope) { this.scope = scope; this.text = scope.text?.trim().toLowerCase() || undefined; }
    if (level) this.level = level;
    this.snapshot();
  }

  close(): void {
    this.closed = true;
    this.generation++;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.pending.clear();
    this.members.clear();
  }

  private shape(r: Resource): Resource | ResourceRow { return this.level === 'full' ? r : toRow(r); }

  private snapshot(): void {
    const gen = ++this.generation;
    this.snapshotting = true;
    this.pending.clear();
    this.pendingEndpoints = undefined;
    this.members.clear();
    // Problems first, so the first chunk already shows what is broken.
    const bad: string[] = [];
    const good: string[] = [];
    for (const r of this.model.all()) {
      if (!inScope(r, this.scope, this.text)) continue;
      (SEVERITY_RANK[displayStatus(r)] < SEVERITY_RANK.ok ? bad : good).push(r.id);
    }
    const ids = bad.concat(good);
    const total = ids.length;
    let i = 0;
    let first = true;
    const next = () => {
      if (gen !== this.generation || this.closed) return;
      const upsert: Array<Resource | ResourceRow> = [];
      while (i < ids.length && upsert.length < SNAPSHOT_CHUNK) {
        const r = this.model.get(ids[i++]);
        if (!r) continue; // removed since the snapshot began
        this.members.add(r.id);
        upsert.push(this.shape(r));
      }
      const done = i >= ids.length;
      const item: ViewItem = { kind: 'snapshot', first, done, total, upsert };
      if (first) item.endpoints = this.model.endpoints();
      first = false;
      this.sink.push(item);
      if (done) { this.snapshotting = false; this.arm(); return; }
      // Let the engine breathe between chunks: other subscribers and planes run in between.
      setImmediate(next);
    };
    next();
  }

  private onChange(c: ModelChange): void {
    for (const r of c.upsert) {
      if (inScope(r, this.scope, this.text)) this.pending.set(r.id, r);
      else if (this.members.has(r.id)) this.pending.set(r.id, null);
    }
    for (const id of c.removed) if (this.members.has(id) || this.pending.has(id)) this.pending.set(id, null);
    if (c.endpoints) this.pendingEndpoints = c.endpoints;
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.snapshotting || this.closed) return;
    if (!this.pending.size && !this.pendingEndpoints) return;
    this.timer = setTimeout(() => this.flush(), this.batchMs);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed || this.snapshotting) return;
    if (this.sink.congested()) { this.arm(); return; }
    const upsert: Array<Resource | ResourceRow> = [];
    const remove: string[] = [];
    for (const [id, r] of this.pending) {
      if (r) { this.members.add(id); upsert.push(this.shape(r)); }
      else if (this.members.delete(id)) remove.push(id);
    }
    this.pending.clear();
    const item: ViewItem = { kind: 'patch', upsert, remove };
    if (this.pendingEndpoints) { item.endpoints = this.pendingEndpoints; this.pendingEndpoints = undefined; }
    if (upsert.length || remove.length || item.endpoints) this.sink.push(item);
  }
}
