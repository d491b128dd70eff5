import type { LogLine } from '../../shared/contract/domain';
import { PilothouseError } from '../../shared/contract/envelope';
import { readQuery } from '../../shared/text/filter';
import { LogBuffer } from './buffer';

export interface SearchResult { lines: LogLine[]; scanned: number; more: boolean }

export interface Matcher {
  test(text: string): boolean;
  /**
   * The same pattern for many lines joined by newlines, with `^`/`$` at line ends: false for the joined
   * text means no line matches. Absent for a pattern that looks past its match (lookarounds), where the
   * newline between lines could hide a match.
   */
  block?: (text: string) => boolean;
}

/** A top-level alternation of plain words (`timeout|refused`): its branches, else undefined (one pattern). */
function literalBranches(src: string): string[] | undefined {
  if (!src.includes('|')) return undefined;
  const branches = src.split('|');
  const plain = /^(?:[^\\^$.*+?()[\]{}|]|\\[^A-Za-z0-9])+$/;
  return branches.every((b) => plain.test(b)) ? branches : undefined;
}

/**
 * A matcher for a filter box's query, read as shared/text/filter.ts reads it, built for a million lines:
 * a plain text is matched as a case-insensitive literal regex, not by lower-casing every line (which
 * copies each line and costs several times the search itself). A query that is not a valid regular
 * expression is the caller's error, named.
 */
export function fastMatcher(query: string): Matcher {
  const r = readQuery(query);
  if (!r) return { test: () => true };
  const [src, flags] = 'regex' in r ? [r.regex[1], r.flags] : [r.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'];
  let re: RegExp;
  try { re = new RegExp(src, flags); } catch (e) {
    throw new PilothouseError('invalid-input', `logs:search: query: invalid regular expression: ${(e as Error).message}`);
  }
  const looksAround = /\(\?<?[=!]/.test(src);
  if (looksAround) return { test: (t) => re.test(t) };
  const m = flags.includes('m') ? flags : flags + 'm';
  // V8 scans for one literal far faster than for an alternation (it cannot skip ahead on a first
  // character): over 1,000,000 lines, two literal scans take about half the time of `timeout|refused`.
  const block = (literalBranches(src) ?? [src]).map((b) => new RegExp(b, m));
  return { test: (t) => re.test(t), block: (t) => block.some((b) => b.test(t)) };
}

/**
 * The newest `limit` kept lines that match, newest last; stops looking once it has one more than that.
 * Whole blocks of 1,024 lines are first searched as one text (one regex run over ~100 KB instead of 1,024
 * calls): a block without a match is passed over, so a search that finds little costs a few regex scans.
 */
export function searchKept(buf: LogBuffer, m: Matcher, limit: number): SearchResult {
  const hits: LogLine[] = [];
  let scanned = 0;
  const first = buf.firstSeq;
  const B = LogBuffer.BLOCK;
  for (let seq = buf.lastSeq; seq >= first;) {
    const b = Math.floor((seq - 1) / B);
    const start = b * B + 1;
    if (m.block && seq === start + B - 1) {
      const text = buf.blockText(b);
      if (text !== undefined && !m.block(text)) { scanned += B; seq = start - 1; continue; }
    }
    for (const stop = Math.max(start, first); seq >= stop; seq--) {
      scanned++;
      const l = buf.at(seq)!;
      if (!m.test(l.text)) continue;
      if (hits.length === limit) return { lines: hits.reverse(), scanned, more: true };
      hits.push(l);
    }
  }
  return { lines: hits.reverse(), scanned, more: false };
}

/** The same over lines read from the source (no follow open): newest `limit` matches, newest last. */
export function searchLines(all: LogLine[], m: Matcher, limit: number): SearchResult {
  const hits: LogLine[] = [];
  for (const l of all) if (m.test(l.text)) hits.push(l);
  return { lines: hits.slice(-limit), scanned: all.length, more: hits.length > limit };
}
