import type { Client } from '../../../shared/contract/client';
import type { TerminalStatus } from '../terminals/stream';
import type { TerminalTabs } from '../terminals/tabs';
import { Terminal } from './Terminal';

interface Props {
  client: Client;
  tabs: TerminalTabs;
  onActivate(key: string): void;
  onClose(key: string): void;
  onStatus(key: string, s: TerminalStatus): void;
}

const DOT: Record<TerminalStatus['state'], string> = { opening: 'pending', open: 'ok', exited: 'unknown', lost: 'error', failed: 'error' };

/**
 * The open terminals, one tab each, below the resource being looked at. Every tab stays mounted (the
 * hidden ones too), so a shell keeps running and keeps its scrollback while another tab is shown.
 * Loaded on first use: xterm.js stays out of the page's first load.
 */
export default function TerminalPanel({ client, tabs, onActivate, onClose, onStatus }: Props) {
  return (
    <section className="terminals" aria-label="Terminals">
      <div className="terminal-tabs" role="tablist">
        {tabs.tabs.map((t) => (
          <span key={t.key} className={`terminal-tab ${t.key === tabs.active ? 'active' : ''}`}>
            <button type="button" role="tab" aria-selected={t.key === tabs.active} onClick={() => onActivate(t.key)} title={t.status.state === 'open' || t.status.state === 'opening' ? t.status.state : t.status.reason}>
              <span className={`dot dot-${DOT[t.status.state]}`} aria-hidden /> {t.title}
            </button>
            <button type="button" className="terminal-close" aria-label={`Close terminal ${t.title}`} onClick={() => onClose(t.key)}>×</button>
          </span>
        ))}
      </div>
      {tabs.tabs.map((t) => (
        <Terminal key={t.key} client={client} resource={t.resource} container={t.container} title={t.title} active={t.key === tabs.active} status={t.status} onStatus={(s) => onStatus(t.key, s)} />
      ))}
    </section>
  );
}
