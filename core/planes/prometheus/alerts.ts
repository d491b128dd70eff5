import { createHash } from 'node:crypto';
import type { ActionSpec, Reason, RuntimeStatus, Severity } from '../../../shared/contract/domain';
import type { Annotation, Derived, ModelObject, PlaneRules } from '../../model/object';
import type { AmAlert, AmSilence, PromAlert } from './client';
import { utcText } from '../../../shared/text/utc';

/**
 * Alerts as the model holds them, by pure rules. One `alert` object per alert (alertname + labels) of one
 * Prometheus endpoint: its resource is `prometheus/<name>/alert/<alertname>-<hash>` (one list of every
 * alert, group = the Prometheus), and it binds also to the resources its labels name (targets.ts), where
 * `annotate` turns it into a reason: error for a critical/error/page severity, warning otherwise, info
 * while pending or silenced; "since" is when it became active.
 */

export const ALERT_KIND = 'alert';

export interface AlertSilence { id: string; until: number; by: string; comment: string }

export interface AlertData {
  alertname: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'firing' | 'pending';
  /** ms since epoch: when its expression first held (Prometheus), or when Alertmanager saw it start. */
  activeAt?: number;
  /** The value that made it fire, as Prometheus formats it. */
  value?: string;
  /** Where it was seen: Prometheus's rule evaluation, Alertmanager, or both. */
  seenIn: ('prometheus' | 'alertmanager')[];
  silenced?: AlertSilence;
  inhibited?: boolean;
  /** Resource ids of other planes it is about (targets.ts), computed when it was read. */
  targets: string[];
  /** The Prometheus endpoint's name, for words. */
  source: string;
  /** Alertmanager's URL from here when one was read: the alert can be silenced there. */
  alertmanager?: string;
}

/** A short stable name: alertname plus a hash of its other labels (label values may hold '/'). */
export function alertObjectName(labels: Readonly<Record<string, string>>): string {
  const rest = Object.keys(labels).filter((k) => k !== 'alertname').sort().map((k) => `${k}=${labels[k]}`).join('\n');
  return `${labels.alertname ?? 'alert'}-${createHash('sha256').update(rest).digest('hex').slice(0, 10)}`;
}

export const alertResourceId = (endpoint: string, name: string) => `${endpoint}/${ALERT_KIND}/${name}`;

const parseTime = (s: string | undefined): number | undefined => {
  if (!s || s.startsWith('0001-')) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
};

/** True when every label of `a` is in `b` with the same value (Alertmanager adds external labels). */
function labelsWithin(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  for (const k of Object.keys(a)) if (b[k] !== a[k]) return false;
  return true;
}

/**
 * Prometheus's active alerts joined with Alertmanager's (when there is one): an alert both know is one
 * alert, with Alertmanager's silence; one only Alertmanager holds (another Prometheus's, a resolved one
 * still in its group) is listed too when active or silenced. Pure.
 */
export function mergeAlerts(prom: readonly PromAlert[], am: readonly AmAlert[] | undefined, silences: readonly AmSilence[] | undefined, now: number): Omit<AlertData, 'targets' | 'source'>[] {
  const byId = new Map((silences ?? []).map((s) => [s.id, s]));
  const silenceOf = (a: AmAlert): AlertSilence | undefined => {
    for (const id of a.status.silencedBy ?? []) {
      const s = byId.get(id);
      if (!s) return { id, until: 0, by: '', comment: '' };
      const until = parseTime(s.endsAt) ?? 0;
      if (s.status.state === 'active' && until > now) return { id, until, by: s.createdBy, comment: s.comment };
    }
    return undefined;
  };
  const out: Omit<AlertData, 'targets' | 'source'>[] = [];
  const usedAm = new Set<number>();
  for (const p of prom) {
    if (p.state !== 'firing' && p.state !== 'pending') continue;
    const i = am ? am.findIndex((a, j) => !usedAm.has(j) && labelsWithin(p.labels, a.labels)) : -1;
    const a = i >= 0 ? am![i] : undefined;
    if (a) usedAm.add(i);
    const silenced = a && silenceOf(a);
    out.push({
      alertname: p.labels.alertname ?? '(no alertname)', labels: p.labels, annotations: p.annotations ?? {}, state: p.state,
      ...(parseTime(p.activeAt) !== undefined ? { activeAt: parseTime(p.activeAt) } : {}),
      ...(p.value !== undefined ? { value: p.value } : {}),
      seenIn: a ? ['prometheus', 'alertmanager'] : ['prometheus'],
      ...(silenced ? { silenced } : {}),
      ...(a?.status.inhibitedBy?.length ? { inhibited: true } : {}),
    });
  }
  (am ?? []).forEach((a, j) => {
    if (usedAm.has(j)) return;
    const endsAt = parseTime(a.endsAt);
    if (endsAt !== undefined && endsAt <= now) return;
    const silenced = silenceOf(a);
    out.push({
      alertname: a.labels.alertname ?? '(no alertname)', labels: a.labels, annotations: a.annotations ?? {}, state: 'firing',
      ...(parseTime(a.startsAt) !== undefined ? { activeAt: parseTime(a.startsAt) } : {}),
      seenIn: ['alertmanager'],
      ...(silenced ? { silenced } : {}),
      ...(a.status.inhibitedBy?.length ? { inhibited: true } : {}),
    });
  });
  return out;
}

/** error for critical/error/page, warning for warning (and no severity), info for info/none. */
export function severityOf(labels: Readonly<Record<string, string>>): Severity {
  const s = (labels.severity ?? labels.priority ?? '').toLowerCase();
  if (['critical', 'error', 'page', 'high', 'p1', 'p2'].includes(s)) return 'error';
  if (['info', 'none', 'low', 'informational'].includes(s)) return 'info';
  return 'warning';
}

/** Prometheus writes values as Go floats ("8.8201904296875e+01"): 4 significant digits read better (88.2). */
export function readableValue(v: string): string {
  const n = Number(v);
  if (!Number.isFinite(n)) return v;
  return Math.abs(n) >= 1e6 || (n !== 0 && Math.abs(n) < 1e-3) ? n.toPrecision(4) : String(Number(n.toPrecision(4)));
}

/** "Container memory-pressure is close to its memory limit", else the alert's name and its telling labels. */
export function summaryOf(d: Pick<AlertData, 'alertname' | 'labels' | 'annotations'>): string {
  const s = d.annotations.summary ?? d.annotations.message ?? d.annotations.description;
  if (s) return s;
  const tell = ['name', 'pod', 'container', 'host', 'instance', 'job'].map((k) => d.labels[k]).filter(Boolean);
  return tell.length ? tell.join(' ') : d.alertname;
}

/**
 * The reason an alert puts on a resource (its own and the ones it concerns). Times are absolute, so the
 * words do not age and nothing re-derives on a clock; the resource's `since` gives the relative age.
 */
export function alertReason(d: AlertData, ref: string): Reason {
  const since = d.activeAt !== undefined ? ` since ${utcText(d.activeAt)}` : '';
  if (d.silenced) {
    const until = d.silenced.until ? ` until ${utcText(d.silenced.until)}` : '';
    const by = d.silenced.by ? ` by ${d.silenced.by}` : '';
    const why = d.silenced.comment ? `: ${d.silenced.comment}` : '';
    return { text: `Alert ${d.alertname} (silenced${until}${by}${why}): ${summaryOf(d)}; ${d.state}${since}`, severity: 'info', ref };
  }
  if (d.state === 'pending') return { text: `Alert ${d.alertname} pending${since}: ${summaryOf(d)}`, severity: 'info', ref };
  const sev = severityOf(d.labels);
  return { text: `Alert ${d.alertname} firing${since}: ${summaryOf(d)}${d.inhibited ? ' (inhibited in Alertmanager)' : ''}`, severity: sev, ref };
}

const runtimeOf = (s: Severity): RuntimeStatus => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'ok');

export const SILENCE_ACTION = 'silence';
export const EXPIRE_SILENCE_ACTION = 'expire-silence';
/** The longest silence offered: a week; longer is a rule to change, not an alert to quiet. */
export const SILENCE_MAX_HOURS = 168;

/** Silence (for a number of hours) where Alertmanager was read; a silenced alert offers to end its silence. */
export function alertActions(d: AlertData): ActionSpec[] {
  if (!d.alertmanager) return [];
  if (d.silenced) return [{ id: EXPIRE_SILENCE_ACTION, label: 'Expire silence', destructive: false, confirm: 'confirm' }];
  return [{ id: SILENCE_ACTION, label: 'Silence', destructive: false, confirm: 'confirm', input: { kind: 'number', label: 'Hours', min: 1, max: SILENCE_MAX_HOURS, default: 2 } }];
}

/** The alert's own resource in the list of alerts. */
export function deriveAlert(id: string, o: ModelObject<AlertData>): Derived {
  const d = o.data;
  const ref = `${o.endpoint}/${o.kind}/${o.ns}/${o.name}`;
  const reason = alertReason(d, ref);
  const runtime: RuntimeStatus = d.silenced ? 'ok' : d.state === 'pending' ? 'pending' : runtimeOf(reason.severity);
  const facts: Record<string, string> = {
    alert: d.alertname,
    state: d.silenced ? `${d.state}, silenced` : d.state,
    severity: d.labels.severity ?? '(none)',
    summary: summaryOf(d),
    source: `${d.source} (${d.seenIn.join(' and ')})`,
  };
  if (d.annotations.description) facts.description = d.annotations.description;
  if (d.value !== undefined) facts.value = readableValue(d.value);
  if (d.activeAt !== undefined) facts.since = utcText(d.activeAt);
  if (d.silenced) {
    facts.silenced = `${d.silenced.until ? `until ${utcText(d.silenced.until)}` : 'yes'}${d.silenced.by ? ` by ${d.silenced.by}` : ''}${d.silenced.comment ? `: ${d.silenced.comment}` : ''}`;
    facts.silence = d.silenced.id;
  }
  if (d.inhibited) facts.inhibited = 'yes';
  for (const [k, v] of Object.entries(d.labels)) if (k !== 'alertname' && k !== 'severity') facts[`label ${k}`] = v;
  for (const [k, v] of Object.entries(d.annotations)) if (k !== 'summary' && k !== 'description') facts[`annotation ${k}`] = v;
  if (d.targets.length) facts.concerns = d.targets.join(', ');
  const tell = d.labels.name ?? d.labels.pod ?? d.labels.host ?? d.labels.instance ?? d.labels.job;
  return {
    resource: {
      id, name: tell ? `${d.alertname} ${tell}` : d.alertname, kind: ALERT_KIND, plane: 'prometheus', endpoint: o.endpoint,
      group: { kind: 'alerts', name: `${d.source} alerts` }, runtime, reason, reasons: [reason], facts, actions: alertActions(d),
      ...(d.activeAt !== undefined ? { stateSince: d.activeAt } : {}),
    },
  };
}

/** Reasons alerts put on a resource of another plane; the worst firing one sets how bad it looks. */
export function annotateWithAlerts(objects: readonly ModelObject[]): Annotation | undefined {
  const alerts = objects.filter((o) => o.kind === ALERT_KIND) as ModelObject<AlertData>[];
  if (!alerts.length) return undefined;
  const reasons = alerts.map((o) => alertReason(o.data, `${o.endpoint}/${o.kind}/${o.ns}/${o.name}`));
  const order = { error: 0, warning: 1, info: 2 } as const;
  reasons.sort((a, b) => order[a.severity] - order[b.severity] || a.text.localeCompare(b.text));
  const worst = reasons[0]!.severity;
  return { reasons, ...(worst !== 'info' ? { runtime: runtimeOf(worst) } : {}) };
}

export const prometheusRules: PlaneRules = {
  bind(obj) {
    if (obj.kind !== ALERT_KIND) return [];
    const d = obj.data as AlertData;
    return [alertResourceId(obj.endpoint, obj.name), ...d.targets];
  },
  derive(id, objects) {
    const o = objects.find((x) => x.kind === ALERT_KIND && alertResourceId(x.endpoint, x.name) === id) as ModelObject<AlertData> | undefined;
    return o ? deriveAlert(id, o) : undefined;
  },
  annotate(_id, objects) { return annotateWithAlerts(objects); },
};
