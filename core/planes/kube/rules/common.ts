import type { Reason, RuntimeStatus, Severity } from '../../../../shared/contract/domain';

/** One thing an operator reads about a resource, with the store key of the object it comes from. */
export type Finding = Reason;

/** A status and its reasons, most severe first, and when the wording changes by itself. */
export interface Health {
  runtime: RuntimeStatus;
  reasons: Finding[];
  recheckAt?: number;
}

export const err = (text: string, ref?: string): Finding => (ref ? { text, severity: 'error', ref } : { text, severity: 'error' });
export const warn = (text: string, ref?: string): Finding => (ref ? { text, severity: 'warning', ref } : { text, severity: 'warning' });
export const info = (text: string, ref?: string): Finding => (ref ? { text, severity: 'info', ref } : { text, severity: 'info' });

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
/** Most severe first; the order among equals is kept (sort is stable). */
export const bySeverity = (rs: Finding[]): Finding[] => rs.sort((a, b) => RANK[a.severity] - RANK[b.severity]);

const STATUS_RANK: Record<RuntimeStatus, number> = { error: 0, warning: 1, pending: 2, unknown: 3, ok: 4, not_applicable: 5 };
/** The worse of two runtime statuses (error over warning over pending over unknown over ok). */
export const worse = (a: RuntimeStatus, b: RuntimeStatus): RuntimeStatus => (STATUS_RANK[b] < STATUS_RANK[a] ? b : a);

/** The earlier of two optional times. */
export const earliest = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

const MAX_TEXT = 300;
/** One line, at most 300 characters: a probe's output or a termination message can be a whole stack trace. */
export function clip(s: string, max = MAX_TEXT): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? one.slice(0, max) + '…' : one;
}

export const plural = (n: number, word: string, many = word + 's') => `${n} ${n === 1 ? word : many}`;

const MINUTE = 60_000;
/**
 * "less than a minute ago", "3 min ago", "2 h ago": buckets, so a list is not re-sent every second for a
 * wording change nobody reads. Returns the wording and when it next changes.
 */
export function ago(since: number, now: number): { text: string; changesAt: number } {
  const minutes = Math.max(0, Math.floor((now - since) / MINUTE));
  if (minutes < 60) return { text: minutes === 0 ? 'less than a minute ago' : `${minutes} min ago`, changesAt: since + (minutes + 1) * MINUTE };
  const hours = Math.floor(minutes / 60);
  return { text: `${hours} h ago`, changesAt: since + (hours + 1) * 60 * MINUTE };
}

export const parseTime = (t: string | undefined): number | undefined => {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
};
