import { describe, expect, it } from 'vitest';
import { utcClock, utcText } from '../../shared/text/utc';

describe('times as the console writes them', () => {
  const at = Date.UTC(2026, 11, 7, 2, 10, 42, 999);
  it('a moment: to the minute or the second, always UTC; what is not a time is left as it was', () => {
    expect(utcText(at)).toBe('2026-12-07 02:10 UTC');
    expect(utcText(at, 'second')).toBe('2026-12-07 02:10:42 UTC');
    expect(utcText('2026-12-07T03:10:42+01:00', 'second')).toBe('2026-12-07 02:10:42 UTC');
    expect(utcText('soon')).toBe('soon');
  });
  it('a time of day for what happens within minutes: a retry, a last error', () => {
    expect(utcClock(at)).toBe('02:10:42 UTC');
  });
});
