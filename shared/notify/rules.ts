import type { Reason, ResourceRow } from '../contract/domain';
import { displayStatus, type DisplayStatus } from '../health/summary';

// What is news about one resource, from two successive summaries of it. Notifications use the one
// summary (shared/health/summary.ts) the list and the CLI use, so a notification never calls red what
// the page shows as pending.

/** What the rules read of a resource: a row (the list's level) or a whole resource with all its reasons. */
export type Subject = Pick<ResourceRow, 'id' | 'name' | 'kind' | 'group' | 'runtime' | 'update' | 'reason'> & { reasons?: readonly Reason[] };

/** What the rules remember of a resource between two summaries. */
export interface Seen {
  status: DisplayStatus;
  /** Keys of the alerts firing on it (its own key when it is an alert). */
  alerts: ReadonlySet<string>;
}

export type Cause = 'red' | 'alert';

/** One piece of news about one resource. `key` is what repeats are counted by. */
export interface Notice {
  key: string;
  cause: Cause;
  resource: string;
  name: string;
  group: string;
  /** The reason it turned red, or the alert's words. */
  text?: string;
}

/**
 * An alert is a resource of kind `alert` (Prometheus and Alertmanager alerts as resources), or a reason
 * that names one: its `ref` is an alert's key (`prometheus/<endpoint>/alert/<name>…`, `alertmanager/…`,
 * any key with an `/alert/` or `/alerts/` segment) or its text starts with "alert" or "firing". A firing
 * alert is one whose severity is error or warning; an `info` reason is a pending alert, not news yet.
 */
export const isAlertKind = (kind: string): boolean => /(^|-)alert$/i.test(kind);
const ALERT_REF = /^(prometheus|alertmanager)\/|\/alerts?\//i;
const ALERT_TEXT = /^(alert|firing)\b/i;
export function isFiringAlertReason(r: Reason): boolean {
  if (r.severity === 'info') return false;
  return (r.ref !== undefined && ALERT_REF.test(r.ref)) || ALERT_TEXT.test(r.text);
}

/** The reasons known for a subject: all of them at the full level, the most severe at the rows level. */
function reasonsOf(s: Subject): readonly Reason[] {
  return s.reasons ?? (s.reason ? [s.reason] : []);
}

/** Shared by every resource with no alert firing (nearly all): 50,000 rows hold no 50,000 empty sets. */
const NO_ALERTS: ReadonlySet<string> = new Set();

export function summarize(s: Subject): Seen {
  const status = displayStatus(s);
  let alerts: Set<string> | undefined;
  if (isAlertKind(s.kind)) {
    if (status === 'error' || status === 'warning') alerts = new Set([alertKey(s.id)]);
  } else {
    for (const r of reasonsOf(s)) if (isFiringAlertReason(r)) (alerts ??= new Set()).add(reasonAlertKey(s.id, r));
  }
  return { status, alerts: alerts ?? NO_ALERTS };
}

/**
 * One alert has one key wherever it shows: its own resource (`prometheus/rig/alert/X-1a2b`) and the
 * reason it puts on the resources it concerns (ref `prometheus/rig/alert//X-1a2b`, the object key with its
 * empty namespace), so one alert firing is one notice, not one per place it is shown.
 */
export const alertKey = (idOrRef: string): string => idOrRef.replace(/\/{2,}/g, '/');
const reasonAlertKey = (resource: string, r: Reason): string => (r.ref !== undefined && ALERT_REF.test(r.ref) ? alertKey(r.ref) : `${resource}\u0000${r.text}`);

/**
 * The news between what was seen of a resource (`before`) and what it is now. A first sighting is
 * news only for an alert that became active after the console started (`startedAt`; an alert resource
 * appears when it goes active, and its `since` is that moment): a resource already red when the console
 * starts, or when its endpoint first answers, is shown, not announced. Neither is `unknown` → red: the
 * engine learned the state, it did not change.
 */
export function news(before: Seen | undefined, now: Seen, s: Subject & { since?: number }, startedAt = Number.POSITIVE_INFINITY): Notice[] {
  if (!before) {
    const fresh = isAlertKind(s.kind) && now.alerts.size > 0 && s.since !== undefined && s.since >= startedAt;
    if (!fresh) return [];
    before = { status: 'ok', alerts: NO_ALERTS };
  }
  const out: Notice[] = [];
  const group = s.group.name;
  // Red because of alerts alone: the alert's notice says it (once, however many resources it concerns).
  const errors = reasonsOf(s).filter((r) => r.severity === 'error');
  const byAlerts = errors.length > 0 && errors.every(isFiringAlertReason);
  if (!isAlertKind(s.kind) && !byAlerts && now.status === 'error' && before.status !== 'error' && before.status !== 'unknown') {
    out.push({ key: s.id, cause: 'red', resource: s.id, name: s.name, group, text: errors[0]?.text });
  }
  for (const k of now.alerts) {
    if (before.alerts.has(k)) continue;
    if (isAlertKind(s.kind)) {
      if (before.status === 'unknown') continue;
      out.push({ key: k, cause: 'alert', resource: s.id, name: s.name, group, text: s.reason?.text });
    } else {
      const r = reasonsOf(s).find((x) => isFiringAlertReason(x) && reasonAlertKey(s.id, x) === k);
      out.push({ key: k, cause: 'alert', resource: s.id, name: s.name, group, text: r?.text });
    }
  }
  return out;
}

/** Whether a notice still holds now: a resource back to green before anyone was told is not news. */
export function stillHolds(n: Notice, now: Seen | undefined): boolean {
  if (!now) return false;
  return n.cause === 'red' ? now.status === 'error' : now.alerts.has(n.key);
}

/** What one desktop notification says, and which resource a click on it selects. */
export interface NotificationText {
  title: string;
  body: string;
  /** Selected when the notification is clicked: the first resource in it. */
  resource: string;
  /** Every resource it speaks for. */
  resources: string[];
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** One notification for a group of notices: "20 resources turned red: a, b, c and 17 more". */
export function compose(notices: readonly Notice[], maxNames = 3): NotificationText {
  const resources = [...new Set(notices.map((n) => n.resource))];
  if (notices.length === 1) {
    const n = notices[0];
    const where = n.group && n.group !== n.name ? `${n.group}/${n.name}` : n.name;
    return n.cause === 'red'
      ? { title: `${n.name} turned red`, body: n.text ? `${where}: ${n.text}` : where, resource: n.resource, resources }
      : { title: `Alert firing on ${n.name}`, body: n.text ? `${where}: ${n.text}` : where, resource: n.resource, resources };
  }
  const red = notices.filter((n) => n.cause === 'red').length;
  const alerts = notices.length - red;
  const parts: string[] = [];
  if (red) parts.push(`${plural(red, 'resource', 'resources')} turned red`);
  if (alerts) parts.push(`${plural(alerts, 'alert', 'alerts')} started firing`);
  const names = [...new Set(notices.map((n) => n.name))];
  const shown = names.slice(0, maxNames).join(', ');
  const more = names.length - maxNames;
  return { title: parts.join(', '), body: more > 0 ? `${shown} and ${more} more` : shown, resource: notices[0].resource, resources };
}
