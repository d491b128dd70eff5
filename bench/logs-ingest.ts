// Log ingest budget: the engine's path (docker frames → demux → line assembly → bounded buffer) must keep
// up with 100,000 lines/s per stream. Measured as a ratio against the cheapest possible baseline in the
// same run (Buffer→string→split), never as a timed assertion in a unit test.
//   npm run bench -- logs
import { PassThrough, Writable } from 'node:stream';
import Modem from 'docker-modem';
import { LogBuffer } from '../core/logs/buffer';
import { LineAssembler } from '../core/logs/lines';

const LINES = 1_000_000;
const BUDGET_LINES_PER_S = 100_000;
// The engine path demuxes through streams, parses a timestamp, checks for control bytes, makes an
// object per line and accounts bytes: ~10-13× a bare split measured here; 20× flags a regression.
const BUDGET_RATIO = 20;

function frames(): Buffer[] {
  const out: Buffer[] = [];
  let batch: string[] = [];
  for (let i = 0; i < LINES; i++) {
    batch.push(`2026-11-23T10:00:00.${String(i % 1e9).padStart(9, '0')}Z ${i % 50 === 0 ? '\x1b[31mERROR\x1b[0m' : 'INFO'} request ${i} served in ${i % 97} ms path=/api/v1/records?page=${i % 13}\n`);
    if (batch.length === 200) { out.push(frame(batch.join(''))); batch = []; }
  }
  if (batch.length) out.push(frame(batch.join('')));
  return out;
}
function frame(s: string): Buffer {
  const p = Buffer.from(s);
  const h = Buffer.alloc(8); h[0] = 1; h.writeUInt32BE(p.length, 4);
  return Buffer.concat([h, p]);
}

async function engineRun(chunks: Buffer[], expected = LINES): Promise<number> {
  const buf = new LogBuffer(8 * 1024 * 1024);
  let n = 0;
  const a = new LineAssembler('stdout', (l) => { buf.push(l); n++; }, { timestamps: true });
  const src = new PassThrough({ highWaterMark: 1 << 20 });
  const done = new Promise<void>((r) => src.on('end', () => r()));
  new Modem({ socketPath: '/nonexistent' }).demuxStream(src, new Writable({ write(c, _e, cb) { a.write(c as Buffer); cb(); } }), new Writable({ write(_c, _e, cb) { cb(); } }));
  const t = process.hrtime.bigint();
  for (const c of chunks) src.write(c);
  src.end();
  await done;
  a.end();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (n !== expected) throw new Error(`lost lines: ${n} of ${expected}`);
  return s;
}

function baselineRun(chunks: Buffer[], expected = LINES): number {
  const t = process.hrtime.bigint();
  let n = 0;
  for (const c of chunks) n += c.subarray(8).toString('utf8').split('\n').length - 1;
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (n !== expected) throw new Error('baseline miscounted');
  return s;
}

export async function run(): Promise<boolean> {
  const chunks = frames();
  await engineRun(chunks.slice(0, 200), 40_000); // warm up the JIT on both paths
  baselineRun(chunks.slice(0, 200), 40_000);
  const eng = Math.min(await engineRun(chunks), await engineRun(chunks));
  const base = Math.min(baselineRun(chunks), baselineRun(chunks));
  const rate = LINES / eng;
  const ratio = eng / base;
  const ok = rate >= BUDGET_LINES_PER_S && ratio <= BUDGET_RATIO;
  console.log(`logs-ingest: ${Math.round(rate).toLocaleString('en')} lines/s (budget ≥ ${BUDGET_LINES_PER_S.toLocaleString('en')}), ${ratio.toFixed(1)}× the bare split (budget ≤ ${BUDGET_RATIO}×) ${ok ? 'OK' : 'OVER BUDGET'}`);
  return ok;
}
