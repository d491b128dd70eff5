import type { ClientChannel } from 'ssh2';
import type { Entry } from '../../../logs/partials';
import type { LogSource } from '../../../logs/source';
import { runRemoteCommand } from '../command';
import type { SshConnection } from '../connection';
import { shellQuote } from '../quote';

/**
 * A job's output file on the head node as a log: plain lines handed to the follow engine as whole records
 * (stdout; the file has no timestamps). A line longer than MAX_RECORD_BYTES is handed over in pieces
 * marked partial, so a job that prints megabytes without a newline cannot fill memory. Every command is
 * an argument list.
 *
 * Position: a file carries no timestamps, so `since` cannot be honoured, and the follow engine opens the
 * follow without a position after reading the tail. The source therefore counts lines: a tail read first
 * counts the file's lines (`wc -l`) and prints the last N of those with `sed`, and the follow that comes
 * next on the same source continues at the line after (`tail -F -n +L+1`), so no line is shown twice and
 * none written in between is lost (output files only grow). A follow opened with nothing read before
 * (after a break the engine asks a new source) starts at the file's end.
 */

export const MAX_RECORD_BYTES = 64 * 1024;

/** The argument lists of the three reads: count, print lines a..b, follow from a line (or the end). */
export const countArgs = (path: string) => ['wc', '-l', '--', path];
export const linesArgs = (path: string, first: number, last: number) => ['sed', '-n', '-e', `${first},${last}p`, '-e', `${last}q`, '--', path];
export function followArgs(path: string, from: { tail?: number; afterLine?: number }): string[] {
  const n = from.tail !== undefined ? String(Math.max(0, Math.floor(from.tail))) : from.afterLine !== undefined ? `+${from.afterLine + 1}` : '0';
  return ['tail', '-F', '-n', n, '--', path];
}

/** `wc -l` output to the count. */
export function parseCount(text: string): number | undefined {
  const m = /^\s*(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Cuts a byte stream into line records: whole lines, and partial pieces of over-long ones. */
export class LineRecords {
  private pending: Buffer[] = [];
  private size = 0;

  constructor(private readonly onRecord: (e: Entry) => void, private readonly max = MAX_RECORD_BYTES) {}

  write(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      let piece = chunk.subarray(start, end);
      // Over-long: hand over pieces of `max` bytes, marked partial.
      while (this.size + piece.length > this.max) {
        const room = this.max - this.size;
        this.pending.push(piece.subarray(0, room));
        this.emit(true);
        piece = piece.subarray(room);
      }
      if (piece.length) {
        this.pending.push(piece);
        this.size += piece.length;
      }
      if (nl < 0) return;
      this.emit(false);
      start = nl + 1;
    }
  }

  /** The stream ended: a last line without a newline is still a line. */
  end(): void {
    if (this.size) this.emit(false);
  }

  private emit(partial: boolean): void {
    let text = Buffer.concat(this.pending);
    if (!partial && text.length && text[text.length - 1] === 0x0d) text = text.subarray(0, text.length - 1);
    this.pending = [];
    this.size = 0;
    this.onRecord({ stream: 'stdout', text, partial });
  }
}

export interface JobLogTarget {
  alias: string;
  jobId: string;
  /** The output file (StdOut as scontrol shows it, patterns filled in). */
  path: string;
}

export function jobLogSource(connection: SshConnection, target: JobLogTarget): LogSource {
  let lastStderr = '';
  /** Lines up to which the last tail read went: the next follow continues after them. */
  let readUpTo: number | undefined;

  const fail = (stderr: string, exit: number | undefined, what: string): Error => {
    if (/No such file/i.test(stderr)) return new Error(`job ${target.jobId}'s output file ${target.path} does not exist on ${target.alias} (yet)`);
    return new Error(stderr || (exit === undefined ? `${target.alias}: connection lost while reading ${target.path}` : `${what} exited with code ${exit}`));
  };

  return {
    describe: () => `output of SLURM job ${target.jobId} (${target.path}) on ${target.alias}`,
    state() {
      const s = connection.state;
      if (s.state === 'connected') return { ready: true };
      return { ready: false, why: s.state === 'lost' ? `${target.alias} connection lost (${s.why})` : `${target.alias} is ${s.state}` };
    },
    async open(from, onRecord, onEnd) {
      let args: string[];
      if (from.follow) {
        args = followArgs(target.path, { ...(from.tail !== undefined ? { tail: from.tail } : {}), ...(readUpTo !== undefined ? { afterLine: readUpTo } : {}) });
      } else {
        const c = await runRemoteCommand(connection, countArgs(target.path), { timeoutMs: 30_000 });
        const count = c.exitCode === 0 ? parseCount(c.stdout.toString('utf8')) : undefined;
        if (count === undefined) {
          lastStderr = c.stderr.toString('utf8').trim();
          throw fail(lastStderr, c.exitCode ?? undefined, 'wc');
        }
        readUpTo = count;
        const first = from.tail === undefined ? 1 : Math.max(1, count - Math.floor(from.tail) + 1);
        if (count === 0 || first > count) {
          queueMicrotask(() => onEnd());
          return () => {};
        }
        args = linesArgs(target.path, first, count);
      }
      const channel: ClientChannel = await connection.exec(shellQuote(args));
      const lines = new LineRecords(onRecord);
      const err: Buffer[] = [];
      let errBytes = 0;
      let exit: number | undefined;
      let ended = false;
      channel.on('data', (b: Buffer) => lines.write(b));
      channel.stderr.on('data', (b: Buffer) => {
        if (errBytes < 4096) { err.push(b); errBytes += b.length; }
      });
      channel.on('exit', (code: number | null) => { if (typeof code === 'number') exit = code; });
      channel.on('error', () => {});
      channel.on('close', (code?: number | null) => {
        if (typeof code === 'number') exit = code;
        if (ended) return;
        ended = true;
        lines.end();
        lastStderr = Buffer.concat(err).toString('utf8').trim();
        if (exit === 0 && !from.follow) onEnd();
        else onEnd(fail(lastStderr, exit, args[0]!));
      });
      channel.end();
      return () => {
        if (ended) return;
        ended = true;
        // tail -F on a quiet file notices the closed channel only when it next writes: ask sshd to end it.
        try { channel.signal('TERM'); } catch { /* not supported by every server */ }
        try { channel.close(); } catch { /* already closed */ }
      };
    },
    async explain(err) {
      if (connection.state.state !== 'connected') return `${target.alias} connection ${connection.state.state}`;
      return err?.message || lastStderr || `the output of job ${target.jobId} ended`;
    },
  };
}
