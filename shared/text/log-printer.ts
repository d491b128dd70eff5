import type { LogLine } from '../contract/domain';
import { plainLogText } from './plain-text';
import { safeLogText } from './safe-text';

export interface PrintTarget {
  write(s: string): void;
  /** SGR colours pass (a terminal that wants them); otherwise no escape sequence is written at all. */
  color: boolean;
}

export interface LogPrinter {
  print(line: LogLine): void;
  /** Ends a line left open by a piece with `more` (the stream stopped mid-line). */
  end(): void;
}

const RESET = '\x1b[0m';

/** ` [… 1,234 characters cut]`: said in words, so grep and the eye both find it. */
export function truncationMarker(n: number): string {
  return ` [… ${n.toLocaleString('en-US')} character${n === 1 ? '' : 's'} cut]`;
}

/**
 * Log lines as text, one output line per log line: stdout and system lines to `out`, stderr lines to
 * `err`. The pieces of a long line are glued into one output line with one prefix; a piece that comes
 * after another line broke in (the other stream, say) starts a new output line marked `…`. The next line
 * never glues onto an unfinished one. With colour, a line that set a colour is reset at its end, so the
 * colour does not bleed into the next line or the shell prompt.
 */
export function logPrinter(out: PrintTarget, err: PrintTarget, opts: { timestamps: boolean }): LogPrinter {
  let open: { target: PrintTarget; stream: LogLine['stream']; coloured: boolean } | undefined;

  const close = () => {
    if (!open) return;
    open.target.write(open.coloured ? `${RESET}\n` : '\n');
    open = undefined;
  };

  return {
    print(l) {
      const target = l.stream === 'stderr' ? err : out;
      const continues = open !== undefined && open.stream === l.stream && l.part !== undefined && l.part.index > 0;
      if (!continues) close();
      const text = target.color ? safeLogText(l.text) : plainLogText(l.text);
      let s = '';
      if (!continues) {
        // The timestamp comes from the source too: it gets the same treatment as the text.
        if (opts.timestamps && l.ts) s += plainLogText(l.ts) + ' ';
        if (l.stream === 'system') s += '[pilothouse] ';
        if (l.part && l.part.index > 0) s += '… ';
      }
      s += text;
      const coloured = (continues && open!.coloured) || (target.color && text.includes('\x1b'));
      if (l.part?.more) {
        target.write(s);
        open = { target, stream: l.stream, coloured };
        return;
      }
      open = undefined;
      if (coloured) s += RESET;
      if (l.truncated) s += truncationMarker(l.truncated);
      target.write(s + '\n');
    },
    end: close,
  };
}
