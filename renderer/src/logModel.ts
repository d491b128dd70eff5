import type { LogLine } from '../../shared/contract/domain';
import { parseFilter, type TextFilter } from '../../shared/text/filter';
import { appendRows, emptyKept, type Kept } from './logs/kept';
import type { Severity } from './logs/severity';
import { stripSgr } from '../../shared/text/plain-text';
import { buildView, extendView, type View } from './logs/view';

export { lineLevel, type Level } from './logs/severity';

/** The page keeps at most this many characters of one log; the engine keeps its own bounded buffer. */
export const PAGE_LOG_CHARS = 4 * 1024 * 1024;

/** The shared filter (shared/text/filter.ts), applied to what the operator sees: SGR codes taken out. */
export function makeFilter(query: string): TextFilter {
  const f = parseFilter(query);
  if (f.error) return f;
  return { test: (t) => f.test(stripSgr(t)) };
}

/** One followed log in the page: the kept rows and what the current filter shows of them. */
export interface LogModel { kept: Kept; view: View; query: string; severity: Severity }

export function emptyModel(query = '', severity: Severity = 'all'): LogModel {
  return viewOf(emptyKept, query, severity);
}

/** A batch in: kept rows appended and trimmed, the view extended by the new rows only. */
export function ingest(m: LogModel, batch: readonly LogLine[], cap = PAGE_LOG_CHARS): { model: LogModel; dropped: number } {
  const { kept, dropped } = appendRows(m.kept, batch, cap);
  return { model: { ...m, kept, view: extendView(m.view, kept) }, dropped };
}

/** A new query or severity: the one time every kept row is tested again. */
export function refilter(m: LogModel, query: string, severity: Severity): LogModel {
  return viewOf(m.kept, query, severity);
}

function viewOf(kept: Kept, query: string, severity: Severity): LogModel {
  const all = !query.trim() && severity === 'all';
  return { kept, query, severity, view: buildView(kept, { text: makeFilter(query), severity }, all) };
}
