import { safeLogText } from './safe-text';

// Colour parameters may use ';' (common) or ':' (ITU T.416) between their parts.
const SGR_G = /\x1b\[[0-9:;]*m/g;

/** The text without its SGR colour sequences: what the operator reads, for filters, copy and files. */
export function stripSgr(text: string): string {
  return text.includes('\x1b') ? text.replace(SGR_G, '') : text;
}

/**
 * A log line's text for a file, a pipe or a terminal that asked for no colour: safe (see safeLogText)
 * and without its SGR colour sequences. The other sequences stay visible, as on the page: an attempt to
 * clear the screen is part of what the program printed.
 */
export function plainLogText(text: string): string {
  // After safeLogText the only escapes left are SGR, so removing them leaves no escape at all.
  return stripSgr(safeLogText(text));
}
