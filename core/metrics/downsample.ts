import type { MetricRange } from '../../shared/contract/channels';

/**
 * Time ranges, steps and the caps that keep a chart bounded. Pure: the service and its tests share them.
 */

export const RANGE_SECONDS: Record<MetricRange, number> = { '15m': 900, '1h': 3600, '6h': 21_600, '24h': 86_400 };

/** Points per series a chart carries at most: more than a chart's width in pixels would be waste. */
export const MAX_POINTS = 360;
/** Series per chart at most (a query by pod over a big namespace); the rest are named as left off. */
export const MAX_SERIES = 12;
/** The shortest step: the rig's and most Prometheus setups' scrape interval is 5 s or longer. */
export const MIN_STEP_SECONDS = 5;

/** The step that keeps a range within MAX_POINTS: 15 m → 5 s, 1 h → 10 s, 6 h → 60 s, 24 h → 240 s. */
export function stepFor(range: MetricRange, minStep = MIN_STEP_SECONDS): number {
  return Math.max(minStep, Math.ceil(RANGE_SECONDS[range] / MAX_POINTS));
}

/** `[start, end]` in ms for a range ending now, the end aligned down to the step (so refetches line up). */
export function rangeWindow(range: MetricRange, now: number, stepSeconds: number): { start: number; end: number } {
  const stepMs = stepSeconds * 1000;
  const end = Math.floor(now / stepMs) * stepMs;
  return { start: end - RANGE_SECONDS[range] * 1000, end };
}

export type Point = [number, number];

/**
 * Raw samples (any rate: docker stats come every second) to one point per step: the mean of the samples
 * in each step-aligned bucket `[t, t + step)`, stamped at the bucket's start. Only buckets that start at
 * or after `from` and end at or before `until` (complete ones) are given; empty buckets are gaps, not zeros.
 */
export function bucketize(samples: readonly Point[], stepSeconds: number, from: number, until: number): Point[] {
  const stepMs = stepSeconds * 1000;
  const out: Point[] = [];
  let bucket = NaN, sum = 0, n = 0;
  const close = () => { if (n > 0 && bucket >= from && bucket + stepMs <= until) out.push([bucket, sum / n]); };
  for (const [t, v] of samples) {
    if (!Number.isFinite(v)) continue;
    const b = Math.floor(t / stepMs) * stepMs;
    if (b !== bucket) { close(); bucket = b; sum = 0; n = 0; }
    sum += v; n++;
  }
  close();
  return out;
}

/**
 * At most `max` points, by averaging neighbours: a safety net for sources that ignore the step (a
 * Prometheus that returns more than asked). Keeps the first and last times.
 */
export function capPoints(points: readonly Point[], max = MAX_POINTS): Point[] {
  if (points.length <= max) return points.slice();
  const per = Math.ceil(points.length / max);
  const out: Point[] = [];
  for (let i = 0; i < points.length; i += per) {
    const chunk = points.slice(i, i + per);
    out.push([chunk[0][0], chunk.reduce((a, p) => a + p[1], 0) / chunk.length]);
  }
  return out;
}

/** A fixed-size ring of samples: the oldest is overwritten, so a viewed resource's buffer never grows. */
export class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else { this.items[this.next] = item; this.next = (this.next + 1) % this.capacity; }
  }
  get size(): number { return this.items.length; }
  /** Oldest first. */
  toArray(): T[] { return this.items.length < this.capacity ? this.items.slice() : [...this.items.slice(this.next), ...this.items.slice(0, this.next)]; }
  clear(): void { this.items.length = 0; this.next = 0; }
}
