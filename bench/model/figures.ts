// One printed line per figure: what was measured, its budget, PASS/MISS (or SKIP with the reason).
// Budgets are checked on numbers measured in the same run, never as timed assertions in a test.

export interface Figure {
  name: string;
  value: string;
  budget: string;
  /** undefined: skipped, or reported without a budget. */
  pass?: boolean;
  note?: string;
}

export function line(f: Figure): string {
  const verdict = f.pass === undefined ? (f.budget ? 'SKIP' : 'INFO') : f.pass ? 'PASS' : 'MISS';
  return `model ${f.name}: ${f.value}${f.budget ? ` (budget ${f.budget})` : ''} ${verdict}${f.note ? ` — ${f.note}` : ''}`;
}

export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
export const median = (xs: readonly number[]) => percentile(xs, 50);

export const ms = (x: number) => (Number.isFinite(x) ? `${x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString('en')} ms` : String(x));
export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
export const signedMb = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${mb(Math.abs(bytes))}`;
