import { PilothouseError } from '../../shared/contract/envelope';
import type { RawLine } from './lines';
import type { Entry } from './partials';
import { Reassembler } from './reassemble';
import { ResumePoint } from './resume';
import type { LogSource } from './source';

/** Records read at most to find the last lines of a log whose lines are very long. */
export const MAX_TAIL_RECORDS = 1_000_000;

/** Reads records once (no follow). */
export function readRecords(src: LogSource, tail: number | undefined): Promise<Entry[]> {
  const out: Entry[] = [];
  return new Promise<Entry[]>((resolve, reject) => {
    src.open({ follow: false, tail }, (e) => out.push(e), (err) => (err ? reject(err) : resolve(out))).catch(reject);
  });
}

export interface Tail {
  lines: RawLine[];
  /** The last record these lines came from: a follow opened `since` it continues without repeating. */
  point: ResumePoint;
}

/**
 * The last `n` lines of a log. A source's tail counts records, and a long line is many: the first record
 * read may be the middle of a line, so the first line of each stream is dropped unless the read began at
 * the log's start, and the read grows until it holds `n` whole lines. With `open` the log's last line,
 * still being written, is kept back for the follow to deliver whole; without, it is shown as it is.
 */
export async function readTail(src: LogSource, n: number, opts: { holdOpen?: boolean } = {}): Promise<Tail> {
  let want = n + 1;
  for (;;) {
    const recs = await readRecords(src, want).catch((e: Error) => {
      throw e instanceof PilothouseError ? e : new PilothouseError('unavailable', `cannot read the log of ${src.describe()}: ${e.message}`);
    });
    const fromStart = recs.length < want || want >= MAX_TAIL_RECORDS;
    const t = linesOf(recs, n, fromStart, !!opts.holdOpen);
    if (t.whole >= n || fromStart) return t;
    want = Math.min(want * 2, MAX_TAIL_RECORDS);
  }
}

function linesOf(recs: Entry[], n: number, fromStart: boolean, holdOpen: boolean): Tail & { whole: number } {
  // Records of a line still open at the end are left for the follow, and so is everything after them.
  let cut = recs.length;
  if (holdOpen) {
    const openSince: Partial<Record<Entry['stream'], number>> = {};
    recs.forEach((e, i) => { if (e.partial) openSince[e.stream] ??= i; else openSince[e.stream] = undefined; });
    cut = Math.min(recs.length, openSince.stdout ?? Infinity, openSince.stderr ?? Infinity);
  }
  const lines: RawLine[] = [];
  const ends: number[] = [];   // index in `lines` after each whole line
  const asm = new Reassembler((l) => { lines.push(l); if (!l.part?.more) ends.push(lines.length); });
  const point = new ResumePoint();
  const skipping = { stdout: !fromStart, stderr: !fromStart };
  for (let i = 0; i < cut; i++) {
    const e = recs[i];
    point.delivered(e.ts);
    if (skipping[e.stream]) { if (!e.partial) skipping[e.stream] = false; continue; }
    asm.push(e);
  }
  asm.end();
  const whole = ends.length;
  const from = whole > n ? ends[whole - n - 1] : 0;
  return { lines: lines.slice(from), point, whole };
}
