import type { Resource } from '../../../shared/contract/domain';

const LABEL: Record<Resource['runtime'], string> = { ok: 'healthy', warning: 'warning', error: 'error', pending: 'pending', unknown: 'unknown' };

export function StatusDot({ status }: { status: Resource['runtime'] }) {
  return <span className={`dot dot-${status}`} role="img" aria-label={LABEL[status]} title={LABEL[status]} />;
}
