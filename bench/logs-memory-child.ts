// Memory of followed logs, measured in a process of its own (forked with --expose-gc) so the figures
// are the engine's alone and read after a full collection. Prints one JSON line per measurement.
//   synthetic: the follow engine and hub fed by an in-memory source (bench, no Docker needed)
//   docker:    a real Engine against DOCKER_HOST following containers that print N lines (integration test)
import type { LogLine } from '../shared/contract/domain';
import { followLog } from '../core/logs/follow';
import { LogHub } from '../core/logs/hub';
import type { Entry } from '../core/logs/partials';
import type { LogSource } from '../core/logs/source';

const gc = (globalThis as { gc?: () => void }).gc;
const settle = async () => { for (let i = 0; i < 3; i++) { gc?.(); await new Promise((r) => setImmediate(r)); } };
const mem = () => { const m = process.memoryUsage(); return { rss: m.rss, heap: m.heapUsed, heapTotal: m.heapTotal, external: m.external + m.arrayBuffers }; };
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

/**
 * V8 gives the pages it grew into under a burst back to the system only once the process has been idle
 * for a while (its memory reducer, some seconds after the allocation rate drops), not at a forced
 * collection. An engine behind a web host is idle between follows, so that is when its memory is read:
 * every 2 s for up to 40 s, until RSS is back within 20 MB of the start.
 */
async function idle(startRss: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const m = mem();
    const done = m.rss - startRss < 20 * 1024 * 1024 || Date.now() - t0 > 40_000;
    if (done) { say({ at: 'idle', seconds: (Date.now() - t0) / 1000, ...m }); return; }
  }
}

/** A source whose log is `n` lines, sent in batches as a socket would, then kept open. */
function syntheticSource(n: number): LogSource {
  return {
    describe: () => 'synthetic',
    state: () => ({ ready: true }),
    async open(from, onRecord) {
      let i = 0;
      let stop = false;
      const base = Date.UTC(2026, 10, 23) / 1000;
      const step = () => {
        if (stop) return;
        for (const end = Math.min(n, i + 5000); i < end; i++) {
          const ts = `${new Date((base + Math.floor(i / 1e5)) * 1000).toISOString().slice(0, 19)}.${String(i).padStart(9, '0')}Z`;
          onRecord({ stream: 'stdout', ts, text: Buffer.from(`INFO request ${i} served in ${i % 97} ms path=/api/v1/records?page=${i % 13}`), partial: false } satisfies Entry);
        }
        if (i < n) setImmediate(step);
      };
      if (from.follow) setImmediate(step);
      return () => { stop = true; };
    },
  };
}

async function synthetic(follows: number, lines: number): Promise<void> {
  const hub = new LogHub();
  await settle();
  const start = mem();
  say({ at: 'start', ...start });
  for (let f = 0; f < follows; f++) {
    let got = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => { done = r; });
    const src = syntheticSource(lines);
    const leave = hub.subscribe(`r${f}`, 0, { push: (l: LogLine) => { if (l.stream !== 'system' && ++got === lines) done(); }, end: () => undefined },
      (sink) => followLog({ resolve: () => src, watch: () => () => undefined, now: Date.now }, 0, sink));
    await all;
    await settle();
    say({ at: `following ${f + 1}`, kept: hub.kept(`r${f}`)!.length, keptBytes: hub.kept(`r${f}`)!.bytes, ...mem() });
    leave();
    await settle();
    say({ at: `released ${f + 1}`, follows: hub.size, ...mem() });
  }
}

async function docker(follows: number, lines: number): Promise<void> {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { Engine } = await import('../core/engine/engine');
  const { connectInProcess } = await import('../core/engine/in-process');
  const { dockerClient, ensureTestImage, runContainer } = await import('../test/support/docker-fixtures');
  const d = dockerClient(process.env.DOCKER_HOST);
  await ensureTestImage(d);
  const engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')), env: { DOCKER_HOST: process.env.DOCKER_HOST }, home: mkdtempSync(path.join(tmpdir(), 'ph-home-')) });
  await engine.start();
  const client = connectInProcess(engine.handlers());
  await settle();
  const start = mem();
  say({ at: 'start', ...start });
  for (let f = 0; f < follows; f++) {
    const name = `pilothouse-itest-logs-mem-${f}`;
    // At most ~40,000 lines/s: Docker 20.10's json-file reader keeps up with about that, and the rig's
    // log rotation (10 MB, 2 files) drops what a reader falls more than a file behind on.
    const c = await runContainer(d, { name, cmd: ['sh', '-c', `sleep 2; awk 'BEGIN { for (i = 1; i <= ${lines}; i++) { printf "INFO request %d served in %d ms path=/api/v1/records?page=%d\\n", i, i % 97, i % 13; if (i % 2000 == 0) { fflush(); system("sleep 0.04") } } print "END" }'; exec sleep 3600`] });
    const rid = `docker/env/standalone/${name}`;
    for (let t = 0; !engine.list().some((r) => r.id === rid && r.runtime === 'ok'); t++) { if (t > 200) throw new Error(`${rid} not in the model`); await new Promise((r) => setTimeout(r, 100)); }
    let got = 0;
    let repeated = 0;
    const seen = new Uint8Array(lines + 1);
    const system: string[] = [];
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`END not seen after ${got} lines`)), 180_000);
      const sub = client.subscribe('logs:follow', { resource: rid, tail: 10 }, {
        onBatch: (b) => {
          for (const l of b) {
            if (l.stream === 'system') { system.push(l.text); continue; }
            got++;
            const n = Number(/^INFO request (\d+) /.exec(l.text)?.[1]);
            if (n && seen[n]++) repeated++;
            if (l.text === 'END') { clearTimeout(timer); sub.close(); resolve(); }
          }
        },
      });
    });
    const s = (Date.now() - t0) / 1000;
    let missing = 0;
    for (let i = 1; i <= lines; i++) if (!seen[i]) missing++;
    await settle();
    say({ at: `followed ${f + 1}`, lines: got, repeated, missing, system, seconds: s, follows: engine.logs.size, ...mem() });
    await c.remove({ force: true });
  }
  await new Promise((r) => setTimeout(r, 500));
  await settle();
  say({ at: 'end', follows: engine.logs.size, ...mem() });
  await idle(start.rss);
  client.close();
  engine.stop();
}

const [mode = 'synthetic', follows = '5', lines = '500000'] = process.argv.slice(2);
await (mode === 'docker' ? docker(Number(follows), Number(lines)) : synthetic(Number(follows), Number(lines)));
process.exit(0);
