import type { DisplayStatus } from '../../../shared/health/summary';

const LABEL: Record<DisplayStatus, string> = { ok: 'healthy', warning: 'warning', error: 'error', pending: 'pending', unknown: 'unknown', not_applicable: 'not applicable' };

export function StatusDot({ status }: { status: DisplayStatus }) {
  return <span className={`dot dot-${status}`} role="img" aria-label={LABEL[status]} title={LABEL[status]} />;
}

export const statusLabel = (s: DisplayStatus): string => LABEL[s];
