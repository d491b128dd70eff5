import { forwardRef, useState } from 'react';
import type { Client } from '../../../shared/contract/client';
import type { Resource } from '../../../shared/contract/domain';
import { displayStatus } from '../store';
import type { Confirmation } from './ConfirmDialog';
import { LogView, type LogViewHandle } from './LogView';
import { StatusDot } from './StatusDot';

const VERB: Record<Resource['actions'][number], string> = { start: 'Start', stop: 'Stop', restart: 'Restart' };

export const Detail = forwardRef<LogViewHandle, { client: Client; r: Resource; confirm(c: Confirmation): void }>(function Detail({ client, r, confirm }, ref) {
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();
  const ask = (action: Resource['actions'][number]) => confirm({
    title: `${VERB[action]} ${r.group}/${r.name}?`,
    body: `This ${action}s container ${r.facts.container ?? r.name} (${r.facts.id ?? ''}). It is recorded in the audit log.`,
    confirmLabel: VERB[action],
    onConfirm: () => {
      setResult({ ok: true, text: `${VERB[action]} in progress…` });
      client.request('resource:action', { resource: r.id, action, confirmed: true })
        .then((res) => setResult({ ok: true, text: `${VERB[action]} done · audited` + (res.resource.reasons.length ? ` · ${res.resource.reasons[0]}` : '') }))
        .catch((e: Error) => setResult({ ok: false, text: e.message }));
    },
  });
  return (
    <main className="detail" aria-label={`${r.group}/${r.name}`}>
      <header className="detail-head">
        <StatusDot status={displayStatus(r)} />
        <h1>{r.name}</h1>
        <span className="detail-group">{r.group} · {r.plane}</span>
        <span className="spacer" />
        {r.actions.map((a) => <button key={a} type="button" onClick={() => ask(a)}>{VERB[a]}</button>)}
      </header>
      {result && <div className={result.ok ? 'action-result' : 'action-result failed'} role="status">{result.text}</div>}
      {r.reasons.length > 0 && (
        <ul className="reasons" aria-label="Reasons">
          {r.reasons.map((t, i) => <li key={i} className={`reason reason-${displayStatus(r)}`}>{t}</li>)}
        </ul>
      )}
      <dl className="facts">
        {Object.entries(r.facts).map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}
      </dl>
      <LogView ref={ref} client={client} resource={r.id} />
    </main>
  );
});
