import type { Resource } from '../../../shared/contract/domain';
import { PilothouseError } from '../../../shared/contract/envelope';
import type { ModelObject } from '../../model/object';
import type { TerminalEnd, TerminalRequest, TerminalSession, TerminalSize } from '../../terminals/session';
import { Channel, ChannelRefused, EXEC_PROTOCOLS, type ChannelSocket, closeStdinFrame, execStatus, frame, openChannelSocket, parseFrame, resizeFrame } from './channels';
import type { KubeTransport } from './client';
import { execContainer, podOf } from './pod-target';

/**
 * The shell when the operator names no program: bash where the image has it, else sh. Fixed text, never
 * built from data; the operator's own command goes as an argument list (one `command=` per argument).
 */
export function execArgv(command?: readonly string[]): string[] {
  if (command?.length) return [...command];
  return ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'];
}

/** The exec call's path: stdin and a TTY (whose output is one stream: stderr is merged, as kubectl -it asks). */
export function execPath(ns: string, pod: string, container: string, argv: readonly string[]): string {
  const q = new URLSearchParams();
  for (const a of argv) q.append('command', a);
  q.set('container', container);
  q.set('stdin', 'true');
  q.set('stdout', 'true');
  q.set('stderr', 'false');
  q.set('tty', 'true');
  return `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/exec?${q}`;
}

/**
 * Some runtimes (kwok's local exec among them) report a non-zero exit as an InternalError whose message
 * ends in Go's "exit status N" rather than as NonZeroExitCode: the code is read from there too.
 */
export function exitOf(statusText: string): { exitCode: number | null; message?: string } {
  const s = execStatus(statusText);
  if (s.exitCode !== null || !s.message) return s;
  const m = /exit status (\d+)\s*$/.exec(s.message);
  return m ? { exitCode: Number(m[1]) } : s;
}

/** What an exec needs of the plane: the context's transport and server, for the operator's messages. */
export interface ExecContext { endpoint: string; server: string; transport: KubeTransport }

/**
 * The terminal of a pod-bearing resource (a pod, or the pod a workload's terminal goes to), or
 * undefined for a resource that has no pods. Rejects, saying why, when no container runs.
 */
export function kubeTerminal(conn: ExecContext | undefined, resource: Resource, objects: readonly ModelObject[], req: TerminalRequest): Promise<TerminalSession> | undefined {
  if (!objects.some((o) => o.kind === 'Pod')) return undefined;
  return (async () => {
    if (!conn) throw new PilothouseError('unavailable', `no terminal in ${resource.name}: context ${resource.endpoint} is not connected`);
    const pod = podOf(objects);
    if (!pod) throw new PilothouseError('conflict', `no terminal in ${resource.name}: no pod of it has a running container`);
    const c = execContainer(pod, req.container);
    if ('error' in c) throw new PilothouseError('conflict', `no terminal: ${c.error}`);
    return kubeExec(conn, { ns: pod.meta.ns, pod: pod.meta.name, container: c.container }, req);
  })();
}

export interface ExecTarget { ns: string; pod: string; container: string }

/** `kubectl exec -it` over the API server's WebSocket (v5.channel.k8s.io, else v4). */
export async function kubeExec(conn: ExecContext, t: ExecTarget, req: TerminalRequest): Promise<TerminalSession> {
  const where = `${t.pod}/${t.container} on ${conn.endpoint}`;
  let ws: ChannelSocket;
  try {
    ws = await openChannelSocket(conn.transport, conn.server, execPath(t.ns, t.pod, t.container, execArgv(req.command)), EXEC_PROTOCOLS);
  } catch (e) {
    const status = e instanceof ChannelRefused ? e.status : undefined;
    throw new PilothouseError(status === 404 ? 'not-found' : status === 403 ? 'permission-denied' : status === 400 ? 'conflict' : 'unavailable',
      `no terminal in ${where}: ${(e as Error).message}`);
  }
  return execSession(ws, where, req);
}

function execSession(socket: ChannelSocket, where: string, size: TerminalSize): TerminalSession {
  const ws = socket.ws;
  const dataFns: Array<(b: Buffer) => void> = [];
  let endFn: ((e: TerminalEnd) => void) | undefined;
  let end: TerminalEnd | undefined;
  let status: { exitCode: number | null; message?: string } | undefined;
  let closedByUs = false;
  const v5 = ws.protocol === 'v5.channel.k8s.io';

  const finish = (e: TerminalEnd) => {
    if (end) return;
    end = e;
    endFn?.(e);
  };
  // Output that comes before the engine has subscribed (a short command's whole output) is held for it.
  let early: Buffer[] | undefined = [];
  const emit = (b: Buffer) => { if (early) early.push(b); else for (const fn of dataFns) fn(b); };
  const send = (b: Buffer) => { if (!end && ws.readyState === ws.OPEN) ws.send(b); };
  send(resizeFrame(size.cols, size.rows));

  // Registered before the close handler: held messages (a short command's output and status) come first.
  socket.onMessage((msg: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    const f = parseFrame(msg);
    if (!f) return;
    if (f.channel === Channel.stdout || f.channel === Channel.stderr) { if (f.data.length) emit(f.data); }
    else if (f.channel === Channel.status) status = exitOf(f.data.toString('utf8'));
  });
  ws.on('close', (code: number, reason: Buffer) => {
    if (closedByUs) return finish({ reason: 'closed' });
    if (status) {
      if (status.exitCode !== null) return finish({ exitCode: status.exitCode, reason: `exited with code ${status.exitCode}` });
      return finish({ exitCode: null, reason: `the exec in ${where} failed: ${status.message}` });
    }
    // A normal close with no status is the server ending the stream (v4 on some servers sends none).
    if (code === 1000) return finish({ exitCode: null, reason: 'ended' });
    finish({ lost: true, reason: `connection to ${where} lost${reason.length ? `: ${reason.toString()}` : code ? ` (WebSocket close ${code})` : ''}` });
  });

  return {
    write(data) { send(frame(Channel.stdin, data)); },
    resize(s) { send(resizeFrame(s.cols, s.rows)); },
    onData(fn) {
      dataFns.push(fn);
      const held = early ?? [];
      early = undefined;
      for (const b of held) fn(b);
    },
    onEnd(fn) { endFn = fn; if (end) fn(end); },
    close() {
      if (end || closedByUs) return;
      closedByUs = true;
      // End of input first: the shell on the TTY reads EOF and exits, so no program is left behind.
      if (v5) send(closeStdinFrame());
      ws.close(1000);
      finish({ reason: 'closed' });
    },
    pause() { ws.pause(); },
    resume() { ws.resume(); },
  };
}
