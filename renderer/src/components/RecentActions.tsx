import { useEffect, useState } from 'react';
import type { Client } from '../../../shared/contract/client';
import type { AuditRecord } from '../../../shared/contract/domain';
import { utcText } from '../../../shared/text/utc';

const SHOWN = 5;
const SHOWN_ALL = 10;

/**
 * The last actions on this resource from the audit log (who, what, outcome), so that the operator who
 * picks up a resource at 3 a.m. sees that it was restarted twice an hour ago. Read when the pane opens and
 * again after each action run here (`after` changes); nothing is polled.
 */
export function RecentActions({ client, resource, after, onSelect }: { client: Client; resource?: string; after?: string; onSelect?(id: string): void }) {
  const [entries, setEntries] = useState<AuditRecord[]>([]);
  useEffect(() => {
    let live = true;
    // One resource's last few in its detail; the overview, every resource's last ten (what happened here lately).
    client.request('audit:recent', resource ? { resource, limit: SHOWN } : { limit: SHOWN_ALL })
      .then((r) => { if (live) setEntries(r.entries); })
      .catch(() => { if (live) setEntries([]); });   // no history shown is better than an error over the detail
    return () => { live = false; };
  }, [client, resource, after]);
  if (!entries.length) return null;
  return (
    <section className="recent-actions" aria-label="Recent actions">
      <h2>Recent actions</h2>
      <ul>
        {entries.map((e, i) => {
          // In the overview a record leads to its resource; in a resource's detail it is that resource.
          const open = !resource && e.resource && onSelect ? () => onSelect(e.resource!) : undefined;
          return (
          <li key={`${e.ts}-${i}`} title={[e.target, ...(e.steps ?? []).map((s) => `[${s.endpoint}] ${s.call}`), e.detail].filter(Boolean).join('\n')}
            className={open ? 'link-row' : undefined} onClick={open}>
            <span className="dim">{utcText(e.ts)}</span> <span className={`outcome-${e.outcome}`}>{e.outcome}</span> {e.action}
            {!resource && <span> · {e.target}</span>} <span className="dim">by {e.actor}</span>
            {e.detail && e.outcome !== 'ok' && <span className="dim"> · {e.detail}</span>}
          </li>
          );
        })}
      </ul>
    </section>
  );
}
