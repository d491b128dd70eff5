import type { Row } from './kept';
import { stripSgr } from '../../../shared/text/plain-text';

/**
 * Rows as the text an operator copies or downloads: what they read (SGR codes taken out), one line per
 * logical line with a long line's consecutive pieces joined back together, and a line the engine cut, or
 * whose start the page no longer keeps, marked so that it is not taken for the whole line.
 */
export function rowsToText(rows: Iterable<Row>, opts: { timestamps?: boolean } = {}): string {
  const out: string[] = [];
  let prev: Row | undefined;
  for (const r of rows) {
    const part = r.line.part;
    const joins = !!prev && !!prev.line.part?.more && !!part && part.index === prev.line.part.index + 1 && r.abs === prev.abs + 1;
    if (!joins) {
      if (prev) out.push('\n');
      if (opts.timestamps && r.line.ts) out.push(r.line.ts, ' ');
      if (part && part.index > 0) out.push(`[… piece ${part.index + 1} of a long line; the pieces before it are not included] `);
    }
    out.push(stripSgr(r.line.text));
    if (r.line.truncated) out.push(` [… ${r.line.truncated} more characters cut by the engine]`);
    prev = r;
  }
  if (prev) out.push('\n');
  return out.join('');
}

/** `<resource>-<local time>.log`, with only characters every file system takes. */
export function downloadName(resource: string, at: Date): string {
  const name = resource.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[_.]+|_+$/g, '') || 'log';
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  return `${name}-${stamp}.log`;
}
