// Log ingest budget: the engine's path (docker frames → demux (core/logs/frames.ts) → Docker's record rule → reassembly →
// bounded buffer) must keep up with 100,000 lines/s per stream. Docker sends every record as its own
// frame with its own timestamp, and one line in 50 here is 40 KB (three records) so the join is on the
// path. Measured as lines/s and as a ratio against the cheapest possible baseline in the same run
// (Buffer→string→split), never as a timed assertion in a unit test.
import { PassThrough } from 'node:stream';
import { LogBuffer } from '../core/logs/buffer';
import { FrameReader } from '../core/logs/frames';
import { LOG_BUFFER_BYTES } from '../core/logs/hub';
import { dockerEntry } from '../core/logs/partials';
import { Reassembler } from '../core/logs/reassemble';

const LINES = 500_000;
const LONG_EVERY = 5_000;
const BUDGET_LINES_PER_S = 100_000;
// Demux per frame, a timestamp per record, sanitizing, an object per line and byte accounting: measured
// ~10-13× a bare split of the same bytes; 25× flags a regression.
const BUDGET_RATIO = 25;

/** The bytes a Docker engine sends, in 64 KB socket reads. */
function socketReads(): Buffer[] {
  const frames: Buffer[] = [];
  const long = 'L'.repeat(40_000);
  for (let i = 0; i < LINES; i++) {
    const ts = `2026-11-23T10:00:${String(Math.floor(i / 1e4) % 60).padStart(2, '0')}.${String(i).padStart(9, '0')}Z `;
    if (i % LONG_EVERY === 0) {
      for (let at = 0; at < long.length; at += 16384) frames.push(frame(ts + long.slice(at, at + 16384) + (at + 16384 >= long.length ? '\n' : '')));
    } else {
      frames.push(frame(`${ts}${i % 50 === 0 ? '\x1b[31mERROR\x1b[0m' : 'INFO'} request ${i} served in ${i % 97} ms path=/api/v1/records?page=${i % 13}\n`));
    }
  }
  const all = Buffer.concat(frames);
  const out: Buffer[] = [];
  for (let at = 0; at < all.length; at += 65536) out.push(all.subarray(at, at + 65536));
  return out;
}
function frame(s: string): Buffer {
  const p = Buffer.from(s);
  const h = Buffer.alloc(8); h[0] = 1; h.writeUInt32BE(p.length, 4);
  return Buffer.concat([h, p]);
}

export async function engineRun(reads: Buffer[], expected = LINES): Promise<number> {
  const buf = new LogBuffer(LOG_BUFFER_BYTES);
  let n = 0;
  const asm = new Reassembler((l) => { buf.push(l); if (!l.part?.more) n++; });
  const src = new PassThrough({ highWaterMark: 1 << 16 });
  const done = new Promise<void>((r) => src.on('end', () => r()));
  const frames = new FrameReader((stream, payload) => asm.push(dockerEntry(payload, stream)));
  src.on('data', (c: Buffer) => frames.write(c));
  const t = process.hrtime.bigint();
  // As a socket delivers them: one read at a time, the event loop turning in between.
  for (const c of reads) { if (!src.write(c)) await new Promise((r) => src.once('drain', r)); }
  src.end();
  await done;
  asm.end();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (n !== expected) throw new Error(`lost lines: ${n} of ${expected}`);
  return s;
}

function baselineRun(reads: Buffer[]): number {
  const t = process.hrtime.bigint();
  let n = 0;
  for (const c of reads) n += c.toString('utf8').split('\n').length - 1;
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (n < LINES) throw new Error('baseline miscounted');
  return s;
}

export async function run(): Promise<boolean> {
  const reads = socketReads();
  await engineRun(reads.slice(0, 100), -1).catch(() => undefined); // warm up the JIT on both paths
  baselineRun(reads.slice(0, 100).concat(reads.slice(100))); // (counts all, so it checks itself too)
  const eng = Math.min(await engineRun(reads), await engineRun(reads));
  const base = Math.min(baselineRun(reads), baselineRun(reads));
  const rate = LINES / eng;
  const ratio = eng / base;
  const ok = rate >= BUDGET_LINES_PER_S && ratio <= BUDGET_RATIO;
  console.log(`logs-ingest: ${Math.round(rate).toLocaleString('en')} lines/s per stream through demux → records → reassembly → buffer, one frame per record, 1 line in ${LONG_EVERY.toLocaleString('en')} of 40 KB (budget ≥ ${BUDGET_LINES_PER_S.toLocaleString('en')}); ${ratio.toFixed(1)}× a bare split (budget ≤ ${BUDGET_RATIO}×) ${ok ? 'PASS' : 'MISS'}`);
  return ok;
}
