// What may reach a screen from a log line. A log is written by whatever runs in the container, so its
// text is untrusted: a terminal that receives it raw can have its screen cleared, its cursor moved, its
// title set or its input swallowed by an unterminated string. Colour (SGR) is the one escape an operator
// wants to keep; everything else is turned into visible, inert characters, never dropped, so the log
// still shows what the program tried to do.
//
// Sequences are recognised as terminals parse them (ECMA-48, as in the DEC/xterm state machine): ESC or
// CAN/SUB ends a string early, a CSI ends at its final byte. This matters for what is kept: only an exact
// `ESC [ digits ; : m` survives, so `ESC [ > 4 ; 2 m` (xterm's keyboard mode, final byte m too) does not.

/**
 * Something to change: an ESC that does not start an SGR, or any other character a terminal acts on
 * except TAB (C0, DEL, and C1 as UTF-8 decoding gives them, U+0080–U+009F). Plain and coloured lines
 * alike pass with this one test.
 */
const NEEDS_WORK = /\x1b(?!\[[0-9:;]*m)|[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f-\x9f]/;
const CONTROL_G = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

const UNIT_G = new RegExp([
  // 1: SGR, kept verbatim. Parameters only; a private marker (< = > ?) or intermediate makes it something else.
  '(\\x1b\\[[0-9:;]*m)',
  // CSI, 7-bit or 8-bit (U+009B): parameters, intermediates, then a final byte if one came.
  '(?:\\x1b\\[|\\x9b)[\\x30-\\x3f]*[\\x20-\\x2f]*[\\x40-\\x7e]?',
  // OSC, DCS, SOS, PM, APC (7-bit or C1): up to BEL or ST; ESC, CAN, SUB end it early, else the end of the line.
  '(?:\\x1b[\\]PX^_]|[\\x90\\x98\\x9d-\\x9f])[^\\x07\\x18\\x1a\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)?',
  // Any other escape: ESC, intermediates, a final byte (ESC c, ESC 7, ESC ( B, a lone ST ...).
  '\\x1b[\\x20-\\x2f]*[\\x30-\\x7e]?',
  // A control on its own.
  '[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f]',
].join('|'), 'g');

/** The visible stand-in of each control: the Unicode control pictures for C0 and DEL, ⟨XX⟩ for C1. */
const PICTURE: string[] = [];
for (let c = 0; c < 0x20; c++) PICTURE[c] = String.fromCharCode(0x2400 + c);
PICTURE[0x7f] = '\u2421';
for (let c = 0x80; c < 0xa0; c++) PICTURE[c] = `⟨${c.toString(16).toUpperCase()}⟩`;

const picture = (ch: string) => PICTURE[ch.charCodeAt(0)];
const shown = (unit: string, sgr: string | undefined) => sgr ?? unit.replace(CONTROL_G, picture);

/**
 * A log line's text made safe to write raw to a terminal and to show on the page: SGR colour sequences
 * kept as they are, every other escape sequence shown whole with its ESC as ␛ (`ESC [2J` reads `␛[2J`),
 * C0 controls and DEL as control pictures (␇, ␈, ␍), C1 controls as ⟨9B⟩. TAB passes; U+FFFD from the
 * decoder passes (invalid UTF-8 is shown, not dropped). Idempotent. A line with nothing to change, plain
 * or coloured, the common case at 100,000 lines/s, costs one regex test and comes back as the same string.
 */
export function safeLogText(text: string): string {
  return NEEDS_WORK.test(text) ? text.replace(UNIT_G, shown) : text;
}
