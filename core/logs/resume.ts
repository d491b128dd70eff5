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
 * An RFC 3339 timestamp as whole UTC seconds and nine fraction digits, from the text's own digits: a JS
 * Date keeps milliseconds only, and lines of one millisecond would repeat or go missing. Undefined when
 * it is not a timestamp.
 */
export function tsParts(iso: string): { seconds: number; nanos: string } | undefined {
  const m = /^(.*?:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(iso);
  const ms = Date.parse(m ? m[1] + m[3] : iso);
  if (Number.isNaN(ms)) return undefined;
  return { seconds: Math.floor(ms / 1000), nanos: m?.[2] ? m[2].slice(0, 9).padEnd(9, '0') : '000000000' };
}

/** A timestamp as text that sorts by time. Only used at a resume's boundary, never per line. */
export function tsKey(iso: string): string {
  const p = tsParts(iso);
  return p ? `${String(p.seconds).padStart(12, '0')}.${p.nanos}` : iso;
}

/**
 * Within one stream a source's timestamps only grow (Docker and CRI take them per stream, in order), so a
 * record older than the last one delivered on its stream is a repeat. Docker 20.10's json-file reader
 * sends some 2,500 of 500,000 lines twice when a followed log rotates (measured on the rig, `docker logs
 * -f` alike), and the record it stopped at once more; this drops them. Equal timestamps pass unless the
 * clock counts nanoseconds and the bytes are the same: with a coarser clock those are two lines.
 */
export class StreamOrder {
  private last: Record<string, { ts: string; text: Buffer } | undefined> = {};

  /** True for a record already delivered on its stream. */
  repeat(stream: string, ts: string | undefined, text: Buffer): boolean {
    if (ts === undefined) return false;
    const last = this.last[stream];
    if (last !== undefined) {
      if (ts.length === last.ts.length ? ts < last.ts : tsKey(ts) < tsKey(last.ts)) return true;
      if (ts === last.ts && NANOS.test(ts) && text.equals(last.text)) return true;
    }
    this.last[stream] = { ts, text };
    return false;
  }
}

const NANOS = /\.\d{9}(Z|[+-])/;
