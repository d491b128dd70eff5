import { describe, expect, it } from 'vitest';
import type { TerminalItem } from '../../shared/contract/channels';
import type { Client, StreamHandlers } from '../../shared/contract/client';
import { PilothouseError } from '../../shared/contract/envelope';
import { endStatus, inputPieces, openTerminal, type TerminalStatus } from '../../renderer/src/terminals/stream';
import { activate, addTab, closeTab, noTabs, setStatus } from '../../renderer/src/terminals/tabs';

describe('the page’s terminal stream', () => {
  it('cuts a long paste into pieces the contract takes, never between the two halves of an emoji', () => {
    expect(inputPieces('abc')).toEqual(['abc']);
    expect(inputPieces('')).toEqual([]);
    const paste = 'x'.repeat(9) + '😀' + 'y'.repeat(5);   // the emoji's halves at 9 and 10
    const pieces = inputPieces(paste, 10);
    expect(pieces.join('')).toBe(paste);
    expect(pieces[0]).toBe('x'.repeat(9));
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(10);
      expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(p)).toBe(false);
    }
  });

  it('acks output as it is shown, carries keys and sizes, and reports open, then the end', () => {
    const sent: unknown[] = [];
    let h!: StreamHandlers<TerminalItem>;
    let closed = 0;
    const client = {
      subscribe: (_ch: string, _input: unknown, handlers: StreamHandlers<TerminalItem>) => { h = handlers; return { send: (m: unknown) => sent.push(m), close: () => { closed++; } }; },
    } as unknown as Client;
    const shown: Array<() => void> = [];
    const statuses: TerminalStatus[] = [];
    let text = '';
    const link = openTerminal(client, { resource: 'r', cols: 80, rows: 24 }, { data: (t, done) => { text += t; shown.push(done); }, status: (s) => statuses.push(s) });
    h.onBatch([{ t: 'open' }, { t: 'data', data: 'hello ' }, { t: 'data', data: 'wörld' }]);
    expect(statuses).toEqual([{ state: 'open' }]);
    expect(text).toBe('hello wörld');
    expect(sent).toEqual([]);               // nothing drawn yet: nothing acked
    shown.forEach((f) => f());
    expect(sent).toEqual([{ ack: 6 }, { ack: 5 }]);
    link.input('ls\r');
    link.resize(100, 30);
    link.resize(0, 30);                     // a hidden terminal's size is never sent
    expect(sent.slice(2)).toEqual([{ input: 'ls\r' }, { resize: { cols: 100, rows: 30 } }]);
    h.onBatch([{ t: 'end', exitCode: 0, reason: 'exited with code 0' }]);
    h.onEnd?.();
    expect(statuses.at(-1)).toEqual({ state: 'exited', reason: 'exited with code 0', exitCode: 0 });
    link.input('more');                     // after the end, keys go nowhere
    expect(sent).toHaveLength(4);
    link.close();
    expect(closed).toBe(1);
  });

  it('tells a lost session and a lost engine from one that never opened', () => {
    expect(endStatus({ t: 'end', lost: true, reason: 'connection to h lost: timed out' }, undefined)).toEqual({ state: 'lost', reason: 'connection to h lost: timed out' });
    expect(endStatus(undefined, new PilothouseError('unavailable', 'the connection to the Pilothouse engine closed')).state).toBe('lost');
    expect(endStatus(undefined, new PilothouseError('conflict', 'no terminal in x: the container is exited (code 4), not running'))).toEqual({ state: 'failed', reason: 'no terminal in x: the container is exited (code 4), not running' });
  });
});

describe('terminal tabs', () => {
  it('opens tabs active, numbers a second one on the same resource, and activates a neighbour on close', () => {
    let s = addTab(noTabs, 'docker/a', 'proj/a');
    s = addTab(s, 'docker/a', 'proj/a');
    s = addTab(s, 'ssh/h', 'h');
    expect(s.tabs.map((t) => t.title)).toEqual(['proj/a', 'proj/a (2)', 'h']);
    expect(s.active).toBe(s.tabs[2].key);
    const [a, a2, h] = s.tabs.map((t) => t.key);
    s = activate(s, a2);
    s = closeTab(s, a2);
    expect(s.active).toBe(h);               // the one that took its place
    s = closeTab(s, h);
    expect(s.active).toBe(a);
    s = setStatus(s, a, { state: 'lost', reason: 'gone' });
    expect(s.tabs[0].status).toEqual({ state: 'lost', reason: 'gone' });
    s = closeTab(s, a);
    expect(s).toEqual({ tabs: [], active: undefined });
    expect(closeTab(s, 'nope')).toBe(s);
  });
});
