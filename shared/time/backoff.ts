/**
 * The one backoff rule (engine reconnects, the page's reconnects, Electron's engine restarts): doubling
 * from `baseMs` per attempt (attempt 0 waits `baseMs`), capped at `maxMs`.
 */
export function backoffDelay(attempt: number, opts: { baseMs: number; maxMs: number }): number {
  // The exponent is clamped so a long outage cannot overflow to Infinity.
  return Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
}

/**
 * The same delay with jitter (50–100 %): reconnects after a daemon restart or a VPN drop spread out
 * instead of hammering a server that is coming back.
 */
export function nextBackoff(attempt: number, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  return Math.round(backoffDelay(attempt, opts) * (0.5 + random() / 2));
}
