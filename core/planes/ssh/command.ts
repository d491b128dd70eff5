import type { ClientChannel } from 'ssh2';
import { shellQuote } from './quote';

/**
 * A remote command from an argument list. The list becomes one command line through shellQuote and
 * nothing else, so every argument reaches the remote program as one literal word. Output is handed on as
 * it arrives; the exit code (or signal) and the duration are kept; a timeout ends the command.
 */

export interface RemoteCommandHost {
  exec(command: string): Promise<ClientChannel>;
}

export interface RemoteCommandOptions {
  /** Each chunk as it arrives, in order per stream. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Ends the command (signal KILL, then the channel closed) and resolves with timedOut. */
  timeoutMs?: number;
  /** After a timeout or abort, how long to wait for the server to close the channel (default 1 s). */
  graceMs?: number;
  /** Keep at most this many bytes of each stream in the result (default 1 MiB; 0 keeps none). */
  keepBytes?: number;
  /** Written to the command's stdin, which is then closed. */
  stdin?: string | Buffer;
  signal?: AbortSignal;
  now?: () => number;
}

export interface RemoteCommandResult {
  command: string;
  /** null when the command did not exit by itself (timed out, killed by a signal, connection lost). */
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  aborted: boolean;
  /** The channel closed without an exit status: the connection went away under the command. */
  lost: boolean;
  durationMs: number;
  stdout: Buffer;
  stderr: Buffer;
  /**
   * Timed out or aborted and the server did not close the channel within the grace period (sshd closes
   * it only once the program exits, and honours the KILL signal request only in some setups): the remote
   * program may still be running.
   */
  mayStillRun: boolean;
  /** Bytes dropped beyond keepBytes, per stream. */
  truncated: { stdout: number; stderr: number };
}

const DEFAULT_KEEP = 1024 * 1024;

export async function runRemoteCommand(host: RemoteCommandHost, args: readonly string[], opts: RemoteCommandOptions = {}): Promise<RemoteCommandResult> {
  if (args.length === 0) throw new Error('a remote command needs at least the program to run');
  const command = shellQuote(args);
  const now = opts.now ?? Date.now;
  const started = now();
  const keep = opts.keepBytes ?? DEFAULT_KEEP;
  if (opts.signal?.aborted) throw new Error('aborted before it started');
  const channel = await host.exec(command);

  return new Promise((resolve) => {
    const kept = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const size = { stdout: 0, stderr: 0 };
    const truncated = { stdout: 0, stderr: 0 };
    let exitCode: number | null = null;
    let signal: string | undefined;
    let sawExit = false;
    let timedOut = false;
    let aborted = false;

    const take = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      opts.onOutput?.(stream, chunk);
      const room = Math.max(0, keep - size[stream]);
      if (room > 0) {
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        kept[stream].push(part);
        size[stream] += part.length;
      }
      truncated[stream] += Math.max(0, chunk.length - room);
    };
    channel.on('data', take('stdout'));
    channel.stderr.on('data', take('stderr'));
    channel.on('exit', (code: number | null, sig?: string) => {
      sawExit = true;
      if (typeof code === 'number') exitCode = code;
      if (sig) signal = sig;
    });
    // A channel can fail (connection reset); its close follows and settles the result.
    channel.on('error', () => {});

    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      graceTimer ??= setTimeout(() => finish(true), opts.graceMs ?? 1_000);
      try {
        channel.signal('KILL');
      } catch {
        // the server may not support signals; closing the channel is what matters
      }
      try {
        channel.close();
      } catch {
        // already closed
      }
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, opts.timeoutMs)
      : undefined;
    const onAbort = () => {
      aborted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    let done = false;
    const finish = (mayStillRun: boolean) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({
        command,
        exitCode: timedOut || aborted ? null : exitCode,
        ...(signal ? { signal } : {}),
        timedOut,
        aborted,
        lost: !sawExit && !timedOut && !aborted,
        durationMs: now() - started,
        stdout: Buffer.concat(kept.stdout),
        stderr: Buffer.concat(kept.stderr),
        mayStillRun,
        truncated,
      });
    };
    // ssh2 also hands the exit status to 'close': the 'exit' event can fire before these listeners exist
    // (a fast command's reply, exit status and close can arrive in the packet that answers exec).
    channel.on('close', (code?: number | null, sig?: string) => {
      if (typeof code === 'number') {
        sawExit = true;
        exitCode = code;
      } else if (typeof sig === 'string') {
        sawExit = true;
        signal = sig;
      }
      finish(false);
    });

    if (opts.stdin !== undefined) channel.end(opts.stdin);
    else channel.end();
  });
}
