import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Ansi } from '../../renderer/src/components/Ansi';
import { ANSI16, contrast, ensureContrast, LOG_BG, MIN_CONTRAST, type Rgb, xterm256 } from '../../renderer/src/logs/palette';
import { parseSgr } from '../../renderer/src/logs/sgr';
import { stripSgr } from '../../shared/text/plain-text';

const rgb = (s: string): Rgb => s.match(/\d+/g)!.map(Number) as unknown as Rgb;

describe('ANSI colours in the log view', () => {
  it('renders colour codes as styled spans from the page palette and never shows the escape bytes', () => {
    const html = renderToStaticMarkup(<Ansi text={'\x1b[31mERROR\x1b[0m disk \x1b[1;33mfull\x1b[0m'} />);
    expect(html).toContain('<span style="color:rgb(240, 113, 120)">ERROR</span>');
    expect(html).toContain('<span style="color:rgb(229, 192, 123);font-weight:bold">full</span>');
    expect(html).not.toContain('\x1b');
    expect(html).not.toContain('[31m');
  });

  it('plain text passes through, escaped as HTML', () => {
    expect(renderToStaticMarkup(<Ansi text="<script>alert(1)</script>" />)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('256-colour and truecolour codes work, in both the ; and the : form', () => {
    const segs = parseSgr('\x1b[38;5;208morange\x1b[0m \x1b[38;2;200;120;30mrgb\x1b[0m \x1b[38:2::200:120:30mitu');
    expect(segs.find((s) => s.text === 'orange')!.style!.color).toBe('rgb(255, 135, 0)');
    expect(segs.find((s) => s.text === 'rgb')!.style!.color).toBe('rgb(200, 120, 30)');
    expect(segs.find((s) => s.text === 'itu')!.style!.color).toBe('rgb(200, 120, 30)');
  });
});

describe('only SGR is interpreted', () => {
  it('shows every other escape as text, its control characters as named marks', () => {
    const segs = parseSgr('a\x1b[2Jb\x1b]0;title\x07c\x1b[10;10Hd\x9b31me');
    expect(segs.map((s) => s.text).join('')).toBe('aESC[2JbESC]0;titleBELcESC[10;10Hd9B31me');
    expect(segs.filter((s) => s.control).map((s) => s.text)).toEqual(['ESC', 'ESC', 'BEL', 'ESC', '9B']);
    expect(segs.some((s) => s.style)).toBe(false);
    const html = renderToStaticMarkup(<Ansi text={'\x1b[2J\x1b]0;x\x07'} />);
    expect(html).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(html).toContain('<span class="ctl"');
  });

  it('gives the control pictures the engine put in place of controls the same marks', () => {
    const segs = parseSgr('\u241b[2J\u2407 \u2421 \u2420');
    expect(segs.filter((s) => s.control).map((s) => s.text)).toEqual(['ESC', 'BEL', 'DEL']);
    expect(segs.at(-1)!.text).toBe(' \u2420'); // the space picture is not a control
  });

  it('keeps tabs, and colour runs on across a shown escape', () => {
    const segs = parseSgr('\x1b[32mgo\tgreen\x1b[Kstill\x1b[0m plain');
    expect(segs.map((s) => [s.text, s.style?.color])).toEqual([
      ['go\tgreen', 'rgb(126, 198, 153)'], ['ESC', 'rgb(126, 198, 153)'], ['[Kstill', 'rgb(126, 198, 153)'], [' plain', undefined],
    ]);
  });

  it('strips SGR for reading (filters, copy) and nothing else', () => {
    expect(stripSgr('\x1b[1;31mERR\x1b[0m \x1b[2J')).toBe('ERR \x1b[2J');
  });
});

describe('palette readable on the dark log background', () => {
  it('every one of the 16 colours reaches the minimum contrast', () => {
    for (let n = 0; n < 16; n++) {
      const c = rgb(parseSgr(`\x1b[${n < 8 ? 30 + n : 82 + n}mx`)[0].style!.color!);
      expect(contrast(c, LOG_BG), `colour ${n}`).toBeGreaterThanOrEqual(MIN_CONTRAST);
      if (n > 0) expect(c).toEqual(ANSI16[n]); // the palette itself is chosen to read: only black needs lifting
    }
  });

  it('lifts a too dark 256-colour or truecolour foreground, keeping its hue, and leaves a readable one alone', () => {
    const navy = rgb(parseSgr('\x1b[38;5;18mts')[0].style!.color!);
    expect(xterm256(18)).toEqual([0, 0, 135]);
    expect(contrast(navy, LOG_BG)).toBeGreaterThanOrEqual(MIN_CONTRAST);
    expect(contrast(navy, LOG_BG)).toBeLessThan(MIN_CONTRAST + 0.2); // just far enough
    expect(navy[2]).toBeGreaterThan(navy[0] + 40); // still blue
    expect(ensureContrast([250, 200, 100], LOG_BG)).toEqual([250, 200, 100]);
  });

  it('checks the foreground against a background the log chose, darkening on a light one', () => {
    const s = parseSgr('\x1b[38;2;240;240;240;48;2;255;255;255mx')[0].style!;
    expect(s.background).toBe('rgb(255, 255, 255)');
    expect(contrast(rgb(s.color!), [255, 255, 255])).toBeGreaterThanOrEqual(MIN_CONTRAST);
  });

  it('inverse swaps foreground and background', () => {
    const s = parseSgr('\x1b[7;34mx')[0].style!;
    expect(s.background).toBe('rgb(97, 175, 239)');
    expect(contrast(rgb(s.color!), ANSI16[4])).toBeGreaterThanOrEqual(MIN_CONTRAST);
  });
});
