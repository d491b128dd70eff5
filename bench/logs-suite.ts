// `npm run bench -- logs`: ingest rate per stream, search time at 1,000,000 kept lines, and the memory a
// followed stream takes and gives back. Kept under ~30 s for CI, which runs every scenario.
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { LOG_BUFFER_BYTES } from '../core/logs/hub';

const MB = 1024 * 1024;
// A follow keeps LOG_BUFFER_BYTES of lines by its own estimate; V8's real cost may be somewhat more.
const BUDGET_FOLLOW_MB = (LOG_BUFFER_BYTES / MB) * 2;
const BUDGET_RELEASED_MB = 2;

interface Sample { at: string; rss: number; heap: number; external: number; kept?: number; keptBytes?: number }

function memoryChild(follows: number, lines: number): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const out: Sample[] = [];
    let buf = '';
    const child = fork(path.join(import.meta.dirname, 'logs-memory-child.ts'), ['synthetic', String(follows), String(lines)], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    child.stdout!.on('data', (b: Buffer) => { buf += b; let nl; while ((nl = buf.indexOf('\n')) >= 0) { out.push(JSON.parse(buf.slice(0, nl))); buf = buf.slice(nl + 1); } });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`memory child exited ${code}`))));
  });
}

async function memory(): Promise<boolean> {
  const s = await memoryChild(2, 500_000);
  const start = s[0];
  const following = s.filter((x) => x.at.startsWith('following'));
  const released = s.filter((x) => x.at.startsWith('released')).at(-1)!;
  const held = (x: Sample) => (x.heap + x.external - start.heap - start.external) / MB;
  const per = Math.max(...following.map(held));
  const back = held(released);
  const ok = per <= BUDGET_FOLLOW_MB && back <= BUDGET_RELEASED_MB;
  console.log(`logs-memory: one followed stream of 500,000 lines holds ${per.toFixed(1)} MB (heap + buffers after GC; ${following[0].kept!.toLocaleString('en')} lines kept, ${(following[0].keptBytes! / MB).toFixed(1)} MB by the buffer's estimate; budget ≤ ${BUDGET_FOLLOW_MB} MB); after the last subscriber left ${back >= 0 ? '+' : ''}${back.toFixed(1)} MB (budget ≤ ${BUDGET_RELEASED_MB} MB); RSS ${(start.rss / MB).toFixed(0)} → ${(released.rss / MB).toFixed(0)} MB ${ok ? 'PASS' : 'MISS'}`);
  return ok;
}

export async function run(): Promise<boolean> {
  const t = Date.now();
  let ok = await (await import('./logs-ingest')).run();
  ok = (await (await import('./logs-search')).run()) && ok;
  ok = (await memory()) && ok;
  console.log(`logs: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return ok;
}
