/**
 * A time as the console writes one for people: `2026-12-07 02:10 UTC`, or to the second. One format for
 * the CLI, the page and every plane's facts, so the same moment never reads two ways. Something that is
 * not a time is returned as it was given.
 */
export function utcText(at: number | string, precision: 'minute' | 'second' = 'minute'): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (Number.isNaN(ms)) return String(at);
  return `${new Date(ms).toISOString().slice(0, precision === 'minute' ? 16 : 19).replace('T', ' ')} UTC`;
}

/**
 * A time of day, `14:03:07 UTC`, for what happens within minutes of being read: a retry, a last error,
 * a last read. The date is left out because it is today's.
 */
export function utcClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}
