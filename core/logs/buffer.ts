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
  dropped = 0;

  constructor(readonly maxBytes: number) {}

  push(raw: RawLine): LogLine {
    // Numbered in place: a copy per line would double the allocations at 100,000 lines/s.
    const line = raw as LogLine;
    line.seq = this.nextSeq++;
    this.items.push(line);
    this.size += cost(line);
    while (this.size > this.maxBytes && this.head < this.items.length - 1) {
      this.size -= cost(this.items[this.head]);
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

  /** Visits kept lines from the newest back; stops when `fn` returns false. */
  newestFirst(fn: (l: LogLine) => boolean | void): void {
    for (let i = this.items.length - 1; i >= this.head; i--) if (fn(this.items[i]) === false) return;
  }

  /** Lets every line go (the last subscriber left). */
  clear(): void { this.items = []; this.head = 0; this.size = 0; }
}

/**
 * What a kept line costs, estimated without asking V8: its text and timestamp (one byte a character for
 * mostly-ASCII logs, which V8 stores one-byte) and about 96 bytes for the object and its strings' headers.
 */
export function cost(l: LogLine): number {
  return l.text.length + (l.ts ? l.ts.length : 0) + 96;
}
