import type { TerminalItem } from '../../../shared/contract/channels';
import type { Client } from '../../../shared/contract/client';

/** Keys and pastes travel in pieces of at most this many characters (the contract takes 65,536). */
export const INPUT_PIECE = 16 * 1024;

/** A long paste in pieces, never cutting a character that takes two UTF-16 units (an emoji) in half. */
export function inputPieces(text: string, max = INPUT_PIECE): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + max, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff && end - 1 > i) end--;
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

export type TerminalEndItem = Extract<TerminalItem, { t: 'end' }>;

/** Where a terminal is: the page shows the end's reason, and offers to connect again when it ended. */
export type TerminalStatus =
  | { state: 'opening' }
  | { state: 'open' }
  | { state: 'exited'; reason: string; exitCode?: number | null }
  | { state: 'lost'; reason: string }
  | { state: 'failed'; reason: string };

/** The status a stream's end leaves: an end item says how the program ended; an error, that it never ran or the engine went. */
export function endStatus(end: TerminalEndItem | undefined, error: { message: string } | undefined): TerminalStatus {
  if (end?.lost) return { state: 'lost', reason: end.reason };
  if (end) return { state: 'exited', reason: end.reason, exitCode: end.exitCode };
  if (error) return { state: error.message.includes('connection to the Pilothouse engine') ? 'lost' : 'failed', reason: error.message };
  return { state: 'lost', reason: 'the terminal stream ended without saying why' };
}

export interface TerminalOutput {
  /** Text to show; call `shown` once it is on the screen (xterm's write callback), so more may come. */
  data(text: string, shown: () => void): void;
  status(s: TerminalStatus): void;
}

export interface TerminalLink {
  input(text: string): void;
  resize(cols: number, rows: number): void;
  close(): void;
}

/**
 * One `terminal:session` stream. Output is acked as it is drawn (not as it arrives): the engine stops
 * reading the program once a window of text is waiting to be drawn, so a flood slows the program
 * instead of filling the page.
 */
export function openTerminal(client: Client, req: { resource: string; container?: string; cols: number; rows: number }, out: TerminalOutput): TerminalLink {
  let done = false;
  let end: TerminalEndItem | undefined;
  const sub = client.subscribe('terminal:session', req, {
    onBatch(items) {
      for (const item of items) {
        if (item.t === 'open') { out.status({ state: 'open' }); continue; }
        if (item.t === 'end') { end = item; continue; }
        const n = item.data.length;
        out.data(item.data, () => { if (!done) sub.send({ ack: n }); });
      }
    },
    onEnd(error) {
      done = true;
      out.status(endStatus(end, error));
    },
  });
  return {
    input(text) { if (!done) for (const piece of inputPieces(text)) sub.send({ input: piece }); },
    resize(cols, rows) { if (!done && cols > 0 && rows > 0) sub.send({ resize: { cols, rows } }); },
    close() { done = true; sub.close(); },
  };
}
