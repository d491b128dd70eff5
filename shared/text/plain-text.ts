import { safeLogText } from './safe-text';

// After safeLogText the only escapes left are SGR, so removing them leaves no escape at all.
const SGR_G = /\x1b\[[0-9:;]*m/g;

/**
 * A log line's text for a file, a pipe or a terminal that asked for no colour: safe (see safeLogText)
 * and without its SGR colour sequences. The other sequences stay visible, as on the page: an attempt to
 * clear the screen is part of what the program printed.
 */
export function plainLogText(text: string): string {
  const safe = safeLogText(text);
  return safe.includes('\x1b') ? safe.replace(SGR_G, '') : safe;
}
