import type { TextFilter } from '../../../shared/text/filter';
import { continues, type Kept, rowAt } from './kept';
import { passesSeverity, type Severity, worse, type Level } from './severity';

/**
 * Which kept rows the log shows under the current filter, as an index of their ordinals that each batch
 * extends: only the new rows are tested, and rows dropped from the top leave the front of the index. The
 * whole log is filtered again only when the query changes (buildView).
 *
 * The unit of matching is the logical line: a long line's pieces are tested joined, so a match that spans
 * two pieces is found and the line shows with all its (marked) pieces. Its pieces wait out of the filtered
 * view until the last one arrives; unfiltered, every row shows as it comes.
 */
export interface ViewQuery { text: TextFilter; severity: Severity }

export interface View {
  readonly query: ViewQuery;
  /** No filter at all: row i is simply the i-th kept row, and there is no index to keep. */
  readonly all: boolean;
  readonly abs: number[];
  readonly start: number;
  readonly end: number;
  /** Rows before this ordinal have been decided; from it on they wait (an unfinished long line) or are new. */
  readonly scanned: number;
}

/** Filters what is kept from scratch: for a new query. */
export function buildView(kept: Kept, query: ViewQuery, all: boolean): View {
  return extendView({ query, all, abs: [], start: 0, end: 0, scanned: kept.first }, kept);
}

/** Brings the view up to date with `kept` by looking only at rows it has not decided yet. */
export function extendView(v: View, kept: Kept): View {
  if (v.all) return v.scanned === kept.end ? v : { ...v, scanned: kept.end };
  let abs = v.abs;
  if (abs.length !== v.end) abs = abs.slice(0, v.end);
  let i = Math.max(v.scanned, kept.first);
  while (i < kept.end) {
    let j = i;
    let waiting = false;
    while (rowAt(kept, j).line.part?.more) {
      if (j + 1 >= kept.end) { waiting = true; break; }
      if (!continues(rowAt(kept, j + 1).line)) break; // its last piece never came: decide on what did
      j++;
    }
    if (waiting) break;
    if (matches(kept, i, j, v.query)) for (let k = i; k <= j; k++) abs.push(k);
    i = j + 1;
  }
  let start = v.start;
  while (start < abs.length && abs[start] < kept.first) start++;
  let end = abs.length;
  if (start > 4096 && start > end - start) { abs = abs.slice(start); end -= start; start = 0; }
  return { query: v.query, all: false, abs, start, end, scanned: i };
}

function matches(kept: Kept, from: number, to: number, q: ViewQuery): boolean {
  if (from === to) {
    const r = rowAt(kept, from);
    return passesSeverity(r.level, q.severity) && q.text.test(r.line.text);
  }
  let level: Level;
  const parts: string[] = [];
  for (let k = from; k <= to; k++) { const r = rowAt(kept, k); level = worse(level, r.level); parts.push(r.line.text); }
  return passesSeverity(level, q.severity) && q.text.test(parts.join(''));
}

export function viewCount(v: View, kept: Kept): number {
  return v.all ? kept.end - kept.first : v.end - v.start;
}

/** The ordinal of the i-th shown row. */
export function viewAbs(v: View, kept: Kept, i: number): number {
  return v.all ? kept.first + i : v.abs[v.start + i];
}

/** The index of the first shown row at or after ordinal `abs` (viewCount when there is none). */
export function viewIndexFrom(v: View, kept: Kept, abs: number): number {
  if (v.all) return Math.max(0, Math.min(kept.end, abs) - kept.first);
  let lo = v.start;
  let hi = v.end;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (v.abs[mid] < abs) lo = mid + 1; else hi = mid; }
  return lo - v.start;
}
