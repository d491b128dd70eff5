import { describe, expect, it } from 'vitest';
import type { RawLine } from '../../core/logs/lines';
import { criEntry, dockerEntry, type Entry } from '../../core/logs/partials';
import { Reassembler } from '../../core/logs/reassemble';

const join = (entries: Entry[]) => { const out: RawLine[] = []; const a = new Reassembler((l) => out.push(l), { maxPiece: 10 }); entries.forEach((e) => a.push(e)); a.end(); return out; };

describe("each source's rule for a line split into records", () => {
  it('Docker: the timestamp comes off, a record without a newline is a piece', () => {
    const e = dockerEntry(Buffer.from('2026-11-23T10:00:00.000000001Z half a li'), 'stderr');
    expect({ ...e, text: e.text.toString() }).toEqual({ stream: 'stderr', ts: '2026-11-23T10:00:00.000000001Z', text: 'half a li', partial: true });
    const f = dockerEntry(Buffer.from('2026-11-23T10:00:00.000000002Z ne\r\n'), 'stderr');
    expect([f.text.toString(), f.partial]).toEqual(['ne', false]);
    // A record without a timestamp (timestamps not asked for) is taken whole.
    expect(dockerEntry(Buffer.from('plain\n'), 'stdout').text.toString()).toBe('plain');
  });

  it('CRI (Kubernetes): "<ts> <stream> P|F <text>", P a piece, F the last', () => {
    const file = [
      '2026-11-23T10:00:00.1Z stdout P first half of a long ',
      '2026-11-23T10:00:00.100000002Z stderr F an error in between',
      '2026-11-23T10:00:00.2Z stdout P line that the runtime ',
      '2026-11-23T10:00:00.3Z stdout F cut twice\n',
      '2026-11-23T10:00:01Z stdout F ',
      'not a CRI line',
    ];
    const entries = file.map((l) => criEntry(l));
    expect(entries.at(-1)).toBeUndefined();
    expect(entries.slice(0, -1).map((e) => [e!.stream, e!.partial, e!.ts])).toEqual([
      ['stdout', true, '2026-11-23T10:00:00.1Z'], ['stderr', false, '2026-11-23T10:00:00.100000002Z'], ['stdout', true, '2026-11-23T10:00:00.2Z'], ['stdout', false, '2026-11-23T10:00:00.3Z'], ['stdout', false, '2026-11-23T10:00:01Z'],
    ]);
    const lines = join(entries.slice(0, -1) as Entry[]);
    const whole = 'first half of a long line that the runtime cut twice';
    expect(lines.filter((l) => l.stream === 'stdout' && l.part).map((l) => l.text).join('')).toBe(whole);
    expect(lines.filter((l) => l.stream === 'stdout' && l.part).every((l) => l.ts === '2026-11-23T10:00:00.1Z' && l.text.length <= 10)).toBe(true);
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.text).join('|')).toBe('an error i|n between');
    expect(lines.at(-1)).toEqual({ stream: 'stdout', text: '', ts: '2026-11-23T10:00:01Z' });
  });

  it('a multi-byte character cut between two records comes out whole', () => {
    const euro = Buffer.from('€');   // 3 bytes
    const a: Entry = { stream: 'stdout', ts: 't1', text: Buffer.concat([Buffer.from('ab'), euro.subarray(0, 1)]), partial: true };
    const b: Entry = { stream: 'stdout', ts: 't2', text: Buffer.concat([euro.subarray(1), Buffer.from('cd')]), partial: false };
    const out: RawLine[] = [];
    const r = new Reassembler((l) => out.push(l));
    r.push(a); r.push(b);
    expect(out).toEqual([{ stream: 'stdout', ts: 't1', text: 'ab€cd' }]);
  });
});
