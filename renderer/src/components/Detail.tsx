import { forwardRef, lazy, Suspense, useState, type ReactNode } from 'react';
import type { Client } from '../../../shared/contract/client';
import type { ActionOutcome, ActionSpec, Resource, ResourceRow } from '../../../shared/contract/domain';
import { displayStatus } from '../../../shared/health/summary';
import type { StackStore } from '../model/stackStore';
import { ActionDialog, type PendingAction } from './ActionDialog';
import { EventsTimeline } from './EventsTimeline';
import { LogView, type LogViewHandle } from './LogView';
import { OpenTerminal } from '../terminals/OpenTerminal';
import { StatusDot } from './StatusDot';
import { StorageView } from './StorageView';
import { PoolOccupancy } from './PoolBar';
import { RecentActions } from './RecentActions';
import { useNow } from '../hooks/useNow';
import { factDisplay, isUtcTimestamp } from '../model/relativeTime';

/** recharts is loaded with the first detail pane that shows charts, not with the page. */
const ChartsPanel = lazy(() => import('../charts/ChartsPanel'));

interface Props {
  client: Client;
  store: StackStore;
  /** The list's row: shown at once, until the full resource arrives. */
  row?: ResourceRow;
  full?: Resource;
  gone: boolean;
  onSelect(id: string): void;
  /** Opens a terminal tab on the resource (shown when its plane says it has one). */
  onOpenTerminal?(id: string, title: string, container?: string): void;
  /** More controls for the header, from outside the pane (the notification mute switch). */
  headerExtra?: ReactNode;
}

/** `revealed`: a secret's value, held only in this state for as long as it is shown (never stored elsewhere). */
type Shown = { outcome: ActionOutcome | 'running'; text: string; log?: string[]; revealed?: { name: string; value: string } };

/** One resource: its reasons, facts, relations, the actions its plane offers, and its log. */
export const Detail = forwardRef<LogViewHandle, Props>(function Detail({ client, store, row, full, gone, onSelect, onOpenTerminal, headerExtra }, ref) {
  const [pending, setPending] = useState<PendingAction | undefined>();
  const [result, setResult] = useState<Shown | undefined>();
  const r = full ?? row;
  if (!r) return <main className="detail empty">{gone ? 'This resource is gone.' : 'Loading…'}</main>;

  const ep = store.endpoint(r.endpoint);
  const nameOf = (id: string) => store.rows.get(id)?.row.name ?? id;

  const run = (spec: ActionSpec, typed?: string, value?: number) => {
    setPending(undefined);
    setResult({ outcome: 'running', text: `${spec.label}: running…` });
    client.request('action:run', { resource: r.id, action: spec.id, confirmed: true, typed, value })
      .then((res) => setResult({ outcome: res.outcome, text: `${spec.label}: ${res.outcome} · ${res.message}`, log: res.log, revealed: res.revealed }))
      .catch((e: Error) => setResult({ outcome: 'failed', text: `${spec.label}: failed · ${e.message}` }));
  };

  const ask = (spec: ActionSpec, value = spec.input?.default) => {
    if (spec.confirm === 'none' && !spec.input) { run(spec); return; }
    setPending((cur) => (cur?.spec === spec ? { ...cur, value, preview: undefined, error: undefined } : { spec, resource: { id: r.id, name: r.name, group: r.group.name }, value }));
    // The preview is for the value typed: a newer value's preview replaces an older one's, never the reverse.
    client.request('action:preview', { resource: r.id, action: spec.id, value })
      .then((preview) => setPending((cur) => (cur?.spec === spec && cur.value === value ? { ...cur, preview } : cur)))
      .catch((e: Error) => setPending((cur) => (cur?.spec === spec && cur.value === value ? { ...cur, error: e.message } : cur)));
  };

  const reasons = full ? full.reasons : r.reason ? [r.reason] : [];
  const isStorage = r.plane === 'kube' && r.kind === 'storage';
  // The kube rules write a resource's events as one fact, a line each: shown as a timeline instead.
  const timeline = r.plane === 'kube' ? full?.facts.events : undefined;
  return (
    <main className="detail" aria-label={`${r.group.name}/${r.name}`}>
      <header className="detail-head">
        <StatusDot status={displayStatus(r)} />
        <h1>{r.name}</h1>
        <span className="detail-group">{r.group.name} · {r.kind} · {ep ? `${ep.plane} ${ep.name}` : r.endpoint}</span>
        <span className="spacer" />
        {headerExtra}
        {!gone && full?.terminal && onOpenTerminal && (
          <OpenTerminal containers={full.facts.containers} onOpen={(c) => onOpenTerminal(r.id, r.group.name === r.name ? r.name : `${r.group.name}/${r.name}`, c)} />
        )}
        {!gone && full?.actions.map((a) => (
          <button key={a.id} type="button" className={a.destructive ? 'action destructive' : 'action'} onClick={() => ask(a)} disabled={result?.outcome === 'running' || !!a.unavailable}
            title={a.unavailable ? `Unavailable: ${a.unavailable}` : undefined}>{a.label}</button>
        ))}
      </header>
      {/* What the server would refuse this user (an access review said no), said beside the disabled buttons. */}
      {!gone && full && full.actions.some((a) => a.unavailable) && (
        <ul className="actions-unavailable" aria-label="Unavailable actions">
          {full.actions.filter((a) => a.unavailable).map((a) => <li key={a.id}><strong>{a.label}</strong> unavailable: {a.unavailable}</li>)}
        </ul>
      )}
      {gone && <div className="action-result outcome-failed" role="status">This resource is gone from its plane.</div>}
      {result && <div className={`action-result outcome-${result.outcome}`} role="status">{result.text}</div>}
      {result?.revealed && (
        <div className="revealed" role="status" aria-label={`Revealed ${result.revealed.name}`}>
          <span>{result.revealed.name}</span> <code>{result.revealed.value}</code>{' '}
          <button type="button" onClick={() => setResult((cur) => (cur ? { ...cur, revealed: undefined } : cur))}>Hide</button>
        </div>
      )}
      {/* The run's step log (a compose command's output, the ordered start's steps), made safe by the engine. */}
      {result?.log && result.log.length > 0 && (
        <details className="action-log"><summary>Step log ({result.log.length} lines)</summary><pre>{result.log.join('\n')}</pre></details>
      )}
      {/* The resource that settles its endpoint's problem (a host with an unknown or changed key): the whole story, beside its action. */}
      {ep?.waitsForOperator && ep.actOn === r.id && (
        <div className="banner" role="note" data-endpoint={ep.id}>
          <strong>{ep.message}</strong>
          {ep.hint && <div>{ep.hint}</div>}
        </div>
      )}
      {/* A kube context's storage resource is its storage view: its reasons sit beside the rows they concern. */}
      {isStorage && full && <StorageView resource={full} store={store} onSelect={onSelect} />}
      {!isStorage && reasons.length > 0 && (
        <ul className="reasons" aria-label="Reasons">
          {reasons.map((x, i) => <li key={i} className={`reason sev-${x.severity}`} title={x.ref}>{x.text}</li>)}
        </ul>
      )}
      {full && <PoolOccupancy resource={full} />}
      {full && !isStorage && (
        <dl className="facts">
          {Object.entries(full.facts).filter(([k]) => (!timeline || k !== 'events') && !(r.plane === 'airflow' && k === 'holding slots')).map(([k, v]) => <div key={k}><dt>{k}</dt><dd><FactValue value={v} /></dd></div>)}
        </dl>
      )}
      {timeline && <EventsTimeline fact={timeline} />}
      {(r.parent || (full?.children?.length ?? 0) > 0) && (
        <div className="relations">
          {r.parent && <span>part of <button type="button" className="link" onClick={() => onSelect(r.parent!)}>{nameOf(r.parent)}</button></span>}
          {full?.children && full.children.length > 0 && (
            <span>
              contains{' '}
              {full.children.slice(0, 50).map((c) => <button key={c} type="button" className="link" onClick={() => onSelect(c)}>{nameOf(c)}</button>)}
              {full.children.length > 50 && ` and ${full.children.length - 50} more`}
            </span>
          )}
        </div>
      )}
      {/* Read again once a run here has finished (its result text changes then). */}
      <RecentActions client={client} resource={r.id} after={result && result.outcome !== 'running' ? result.text : undefined} />
      {/* CPU, memory and declared PromQL charts; nothing is shown for a resource that has none. */}
      {!gone && !isStorage && <Suspense fallback={null}><ChartsPanel key={r.id} client={client} resource={r.id} /></Suspense>}
      {/* A storage view has no log of its own; its claims and PVs lead to the pods that do. */}
      {!isStorage && <LogView ref={ref} client={client} resource={r.id} containers={full?.facts.containers} />}
      {pending && <ActionDialog pending={pending} onCancel={() => setPending(undefined)} onConfirm={(typed) => run(pending.spec, typed, pending.value)} onValue={(v) => ask(pending.spec, v)} />}
    </main>
  );
});

/** A timestamp fact reads as its age, and keeps moving while the pane is open; the exact time is on hover. */
function FactValue({ value }: { value: string }) {
  return isUtcTimestamp(value) ? <TimeFact value={value} /> : <>{value}</>;
}
function TimeFact({ value }: { value: string }) {
  const d = factDisplay(value, useNow(5_000));
  return <time dateTime={d.at} title={d.at}>{d.text}</time>;
}
