import type { Client } from '../../../shared/contract/client';
import { type PlaneEndpoint } from '../../../shared/contract/domain';
import { SEVERITY_RANK, summaryLine, type DisplayStatus, type StatusCounts } from '../../../shared/health/summary';
import { useNow } from '../hooks/useNow';
import { useStackVersion } from '../hooks/useStore';
import { stateText } from '../model/endpointSummary';
import { relativeTime } from '../model/relativeTime';
import type { StackStore } from '../model/stackStore';
import { ProblemTable } from './ProblemTable';
import { RecentActions } from './RecentActions';
import { StatusDot, statusLabel } from './StatusDot';

/** The problem table (virtualized) holds at most this many rows; the rest is counted. */
const PROBLEM_CAP = 5000;
const ORDER = (Object.keys(SEVERITY_RANK) as DisplayStatus[]).sort((a, b) => SEVERITY_RANK[a] - SEVERITY_RANK[b]);

/**
 * What the main pane shows with nothing selected (Tilt's table as the model): how many of what, where;
 * everything that is not fine, worst first; and what changed lately.
 */
export function Overview({ store, onSelect, client }: { store: StackStore; onSelect(id: string): void; client?: Client }) {
  useStackVersion(store);
  const now = useNow(5000);
  const { loading, endpoints } = store;
  const failing = endpoints.filter((e) => e.state === 'unavailable');

  if (!loading.started) return <main className="empty overview"><p>Loading…</p></main>;
  if (loading.done && store.rows.size === 0) {
    return (
      <main className="empty overview">
        {failing.length ? <p>Nothing found: {failing.map((e) => `${e.plane} at ${e.target} (${e.source})`).join(', ')} cannot be reached. See above for how to fix it.</p>
          : <p>Nothing found at {endpoints.map((e) => `${e.plane} ${e.target}`).join(', ') || 'any endpoint'}. Start a compose project (<code>docker compose up -d</code>) and it appears here.</p>}
      </main>
    );
  }

  const { rows: problems, total: problemTotal } = store.problemRows(PROBLEM_CAP);
  const many = store.manyEndpoints();
  const recent = store.recent.entries().slice(0, 30);
  return (
    <main className="overview" aria-label="Overview">
      <section className="ov-counts" aria-label="Counts by status">
        {ORDER.map((s) => (
          <div key={s} className={`ov-count ov-${s}`} data-status={s}>
            <span className="ov-n">{store.counts[s].toLocaleString()}</span>
            <span className="ov-label"><StatusDot status={s} /> {statusLabel(s)}</span>
          </div>
        ))}
      </section>

      <section aria-label="Endpoints">
        <h2>Endpoints</h2>
        <table className="ov-table">
          <thead><tr><th>endpoint</th><th>state</th><th>resources</th></tr></thead>
          <tbody>
            {endpoints.map((e) => <EndpointLine key={e.id} e={e} counts={store.byEndpoint.get(e.id)} onSelect={onSelect} />)}
          </tbody>
        </table>
      </section>

      <section aria-label="Problems">
        <h2>Not ok <span className="dim">{problemTotal.toLocaleString()}</span></h2>
        {problemTotal === 0 ? <p className="dim">Everything is ok.</p> : (
          <ProblemTable store={store} rows={problems} now={now} many={many} onSelect={onSelect} />
        )}
        {problemTotal > problems.length && <p className="dim">and {(problemTotal - problems.length).toLocaleString()} more: filter the list by status to see them all.</p>}
      </section>

      <section aria-label="Changed recently">
        <h2>Changed recently</h2>
        {recent.length === 0 ? <p className="dim">No changes seen yet.</p> : (
          <ul className="ov-recent">
            {recent.map((c) => (
              <li key={c.id} data-recent={c.id} onClick={() => onSelect(c.id)}>
                <span className="dim ov-when">{relativeTime(c.at, now)}</span>
                <StatusDot status={c.to} />
                <span className="ov-name">{c.name}</span>
                <span className="dim">{c.group}</span>
                <span>{c.from ? `${statusLabel(c.from)} → ${statusLabel(c.to)}` : statusLabel(c.to)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      {client && <RecentActions client={client} onSelect={onSelect} />}
    </main>
  );
}

/** An endpoint that is one resource (an SSH host) opens it from its name: "use Connect on the host" is one click away. */
function EndpointLine({ e, counts, onSelect }: { e: PlaneEndpoint; counts?: StatusCounts; onSelect(id: string): void }) {
  const name = e.actOn
    ? <button type="button" className="link ov-endpoint-open" title={`Open ${e.name}`} aria-label={`Open ${e.name}`} onClick={() => onSelect(e.actOn!)}><strong>{e.name}</strong></button>
    : <strong>{e.name}</strong>;
  return (
    <tr data-endpoint={e.id}>
      <td>{e.plane} {name} <span className="dim">{e.target}</span></td>
      <td className={`endpoint-${e.state}`}>{stateText(e)}</td>
      <td>{counts ? summaryLine(counts) : 'nothing found'}</td>
    </tr>
  );
}
