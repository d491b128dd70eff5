import type { Resource, ResourceRow, ViewItem } from '../contract/domain';
import { isMuted, type Mutes } from './mutes';
import { compose, news, stillHolds, summarize, type Notice, type NotificationText, type Seen } from './rules';

export interface NotifyOptions {
  /** Notices arriving within this long of the first one waiting go out as one notification. */
  groupMs: number;
  /** At most one notification per this gap: what comes meanwhile waits and joins the next one. */
  minGapMs: number;
  /** A resource (or alert) announced is not announced again for the same cause within this window: a flap says it once. */
  repeatMs: number;
  /** Names listed in a grouped notification before "and N more". */
  maxNames: number;
}

export const DEFAULT_NOTIFY: NotifyOptions = { groupMs: 4_000, minGapMs: 15_000, repeatMs: 10 * 60_000, maxNames: 3 };

interface Waiting extends Notice { at: number }

/**
 * Turns a `stack:watch` stream into desktop notifications: remembers each resource's last summary,
 * queues what is news, and hands out grouped, rate-limited notifications when they are due. No timers
 * and no clock of its own: the caller passes the clock and asks `dueAt()` when to call `take()`, so the
 * rules run the same in the page, the shell and the tests.
 */
export class Notifier {
  private readonly seen = new Map<string, Seen>();
  /** Notice key → when it was last announced (pruned after `repeatMs`). */
  private readonly announced = new Map<string, number>();
  /** By notice key: one resource going red, ok, red again while waiting is still one notice. */
  private readonly waiting = new Map<string, Waiting>();
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private readonly opts: NotifyOptions;
  /** When the console started: an alert that became active after it is news even at its first sighting. */
  private readonly startedAt: number;

  constructor(private readonly now: () => number, opts: Partial<NotifyOptions> = {}) {
    this.opts = { ...DEFAULT_NOTIFY, ...opts };
    this.startedAt = now();
  }

  /** One batch of the view's stream. Costs what the batch holds, never a scan of every resource. */
  observe(items: readonly ViewItem[]): void {
    for (const item of items) {
      if (item.kind === 'patch') for (const id of item.remove) this.forget(id);
      for (const r of item.upsert) this.upsert(r);
    }
  }

  upsert(r: ResourceRow | Resource): void {
    const before = this.seen.get(r.id);
    const now = summarize(r);
    this.seen.set(r.id, now);
    const at = this.now();
    for (const n of news(before, now, r, this.startedAt)) {
      if (this.recentlyAnnounced(n.key, at) || this.waiting.has(n.key)) continue;
      this.waiting.set(n.key, { ...n, at });
    }
  }

  /** A resource left the model: nothing more to say about it. */
  forget(id: string): void {
    this.seen.delete(id);
    for (const [k, n] of this.waiting) if (n.resource === id) this.waiting.delete(k);
  }

  /** When `take()` will have something to hand out, or undefined when nothing waits. */
  dueAt(): number | undefined {
    let first = Number.POSITIVE_INFINITY;
    for (const n of this.waiting.values()) first = Math.min(first, n.at);
    if (first === Number.POSITIVE_INFINITY) return undefined;
    return Math.max(first + this.opts.groupMs, this.lastSentAt + this.opts.minGapMs);
  }

  /**
   * The notification due now, if any: every waiting notice that still holds, is not muted and was not
   * announced within `repeatMs`, as one. Muted and recovered notices are dropped, not kept for later.
   */
  take(mutes: Mutes): NotificationText | undefined {
    const at = this.now();
    const due = this.dueAt();
    if (due === undefined || at < due) return undefined;
    const out: Notice[] = [];
    for (const n of this.waiting.values()) {
      if (!stillHolds(n, this.seen.get(n.resource))) continue;
      if (isMuted(mutes, n.resource, at) || this.recentlyAnnounced(n.key, at)) continue;
      out.push(n);
    }
    this.waiting.clear();
    for (const [k, t] of this.announced) if (at - t >= this.opts.repeatMs) this.announced.delete(k);
    if (out.length === 0) return undefined;
    for (const n of out) this.announced.set(n.key, at);
    this.lastSentAt = at;
    return compose(out, this.opts.maxNames);
  }

  /** Notices waiting to go out (for the page's "n waiting" and for tests). */
  get waitingCount(): number { return this.waiting.size; }

  private recentlyAnnounced(key: string, at: number): boolean {
    const t = this.announced.get(key);
    return t !== undefined && at - t < this.opts.repeatMs;
  }
}
