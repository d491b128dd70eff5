import { PilothouseError } from '../../shared/contract/envelope';
import { nextBackoff } from '../engine/backoff';
import type { RawLine } from './lines';
import type { Entry } from './partials';
import { Reassembler } from './reassemble';
import { ResumePoint, StreamOrder, tsKey } from './resume';
import type { LogSource } from './source';
import { readTail } from './tail';

export interface FollowDeps {
  /** The resource's log source now; asked again after every break (a service may come back as a new container). */
  resolve(): LogSource | undefined;
  /** Calls back when the resource changed in the model (its container started again, its endpoint came back). */
  watch(fn: () => void): () => void;
  now(): number;
  /** How long an open stream of a source that may stall stays quiet before the log is looked at (tests shorten it). */
  quietCheck?: { baseMs: number; maxMs: number };
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

/**
 * A stream of a source that may stall (LogSource.mayStall) that has been quiet this long is checked: is
 * there a record in the log newer than the last one delivered? The wait doubles while the log stays
 * quiet, so an idle container costs one small request a minute, and only while someone follows it.
 */
const QUIET_CHECK = { baseMs: 3_000, maxMs: 60_000 };
/** A check that has not answered by then says nothing. */
const QUIET_PROBE_TIMEOUT_MS = 10_000;

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
  // Records that reached the open stream (repeats included): the quiet check only compares two counts,
  // so a busy stream pays one increment per record and no timer.
  let received = 0;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  const quietCfg = deps.quietCheck ?? QUIET_CHECK;
  let quietMs = quietCfg.baseMs;

  const armQuiet = (src: LogSource, my: number) => {
    if (!src.mayStall || state !== 'open' || my !== generation) return;
    clearTimeout(quiet);
    const at = received;
    quiet = setTimeout(() => { quiet = undefined; void checkQuiet(src, my, at); }, quietMs);
    quiet.unref?.();
  };

  /** Quiet since `at`: reopen from the last record if the log grew meanwhile (the stream stalled). */
  const checkQuiet = async (src: LogSource, my: number, at: number) => {
    if (my !== generation || state !== 'open') return;
    if (received !== at) { quietMs = quietCfg.baseMs; armQuiet(src, my); return; }
    const grewBy = await newerRecord(src, point.ts ?? startedAt).catch(() => undefined);
    if (my !== generation || state !== 'open') return;
    if (received !== at || !grewBy) {
      quietMs = received !== at ? quietCfg.baseMs : Math.min(quietMs * 2, quietCfg.maxMs);
      armQuiet(src, my);
      return;
    }
    const waited = Math.round(quietMs / 1000);
    quietMs = quietCfg.baseMs;
    generation++;
    const s = stream;
    stream = undefined;
    s?.();
    system(`— no record for ${waited} s while the log grew (${src.mayStall}); reopening —`);
    void open(src, true);
  };

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
      received++;
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
      armQuiet(src, my);
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
    clearTimeout(quiet);
    const s = stream;
    stream = undefined;
    s?.();
  };
}

/**
 * The log's newest record if it is newer than `since` (one record, not followed), else undefined. Sources
 * take `since` inclusively, so the record at `since` itself is not news.
 */
function newerRecord(src: LogSource, since: string): Promise<Entry | undefined> {
  const sinceKey = tsKey(since);
  return new Promise((resolve, reject) => {
    let newest: Entry | undefined;
    let close: (() => void) | undefined;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      close?.();
      if (err) reject(err); else resolve(newest);
    };
    const timer = setTimeout(() => finish(new Error('no answer')), QUIET_PROBE_TIMEOUT_MS);
    timer.unref?.();
    src.open({ follow: false, since, tail: 1 }, (e) => { if (e.ts !== undefined && tsKey(e.ts) > sinceKey) newest = e; }, (err) => finish(err))
      .then((c) => { if (done) c(); else close = c; }, (e: Error) => finish(e));
  });
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
