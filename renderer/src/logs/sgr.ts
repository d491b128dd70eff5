import { css, ensureContrast, LOG_BG as DARK_BG, LOG_BG_LIGHT, LOG_FG as DARK_FG, LOG_FG_LIGHT, type Rgb, xterm256 } from './palette';

/** Which log background the colours must read on: the page's theme. */
export type LogTheme = 'light' | 'dark';

/**
 * A log line's text as the page shows it: SGR sequences (`ESC [ … m`) style the text and are the only thing
 * that is interpreted. The engine already makes every other escape and control visible and inert, but the
 * page does not rely on that: any other escape (cursor moves, screen clears, OSC titles, 8-bit CSI) stays
 * on screen as text, its control characters shown as visible marks, so nothing in a log can act on the page.
 */

export interface Style {
  color?: string;
  background?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  strike?: boolean;
}

export interface Segment {
  text: string;
  style?: Style;
  /** A control character shown as a mark, not as what it would do. */
  control?: boolean;
}

// Colour parameters may use ';' (common) or ':' (ITU T.416) between their parts.
const SGR_RE = /\x1b\[([0-9;:]*)m/y;
// Tab is the one control a log line keeps as itself; U+2400–U+2421 are the engine's pictures of controls.
const CONTROL_RE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2400-\u241f\u2421]/;

const C0 = ['NUL', 'SOH', 'STX', 'ETX', 'EOT', 'ENQ', 'ACK', 'BEL', 'BS', 'HT', 'LF', 'VT', 'FF', 'CR', 'SO', 'SI',
  'DLE', 'DC1', 'DC2', 'DC3', 'DC4', 'NAK', 'SYN', 'ETB', 'CAN', 'EM', 'SUB', 'ESC', 'FS', 'GS', 'RS', 'US'];

/**
 * How a control character is shown: its name (ESC, BEL) in a mark, since the Unicode control pictures
 * (␛, ␇) are missing from many monospace fonts and would show as empty boxes. The pictures the engine
 * already put in their place get the same mark, so both look alike.
 */
export function controlMark(c: number): string {
  if (c === 0x7f || c === 0x2421) return 'DEL';
  if (c >= 0x2400 && c < 0x2420) return C0[c - 0x2400];
  if (c < 0x20) return C0[c];
  return c.toString(16).toUpperCase();
}

type Colour = { kind: 'none' } | { kind: 'index'; n: number } | { kind: 'rgb'; rgb: Rgb };
interface Attrs { fg: Colour; bg: Colour; bold: boolean; dim: boolean; italic: boolean; underline: boolean; inverse: boolean; strike: boolean }
const PLAIN: Attrs = { fg: { kind: 'none' }, bg: { kind: 'none' }, bold: false, dim: false, italic: false, underline: false, inverse: false, strike: false };

/** Reads an extended colour (`38;5;n` or `38;2;r;g;b`) starting after the 38/48; returns it and the parameters used. */
function extended(p: number[], i: number): [Colour, number] {
  if (p[i] === 5 && i + 1 < p.length) return [{ kind: 'index', n: clampByte(p[i + 1]) }, 2];
  if (p[i] === 2 && i + 3 < p.length) return [{ kind: 'rgb', rgb: [clampByte(p[i + 1]), clampByte(p[i + 2]), clampByte(p[i + 3])] }, 4];
  return [{ kind: 'none' }, p.length - i]; // malformed: ignore the rest, as terminals do
}
const clampByte = (n: number) => Math.max(0, Math.min(255, n | 0));

function apply(a: Attrs, raw: string): Attrs {
  // ITU colon form `38:2::r:g:b` carries an empty colour-space id; drop it so both forms read alike.
  const params = raw.replace(/(^|;)(38|48):2::/g, '$1$2:2:').split(/[;:]/).map((s) => (s === '' ? 0 : Number(s)));
  const next = { ...a };
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p === 0) Object.assign(next, PLAIN);
    else if (p === 1) next.bold = true;
    else if (p === 2) next.dim = true;
    else if (p === 3) next.italic = true;
    else if (p === 4) next.underline = true;
    else if (p === 7) next.inverse = true;
    else if (p === 9) next.strike = true;
    else if (p === 22) { next.bold = false; next.dim = false; }
    else if (p === 23) next.italic = false;
    else if (p === 24) next.underline = false;
    else if (p === 27) next.inverse = false;
    else if (p === 29) next.strike = false;
    else if (p >= 30 && p <= 37) next.fg = { kind: 'index', n: p - 30 };
    else if (p >= 90 && p <= 97) next.fg = { kind: 'index', n: p - 90 + 8 };
    else if (p >= 40 && p <= 47) next.bg = { kind: 'index', n: p - 40 };
    else if (p >= 100 && p <= 107) next.bg = { kind: 'index', n: p - 100 + 8 };
    else if (p === 39) next.fg = { kind: 'none' };
    else if (p === 49) next.bg = { kind: 'none' };
    else if (p === 38 || p === 48) {
      const [c, used] = extended(params, i + 1);
      if (p === 38) next.fg = c; else next.bg = c;
      i += used;
    }
  }
  return next;
}

const rgbOf = (c: Colour): Rgb | undefined => (c.kind === 'index' ? xterm256(c.n) : c.kind === 'rgb' ? c.rgb : undefined);

const styleCache = new Map<string, Style | undefined>();

/** The CSS for a set of attributes: colours from the page's palette, the foreground lifted to read on its background. */
export function styleOf(a: Attrs, theme: LogTheme = 'dark'): Style | undefined {
  const [LOG_BG, LOG_FG] = theme === 'light' ? [LOG_BG_LIGHT, LOG_FG_LIGHT] : [DARK_BG, DARK_FG];
  const key = theme + JSON.stringify(a);
  const hit = styleCache.get(key);
  if (hit !== undefined || styleCache.has(key)) return hit;
  let fg = rgbOf(a.fg);
  let bg = rgbOf(a.bg);
  if (a.inverse) [fg, bg] = [bg ?? LOG_BG, fg ?? LOG_FG];
  const s: Style = {};
  if (bg) s.background = css(bg);
  // The default colour already reads on the page; it needs checking only on a background the log chose.
  if (fg || bg) s.color = css(ensureContrast(fg ?? LOG_FG, bg ?? LOG_BG));
  if (a.bold) s.bold = true;
  if (a.dim) s.dim = true;
  if (a.italic) s.italic = true;
  if (a.underline) s.underline = true;
  if (a.strike) s.strike = true;
  const out = Object.keys(s).length ? s : undefined;
  if (styleCache.size > 4096) styleCache.clear();
  styleCache.set(key, out);
  return out;
}

/** Splits a line into styled runs of text and visible control marks. */
export function parseSgr(text: string, theme: LogTheme = 'dark'): Segment[] {
  if (!CONTROL_RE.test(text)) return [{ text }];
  const out: Segment[] = [];
  let attrs = PLAIN;
  let style: Style | undefined;
  let run = '';
  const flush = () => { if (run) { out.push(style ? { text: run, style } : { text: run }); run = ''; } };
  let i = 0;
  // Jump from one control character to the next: plain text between them is sliced, never copied char by char.
  const next = new RegExp(CONTROL_RE.source, 'g');
  while (i < text.length) {
    next.lastIndex = i;
    const found = next.exec(text);
    const at = found ? found.index : text.length;
    if (at > i) run += text.slice(i, at);
    if (!found) break;
    i = at;
    if (text.charCodeAt(i) === 0x1b) {
      SGR_RE.lastIndex = i;
      const m = SGR_RE.exec(text);
      if (m) {
        flush();
        attrs = apply(attrs, m[1]);
        style = styleOf(attrs, theme);
        i += m[0].length;
        continue;
      }
    }
    flush();
    const mark = controlMark(text.charCodeAt(i));
    out.push(style ? { text: mark, style, control: true } : { text: mark, control: true });
    i++;
  }
  flush();
  return out;
}
