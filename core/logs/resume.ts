/**
 * Where a follow stands in its source's log, so a new stream opened `since` the last timestamp can drop
 * what was already delivered. Counted in the source's records (a long line is several, each with its own
 * timestamp), and by how many records carried the last timestamp: several lines written in the same
 * nanosecond are all delivered once, neither lost nor repeated.
 */
export class ResumePoint {
  ts?: string;
  count = 0;

  /** A record was delivered. */
  delivered(ts: string | undefined): void {
    if (ts === undefined) return;
    if (ts === this.ts) this.count++;
    else { this.ts = ts; this.count = 1; }
  }

  /**
   * A filter for the records of a stream opened `since` this point: true for a record already delivered.
   * Sources include the boundary (`since` is inclusive), so the first `count` records at `ts` are skipped.
   */
  skipper(): (ts: string | undefined) => boolean {
    const at = this.ts;
    if (at === undefined) return () => false;
    const atKey = tsKey(at);
    let left = this.count;
    let done = false;
    return (ts) => {
      if (done || ts === undefined) return false;
      if (ts === at) { if (left > 0) { left--; return true; } done = true; return false; }
      // Sources write timestamps their own way (CRI trims trailing zeros): compare by value, not by text.
      const k = tsKey(ts);
      if (k < atKey) return true;
      if (k === atKey && left > 0) { left--; return true; }
      done = true;
      return false;
    };
  }
}

/**
 * An RFC 3339 timestamp as text that sorts by time: UTC seconds, then nine fraction digits. Only used at a
 * resume's boundary, never per line.
 */
export function tsKey(iso: string): string {
  const m = /^(.*?:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(iso);
  const ms = Date.parse(m ? m[1] + m[3] : iso);
  if (Number.isNaN(ms)) return iso;
  const frac = m?.[2] ? m[2].slice(0, 9).padEnd(9, '0') : '000000000';
  return `${String(Math.floor(ms / 1000)).padStart(12, '0')}.${frac}`;
}
