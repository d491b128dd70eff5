import { describe, expect, it } from 'vitest';
import { bucketize, capPoints, MAX_POINTS, rangeWindow, Ring, stepFor, RANGE_SECONDS } from '../../core/metrics/downsample';
import { Feeds, parseKubeMetrics, type Feed } from '../../core/metrics/feeds';

describe('steps and windows', () => {
  it('every range stays within the point cap', () => {
    for (const r of ['15m', '1h', '6h', '24h'] as const) expect(RANGE_SECONDS[r] / stepFor(r)).toBeLessThanOrEqual(MAX_POINTS);
    expect(stepFor('15m')).toBe(5);
    expect(stepFor('24h')).toBe(240);
  });

  it('the window ends on a step boundary, so a refetch lines up with the points already shown', () => {
    const w = rangeWindow('1h', 1_000_007_777, 10);
    expect(w.end % 10_000).toBe(0);
    expect(w.end - w.start).toBe(3_600_000);
  });
});

describe('downsampling live samples by step', () => {
  it('averages the samples of each complete step bucket, stamped at its start; gaps stay gaps', () => {
    const s: Array<[number, number]> = [[10_000, 1], [11_000, 3], [14_999, 2], [15_000, 10], [26_000, 7], [31_000, 99]];
    // 10–15 s: mean 2; 15–20 s: 10; nothing in 20–25 s; 25–30 s: 7; 30–35 s not complete at 32 s.
    expect(bucketize(s, 5, 0, 32_000)).toEqual([[10_000, 2], [15_000, 10], [25_000, 7]]);
    expect(bucketize(s, 5, 15_000, 32_000)).toEqual([[15_000, 10], [25_000, 7]]);
  });

  it('caps a long series by averaging neighbours', () => {
    const pts = Array.from({ length: 1000 }, (_, i) => [i * 1000, i] as [number, number]);
    const c = capPoints(pts, 100);
    expect(c.length).toBeLessThanOrEqual(100);
    expect(c[0]).toEqual([0, 4.5]);
  });
});

describe('bounded buffers', () => {
  it('a ring keeps the newest items, oldest first', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.size).toBe(3);
  });

  it('one feed per resource, stopped when the last look lets go', () => {
    const feeds = new Feeds();
    let made = 0, stopped = 0;
    const make = () => { made++; return { stop: () => { stopped++; } } as unknown as Feed; };
    const a = feeds.acquire('docker/x/p/s', make)!;
    const b = feeds.acquire('docker/x/p/s', make)!;
    expect(made).toBe(1);
    a.release(); a.release();
    expect(stopped).toBe(0);
    b.release();
    expect(stopped).toBe(1);
    expect(feeds.size).toBe(0);
  });
});

describe('metrics.k8s.io answers', () => {
  it('a pod is the sum of its containers, in cores and bytes', () => {
    const m = parseKubeMetrics({ timestamp: '2026-12-06T17:00:00Z', containers: [{ usage: { cpu: '250m', memory: '64Mi' } }, { usage: { cpu: '12500000n', memory: '1Gi' } }] });
    expect(m?.cpu).toBeCloseTo(0.2625);
    expect(m?.memory).toBe(64 * 2 ** 20 + 2 ** 30);
    expect(m?.t).toBe(Date.parse('2026-12-06T17:00:00Z'));
  });
  it('a node has one usage', () => {
    expect(parseKubeMetrics({ usage: { cpu: '2', memory: '2048Ki' } })).toMatchObject({ cpu: 2, memory: 2 * 2 ** 20 });
  });
});
