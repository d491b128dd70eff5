/**
 * Capped exponential backoff with jitter: reconnects after a daemon restart or a VPN drop spread out
 * instead of hammering a server that is coming back.
 */
export function nextBackoff(attempt: number, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const capped = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(capped * (0.5 + random() / 2));
}
