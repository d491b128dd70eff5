import type { DisplayStatus } from '../../../shared/health/summary';

/** One resource whose status changed; `from` is absent when it was seeded from a snapshot or just appeared. */
export interface RecentChange {
  id: string;
  name: string;
  group: string;
  from?: DisplayStatus;
  to: DisplayStatus;
  /** ms since epoch: the engine's `since` when it gave one, else when the page saw the change. */
  at: number;
}

/**
 * The overview's "changed recently": newest first, one entry per resource (its latest change), at most
 * `cap` of them. Kept by insertion, never by sorting what the store holds.
 */
export class RecentChanges {
  private readonly list: RecentChange[] = [];
  private readonly byId = new Map<string, RecentChange>();

  constructor(readonly cap = 100) {}

  entries(): readonly RecentChange[] { return this.list; }

  record(c: RecentChange): void {
    const full = this.list.length >= this.cap;
    // Older than everything kept, with no room: the snapshot's long-stable resources end here, cheaply.
    if (full && !this.byId.has(c.id) && c.at <= this.list[this.list.length - 1].at) return;
    this.forget(c.id);
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (this.list[mid].at >= c.at) lo = mid + 1; else hi = mid; }
    this.list.splice(lo, 0, c);
    this.byId.set(c.id, c);
    if (this.list.length > this.cap) this.byId.delete(this.list.pop()!.id);
  }

  forget(id: string): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.byId.delete(id);
    this.list.splice(this.list.indexOf(old), 1);
  }

  clear(): void { this.list.length = 0; this.byId.clear(); }
}
