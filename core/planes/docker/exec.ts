import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { PilothouseError } from '../../../shared/contract/envelope';
import type { ModelObject } from '../../model/object';
import type { TerminalEnd, TerminalRequest, TerminalSession, TerminalSize } from '../../terminals/session';
import type { ContainerView } from './container';
import { primaryContainer } from './rules';

/**
 * Every exec starts as `sh -c 'echo $$; exec …'`: the first line it prints is its pid in the container,
 * which the session reads (and does not show) so that closing the tab can end it. Docker has no call to
 * end an exec and keeps it running when its client goes (moby#9098), so without this every closed tab
 * would leave a shell behind. The program is then exec'd in place: the operator's argument list as one
 * argv ("$@"), or bash where the image has it, else sh. Fixed text, never built from data.
 */
export function execCommand(command?: readonly string[]): string[] {
  if (command?.length) return ['/bin/sh', '-c', 'echo $$; exec "$@"', 'sh', ...command];
  return ['/bin/sh', '-c', 'echo $$; if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'];
}

/** Engines before API 1.42 ignore the exec's ConsoleSize; the size is set by a resize once it runs. */
const RESIZE_TRIES = 5;

/** What a terminal needs of the engine: whether it is reachable, the container now, and its client. */
export interface ExecEngine {
  id: string;
  readonly connected: boolean;
  get(containerId: string): ContainerView | undefined;
  dockerode(): Promise<Dockerode>;
}

/**
 * The terminal of the container a resource stands for now (a compose service's current container), or
 * undefined for a resource without one. Rejects, saying why, when the container is not running.
 */
export function containerTerminal(engine: ExecEngine, objects: readonly ModelObject[], req: TerminalRequest): Promise<TerminalSession> | undefined {
  const o = primaryContainer(objects);
  if (!o) return undefined;
  const c = engine.get(o.data.id) ?? o.data;   // the connection's copy is newer than the model's objects
  return (async () => {
    if (!engine.connected) throw new PilothouseError('unavailable', `no terminal in ${c.name}: Docker engine ${engine.id} unreachable`);
    if (c.state.status !== 'running') throw new PilothouseError('conflict', `no terminal in ${c.name}: the container is ${c.state.status === 'exited' ? `exited (code ${c.state.exitCode})` : c.state.status}, not running`);
    return dockerExec(await engine.dockerode(), { engineId: engine.id, containerId: c.id, containerName: c.name }, req);
  })();
}

export interface ExecTarget {
  /** `docker/<name>`, for the operator's messages. */
  engineId: string;
  containerId: string;
  containerName: string;
}

/**
 * `docker exec -it` through dockerode: an exec with a TTY and stdin, started hijacked (one raw duplex
 * stream: with a TTY the engine does not multiplex stdout and stderr), resized through the exec's
 * resize, and its exit code read from the exec once the stream ends. Works over whatever reaches the
 * engine (a socket, tcp, ssh://), since every call goes through the engine's own dockerode.
 */
export async function dockerExec(docker: Dockerode, t: ExecTarget, req: TerminalRequest): Promise<TerminalSession> {
  const where = `${t.containerName} on ${t.engineId}`;
  let exec: Dockerode.Exec;
  let stream: Duplex;
  try {
    exec = await docker.getContainer(t.containerId).exec({
      Cmd: execCommand(req.command),
      AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true,
      Env: ['TERM=xterm-256color'],
      ConsoleSize: [req.rows, req.cols],
    } as Dockerode.ExecCreateOptions);
    stream = await exec.start({ hijack: true, stdin: true, Tty: true });
  } catch (err) {
    throw new PilothouseError(statusOf(err) === 404 ? 'not-found' : statusOf(err) === 409 ? 'conflict' : 'unavailable',
      `no terminal in ${where}: ${messageOf(err)}`);
  }
  return execSession(exec, stream, t, req, (pid) => hangUp(docker, t.containerId, pid));
}

/**
 * Ends an exec's program: SIGHUP to the pid it reported. It is the session leader of its TTY, so the
 * kernel hangs up whatever runs in the foreground under it too. Best effort: the container may be gone.
 */
function hangUp(docker: Dockerode, containerId: string, pid: number): void {
  void docker.getContainer(containerId).exec({ Cmd: ['kill', '-HUP', String(pid)], AttachStdout: false, AttachStderr: false })
    .then((e) => e.start({ Detach: true }))
    .catch(() => undefined);
}

const PID_LINE = /^(\d+)\r?\n/;
const PID_LINE_MAX = 32;

/**
 * The pid line `execCommand` prints first ("123\r\n" through the TTY), read from the start of the
 * output: undefined while more bytes are needed; else the pid (when the line was one) and the output
 * after it, which is the operator's. A first line that is not a pid (a shell that failed) is all output.
 */
export function readPidLine(head: Buffer): { pid?: number; rest: Buffer } | undefined {
  const text = head.toString('latin1');
  const m = PID_LINE.exec(text);
  if (m) return { pid: Number(m[1]), rest: head.subarray(m[0].length) };
  if (head.length < PID_LINE_MAX && !text.includes('\n')) return undefined;
  return { rest: head };
}

/**
 * How long keys wait for the pid line. If it never comes (its bytes lost on the way, a program that
 * prints nothing first), what was held goes through as it is: a terminal that swallows every key for
 * ever is worse than one whose close cannot kill its process by pid.
 */
export const PID_WAIT_MS = 3_000;

/** Exported for its unit test; `dockerExec` is the way in. */
export function execSession(exec: Pick<Dockerode.Exec, 'resize' | 'inspect'>, stream: Duplex, t: ExecTarget, size: TerminalSize, kill: (pid: number) => void, pidWaitMs = PID_WAIT_MS): TerminalSession {
  const dataFns: Array<(b: Buffer) => void> = [];
  let pid: number | undefined;
  // Until the pid line is read, output is held (it is not the operator's) and so are keys (their echo
  // would land in front of it).
  let head: Buffer | undefined = Buffer.alloc(0);
  let heldKeys: string[] = [];
  let endFn: ((e: TerminalEnd) => void) | undefined;
  let end: TerminalEnd | undefined;
  let closedByUs = false;
  let last = size;

  const finish = (e: TerminalEnd) => {
    if (end) return;
    end = e;
    clearTimeout(pidWait);
    stream.removeAllListeners('data');
    endFn?.(e);
  };
  const resize = async (s: TerminalSize, tries: number): Promise<void> => {
    for (let i = 1; ; i++) {
      try { await exec.resize({ h: s.rows, w: s.cols }); return; } catch (err) {
        // Right after start the process may not exist yet (409); the CLI retries the same way.
        if (i >= tries || end || s !== last) return;
        await new Promise((r) => setTimeout(r, 10 * i));
      }
    }
  };
  void resize(size, RESIZE_TRIES);

  const emit = (b: Buffer) => { if (b.length) for (const fn of dataFns) fn(b); };
  const release = (read: { pid?: number; rest: Buffer }) => {
    clearTimeout(pidWait);
    pid = read.pid;
    head = undefined;
    for (const k of heldKeys) stream.write(k);
    heldKeys = [];
    emit(read.rest);
  };
  const pidWait = setTimeout(() => { if (head && !end) release({ rest: head }); }, pidWaitMs);
  pidWait.unref?.();
  stream.on('data', (b: Buffer) => {
    if (!head) { emit(b); return; }
    head = Buffer.concat([head, b]);
    const read = readPidLine(head);
    if (read) release(read);
  });
  stream.on('error', () => { /* 'close' follows */ });
  stream.on('close', () => {
    if (end) return;
    void exec.inspect().then((info) => {
      if (info.Running) finish({ lost: true, reason: `connection to Docker engine ${t.engineId} lost (the program in ${t.containerName} is still running)` });
      else finish({ exitCode: info.ExitCode ?? null, reason: `exited with code ${info.ExitCode ?? 'unknown'}` });
    }, (err: unknown) => finish({ lost: true, reason: statusOf(err) === 404 ? `${t.containerName} is gone from ${t.engineId}` : `connection to Docker engine ${t.engineId} lost: ${messageOf(err)}` }));
  });

  return {
    write(data) { if (end) return; if (head) heldKeys.push(data); else stream.write(data); },
    resize(s) { if (end) return; last = s; void resize(s, 1); },
    onData(fn) { dataFns.push(fn); },
    onEnd(fn) { endFn = fn; if (end) fn(end); },
    close() {
      if (end || closedByUs) return;
      closedByUs = true;
      stream.destroy();
      if (pid !== undefined) kill(pid);
      finish({ reason: 'closed' });
    },
    pause() { stream.pause(); },
    resume() { stream.resume(); },
  };
}

function statusOf(err: unknown): number | undefined { return (err as { statusCode?: number })?.statusCode; }
function messageOf(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}
