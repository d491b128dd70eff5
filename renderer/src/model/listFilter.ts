import type { PlaneName } from '../../../shared/contract/domain';
import type { DisplayStatus } from '../../../shared/health/summary';

/** The status chips of the list. `not_applicable` is healthy for the operator, so it goes with ok. */
export type StatusChip = 'error' | 'warning' | 'pending' | 'unknown' | 'ok';
export const STATUS_CHIPS: readonly StatusChip[] = ['error', 'warning', 'pending', 'unknown', 'ok'];
export const chipOf = (s: DisplayStatus): StatusChip => (s === 'not_applicable' ? 'ok' : s);

/** What the operator narrowed the list to. Empty sets mean "all". */
export interface ListFilter {
  text: string;
  statuses: ReadonlySet<StatusChip>;
  planes: ReadonlySet<PlaneName>;
}
export const NO_FILTER: ListFilter = { text: '', statuses: new Set(), planes: new Set() };

export function isActive(f: ListFilter): boolean {
  return f.text.trim() !== '' || f.statuses.size > 0 || f.planes.size > 0;
}

/** A compiled filter: the text lowercased once, not per row. */
export interface RowMatcher { (e: { nameLc: string; status: DisplayStatus; plane: PlaneName }): boolean }

export function compileFilter(f: ListFilter): RowMatcher {
  const text = f.text.trim().toLowerCase();
  const { statuses, planes } = f;
  return (e) => (text === '' || e.nameLc.includes(text))
    && (statuses.size === 0 || statuses.has(chipOf(e.status)))
    && (planes.size === 0 || planes.has(e.plane));
}
