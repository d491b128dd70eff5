import { afterEach, describe, expect, it } from 'vitest';
import { followLog, type FollowDeps } from '../../core/logs/follow';
import type { RawLine } from '../../core/logs/lines';
import type { Entry } from '../../core/logs/partials';
import { ResumePoint, StreamOrder, tsKey } from '../../core/logs/resume';
import type { LogSource } from '../../core/logs/source';
import { until } from '../support/wait';

/**
 * A source that behaves as Docker's json-file log does: records with their own timestamps, `tail`
 * counting records, `since` inclusive. The test appends records, breaks streams and counts open ones.
 */
class FakeSource implements LogSource {
  records: Entry[] = [];
  live = new Set<{ onRecord: (e: Entry) => void; onEnd: (err?: Error) => void }>();
  opened: Array<{ tail?: number; since?: string; follow: boolean }> = [];
  maxOpen = 0;
  ready = true;
  /** Delay of open(): lets a test race two openers. */
  openDelayMs = 0;
  why = 'container exited with code 3';

  describe() { return 'fake'; }
  state() { return this.ready ? { ready: true } : { ready: false, why: 'engine away' }; }
  async explain() { return this.why; }
  async open(from: { tail?: number; since?: string; follow: boolean }, onRecord: (e: Entry) => void, onEnd: (err?: Error) => void) {
    this.opened.push(from);
    if (this.openDelayMs) await new Promise((r) => setTimeout(r, this.openDelayMs));
    let recs = this.records;
    if (from.since !== undefined) recs = recs.filter((e) => tsKey(e.ts!) >= tsKey(from.since!));
    if (from.tail !== undefined) recs = recs.slice(Math.max(0, recs.length - from.tail));
    const s = { onRecord, onEnd };
    if (from.follow) { this.live.add(s); this.maxOpen = Math.max(this.maxOpen, this.live.size); }
    queueMicrotask(() => { recs.forEach(onRecord); if (!from.follow) onEnd(); });
    return () => { this.live.delete(s); };
  }
  /** Docker before 23 at a rotation: the log grows, the open follow hears nothing and never ends. */
  stalled = false;
  mayStall?: string;
  add(e: Entry) { this.records.push(e); if (!this.stalled) for (const s of this.live) s.onRecord(e); }
  breakAll(err?: Error) { const all = [...this.live]; this.live.clear(); all.forEach((s) => s.onEnd(err)); }
}

const ts = (n: number) => `2026-11-23T10:00:00.${String(n).padStart(9, '0')}Z`;
const rec = (n: number, text: string, partial = false, stream: Entry['stream'] = 'stdout'): Entry => ({ stream, ts: ts(n), text: Buffer.from(text), partial });

function follow(src: FakeSource, tail = 10, quietCheck?: FollowDeps['quietCheck']) {
  const lines: RawLine[] = [];
  let ended: unknown;
  const watchers = new Set<() => void>();
  const deps: FollowDeps = { resolve: () => src, watch: (fn) => { watchers.add(fn); return () => watchers.delete(fn); }, now: Date.now, quietCheck };
  const close = followLog(deps, tail, { line: (l) => lines.push(l), end: (e) => { ended = e ?? 'ended'; } });
  return { lines, close, ended: () => ended, modelChanged: () => watchers.forEach((f) => f()), watchers, text: () => lines.filter((l) => l.stream !== 'system').map((l) => l.text) };
}

let cleanup: Array<() => void> = [];
afterEach(() => { cleanup.forEach((f) => f()); cleanup = []; });

describe('resume without duplicates', () => {
  it('the resume point counts the records of the last timestamp', () => {
    const p = new ResumePoint();
    [1, 2, 2, 2].forEach((n) => p.delivered(ts(n)));
    expect([p.ts, p.count]).toEqual([ts(2), 3]);
    const skip = p.skipper();
    // `since` is inclusive: the source sends the three again, and a fourth written in the same nanosecond.
    expect([2, 2, 2, 2, 3].map((n) => skip(ts(n)))).toEqual([true, true, true, false, false]);
    // Another spelling of the same instant (CRI trims zeros) is the same timestamp.
    const q = new ResumePoint(); q.delivered('2026-11-23T10:00:00.100000000Z');
    const s2 = q.skipper();
    expect([s2('2026-11-23T10:00:00.1Z'), s2('2026-11-23T10:00:00.1Z')]).toEqual([true, false]);
  });

  it('a record older than its stream\'s last (Docker re-reading a rotated file) is a repeat; one of the same nanosecond is one only with the same bytes', () => {
    const o = new StreamOrder();
    const b = (t: string) => Buffer.from(t);
    expect(o.repeat('stdout', ts(5), b('five'))).toBe(false);
    expect(o.repeat('stderr', ts(3), b('three on stderr'))).toBe(false);   // streams are apart
    expect(o.repeat('stdout', ts(4), b('four'))).toBe(true);
    expect(o.repeat('stdout', ts(5), b('five'))).toBe(true);
    expect(o.repeat('stdout', ts(5), b('also five'))).toBe(false);
    expect(o.repeat('stdout', '2026-11-23T10:00:00.000000006Z', b('six'))).toBe(false);
    // A coarse clock: two equal lines in one second are two lines.
    expect([o.repeat('x', '2026-11-23T10:00:01Z', b('ping')), o.repeat('x', '2026-11-23T10:00:01Z', b('ping'))]).toEqual([false, false]);
  });

  it('after a break, lines of the same nanosecond and a long line broken in the middle come once each', async () => {
    const src = new FakeSource();
    src.records = [rec(1, 'one'), rec(2, 'two-a'), rec(2, 'two-b')];
    const f = follow(src);
    cleanup.push(f.close);
    await until('the tail', () => f.text().length === 3);
    src.add(rec(2, 'two-c'));                       // same nanosecond as the last two
    src.add(rec(3, 'L'.repeat(16384), true));        // a long line's first record ...
    await until('delivered', () => f.text().includes('two-c'));
    src.breakAll(new Error('aborted'));
    src.add(rec(4, 'M'.repeat(100)));                // ... its rest, written while the stream was down
    src.add(rec(4, 'after the break'));
    await until('resumed', () => f.text().includes('after the break'), 5_000);
    expect(f.text().filter((t) => !t.startsWith('L') && !t.startsWith('M'))).toEqual(['one', 'two-a', 'two-b', 'two-c', 'after the break']);
    const long = f.lines.filter((l) => l.part);
    expect(long.map((l) => l.text).join('')).toBe('L'.repeat(16384) + 'M'.repeat(100));
    expect(long.map((l) => [l.ts, l.part])).toEqual([[ts(3), { index: 0, more: true }], [ts(3), { index: 1, more: false }]]);
    expect(src.opened.at(-1)).toEqual({ follow: true, since: ts(3) });
    const sys = f.lines.filter((l) => l.stream === 'system').map((l) => l.text);
    expect(sys).toEqual(['— container exited with code 3; waiting to resume —', '— log stream resumed —']);
  });

  it('a tail read that begins inside a long line drops the cut line and reads further back', async () => {
    const src = new FakeSource();
    src.records = [rec(1, 'first'), rec(2, 'x'.repeat(10), true), rec(3, 'y'.repeat(10), true), rec(4, 'z'), rec(5, 'last')];
    const f = follow(src, 2);
    cleanup.push(f.close);
    await until('the tail', () => f.text().includes('last'));
    expect(f.text()).toEqual(['xxxxxxxxxxyyyyyyyyyyz', 'last']);
    expect(src.opened.slice(0, 2)).toEqual([{ follow: false, tail: 3 }, { follow: false, tail: 6 }]);
  });
});

describe('exactly one stream per follow', () => {
  it('the model saying "back" and the retry timer, racing, open one stream', async () => {
    const src = new FakeSource();
    src.records = [rec(1, 'one')];
    src.openDelayMs = 30;
    const f = follow(src);
    await until('open', () => src.live.size === 1);
    src.ready = false;
    src.breakAll(new Error('aborted'));
    await until('waiting', () => f.lines.some((l) => /waiting to resume/.test(l.text)));
    src.ready = true;
    // Everything that may open at once: model changes in a burst while the retry timer is due.
    for (let i = 0; i < 5; i++) { f.modelChanged(); await new Promise((r) => setTimeout(r, 10)); }
    await new Promise((r) => setTimeout(r, 600));
    f.modelChanged();
    await until('resumed', () => f.lines.some((l) => /resumed/.test(l.text)));
    await new Promise((r) => setTimeout(r, 300));
    expect(src.live.size).toBe(1);
    expect(src.maxOpen).toBe(1);
    expect(f.lines.filter((l) => /resumed/.test(l.text))).toHaveLength(1);
    f.close();
    expect(src.live.size).toBe(0);
    expect(f.watchers.size).toBe(0);
  });

  it('closed while a stream is opening: that stream is closed as soon as it opens, and no timer fires later', async () => {
    const src = new FakeSource();
    src.openDelayMs = 50;
    const f = follow(src, 0);
    await until('opening', () => src.opened.length === 1);
    f.close();
    await new Promise((r) => setTimeout(r, 120));
    expect(src.live.size).toBe(0);
    const before = src.opened.length;
    src.breakAll();
    await new Promise((r) => setTimeout(r, 700));
    expect(src.opened.length).toBe(before);
  });

  it('closed while waiting to resume: the retry timer goes with it', async () => {
    const src = new FakeSource();
    const f = follow(src, 0);
    await until('open', () => src.live.size === 1);
    src.ready = false;
    src.breakAll();
    await until('waiting', () => f.lines.some((l) => /waiting to resume/.test(l.text)));
    f.close();
    src.ready = true;
    const before = src.opened.length;
    await new Promise((r) => setTimeout(r, 800));
    expect(src.opened.length).toBe(before);
    expect(src.live.size).toBe(0);
  });

  it('a source that cannot be read at all ends the follow with a coded error', async () => {
    const src = new FakeSource();
    src.open = async () => { throw Object.assign(new Error('no such container')); };
    const f = follow(src, 5);
    await until('ended', () => f.ended());
    expect(f.ended()).toMatchObject({ code: 'unavailable' });
  });
});

describe('a follow that goes quiet while the log grows (Docker 20.10 at a json-file rotation)', () => {
  const QUICK = { baseMs: 60, maxMs: 240 };
  const probes = (src: FakeSource) => src.opened.filter((o) => !o.follow && o.tail === 1).length;

  it('is reopened from the last record: every line once, the old stream closed, the reason said', async () => {
    const src = new FakeSource();
    src.mayStall = "Docker's follow can stop at a log file rotation";
    [1, 2, 3].forEach((n) => src.add(rec(n, `line ${n}`)));
    const f = follow(src, 10, QUICK);
    cleanup.push(f.close);
    await until('open', () => src.live.size === 1 && f.text().length === 3);
    src.stalled = true;
    [4, 5, 6].forEach((n) => src.add(rec(n, `line ${n}`)));
    src.stalled = false;   // the new stream hears what comes next
    await until('the lines written during the stall', () => f.text().length === 6);
    src.add(rec(7, 'line 7'));
    await until('the next line', () => f.text().length === 7);
    expect(f.text()).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `line ${n}`));
    expect(src.live.size).toBe(1);
    expect(f.lines.filter((l) => l.stream === 'system').map((l) => l.text)).toEqual([
      "— no record for 0 s while the log grew (Docker's follow can stop at a log file rotation); reopening —",
      '— log stream resumed —',
    ]);
    // Reopened from the last record delivered, not from the start.
    expect(src.opened.filter((o) => o.follow).at(-1)).toEqual({ follow: true, since: ts(3) });
  });

  it('a quiet log that does not grow is looked at less and less often, and never reopened', async () => {
    const src = new FakeSource();
    src.mayStall = 'may stall';
    src.add(rec(1, 'only line'));
    const f = follow(src, 10, QUICK);
    cleanup.push(f.close);
    await until('open', () => src.live.size === 1 && f.text().length === 1);
    await new Promise((r) => setTimeout(r, 1_000));
    // 60 + 120 + 240 + 240 ... ms: about five looks in a second, not sixteen.
    expect(probes(src)).toBeGreaterThanOrEqual(3);
    expect(probes(src)).toBeLessThanOrEqual(6);
    expect(src.opened.filter((o) => o.follow)).toHaveLength(1);
    expect(f.lines.filter((l) => l.stream === 'system')).toEqual([]);
    f.close();
    const after = probes(src);
    await new Promise((r) => setTimeout(r, 400));
    expect(probes(src)).toBe(after);
  });

  it('a busy stream is never looked at, and a source that cannot stall never is', async () => {
    const busy = new FakeSource();
    busy.mayStall = 'may stall';
    const f = follow(busy, 0, QUICK);
    cleanup.push(f.close);
    await until('open', () => busy.live.size === 1);
    for (let n = 1; n <= 20; n++) { busy.add(rec(n, `l${n}`)); await new Promise((r) => setTimeout(r, 25)); }
    expect(probes(busy)).toBe(0);
    const plain = new FakeSource();
    const g = follow(plain, 0, QUICK);
    cleanup.push(g.close);
    await until('open', () => plain.live.size === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(probes(plain)).toBe(0);
  });
});
