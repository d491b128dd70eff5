import { PilothouseError } from '../../shared/contract/envelope';
import type { FollowDeps, FollowSink } from './follow';
import { followLog } from './follow';
import type { RawLine } from './lines';
import { tsKey } from './resume';
import type { LogSource } from './source';
import { readTail } from './tail';

/** What an operator asks of a log beyond its resource (kube: one container, the previous instance, a start time). */
export interface LogOptions {
  /** Only this container (kube); all of the resource's containers when undefined. */
  container?: string;
  /** The last terminated instance's log (kube `previous`): a finished log, read once, never followed. */
  previous?: boolean;
  /** RFC 3339: only records from this time on. */
  since?: string;
}

/** One log of a merged log: `key` names the same source across resolves (pod/container), `label` is its prefix. */
export interface LogPart { key: string; label: string; source: LogSource }

/**
 * A log made of several logs (a Deployment's pods and their containers). Each part is followed on its
 * own by the one follow engine, with its own resume point: a timestamp-ordered resume across parts would
 * drop a lagging part's lines as already seen. The parts may change while followed (a pod replaced).
 */
export interface MergedLogSource {
  merged: true;
  describe(): string;
  /** The parts now; a resource whose pods are gone has none (yet). */
  parts(): LogPart[];
  /** Prefix each line with its part's label (more than one container could write here). */
  labelled: boolean;
}

export const isMerged = (s: LogSource | MergedLogSource): s is MergedLogSource => (s as MergedLogSource).merged === true;

const COLOURS = [36, 33, 35, 32, 34, 91, 96, 93];
const RESET = '\x1b[0m';

/** A stable colour per part label, so a pod keeps its colour through a session. */
export function labelColour(label: string): number {
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) >>> 0;
  return COLOURS[h % COLOURS.length];
}

/** The line with its part's label in front, coloured (SGR is the one escape a LogLine may carry). */
export function labelled(l: RawLine, label: string): RawLine {
  // A continuation piece of a long line keeps no prefix: the printer glues it to the first piece.
  if (l.part && l.part.index > 0) return l;
  return { ...l, text: `\x1b[${labelColour(label)}m${label}${RESET} ${l.text}` };
}

/**
 * Lines of several parts in timestamp order; lines without a timestamp keep their place after the
 * line before them in their part. Stable: equal times keep the parts' order.
 */
export function mergeByTime(parts: readonly RawLine[][]): RawLine[] {
  const keyed = parts.flatMap((ls, p) => {
    let last = '';
    return ls.map((l, i) => { if (l.ts) last = tsKey(l.ts); return { l, k: last, p, i }; });
  });
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.p - b.p || a.i - b.i));
  return keyed.map((x) => x.l);
}

/**
 * At most this many logs are streamed for one merged log (each is an HTTP stream to the API server and
 * on to a kubelet): a 200-pod DaemonSet is read for its first pods, and the log says so.
 */
export const MAX_MERGED_PARTS = 20;

function capped(src: MergedLogSource, all: LogPart[]): { parts: LogPart[]; note?: string } {
  if (all.length <= MAX_MERGED_PARTS) return { parts: all };
  return { parts: all.slice(0, MAX_MERGED_PARTS), note: `— ${src.describe()} has ${all.length} containers: showing the first ${MAX_MERGED_PARTS} (name one with --container, or a pod) —` };
}

/** The last `n` lines of a merged log, across its parts by time. */
export async function readMergedTail(src: MergedLogSource, n: number): Promise<RawLine[]> {
  const { parts, note } = capped(src, src.parts());
  if (!parts.length) throw new PilothouseError('unavailable', `${src.describe()} has no pod with a log now`);
  const tails = await Promise.all(parts.map(async (p) => {
    const { lines } = await readTail(p.source, n);
    return src.labelled ? lines.map((l) => labelled(l, p.label)) : lines;
  }));
  const all = mergeByTime(tails);
  const last = n > 0 ? all.slice(Math.max(0, all.length - n)) : [];
  return note ? [{ stream: 'system', text: note }, ...last] : last;
}

/** How long a part that left the resource (its pod deleted) may take to deliver its last lines. */
const LEAVING_MS = 30_000;

interface Running {
  close: () => void;
  tailDone: boolean;
  /** A line of this part went out: from then on its own follow knows where to resume. */
  delivered?: boolean;
  buffered: RawLine[];
  /** Gone from the resource: closed once its stream has ended (its last lines delivered) or after LEAVING_MS. */
  leaving?: ReturnType<typeof setTimeout>;
}

/**
 * Follows every part of a merged log with followLog and writes their lines into one sink: first every
 * initial part's tail, merged by time, then live lines as they come. A part that appears later (a new
 * pod) is followed from the moment the merged follow began; a part that left is let go once its stream
 * ended with its cause said.
 */
export function followMerged(
  deps: { resolve(): MergedLogSource | undefined; watch(fn: () => void): () => void; now(): number },
  tail: number,
  sink: FollowSink,
): () => void {
  const running = new Map<string, Running>();
  const startedAt = new Date(deps.now()).toISOString();
  let closed = false;
  let initial = true;
  let isLabelled = true;
  let warned = false;

  const current = (): MergedLogSource | undefined => { try { return deps.resolve(); } catch { return undefined; } };
  const out = (l: RawLine, label: string) => sink.line(isLabelled ? labelled(l, label) : l);

  const flushInitial = () => {
    if (!initial || [...running.values()].some((r) => !r.tailDone)) return;
    initial = false;
    const all = mergeByTime([...running.values()].map((r) => r.buffered.splice(0)));
    const cut = all.filter((l) => l.stream !== 'system');
    const drop = tail > 0 ? Math.max(0, cut.length - tail) : cut.length;
    let dropped = 0;
    for (const l of all) {
      if (l.stream !== 'system' && dropped < drop) { dropped++; continue; }
      sink.line(l);
    }
  };

  const start = (p: LogPart, late: boolean) => {
    const r: Running = { close: () => {}, tailDone: late, buffered: [] };
    running.set(p.key, r);
    const done = () => { if (!r.tailDone) { r.tailDone = true; flushInitial(); } };
    const partSource = (): LogSource | undefined => {
      const src = current()?.parts().find((x) => x.key === p.key)?.source;
      if (!src) return undefined;
      // A part that came after the follow began is new to the reader: all of it since then, not a tail.
      return {
        describe: () => src.describe(),
        state: () => src.state(),
        explain: src.explain && ((err) => src.explain!(err)),
        open: async (from, onRecord, onEnd) => {
          if (from.follow) done();
          // (Also after a first wait: the part's own follow would resume from when it began, not from ours.)
          const f = late && !r.delivered ? { ...from, tail: undefined, since: startedAt } : from;
          try {
            return await src.open(f, onRecord, onEnd);
          } catch (e) {
            // One part that cannot be read now (a container still waiting) must not end the merged follow:
            // its tail is empty, and its follow waits, says why, and resumes with the others still flowing.
            if (from.follow) queueMicrotask(() => onEnd(e as Error)); else queueMicrotask(() => onEnd());
            return () => {};
          }
        },
      };
    };
    const partDeps: FollowDeps = { resolve: partSource, watch: deps.watch, now: deps.now };
    r.close = followLog(partDeps, late ? 0 : tail, {
      line: (l) => {
        if (l.stream !== 'system') r.delivered = true;
        const line = isLabelled ? labelled(l, p.label) : l;
        if (l.stream === 'system') done();
        if (initial) r.buffered.push(line); else sink.line(line);
        if (l.stream === 'system' && r.leaving) stop(p.key);
      },
      end: (e) => {
        if (e) out({ stream: 'system', text: `— ${e.message} —`, ts: new Date(deps.now()).toISOString() }, p.label);
        running.delete(p.key);
        if (r.leaving) clearTimeout(r.leaving);
        flushInitial();
      },
    });
  };

  const stop = (key: string) => {
    const r = running.get(key);
    if (!r) return;
    running.delete(key);
    if (r.leaving) clearTimeout(r.leaving);
    r.close();
    flushInitial();
  };

  const sync = (first: boolean) => {
    if (closed) return;
    const src = current();
    const { parts, note } = src ? capped(src, src.parts()) : { parts: [] };
    if (src) isLabelled = src.labelled;
    if (note && !warned) { warned = true; sink.line({ stream: 'system', text: note, ts: new Date(deps.now()).toISOString() }); }
    const keys = new Set(parts.map((p) => p.key));
    for (const p of parts) if (!running.has(p.key)) start(p, !first);
    for (const [key, r] of running) {
      if (keys.has(key)) { if (r.leaving) { clearTimeout(r.leaving); r.leaving = undefined; } continue; }
      if (!r.leaving) { r.leaving = setTimeout(() => stop(key), LEAVING_MS); r.leaving.unref?.(); }
    }
    if (first && !parts.length) {
      initial = false;
      sink.line({ stream: 'system', text: `— ${src ? `${src.describe()} has no pod now` : 'no log now'}; waiting for one —`, ts: new Date(deps.now()).toISOString() });
    }
  };

  const first = current();
  if (!first) { sink.end(new PilothouseError('not-found', 'this resource has no log')); return () => {}; }
  sync(true);
  const unwatch = deps.watch(() => sync(false));
  return () => {
    if (closed) return;
    closed = true;
    unwatch();
    for (const key of [...running.keys()]) stop(key);
  };
}
