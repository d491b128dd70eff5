import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { startWebHost, type WebHost } from '../../core/host/web-host';
import type { ViewItem } from '../../shared/contract/domain';
import { SyntheticPlane, syntheticRules } from '../synthetic-plane';
import { startProfile, stopProfile } from './profile';

// The engine under test in a process of its own, so that its RSS and heap are the engine's and not the
// driver's (Playwright, the figures). The driver (engine-link.ts) sends commands over the IPC channel.

let plane: SyntheticPlane;
let engine: Engine;
let web: WebHost | undefined;
let sampler: ReturnType<typeof setInterval> | undefined;
let peakRss = 0;
const loop = monitorEventLoopDelay({ resolution: 10 });

function memory() {
  // Forked with --expose-gc: collect twice so that what is left is what the engine holds.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.(); gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, gc: !!gc };
}

const now = () => performance.now();

/** From subscribe to the last snapshot chunk, through the in-process transport (structuredClone both ways). */
function inProcessSnapshot(): Promise<{ ms: number; rows: number; chunks: number }> {
  const client = connectInProcess(engine.handlers());
  return new Promise((resolve, reject) => {
    let rows = 0;
    let chunks = 0;
    const t = now();
    const sub = client.subscribe('stack:watch', { scope: {}, level: 'rows' }, {
      onBatch(items: ViewItem[]) {
        for (const it of items) {
          if (it.kind !== 'snapshot') continue;
          rows += it.upsert.length; chunks++;
          if (it.done) { const ms = now() - t; sub.close(); client.close(); resolve({ ms, rows, chunks }); }
        }
      },
      onEnd: (e) => reject(e ?? new Error('stream ended before the snapshot was complete')),
    });
  });
}

/** Times removing a fraction through the plane and the model (listeners included) against a bare Map. */
function removal(fraction: number) {
  const yard = new Map(plane.objectKeys().map((k) => [k, engine.model.object(k)]));
  engine.model.flush();
  const before = engine.model.size;
  let t = now();
  const gone = plane.removeFraction(fraction);
  engine.model.flush();
  const engineMs = now() - t;
  const removed = before - engine.model.size;
  t = now();
  for (const k of gone) yard.delete(k);
  const mapMs = now() - t;
  // Put as many back, so that the next repetition starts from the same size.
  plane.addMore(gone.length);
  engine.model.flush();
  return { engineMs, mapMs, removed, keys: gone.length };
}

const commands: Record<string, (a: any) => unknown> = {
  async load({ n, staticDir }: { n: number; staticDir?: string }) {
    plane = new SyntheticPlane({ count: n });
    engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-bench-')), env: {}, planes: [plane] });
    const t = now();
    await engine.start();
    const loadMs = now() - t;
    if (staticDir) web = await startWebHost({ handlers: engine.handlers(), staticDir });
    return { loadMs, resources: engine.model.size, url: web?.url };
  },
  inProcessSnapshot,
  memory,
  startUpdates({ perSecond, churn }: { perSecond: number; churn: number }) {
    peakRss = process.memoryUsage().rss;
    sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 250);
    loop.reset(); loop.enable();
    plane.startUpdates(perSecond, churn);
    return { resources: engine.model.size };
  },
  stopUpdates() {
    plane.stopUpdates();
    if (sampler) clearInterval(sampler);
    loop.disable();
    return { peakRss, resources: engine.model.size, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6 };
  },
  /**
   * The first `n` objects (the lowest names of the lowest group, so their rows sit at the top of the list
   * once they are in error), pinned so that churn does not remove them while the page watches them.
   */
  head({ n }: { n: number }) {
    const keys = plane.objectKeys().slice(0, n);
    keys.forEach((k) => plane.pinned.add(k));
    const ids = keys.map((k) => { const o = engine.model.object(k)!; return syntheticRules.bind(o)[0]; });
    return { keys, ids };
  },
  /** A change whose reason carries the time it happened, so the page can tell when the row shows it. */
  mark({ key }: { key: string }) {
    const stamp = Date.now();
    plane.update(key, { status: 'error', reason: `error: t=${stamp}`, stamp });
    return stamp;
  },
  removal: ({ fraction }: { fraction: number }) => removal(fraction),
  profileStart: () => startProfile(),
  profileStop: ({ file }: { file: string }) => stopProfile(file),
  async quit() { plane?.stopUpdates(); await web?.close(); engine?.stop(); setImmediate(() => process.exit(0)); },
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
