import { useNow } from '../hooks/useNow';
import { relativeTime } from '../model/relativeTime';

/** One line of a resource's events timeline. */
export interface TimelineEvent {
  /** ISO time of the event's last occurrence ('' when the API gave none). */
  time: string;
  type: string;
  reason: string;
  count: number;
  /** `Kind/name` of the object the event is about. */
  object: string;
  message: string;
}
export interface Timeline { events: TimelineEvent[]; older?: string; unread: string[] }

// `2026-12-06T14:02:11Z Warning BackOff ×12 Pod/langfuse-6d…: Back-off restarting failed container`:
// the kube rules' eventsTimeline line. Object names hold no ':' (DNS names), so the first ': ' ends it.
const LINE = /^(\S*) (\S+) (\S+?)(?: ×(\d+))? ([^\s/]+\/[^\s:]+): ([\s\S]*)$/;

/** The `events` fact of a resource (newest first, one event a line) read back into its fields. */
export function parseTimeline(fact: string): Timeline {
  const out: Timeline = { events: [], unread: [] };
  for (const line of fact.split('\n')) {
    if (!line) continue;
    if (line.startsWith('… ')) { out.older = line.slice(2); continue; }
    const m = LINE.exec(line);
    if (!m) { out.unread.push(line); continue; }
    out.events.push({ time: m[1], type: m[2], reason: m[3], count: m[4] ? Number(m[4]) : 1, object: m[5], message: m[6] });
  }
  return out;
}

/**
 * A resource's events, newest first: when, type, reason, how often, about which object, and what it
 * said. Warnings are highlighted; a line the page cannot read is still shown as it came.
 */
export function EventsTimeline({ fact }: { fact: string }) {
  const now = useNow(10_000);
  const t = parseTimeline(fact);
  return (
    <section className="events-timeline" aria-label="Events">
      <h2>Events</h2>
      <table className="ov-table">
        <thead><tr><th>when</th><th>type</th><th>reason</th><th>count</th><th>object</th><th>message</th></tr></thead>
        <tbody>
          {t.events.map((e, i) => (
            <tr key={i} className={e.type === 'Warning' ? 'event-warning' : 'event-normal'}>
              <td title={e.time} className="nowrap">{e.time ? relativeTime(Date.parse(e.time), now) : '—'}</td>
              <td>{e.type}</td>
              <td>{e.reason}</td>
              <td>{e.count > 1 ? `×${e.count}` : ''}</td>
              <td className="nowrap">{e.object}</td>
              <td className="event-message">{e.message}</td>
            </tr>
          ))}
          {t.unread.map((l, i) => <tr key={`u${i}`}><td colSpan={6}>{l}</td></tr>)}
        </tbody>
      </table>
      {t.older && <div className="dim">{t.older} not shown (the engine keeps the newest).</div>}
    </section>
  );
}
