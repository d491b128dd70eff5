import type { MetricItem, MetricProblem, MetricUnit } from '../../../shared/contract/channels';

/**
 * The page's charts of one resource, from `metrics:series` items: a `chart` item replaces its chart,
 * `points` append (older than the range fall off), `problem` is shown beside the points kept. Pure.
 */

export interface ChartState {
  key: string;
  title: string;
  unit: MetricUnit;
  source: string;
  query?: string;
  start: number;
  end: number;
  stepSeconds: number;
  series: Array<{ name: string; points: Array<[number, number]> }>;
  problem?: MetricProblem;
}

/** Points a series keeps on the page at most, whatever the engine sends (a live chart runs for hours). */
export const PAGE_MAX_POINTS = 1500;

export type Charts = ChartState[];

export function applyItems(charts: Charts, items: readonly MetricItem[], rangeMs: number): Charts {
  let out = charts;
  for (const item of items) out = applyItem(out, item, rangeMs);
  return out;
}

export function applyItem(charts: Charts, item: MetricItem, rangeMs: number): Charts {
  const i = charts.findIndex((c) => c.key === item.key);
  if (item.t === 'chart') {
    const { t: _t, ...c } = item;
    const next: ChartState = { ...c, series: c.series.map((s) => ({ name: s.name, points: s.points.map(([t, v]) => [t, v] as [number, number]) })) };
    return i < 0 ? [...charts, next] : charts.map((x, j) => (j === i ? next : x));
  }
  if (i < 0) return charts;
  const cur = charts[i];
  let next: ChartState;
  if (item.t === 'problem') {
    next = { ...cur, problem: item.problem };
  } else {
    const end = Math.max(cur.end, item.end);
    const start = end - rangeMs;
    const series = cur.series.map((s) => ({ ...s }));
    for (const add of item.series) {
      let s = series.find((x) => x.name === add.name);
      if (!s) { s = { name: add.name, points: [] }; series.push(s); }
      const kept = s.points.filter(([t]) => t >= start);
      for (const p of add.points) kept.push([p[0], p[1]]);
      s.points = kept.length > PAGE_MAX_POINTS ? kept.slice(kept.length - PAGE_MAX_POINTS) : kept;
    }
    // New points mean the source answers again: a live source's earlier "waiting" or error is over.
    next = { ...cur, start, end, series, problem: item.series.some((s) => s.points.length) ? undefined : cur.problem };
  }
  return charts.map((x, j) => (j === i ? next : x));
}

export function pointCount(c: ChartState): number { return c.series.reduce((n, s) => n + s.points.length, 0); }

/** Recharts wants one row per time with a column per series. */
export function toRows(c: ChartState): Array<Record<string, number>> {
  const byT = new Map<number, Record<string, number>>();
  c.series.forEach((s, i) => {
    for (const [t, v] of s.points) {
      let row = byT.get(t);
      if (!row) { row = { t }; byT.set(t, row); }
      row[`s${i}`] = v;
    }
  });
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

export function extent(c: ChartState): { min: number; max: number } {
  let min = Infinity, max = -Infinity;
  for (const s of c.series) for (const [, v] of s.points) { if (!Number.isFinite(v)) continue; if (v < min) min = v; if (v > max) max = v; }
  return { min, max };
}
