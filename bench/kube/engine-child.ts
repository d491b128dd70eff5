import { subscribe as onChannel } from 'node:diagnostics_channel';
import { writeHeapSnapshot } from 'node:v8';
import { mkdtempSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { startWebHost, type WebHost } from '../../core/host/web-host';
import { KubePlane } from '../../core/planes/kube/plane';
import type { KubePod } from '../../core/planes/kube/objects';
import type { ViewItem } from '../../shared/contract/domain';
import { startProfile, stopProfile } from '../model/profile';

// The engine with only the kube plane, on the rig's admin kubeconfig, in a process of its own (forked
// with --expose-gc by bench/model/engine-link.ts) so that its RSS and heap are the engine's alone.

let engine: Engine;
let web: WebHost | undefined;
let sampler: ReturnType<typeof setInterval> | undefined;
let peakRss = 0;
const loop = monitorEventLoopDelay({ resolution: 10 });

// Every HTTP request this process starts (the kube transport uses node:http/https), counted where Node
// announces it: exact, and no wrapper around the code under test.
const requests: string[] = [];
onChannel('http.client.request.start', (m) => {
  const req = (m as { request: ClientRequest }).request;
  // A list and a watch of a kind share the path: the query tells them apart.
  requests.push(`${req.method} ${req.path.replace(/\?.*/, '')}${/[?&]watch=(1|true)\b/.test(req.path) ? ' (watch)' : ''}`);
});

const now = () => performance.now();

// Event to screen split in two: when the model first held each watched row's stamp `t=<ms>`.
const inModel = new Map<number, number>();
let watched = new Set<string>();
let unwatch: (() => void) | undefined;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const BENCH_NS = /^ph-bench-\d\d$/;

function memory() {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.(); gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, gc: !!gc };
}

/** Bench pods in the model (objects, not rows: rows are what the overview adds on top). */
function benchPods(): number {
  let n = 0;
  for (const r of engine.list()) if (r.kind === 'pod' && BENCH_NS.test(r.group.name)) n++;
  return n;
}

/** From subscribe to the last snapshot chunk of the overview's rows, in process. */
function overview(): Promise<{ ms: number; rows: number }> {
  const client = connectInProcess(engine.handlers());
  return new Promise((resolve, reject) => {
    let rows = 0;
    const t = now();
    const sub = client.subscribe('stack:watch', { scope: {}, level: 'rows' }, {
      onBatch(items: ViewItem[]) {
        for (const it of items) {
          if (it.kind !== 'snapshot') continue;
          rows += it.upsert.length;
          if (it.done) { const ms = now() - t; sub.close(); client.close(); resolve({ ms, rows }); }
        }
      },
      onEnd: (e) => reject(e ?? new Error('stream ended before the snapshot was complete')),
    });
  });
}

/** Pods whose Ready condition message is `marker` (the bench's changes made while the engine slept). */
function podsWithMessage(names: Array<{ ns: string; name: string }>, marker: string): number {
  let n = 0;
  for (const { ns, name } of names) {
    const o = engine.model.object(`kube/kwok-pilothouse/Pod/${ns}/${name}`);
    const pod = o?.data as KubePod | undefined;
    if (pod?.conditions.some((c) => c.type === 'Ready' && c.message === marker)) n++;
  }
  return n;
}

const commands: Record<string, (a: any) => unknown> = {
  /** Engine start → every bench pod in the model → the overview's complete list (in process). */
  async start({ kubeconfig, n, staticDir, profile }: { kubeconfig: string; n: number; staticDir?: string; profile?: string }) {
    const home = mkdtempSync(path.join(tmpdir(), 'ph-bench-kube-'));
    const env = { KUBECONFIG: kubeconfig, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
    // The process before the engine: Node, tsx and the modules this child imports statically.
    const before = memory();
    if (profile) await startProfile();
    const t0 = now();
    engine = new Engine({ dataDir: path.join(home, 'data'), env, home, planes: [new KubePlane({ env, home, now: Date.now })] });
    await engine.start();
    const startedMs = now() - t0;
    // engine.start() waits for the first lists up to a few seconds; after that the model fills on its own.
    while (benchPods() < n) {
      if (now() - t0 > 300_000) throw new Error(`only ${benchPods()} of ${n} bench pods in the model after 300 s`);
      await sleep(20);
    }
    const podsMs = now() - t0;
    const ov = await overview();
    const totalMs = now() - t0;
    const top = profile ? await stopProfile(profile) : undefined;
    if (staticDir) web = await startWebHost({ handlers: engine.handlers(), staticDir });
    return { startedMs, podsMs, overviewMs: ov.ms, totalMs, rows: ov.rows, resources: engine.list().length, url: web?.url, top, before };
  },
  overview,
  memory,
  watchRows({ ids }: { ids: string[] }) {
    watched = new Set(ids);
    unwatch?.();
    unwatch = engine.model.subscribe((c) => {
      const at = Date.now();
      for (const r of c.upsert) {
        if (!watched.has(r.id)) continue;
        for (const x of r.reasons) { const m = /t=(\d{13})/.exec(x.text); if (m && !inModel.has(Number(m[1]))) inModel.set(Number(m[1]), at); }
      }
    });
  },
  /** Stamp → when the model had it. */
  rowsInModel: () => [...inModel],
  requests: () => requests.length,
  requestsSince: ({ from }: { from: number }) => requests.slice(from),
  watchLoop() {
    peakRss = process.memoryUsage().rss;
    sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 250);
    loop.reset(); loop.enable();
  },
  unwatchLoop() {
    if (sampler) clearInterval(sampler);
    loop.disable();
    return { peakRss, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6 };
  },
  suspend: () => { engine.suspend(); },
  /** Resume, then the time until the model holds every change made while suspended. */
  async resume({ changed, marker, deleted }: { changed: Array<{ ns: string; name: string }>; marker: string; deleted: { ns: string; name: string } }) {
    const t0 = now();
    engine.resume();
    const gone = () => !engine.model.object(`kube/kwok-pilothouse/Pod/${deleted.ns}/${deleted.name}`);
    while (podsWithMessage(changed, marker) < changed.length || !gone()) {
      if (now() - t0 > 60_000) return { ms: -1, seen: podsWithMessage(changed, marker), of: changed.length, deletedGone: gone() };
      await sleep(10);
    }
    return { ms: now() - t0, seen: changed.length, of: changed.length, deletedGone: true };
  },
  /** A heap snapshot of the loaded engine (after GC), for bench/kube/heap-summary.ts. */
  heapSnapshot({ file }: { file: string }) { memory(); return writeHeapSnapshot(file); },
  profileStart: () => startProfile(),
  profileStop: ({ file }: { file: string }) => stopProfile(file),
  async quit() { await web?.close(); engine?.stop(); setImmediate(() => process.exit(0)); },
};

process.on('message', async (m: { id: number; cmd: string; args?: unknown }) => {
  try {
    const value = await commands[m.cmd](m.args ?? {});
    process.send!({ id: m.id, ok: true, value });
  } catch (e) {
    process.send!({ id: m.id, ok: false, error: (e as Error).stack ?? String(e) });
  }
});
process.send!({ id: 0, ok: true, value: 'ready' });
