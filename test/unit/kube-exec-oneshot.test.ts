import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { kubeExec, type ExecContext } from '../../core/planes/kube/exec';
import type { TerminalEnd } from '../../core/terminals/session';

// A program that exits at once: its output, its status and the close come back to back, possibly in one
// TCP read, before the engine has subscribed to the session. Fifty runs against a loopback server that
// sends exactly that: every run must deliver every byte and the exit code. (On the rig, kwok 0.7's local
// TTY exec sometimes sends no output frame at all for such a program: it closes the pty when the program
// exits, before its copy loop has read the last output. That is the server's loss; this test pins that
// the client's side, frames before the status before the close, loses nothing.)

let wss: WebSocketServer;
let port = 0;

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (ps) => (ps.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  port = (wss.address() as { port: number }).port;
  wss.on('connection', (ws: WebSocket, req) => {
    const n = new URL(req.url!, 'http://x').searchParams.getAll('command').at(-1)!;
    // As the API server does it: the stream-open frame, the output in two pieces, the status, the close.
    ws.send(Buffer.from([1]));
    ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`run ${n} `)]));
    ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('done\r\n')]));
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }))]));
    ws.close(1000);
  });
});
afterAll(() => wss?.close());

const conn = (): ExecContext => ({
  endpoint: 'kube/loopback',
  server: `http://127.0.0.1:${port}`,
  transport: {
    get: () => { throw new Error('no lists here'); },
    requestOptions: async (p: string) => ({ url: new URL(`http://127.0.0.1:${port}${p}`), req: { headers: {} } }),
  } as unknown as ExecContext['transport'],
});

describe('exec of a command that exits at once', () => {
  it('50 runs: each gives its whole output and exit code 0, however late the session is listened to', async () => {
    for (let i = 0; i < 50; i++) {
      const s = await kubeExec(conn(), { ns: 'shop', pod: 'web-1', container: 'web' }, { cols: 80, rows: 24, command: ['echo', String(i)] });
      // The engine subscribes after more awaits of its own: by then the socket has closed.
      await new Promise((r) => setTimeout(r, i % 3));
      let text = '';
      const end = await new Promise<TerminalEnd>((resolve) => { s.onData((b) => { text += b.toString(); }); s.onEnd(resolve); });
      expect(text, `run ${i}`).toBe(`run ${i} done\r\n`);
      expect(end).toMatchObject({ exitCode: 0, reason: 'exited with code 0' });
    }
  });
});
