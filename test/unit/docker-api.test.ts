import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openApi } from '../../core/planes/docker/api';

// The plane demultiplexes logs with dockerode's modem; these pin the behaviour it relies on: frames cut
// anywhere across chunks, several per chunk, multi-byte characters across frames.
const frame = (type: 1 | 2, text: string) => {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
};

async function split(chunks: Buffer[]): Promise<{ out: string; err: string }> {
  const api = await openApi({ name: 't', target: 'unix:///nonexistent', source: 'test', socketPath: '/nonexistent' } as never);
  const src = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  api.demux(src, (b) => out.push(b), (b) => err.push(b));
  for (const c of chunks) src.write(c);
  src.end();
  await new Promise((r) => setImmediate(r));
  api.close();
  return { out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
}

describe('demultiplexing a Docker log stream', () => {
  it('splits stdout and stderr frames, whole or cut anywhere, several per chunk', async () => {
    const all = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err €\n'), frame(1, 'out two\n')]);
    for (let cut = 0; cut <= all.length; cut += 3) {
      expect(await split([all.subarray(0, cut), all.subarray(cut)])).toEqual({ out: 'out one\nout two\n', err: 'err €\n' });
    }
  });

  it('byte by byte', async () => {
    expect(await split([...frame(1, 'slow')].map((b) => Buffer.from([b])))).toEqual({ out: 'slow', err: '' });
  });
});
