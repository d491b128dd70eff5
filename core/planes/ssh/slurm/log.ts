import type { ClientChannel } from 'ssh2';
import type { Entry } from '../../../logs/partials';
import type { LogSource } from '../../../logs/source';
import type { SshConnection } from '../connection';
import { shellQuote } from '../quote';

/**
 * A job's output file on the head node as a log: `tail` run there from an argument list, its plain lines
 * handed to the follow engine as whole records (stdout; the file has no timestamps). A line longer than
 * MAX_RECORD_BYTES is handed over in pieces marked partial, so a job that prints megabytes without a
 * newline cannot fill memory.
 *
 * Position: a file carries no timestamps, so `since` cannot be honoured; a follow opened without `tail`
 * (which the follow engine does after reading the tail, and after a break) starts at the file's end, so
 * the lines already shown are not shown twice. Lines written during a break are not replayed.
 */

export const MAX_RECORD_BYTES = 64 * 1024;

/** The argument list for reading `path` from a position. */
export function tailArgs(path: string, from: { tail?: number; since?: string; follow: boolean }): string[] {
  const n = from.tail !== undefined ? String(Math.max(0, Math.floor(from.tail))) : from.follow ? '0' : '+1';
  return ['tail', ...(from.follow ? ['-F'] : []), '-n', n, '--', path];
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
  return {
    describe: () => `output of SLURM job ${target.jobId} (${target.path}) on ${target.alias}`,
    state() {
      const s = connection.state;
      if (s.state === 'connected') return { ready: true };
      return { ready: false, why: s.state === 'lost' ? `${target.alias} connection lost (${s.why})` : `${target.alias} is ${s.state}` };
    },
    async open(from, onRecord, onEnd) {
      const channel: ClientChannel = await connection.exec(shellQuote(tailArgs(target.path, from)));
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
        else onEnd(new Error(lastStderr || (exit === undefined ? `${target.alias}: connection lost while reading ${target.path}` : `tail exited with code ${exit}`)));
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
