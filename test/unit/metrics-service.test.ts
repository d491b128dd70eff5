import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricItem } from '../../shared/contract/channels';
import type { Resource } from '../../shared/contract/domain';
import { MetricsService, type RangeQuerier } from '../../core/metrics/service';
import type { ModelObject } from '../../core/model/object';
import type { Plane } from '../../core/planes/plane';
import type { Series } from '../../core/planes/prometheus/client';

const T0 = Date.UTC(2026, 11, 6, 17, 0, 0);
let dir: string;
let now = T0;

function resource(over: Partial<Resource>): Resource {
  return { id: 'x', name: 'x', kind: 'host', plane: 'ssh', endpoint: 'ssh/x', group: { kind: 'host', name: 'x' }, runtime: 'ok', update: 'idle', reasons: [], facts: {}, actions: [], ...over };
}

function collect() {
  const items: MetricItem[] = [];
  let ended = false;
  return { items, get ended() { return ended; }, sink: { push: (i: MetricItem) => { items.push(i); }, end: () => { ended = true; }, congested: () => false } };
}

/** A Prometheus that answers every query with one point per step from `start`, value = seconds/1000. */
function fakeProm(calls: Array<{ expr: string; start: number; end: number; step: number }>, answer?: (expr: string) => Series[] | Error | undefined): RangeQuerier {
  return {
    async queryRange(expr, start, end, step) {
      calls.push({ expr, start, end, step });
      const a = answer?.(expr);
      if (a instanceof Error) throw a;
      if (a) return a;
      const points: Array<[number, number]> = [];
      for (let t = start; t <= end; t += step * 1000) points.push([t / 1000, t / 1e6]);
      return [{ labels: { job: 'search-service' }, points }];
    },
  };
}

function service(opts: { yaml?: string; prom?: RangeQuerier; planes?: Plane[]; objects?: () => ModelObject[] }) {
  if (opts.yaml !== undefined) writeFileSync(join(dir, 'metrics.yaml'), opts.yaml);
  return new MetricsService({
    env: { env: { PILOTHOUSE_CONFIG_DIR: dir }, home: dir, now: () => now },
    now: () => now,
    planes: opts.planes ?? [],
    objectsOf: () => opts.objects?.() ?? [],
    endpoints: () => [],
    prometheus: opts.prom ? () => opts.prom! : undefined,
  });
}

// The service loads metrics.yaml's parser on first use (a dynamic import): imported here, it is at hand.
import '../../core/metrics/config';
const settle = async () => { for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r)); await vi.advanceTimersByTimeAsync(0); };

beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ph-metrics-')); now = T0; vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }); });
afterEach(() => { vi.useRealTimers(); rmSync(dir, { recursive: true, force: true }); });

const YAML = `prometheus: http://prom.example:9090
resources:
  "ssh/**":
    - title: Search latency
      query: rate(http_request_duration_seconds_sum{host="{{name}}"}[1m])
      unit: seconds
`;

describe('metrics:series: what the first batch and later batches carry', () => {
  it('the first item of a chart carries the whole range; later ones only the new points', async () => {
    const calls: Array<{ expr: string; start: number; end: number; step: number }> = [];
    const svc = service({ yaml: YAML, prom: fakeProm(calls, (e) => (e.includes('node_') ? [] : undefined)) });
    const c = collect();
    const close = svc.subscribe(resource({ id: 'ssh/kraken-dbs/host/kraken-dbs', name: 'kraken-dbs' }), '15m', true, c.sink);
    await settle();
    const q = c.items.find((i) => i.t === 'chart' && i.key === 'q0');
    expect(q).toMatchObject({ t: 'chart', title: 'Search latency', unit: 'seconds', source: 'prometheus', stepSeconds: 5, start: T0 - 900_000, end: T0 });
    expect(q && q.t === 'chart' && q.query).toBe('rate(http_request_duration_seconds_sum{host="kraken-dbs"}[1m])');
    const first = q!.t === 'chart' ? q!.series[0].points : [];
    expect(first.length).toBe(181);
    expect(first[0][0]).toBe(T0 - 900_000);
    const before = c.items.length;
    now += 10_000;
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    const later = c.items.slice(before).filter((i) => i.t === 'points' && i.key === 'q0');
    expect(later.length).toBeGreaterThan(0);
    const pts = later.flatMap((i) => (i.t === 'points' ? i.series[0].points : []));
    // Only points after the last one sent: none repeated, none older.
    expect(pts.every(([t]) => t > T0)).toBe(true);
    expect(new Set(pts.map(([t]) => t)).size).toBe(pts.length);
    expect(pts.map(([t]) => t)).toEqual([T0 + 5000, T0 + 10_000]);
    close();
    const n = calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.length).toBe(n);
  });

  it("a bad query shows Prometheus's own message; an empty one says it matched nothing", async () => {
    const svc = service({
      yaml: YAML + `    - title: Empty\n      query: nothing_here\n      unit: count\n`,
      prom: fakeProm([], (e) => (e.includes('http_request') ? new Error('Prometheus at http://prom.example:9090/api/v1/query_range: bad_data: 1:5: parse error: unexpected <op:*>') : e === 'nothing_here' ? [] : [])),
    });
    const c = collect();
    svc.subscribe(resource({ id: 'ssh/h/host/h', name: 'h' }), '1h', false, c.sink);
    await settle();
    const byKey = Object.fromEntries(c.items.filter((i) => i.t === 'chart').map((i) => [i.key, i]));
    expect(byKey.q0).toMatchObject({ problem: { kind: 'query-error', message: expect.stringContaining('parse error: unexpected <op:*>') } });
    expect(byKey.q1).toMatchObject({ problem: { kind: 'empty', message: expect.stringMatching(/matched no series between \d\d:\d\d and \d\d:\d\d UTC/) } });
    // A host's CPU and memory come from node-exporter through Prometheus: here it has none.
    expect(byKey.cpu).toMatchObject({ problem: { kind: 'empty', message: expect.stringContaining('node_cpu_seconds_total') } });
    expect(c.ended).toBe(true);
    expect(svc.openCount).toBe(0);
  });

  it('without Prometheus every Prometheus chart says so and how to configure one', async () => {
    const svc = service({ yaml: YAML.replace(/^prometheus:.*\n/, '') });
    const c = collect();
    svc.subscribe(resource({ id: 'ssh/h/host/h', name: 'h' }), '1h', false, c.sink);
    await settle();
    const charts = c.items.filter((i) => i.t === 'chart');
    expect(charts.map((i) => i.key)).toEqual(['cpu', 'memory', 'q0']);
    for (const ch of charts) expect(ch).toMatchObject({ problem: { kind: 'no-prometheus', message: expect.stringContaining('metrics.yaml') } });
  });

  it('a resource with nothing to chart (an alert) ends its live stream at once, so the page does not wait on "loading…"', async () => {
    const calls: Array<{ expr: string; start: number; end: number; step: number }> = [];
    const svc = service({ yaml: YAML, prom: fakeProm(calls) });
    const c = collect();
    svc.subscribe(resource({ id: 'prometheus/env/alert/A-1', kind: 'alert', plane: 'prometheus', endpoint: 'prometheus/env', name: 'A' }), '1h', true, c.sink);
    await settle();
    expect(c.ended).toBe(true);
    expect(c.items).toEqual([]);
    expect(calls).toEqual([]);
    expect(svc.openCount).toBe(0);
  });

  it('an error in metrics.yaml is a chart that names file, line and field', async () => {
    const svc = service({ yaml: 'resources:\n  "ssh/**":\n    - title: t\n      query: up\n      unit: parsecs\n' });
    const c = collect();
    svc.subscribe(resource({ id: 'ssh/h/host/h', name: 'h' }), '1h', false, c.sink);
    await settle();
    expect(c.items.find((i) => i.key === 'config0')).toMatchObject({ problem: { kind: 'config-error', message: expect.stringMatching(/metrics\.yaml line 5: resources\.ssh\/\*\*\.0\.unit: expected one of bytes/) } });
  });
});

describe('metrics.yaml placeholders and a malformed PILOTHOUSE_PROMETHEUS_URL', () => {
  it('a chart whose placeholder stands outside a string is named and not asked; the others are', async () => {
    const calls: Parameters<typeof fakeProm>[0] = [];
    const svc = service({
      yaml: 'prometheus: http://prom.example:9090\nresources:\n  "airflow/**":\n    - {title: Open slots, query: "airflow_pool_open_slots{pool={{name}}}", unit: count}\n    - {title: Queued, query: \'airflow_pool_queued_slots{pool="{{name}}"}\', unit: count}\n',
      prom: fakeProm(calls),
    });
    const c = collect();
    svc.subscribe(resource({ id: 'airflow/af/pool/x', name: 'x"} or vector(1)', plane: 'airflow', kind: 'pool' }), '1h', false, c.sink);
    await settle();
    const byKey = Object.fromEntries(c.items.filter((i) => i.t === 'chart').map((i) => [i.key, i]));
    expect(byKey.q0).toMatchObject({ problem: { kind: 'config-error', message: expect.stringMatching(/metrics\.yaml: chart 'Open slots': \{\{name\}\} is outside a quoted string/) } });
    expect(byKey.q1).toMatchObject({ problem: undefined });
    expect(calls.map((x) => x.expr)).toEqual(['airflow_pool_queued_slots{pool="x\\"} or vector(1)"}']);
  });

  it('PILOTHOUSE_PROMETHEUS_URL without a scheme is named on every chart, and no other Prometheus is asked instead', async () => {
    const calls: Parameters<typeof fakeProm>[0] = [];
    const svc = new MetricsService({
      env: { env: { PILOTHOUSE_CONFIG_DIR: dir, PILOTHOUSE_PROMETHEUS_URL: '127.0.0.1:59090' }, home: dir, now: () => now },
      now: () => now, planes: [], objectsOf: () => [],
      endpoints: () => [{ id: 'prometheus/other', plane: 'prometheus', name: 'other', target: 'http://other:9090', source: 'x', state: 'connected' }],
      prometheus: () => fakeProm(calls),
    });
    const c = collect();
    svc.subscribe(resource({ id: 'ssh/h/host/h', name: 'h' }), '1h', false, c.sink);
    await settle();
    const charts = c.items.filter((i) => i.t === 'chart');
    expect(charts.map((i) => i.key)).toEqual(['cpu', 'memory']);
    for (const ch of charts) expect(ch).toMatchObject({ problem: { kind: 'no-prometheus', message: 'PILOTHOUSE_PROMETHEUS_URL "127.0.0.1:59090" is not an http:// or https:// URL (e.g. http://127.0.0.1:9090)' } });
    expect(calls).toEqual([]);
  });
});

describe('a server that answers, but not as Prometheus', () => {
  it('a chart names its URL instead of showing a TypeError', async () => {
    const svc = service({ yaml: YAML, prom: { queryRange: async () => { throw new TypeError("Cannot read properties of undefined (reading 'map')"); } } });
    const c = collect();
    svc.subscribe(resource({ id: 'ssh/h/host/h', name: 'h' }), '1h', false, c.sink);
    await settle();
    expect(c.items.find((i) => i.key === 'q0')).toMatchObject({ problem: { kind: 'query-error', message: "http://prom.example:9090 answered the range query in a shape Prometheus does not use (Cannot read properties of undefined (reading 'map')): is it Prometheus?" } });
  });
});

describe('an empty chart names its window', () => {
  it('with the dates when it crosses midnight: a 24 h window is not "18:24 to 18:24"', async () => {
    const { windowText } = await import('../../core/metrics/service');
    expect(windowText(Date.UTC(2026, 11, 6, 17, 0), Date.UTC(2026, 11, 6, 18, 0))).toBe('17:00 and 18:00 UTC');
    expect(windowText(Date.UTC(2026, 11, 5, 18, 24), Date.UTC(2026, 11, 6, 18, 24))).toBe('2026-12-05 18:24 and 2026-12-06 18:24 UTC');
  });
});

describe('which Prometheus a chart asks', () => {
  it("metrics.yaml first, then PILOTHOUSE_PROMETHEUS_URL, then one the prometheus plane reaches, the resource's own cluster's first", () => {
    const ep = (name: string, target: string, state: 'connected' | 'unavailable' = 'connected') => ({ id: `prometheus/${name}`, plane: 'prometheus' as const, name, target, source: 'x', state });
    const make = (vars: Record<string, string>) => new MetricsService({
      env: { env: vars, home: dir, now: () => now }, now: () => now, planes: [], objectsOf: () => [],
      endpoints: () => [ep('down', 'http://down:9090', 'unavailable'), ep('prometheus.monitoring@ctx-a', 'http://127.0.0.1:40001'), ep('prometheus.monitoring@ctx-b', 'http://127.0.0.1:40002/')],
    });
    expect(make({}).prometheusUrl(undefined, 'kube/ctx-b')).toBe('http://127.0.0.1:40002');
    expect(make({}).prometheusUrl(undefined, 'docker/default')).toBe('http://127.0.0.1:40001');
    expect(make({ PILOTHOUSE_PROMETHEUS_URL: 'http://env:9090/' }).prometheusUrl(undefined, 'kube/ctx-b')).toBe('http://env:9090');
    expect(make({ PILOTHOUSE_PROMETHEUS_URL: 'http://env:9090' }).prometheusUrl('http://yaml:9090', 'kube/ctx-b')).toBe('http://yaml:9090');
  });
});

describe('docker stats: a ring per viewed resource, released when nobody looks', () => {
  it('samples become step points; closing the last look stops the stats stream and frees the buffer', async () => {
    let sample: { read: string; cpuPercent: number; memUsed: number } | undefined;
    let watching = 0;
    const plane = { name: 'docker', watch: () => { watching++; return () => { watching--; }; } } as unknown as Plane;
    const objects = (): ModelObject[] => [
      { plane: 'docker', endpoint: 'docker/rig', kind: 'container', ns: 'p', name: 'c1', data: { state: { status: 'running' } } },
      ...(sample ? [{ plane: 'docker' as const, endpoint: 'docker/rig', kind: 'stats', ns: 'p', name: 'c1', data: { resource: 'docker/rig/p/s', container: 'c1', stats: sample } }] : []),
    ];
    const svc = service({ planes: [plane], objects });
    const r = resource({ id: 'docker/rig/p/s', name: 's', plane: 'docker', kind: 'compose-service', endpoint: 'docker/rig', facts: { container: 'p_s_1' } });
    const a = collect(), b = collect();
    const closeA = svc.subscribe(r, '15m', true, a.sink);
    const closeB = svc.subscribe(r, '1h', true, b.sink);
    await settle();
    expect(a.items.find((i) => i.key === 'cpu')).toMatchObject({ t: 'chart', source: 'docker', problem: { kind: 'waiting' } });
    expect(svc.feeds.size).toBe(1);
    expect(watching).toBe(1);
    for (let s = 1; s <= 12; s++) {
      now = T0 + s * 1000;
      sample = { read: new Date(now).toISOString(), cpuPercent: 50, memUsed: 100 * 2 ** 20 };
      await vi.advanceTimersByTimeAsync(1000);
    }
    const mem = a.items.filter((i) => i.t === 'points' && i.key === 'memory').flatMap((i) => (i.t === 'points' ? i.series[0].points : []));
    expect(mem).toEqual([[T0, 100 * 2 ** 20], [T0 + 5000, 100 * 2 ** 20]]);
    const cpu = a.items.filter((i) => i.t === 'points' && i.key === 'cpu').flatMap((i) => (i.t === 'points' ? i.series[0].points : []));
    expect(cpu[0][1]).toBe(0.5); // 50 % of one core = 0.5 cores
    closeA();
    expect(watching).toBe(1);
    closeB();
    expect(watching).toBe(0);
    expect(svc.feeds.size).toBe(0);
  });
});

describe('charts open on a resource deleted meanwhile', () => {
  it('docker: the points kept stay, with the reason (removed), not "waiting for the first sample"', async () => {
    let present = true;
    const plane = { name: 'docker', watch: () => () => {} } as unknown as Plane;
    const objects = (): ModelObject[] => (present ? [
      { plane: 'docker', endpoint: 'docker/rig', kind: 'container', ns: 'p', name: 'c1', data: { state: { status: 'running' } } },
      { plane: 'docker', endpoint: 'docker/rig', kind: 'stats', ns: 'p', name: 'c1', data: { resource: 'docker/rig/p/s', container: 'c1', stats: { read: new Date(now).toISOString(), cpuPercent: 10, memUsed: 1 } } },
    ] : []);
    const svc = service({ planes: [plane], objects });
    const c = collect();
    const close = svc.subscribe(resource({ id: 'docker/rig/p/s', name: 's', plane: 'docker', kind: 'container', endpoint: 'docker/rig', facts: { container: 'c1' } }), '15m', true, c.sink);
    await settle();
    for (let s = 1; s <= 6; s++) { now = T0 + s * 1000; await vi.advanceTimersByTimeAsync(1000); }
    expect(c.items.some((i) => i.t === 'points' && i.key === 'memory')).toBe(true);
    present = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(c.items.filter((i) => i.t === 'problem' && i.key === 'memory').at(-1)).toMatchObject({ problem: { kind: 'unavailable', message: 'the container is gone (removed): docker stats has nothing more to say' } });
    close();
  });

  it('kube: a 404 for a pod no longer in the model says it was deleted and stops asking', async () => {
    const { Readable } = await import('node:stream');
    const { KubeMetricsFeed } = await import('../../core/metrics/feeds');
    const asked: string[] = [];
    const transport = { get: async (path: string) => { asked.push(path); return Object.assign(Readable.from([path.endsWith('v1beta1') ? '{}' : '{"message":"not found"}']), { statusCode: path.endsWith('v1beta1') ? 200 : 404 }); } };
    let exists = true;
    const feed = new KubeMetricsFeed(transport as never, '/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods/web-1', 'pod ns/web-1', () => now, () => exists);
    await settle();
    expect(feed.problem()).toMatchObject({ kind: 'empty', message: 'metrics-server has no sample for pod ns/web-1 yet' });
    exists = false;
    await vi.advanceTimersByTimeAsync(15_000);
    await settle();
    expect(feed.problem()).toEqual({ kind: 'unavailable', message: 'pod ns/web-1 is gone (deleted): metrics.k8s.io has nothing more to say' });
    const n = asked.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked.length).toBe(n);
    feed.stop();
  });
});
