import type { LogLine } from '../../shared/contract/domain';
import { PilothouseError } from '../../shared/contract/envelope';
import { nextBackoff } from '../engine/backoff';
import { LogBuffer } from './buffer';
import type { RawLine } from './lines';
import type { LogSource } from './source';

/** Per followed stream: enough for a long incident, bounded so a chatty container cannot eat the laptop. */
export const LOG_BUFFER_BYTES = 8 * 1024 * 1024;

export interface FollowDeps {
  /** The resource's log source now; asked again after every break (a service may come back as a new container). */
  resolve(): LogSource | undefined;
  /** Calls back when the resource changed in the model (its container started again, its endpoint came back). */
  watch(fn: () => void): () => void;
  now(): number;
}

export interface LogSinkLike { push(l: LogLine): void; end(e?: PilothouseError): void }

/**
 * Follows a resource's log through stops and engine restarts, for every plane: when the stream ends it
 * says why in the log itself, waits until its source is ready again, and resumes from the last timestamp
 * without repeating lines. Exactly one stream is open at a time.
 */
export function followLog(deps: FollowDeps, tail: number, sink: LogSinkLike): () => void {
  const buf = new LogBuffer(LOG_BUFFER_BYTES);
  let lastTs: string | undefined;
  let lastText: string | undefined;
  let dispose: (() => void) | undefined;
  let closed = false;
  let opening = false;
  let attempt = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;

  const emit = (raw: RawLine) => {
    // After a resume, `since` repeats the boundary second; drop what was already delivered.
    if (lastTs && raw.ts && !raw.part?.index && (raw.ts < lastTs || (raw.ts === lastTs && raw.text === lastText))) return;
    if (raw.ts) { lastTs = raw.ts; lastText = raw.text; }
    sink.push(buf.push(raw));
  };
  const system = (text: string) => sink.push(buf.push({ stream: 'system', text, ts: new Date(deps.now()).toISOString() }));

  const open = async (first: boolean) => {
    if (closed || opening || dispose) return;
    const src = deps.resolve();
    if (!src) {
      if (first) sink.end(new PilothouseError('not-found', 'this resource has no log'));
      else schedule();
      return;
    }
    // After a break, wait until the source can be read (container running, endpoint back).
    if (!first && !src.state().ready) { schedule(); return; }
    if (retry) { clearTimeout(retry); retry = undefined; }
    opening = true;
    const my = ++generation;
    try {
      // The last timestamp as the source gave it (ISO, nanoseconds kept): the source converts it exactly.
      const handle = await src.open({ follow: true, tail: first ? tail : undefined, since: lastTs }, emit, (err) => {
        if (my !== generation || closed) return;
        generation++;   // this stream is over; a late callback of it changes nothing
        dispose = undefined;
        const st = src.state();
        const why = !st.ready && st.why ? st.why : err ? `log stream broke: ${err.message}` : 'log stream ended';
        system(`— ${why}; waiting to resume —`);
        schedule();
      });
      if (closed || my !== generation) { handle(); return; }
      dispose = handle;
      if (!first) system('— log stream resumed —');
      attempt = 0;
    } catch (e) {
      if (first && !lastTs) { sink.end(e instanceof PilothouseError ? e : new PilothouseError('unavailable', (e as Error).message)); return; }
      schedule();
    } finally {
      opening = false;
    }
  };

  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(() => { retry = undefined; void open(false); }, nextBackoff(attempt++, { baseMs: 250, maxMs: 5_000 }));
  };

  const unwatch = deps.watch(() => { if (!dispose && !opening && !closed) void open(false); });
  void open(true);
  return () => {
    closed = true;
    unwatch();
    if (retry) clearTimeout(retry);
    const d = dispose;
    dispose = undefined;
    d?.();
  };
}

/** The last lines of a log, read once. */
export async function tailLog(src: LogSource, tail: number): Promise<LogLine[]> {
  const buf = new LogBuffer(LOG_BUFFER_BYTES);
  await new Promise<void>((resolve, reject) => {
    src.open({ follow: false, tail }, (l) => buf.push(l), (e) => (e ? reject(e) : resolve())).catch(reject);
  });
  return buf.tail(tail);
}
