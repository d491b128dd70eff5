import * as http from 'node:http';
import type { Readable } from 'node:stream';
import type { DockerCandidate } from './discover';

/** A failed Docker API call: `statusCode` when the engine answered, `code` (ENOENT, ECONNREFUSED ...) when it could not be reached. */
export class DockerApiError extends Error {
  constructor(message: string, readonly statusCode?: number, readonly code?: string) { super(message); this.name = 'DockerApiError'; }
}

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * The few Docker Engine API calls the plane makes. Over a unix socket or plain TCP this is node:http with
 * a keep-alive agent: dockerode costs over 100 ms to load (ssh2, gRPC for BuildKit), a tenth of what
 * `pilothouse status` may take in all. ssh:// and https:// engines go through dockerode, loaded only then.
 */
export interface DockerApi {
  /** A call answered with JSON (or nothing). Resolves for 2xx and 304; rejects with DockerApiError otherwise. */
  request<T = unknown>(method: 'GET' | 'POST', path: string, query?: Query): Promise<{ status: number; body: T }>;
  /** A streamed GET (events, logs): resolves with the body once the engine answered 200. */
  stream(path: string, query?: Query): Promise<Readable>;
  close(): void;
}

function qs(q?: Query): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) if (v !== undefined) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function apiError(status: number, text: string, path: string): DockerApiError {
  let message = text.trim();
  try { message = (JSON.parse(text) as { message?: string }).message ?? message; } catch { /* plain text */ }
  return new DockerApiError(`${message || `HTTP ${status}`} (${path})`, status);
}

/** node:http straight to the engine: unix sockets and tcp:// without TLS. */
export function httpApi(c: Pick<DockerCandidate, 'socketPath' | 'host' | 'port'>): DockerApi {
  // Keep-alive: the first list's inspects reuse a few connections instead of opening one each.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const base = c.socketPath ? { socketPath: c.socketPath } : { host: c.host, port: c.port };
  const send = (method: string, path: string, query: Query | undefined) => new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({ ...base, agent, method, path: path + qs(query), headers: { host: 'docker' } }, resolve);
    req.on('error', (e: NodeJS.ErrnoException) => reject(new DockerApiError(e.message, undefined, e.code)));
    req.end();
  });
  const readAll = (res: http.IncomingMessage) => new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (b: Buffer) => chunks.push(b));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
  return {
    async request<T>(method: 'GET' | 'POST', path: string, query?: Query) {
      const res = await send(method, path, query);
      const text = await readAll(res);
      const status = res.statusCode ?? 0;
      if (status >= 400) throw apiError(status, text, path);
      return { status, body: (text && /^\s*[[{]/.test(text) ? JSON.parse(text) : undefined) as T };
    },
    async stream(path, query) {
      const res = await send('GET', path, query);
      if (res.statusCode !== 200) throw apiError(res.statusCode ?? 0, await readAll(res), path);
      return res;
    },
    close() { agent.destroy(); },
  };
}

/** The same calls through dockerode's modem, for ssh:// and https:// engines. */
export async function dockerodeApi(c: DockerCandidate): Promise<DockerApi> {
  const { default: Docker } = await import('dockerode');
  const docker = new Docker(c.socketPath ? { socketPath: c.socketPath } : { host: c.host, port: c.port, protocol: c.protocol, username: c.username } as never);
  type DialErr = Error & { statusCode?: number; code?: string; json?: { message?: string } };
  const dial = <T>(method: string, path: string, query: Query | undefined, isStream: boolean) => new Promise<T>((resolve, reject) => {
    const opts = Object.fromEntries(Object.entries(query ?? {}).filter(([, v]) => v !== undefined));
    // The modem appends the query only to a path that ends in '?' (as dockerode's own paths do).
    docker.modem.dial({ path: `${path}?`, method, options: opts, isStream, statusCodes: { 200: true, 201: true, 204: true, 304: 'not modified', 400: 'bad parameter', 404: 'not found', 409: 'conflict', 500: 'server error' } } as never, (err: DialErr | null, data: unknown) => {
      if (!err) { resolve(data as T); return; }
      reject(new DockerApiError(err.json?.message ?? err.message, err.statusCode, err.code));
    });
  });
  return {
    async request<T>(method: 'GET' | 'POST', path: string, query?: Query) {
      try {
        return { status: 200, body: await dial<T>(method, path, query, false) };
      } catch (e) {
        if ((e as DockerApiError).statusCode === 304) return { status: 304, body: undefined as T };
        throw e;
      }
    },
    stream: (path, query) => dial<Readable>('GET', path, query, true),
    close() { /* the modem holds no pooled connections */ },
  };
}

/** The API for a candidate: node:http where it can, dockerode where it must (or when asked, for tests). */
export async function openApi(c: DockerCandidate, prefer: 'http' | 'dockerode' = 'http'): Promise<DockerApi> {
  const native = !!c.socketPath || c.protocol === 'http';
  return native && prefer === 'http' ? httpApi(c) : dockerodeApi(c);
}

/**
 * Splits Docker's multiplexed log stream (an 8-byte header per frame: stream type, then the length) into
 * stdout and stderr. A frame may arrive split across chunks, and one chunk may hold many frames.
 */
export function demux(onStdout: (b: Buffer) => void, onStderr: (b: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const payload = buf.subarray(8, 8 + size);
      if (buf[0] === 2) onStderr(payload); else onStdout(payload);
      buf = buf.subarray(8 + size);
    }
    pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  };
}
