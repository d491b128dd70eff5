/**
 * How each kind of source stores a log line too long for one record. Every rule here is a pure function
 * from one record, as the source gives it, to an Entry; the follow engine (reassemble.ts) joins entries
 * back into lines, so a plane supplies its rule and nothing more.
 */

/** One record of a source's log: a whole line, or one piece of a line the source split. */
export interface Entry {
  stream: 'stdout' | 'stderr';
  /** The record's own timestamp (RFC 3339, as the source wrote it). */
  ts?: string;
  /** The record's bytes without its timestamp, prefix, or line end. */
  text: Buffer;
  /** More of the same line follows in the next record of this stream. */
  partial: boolean;
}

/** Docker's json-file (and local) drivers cut a line without a newline at this many bytes (daemon/logger/copier.go). */
export const DOCKER_PARTIAL_BYTES = 16 * 1024;

const SPACE = 0x20;
const NL = 0x0a;
const CR = 0x0d;

// RFC 3339: 2026-11-23T10:00:00[.fraction](Z|±hh:mm). Docker writes it with 9 fraction digits and Z.
function tsEnd(b: Buffer, at: number): number {
  // The fixed part "YYYY-MM-DDTHH:MM:SS" is checked by shape, not by regex: it runs once per record.
  if (b.length - at < 20 || b[at + 4] !== 0x2d || b[at + 7] !== 0x2d || b[at + 10] !== 0x54 || b[at + 13] !== 0x3a || b[at + 16] !== 0x3a) return -1;
  let i = at + 19;
  if (b[i] === 0x2e) { i++; while (i < b.length && b[i] >= 0x30 && b[i] <= 0x39) i++; }
  if (b[i] === 0x5a) i++;
  else if ((b[i] === 0x2b || b[i] === 0x2d) && b.length - i >= 6 && b[i + 3] === 0x3a) i += 6;
  else return -1;
  return b[i] === SPACE ? i : -1;
}

/**
 * Docker with `timestamps=1`: every record (one multiplexed frame, or one entry of a TTY stream) is
 * "<RFC3339Nano> <bytes>", and only a line's last record ends with a newline.
 */
export function dockerEntry(record: Buffer, stream: Entry['stream']): Entry {
  const end = tsEnd(record, 0);
  const ts = end > 0 ? record.toString('latin1', 0, end) : undefined;
  let start = end > 0 ? end + 1 : 0;
  let stop = record.length;
  const partial = stop === start || record[stop - 1] !== NL;
  if (!partial) { stop--; if (stop > start && record[stop - 1] === CR) stop--; }
  if (start > stop) start = stop;
  return { stream, ts, text: record.subarray(start, stop), partial };
}

/**
 * Kubernetes' CRI log format, one record per file line: "<RFC3339Nano> <stdout|stderr> <P|F> <text>".
 * P marks a piece (the runtime cut the line at 16 KB), F the line's last or only record.
 */
export function criEntry(record: Buffer | string): Entry | undefined {
  const b = typeof record === 'string' ? Buffer.from(record) : record;
  const end = tsEnd(b, 0);
  if (end < 0) return undefined;
  const s = b.indexOf(SPACE, end + 1);
  if (s < 0) return undefined;
  const stream = b.toString('latin1', end + 1, s);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = b[s + 1];
  if ((tag !== 0x50 && tag !== 0x46) || (b.length > s + 2 && b[s + 2] !== SPACE && b[s + 2] !== 0x3a)) return undefined;
  // The tag may carry more flags after ':' (P:x); only its first letter says partial or full.
  let t = s + 2;
  while (t < b.length && b[t] !== SPACE) t++;
  let stop = b.length;
  if (stop > t && b[stop - 1] === NL) stop--;
  return { stream, ts: b.toString('latin1', 0, end), text: b.subarray(Math.min(t + 1, stop), stop), partial: tag === 0x50 };
}

/**
 * A TTY container's log is not multiplexed, so nothing frames its records: a record ends at its newline,
 * or, for a piece of a long line, after the driver's piece size where the next record's timestamp starts.
 * Feed it chunks as they arrive; it hands out whole records.
 */
export class DockerTtyRecords {
  private pending: Buffer[] = [];
  private pendingLen = 0;

  constructor(private readonly onRecord: (r: Buffer) => void, private readonly pieceBytes = DOCKER_PARTIAL_BYTES) {}

  write(chunk: Buffer): void {
    let buf = this.pendingLen ? Buffer.concat([...this.pending, chunk]) : chunk;
    this.pending = []; this.pendingLen = 0;
    let pos = 0;
    while (pos < buf.length) {
      const head = tsEnd(buf, pos);
      if (head < 0 && buf.length - pos < 40 && buf.indexOf(NL, pos) < 0) break;   // a timestamp still arriving
      const body = head < 0 ? pos : head + 1;
      const nl = buf.indexOf(NL, body);
      const pieceEnd = body + this.pieceBytes;
      if (nl >= 0 && nl < pieceEnd) { this.onRecord(buf.subarray(pos, nl + 1)); pos = nl + 1; continue; }
      // No newline within a piece: the record is a piece if the next timestamp follows right after it.
      if (buf.length >= pieceEnd + 40 || (nl >= 0 && nl >= pieceEnd)) {
        const next = tsEnd(buf, pieceEnd);
        if (next > 0) { this.onRecord(buf.subarray(pos, pieceEnd)); pos = pieceEnd; continue; }
        // Not Docker's shape (a driver with another piece size): the newline decides.
        if (nl >= 0) { this.onRecord(buf.subarray(pos, nl + 1)); pos = nl + 1; continue; }
      }
      // Neither shape after several pieces' worth: hand out a piece so memory stays bounded.
      if (buf.length - pos > 4 * this.pieceBytes) { this.onRecord(buf.subarray(pos, pieceEnd)); pos = pieceEnd; continue; }
      break;
    }
    if (pos < buf.length) { buf = buf.subarray(pos); this.pending = [buf]; this.pendingLen = buf.length; }
  }

  /** The stream ended: what is left is a last record without a newline. */
  end(): void {
    if (this.pendingLen) this.onRecord(Buffer.concat(this.pending));
    this.pending = []; this.pendingLen = 0;
  }
}
