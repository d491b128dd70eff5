import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/contract/domain';
import type { FollowSink } from '../../core/logs/follow';
import { LogBuffer } from '../../core/logs/buffer';
import { LogHub } from '../../core/logs/hub';
import { parseFilter } from '../../shared/text/filter';
import { fastMatcher, searchKept } from '../../core/logs/search';

function source() {
  const opened: FollowSink[] = [];
  let closed = 0;
  return { opened, closed: () => closed, start: (sink: FollowSink) => { opened.push(sink); return () => { closed++; }; } };
}
const subscriber = () => { const got: LogLine[] = []; let ended = false; return { got, ended: () => ended, push: (l: LogLine) => got.push(l), end: () => { ended = true; } }; };

describe('log hub: one follow per resource', () => {
  it('a second subscriber shares the follow: the kept tail first, then the live lines', () => {
    const hub = new LogHub();
    const src = source();
    const a = subscriber(), b = subscriber();
    const leaveA = hub.subscribe('r', 100, a, src.start);
    for (let i = 0; i < 5; i++) src.opened[0].line({ stream: 'stdout', text: `l${i}` });
    const leaveB = hub.subscribe('r', 2, b, src.start);
    src.opened[0].line({ stream: 'stdout', text: 'live' });
    expect(src.opened).toHaveLength(1);
    expect(a.got.map((l) => l.text)).toEqual(['l0', 'l1', 'l2', 'l3', 'l4', 'live']);
    expect(b.got.map((l) => l.text)).toEqual(['l3', 'l4', 'live']);
    expect(b.got.map((l) => l.seq)).toEqual([4, 5, 6]);
    leaveA();
    expect(src.closed()).toBe(0);
    leaveB();
    expect(src.closed()).toBe(1);
    expect(hub.size).toBe(0);
    expect(hub.kept('r')).toBeUndefined();
  });

  it('the last subscriber leaving lets the kept lines go; the next one starts a fresh follow', () => {
    const hub = new LogHub();
    const src = source();
    const leave = hub.subscribe('r', 10, subscriber(), src.start);
    src.opened[0].line({ stream: 'stdout', text: 'x'.repeat(1000) });
    const kept = hub.kept('r')!;
    expect(kept.length).toBe(1);
    leave();
    expect([kept.length, kept.bytes]).toEqual([0, 0]);
    // A late line from the closed follow reaches nobody and is kept nowhere.
    src.opened[0].line({ stream: 'stdout', text: 'late' });
    const c = subscriber();
    hub.subscribe('r', 10, c, src.start);
    expect(src.opened).toHaveLength(2);
    expect(c.got).toEqual([]);
  });

  it('kept lines are bounded by bytes', () => {
    const hub = new LogHub(100_000);
    const src = source();
    hub.subscribe('r', 10, subscriber(), src.start);
    for (let i = 0; i < 10_000; i++) src.opened[0].line({ stream: 'stdout', text: `line ${i} ${'.'.repeat(100)}` });
    expect(hub.kept('r')!.bytes).toBeLessThanOrEqual(100_000);
    expect(hub.kept('r')!.length).toBeLessThan(1000);
  });

  it('a follow that ends (no log) ends every subscriber and is gone', () => {
    const hub = new LogHub();
    const a = subscriber();
    let closed = 0;
    hub.subscribe('r', 10, a, (sink) => { sink.end(); return () => { closed++; }; });
    expect(a.ended()).toBe(true);
    expect(closed).toBe(1);
    expect(hub.size).toBe(0);
  });

  it('search of the kept lines: newest matches, newest last, with `more` when there are others', () => {
    const hub = new LogHub();
    const src = source();
    hub.subscribe('r', 10, subscriber(), src.start);
    for (let i = 0; i < 100; i++) src.opened[0].line({ stream: 'stdout', text: i % 10 === 0 ? `ERROR ${i}` : `info ${i}` });
    const r = searchKept(hub.kept('r')!, fastMatcher('error'), 3);
    expect(r.lines.map((l) => l.text)).toEqual(['ERROR 70', 'ERROR 80', 'ERROR 90']);
    expect(r.more).toBe(true);
    expect(searchKept(hub.kept('r')!, fastMatcher('/^ERROR [1-3]0$/'), 10).lines.map((l) => l.text)).toEqual(['ERROR 10', 'ERROR 20', 'ERROR 30']);
    expect(searchKept(hub.kept('r')!, fastMatcher('a.b'), 10).lines).toEqual([]);   // a literal, not a regex
  });

  it('searching blocks of joined lines finds exactly what a line-by-line search finds', () => {
    const buf = new LogBuffer(400_000);   // some lines already dropped at the head, mid-block
    const words = ['alpha', 'beta', 'Gamma', 'delta'];
    for (let i = 0; i < 5000; i++) buf.push({ stream: 'stdout', text: i % 777 === 0 ? '' : `${words[i % 4]} ${i} ${words[(i * 7) % 4]}` });
    expect(buf.dropped).toBeGreaterThan(0);
    const naive = (q: string) => { const f = parseFilter(q); const out: number[] = []; for (let s = buf.firstSeq; s <= buf.lastSeq; s++) if (f.test(buf.at(s)!.text)) out.push(s); return out; };
    for (const q of ['gamma', 'Gamma 4', '/^beta 1\\d+ alpha$/', '/^$/', '/delta(?! \\d)/', '/(?<=alpha )3/', '/\\bta\\b/', '/A 10\\d\\d D/i', 'nothing here',
      // alternations of plain words are scanned branch by branch; any other alternation as one regex
      '/zeta|4999 /', '/GAMMA 1234|delta 12 /i', '/Gamma|nope/', '/alpha 1\\.|ta 4321 /', '/(beta|delta) 42 /', '/x\\|y|beta 8 /', '/|alpha/']) {
      const r = searchKept(buf, fastMatcher(q), 100_000);
      expect(r.lines.map((l) => l.seq), q).toEqual(naive(q));
      expect(r.scanned).toBe(buf.length);
    }
    const few = searchKept(buf, fastMatcher('alpha'), 5);
    expect(few.lines.map((l) => l.seq)).toEqual(naive('alpha').slice(-5));
    expect(few.more).toBe(true);
  });
});
