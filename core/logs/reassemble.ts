import { StringDecoder } from 'node:string_decoder';
import type { RawLine } from './lines';
import { safeLogText } from '../../shared/text/safe-text';
import type { Entry } from './partials';

/** A line is shown in pieces of at most this many characters, so one 2 MB line never becomes one 2 MB row. */
export const MAX_PIECE = 16 * 1024;
/**
 * A line longer than this many characters (8 MB of ASCII) keeps only its beginning and is marked
 * `truncated`: the buffer behind a follow is 8 MB, and one line must not push out everything else.
 */
export const MAX_LINE = 8 * 1024 * 1024;

interface Open {
  ts?: string;
  /** The last record's own timestamp: a resume decides by it whether a piece continues this line. */
  lastTs?: string;
  index: number;
  kept: number;
  dropped: number;
  pending: string;
  decoder: StringDecoder;
}

/**
 * Joins a source's records (partials.ts) back into lines and cuts them again for display: the line's
 * timestamp is its first record's, every other timestamp is gone, and its pieces joined are what the
 * container printed. stdout and stderr are joined apart, as their records interleave.
 */
export class Reassembler {
  private open: { stdout?: Open; stderr?: Open } = {};

  constructor(private readonly emit: (l: RawLine) => void, private readonly opts: { maxPiece?: number; maxLine?: number } = {}) {}

  push(e: Entry): void {
    const o = this.open[e.stream];
    if (!o && !e.partial) {
      // The common case, one record one line: no decoder state, no copies.
      const text = e.text.toString('utf8');
      if (text.length <= (this.opts.maxPiece ?? MAX_PIECE)) {
        const line: RawLine = { stream: e.stream, text: safeLogText(text) };
        if (e.ts !== undefined) line.ts = e.ts;
        this.emit(line);
        return;
      }
    }
    const cur = o ?? (this.open[e.stream] = { ts: e.ts, index: 0, kept: 0, dropped: 0, pending: '', decoder: new StringDecoder('utf8') });
    cur.lastTs = e.ts;
    this.add(e.stream, cur, cur.decoder.write(e.text));
    if (!e.partial) this.close(e.stream, cur);
  }

  /** Whether a line of this stream waits for more pieces, and the timestamp of its last record. */
  openLine(stream: Entry['stream']): { lastTs?: string } | undefined {
    const o = this.open[stream];
    return o && { lastTs: o.lastTs };
  }

  /** Ends an open line where it is (its source ended, or the next record cannot be its continuation). */
  end(stream?: Entry['stream']): void {
    for (const s of stream ? [stream] : (['stdout', 'stderr'] as const)) {
      const o = this.open[s];
      if (o) this.close(s, o);
    }
  }

  private add(stream: Entry['stream'], o: Open, text: string): void {
    if (!text) return;
    const maxLine = this.opts.maxLine ?? MAX_LINE;
    const room = maxLine - o.kept - o.pending.length;
    if (room <= 0) { o.dropped += text.length; return; }
    if (text.length > room) { o.dropped += text.length - room; text = text.slice(0, room); }
    const max = this.opts.maxPiece ?? MAX_PIECE;
    let all = o.pending ? o.pending + text : text;
    while (all.length > max) {
      // A surrogate pair stays in one piece, so each piece is valid text on its own.
      let cut = max;
      const c = all.charCodeAt(cut - 1);
      if (c >= 0xd800 && c <= 0xdbff) cut--;
      this.piece(stream, o, all.slice(0, cut), true);
      all = all.slice(cut);
    }
    o.pending = all;
  }

  private close(stream: Entry['stream'], o: Open): void {
    this.open[stream] = undefined;
    this.add(stream, o, o.decoder.end());
    this.piece(stream, o, o.pending, false);
  }

  private piece(stream: Entry['stream'], o: Open, text: string, more: boolean): void {
    o.kept += text.length;
    const line: RawLine = { stream, text: safeLogText(text) };
    if (o.ts !== undefined) line.ts = o.ts;
    // A line that fits one piece is not marked as a piece.
    if (more || o.index > 0) line.part = { index: o.index++, more };
    if (!more && o.dropped) line.truncated = o.dropped;
    this.emit(line);
  }
}
