import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import { PilothouseError } from '../../../shared/contract/envelope';
import type { TerminalEnd, TerminalRequest, TerminalSession, TerminalSize } from '../../terminals/session';
import type { SshConnection, SshConnectionState } from './connection';
import { shellQuote } from './quote';

/** What xterm.js is; programs on the host pick their escape sequences by it. */
export const TERM = 'xterm-256color';

const pty = (size: TerminalSize): PseudoTtyOptions => ({ term: TERM, cols: size.cols, rows: size.rows, width: 0, height: 0 });

/**
 * An interactive session on a host over its shared SSH connection: the login shell on a pty of the
 * requested size, or, with `req.command`, that argument list on a pty (quoted by shellQuote, never
 * joined by hand). The connection dropping under it ends it as `lost`, with the connection's own
 * reason (a keepalive timeout, the host going away), so the page can offer to reconnect.
 */
export async function openShell(connection: SshConnection, req: TerminalRequest, readyTimeoutMs = 30_000): Promise<TerminalSession> {
  const alias = connection.alias;
  let channel: ClientChannel;
  try {
    const client = await connection.ready(readyTimeoutMs);
    channel = await new Promise<ClientChannel>((resolve, reject) => {
      const done = (err: Error | undefined, ch: ClientChannel) => (err ? reject(err) : resolve(ch));
      if (req.command?.length) client.exec(shellQuote(req.command), { pty: pty(req) }, done);
      else client.shell(pty(req), {}, done);
    });
  } catch (err) {
    throw new PilothouseError('unavailable', `no shell on ${alias}: ${(err as Error).message}`);
  }
  return shellSession(channel, connection);
}

/** Why a connection that is no longer up is gone, in the operator's words; undefined while it is up. */
export function lostReason(alias: string, s: SshConnectionState): string | undefined {
  switch (s.state) {
    case 'connected': case 'connecting': case 'idle': return undefined;
    case 'lost': return `connection to ${alias} lost: ${s.why}`;
    case 'suspended': return `connection to ${alias} closed: the computer went to sleep`;
    case 'closed': return `connection to ${alias} closed`;
    default: return `connection to ${alias} ${s.state}: ${s.message}`;
  }
}

function shellSession(channel: ClientChannel, connection: Pick<SshConnection, 'alias' | 'state' | 'subscribe'>): TerminalSession {
  const dataFns: Array<(b: Buffer) => void> = [];
  let endFn: ((e: TerminalEnd) => void) | undefined;
  let end: TerminalEnd | undefined;
  let exit: { code: number | null; signal?: string } | undefined;
  let closedByUs = false;

  const finish = (e: TerminalEnd) => {
    if (end) return;
    end = e;
    off();
    channel.removeAllListeners('data');
    channel.stderr.removeAllListeners('data');
    endFn?.(e);
  };
  // Any state but connected means the client under this channel is gone (a reconnect is a new client).
  const off = connection.subscribe((s) => {
    const why = lostReason(connection.alias, s);
    if (why && !closedByUs) finish({ lost: true, reason: why });
  });

  const emit = (b: Buffer) => { for (const fn of dataFns) fn(b); };
  channel.on('data', emit);
  // With a pty the program's stderr arrives on the same stream; an exec without one may still use it.
  channel.stderr.on('data', emit);
  channel.on('exit', (code: number | null, signal?: string) => { exit = { code: code ?? null, signal: signal ?? undefined }; });
  channel.on('error', () => { /* 'close' follows and says how it ended */ });
  channel.on('close', () => {
    if (exit) {
      finish(exit.signal
        ? { exitCode: null, signal: exit.signal, reason: `killed by signal ${exit.signal}` }
        : { exitCode: exit.code, reason: `exited with code ${exit.code}` });
      return;
    }
    // No exit status: the connection went away under the shell, and its own state (which says why)
    // may be set a moment after the channel heard it.
    setImmediate(() => finish({ lost: true, reason: lostReason(connection.alias, connection.state) ?? `connection to ${connection.alias} lost: the shell closed without an exit status` }));
  });

  return {
    write(data) { if (!end) channel.write(data); },
    resize(size) { if (!end) channel.setWindow(size.rows, size.cols, 0, 0); },
    onData(fn) { dataFns.push(fn); },
    onEnd(fn) { endFn = fn; if (end) fn(end); },
    close() {
      if (end || closedByUs) return;
      closedByUs = true;
      channel.close();
      // Ended now: the SIGHUP the shell then dies of is our doing, not news for the operator.
      finish({ reason: 'closed' });
    },
    pause() { channel.pause(); },
    resume() { channel.resume(); },
  };
}
