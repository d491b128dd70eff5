/**
 * ANSI colours as the page shows them. Programs pick colours for a terminal whose background they do not
 * know; on this page's dark log background the standard dark blue (Airflow's timestamps) or a 256-colour
 * navy is close to invisible. So, as terminal emulators with a minimum-contrast setting do, the 16 named
 * colours come from a palette made for this background, and any foreground that still reads too faintly
 * against what is behind it is lifted until it reaches MIN_CONTRAST.
 */

export type Rgb = readonly [number, number, number];

/** `.log-scroll`'s background in styles.css: keep the two in step. */
export const LOG_BG: Rgb = [0x0e, 0x10, 0x14];
/** `.log-scroll`'s text colour (the inherited --text). */
export const LOG_FG: Rgb = [0xd8, 0xdc, 0xe4];
/** The light theme's log background and text (theme/theme.css --log-bg, --text): colours are lifted towards black there. */
export const LOG_BG_LIGHT: Rgb = [0xff, 0xff, 0xff];
export const LOG_FG_LIGHT: Rgb = [0x1f, 0x23, 0x28];
/** WCAG AA for body text; the ratio VS Code's terminal uses by default. */
export const MIN_CONTRAST = 4.5;

/** Black, red, green, yellow, blue, magenta, cyan, white, then their bright forms. */
export const ANSI16: readonly Rgb[] = [
  [0x3b, 0x41, 0x4d], [0xf0, 0x71, 0x78], [0x7e, 0xc6, 0x99], [0xe5, 0xc0, 0x7b],
  [0x61, 0xaf, 0xef], [0xc6, 0x78, 0xdd], [0x56, 0xb6, 0xc2], [0xc8, 0xcc, 0xd4],
  [0x7f, 0x84, 0x8e], [0xff, 0x8b, 0x92], [0x98, 0xe3, 0xb0], [0xf5, 0xd6, 0x96],
  [0x8c, 0xc8, 0xff], [0xde, 0x9b, 0xf0], [0x7d, 0xd3, 0xde], [0xff, 0xff, 0xff],
];

/** The xterm 256-colour table: 16 named, a 6×6×6 cube, then 24 greys. */
export function xterm256(n: number): Rgb {
  if (n < 16) return ANSI16[n];
  if (n < 232) {
    const i = n - 16;
    const level = (v: number) => (v ? 55 + v * 40 : 0);
    return [level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6)];
  }
  const g = 8 + (n - 232) * 10;
  return [g, g, g];
}

function channel(c: number): number {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

export function luminance([r, g, b]: Rgb): number {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

export function contrast(a: Rgb, b: Rgb): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t), Math.round(a[2] + (b[2] - a[2]) * t)];
}

/**
 * `fg` unchanged when it reads well on `bg`, else moved towards white (on a dark background) or black (on a
 * light one) just far enough: the hue survives, so a lifted navy is still recognisably blue.
 */
export function ensureContrast(fg: Rgb, bg: Rgb, min = MIN_CONTRAST): Rgb {
  if (contrast(fg, bg) >= min) return fg;
  const towards: Rgb = luminance(bg) < 0.18 ? [255, 255, 255] : [0, 0, 0];
  if (contrast(towards, bg) < min) return towards; // nothing reaches it: the extreme is the best there is
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 12; i++) {
    const mid = (lo + hi) / 2;
    if (contrast(mix(fg, towards, mid), bg) >= min) hi = mid; else lo = mid;
  }
  return mix(fg, towards, hi);
}

export const css = ([r, g, b]: Rgb): string => `rgb(${r}, ${g}, ${b})`;
