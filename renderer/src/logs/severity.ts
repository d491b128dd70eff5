import { stripSgr } from '../../../shared/text/plain-text';

export type Level = 'error' | 'warn' | undefined;
/** What the severity filter lets through: everything, warnings and errors, or errors only. */
export type Severity = 'all' | 'warn' | 'error';

const ERROR_RE = /\b(error|err|fatal|panic|exception|critical|traceback)\b/i;
const WARN_RE = /\b(warn|warning)\b/i;

/** A line's level from its words; colour codes must not hide them. */
export function lineLevel(text: string): Level {
  const t = stripSgr(text);
  if (ERROR_RE.test(t)) return 'error';
  if (WARN_RE.test(t)) return 'warn';
  return undefined;
}

const RANK = { error: 2, warn: 1 } as const;
const rank = (l: Level): number => (l ? RANK[l] : 0);

/** The higher of two levels: a long line is as severe as its worst piece. */
export const worse = (a: Level, b: Level): Level => (rank(b) > rank(a) ? b : a);

export function passesSeverity(level: Level, s: Severity): boolean {
  return s === 'all' || rank(level) >= RANK[s];
}
