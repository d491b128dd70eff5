import type { Group } from '../store';
import { displayStatus } from '../store';
import { StatusDot } from './StatusDot';

export function Sidebar({ groups, selected, onSelect }: { groups: Group[]; selected?: string; onSelect(id: string): void }) {
  return (
    <nav className="sidebar" aria-label="Resources">
      {groups.map((g) => (
        <section key={g.name} className="group" data-group={g.name}>
          <header className="group-head">
            <span className="group-name">{g.name}</span>
            <span className="counts">
              {g.counts.error > 0 && <span className="count count-error" title="errors">{g.counts.error}</span>}
              {g.counts.warning > 0 && <span className="count count-warning" title="warnings">{g.counts.warning}</span>}
              {g.counts.pending > 0 && <span className="count count-pending" title="pending">{g.counts.pending}</span>}
              <span className="count count-ok" title="healthy">{g.counts.ok}/{g.resources.length}</span>
            </span>
          </header>
          <ul role="listbox" aria-label={g.name}>
            {g.resources.map((r) => (
              <li
                key={r.id}
                role="option"
                aria-selected={r.id === selected}
                className={r.id === selected ? 'res selected' : 'res'}
                data-resource={r.id}
                onClick={() => onSelect(r.id)}
                title={r.reasons.join('\n')}
              >
                <StatusDot status={displayStatus(r)} />
                <span className="res-name">{r.name}</span>
                {r.reasons[0] && <span className="res-reason">{r.reasons[0]}</span>}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}
