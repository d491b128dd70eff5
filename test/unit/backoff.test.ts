import { describe, expect, it } from 'vitest';
import { backoffDelay, nextBackoff } from '../../shared/time/backoff';
import { nextBackoff as fromEngine } from '../../core/engine/backoff';

describe('backoff', () => {
  const opts = { baseMs: 250, maxMs: 10_000 };
  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, opts))).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000]);
  });
  it('a very long outage stays at the cap instead of overflowing', () => {
    expect(backoffDelay(5000, opts)).toBe(10_000);
    expect(backoffDelay(-3, opts)).toBe(250);
  });
  it('jitter keeps the delay between half and all of it', () => {
    expect(nextBackoff(3, opts, () => 0)).toBe(1000);
    expect(nextBackoff(3, opts, () => 1)).toBe(2000);
    expect(nextBackoff(3, opts, () => 0.5)).toBe(1500);
  });
  it('the engine path is the same function (the Docker plane imports it from there)', () => {
    expect(fromEngine).toBe(nextBackoff);
  });
});
