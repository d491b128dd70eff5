// The model, views and page at scale (issue 6, "Benchmarks"): a synthetic plane with N resources, then
// 1,000 updates/s for 30 s with 1% of the objects removed and added, through the real engine, views,
// web host and renderer in Debian's Chromium. One line per figure, each against its budget.
//   npm run bench -- model                 N = 10,000 (what CI runs)
//   npm run bench -- model --n 50000       or PILOTHOUSE_BENCH_N=50000
//   options: --seconds S (update run length), --no-page (engine figures only), --profile (CPU profiles
//   of the engine's steps and of the page and a trace of the page's long tasks, into bench/.out/profiles,
//   taken after the measured figures), --no-status
// The engine runs in a child process forked with --expose-gc, so its memory is its own and is read after
// a full collection.
import { mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startEngineChild, type EngineLink } from './model/engine-link';
import { line, mb, median, ms, percentile, signedMb, type Figure } from './model/figures';
import { BENCH_RENDERER, buildRenderer, openPage, type BenchPage } from './model/page';
import { topFrames, type TopFrame } from './model/profile';
import { statusFigure } from './model/status-cli';
import { traceLongTasks } from './model/trace';

// Budgets from the issue: frames, long tasks, rows in the DOM, event to screen, removal, status.
const FRAME_P95_MS = 1000 / 60; // the issue's "16 ms": one 60 Hz frame; rAF intervals come in multiples of it
const LONG_TASK_MS = 50;
const MAX_DOM_ROWS = 300;
const EVENT_TO_SCREEN_P95_MS = 100;
const REMOVE_MS = 50;
// Budgets the issue leaves open, set here: a list is complete within 100 ms per 1,000 resources (1 s at
// the CI size), and a 30 s run at a steady object count keeps the heap (after GC) within 10% and the
// RSS within 25% of where it started.
const SUBSCRIBE_MS_PER_1000 = 100;
const HEAP_GROWTH = 0.10;
const RSS_GROWTH = 0.25;

const UPDATES_PER_S = 1000;
const CHURN_OVER_RUN = 0.01;
const WATCHED = 5;
const MARK_EVERY_MS = 200;

interface Options { n: number; seconds: number; page: boolean; profile: boolean; status: boolean; runs: number }

function options(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2), strict: false, allowPositionals: true,
    options: { n: { type: 'string' }, seconds: { type: 'string' }, 'no-page': { type: 'boolean' }, profile: { type: 'boolean' }, 'no-status': { type: 'boolean' } },
  });
  const env = process.env;
  return {
    n: Number(values.n ?? env.PILOTHOUSE_BENCH_N ?? 10_000),
    seconds: Number(values.seconds ?? env.PILOTHOUSE_BENCH_SECONDS ?? 30),
    page: !values['no-page'],
    profile: !!values.profile || !!env.PILOTHOUSE_BENCH_PROFILE,
    status: !values['no-status'],
    runs: 3,
  };
}

const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const fmtN = (n: number) => n.toLocaleString('en');

export async function run(): Promise<boolean> {
  const o = options();
  const figures: Figure[] = [];
  const show = (f: Figure) => { figures.push(f); console.log(line(f)); };
  const cpu = os.cpus();
  console.log(`model: N=${fmtN(o.n)}, ${o.seconds} s of ${fmtN(UPDATES_PER_S)} updates/s; ${cpu.length} × ${cpu[0]?.model ?? '?'}, Node ${process.version}, ${new Date().toISOString()}, load average ${os.loadavg()[0].toFixed(2)}`);

  let staticDir: string | undefined;
  let pageSkip = o.page ? '' : '--no-page';
  if (o.page) {
    try { await buildRenderer(); staticDir = BENCH_RENDERER; } catch (e) { pageSkip = `the renderer does not build: ${(e as Error).message.split('\n')[0]}`; }
  }

  const eng = await startEngineChild();
  let page: BenchPage | undefined;
  try {
    const load = await eng.call('load', { n: o.n, staticDir });
    show({ name: 'engine start', value: `${ms(load.loadMs)} for ${fmtN(load.resources)} resources`, budget: '' });
    const subscribeBudget = (SUBSCRIBE_MS_PER_1000 * o.n) / 1000;

    // 1. Subscribe to a complete list, in process (both halves here, every message structuredCloned).
    const inproc: Array<{ ms: number; rows: number }> = [];
    for (let i = 0; i < o.runs; i++) inproc.push(await eng.call('inProcessSnapshot'));
    const inMs = median(inproc.map((r) => r.ms));
    show({ name: 'subscribe → complete list, in process', value: ms(inMs), budget: `≤ ${ms(subscribeBudget)}`, pass: inMs <= subscribeBudget && inproc.every((r) => r.rows === o.n), note: `median of ${o.runs}: [${inproc.map((r) => Math.round(r.ms)).join(', ')}] ms, ${fmtN(inproc[0].rows)} rows` });

    // 2a. Memory once loaded, before any page.
    const loaded = await eng.call('memory');
    show({ name: 'engine memory after load', value: `RSS ${mb(loaded.rss)}, heap ${mb(loaded.heapUsed)} used of ${mb(loaded.heapTotal)}`, budget: '', note: loaded.gc ? 'after global.gc()' : 'no --expose-gc: without a collection' });

    // 1b. Subscribe to a complete list in the page, through the web host's WebSocket.
    if (staticDir && load.url) {
      page = await openPage(load.url, 60_000 + o.n);
      const loads = [];
      for (let i = 0; i < o.runs; i++) loads.push(await page.load());
      const bad = loads.find((l) => l.timeout);
      if (bad) pageSkip = `the page never showed a complete list (${fmtN(bad.rows)} rows in the DOM; ${page.errors.slice(0, 2).join(' / ') || 'no page error'})`;
      else {
        const toShown = loads.map((l) => l.shownAt - l.subscribedAt);
        const toChunk = loads.map((l) => l.lastChunkAt - l.subscribedAt);
        const m = median(toShown);
        show({ name: 'subscribe → complete list, page over WebSocket', value: ms(m), budget: `≤ ${ms(subscribeBudget)}`, pass: m <= subscribeBudget, note: `median of ${o.runs} loads: [${toShown.map(Math.round).join(', ')}] ms to the list drawn, [${toChunk.map(Math.round).join(', ')}] ms to the last of ${loads[0].chunks} snapshot chunks; from navigation ${ms(median(loads.map((l) => l.shownAt)))}` });
      }
    }
    if (pageSkip) for (const name of ['subscribe → complete list, page over WebSocket', 'page frame time p95', 'page long tasks', 'rows in the DOM', 'event to screen p95']) show({ name, value: 'skipped', budget: 'see issue 6', note: pageSkip });
    const live = page && !pageSkip ? page : undefined;

    // Rows the page watches for event to screen: the first objects, pinned against churn, put in error
    // (problem groups sort first, so their group is at the top of the list).
    const head = await eng.call<{ keys: string[]; ids: string[] }>('head', { n: WATCHED });
    for (const key of head.keys) await eng.call('mark', { key });
    await sleep(1500);
    let onScreen = 0;
    if (live) {
      const visible = await live.visibleRows(60);
      onScreen = head.ids.filter((id) => visible.includes(id)).length;
      await live.watch(head.ids);
    }

    // 2-4. The update run: memory, frames, event to screen.
    const before = await eng.call('memory');
    await live?.start();
    await eng.call('startUpdates', { perSecond: UPDATES_PER_S, churn: CHURN_OVER_RUN / o.seconds });
    const sent: number[] = [];
    const end = Date.now() + o.seconds * 1000;
    for (let i = 0; Date.now() < end; i++) {
      sent.push(await eng.call('mark', { key: head.keys[i % head.keys.length] }));
      await sleep(MARK_EVERY_MS);
    }
    const run = await eng.call('stopUpdates');
    await sleep(1500); // the last marks reach the page
    const rec = await live?.stop();
    const after = await eng.call('memory');
    const heapGrowth = (after.heapUsed - before.heapUsed) / before.heapUsed;
    const rssGrowth = (after.rss - before.rss) / before.rss;
    show({ name: 'engine memory over the run', value: `RSS ${mb(before.rss)} → ${mb(after.rss)} (${signedMb(after.rss - before.rss)}, ${(rssGrowth * 100).toFixed(1)}%), heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} (${(heapGrowth * 100).toFixed(1)}%)`, budget: `RSS growth ≤ ${RSS_GROWTH * 100}%, heap growth ≤ ${HEAP_GROWTH * 100}%`, pass: heapGrowth <= HEAP_GROWTH && rssGrowth <= RSS_GROWTH, note: `peak RSS ${mb(run.peakRss)}, ${fmtN(run.resources)} resources at the end; engine event-loop delay p99 ${ms(run.loopP99Ms)}, max ${ms(run.loopMaxMs)}; ${live ? 'page attached' : 'no page'}` });

    if (live && rec) {
      const p95 = percentile(rec.frames, 95);
      show({ name: 'page frame time p95', value: ms(p95), budget: `≤ ${ms(FRAME_P95_MS)} (one 60 Hz frame)`, pass: p95 <= FRAME_P95_MS + 0.5, note: `${fmtN(rec.frames.length)} frames in ${o.seconds} s, median ${ms(median(rec.frames))}, p99 ${ms(percentile(rec.frames, 99))}, max ${ms(Math.max(...rec.frames))}, ${rec.frames.filter((f) => f > 2 * FRAME_P95_MS).length} frames over 2 intervals` });
      const longest = Math.max(0, ...rec.longtasks.map((t) => t.ms));
      show({ name: 'page long tasks', value: `${rec.longtasks.length}${rec.longtasks.length ? `, longest ${ms(longest)}` : ''}`, budget: `none over ${LONG_TASK_MS} ms`, pass: longest <= LONG_TASK_MS });
      show({ name: 'rows in the DOM', value: `${rec.rowsMax} at most`, budget: `< ${MAX_DOM_ROWS}`, pass: rec.rowsMax < MAX_DOM_ROWS && rec.rowsMax > 0, note: `list and overview's problem table together; the list alone at most ${rec.listRowsMax}; ${fmtN(rec.nodesMax)} elements in the page at most` });
      const seen = new Set(rec.latencies.map((l) => l.stamp));
      const lost = sent.filter((s) => !seen.has(s)).length;
      const lat = rec.latencies.map((l) => l.ms);
      const e2s = percentile(lat, 95);
      show({ name: 'event to screen p95', value: lat.length ? ms(e2s) : 'none seen', budget: `< ${EVENT_TO_SCREEN_P95_MS} ms`, pass: lat.length > 0 && e2s < EVENT_TO_SCREEN_P95_MS && lost <= sent.length * 0.02, note: `${lat.length} of ${sent.length} changes seen (median ${ms(median(lat))}, max ${ms(Math.max(...lat))}); ${onScreen}/${head.ids.length} watched rows on screen at the start; from the change's Date.now() in the engine to the row's text in the DOM` });
    }

    // 5. Removing 5% of the objects, with the page still subscribed.
    const rem = [];
    for (let i = 0; i < o.runs; i++) rem.push(await eng.call('removal', { fraction: 0.05 }));
    const remMs = median(rem.map((r) => r.engineMs));
    const mapMs = median(rem.map((r) => r.mapMs));
    show({ name: 'remove 5% in the engine', value: `${ms(remMs)} for ${fmtN(rem[0].keys)} objects`, budget: `< ${REMOVE_MS} ms`, pass: remMs < REMOVE_MS && rem.every((r) => r.removed === r.keys), note: `median of ${o.runs}: [${rem.map((r) => r.engineMs.toFixed(1)).join(', ')}] ms; ${Math.round(remMs / mapMs)}× a bare Map delete of the same keys (${ms(mapMs)})` });

    if (o.profile) await profiles(eng, live, o);
  } finally {
    await page?.close();
    await eng.close();
  }

  // 6. The CLI against the rig's Docker engine (independent of N).
  if (o.status) show(statusFigure());

  const missed = figures.filter((f) => f.pass === false);
  console.log(`model N=${fmtN(o.n)}: load average ${os.loadavg()[0].toFixed(2)} (the machine is shared: other work inflates frames and long tasks)`);
  console.log(`model N=${fmtN(o.n)}: ${missed.length ? `${missed.length} over budget: ${missed.map((f) => f.name).join('; ')}` : 'every budget met'}`);
  return !missed.length;
}

/** CPU profiles of the engine's steps (and of the page during updates), after the measured run. */
async function profiles(eng: EngineLink, page: BenchPage | undefined, o: Options): Promise<void> {
  const dir = path.join(BENCH_RENDERER, '../profiles');
  mkdirSync(dir, { recursive: true });
  const print = (what: string, file: string, top: TopFrame[]) => {
    console.log(`model profile ${what} (${path.relative(process.cwd(), file)}):`);
    for (const t of top) console.log(`  ${t.selfMs.toFixed(1).padStart(8)} ms ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.frame}`);
  };
  const step = async (what: string, fn: () => Promise<unknown>) => {
    const file = path.join(dir, `${o.n}-${what}.cpuprofile`);
    await eng.call('profileStart');
    await fn();
    print(what, file, await eng.call('profileStop', { file }));
  };
  await step('subscribe', () => eng.call('inProcessSnapshot'));
  await step('remove', () => eng.call('removal', { fraction: 0.05 }));
  const cdp = page ? await page.page.context().newCDPSession(page.page) : undefined;
  if (cdp) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.start'); }
  await step('updates', async () => { await eng.call('startUpdates', { perSecond: UPDATES_PER_S, churn: CHURN_OVER_RUN / o.seconds }); await sleep(5000); await eng.call('stopUpdates'); });
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    const file = path.join(dir, `${o.n}-page-updates.cpuprofile`);
    (await import('node:fs')).writeFileSync(file, JSON.stringify(profile));
    print('page during updates', file, topFrames(profile as never));
    // What the page's long tasks are made of, from a trace (a CPU profile cannot see style, layout, paint).
    const t = await traceLongTasks(page!.browser, page!.page, async () => { await eng.call('startUpdates', { perSecond: UPDATES_PER_S, churn: CHURN_OVER_RUN / o.seconds }); await sleep(5000); await eng.call('stopUpdates'); });
    console.log(`model trace of the page during 5 s of updates: ${t.tasks} tasks over 50 ms (longest ${ms(t.longest)}, ${ms(t.totalMs)} in all), self time by event:`);
    for (const p of t.parts) console.log(`  ${p.ms.toFixed(1).padStart(8)} ms  ${p.name}`);
  }
}
