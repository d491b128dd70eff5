import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Client } from '../../shared/contract/client';
import type { StackPatch } from '../../shared/contract/domain';
import { connect, type ConnState } from './api';
import { ConfirmDialog, type Confirmation } from './components/ConfirmDialog';
import { Detail } from './components/Detail';
import type { LogViewHandle } from './components/LogView';
import { Sidebar } from './components/Sidebar';
import { applyPatches, groupResources, type StackState } from './store';

export function App() {
  const [conn, setConn] = useState<ConnState>('connecting');
  const [client, setClient] = useState<Client | undefined>();
  const [stack, setStack] = useState<StackState>({ resources: new Map(), endpoints: [], loaded: false });
  const [selected, setSelected] = useState<string | undefined>();
  const [confirmation, setConfirmation] = useState<Confirmation | undefined>();
  const detailRef = useRef<LogViewHandle>(null);

  useEffect(() => connect((s, c) => { setConn(s); if (c) setClient(c); }), []);

  useEffect(() => {
    if (!client) return;
    const sub = client.subscribe('stack:watch', {}, { onBatch: (ps: StackPatch[]) => setStack((s) => applyPatches(s, ps)) });
    return () => sub.close();
  }, [client]);

  const groups = useMemo(() => groupResources(stack.resources.values()), [stack.resources]);
  const order = useMemo(() => groups.flatMap((g) => g.resources.map((r) => r.id)), [groups]);
  const current = selected ? stack.resources.get(selected) : undefined;

  const onKey = useCallback((e: KeyboardEvent) => {
    if (confirmation) return;
    const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
    if (inField) return;
    if (e.key === '/') { e.preventDefault(); detailRef.current?.focusFilter(); return; }
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || e.key === 'j' || e.key === 'k') {
      e.preventDefault();
      const i = selected ? order.indexOf(selected) : -1;
      const next = e.key === 'ArrowDown' || e.key === 'j' ? Math.min(order.length - 1, i + 1) : Math.max(0, i - 1);
      if (order[next]) setSelected(order[next]);
      document.querySelector(`[data-resource="${CSS.escape(order[next] ?? '')}"]`)?.scrollIntoView({ block: 'nearest' });
      return;
    }
    if (e.key === 'Enter' && selected) { (document.querySelector('.log-scroll') as HTMLElement | null)?.focus(); }
  }, [order, selected, confirmation]);
  useEffect(() => { window.addEventListener('keydown', onKey); return () => window.removeEventListener('keydown', onKey); }, [onKey]);

  const problems = stack.endpoints.filter((e) => e.state !== 'connected');

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Pilothouse</span>
        <span className={`conn conn-${conn}`}>{conn === 'open' ? 'engine connected' : conn === 'connecting' ? 'connecting to engine…' : 'engine connection lost: reconnecting…'}</span>
        {stack.endpoints.map((e) => (
          <span key={e.plane + e.target} className={`endpoint endpoint-${e.state}`} title={[e.source, e.message, e.hint].filter(Boolean).join('\n')}>
            {e.plane}: {e.state === 'connected' ? e.target : e.state}
          </span>
        ))}
      </header>
      {problems.map((p) => (
        <div key={p.plane + p.target} className="banner" role="alert">
          <strong>{p.message ?? `${p.plane} ${p.state}`}</strong>
          {p.hint && <div>{p.hint}</div>}
          <div className="banner-note">Tried {p.target} ({p.source}). Pilothouse keeps retrying and recovers by itself.</div>
        </div>
      ))}
      <div className="body">
        <Sidebar groups={groups} selected={selected} onSelect={setSelected} />
        {current && client ? (
          <Detail key={current.id} ref={detailRef} client={client} r={current} confirm={setConfirmation} />
        ) : (
          <main className="empty">
            {!stack.loaded ? <p>Loading…</p>
              : stack.resources.size === 0 ? (
                problems.length ? <p>Nothing found: {problems.map((p) => `${p.plane} at ${p.target} (${p.source})`).join(', ')} cannot be reached. See above for how to fix it.</p>
                  : <p>The Docker engine at {stack.endpoints.map((e) => e.target).join(', ')} has no containers. Start a compose project (<code>docker compose up -d</code>) and it appears here.</p>
              ) : <p>Select a resource (↑/↓, Enter). <kbd>/</kbd> filters its log.</p>}
          </main>
        )}
      </div>
      {confirmation && <ConfirmDialog c={confirmation} onClose={() => setConfirmation(undefined)} />}
    </div>
  );
}
