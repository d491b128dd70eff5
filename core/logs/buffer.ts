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
      this.head++;
      this.dropped++;
    }
    // Compact now and then instead of shifting on every drop (shift is O(n)).
    if (this.head > 4096 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
    return line;
  }

  get length(): number { return this.items.length - this.head; }
  get bytes(): number { return this.size; }

  tail(n: number): LogLine[] {
    return this.items.slice(Math.max(this.head, this.items.length - n));
  }
}

function cost(l: LogLine): number {
  // UTF-16 length is a cheap upper bound for the UTF-8 bytes of mostly-ASCII logs; 48 covers the object.
  return l.text.length + 48;
}
