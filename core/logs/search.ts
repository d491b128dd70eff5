import type { LogLine } from '../../shared/contract/domain';
import type { LogBuffer } from './buffer';

export interface SearchResult { lines: LogLine[]; scanned: number; more: boolean }

/**
 * A matcher for a filter box's query with the same reading as shared/text/filter.ts, built for a million
 * lines: a plain text is matched as a case-insensitive literal regex, not by lower-casing every line
 * (which copies each line and costs several times the search itself).
 */
export function fastMatcher(query: string): (text: string) => boolean {
  const q = query.trim();
  if (!q) return () => true;
  const m = /^\/(.+)\/([imsu]*)$/.exec(q);
  if (m) { const re = new RegExp(m[1], m[2] || 'i'); return (t) => re.test(t); }
  // Only letters have case: a query without any needs no folding at all.
  if (!/[a-z]/i.test(q) && q === q.toLowerCase() && q === q.toUpperCase()) return (t) => t.includes(q);
  const re = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  return (t) => re.test(t);
}

/** The newest `limit` kept lines that match, newest last; stops looking once it has one more than that. */
export function searchKept(buf: LogBuffer, match: (text: string) => boolean, limit: number): SearchResult {
  const hits: LogLine[] = [];
  let scanned = 0;
  let more = false;
  buf.newestFirst((l) => {
    scanned++;
    if (!match(l.text)) return true;
    if (hits.length === limit) { more = true; return false; }
    hits.push(l);
    return true;
  });
  return { lines: hits.reverse(), scanned, more };
}

/** The same over lines read from the source (no follow open): newest `limit` matches, newest last. */
export function searchLines(all: LogLine[], match: (text: string) => boolean, limit: number): SearchResult {
  const hits: LogLine[] = [];
  for (const l of all) if (match(l.text)) hits.push(l);
  return { lines: hits.slice(-limit), scanned: all.length, more: hits.length > limit };
}
