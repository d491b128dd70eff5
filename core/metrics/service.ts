import type { MetricItem, MetricProblem, MetricRange, MetricUnit } from '../../shared/contract/channels';
import type { PlaneEndpoint, Resource } from '../../shared/contract/domain';
import { PilothouseError } from '../../shared/contract/envelope';
import type { StreamSink } from '../engine/dispatch';
import type { ModelObject } from '../model/object';
import type { KubeTransport } from '../planes/kube/client';
import type { Plane, PlaneEnv } from '../planes/plane';
import type { Series } from '../planes/prometheus/client';
import { builtinCharts, hasResourceUse } from './builtin';
import { bucketize, capPoints, MAX_POINTS, MAX_SERIES, rangeWindow, stepFor, type Point } from './downsample';
import { DockerStatsFeed, Feeds, KubeMetricsFeed, type Feed, type Sample } from './feeds';
import { fillQuery, PlaceholderError } from './promql';

/**
 * The engine's series service behind `metrics:series`: for one resource and a range, its CPU and memory
 * from the best source there is (Prometheus when it has the series, else docker stats or metrics.k8s.io
 * while someone looks) and the PromQL charts metrics.yaml declares for it. The first item of a chart
 * carries the whole range, later ones only new points; nothing here grows without bound.
 */

export interface RangeQuerier { queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<Series[]> }

export interface MetricsDeps {
  env: PlaneEnv;
  now: () => number;
  planes: readonly Plane[];
  objectsOf(rid: string): ModelObject[];
  endpoints(): PlaneEndpoint[];
  /** Tests may hand in their own; by default the Prometheus client (core/planes/prometheus/client.ts). */
  prometheus?: (url: string) => RangeQuerier;
}

/** The kube plane's side that the metrics need: a context's transport (its auth). */
interface KubeConnections { connection(endpointId: string): { transport: KubeTransport } | undefined }

type Driver =
  | { kind: 'prometheus'; query: string }
  | { kind: 'feed'; feed: Feed; field: 'cpu' | 'memory'; release: () => void }
  | { kind: 'none' };

interface ChartPlan { key: string; title: string; unit: MetricUnit; source: 'prometheus' | 'metrics.k8s.io' | 'docker' | 'none'; query?: string; driver: Driver; series: Series[]; problem?: MetricProblem; step: number }

const PROM_HINT = 'name one in prometheus.yaml or metrics.yaml, or set PILOTHOUSE_PROMETHEUS_URL';

function seriesName(labels: Record<string, string>, fallback: string): string {
  const parts = Object.entries(labels).filter(([k]) => k !== '__name__').map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `{${parts.join(', ')}}` : labels.__name__ ?? fallback;
}

const HTTP_URL = /^https?:\/\/[^\s/?#]+/;

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
/** "17:00 and 18:00 UTC"; with the dates when the window crosses midnight (a 24 h window read 18:24 to 18:24). */
export function windowText(start: number, end: number): string {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return day(start) === day(end) ? `${hhmm(start)} and ${hhmm(end)} UTC` : `${day(start)} ${hhmm(start)} and ${day(end)} ${hhmm(end)} UTC`;
}

export class MetricsService {
  readonly feeds = new Feeds();
  private readonly open = new Set<() => void>();

  constructor(private readonly deps: MetricsDeps) {}

  /**
   * Where Prometheus is: metrics.yaml, the environment, or a Prometheus the prometheus plane reaches
   * (prometheus.yaml, a labelled Service port-forwarded, a tunnel); one found in the resource's own
   * cluster (`<service>.<ns>@<context>`) first.
   */
  prometheusUrl(configured?: string, resourceEndpoint?: string): string | undefined {
    if (configured) return configured;
    const env = this.deps.env.env.PILOTHOUSE_PROMETHEUS_URL?.trim();
    // A malformed one is named (envProblem), not replaced by another Prometheus the operator did not pick.
    if (env) return HTTP_URL.test(env) ? env.replace(/\/+$/, '') : undefined;
    const live = this.deps.endpoints().filter((e) => e.plane === 'prometheus' && e.state === 'connected' && /^https?:\/\//.test(e.target));
    const ctx = resourceEndpoint?.startsWith('kube/') ? `@${resourceEndpoint.slice(5).replace(/\//g, '_')}` : undefined;
    const found = (ctx && live.find((e) => e.name.endsWith(ctx))) || live[0];
    return found?.target.replace(/\/+$/, '');
  }

  /** Why PILOTHOUSE_PROMETHEUS_URL cannot be used, when it is set to something that is not an http(s) URL. */
  envProblem(configured?: string): string | undefined {
    const env = this.deps.env.env.PILOTHOUSE_PROMETHEUS_URL?.trim();
    if (configured || !env || HTTP_URL.test(env)) return undefined;
    return `PILOTHOUSE_PROMETHEUS_URL ${JSON.stringify(env)} is not an http:// or https:// URL (e.g. http://127.0.0.1:9090)`;
  }

  /** The Prometheus to ask now (metrics.yaml is read again: an edit applies to the next look). */
  async currentPrometheus(resourceEndpoint?: string): Promise<RangeQuerier | undefined> {
    const { loadMetricsConfig } = await import('./config');
    const url = this.prometheusUrl(loadMetricsConfig(this.deps.env).prometheus, resourceEndpoint);
    return url ? this.querier(url) : undefined;
  }

  private async querier(url: string): Promise<RangeQuerier> {
    let q: RangeQuerier;
    if (this.deps.prometheus) q = this.deps.prometheus(url);
    else {
      const { PrometheusClient } = await import('../planes/prometheus/client');
      q = new PrometheusClient(url, { timeoutMs: 10_000 });
    }
    // The client names the URL in its own errors; anything else is an answer in a shape it did not expect
    // (a server that says "success" but is not Prometheus): the chart names the URL, not a TypeError.
    return {
      queryRange: (expr, start, end, step) => q.queryRange(expr, start, end, step).catch((e: Error) => {
        throw e instanceof PilothouseError ? e : new PilothouseError('unavailable', `${url} answered the range query in a shape Prometheus does not use (${e.message}): is it Prometheus?`);
      }),
    };
  }

  /** The live source for a resource's CPU and memory, shared per resource; undefined when it has none. */
  private feedFor(r: Resource): { feed: Feed; release: () => void } | undefined {
    const plane = this.deps.planes.find((p) => p.name === r.plane);
    if (!plane) return undefined;
    if (r.plane === 'docker' && (r.kind === 'container' || r.kind === 'compose-service')) {
      return this.feeds.acquire(r.id, () => new DockerStatsFeed(r.id, () => plane.watch?.(r, this.deps.objectsOf(r.id)) ?? (() => {}), this.deps.objectsOf, this.deps.now));
    }
    if (r.plane === 'kube') {
      const path = KubeMetricsFeed.pathFor(r);
      const conn = (plane as unknown as Partial<KubeConnections>).connection?.(r.endpoint);
      if (!path || !conn) return undefined;
      return this.feeds.acquire(r.id, () => new KubeMetricsFeed(conn.transport, path, `${r.kind} ${r.group.name ? `${r.group.name}/` : ''}${r.name}`, this.deps.now, () => this.deps.objectsOf(r.id).length > 0));
    }
    return undefined;
  }

  /** Streams a resource's charts into `sink` until the returned function is called. */
  subscribe(r: Resource, range: MetricRange, live: boolean, sink: StreamSink<MetricItem>): () => void {
    const sub = new ChartStream(this, r, range, live, sink, this.deps.now);
    const close = () => { this.open.delete(close); sub.close(); };
    this.open.add(close);
    // A stream that ended by itself (not live, or failed) is let go here too: the dispatcher does not call back.
    void sub.start().then((ended) => { if (ended) close(); }, (e: Error) => { close(); sink.end(new PilothouseError('internal', `charts of ${r.id}: ${e.message}`)); });
    return close;
  }

  stop(): void { for (const c of [...this.open]) c(); this.feeds.stopAll(); }

  /** Subscriptions open now (tests: none is left behind). */
  get openCount(): number { return this.open.size; }

  /** @internal for ChartStream */
  async plan(r: Resource, range: MetricRange, start: number, end: number): Promise<ChartPlan[]> {
    const { loadMetricsConfig, chartsFor, formatMetricsError } = await import('./config');
    const config = loadMetricsConfig(this.deps.env);
    const url = this.prometheusUrl(config.prometheus, r.endpoint);
    const prom = url ? await this.querier(url) : undefined;
    const step = stepFor(range);
    const badEnv = this.envProblem(config.prometheus);
    const noProm: MetricProblem = { kind: 'no-prometheus', message: badEnv ?? `no Prometheus configured (${PROM_HINT})` };
    const ask = async (query: string): Promise<{ series: Series[] } | { error: string }> => {
      try { return { series: await prom!.queryRange(query, start, end, step) }; } catch (e) { return { error: (e as Error).message }; }
    };
    const plans: Array<Promise<ChartPlan>> = [];
    if (hasResourceUse(r)) {
      for (const c of builtinCharts(r)) {
        plans.push((async (): Promise<ChartPlan> => {
          let why: MetricProblem = noProm;
          if (prom && c.query) {
            const got = await ask(c.query);
            if ('series' in got && got.series.some((s) => s.points.length)) {
              return { key: c.key, title: c.title, unit: c.unit, source: 'prometheus', query: c.query, driver: { kind: 'prometheus', query: c.query }, series: got.series, step };
            }
            why = 'error' in got ? { kind: 'query-error', message: got.error } : { kind: 'empty', message: `Prometheus has no series for ${c.query}` };
          } else if (prom) {
            why = { kind: 'empty', message: 'no Prometheus query for this resource kind' };
          }
          // Each chart holds the feed once; the feed stops when every chart of every look has let go.
          const held = this.feedFor(r);
          if (held) {
            const f = held.feed;
            // A live source has no history: a step of at most a minute, so a 24 h chart shows its first point soon.
            return { key: c.key, title: c.title, unit: c.unit, source: f.source, driver: { kind: 'feed', feed: f, field: c.key, release: held.release }, series: [], step: Math.max(f.intervalSeconds, Math.min(step, 60)) };
          }
          return { key: c.key, title: c.title, unit: c.unit, source: prom ? 'prometheus' : 'none', query: c.query, driver: { kind: 'none' }, series: [], problem: why, step };
        })());
      }
    }
    config.errors.forEach((e, i) => plans.push(Promise.resolve({
      key: `config${i}`, title: 'metrics.yaml', unit: 'count' as const, source: 'none' as const, driver: { kind: 'none' as const }, series: [], step,
      problem: { kind: 'config-error' as const, message: formatMetricsError(e) },
    })));
    const vars = { name: r.name, namespace: r.group.name, id: r.id };
    chartsFor(config, r.id).forEach((c, i) => {
      const key = `q${i}`;
      let query: string;
      try { query = fillQuery(c.query, vars); } catch (e) {
        if (!(e instanceof PlaceholderError)) throw e;
        plans.push(Promise.resolve({ key, title: c.title, unit: c.unit, source: 'none' as const, query: c.query, driver: { kind: 'none' as const }, series: [], step,
          problem: { kind: 'config-error' as const, message: `${config.file}: chart '${c.title}': ${e.message}; nothing was asked of Prometheus` } }));
        return;
      }
      plans.push((async (): Promise<ChartPlan> => {
        const base = { key, title: c.title, unit: c.unit, source: 'prometheus' as const, query, step };
        if (!prom) return { ...base, driver: { kind: 'none' }, series: [], problem: noProm };
        const got = await ask(query);
        if ('error' in got) return { ...base, driver: { kind: 'prometheus', query }, series: [], problem: { kind: 'query-error', message: got.error } };
        const problem: MetricProblem | undefined = got.series.some((s) => s.points.length) ? undefined
          : { kind: 'empty', message: `the query matched no series between ${windowText(start, end)}` };
        return { ...base, driver: { kind: 'prometheus', query }, series: got.series, problem };
      })());
    });
    return Promise.all(plans);
  }
}

/** One subscription: its charts, their last points sent, the live timer; all freed on close. */
class ChartStream {
  private closed = false;
  private plans: ChartPlan[] = [];
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private offs: Array<() => void> = [];

  constructor(private readonly svc: MetricsService, private readonly r: Resource, private readonly range: MetricRange, private readonly live: boolean, private readonly sink: StreamSink<MetricItem>, private readonly now: () => number) {}

  /** Resolves true when the stream has ended by itself: not live, or nothing to chart for this resource. */
  async start(): Promise<boolean> {
    const { start, end } = rangeWindow(this.range, this.now(), stepFor(this.range));
    const plans = await this.svc.plan(this.r, this.range, start, end);
    if (this.closed) { for (const p of plans) if (p.driver.kind === 'feed') p.driver.release(); return true; }
    this.plans = plans;
    for (const p of plans) this.first(p, start, end);
    // No chart at all (an alert, a pool, a secret): say so by ending, or the page waits on "loading…" for ever.
    if (!this.live || !plans.length) { this.close(); this.sink.end(); return true; }
    return false;
  }

  private first(p: ChartPlan, start: number, end: number): void {
    const d = p.driver;
    let series: Array<{ name: string; points: Point[] }>;
    let problem = p.problem;
    let lastT = new Map<string, number>();
    if (d.kind === 'feed') {
      const pts = this.bucketsOf(d.feed.samples(), d.field, p.step, start, end);
      series = [{ name: p.title, points: capPoints(pts, MAX_POINTS) }];
      // The points kept from before (another look) stay, with the reason they stopped (a container exited).
      problem = d.feed.problem() ?? (pts.length ? undefined : { kind: 'waiting', message: `waiting for the first ${d.feed.source} sample` });
    } else {
      const all = p.series.filter((s) => s.points.length);
      series = all.slice(0, MAX_SERIES).map((s) => ({ name: seriesName(s.labels, p.title), points: capPoints(s.points.map(([t, v]) => [t * 1000, v] as Point), MAX_POINTS) }));
      if (all.length > MAX_SERIES) p.title = `${p.title} (first ${MAX_SERIES} of ${all.length} series)`;
    }
    for (const s of series) if (s.points.length) lastT.set(s.name, s.points[s.points.length - 1][0]);
    this.sink.push({ t: 'chart', key: p.key, title: p.title, unit: p.unit, source: p.source, query: p.query, start, end, stepSeconds: p.step, series, problem });
    if (!this.live) return;
    if (d.kind === 'prometheus') this.followProm(p, d.query, end, lastT, problem);
    if (d.kind === 'feed') this.followFeed(p, d, end, problem);
  }

  private bucketsOf(samples: Sample[], field: 'cpu' | 'memory', step: number, from: number, until: number): Point[] {
    const pts: Point[] = [];
    for (const s of samples) { const v = s[field]; if (v !== undefined) pts.push([s.t, v]); }
    return bucketize(pts, step, from, until);
  }

  /** Each step, the points since the last end; only points later than the last sent per series go out. */
  private followProm(p: ChartPlan, query: string, end0: number, lastT: Map<string, number>, problem0: MetricProblem | undefined): void {
    let end = end0;
    let sentProblem = problem0?.kind === 'query-error' ? problem0.message : undefined;
    let busy = false;
    const tick = async () => {
      if (busy || this.closed) return;
      busy = true;
      try {
        const next = rangeWindow(this.range, this.now(), p.step).end;
        if (next <= end) return;
        const prom = await this.svc.currentPrometheus(this.r.endpoint);
        if (!prom || this.closed) return;
        let got: Series[];
        try {
          got = await prom.queryRange(query, end, next, p.step);
        } catch (e) {
          const message = (e as Error).message;
          if (!this.closed && message !== sentProblem) { sentProblem = message; this.sink.push({ t: 'problem', key: p.key, problem: { kind: 'query-error', message } }); }
          return;
        }
        if (this.closed) return;
        sentProblem = undefined;
        end = next;
        const out: Array<{ name: string; points: Point[] }> = [];
        for (const s of got) {
          const name = seriesName(s.labels, p.title);
          if (!lastT.has(name) && lastT.size >= MAX_SERIES) continue;
          const after = lastT.get(name) ?? -Infinity;
          const pts = s.points.map(([t, v]) => [t * 1000, v] as Point).filter(([t]) => t > after);
          if (!pts.length) continue;
          lastT.set(name, pts[pts.length - 1][0]);
          out.push({ name, points: pts });
        }
        if (out.length) this.sink.push({ t: 'points', key: p.key, end, series: out });
      } finally { busy = false; }
    };
    const t = setInterval(() => void tick(), p.step * 1000);
    t.unref?.();
    this.timers.push(t);
  }

  /** On each sample, the step buckets completed since the last one sent; a change of problem is said once. */
  private followFeed(p: ChartPlan, d: Extract<Driver, { kind: 'feed' }>, end0: number, problem0: MetricProblem | undefined): void {
    let end = end0;
    let said = problem0?.message;
    const stepMs = p.step * 1000;
    const on = () => {
      if (this.closed) return;
      const until = Math.floor(this.now() / stepMs) * stepMs;
      if (until > end) {
        const pts = this.bucketsOf(d.feed.samples(), d.field, p.step, end, until);
        if (pts.length) {
          end = until;
          said = undefined;
          this.sink.push({ t: 'points', key: p.key, end, series: [{ name: p.title, points: pts }] });
          return;
        }
      }
      const why = d.feed.problem();
      if (why && why.message !== said) { said = why.message; this.sink.push({ t: 'problem', key: p.key, problem: why }); }
    };
    this.offs.push(d.feed.listen(on));
  }

  private releaseFeeds(): void { for (const p of this.plans) if (p.driver.kind === 'feed') p.driver.release(); }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timers.forEach(clearInterval);
    this.offs.forEach((f) => f());
    this.releaseFeeds();
    this.plans = [];
  }
}
