import { PassThrough, Writable } from 'node:stream';
import Modem from 'docker-modem';
import { describe, expect, it } from 'vitest';
import { LogBuffer } from '../../core/logs/buffer';
import { LineAssembler, type RawLine } from '../../core/logs/lines';

function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Feeds bytes through docker-modem's demultiplexer into our line assemblers, as the Docker plane does. */
async function demux(chunks: Buffer[], timestamps = true): Promise<RawLine[]> {
  const out: RawLine[] = [];
  const o = new LineAssembler('stdout', (l) => out.push(l), { timestamps });
  const e = new LineAssembler('stderr', (l) => out.push(l), { timestamps });
  const src = new PassThrough();
  const sink = (a: LineAssembler) => new Writable({ write(c, _e, cb) { a.write(c as Buffer); cb(); } });
  new Modem({ socketPath: '/nonexistent' }).demuxStream(src, sink(o), sink(e));
  for (const c of chunks) { src.write(c); await new Promise((r) => setImmediate(r)); }
  o.end(); e.end();
  return out;
}

describe('log demultiplexing', () => {
  it('separates stdout and stderr and strips the engine timestamps', async () => {
    const lines = await demux([frame(1, '2026-11-23T10:00:00.123456789Z INFO ready\n'), frame(2, '2026-11-23T10:00:01.000000000Z ERROR boom\n')]);
    expect(lines).toEqual([
      { stream: 'stdout', text: 'INFO ready', ts: '2026-11-23T10:00:00.123456789Z' },
      { stream: 'stderr', text: 'ERROR boom', ts: '2026-11-23T10:00:01.000000000Z' },
    ]);
  });

  it('survives frames split anywhere, even inside the header and inside a UTF-8 character', async () => {
    const all = Buffer.concat([frame(1, '2026-11-23T10:00:00Z grüße 🚀\n'), frame(2, '2026-11-23T10:00:01Z zweite\n')]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < all.length; i += 3) chunks.push(all.subarray(i, i + 3));
    const lines = await demux(chunks);
    expect(lines.map((l) => [l.stream, l.text, l.ts])).toEqual([['stdout', 'grüße 🚀', '2026-11-23T10:00:00Z'], ['stderr', 'zweite', '2026-11-23T10:00:01Z']]);
  });

  it('one line spread over several frames stays one line', async () => {
    const lines = await demux([frame(1, '2026-11-23T10:00:00Z part one, '), frame(1, 'part two\n')]);
    expect(lines).toEqual([{ stream: 'stdout', text: 'part one, part two', ts: '2026-11-23T10:00:00Z' }]);
  });

  it('binary garbage becomes replacement characters, never control bytes; ANSI escapes stay for the view', async () => {
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x07, 0x41, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x52, 0x1b, 0x5b, 0x30, 0x6d, 0x0a]);
    const [l] = await demux([frame(1, garbage)], false);
    expect(l.text).toBe('\uFFFD\uFFFD\uFFFD\uFFFDA\x1b[31mR\x1b[0m');
  });

  it('a 2 MB line arrives whole, in bounded pieces marked as continuations', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const lines = await demux([frame(1, `2026-11-23T10:00:00Z ${big}\n`), frame(1, '2026-11-23T10:00:01Z after\n')]);
    const pieces = lines.filter((l) => l.text !== 'after');
    expect(pieces.length).toBe(128);
    expect(pieces.every((p) => p.text.length <= 16 * 1024)).toBe(true);
    expect(pieces.map((p) => p.text).join('')).toBe(big);
    expect(pieces.map((p) => p.part)).toEqual(pieces.map((_, i) => ({ index: i, more: i < 127 })));
    expect(lines[lines.length - 1]).toEqual({ stream: 'stdout', text: 'after', ts: '2026-11-23T10:00:01Z' });
  });

  it('a TTY stream (not multiplexed) passes through as stdout', async () => {
    const lines = await demux([Buffer.from('plain tty output\r\nsecond\r\n')], false);
    expect(lines.map((l) => [l.stream, l.text])).toEqual([['stdout', 'plain tty output'], ['stdout', 'second']]);
  });

  it('a last line without a newline is not lost when the stream ends', async () => {
    const lines = await demux([frame(1, 'no newline at the end')], false);
    expect(lines).toEqual([{ stream: 'stdout', text: 'no newline at the end' }]);
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
});
