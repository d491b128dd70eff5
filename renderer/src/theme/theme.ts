/**
 * The page's colour theme: the operator's choice (Auto follows the system's prefers-color-scheme; nothing
 * chosen yet is Dark, the console's own look, so a new install does not change colour under anyone) kept in
 * localStorage, and the resolved theme written to <html data-theme="light|dark">, which the stylesheets key on.
 * A tiny store rather than React state, so it can be applied before the first render (main.tsx) and read by
 * components that compute colours in script (charts' series, log ANSI colours, xterm).
 */

export type ThemeChoice = 'auto' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'pilothouse.theme';
const CHOICES: readonly ThemeChoice[] = ['auto', 'light', 'dark'];

export function parseChoice(v: string | null | undefined): ThemeChoice {
  return CHOICES.includes(v as ThemeChoice) ? (v as ThemeChoice) : 'dark';
}

export function resolveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return choice === 'auto' ? (systemDark ? 'dark' : 'light') : choice;
}

const listeners = new Set<() => void>();
let choice: ThemeChoice = 'dark';
let theme: Theme = 'dark';
let media: MediaQueryList | undefined;

function readStored(): ThemeChoice {
  try { return parseChoice(localStorage.getItem(THEME_KEY)); } catch { return 'dark'; } // storage may be denied
}

function apply(): void {
  const next = resolveTheme(choice, media ? media.matches : true);
  const root = document.documentElement;
  root.dataset.theme = next;
  root.dataset.themeChoice = choice;
  if (next !== theme) { theme = next; listeners.forEach((l) => l()); }
}

/** Reads the stored choice, applies it and follows the system while the choice is Auto. Call once, before rendering. */
export function initTheme(): void {
  choice = readStored();
  theme = resolveTheme(choice, true);
  media = window.matchMedia?.('(prefers-color-scheme: dark)');
  media?.addEventListener('change', apply);
  apply();
}

export function setThemeChoice(next: ThemeChoice): void {
  choice = next;
  try { localStorage.setItem(THEME_KEY, next); } catch { /* not persisted; still applied */ }
  apply();
  listeners.forEach((l) => l()); // the choice itself changed even when the resolved theme did not
}

export const currentTheme = (): Theme => theme;
export const currentChoice = (): ThemeChoice => choice;
export function subscribeTheme(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
