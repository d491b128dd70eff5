import type { ResourceRow, RuntimeStatus, UpdateStatus } from '../contract/domain';

// The one summary of a resource's health, used by the CLI, the page and notifications alike, so that
// they never disagree about what "in progress" or "not applicable" means.

/** What a status dot shows. `not_applicable` things (secrets, claims, pools) are fine unless a reason says otherwise. */
export type DisplayStatus = 'error' | 'warning' | 'pending' | 'unknown' | 'ok' | 'not_applicable';

/** Tilt's rule: a failed or running update wins over the runtime status. */
export function displayStatus(r: { runtime: RuntimeStatus; update: UpdateStatus }): DisplayStatus {
  if (r.update === 'error') return 'error';
  if (r.update === 'in_progress' || r.update === 'pending') return 'pending';
  return r.runtime;
}

/** Worst first: the order of the overview's problem table and of groups in the list. */
export const SEVERITY_RANK: Record<DisplayStatus, number> = { error: 0, warning: 1, pending: 2, unknown: 3, ok: 4, not_applicable: 5 };

/** Healthy for an exit code or a notification: ok, or nothing to run. Pending and unknown are not healthy. */
export function isHealthy(r: { runtime: RuntimeStatus; update: UpdateStatus }): boolean {
  const s = displayStatus(r);
  return s === 'ok' || s === 'not_applicable';
}

export type StatusCounts = Record<DisplayStatus, number>;
export const emptyCounts = (): StatusCounts => ({ error: 0, warning: 0, pending: 0, unknown: 0, ok: 0, not_applicable: 0 });

export function countStatuses(rows: Iterable<Pick<ResourceRow, 'runtime' | 'update'>>): StatusCounts {
  const c = emptyCounts();
  for (const r of rows) c[displayStatus(r)]++;
  return c;
}

/** Worst status among counts, for a group's dot. */
export function worstOf(c: StatusCounts): DisplayStatus | undefined {
  let best: DisplayStatus | undefined;
  for (const k of Object.keys(c) as DisplayStatus[]) if (c[k] > 0 && (best === undefined || SEVERITY_RANK[k] < SEVERITY_RANK[best])) best = k;
  return best;
}

/** One line for a whole stack: "3 error · 1 warning · 40 ok". */
export function summaryLine(c: StatusCounts): string {
  const parts = (Object.keys(c) as DisplayStatus[]).filter((k) => c[k] > 0).sort((a, b) => SEVERITY_RANK[a] - SEVERITY_RANK[b]).map((k) => `${c[k]} ${k.replace('_', ' ')}`);
  return parts.length ? parts.join(' · ') : 'nothing found';
}
