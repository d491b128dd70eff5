import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EngineMessage } from '../../shared/contract/wire';
import { serveConnection, type Handlers } from '../engine/dispatch';
import { checkRequest, contentSecurityPolicy, newToken, tokenFrom } from './web-security';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon',
};
/** Sockets that stop answering pings (a sleeping laptop, a dead tab) are dropped instead of kept forever. */
const HEARTBEAT_MS = 20_000;
/** Past this much unsent data the page is not keeping up; close it and let it reconnect to a fresh snapshot. */
const MAX_BUFFERED = 64 * 1024 * 1024;

export interface WebHost { url: string; port: number; token: string; close(): Promise<void> }

/** The browser transport: HTTP for the built renderer plus one WebSocket carrying the contract. Loopback only. */
export async function startWebHost(opts: { handlers: Handlers; staticDir: string; port?: number; token?: string }): Promise<WebHost> {
  const token = opts.token ?? newToken();
  let port = 0;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  const server = createServer((req, res) => {
    const v = checkRequest(req, port, token);
    if (!v.ok) return deny(res, v.status, v.reason);
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'only GET');
    serveStatic(req, res, opts.staticDir, port, token);
  });

  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const v = checkRequest(req, port, token, { requireOrigin: true });
    if (!v.ok || new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
      socket.end(`HTTP/1.1 ${v.ok ? 404 : v.status} ${v.ok ? 'Not Found' : 'Forbidden'}\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, opts.handlers));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  const beat = setInterval(() => {
    for (const ws of wss.clients) {
      const w = ws as WebSocket & { alive?: boolean };
      if (w.alive === false) { w.terminate(); continue; }
      w.alive = false;
      w.ping();
    }
  }, HEARTBEAT_MS);
  beat.unref();

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      clearInterval(beat);
      wss.clients.forEach((c) => c.terminate());
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function attach(ws: WebSocket, handlers: Handlers): void {
  const w = ws as WebSocket & { alive?: boolean };
  w.alive = true;
  ws.on('pong', () => { w.alive = true; });
  const msgFns: Array<(m: unknown) => void> = [];
  const closeFns: Array<() => void> = [];
  ws.on('message', (data) => {
    let parsed: unknown;
    try { parsed = JSON.parse(data.toString()); } catch { parsed = data.toString(); }
    msgFns.forEach((f) => f(parsed));
  });
  ws.on('close', () => closeFns.forEach((f) => f()));
  ws.on('error', () => ws.terminate());
  serveConnection(handlers, {
    send: (m: EngineMessage) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED) { ws.close(1013, 'page too slow; reconnect'); return; }
      ws.send(JSON.stringify(m));
    },
    onMessage: (fn) => msgFns.push(fn),
    onClose: (fn) => closeFns.push(fn),
    close: () => ws.close(),
    backlog: () => ws.bufferedAmount,
  });
}

function deny(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`Pilothouse: ${reason}\n`);
}

function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, port: number, token: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  let rel = decodeURIComponent(url.pathname);
  if (rel === '/' || !path.extname(rel)) rel = '/index.html';   // the app routes itself
  const file = path.resolve(root, '.' + rel);
  if (!file.startsWith(path.resolve(root) + path.sep)) return deny(res, 403, 'path outside the console');
  if (!existsSync(file) || !statSync(file).isFile()) {
    if (rel === '/index.html') return deny(res, 503, `the page is not built (${file} is missing): run 'npm run build'`);
    return deny(res, 404, `${rel} not found`);
  }
  const headers: Record<string, string> = {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-security-policy': contentSecurityPolicy(port),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': rel === '/index.html' ? 'no-store' : 'max-age=3600',
  };
  // The page's assets and socket carry the token in a cookie, so only the first URL needs it.
  if (url.searchParams.has('token')) {
    headers['set-cookie'] = `pilothouse_token=${encodeURIComponent(tokenFrom(req) ?? token)}; HttpOnly; SameSite=Strict; Path=/`;
  }
  res.writeHead(200, headers);
  if (req.method === 'HEAD') { res.end(); return; }
  createReadStream(file).pipe(res);
}
