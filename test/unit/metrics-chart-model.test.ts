import { describe, expect, it } from 'vitest';
import { applyItems, PAGE_MAX_POINTS, pointCount, toRows } from '../../renderer/src/charts/model';

const chart = (over: object = {}) => ({ t: 'chart' as const, key: 'cpu', title: 'CPU', unit: 'cores' as const, source: 'docker' as const, start: 0, end: 60_000, stepSeconds: 5, series: [{ name: 'CPU', points: [[55_000, 1] as [number, number]] }], ...over });

describe('the page applies series patches', () => {
  it('points append, points older than the range fall off, a new series appears', () => {
    let c = applyItems([], [chart()], 60_000);
    c = applyItems(c, [{ t: 'points', key: 'cpu', end: 120_000, series: [{ name: 'CPU', points: [[115_000, 2]] }, { name: 'other', points: [[115_000, 3]] }] }], 60_000);
    expect(c[0].series.map((s) => s.points)).toEqual([[[115_000, 2]], [[115_000, 3]]]);
    expect(c[0].start).toBe(60_000);
    expect(toRows(c[0])).toEqual([{ t: 115_000, s0: 2, s1: 3 }]);
  });

  it('a problem keeps the points; points after a problem clear it', () => {
    let c = applyItems([], [chart(), { t: 'problem', key: 'cpu', problem: { kind: 'unavailable', message: 'the container is exited' } }], 60_000);
    expect(c[0].problem?.message).toBe('the container is exited');
    expect(pointCount(c[0])).toBe(1);
    c = applyItems(c, [{ t: 'points', key: 'cpu', end: 65_000, series: [{ name: 'CPU', points: [[60_000, 1]] }] }], 60_000);
    expect(c[0].problem).toBeUndefined();
  });

  it('a long live chart stays bounded on the page', () => {
    let c = applyItems([], [chart({ start: 0, end: 0, series: [{ name: 'CPU', points: [] }] })], 1e12);
    for (let i = 0; i < 4; i++) {
      const pts = Array.from({ length: 1000 }, (_, j) => [(i * 1000 + j) * 1000, j] as [number, number]);
      c = applyItems(c, [{ t: 'points', key: 'cpu', end: pts[pts.length - 1][0], series: [{ name: 'CPU', points: pts }] }], 1e12);
    }
    expect(pointCount(c[0])).toBe(PAGE_MAX_POINTS);
  });

  it('a chart item for a key already shown replaces it (the range refetched)', () => {
    const c = applyItems([], [chart(), chart({ start: 1, end: 2, series: [] })], 60_000);
    expect(c).toHaveLength(1);
    expect(c[0].end).toBe(2);
  });
});
