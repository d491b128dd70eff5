import { describe, expect, it } from 'vitest';
import { contrast, LOG_BG, LOG_BG_LIGHT, MIN_CONTRAST, type Rgb } from '../../renderer/src/logs/palette';
import { parseSgr } from '../../renderer/src/logs/sgr';
import { parseChoice, resolveTheme } from '../../renderer/src/theme/theme';

const rgb = (css: string): Rgb => css.match(/\d+/g)!.map(Number) as unknown as Rgb;

describe('theme choice', () => {
  it('Auto follows the system; Light and Dark do not; nothing or anything else stored reads as Dark', () => {
    expect(resolveTheme('auto', true)).toBe('dark');
    expect(resolveTheme('auto', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
    expect(parseChoice('light')).toBe('light');
    expect(parseChoice('solarized')).toBe('dark');
    expect(parseChoice(null)).toBe('dark');
    expect(parseChoice('auto')).toBe('auto');
  });
});

describe('log ANSI colours in the light theme', () => {
  it('every one of the 16 named colours reads on the white log background, and still on the dark one', () => {
    for (let n = 0; n < 16; n++) {
      const code = n < 8 ? 30 + n : 90 + n - 8;
      const light = parseSgr(`\x1b[${code}mx`, 'light')[0].style!.color!;
      const dark = parseSgr(`\x1b[${code}mx`, 'dark')[0].style!.color!;
      expect(contrast(rgb(light), LOG_BG_LIGHT), `colour ${n} on white`).toBeGreaterThanOrEqual(MIN_CONTRAST);
      expect(contrast(rgb(dark), LOG_BG), `colour ${n} on dark`).toBeGreaterThanOrEqual(MIN_CONTRAST);
    }
    // Yellow, the faintest on white, is darkened rather than replaced: it keeps more red than blue.
    const [r, , b] = rgb(parseSgr('\x1b[33mwarn', 'light')[0].style!.color!);
    expect(r).toBeGreaterThan(b);
  });
});
