import type { LogLine } from '../../../shared/contract/domain';
import { lineLevel, type Level } from './severity';

/**
 * The lines a page keeps of one log, bounded by characters. Every row gets an ordinal (`abs`) counted from
 * the start of the subscription, so a row keeps its name while older rows drop off the top.
 *
 * Appending must not copy 100,000 rows per 50 ms batch: rows live in a buffer that states share, each
 * state seeing only its own window [first, end). A state appends in place when it is the buffer's newest
 * (the usual case); appending to an older state copies first, so every state stays valid.
 */
export interface Row {
  line: LogLine;
  abs: number;
  /** The row's own level, found once when it arrives. */
  level: Level;
  /** The logical line's number from the start of the subscription; the pieces of a long line share it. */
  no: number;
}

export interface Kept {
  readonly buf: Row[];
  /** The ordinal of buf[0]. */
  readonly base: number;
  /** The oldest kept row's ordinal, which is also how many rows were dropped. */
  readonly first: number;
  /** One past the newest row's ordinal. */
  readonly end: number;
  readonly chars: number;
  /** Logical lines started so far: numbering for the next line. */
  readonly lines: number;
}

export const emptyKept: Kept = { buf: [], base: 0, first: 0, end: 0, chars: 0, lines: 0 };

/** A row that continues the one before it: a later piece of a long line. */
export const continues = (l: LogLine): boolean => !!l.part && l.part.index > 0;

export function rowAt(k: Kept, abs: number): Row {
  return k.buf[abs - k.base];
}

export const keptCount = (k: Kept): number => k.end - k.first;

/** Appends a batch, drops the oldest rows past `cap` characters (always keeping the newest), reports how many went. */
export function appendRows(k: Kept, batch: readonly LogLine[], cap: number): { kept: Kept; dropped: number } {
  let buf = k.buf;
  let base = k.base;
  if (buf.length !== k.end - base) buf = buf.slice(0, k.end - base); // someone appended past this state
  let { chars, lines, end, first } = k;
  for (const line of batch) {
    if (!continues(line)) lines++;
    buf.push({ line, abs: end, level: line.stream === 'system' ? undefined : lineLevel(line.text), no: lines });
    end++;
    chars += line.text.length;
  }
  const before = first;
  while (chars > cap && end - first > 1) { chars -= buf[first - base].line.text.length; first++; }
  // Let go of dropped rows once they are the larger part of the buffer: amortised O(1) per row.
  if (first - base > 4096 && first - base > end - first) { buf = buf.slice(first - base); base = first; }
  return { kept: { buf, base, first, end, chars, lines }, dropped: first - before };
}

/** Every kept row, oldest first. */
export function* keptRows(k: Kept): Generator<Row> {
  for (let abs = k.first; abs < k.end; abs++) yield rowAt(k, abs);
}
