import { describe, expect, it } from 'vitest';
import { demux } from '../../core/planes/docker/api';

const frame = (type: 1 | 2, text: string) => {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
};

describe('demultiplexing a Docker log stream', () => {
  it('splits stdout and stderr frames, whole or cut anywhere, several per chunk', () => {
    const all = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err €\n'), frame(1, 'out two\n')]);
    for (let cut = 0; cut <= all.length; cut++) {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const feed = demux((b) => out.push(b), (b) => err.push(b));
      feed(all.subarray(0, cut));
      feed(all.subarray(cut));
      expect(Buffer.concat(out).toString()).toBe('out one\nout two\n');
      expect(Buffer.concat(err).toString()).toBe('err €\n');
    }
  });

  it('byte by byte', () => {
    const out: string[] = [];
    const feed = demux((b) => out.push(b.toString()), () => {});
    for (const byte of frame(1, 'slow')) feed(Buffer.from([byte]));
    expect(out).toEqual(['slow']);
  });
});
