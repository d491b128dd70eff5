// Charts' series against the rig: docker stats of a container on the rig's engine, the rig Prometheus
// (declared PromQL on the search-service stub, a bad query, node-exporter host metrics) and metrics.k8s.io.
// Run under `flock /tmp/ph-scenario.lock`: the host charts read the kraken ssh hosts' node-exporters.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricItem, MetricRange } from '../../shared/contract/channels';
import type { Client } from '../../shared/contract/client';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import type { Plane, PlaneEnv } from '../../core/planes/plane';
import { DockerPlane } from '../../core/planes/docker/index';
import { statsFromSample, type DockerStatsSample } from '../../core/planes/docker/engine-connection';
import { KubePlane } from '../../core/planes/kube/plane';
import { SshPlane } from '../../core/planes/ssh/plane';
import { dockerClient, ensureTestImage, runContainer, testDockerHost } from '../support/docker-fixtures';
import { until } from '../support/wait';

const REPO = path.resolve(import.meta.dirname, '../..');
const PROM_FILE = path.join(REPO, '.rig/prometheus/url');
const KUBECONFIG = path.join(REPO, '.rig/kube/kubeconfig');
const SSH_CONFIG = path.join(REPO, '.rig/ssh/ssh_config');
const host = testDockerHost();
const NAME = 'pilothouse-itest-metrics';
const RID = `docker/env/standalone/${NAME}`;

function setup(files: { metricsYaml?: string } = {}): PlaneEnv {
  const dir = mkdtempSync(path.join(tmpdir(), 'ph-metrics-'));
  mkdirSync(path.join(dir, 'config'));
  if (files.metricsYaml) writeFileSync(path.join(dir, 'config', 'metrics.yaml'), files.metricsYaml);
  return {
    env: { DOCKER_HOST: host, KUBECONFIG, PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, PILOTHOUSE_CONFIG_DIR: path.join(dir, 'config'), USER: 'pilothouse-test' },
    home: path.join(dir, 'home'),
    now: Date.now,
    dataDir: path.join(dir, 'data'),
  };
}

/** Everything a `metrics:series` subscription delivered, by chart; closed by `close`. */
function watch(client: Client, resource: string, range: MetricRange = '15m') {
  const items: MetricItem[] = [];
  let ended: Error | undefined | null = null;
  const sub = client.subscribe('metrics:series', { resource, range, live: true }, { onBatch: (b) => items.push(...b), onEnd: (e) => { ended = e ?? undefined; } });
  const chart = (key: string) => items.find((i) => i.t === 'chart' && i.key === key) as Extract<MetricItem, { t: 'chart' }> | undefined;
  const points = (key: string) => items.filter((i) => (i.t === 'points' || i.t === 'chart') && i.key === key).flatMap((i) => (i.t === 'problem' ? [] : i.series.flatMap((s) => s.points)));
  return { items, chart, points, close: () => sub.close(), get ended() { return ended; } };
}

describe('docker stats series for a container on the rig engine', () => {
  let docker: Docker;
  let engine: Engine;
  let client: Client;
  let container: Docker.Container | undefined;

  beforeAll(async () => {
    docker = dockerClient(host);
    await docker.ping().catch((e) => { throw new Error(`no Docker engine at ${host} (${e.message}): start one with 'npm run rig -- up docker'`); });
    await ensureTestImage(docker);
    const env = setup();   // no metrics.yaml, no Prometheus: docker stats is the only source
    engine = new Engine({ dataDir: env.dataDir!, env: env.env, home: env.home, planes: [new DockerPlane(env)] });
    await engine.start();
    client = connectInProcess(engine.handlers());
    await docker.getContainer(NAME).remove({ force: true }).catch(() => undefined);
    container = await runContainer(docker, { name: NAME, cmd: ['sleep', '3600'] });
    await until('the container in the model', () => engine.list().some((r) => r.id === RID), 20_000);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    engine?.stop();
    await container?.remove({ force: true }).catch(() => undefined);
  });

  it('memory and CPU arrive as step points while looked at; closing frees the stream and the buffer', async () => {
    const w = watch(client, RID);
    try {
    await until('the charts', () => w.chart('cpu') && w.chart('memory'), 20_000);
    expect(w.chart('memory')).toMatchObject({ title: 'Memory', unit: 'bytes', source: 'docker', stepSeconds: 5 });
    expect(w.chart('cpu')).toMatchObject({ unit: 'cores', source: 'docker' });
    const mem = await until('memory points from docker stats', () => { const p = w.points('memory'); return p.length >= 2 && p; }, 30_000);
    // The same figure `docker stats` gives for the idle container (page cache excluded), step-aligned.
    const once = statsFromSample(await container!.stats({ stream: false }) as DockerStatsSample).memUsed!;
    for (const [t, v] of mem) {
      expect(t % 5000).toBe(0);
      expect(v).toBeGreaterThan(0);
      // An idle shell's few hundred KiB move by tens of KiB between samples: a quarter, or 512 KiB.
      expect(Math.abs(v - once)).toBeLessThan(Math.max(0.25 * once, 512 * 1024));
    }
    expect(new Set(mem.map(([t]) => t)).size).toBe(mem.length);
    const cpu = await until('CPU points', () => { const p = w.points('cpu'); return p.length >= 1 && p; }, 30_000);
    expect(cpu.every(([, v]) => v >= 0 && v < 4)).toBe(true);
    expect(engine.metrics.feeds.size).toBe(1);
    expect(engine.objectsOf(RID).some((o) => o.kind === 'stats')).toBe(true);
    } finally { w.close(); }
    await until('the feed released', () => engine.metrics.feeds.size === 0, 5_000);
    await until('the stats stream stopped (its sample leaves the model)', () => !engine.objectsOf(RID).some((o) => o.kind === 'stats'), 5_000);
  }, 90_000);

  it('a stopped container says why its live chart has nothing new', async () => {
    await container!.stop({ t: 0 });
    await until('the container stopped in the model', () => /exited/.test(engine.find(RID).facts.state ?? ''), 20_000);
    const w = watch(client, RID);
    await until('the memory chart', () => w.chart('memory'), 20_000);
    const why = await until('a reason', () => w.chart('memory')?.problem ?? w.items.find((i) => i.t === 'problem' && i.key === 'memory'), 10_000);
    expect(JSON.stringify(why)).toMatch(/container is exited/);
    w.close();
  }, 60_000);
});

const promUrl = existsSync(PROM_FILE) ? readFileSync(PROM_FILE, 'utf8').trim() : undefined;
const noProm = promUrl ? undefined : `no ${PROM_FILE}: start the rig (npm run rig -- up prometheus)`;

describe.skipIf(!!noProm)(`PromQL charts from the rig Prometheus${noProm ? ` (skipped: ${noProm})` : ''}`, () => {
  let engine: Engine;
  let client: Client;
  const SEARCH = 'ssh/kraken-infra/host/kraken-infra';

  beforeAll(async () => {
    // The search-service stub stands in for the retrieval stack's API; its charts hang on kraken-infra.
    const env = setup({ metricsYaml: `prometheus: ${promUrl}
resources:
  "ssh/kraken-infra/host/*":
    - title: Search latency p95
      query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{handler="/search-image"}[1m])))
      unit: seconds
    - title: Search error rate
      query: (sum(rate(http_request_duration_seconds_count{status=~"5.."}[1m])) or vector(0)) / sum(rate(http_request_duration_seconds_count[1m]))
      unit: ratio
    - title: Requests
      query: sum by (handler) (rate(http_request_duration_seconds_count[1m]))
      unit: per-second
    - title: Broken
      query: sum(rate(http_request_duration_seconds_count[1m]) by
      unit: count
` });
    engine = new Engine({ dataDir: env.dataDir!, env: env.env, home: env.home, planes: [new SshPlane(env)] });
    await engine.start();
    client = connectInProcess(engine.handlers());
    await until('the ssh host resources', () => engine.list().some((r) => r.id === SEARCH), 20_000);
  }, 60_000);

  afterAll(() => { client?.close(); engine?.stop(); });

  it("declared queries give real series: the stub's ~0.7 s latency, no errors, its request rate; new points follow", async () => {
    const w = watch(client, SEARCH);
    await until('the declared charts', () => ['q0', 'q1', 'q2', 'q3'].every((k) => w.chart(k)), 20_000);
    const lat = w.chart('q0')!;
    expect(lat).toMatchObject({ source: 'prometheus', unit: 'seconds', stepSeconds: 5 });
    expect(lat.end - lat.start).toBe(900_000);
    const pts = lat.series[0].points.filter(([, v]) => Number.isFinite(v));
    expect(pts.length).toBeGreaterThan(10);
    // Every request takes ~0.7 s: the p95 is interpolated inside the (0.5, 1] bucket.
    for (const [, v] of pts.slice(-5)) { expect(v).toBeGreaterThan(0.5); expect(v).toBeLessThanOrEqual(1); }
    expect(w.chart('q1')!.series[0].points.slice(-3).every(([, v]) => v === 0)).toBe(true);
    expect(w.chart('q2')!.series.map((s) => s.name)).toContain('{handler="/search-image"}');
    const lastT = pts[pts.length - 1][0];
    const next = await until('a live patch with newer points only', () => {
      const p = w.items.filter((i) => i.t === 'points' && i.key === 'q0').flatMap((i) => (i.t === 'points' ? i.series[0].points : []));
      return p.length > 0 && p;
    }, 20_000);
    expect(next.every(([t]) => t > lastT)).toBe(true);
    w.close();
  }, 60_000);

  it("a bad query shows Prometheus's own error; the other charts still draw", async () => {
    const w = watch(client, SEARCH, '1h');
    const broken = await until('the broken chart', () => w.chart('q3'), 20_000);
    expect(broken.problem?.kind).toBe('query-error');
    expect(broken.problem?.message).toMatch(/parse error/);
    expect(broken.problem?.message).toContain(promUrl!);
    expect(w.chart('q0')!.series[0].points.length).toBeGreaterThan(0);
    w.close();
  }, 30_000);

  it("an SSH host's CPU and memory come from its node-exporter through Prometheus", async () => {
    const w = watch(client, 'ssh/kraken-dbs/host/kraken-dbs', '1h');
    const mem = await until('the memory chart', () => w.chart('memory'), 20_000);
    expect(mem).toMatchObject({ source: 'prometheus', unit: 'bytes', stepSeconds: 10 });
    expect(mem.query).toContain('host="kraken-dbs"');
    const total = Number(execFileSync('curl', ['-sf', '-m', '5', `${promUrl}/api/v1/query?query=${encodeURIComponent('node_memory_MemTotal_bytes{host="kraken-dbs"}')}`]).toString().match(/"value":\[[^,]+,"([^"]+)"/)![1]);
    const last = mem.series[0].points.at(-1)![1];
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThanOrEqual(total);
    expect(w.chart('cpu')).toMatchObject({ source: 'prometheus', unit: 'cores' });
    w.close();
  }, 30_000);
});

const noKube = existsSync(KUBECONFIG) ? undefined : `no ${KUBECONFIG}: start the rig (npm run rig -- up kube)`;

describe.skipIf(!!noKube)(`metrics.k8s.io for a pod of the rig cluster${noKube ? ` (skipped: ${noKube})` : ''}`, () => {
  it("a pod's CPU and memory come from metrics-server, or the chart says the cluster does not serve metrics.k8s.io", async () => {
    const env = setup();
    const engine = new Engine({ dataDir: env.dataDir!, env: env.env, home: env.home, planes: [new KubePlane(env, { watchConfig: false }) as Plane] });
    await engine.start();
    const client = connectInProcess(engine.handlers());
    try {
      const pod = await until('a running pod', () => engine.list().find((r) => r.plane === 'kube' && r.kind === 'pod' && r.runtime === 'ok'), 30_000);
      let served: boolean;
      try { execFileSync('kubectl', ['--kubeconfig', KUBECONFIG, 'get', '--raw', '/apis/metrics.k8s.io/v1beta1'], { stdio: 'pipe' }); served = true; } catch { served = false; }
      const w = watch(client, pod.id);
      const mem = await until('the memory chart', () => w.chart('memory'), 20_000);
      expect(mem.source).toBe('metrics.k8s.io');
      if (served) {
        const p = await until('a memory point from metrics-server', () => { const x = w.points('memory'); return x.length > 0 && x; }, 60_000);
        expect(p[0][1]).toBeGreaterThan(0);
      } else {
        const why = await until('the reason', () => w.items.find((i) => i.t === 'problem' && i.key === 'memory' && i.problem.kind === 'not-served'), 20_000);
        expect(why.t === 'problem' && why.problem.message).toBe('metrics.k8s.io not served by this cluster (no metrics-server)');
      }
      w.close();
      await until('the poller released', () => engine.metrics.feeds.size === 0, 5_000);
    } finally { client.close(); engine.stop(); }
  }, 90_000);
});
