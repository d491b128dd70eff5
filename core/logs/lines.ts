import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from '../../shared/contract/domain';
import { safeLogText } from '../../shared/text/safe-text';

export type RawLine = Omit<LogLine, 'seq'>;

/** Lines longer than this are delivered in pieces, so one 2 MB line never becomes one 2 MB row. */
export const MAX_PIECE = 16 * 1024;

// RFC 3339 timestamp that docker puts before each line when asked for timestamps (sticky: matched in place).
const TS_RE = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /y;
/** Kept as the name the assembler uses; the rule lives in shared/text/safe-text.ts for the CLI and page too. */
export const sanitize = safeLogText;

/**
 * Turns a byte stream into lines: keeps multi-byte characters split across chunks whole, replaces
 * invalid UTF-8 and control bytes instead of failing, strips the engine's timestamp prefix into `ts`,
 * and bounds the memory a line without a newline can take.
 */
export class LineAssembler {
  private decoder = new StringDecoder('utf8');
  /** The part of the current line not emitted yet (with its timestamp prefix while that is unparsed). */
  private pending = '';
  private pendingTs: string | undefined;
  /** True once the current line's timestamp has been taken off (or there is none to take). */
  private lineStarted = false;
  private continuing = false;
  private pieceIndex = 0;

  constructor(
    private readonly stream: LogLine['stream'],
    private readonly emit: (l: RawLine) => void,
    private readonly opts: { timestamps: boolean; maxPiece?: number } = { timestamps: false },
  ) {}

  write(chunk: Buffer | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (this.pending) { text = this.pending + text; this.pending = ''; }
    const max = this.opts.maxPiece ?? MAX_PIECE;
    let pos = 0;
    // Walk by index: slicing the rest of a 20 KB chunk once per line would copy it over and over.
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      if (!this.lineStarted) {
        if (this.opts.timestamps) {
          // A timestamp may itself arrive split across chunks: wait for the space that ends it.
          if (nl === -1 && text.length - pos < 40 && text.indexOf(' ', pos) === -1) { this.pending = text.slice(pos); return; }
          TS_RE.lastIndex = pos;
          const m = TS_RE.exec(text);
          if (m) { this.pendingTs = m[1]; pos += m[0].length; }
        }
        this.lineStarted = true;
      }
      if (nl === -1) {
        let rest = text.slice(pos);
        while (rest.length > max) { this.piece(rest.slice(0, max), true); rest = rest.slice(max); }
        this.pending = rest;
        return;
      }
      let end = nl;
      while (end - pos > max) { this.piece(text.slice(pos, pos + max), true); pos += max; }
      if (end > pos && text.charCodeAt(end - 1) === 13) end--; // CRLF
      this.piece(text.slice(pos, end), false);
      this.lineStarted = false;
      pos = nl + 1;
    }
  }

  /** Emits what is left (the stream ended without a final newline). */
  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest.length || this.continuing) this.piece(rest, false);
  }

  private piece(text: string, more: boolean): void {
    const line: RawLine = { stream: this.stream, text: sanitize(text) };
    if (this.pendingTs) line.ts = this.pendingTs;
    if (more || this.continuing) line.part = { index: this.pieceIndex++, more };
    this.emit(line);
    this.continuing = more;
    if (!more) { this.pendingTs = undefined; this.pieceIndex = 0; }
  }
}
