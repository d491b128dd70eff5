import { describe, expect, it } from 'vitest';
import { LogBuffer } from '../../core/logs/buffer';
import { FrameReader } from '../../core/logs/frames';
import type { RawLine } from '../../core/logs/lines';
import { DockerTtyRecords, dockerEntry } from '../../core/logs/partials';
import { Reassembler } from '../../core/logs/reassemble';

const TS = (i: number) => `2026-11-23T10:00:${String(Math.floor(i / 1e6) % 60).padStart(2, '0')}.${String(i).padStart(9, '0')}Z`;

function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(p.length, 4);
  return Buffer.concat([h, p]);
}
/** One record as Docker sends it with timestamps=1: its own timestamp, a newline only on a line's last record. */
const record = (stream: 1 | 2, ts: string, body: string | Buffer, last = true) => frame(stream, Buffer.concat([Buffer.from(`${ts} `), Buffer.from(body), Buffer.from(last ? '\n' : '')]));

/** Docker's json-file cut of one line: 16 KB records, each with its own (later) timestamp. */
function dockerLine(stream: 1 | 2, start: number, text: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < text.length || i === 0; at += 16384, i++) out.push(record(stream, TS(start + i), text.subarray(at, at + 16384), at + 16384 >= text.length));
  return out;
}

/** Feeds bytes through the frame reader, Docker's record rule and the reassembler, as the Docker plane does. */
async function demux(chunks: Buffer[], opts?: { maxLine?: number }): Promise<RawLine[]> {
  const out: RawLine[] = [];
  const asm = new Reassembler((l) => out.push(l), opts);
  const frames = new FrameReader((s, payload) => asm.push(dockerEntry(payload, s)));
  for (const c of chunks) frames.write(c);
  asm.end();
  return out;
}

describe('Docker records to lines', () => {
  it('separates stdout and stderr and strips every timestamp', async () => {
    const lines = await demux([record(1, '2026-11-23T10:00:00.123456789Z', 'INFO ready'), record(2, '2026-11-23T10:00:01.000000000Z', 'ERROR boom')]);
    expect(lines).toEqual([
      { stream: 'stdout', text: 'INFO ready', ts: '2026-11-23T10:00:00.123456789Z' },
      { stream: 'stderr', text: 'ERROR boom', ts: '2026-11-23T10:00:01.000000000Z' },
    ]);
  });

  it('survives bytes split anywhere, even inside a frame header and inside a UTF-8 character', async () => {
    const all = Buffer.concat([record(1, TS(1), 'grüße 🚀'), record(2, TS(2), 'zweite')]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < all.length; i += 3) chunks.push(all.subarray(i, i + 3));
    const lines = await demux(chunks);
    expect(lines.map((l) => [l.stream, l.text, l.ts])).toEqual([['stdout', 'grüße 🚀', TS(1)], ['stderr', 'zweite', TS(2)]]);
  });

  it('a 2 MB line as Docker stores it (128 records, 128 timestamps) joins byte for byte, in marked pieces with the first timestamp', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = 0x21 + ((i * 7919) % 94);   // printable, no run repeats at 16 KB
    const frames = dockerLine(1, 100, big);
    expect(frames).toHaveLength(128);
    const lines = await demux([...frames, record(2, TS(300), 'interleaved on stderr'), record(1, TS(400), 'after')]);
    const pieces = lines.filter((l) => l.part);
    expect(pieces).toHaveLength(128);
    expect(pieces.map((p) => p.text).join('')).toBe(big.toString('latin1'));
    expect(pieces.every((p) => p.ts === TS(100) && p.text.length <= 16 * 1024 && !/\d{4}-\d\d-\d\dT/.test(p.text))).toBe(true);
    expect(pieces.map((p) => p.part)).toEqual(pieces.map((_, i) => ({ index: i, more: i < 127 })));
    expect(lines.slice(-2)).toEqual([{ stream: 'stderr', text: 'interleaved on stderr', ts: TS(300) }, { stream: 'stdout', text: 'after', ts: TS(400) }]);
  });

  it('a stderr line between two pieces of a stdout line stays apart from it', async () => {
    const lines = await demux([record(1, TS(1), 'a'.repeat(16384), false), record(2, TS(2), 'err line'), record(1, TS(3), 'tail of a')]);
    expect(lines.map((l) => [l.stream, l.text.length, l.part])).toEqual([['stderr', 8, undefined], ['stdout', 16384, { index: 0, more: true }], ['stdout', 9, { index: 1, more: false }]]);
    expect(lines[1].ts).toBe(TS(1));
  });

  it('a line over the cap keeps its beginning and says how much was cut', async () => {
    const lines = await demux([...dockerLine(1, 1, Buffer.alloc(100_000, 'x')), record(1, TS(50), 'next')], { maxLine: 40_000 });
    const pieces = lines.filter((l) => l.part);
    expect(pieces.map((p) => p.text).join('')).toBe('x'.repeat(40_000));
    expect(pieces.at(-1)).toMatchObject({ part: { more: false }, truncated: 60_000 });
    expect(lines.at(-1)).toEqual({ stream: 'stdout', text: 'next', ts: TS(50) });
  });

  it('the frame reader refuses a stream that is not multiplexed instead of inventing frames', () => {
    expect(() => new FrameReader(() => undefined).write(Buffer.from('plain text, no headers\n'))).toThrow(/not a multiplexed log stream/);
  });

  it('a last line without a newline is not lost when the stream ends', async () => {
    const lines = await demux([frame(1, `${TS(1)} no newline at the end`)]);
    expect(lines).toEqual([{ stream: 'stdout', text: 'no newline at the end', ts: TS(1) }]);
  });

  it('invalid UTF-8 and binary garbage do not glue or split lines', async () => {
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x07, 0x41, 0xc3]);
    const lines = await demux([record(1, TS(1), garbage), record(1, TS(2), 'MARKER')]);
    expect(lines).toHaveLength(2);
    expect(lines[0].text).toContain('A');
    expect(lines[0].text).toContain('\uFFFD');
    expect(lines[1]).toEqual({ stream: 'stdout', text: 'MARKER', ts: TS(2) });
  });
});

describe('TTY records (not multiplexed)', () => {
  const tty = (chunks: Buffer[], piece = 16384) => {
    const out: RawLine[] = [];
    const asm = new Reassembler((l) => out.push(l));
    const t = new DockerTtyRecords((r) => asm.push(dockerEntry(r, 'stdout')), piece);
    chunks.forEach((c) => t.write(c));
    t.end(); asm.end();
    return out;
  };

  it('splits records at their newline, CRLF taken off', () => {
    const lines = tty([Buffer.from(`${TS(1)} plain tty output\r\n${TS(2)} second\r\n`)]);
    expect(lines).toEqual([{ stream: 'stdout', text: 'plain tty output', ts: TS(1) }, { stream: 'stdout', text: 'second', ts: TS(2) }]);
  });

  it('finds a long line\'s pieces by the driver\'s piece size and the next timestamp, across any chunking', () => {
    const long = 'y'.repeat(40_000);
    const bytes = Buffer.concat([
      Buffer.from(`${TS(1)} ${long.slice(0, 16384)}`), Buffer.from(`${TS(2)} ${long.slice(16384, 32768)}`), Buffer.from(`${TS(3)} ${long.slice(32768)}\r\n`),
      Buffer.from(`${TS(4)} MARKER\r\n`),
    ]);
    for (const size of [7, 1000, 65536]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const lines = tty(chunks);
      expect(lines.filter((l) => l.part).map((l) => l.text).join('')).toBe(long);
      expect(lines.filter((l) => l.part).every((l) => l.ts === TS(1))).toBe(true);
      expect(lines.at(-1)).toEqual({ stream: 'stdout', text: 'MARKER', ts: TS(4) });
    }
  });
});

describe('bounded log buffer', () => {
  it('keeps the newest lines within its byte budget and counts what it dropped', () => {
    const b = new LogBuffer(10_000);
    for (let i = 0; i < 1000; i++) b.push({ stream: 'stdout', text: `line ${i} ${'.'.repeat(50)}` });
    expect(b.bytes).toBeLessThanOrEqual(10_000);
    expect(b.dropped + b.length).toBe(1000);
    const tail = b.tail(3);
    expect(tail.map((l) => l.seq)).toEqual([998, 999, 1000]);
    expect(tail[2].text.startsWith('line 999 ')).toBe(true);
  });

  it('a tail that would begin inside a long line begins at its first kept piece', () => {
    const b = new LogBuffer(1e9);
    b.push({ stream: 'stdout', text: 'before' });
    for (let i = 0; i < 5; i++) b.push({ stream: 'stdout', text: `p${i}`, part: { index: i, more: i < 4 } });
    b.push({ stream: 'stdout', text: 'after' });
    expect(b.tail(3).map((l) => l.text)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'after']);
    b.clear();
    expect([b.length, b.bytes]).toEqual([0, 0]);
  });
});
