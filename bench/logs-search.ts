// Search of the kept lines of an open follow (logs:search's fast path): the budget is 50 ms at
// 1,000,000 kept lines, in the engine. The worst case is measured: a query that matches nothing, so
// every line is looked at (a query that matches stops after `limit` hits, newest first).
import { LogBuffer } from '../core/logs/buffer';
import { fastMatcher, searchKept } from '../core/logs/search';

const LINES = 1_000_000;
const BUDGET_MS = 50;
const QUERIES = ['connection refused', '/timeout|refused/', '/status=5\\d\\d .*page=12$/'];

export async function run(): Promise<boolean> {
  const buf = new LogBuffer(Infinity);
  for (let i = 0; i < LINES; i++) {
    buf.push({ stream: i % 9 ? 'stdout' : 'stderr', ts: `2026-11-23T10:${String(Math.floor(i / 6e4) % 60).padStart(2, '0')}:00.${String(i).padStart(9, '0')}Z`, text: `${i % 50 === 0 ? 'ERROR' : 'INFO'} request ${i} served status=${i % 50 === 0 ? 503 : 200} in ${i % 97} ms path=/api/v1/records?page=${i % 13}` });
  }
  let ok = true;
  for (const q of QUERIES) {
    const match = fastMatcher(q);
    searchKept(buf, match, 1000);   // JIT warm-up
    const times: number[] = [];
    let r!: ReturnType<typeof searchKept>;
    for (let k = 0; k < 5; k++) { const t = performance.now(); r = searchKept(buf, match, 1000); times.push(performance.now() - t); }
    times.sort((a, b) => a - b);
    const median = times[2];
    const pass = median <= BUDGET_MS;
    ok &&= pass;
    console.log(`logs-search: ${JSON.stringify(q)} over ${LINES.toLocaleString('en')} kept lines: median ${median.toFixed(1)} ms (min ${times[0].toFixed(1)}, max ${times[4].toFixed(1)}; ${r.scanned.toLocaleString('en')} scanned, ${r.lines.length} hits) (budget ≤ ${BUDGET_MS} ms) ${pass ? 'PASS' : 'MISS'}`);
  }
  return ok;
}
