import type { LogLine } from '../../shared/contract/domain';
import type { RawLine } from './lines';

/**
 * A log kept in memory up to a number of bytes: the oldest lines go first. Lines carry a sequence
 * number that never repeats, so a view can tell how many it lost at the top and keep its place.
 */
export class LogBuffer {
  private items: LogLine[] = [];
  private head = 0;
  private size = 0;
  private nextSeq = 1;
  /** Joined text of whole blocks of lines, made by a search and kept while the block is (search.ts). */
  private blocks = new Map<number, string>();
  dropped = 0;

  /** Lines per block of joined text. */
  static readonly BLOCK = 1024;

  constructor(readonly maxBytes: number) {}

  push(raw: RawLine): LogLine {
    // Numbered in place: a copy per line would double the allocations at 100,000 lines/s.
    const line = raw as LogLine;
    line.seq = this.nextSeq++;
    this.items.push(line);
    this.size += cost(line);
    while (this.size > this.maxBytes && this.head < this.items.length - 1) {
      const gone = this.items[this.head];
      this.size -= cost(gone);
      if (this.blocks.size) this.blocks.delete(Math.floor((gone.seq - 1) / LogBuffer.BLOCK));
      this.items[this.head] = undefined as never;   // let the line go now, not at the next compaction
      this.head++;
      this.dropped++;
    }
    // Compact now and then instead of shifting on every drop (shift is O(n)).
    if (this.head > 4096 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
    return line;
  }

  get length(): number { return this.items.length - this.head; }
  get bytes(): number { return this.size; }

  /** The last `n` lines, widened back to the first kept piece of a line cut by the count. */
  tail(n: number): LogLine[] {
    let from = Math.max(this.head, this.items.length - n);
    while (from > this.head && this.items[from].part && this.items[from].part!.index > 0) from--;
    return this.items.slice(from);
  }

  /** Sequence numbers of the oldest and newest kept lines (first > last when empty). */
  get firstSeq(): number { return this.head < this.items.length ? this.items[this.head].seq : this.nextSeq; }
  get lastSeq(): number { return this.nextSeq - 1; }

  /** The kept line numbered `seq`. */
  at(seq: number): LogLine | undefined { return this.items[this.head + seq - this.firstSeq]; }

  /**
   * The texts of block `b` (lines numbered b·BLOCK+1 … (b+1)·BLOCK) joined by newlines, when all of them
   * are kept; made once, since kept lines never change.
   */
  blockText(b: number): string | undefined {
    const from = b * LogBuffer.BLOCK + 1;
    const to = from + LogBuffer.BLOCK - 1;
    if (from < this.firstSeq || to > this.lastSeq) return undefined;
    let t = this.blocks.get(b);
    if (t === undefined) {
      const start = this.head + from - this.firstSeq;
      const parts = new Array<string>(LogBuffer.BLOCK);
      for (let i = 0; i < LogBuffer.BLOCK; i++) parts[i] = this.items[start + i].text;
      t = parts.join('\n');
      this.blocks.set(b, t);
    }
    return t;
  }

  /** Lets every line go (the last subscriber left). */
  clear(): void { this.items = []; this.head = 0; this.size = 0; this.blocks.clear(); }
}

/**
 * What a kept line costs, estimated without asking V8: its text and timestamp (one byte a character for
 * mostly-ASCII logs, which V8 stores one-byte) and about 96 bytes for the object and its strings' headers.
 */
export function cost(l: LogLine): number {
  return l.text.length + (l.ts ? l.ts.length : 0) + 96;
}
