import './PoolBar.css';
import type { ResourceRow } from '../../../shared/contract/domain';

/** A pool's occupied slots of its size, from the words the airflow rules give its row ("2 of 3 slots in use"). */
export function poolOccupancy(r: Pick<ResourceRow, 'plane' | 'kind' | 'reason'>): { used: number; slots: number } | undefined {
  if (r.plane !== 'airflow' || r.kind !== 'pool' || !r.reason) return undefined;
  const m = /(\d+) of (\d+) slots? in use/.exec(r.reason.text) ?? /^(?:draining: )?(0) slots/.exec(r.reason.text);
  if (!m) return undefined;
  return m[2] !== undefined ? { used: Number(m[1]), slots: Number(m[2]) } : { used: 0, slots: 0 };
}

/**
 * An occupancy bar: the share of slots in use, full (and amber) at or over the size. A pool of 0 slots
 * draws an empty bar that says so.
 */
export function PoolBar({ used, slots, wide = false }: { used: number; slots: number; wide?: boolean }) {
  const share = slots > 0 ? Math.min(1, used / slots) : 0;
  const label = slots > 0 ? `${used} of ${slots} slots in use` : '0 slots';
  return (
    <span className={`pool-bar${wide ? ' pool-bar-wide' : ''}${slots > 0 && used >= slots ? ' pool-bar-full' : ''}`} role="meter" aria-label={label}
      aria-valuemin={0} aria-valuemax={slots} aria-valuenow={Math.min(used, slots)} title={label}>
      <span className="pool-bar-fill" style={{ width: `${Math.round(share * 100)}%` }} />
    </span>
  );
}

/** A pool's detail: its bar, and the tasks holding its slots one per line (the facts carry them as lines). */
export function PoolOccupancy({ resource: r }: { resource: { plane: string; kind: string; facts: Record<string, string> } }) {
  if (r.plane !== 'airflow' || r.kind !== 'pool') return null;
  const m = /^(\d+) of (\d+) slots?$/.exec(r.facts.occupancy ?? '');
  const holders = r.facts['holding slots']?.split('\n') ?? [];
  return (
    <section className="pool-occupancy" aria-label="Occupancy">
      {m && <PoolBar used={Number(m[1])} slots={Number(m[2])} wide />}
      <span>{r.facts.occupancy} in use · {r.facts.open} open</span>
      {holders.length > 0 && (
        <ul className="pool-holders" aria-label="Tasks holding slots">
          {holders.map((h, i) => <li key={i}>{h}</li>)}
        </ul>
      )}
    </section>
  );
}
