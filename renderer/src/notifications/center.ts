import type { ViewItem } from '../../../shared/contract/domain';
import { Notifier, type NotifyOptions } from '../../../shared/notify/notifier';
import type { NotificationText } from '../../../shared/notify/rules';
import type { Delivery, Permission } from './delivery';
import type { MuteStore } from './mutesStore';

/**
 * The page's notifications: the view's batches go to the pure rules (shared/notify), and one timer, set
 * only while something waits, hands the due notification to the desktop. Nothing polls.
 */
export class NotificationCenter {
  private readonly notifier: Notifier;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt: number | undefined;
  private perm: Permission;
  private version = 0;
  private readonly listeners = new Set<() => void>();
  /** The operator asked and the browser's question was dismissed (or never shown): said, and askable again. */
  dismissed = false;
  /** The browser's question is open (it waits for the operator's answer in the browser's own prompt). */
  asking = false;
  /** The last notification given to the desktop, for the control's tooltip. */
  last: NotificationText | undefined;
  /** Why the last notification could not be shown (the browser's constructor or the shell refused it), said in the topbar. */
  failed: string | undefined;

  constructor(readonly delivery: Delivery, readonly mutes: MuteStore, opts: Partial<NotifyOptions> = {}, private readonly now: () => number = Date.now) {
    this.notifier = new Notifier(now, opts);
    this.perm = delivery.permission();
  }

  subscribe = (fn: () => void): (() => void) => { this.listeners.add(fn); return () => { this.listeners.delete(fn); }; };
  getVersion = (): number => this.version;
  permission(): Permission { return this.perm; }

  observe(items: readonly ViewItem[]): void {
    this.notifier.observe(items);
    this.schedule();
  }

  /** From the operator's click, never on load: browsers (rightly) distrust a page that asks unprompted. */
  async requestPermission(): Promise<Permission> {
    this.asking = true;
    this.changed();
    this.perm = await this.delivery.request().catch(() => this.delivery.permission());
    this.asking = false;
    this.dismissed = this.perm === 'default';
    this.changed();
    return this.perm;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }

  private schedule(): void {
    const due = this.notifier.dueAt();
    if (due === undefined) return;
    // A hidden tab's timers may be held back for a minute; the engine's batches are not, so a batch that
    // arrives after the moment hands the notification out at once.
    if (due <= this.now()) { this.stop(); this.fire(); return; }
    if (due === this.timerAt) return;
    this.stop();
    this.timerAt = due;
    this.timer = setTimeout(() => { this.timer = undefined; this.timerAt = undefined; this.fire(); }, Math.max(0, due - this.now()));
  }

  private fire(): void {
    const n = this.notifier.take(this.mutes.get());
    // The browser's permission can change in its settings at any time: read it again before each one.
    this.perm = this.delivery.permission();
    if (n && this.perm === 'granted') {
      // A browser that grants the permission may still refuse `new Notification` (some allow it only from a
      // service worker): said in the topbar, and the page's batches go on.
      try {
        this.delivery.show(n);
        this.last = n;
        this.failed = undefined;
      } catch (e) {
        this.failed = `"${n.title}" could not be shown: ${(e as Error).message}`;
      }
    }
    this.changed();
    this.schedule();
  }

  private changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }
}
