import type { PlaneEndpoint, PlaneName, ResourceRow, ViewItem } from '../../../shared/contract/domain';
import { displayStatus, emptyCounts, SEVERITY_RANK, worstOf, type DisplayStatus, type StatusCounts } from '../../../shared/health/summary';
import { compileFilter, isActive, NO_FILTER, type ListFilter, type RowMatcher } from './listFilter';
import { RecentChanges } from './recentChanges';
import { lowerBound, sortedIndexOf, sortedRemove, sortedUpsert } from './sorted';

/** A row as the store keeps it: the wire row plus what sorting and filtering need, computed once per change. */
export interface RowEntry {
  /** Sort key within a group: lowercased name, then id (unique). Compared with `<`. */
  readonly key: string;
  readonly row: ResourceRow;
  readonly status: DisplayStatus;
  readonly nameLc: string;
  readonly plane: PlaneName;
  readonly groupKey: string;
}

/** Resources of one group (compose project, namespace, host) on one endpoint. Mutated in place. */
export interface GroupState {
  readonly key: string;
  readonly name: string;
  readonly kind: string;
  readonly endpoint: string;
  readonly counts: StatusCounts;
  /** Every member, sorted by key: kept by binary insertion, never re-sorted. */
  readonly members: RowEntry[];
  /** Members that pass the list filter, while one is active; null until computed. */
  visible: RowEntry[] | null;
  /** SEVERITY_RANK of the worst member: problem groups first. */
  rank: number;
  readonly orderKey: string;
  /** Bumped whenever a member changes, so a header can tell it needs drawing again. */
  version: number;
}

export type ProblemStatus = 'error' | 'warning' | 'pending' | 'unknown';
const PROBLEM_STATUSES: readonly ProblemStatus[] = ['error', 'warning', 'pending', 'unknown'];
const isProblem = (s: DisplayStatus): s is ProblemStatus => s !== 'ok' && s !== 'not_applicable';

/** One line of the virtual list: a group header, or a resource under it. */
export type ListItem =
  | { kind: 'group'; group: GroupState; /** members passing the filter */ shown: number; collapsed: boolean }
  | { kind: 'row'; entry: RowEntry; group: GroupState };

/** A shown group in the flattened list: its header at `start`, then `rows` (none when collapsed). */
interface Block { group: GroupState; start: number; rows: readonly RowEntry[]; shown: number; collapsed: boolean }

/** What the last batch did: for tests and for the operator's curiosity, never for timing. */
export interface BatchStats { rows: number; groups: number }

export interface LoadState { started: boolean; done: boolean; received: number; total: number }

const NONE: readonly RowEntry[] = [];
const SEP = '\u0000';
const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The page's copy of a `stack:watch` rows view, for `useSyncExternalStore`. Everything is updated in
 * place per changed row (a Map of rows, per-group sorted members and counts, problem sets, totals), so a
 * batch costs what it changes, not what the store holds. The virtual list reads it by index through
 * `itemAt`, over blocks (one per shown group) rebuilt only when membership, order, filter or collapse change.
 */
export class StackStore {
  readonly rows = new Map<string, RowEntry>();
  readonly groups = new Map<string, GroupState>();
  endpoints: readonly PlaneEndpoint[] = [];
  private endpointById = new Map<string, PlaneEndpoint>();
  readonly counts: StatusCounts = emptyCounts();
  readonly byEndpoint = new Map<string, StatusCounts>();
  readonly byPlane = new Map<PlaneName, StatusCounts>();
  /** Ids of every resource that is not ok (nor not applicable), by status: the overview's table without a scan. */
  readonly problems: Record<ProblemStatus, Set<string>> = { error: new Set(), warning: new Set(), pending: new Set(), unknown: new Set() };
  readonly recent = new RecentChanges(100);
  loading: LoadState = { started: false, done: false, received: 0, total: 0 };
  filter: ListFilter = NO_FILTER;
  lastBatch: BatchStats = { rows: 0, groups: 0 };
  /** How often the list's blocks were rebuilt: tests check a status change alone does not. */
  blockRebuilds = 0;

  private match: RowMatcher | null = null;
  private readonly collapsed = new Set<string>();
  private order: GroupState[] = [];
  private orderDirty = false;
  private blocks: Block[] = [];
  private blockOf = new Map<string, Block>();
  private blocksDirty = false;
  private size = 0;
  private matched = 0;
  private readonly touched = new Set<GroupState>();
  private version = 0;
  private metaVersion = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly now: () => number = Date.now) {}

  // --- for useSyncExternalStore (arrow functions: stable identities) ---
  subscribe = (fn: () => void): (() => void) => { this.listeners.add(fn); return () => { this.listeners.delete(fn); }; };
  /** Changes on every applied batch and every filter or collapse change. */
  getVersion = (): number => this.version;
  /** Changes only when endpoints or loading progress change: what the frame of the page needs. */
  getMetaVersion = (): number => this.metaVersion;

  private emit(meta = false): void {
    this.version++;
    if (meta) this.metaVersion++;
    for (const fn of this.listeners) fn();
  }

  // --- applying the view's stream ---

  /** Applies one batch of view items, then notifies once. */
  apply(items: readonly ViewItem[]): void {
    this.touched.clear();
    let rows = 0;
    let meta = false;
    for (const item of items) {
      if (item.kind === 'snapshot') {
        if (item.first) { this.reset(); this.loading = { started: true, done: false, received: 0, total: item.total }; }
        for (const r of item.upsert) this.upsert(r, true);
        this.loading = { started: true, done: item.done, received: this.loading.received + item.upsert.length, total: item.total };
        rows += item.upsert.length;
        meta = true;
      } else {
        for (const id of item.remove) this.remove(id);
        for (const r of item.upsert) this.upsert(r, false);
        rows += item.remove.length + item.upsert.length;
      }
      if (item.endpoints) { this.setEndpoints(item.endpoints); meta = true; }
    }
    for (const g of this.touched) {
      g.version++;
      const rank = SEVERITY_RANK[worstOf(g.counts) ?? 'ok'];
      if (rank !== g.rank) { g.rank = rank; this.orderDirty = true; }
    }
    this.lastBatch = { rows, groups: this.touched.size };
    this.touched.clear();
    this.emit(meta);
  }

  private reset(): void {
    this.rows.clear();
    this.groups.clear();
    Object.assign(this.counts, emptyCounts());
    this.byEndpoint.clear();
    this.byPlane.clear();
    for (const s of PROBLEM_STATUSES) this.problems[s].clear();
    this.recent.clear();
    this.orderDirty = true;
  }

  private setEndpoints(eps: readonly PlaneEndpoint[]): void {
    this.endpoints = eps;
    this.endpointById = new Map(eps.map((e) => [e.id, e]));
  }

  private upsert(r: ResourceRow, seeding: boolean): void {
    const old = this.rows.get(r.id);
    const nameLc = r.name.toLowerCase();
    const groupKey = r.endpoint + SEP + r.group.name;
    const e: RowEntry = { key: nameLc + SEP + r.id, row: r, status: displayStatus(r), nameLc, plane: r.plane, groupKey };
    this.rows.set(r.id, e);
    if (old && old.groupKey === e.groupKey && old.key === e.key) this.replace(old, e);
    else {
      if (old) this.leave(old);
      this.join(e);
    }
    if (seeding) {
      if (r.since !== undefined) this.recent.record({ id: r.id, name: r.name, group: r.group.name, to: e.status, at: r.since });
    } else if (!old || old.status !== e.status) {
      this.recent.record({ id: r.id, name: r.name, group: r.group.name, from: old?.status, to: e.status, at: r.since ?? this.now() });
    }
  }

  private remove(id: string): void {
    const old = this.rows.get(id);
    if (!old) return;
    this.rows.delete(id);
    this.leave(old);
    this.recent.forget(id);
  }

  /** Same place in the same group (the common case: a status change): no insertion, no block rebuild. */
  private replace(old: RowEntry, e: RowEntry): void {
    const g = this.groups.get(e.groupKey)!;
    this.tally(old, -1);
    this.tally(e, +1);
    g.members[lowerBound(g.members, e.key)] = e;
    if (g.visible && this.match) {
      const was = this.match(old);
      const is = this.match(e);
      if (was && is) g.visible[lowerBound(g.visible, e.key)] = e;
      else if (was) { sortedRemove(g.visible, e.key); this.blocksDirty = true; }
      else if (is) { sortedUpsert(g.visible, e); this.blocksDirty = true; }
    }
    this.touched.add(g);
  }

  private join(e: RowEntry): void {
    let g = this.groups.get(e.groupKey);
    if (!g) {
      const { name, kind } = e.row.group;
      g = { key: e.groupKey, name, kind, endpoint: e.row.endpoint, counts: emptyCounts(), members: [], visible: null, rank: SEVERITY_RANK.ok, orderKey: name.toLowerCase() + SEP + e.row.endpoint, version: 0 };
      this.groups.set(g.key, g);
      this.orderDirty = true;
    }
    sortedUpsert(g.members, e);
    if (g.visible && this.match?.(e)) sortedUpsert(g.visible, e);
    this.tally(e, +1);
    this.touched.add(g);
    this.blocksDirty = true;
  }

  private leave(e: RowEntry): void {
    const g = this.groups.get(e.groupKey)!;
    sortedRemove(g.members, e.key);
    if (g.visible) sortedRemove(g.visible, e.key);
    this.tally(e, -1);
    this.blocksDirty = true;
    if (g.members.length === 0) { this.groups.delete(g.key); this.touched.delete(g); this.orderDirty = true; }
    else this.touched.add(g);
  }

  /** Counts everywhere a row is counted: its group, the totals, its endpoint and plane, the problem sets. */
  private tally(e: RowEntry, d: 1 | -1): void {
    this.groups.get(e.groupKey)!.counts[e.status] += d;
    this.counts[e.status] += d;
    let ep = this.byEndpoint.get(e.row.endpoint);
    if (!ep) this.byEndpoint.set(e.row.endpoint, (ep = emptyCounts()));
    ep[e.status] += d;
    let pl = this.byPlane.get(e.plane);
    if (!pl) this.byPlane.set(e.plane, (pl = emptyCounts()));
    pl[e.status] += d;
    if (isProblem(e.status)) {
      if (d > 0) this.problems[e.status].add(e.row.id);
      else this.problems[e.status].delete(e.row.id);
    }
  }

  // --- what the page reads ---

  endpoint(id: string): PlaneEndpoint | undefined { return this.endpointById.get(id); }
  /** Whether group labels must name their endpoint (two Docker engines may both have a project "shop"). */
  manyEndpoints(): boolean { return Math.max(this.endpoints.length, this.byEndpoint.size) > 1; }

  /** Problem rows, worst first, at most `limit` of them; sorting only what is shown. */
  problemRows(limit: number): { rows: RowEntry[]; total: number } {
    const rows: RowEntry[] = [];
    let total = 0;
    for (const s of PROBLEM_STATUSES) {
      total += this.problems[s].size;
      const from = rows.length;
      for (const id of this.problems[s]) {
        if (rows.length >= limit) break;
        rows.push(this.rows.get(id)!);
      }
      if (rows.length - from > 1) {
        const part = rows.splice(from).sort(byKey);
        rows.push(...part);
      }
    }
    return { rows, total };
  }

  // --- the list: filter, collapse, flattening ---

  setFilter(f: Partial<ListFilter>): void {
    this.filter = { ...this.filter, ...f };
    this.match = isActive(this.filter) ? compileFilter(this.filter) : null;
    for (const g of this.groups.values()) g.visible = null;
    this.blocksDirty = true;
    this.emit();
  }

  isCollapsed(groupKey: string): boolean { return this.collapsed.has(groupKey); }

  /** An arrow function: a stable prop for memoized headers. */
  toggleCollapsed = (groupKey: string): void => {
    if (!this.collapsed.delete(groupKey)) this.collapsed.add(groupKey);
    this.blocksDirty = true;
    this.emit();
  };

  setAllCollapsed(collapse: boolean): void {
    if (collapse) for (const k of this.groups.keys()) this.collapsed.add(k);
    else this.collapsed.clear();
    this.blocksDirty = true;
    this.emit();
  }

  /** Lines in the virtual list: group headers plus the rows of expanded groups. */
  listSize(): number { this.ensureBlocks(); return this.size; }
  /** Resources passing the filter, collapsed or not. */
  matchedCount(): number { this.ensureBlocks(); return this.matched; }

  itemAt(i: number): ListItem | undefined {
    this.ensureBlocks();
    if (i < 0 || i >= this.size) return undefined;
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.blocks[mid].start <= i) lo = mid;
      else hi = mid - 1;
    }
    const b = this.blocks[lo];
    if (i === b.start) return { kind: 'group', group: b.group, shown: b.shown, collapsed: b.collapsed };
    return { kind: 'row', entry: b.rows[i - b.start - 1], group: b.group };
  }

  /** A stable key for the virtualizer: the id or group key at that index. */
  keyAt(i: number): string {
    const it = this.itemAt(i);
    return !it ? `#${i}` : it.kind === 'group' ? `g:${it.group.key}` : it.entry.row.id;
  }

  /** Index of a resource's row in the list, or -1 when filtered out or in a collapsed group. */
  indexOf(id: string): number {
    this.ensureBlocks();
    const e = this.rows.get(id);
    const b = e && this.blockOf.get(e.groupKey);
    if (!e || !b) return -1;
    const k = sortedIndexOf(b.rows, e.key);
    return k < 0 ? -1 : b.start + 1 + k;
  }

  /**
   * The resource `delta` rows away from `from` among shown rows, skipping group headers. From nothing
   * (or from a row that is not shown) it starts at the first row. Stays put at either end.
   */
  step(from: string | undefined, delta: 1 | -1): string | undefined {
    const at = from === undefined ? -1 : this.indexOf(from);
    let i = at < 0 ? 0 : at + delta;
    const d = at < 0 ? 1 : delta;
    for (; i >= 0 && i < this.size; i += d) {
      const it = this.itemAt(i)!;
      if (it.kind === 'row') return it.entry.row.id;
    }
    return at < 0 ? undefined : from;
  }

  private ensureBlocks(): void {
    if (this.orderDirty) {
      this.order = [...this.groups.values()].sort((a, b) => a.rank - b.rank || (a.orderKey < b.orderKey ? -1 : a.orderKey > b.orderKey ? 1 : 0));
      this.orderDirty = false;
      this.blocksDirty = true;
    }
    if (!this.blocksDirty) return;
    this.blockRebuilds++;
    this.blocks = [];
    this.blockOf.clear();
    let at = 0;
    let matched = 0;
    for (const g of this.order) {
      let rows: readonly RowEntry[] = g.members;
      if (this.match) {
        g.visible ??= g.members.filter(this.match);
        rows = g.visible;
        if (rows.length === 0) continue;
      }
      matched += rows.length;
      const collapsed = this.collapsed.has(g.key);
      const b: Block = { group: g, start: at, rows: collapsed ? NONE : rows, shown: rows.length, collapsed };
      this.blocks.push(b);
      this.blockOf.set(g.key, b);
      at += 1 + b.rows.length;
    }
    this.size = at;
    this.matched = matched;
    this.blocksDirty = false;
  }
}
