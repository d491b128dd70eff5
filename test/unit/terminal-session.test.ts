import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SyntheticPlane } from '../../bench/synthetic-plane';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import type { TerminalEnd, TerminalRequest, TerminalSession, TerminalSize } from '../../core/terminals/session';
import { TERMINAL_WINDOW, type TerminalItem } from '../../shared/contract/channels';
import type { Client, Subscription } from '../../shared/contract/client';
import type { PilothouseError } from '../../shared/contract/envelope';
import type { Resource } from '../../shared/contract/domain';
import { until } from '../support/wait';

/** Waits for a condition, named by its own source in the failure. */
const wait = (fn: () => unknown) => until(fn.toString(), fn, 5_000, 5);

// The engine side of `terminal:session`, through the contract's in-process transport (structured clones,
// as over a port or socket), with a fake session in place of a shell.

class FakeSession implements TerminalSession {
  written: string[] = [];
  sizes: TerminalSize[] = [];
  closed = 0;
  paused = 0;
  resumed = 0;
  private dataFn?: (b: Buffer) => void;
  private endFn?: (e: TerminalEnd) => void;
  write(data: string) { this.written.push(data); }
  resize(size: TerminalSize) { this.sizes.push(size); }
  onData(fn: (b: Buffer) => void) { this.dataFn = fn; }
  onEnd(fn: (e: TerminalEnd) => void) { this.endFn = fn; }
  close() { this.closed++; this.end({ reason: 'closed by the operator' }); }
  pause() { this.paused++; }
  resume() { this.resumed++; }
  emit(b: Buffer | string) { this.dataFn!(Buffer.from(b)); }
  private ended = false;
  end(e: TerminalEnd) { if (this.ended) return; this.ended = true; this.endFn?.(e); }
}

/** The synthetic plane, with a terminal on every resource whose name ends in an even digit. */
class TermPlane extends SyntheticPlane {
  sessions: FakeSession[] = [];
  requests: TerminalRequest[] = [];
  opening: (() => Promise<FakeSession>) | undefined;
  terminal(resource: Resource, _objects: unknown, req: TerminalRequest): Promise<TerminalSession> | undefined {
    if (!/[02468]$/.test(resource.name)) return undefined;
    this.requests.push(req);
    if (this.opening) return this.opening();
    const s = new FakeSession();
    this.sessions.push(s);
    return Promise.resolve(s);
  }
}

let engine: Engine | undefined;
afterEach(() => { engine?.stop(); engine = undefined; });

async function setup(): Promise<{ client: Client; plane: TermPlane; ids: string[] }> {
  const plane = new TermPlane({ count: 4, groupSize: 4, badFraction: 0 });
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-term-')), env: {}, planes: [plane] });
  await engine.start();
  const client = connectInProcess(engine.handlers());
  const { resources } = await client.request('stack:overview', {});
  return { client, plane, ids: resources.map((r) => r.id) };
}

interface Opened { sub: Subscription<never>; text: () => string; items: TerminalItem[]; ended: () => boolean; error: () => PilothouseError | undefined }

function open(client: Client, resource: string, extra: { command?: string[] } = {}): Opened & { send: (m: unknown) => void } {
  const items: TerminalItem[] = [];
  let ended = false;
  let error: PilothouseError | undefined;
  const sub = client.subscribe('terminal:session', { resource, cols: 80, rows: 24, ...extra }, {
    onBatch: (b) => items.push(...b),
    onEnd: (e) => { ended = true; error = e; },
  });
  return {
    sub: sub as Subscription<never>, items, ended: () => ended, error: () => error,
    text: () => items.map((i) => (i.t === 'data' ? i.data : '')).join(''),
    send: (m) => sub.send(m as never),
  };
}

const even = (ids: string[]) => ids.find((id) => /[02468]$/.test(id))!;

describe('terminal:session on the engine', () => {
  it('opens with the requested size and command, and carries keys and resizes to the session', async () => {
    const { client, plane, ids } = await setup();
    const t = open(client, even(ids), { command: ['bash', '-l'] });
    await wait(() => plane.sessions.length === 1);
    expect(plane.requests[0]).toEqual({ cols: 80, rows: 24, command: ['bash', '-l'] });
    await wait(() => t.items.length === 1);
    expect(t.items).toEqual([{ t: 'open' }]);   // before any output: the program runs
    t.send({ input: 'echo hi\r' });
    t.send({ resize: { cols: 132, rows: 43 } });
    await wait(() => plane.sessions[0].sizes.length === 1);
    expect(plane.sessions[0].written).toEqual(['echo hi\r']);
    expect(plane.sessions[0].sizes).toEqual([{ cols: 132, rows: 43 }]);
  });

  it('delivers keys and a resize sent while the session is still opening, in order, once it opens', async () => {
    const { client, plane, ids } = await setup();
    let resolve!: (s: FakeSession) => void;
    plane.opening = () => new Promise((r) => { resolve = r; });
    const t = open(client, even(ids));
    await wait(() => plane.requests.length === 1);
    t.send({ input: 'a' });
    t.send({ resize: { cols: 100, rows: 30 } });
    t.send({ input: 'b' });
    await new Promise((r) => setTimeout(r, 10));   // the messages have reached the engine
    const s = new FakeSession();
    resolve(s);
    await wait(() => s.written.length === 2);
    expect(s.written).toEqual(['a', 'b']);
    expect(s.sizes).toEqual([{ cols: 100, rows: 30 }]);
  });

  it('joins a UTF-8 character split across chunks (2, 3 and 4 bytes) and shows bytes that are not UTF-8 as U+FFFD', async () => {
    const { client, plane, ids } = await setup();
    const t = open(client, even(ids));
    await wait(() => plane.sessions.length === 1);
    const s = plane.sessions[0];
    const bytes = Buffer.from('é€😀 done\n', 'utf8');
    // One byte per chunk: every multi-byte character is cut at every possible place.
    for (const b of bytes) s.emit(Buffer.from([b]));
    await wait(() => t.text().endsWith('done\n'));
    expect(t.text()).toBe('é€😀 done\n');
    expect(t.text()).not.toContain('\uFFFD');
    s.emit(Buffer.from([0xff, 0x41]));
    s.emit(Buffer.from([0xe2, 0x82]));   // the first two bytes of '€', then the session ends
    s.end({ exitCode: 0, reason: 'exited with code 0' });
    await wait(() => t.ended());
    expect(t.text()).toBe('é€😀 done\n\uFFFDA\uFFFD');
  });

  it('ends the stream with the session’s end: exit code and reason as an item, no error', async () => {
    const { client, plane, ids } = await setup();
    const t = open(client, even(ids));
    await wait(() => plane.sessions.length === 1);
    plane.sessions[0].emit('bye\r\n');
    plane.sessions[0].end({ exitCode: 3, reason: 'exited with code 3' });
    await wait(() => t.ended());
    expect(t.error()).toBeUndefined();
    expect(t.items.at(-1)).toEqual({ t: 'end', exitCode: 3, reason: 'exited with code 3' });
    expect(t.text()).toBe('bye\r\n');
    expect(engine!.terminals.size).toBe(0);
  });

  it('says the connection was lost, so the page can offer to reconnect', async () => {
    const { client, plane, ids } = await setup();
    const t = open(client, even(ids));
    await wait(() => plane.sessions.length === 1);
    plane.sessions[0].end({ lost: true, reason: 'connection to kraken-dbs lost: timed out' });
    await wait(() => t.ended());
    expect(t.items.at(-1)).toEqual({ t: 'end', lost: true, reason: 'connection to kraken-dbs lost: timed out' });
  });

  it('closes the session when the client closes the stream, and keeps nothing open', async () => {
    const { client, plane, ids } = await setup();
    const t = open(client, even(ids));
    await wait(() => plane.sessions.length === 1);
    expect(engine!.terminals.size).toBe(1);
    t.sub.close();
    await wait(() => plane.sessions[0].closed === 1);
    expect(engine!.terminals.size).toBe(0);
  });

  it('closes a session that finishes opening after the client already left', async () => {
    const { client, plane, ids } = await setup();
    let resolve!: (s: FakeSession) => void;
    plane.opening = () => new Promise((r) => { resolve = r; });
    const t = open(client, even(ids));
    await wait(() => plane.requests.length === 1);
    t.sub.close();
    await new Promise((r) => setTimeout(r, 10));
    const s = new FakeSession();
    resolve(s);
    await wait(() => s.closed === 1);
    expect(engine!.terminals.size).toBe(0);
  });

  it('closes every open session when the engine stops, and the client hears the end', async () => {
    const { client, plane, ids } = await setup();
    const a = open(client, even(ids));
    const b = open(client, even(ids));
    await wait(() => plane.sessions.length === 2);
    engine!.stop();
    expect(plane.sessions.map((s) => s.closed)).toEqual([1, 1]);
    await wait(() => a.ended() && b.ended());
    expect(a.items.at(-1)).toMatchObject({ t: 'end', reason: 'closed by the operator' });
  });

  it('pauses the session when the client is a window behind, and resumes when its acks catch up', async () => {
    const { client, plane, ids } = await setup();
    const t = open(client, even(ids));
    await wait(() => plane.sessions.length === 1);
    const s = plane.sessions[0];
    const chunk = 'x'.repeat(64 * 1024);
    for (let sent = 0; sent < TERMINAL_WINDOW; sent += chunk.length) s.emit(chunk);
    await wait(() => t.text().length === TERMINAL_WINDOW);
    expect(s.paused).toBe(1);
    // Nothing is dropped while paused: what the session still hands over is sent.
    s.emit('tail');
    await wait(() => t.text().endsWith('tail'));
    t.send({ ack: TERMINAL_WINDOW / 2 });
    await new Promise((r) => setTimeout(r, 10));
    expect(s.resumed).toBe(0);                 // still more than a quarter window behind
    t.send({ ack: TERMINAL_WINDOW / 2 });
    await wait(() => s.resumed === 1);
    expect(s.paused).toBe(1);
  });

  it('names a resource without a terminal, and says why a session could not open', async () => {
    const { client, plane, ids } = await setup();
    const odd = ids.find((id) => /[13579]$/.test(id))!;
    const none = open(client, odd);
    await wait(() => none.ended());
    expect(none.error()?.code).toBe('not-found');
    expect(none.error()?.message).toMatch(/^group-000\/svc-\d+ has no terminal$/);

    plane.opening = () => Promise.reject(new Error('container abc is not running'));
    const failed = open(client, even(ids));
    await wait(() => failed.ended());
    expect(failed.error()?.message).toBe('the terminal could not open: container abc is not running');
    expect(failed.items).toEqual([]);
    expect(engine!.terminals.size).toBe(0);
  });

  it('refuses a malformed message with a notice that names the field, and the session goes on', async () => {
    const { client, plane, ids } = await setup();
    const notices: string[] = [];
    client.onNotice((n) => notices.push(n.message));
    const t = open(client, even(ids));
    await wait(() => plane.sessions.length === 1);
    t.send({ resize: { cols: 0, rows: 24 } });
    await wait(() => notices.length === 1);
    expect(notices[0]).toMatch(/terminal:session message/);
    expect(notices[0]).toMatch(/cols/);
    t.send({ input: 'ok' });
    await wait(() => plane.sessions[0].written.length === 1);
    expect(plane.sessions[0].sizes).toEqual([]);
    expect(t.ended()).toBe(false);
  });

  it('refuses a bad request before opening anything', async () => {
    const { client, plane, ids } = await setup();
    const t = open(client, even(ids), { command: [] });
    await wait(() => t.ended());
    expect(t.error()?.code).toBe('invalid-input');
    expect(t.error()?.message).toMatch(/command/);
    expect(plane.requests).toEqual([]);
  });
});
