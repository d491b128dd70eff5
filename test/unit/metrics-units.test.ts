import { describe, expect, it } from 'vitest';
import { axisLabel, formatValue, timeTicks, valueTicks } from '../../renderer/src/charts/units';

describe('chart units: values an operator reads at a glance', () => {
  it('bytes in binary units', () => {
    expect(formatValue(0, 'bytes')).toBe('0 B');
    expect(formatValue(512, 'bytes')).toBe('512 B');
    expect(formatValue(1536, 'bytes')).toBe('1.5 KiB');
    expect(formatValue(256 * 2 ** 20, 'bytes')).toBe('256 MiB');
    expect(formatValue(3.25 * 2 ** 30, 'bytes')).toBe('3.25 GiB');
  });

  it('CPU in cores, millicores below one core', () => {
    expect(formatValue(0.25, 'cores')).toBe('250m');
    expect(formatValue(0.0042, 'cores')).toBe('4.2m');
    expect(formatValue(1, 'cores')).toBe('1 core');
    expect(formatValue(2.5, 'cores')).toBe('2.5 cores');
    expect(formatValue(0, 'cores')).toBe('0 cores');
  });

  it('seconds as µs, ms, s, min', () => {
    expect(formatValue(0.0000425, 'seconds')).toBe('42.5 µs');
    expect(formatValue(0.72, 'seconds')).toBe('720 ms');
    expect(formatValue(1.5, 'seconds')).toBe('1.5 s');
    expect(formatValue(600, 'seconds')).toBe('10 min');
  });

  it('ratios as percent, rates and counts with k/M', () => {
    expect(formatValue(0.053, 'ratio')).toBe('5.3 %');
    expect(formatValue(42, 'percent')).toBe('42 %');
    expect(formatValue(1500, 'per-second')).toBe('1.5k /s');
    expect(formatValue(12, 'count')).toBe('12');
    expect(formatValue(NaN, 'count')).toBe('NaN');
  });

  it('axis labels name the unit', () => {
    expect(axisLabel('bytes')).toBe('bytes');
    expect(axisLabel('cores')).toBe('CPU cores');
    expect(axisLabel('ratio')).toBe('percent');
  });
});

describe('axis ticks', () => {
  it('bytes ticks fall on binary boundaries and cover the maximum', () => {
    const t = valueTicks(0, 700 * 2 ** 20, 'bytes');
    expect(t[0]).toBe(0);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(700 * 2 ** 20);
    expect(t.map((v) => formatValue(v, 'bytes'))).toEqual(['0 B', '256 MiB', '512 MiB', '768 MiB']);
  });

  it('decimal ticks on 1-2-5 steps', () => {
    expect(valueTicks(0, 0.9, 'cores')).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(valueTicks(0, 37, 'count')).toEqual([0, 10, 20, 30, 40]);
  });

  it('seconds ticks round in the shown unit', () => {
    expect(valueTicks(0, 0.72, 'seconds').map((v) => formatValue(v, 'seconds'))).toEqual(['0 s', '200 ms', '400 ms', '600 ms', '800 ms']);
  });

  it('a flat zero series still gets an axis', () => {
    expect(valueTicks(0, 0, 'cores').length).toBeGreaterThan(1);
    expect(valueTicks(Infinity, -Infinity, 'bytes').length).toBeGreaterThan(1);
  });

  it('time ticks are round minutes for 15 m and hours for 24 h, inside the range', () => {
    const end = Date.UTC(2026, 11, 6, 17, 23, 0);
    const t15 = timeTicks(end - 900_000, end);
    expect(t15.length).toBeGreaterThanOrEqual(3);
    expect(t15.every((t) => t % 60_000 === 0 && t >= end - 900_000 && t <= end)).toBe(true);
    expect(new Set(t15.slice(1).map((t, i) => t - t15[i])).size).toBe(1);
    const t24 = timeTicks(end - 86_400_000, end);
    expect(t24.length).toBeLessThanOrEqual(6);
    expect(t24.every((t) => (t - new Date(t).getTimezoneOffset() * -60_000) % 3_600_000 === 0 || t % 3_600_000 === 0)).toBe(true);
  });
});
