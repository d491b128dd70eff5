import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from '../../shared/contract/domain';

export type RawLine = Omit<LogLine, 'seq'>;

/** Lines longer than this are delivered in pieces, so one 2 MB line never becomes one 2 MB row. */
export const MAX_PIECE = 16 * 1024;

// RFC 3339 timestamp that docker puts before each line when asked for timestamps.
const TS_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;
// C0 controls other than TAB and ESC (ESC starts ANSI colour codes, which the view renders), plus DEL.
const CONTROL_RE = /[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]/g;

export function sanitize(text: string): string {
  return text.replace(CONTROL_RE, '\uFFFD');
}

/**
 * Turns a byte stream into lines: keeps multi-byte characters split across chunks whole, replaces
 * invalid UTF-8 and control bytes instead of failing, strips the engine's timestamp prefix into `ts`,
 * and bounds the memory a line without a newline can take.
 */
export class LineAssembler {
  private decoder = new StringDecoder('utf8');
  private pending = '';
  private pendingTs: string | undefined;
  private continuing = false;
  private atLineStart = true;

  constructor(
    private readonly stream: LogLine['stream'],
    private readonly emit: (l: RawLine) => void,
    private readonly opts: { timestamps: boolean; maxPiece?: number } = { timestamps: false },
  ) {}

  write(chunk: Buffer | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const max = this.opts.maxPiece ?? MAX_PIECE;
    while (text.length) {
      if (this.atLineStart && this.opts.timestamps) {
        // A timestamp may itself arrive split across chunks: wait for the space that ends it.
        const probe = this.pending + text;
        if (probe.length < 40 && !probe.includes(' ') && !probe.includes('\n')) { this.pending = probe; return; }
        const m = TS_RE.exec(probe);
        if (m) { this.pendingTs = m[1]; text = probe.slice(m[0].length); this.pending = ''; }
        else { text = probe; this.pending = ''; }
        this.atLineStart = false;
      }
      this.atLineStart = false;
      const nl = text.indexOf('\n');
      if (nl === -1) {
        this.pending += text;
        text = '';
        while (this.pending.length > max) this.piece(this.pending.slice(0, max), true);
        break;
      }
      this.pending += text.slice(0, nl);
      text = text.slice(nl + 1);
      while (this.pending.length > max) this.piece(this.pending.slice(0, max), true);
      this.piece(this.pending.replace(/\r$/, ''), false);
      this.atLineStart = true;
    }
  }

  /** Emits what is left (the stream ended without a final newline). */
  end(): void {
    this.pending += this.decoder.end();
    if (this.pending.length || this.continuing) this.piece(this.pending, false);
  }

  private piece(text: string, more: boolean): void {
    this.pending = more ? this.pending.slice(text.length) : '';
    const line: RawLine = { stream: this.stream, text: sanitize(text) };
    if (this.pendingTs) line.ts = this.pendingTs;
    if (this.continuing) line.cont = true;
    this.emit(line);
    this.continuing = more;
    if (!more) this.pendingTs = undefined;
  }
}
