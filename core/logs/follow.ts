import { PilothouseError } from '../../shared/contract/envelope';
import { nextBackoff } from '../engine/backoff';
import type { RawLine } from './lines';
import type { Entry } from './partials';
import { Reassembler } from './reassemble';
import { ResumePoint, StreamOrder } from './resume';
import type { LogSource } from './source';
import { readTail } from './tail';

export interface FollowDeps {
  /** The resource's log source now; asked again after every break (a service may come back as a new container). */
  resolve(): LogSource | undefined;
  /** Calls back when the resource changed in the model (its container started again, its endpoint came back). */
  watch(fn: () => void): () => void;
  now(): number;
}

export interface FollowSink { line(l: RawLine): void; end(e?: PilothouseError): void }

/** How long a source may take to say why its stream ended before the follow says it without knowing. */
const EXPLAIN_MS = 3_000;
/**
 * A line's records are written in one burst (the driver cuts a buffer it already holds), so a record
 * arriving after a break more than this long after its line's last piece starts a new line: the process
 * that wrote the unfinished one is gone.
 */
const CONTINUES_WITHIN_MS = 1_000;

type State = 'opening' | 'open' | 'ended' | 'waiting' | 'closed';

/**
 * Follows a resource's log through stops and engine restarts, for every plane: long lines joined from the
 * source's records, a break said in the log itself with its cause, a resume from the last record without
 * repeating one. One state decides who may open a stream, so the model's "it is back" and the retry timer
 * cannot both open one: at most one stream is open, and none once closed.
 */
export function followLog(deps: FollowDeps, tail: number, sink: FollowSink): () => void {
  const point = new ResumePoint();
  const order = new StreamOrder();
  const asm = new Reassembler((l) => sink.line(l));
  let state: State = 'opening';
  let generation = 0;
  let stream: (() => void) | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  // Asked when nothing was delivered yet and the caller wanted no history: resume from when the follow began.
  const startedAt = new Date(deps.now()).toISOString();

  const system = (text: string) => sink.line({ stream: 'system', text, ts: new Date(deps.now()).toISOString() });

  const schedule = () => {
    if (state !== 'waiting' || retry) return;
    retry = setTimeout(() => { retry = undefined; kick(); }, nextBackoff(attempt++, { baseMs: 250, maxMs: 5_000 }));
  };

  /** The only way to a new stream, from the retry timer and the model's changes alike. */
  const kick = () => {
    if (state !== 'waiting') return;
    const src = deps.resolve();
    if (!src || !src.state().ready) { schedule(); return; }
    if (retry) { clearTimeout(retry); retry = undefined; }
    void open(src, true);
  };

  const open = async (src: LogSource, resumed: boolean) => {
    state = 'opening';
    const my = ++generation;
    const skip = point.skipper();
    let fresh = resumed;
    const onRecord = (e: Entry) => {
      if (my !== generation) return;
      if (skip(e.ts) || order.repeat(e.stream, e.ts, e.text)) return;
      if (fresh) {
        fresh = false;
        attempt = 0;
        const o = asm.openLine(e.stream);
        if (o && !continues(o.lastTs, e.ts)) asm.end(e.stream);
      }
      point.delivered(e.ts);
      asm.push(e);
    };
    // From the last record delivered; else from the log's start (it was empty when the tail was read);
    // else, for a follow that wanted no history, from now, or after a break from when the follow began.
    const from = point.ts !== undefined ? { since: point.ts }
      : tail > 0 ? {}
      : resumed ? { since: startedAt } : { tail: 0 };
    try {
      const close = await src.open({ follow: true, ...from }, onRecord, (err) => { if (my === generation) void ended(src, err); });
      if (my !== generation) { close(); return; }   // closed, or the stream already ended, meanwhile
      stream = close;
      state = 'open';
      if (resumed) system('— log stream resumed —');
    } catch (e) {
      if (my !== generation) return;
      generation++;
      if (!resumed && point.ts === undefined) {
        state = 'closed';
        sink.end(e instanceof PilothouseError ? e : new PilothouseError('unavailable', (e as Error).message));
        return;
      }
      if (!resumed) system(`— ${(e as Error).message}; waiting to resume —`);
      state = 'waiting';
      schedule();
    }
  };

  const ended = async (src: LogSource, err?: Error) => {
    generation++;
    stream = undefined;
    state = 'ended';
    const why = await explain(src, err);
    if (state !== 'ended') return;
    system(`— ${why}; waiting to resume —`);
    // Never at once: a stream that ends as soon as it opens would otherwise spin. The model's news kicks earlier.
    state = 'waiting';
    schedule();
  };

  const start = async () => {
    const src = deps.resolve();
    if (!src) { sink.end(new PilothouseError('not-found', 'this resource has no log')); state = 'closed'; return; }
    if (tail > 0) {
      try {
        const t = await readTail(src, tail, { holdOpen: true });
        if (state === 'closed') return;
        for (const l of t.lines) sink.line(l);
        point.ts = t.point.ts;
        point.count = t.point.count;
      } catch (e) {
        if (state === 'closed') return;
        state = 'closed';
        sink.end(e instanceof PilothouseError ? e : new PilothouseError('unavailable', (e as Error).message));
        return;
      }
    }
    const st = src.state();
    if (!st.ready) { system(`— ${st.why ?? 'log not readable now'}; waiting to resume —`); state = 'waiting'; schedule(); return; }
    await open(src, false);
  };

  const unwatch = deps.watch(() => kick());
  void start();
  return () => {
    if (state === 'closed') return;
    state = 'closed';
    generation++;
    unwatch();
    if (retry) { clearTimeout(retry); retry = undefined; }
    const s = stream;
    stream = undefined;
    s?.();
  };
}

async function explain(src: LogSource, err?: Error): Promise<string> {
  const fallback = () => { const st = src.state(); return !st.ready && st.why ? st.why : err ? `log stream broke: ${err.message}` : 'log stream ended'; };
  if (!src.explain) return fallback();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((r) => { timer = setTimeout(() => r(fallback()), EXPLAIN_MS); });
  try {
    return await Promise.race([src.explain(err).catch(fallback), late]);
  } finally {
    clearTimeout(timer);
  }
}

function continues(lastTs: string | undefined, ts: string | undefined): boolean {
  if (lastTs === undefined || ts === undefined) return true;
  const a = Date.parse(lastTs);
  const b = Date.parse(ts);
  return Number.isNaN(a) || Number.isNaN(b) || b - a <= CONTINUES_WITHIN_MS;
}
