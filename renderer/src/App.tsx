import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import type { Client } from '../../shared/contract/client';
import type { PlaneEndpoint } from '../../shared/contract/domain';
import { summaryLine } from '../../shared/health/summary';
import { connect, type ConnState } from './api';
import { Detail } from './components/Detail';
import { EndpointBanners } from './components/EndpointBanners';
import type { LogViewHandle } from './components/LogView';
import { Overview } from './components/Overview';
import { ResourceList, type ResourceListHandle } from './components/ResourceList';
import { StorageLinks } from './components/StorageLinks';
import { useFullResource } from './hooks/useFullResource';
import { useStackMeta, useStackVersion } from './hooks/useStore';
import { endpointSummary, stateText } from './model/endpointSummary';
import { StackStore } from './model/stackStore';
import { MuteButton } from './notifications/MuteButton';
import { NotifyControl } from './notifications/NotifyControl';
import { createNotifications } from './notifications/setup';
import { activate, addTab, closeTab, noTabs, setStatus } from './terminals/tabs';
import { ThemeToggle } from './theme/ThemeToggle';

// xterm.js is loaded with the first terminal, not with the page.
const TerminalPanel = lazy(() => import('./components/TerminalPanel'));

export function App() {
  const [conn, setConn] = useState<ConnState>('connecting');
  const [client, setClient] = useState<Client | undefined>();
  const [store] = useState(() => new StackStore());
  const [notes] = useState(createNotifications);
  const [selected, setSelected] = useState<string | undefined>();
  const logRef = useRef<LogViewHandle>(null);
  const listRef = useRef<ResourceListHandle>(null);
  const [terms, setTerms] = useState(noTabs);
  useStackMeta(store);
  const openTerminal = useCallback((id: string, title: string, container?: string) => setTerms((s) => addTab(s, id, title, container)), []);

  useEffect(() => connect((s, c) => { setConn(s); if (c) setClient(c); }), []);

  // The list's view: every resource at the rows level. Filtering happens here, on what is already held.
  useEffect(() => {
    if (!client) return;
    const sub = client.subscribe('stack:watch', { scope: {}, level: 'rows' }, { onBatch: (items) => { store.apply(items); notes.observe(items); } });
    return () => sub.close();
  }, [client, store, notes]);

  const full = useFullResource(client, selected);
  const select = useCallback((id: string | undefined) => setSelected(id), []);
  // A clicked notification selects the resource it speaks for.
  useEffect(() => { notes.delivery.onClick((id) => setSelected(id)); return () => notes.stop(); }, [notes]);
  const openLog = useCallback(() => (document.querySelector('.log-scroll') as HTMLElement | null)?.focus(), []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (document.querySelector('.modal-backdrop')) return;
      // Every key typed into a terminal is the program's.
      if (e.target instanceof Element && e.target.closest('.terminals')) return;
      if (e.key.toLowerCase() === 'k' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); listRef.current?.focusFilter(); return; }
      const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if (inField || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'f') { e.preventDefault(); listRef.current?.focusFilter(); return; }
      if (e.key === '/' && selected) { e.preventDefault(); logRef.current?.focusFilter(); return; }
      if (e.key === 'ArrowDown' || e.key === 'j' || e.key === 'ArrowUp' || e.key === 'k') {
        e.preventDefault();
        const next = store.step(selected, e.key === 'ArrowDown' || e.key === 'j' ? 1 : -1);
        if (next) setSelected(next);
        return;
      }
      if (e.key === 'Enter' && selected) { e.preventDefault(); openLog(); return; }
      if (e.key === 'Escape' && selected) { setSelected(undefined); }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [selected, store, openLog]);

  return (
    <div className="app">
      <header className="topbar">
        {/* Back to the overview with the mouse too (Esc does it from the keyboard, but not from a text field). */}
        <button type="button" className="brand" title="Overview (Esc)" aria-label="Overview" onClick={() => setSelected(undefined)}>Pilothouse</button>
        <span className={`conn conn-${conn}`}>{conn === 'open' ? 'engine connected' : conn === 'connecting' ? 'connecting to engine…' : 'engine connection lost: reconnecting…'}</span>
        <StackSummary store={store} />
        <span className="spacer" />
        <EndpointStrip endpoints={store.endpoints} />
        <StorageLinks endpoints={store.endpoints} store={store} selected={selected} onSelect={select} />
        <NotifyControl center={notes} nameOf={(id) => { const r = store.rows.get(id)?.row; return r && (r.group.name === r.name ? r.name : `${r.group.name}/${r.name}`); }} />
        <ThemeToggle />
      </header>
      <EndpointBanners endpoints={store.endpoints} onSelect={select} client={client} />
      <div className="body">
        <ResourceList ref={listRef} store={store} selected={selected} onSelect={select} onOpen={openLog} />
        {selected && client ? (
          <Detail key={selected} ref={logRef} client={client} store={store} row={store.rows.get(selected)?.row} full={full.resource} gone={full.gone} onSelect={select} onOpenTerminal={openTerminal} headerExtra={<MuteButton mutes={notes.mutes} id={selected} />} />
        ) : (
          <Overview store={store} onSelect={select} client={client} />
        )}
      </div>
      {client && terms.tabs.length > 0 && (
        <Suspense fallback={<section className="terminals dim">Loading terminal…</section>}>
          <TerminalPanel client={client} tabs={terms} onActivate={(k) => setTerms((s) => activate(s, k))} onClose={(k) => setTerms((s) => closeTab(s, k))} onStatus={(k, st) => setTerms((s) => setStatus(s, k, st))} />
        </Suspense>
      )}
      <footer className="keys dim">
        <kbd>f</kbd> or <kbd>Ctrl K</kbd> filter resources · <kbd>↑</kbd><kbd>↓</kbd> or <kbd>j</kbd><kbd>k</kbd> select · <kbd>Enter</kbd> log · <kbd>/</kbd> filter log · <kbd>Esc</kbd> overview
      </footer>
    </div>
  );
}

function EndpointStrip({ endpoints }: { endpoints: readonly PlaneEndpoint[] }) {
  const sum = endpointSummary(endpoints);
  const one = (e: PlaneEndpoint) => (
    <span key={e.id} className={`endpoint endpoint-${e.state}`} data-endpoint={e.id} title={[e.target, e.source, e.message, e.hint].filter(Boolean).join('\n')}>
      {e.plane} {e.name}: {e.state}
    </span>
  );
  if (!sum.counts) return <>{sum.shown.map(one)}</>;
  return (
    <>
      <span className="endpoint endpoint-counts" title={endpoints.map((e) => `${e.plane} ${e.name}: ${stateText(e)}`).join('\n')}>{sum.counts}</span>
      {sum.shown.map(one)}
      {sum.more > 0 && <span className="endpoint dim">+{sum.more} more</span>}
    </>
  );
}

function StackSummary({ store }: { store: StackStore }) {
  useStackVersion(store);
  return store.loading.started ? <span className="summary">{summaryLine(store.counts)}</span> : null;
}
