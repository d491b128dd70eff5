import { TERMINAL_WINDOW, type TerminalItem, type TerminalMessage } from '../../shared/contract/channels';
import { PilothouseError } from '../../shared/contract/envelope';
import type { StreamSink } from '../engine/dispatch';
import type { TerminalSession } from './session';

/** Keys typed while the session is still opening wait for it, up to this many characters. */
const PENDING_INPUT_MAX = 64 * 1024;

export interface TerminalStream { close(): void; message(m: TerminalMessage): void }

/**
 * Every terminal the engine has open, so that stopping the engine ends them all (a shell left open on a
 * host after the console quit would be a session nobody sees).
 */
export class Terminals {
  private readonly open = new Set<TerminalStream>();
  /** The client may stop acking for this many characters before the session is paused. */
  constructor(private readonly window = TERMINAL_WINDOW) {}

  get size(): number { return this.open.size; }

  /** Carries a session that is opening onto a stream; the handle closes it and takes the client's messages. */
  serve(opening: Promise<TerminalSession>, sink: StreamSink<TerminalItem>): TerminalStream {
    const handle = serveTerminal(opening, sink, this.window, () => this.open.delete(handle));
    this.open.add(handle);
    return handle;
  }

  closeAll(): void {
    const all = [...this.open];
    this.open.clear();
    all.forEach((t) => t.close());
  }
}

/**
 * The engine side of one `terminal:session` stream. Output is decoded here, with one streaming
 * TextDecoder per session: a character split across two chunks is held until its last byte comes, so the
 * wire (JSON on every transport) carries whole characters and the page never sees half of one. Bytes that
 * are not UTF-8 become U+FFFD, as a terminal would show them.
 *
 * Flow control is by acks, not by the transport's backlog: MessagePorts and in-process links report no
 * backlog, and the slow part is usually the page drawing, which no transport can see.
 */
function serveTerminal(opening: Promise<TerminalSession>, sink: StreamSink<TerminalItem>, window: number, forget: () => void): TerminalStream {
  let session: TerminalSession | undefined;
  let closed = false;
  let ended = false;
  let pendingInput: string[] = [];
  let pendingChars = 0;
  let pendingSize: { cols: number; rows: number } | undefined;
  let unacked = 0;
  let paused = false;
  const decoder = new TextDecoder('utf-8');

  const send = (data: string) => {
    if (!data || ended) return;
    unacked += data.length;
    sink.push({ t: 'data', data });
    if (!paused && unacked >= window && session?.pause) { paused = true; session.pause(); }
  };
  const finish = (item: Extract<TerminalItem, { t: 'end' }> | undefined, error?: PilothouseError) => {
    if (ended) return;
    send(decoder.decode());   // the bytes of a character cut off by the end, shown as U+FFFD
    ended = true;
    forget();
    if (item) sink.push(item);
    sink.end(error);
  };

  opening.then((s) => {
    if (closed) { s.close(); return; }
    session = s;
    sink.push({ t: 'open' });
    s.onData((chunk) => send(decoder.decode(chunk, { stream: true })));
    s.onEnd((e) => finish({ t: 'end', reason: e.reason, ...(e.exitCode !== undefined && { exitCode: e.exitCode }), ...(e.signal && { signal: e.signal }), ...(e.lost && { lost: true }) }));
    if (pendingSize) s.resize(pendingSize);
    for (const text of pendingInput) s.write(text);
    pendingInput = [];
  }, (err: unknown) => {
    if (closed) return;
    finish(undefined, err instanceof PilothouseError ? err : new PilothouseError('unavailable', `the terminal could not open: ${(err as Error)?.message ?? err}`));
  });

  return {
    close() {
      if (closed) return;
      closed = true;
      forget();
      session?.close();
    },
    message(m) {
      if (closed || ended) return;
      if ('ack' in m) {
        unacked = Math.max(0, unacked - m.ack);
        if (paused && unacked <= window / 4) { paused = false; session?.resume?.(); }
      } else if ('resize' in m) {
        if (session) session.resize(m.resize); else pendingSize = m.resize;
      } else if (session) {
        session.write(m.input);
      } else {
        if (pendingChars + m.input.length > PENDING_INPUT_MAX) {
          closed = true;   // the session, once open, is closed at once
          finish(undefined, new PilothouseError('invalid-input', `more than ${PENDING_INPUT_MAX} characters typed before the terminal opened`));
          return;
        }
        pendingChars += m.input.length;
        pendingInput.push(m.input);
      }
    },
  };
}
