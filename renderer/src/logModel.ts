import type { LogLine } from '../../shared/contract/domain';
import { parseFilter, type TextFilter } from '../../shared/text/filter';

/** The page keeps at most this many characters of one log; the engine keeps its own bounded buffer. */
export const PAGE_LOG_CHARS = 4 * 1024 * 1024;

export interface LogState { lines: LogLine[]; chars: number; droppedTotal: number }
export const emptyLog: LogState = { lines: [], chars: 0, droppedTotal: 0 };

/** Appends a batch and drops the oldest lines past the cap; reports how many went, so the view can hold still. */
export function appendLines(s: LogState, batch: LogLine[], cap = PAGE_LOG_CHARS): { state: LogState; dropped: LogLine[] } {
  const lines = s.lines.concat(batch);
  let chars = s.chars;
  for (const l of batch) chars += l.text.length;
  let cut = 0;
  while (chars > cap && cut < lines.length - 1) { chars -= lines[cut].text.length; cut++; }
  const dropped = cut ? lines.slice(0, cut) : [];
  return { state: { lines: cut ? lines.slice(cut) : lines, chars, droppedTotal: s.droppedTotal + cut }, dropped };
}

export type Level = 'error' | 'warn' | undefined;
const ERROR_RE = /\b(error|err|fatal|panic|exception|critical|traceback)\b/i;
const WARN_RE = /\b(warn|warning)\b/i;
// ANSI codes must not hide the words from the level check.
const ANSI_RE = /\x1b\[[0-9;]*[A-Za-z]/g;

export function lineLevel(text: string): Level {
  const t = text.includes('\x1b') ? text.replace(ANSI_RE, '') : text;
  if (ERROR_RE.test(t)) return 'error';
  if (WARN_RE.test(t)) return 'warn';
  return undefined;
}

/** The shared filter (shared/text/filter.ts), applied to what the operator sees: ANSI codes stripped. */
export function makeFilter(query: string): TextFilter {
  const f = parseFilter(query);
  if (f.error) return f;
  return { test: (t) => f.test(t.includes('\x1b') ? t.replace(ANSI_RE, '') : t) };
}
