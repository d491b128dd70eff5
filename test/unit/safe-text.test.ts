import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it } from 'vitest';
import { plainLogText } from '../../shared/text/plain-text';
import { safeLogText } from '../../shared/text/safe-text';

const ESC = '\x1b';

describe('safeLogText keeps colour', () => {
  it('SGR with ; and : parameters passes verbatim, and the same string comes back', () => {
    for (const s of [`${ESC}[31mred${ESC}[0m`, `${ESC}[m`, `${ESC}[1;38;5;208mX`, `${ESC}[38:2::255:128:0mX`, `${ESC}[4:3mcurly`]) {
      expect(safeLogText(s)).toBe(s);
    }
  });

  it('a CSI ending in m with a private marker or an intermediate is not SGR (xterm keyboard modes)', () => {
    expect(safeLogText(`${ESC}[>4;2m`)).toBe('␛[>4;2m');
    expect(safeLogText(`${ESC}[?25m`)).toBe('␛[?25m');
    expect(safeLogText(`${ESC}[1 m`)).toBe('␛[1 m');
  });

  it('plain text and tabs pass untouched; U+FFFD from the decoder is shown, not dropped', () => {
    expect(safeLogText('INFO\tserved request 1 — ünïcode ✓')).toBe('INFO\tserved request 1 — ünïcode ✓');
    const decoded = new StringDecoder('utf8').write(Buffer.from([0x61, 0xff, 0xc3, 0x28, 0x62]));
    expect(safeLogText(decoded)).toBe('a\uFFFD\uFFFD(b');
  });
});

describe('safeLogText makes every other sequence visible and inert, as a whole', () => {
  const cases: [string, string, string][] = [
    ['erase display', `${ESC}[2J`, '␛[2J'],
    ['cursor position', `${ESC}[10;10H`, '␛[10;10H'],
    ['cursor up, erase line', `${ESC}[5A${ESC}[K`, '␛[5A␛[K'],
    ['alternate screen', `${ESC}[?1049h`, '␛[?1049h'],
    ['OSC title ended by BEL', `${ESC}]0;title\x07after`, '␛]0;title␇after'],
    ['OSC ended by ST', `${ESC}]0;title${ESC}\\after`, '␛]0;title␛\\after'],
    ['OSC 8 hyperlink', `${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\`, '␛]8;;http://x␛\\link␛]8;;␛\\'],
    ['unterminated OSC to the end of the line', `${ESC}]0;title and the rest`, '␛]0;title and the rest'],
    ['DCS', `${ESC}P1$r0m${ESC}\\`, '␛P1$r0m␛\\'],
    ['PM and APC', `${ESC}^pm${ESC}\\${ESC}_apc${ESC}\\`, '␛^pm␛\\␛_apc␛\\'],
    ['SOS', `${ESC}Xsos${ESC}\\`, '␛Xsos␛\\'],
    ['reset (two bytes)', `${ESC}c`, '␛c'],
    ['save cursor, charset', `${ESC}7${ESC}(B`, '␛7␛(B'],
    ['a lone ESC at the end', `x${ESC}`, 'x␛'],
    ['8-bit CSI (U+009B)', '\u009b2J', '⟨9B⟩2J'],
    ['8-bit OSC (U+009D) ended by 8-bit ST', '\u009d0;title\u009cafter', '⟨9D⟩0;title⟨9C⟩after'],
    ['8-bit DCS, other C1', '\u0090q\u009c\u0085\u0084', '⟨90⟩q⟨9C⟩⟨85⟩⟨84⟩'],
  ];
  for (const [name, input, shown] of cases) it(name, () => expect(safeLogText(input)).toBe(shown));

  it('C0 controls other than TAB become control pictures, DEL ␡', () => {
    expect(safeLogText('bel\x07 bs\x08 cr\r lf\n vt\x0b ff\x0c nul\x00 del\x7f tab\t')).toBe('bel␇ bs␈ cr␍ lf␊ vt␋ ff␌ nul␀ del␡ tab\t');
  });

  it('a BEL inside an OSC is its terminator, shown: the text after it is not swallowed', () => {
    expect(safeLogText(`${ESC}]0;pwned\x07MARKER`)).toMatch(/␇MARKER$/);
  });

  it('an ESC inside a sequence ends it, as in a terminal: the next one is judged on its own', () => {
    expect(safeLogText(`${ESC}[31;1${ESC}[2Jm`)).toBe('␛[31;1␛[2Jm');
    expect(safeLogText(`${ESC}]0;t${ESC}[31mred`)).toBe(`␛]0;t${ESC}[31mred`);
    // CAN and SUB abort a string too; they are shown themselves.
    expect(safeLogText(`${ESC}]0;t\x18x`)).toBe('␛]0;t␘x');
  });

  it('colour beside hostile sequences: the colour stays, the rest is shown', () => {
    expect(safeLogText(`${ESC}[2J${ESC}[32mok${ESC}[0m${ESC}]0;t\x07`)).toBe(`␛[2J${ESC}[32mok${ESC}[0m␛]0;t␇`);
  });
});

describe('plainLogText', () => {
  it('drops SGR and keeps everything else visible', () => {
    expect(plainLogText(`${ESC}[1;31mERROR${ESC}[0m ${ESC}[2J\x07`)).toBe('ERROR ␛[2J␇');
    expect(plainLogText('plain')).toBe('plain');
  });
});

// Deterministic pseudo-random bytes, so a failure reproduces.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

// Pieces that make sequences (introducers, parameters, finals, terminators, C1 in UTF-8), mixed with
// single random bytes: random bytes alone almost never form `ESC [ 3 1 m`.
const PIECES = ['\x1b[', '\x1b[', '\x1b]', '\x1bP', '\x1b^', '\x1b\\', '\x1b', '0', '1', '31', '38', ';', ':', '?', '>', ' ', 'm', 'm', 'J', 'H', 'K', 'c', '\x07', '\x18', '\r', '\b', '\x7f', '\t', '\xe9', '\xc2\x9b', '\xc2\x9d', '\xc2\x9c', '\xc2\x90', '\xc2\x85']
  .map((p) => Buffer.from(p, 'latin1'));

function randomLine(next: () => number): Buffer {
  const out: Buffer[] = [];
  const n = Math.floor(next() * 40);
  for (let i = 0; i < n; i++) {
    out.push(next() < 0.7 ? PIECES[Math.floor(next() * PIECES.length)] : Buffer.from([Math.floor(next() * 256)]));
  }
  return Buffer.concat(out);
}

/** ESC only as the start of `ESC [ digits ; : m`, and no C0 (but TAB), DEL or C1 anywhere. */
function terminalSafe(s: string): boolean {
  const withoutSgr = s.replace(/\x1b\[[0-9:;]*m/g, '');
  return !/[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(withoutSgr);
}

// The visible forms mapped back to the controls they stand for.
function unshow(s: string): string {
  return s.replace(/[\u2400-\u2421]/g, (c) => (c === '\u2421' ? '\x7f' : String.fromCharCode(c.charCodeAt(0) - 0x2400)))
    .replace(/⟨([89][0-9A-F])⟩/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

describe('safeLogText on random bytes', () => {
  const next = rng(7);
  const inputs = Array.from({ length: 20000 }, () => new StringDecoder('utf8').end(randomLine(next)));

  it('never leaves an escape other than SGR, nor a control other than TAB', () => {
    const bad = inputs.find((s) => !terminalSafe(safeLogText(s)));
    expect(bad === undefined ? undefined : JSON.stringify(bad)).toBeUndefined();
  });

  it('drops and reorders nothing: mapping the pictures back gives the input', () => {
    const bad = inputs.filter((s) => !/[\u2400-\u2421⟨]/.test(s)).find((s) => unshow(safeLogText(s)) !== s);
    expect(bad === undefined ? undefined : JSON.stringify(bad)).toBeUndefined();
  });

  it('is idempotent, and plainLogText leaves no ESC at all', () => {
    for (const s of inputs) {
      const once = safeLogText(s);
      if (safeLogText(once) !== once) expect(JSON.stringify(s)).toBe('idempotent');
      if (plainLogText(s).includes('\x1b')) expect(JSON.stringify(s)).toBe('without ESC');
    }
    // The generator does make sequences worth the name, or the properties above would prove little.
    expect(inputs.filter((s) => /\x1b\[[0-9;]*m/.test(s)).length).toBeGreaterThan(100);
    expect(inputs.filter((s) => /\x1b\[[0-9;]*[A-Za-z]/.test(s) && !/\x1b\[[0-9;]*m/.test(s)).length).toBeGreaterThan(100);
  });
});
