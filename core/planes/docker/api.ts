import type { Readable } from 'node:stream';
import type { DockerOptions } from 'dockerode';
import type Dockerode from 'dockerode';
import type { DockerCandidate } from './discover';

/** A failed Docker API call: `statusCode` when the engine answered, `code` (ENOENT, ECONNREFUSED ...) when it could not be reached. */
export class DockerApiError extends Error {
  constructor(message: string, readonly statusCode?: number, readonly code?: string) { super(message); this.name = 'DockerApiError'; }
}

export type Query = Record<string, string | number | boolean | undefined>;

/** `timeoutMs`: the request is abandoned (code ETIMEDOUT) when the engine has not answered by then. */
export interface RequestOptions { timeoutMs?: number }

/**
 * Whether a failed call may still have been carried out: the connection was cut or timed out after the
 * request went out (a daemon frozen mid-restart), as opposed to an engine that was never reached or
 * answered with a status. A change asked for that way needs checking, not reporting as failed.
 */
export function mayHaveHappened(e: unknown): boolean {
  const err = e as DockerApiError;
  if (!(err instanceof DockerApiError) || err.statusCode !== undefined) return false;
  return !['ECONNREFUSED', 'ENOENT', 'EACCES', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(err.code ?? '');
}

/**
 * The few Docker Engine API calls the plane makes, all through dockerode's modem (unix sockets, tcp,
 * https and ssh:// engines alike). The built CLI and engine bundle dockerode with BuildKit's gRPC stubbed
 * out and ssh2 loaded on first use (scripts/build.mjs), which takes its load from ~100 ms to ~15 ms.
 */
export interface DockerApi {
  /** A call answered with JSON (or nothing). Resolves for 2xx and 304; rejects with DockerApiError otherwise. */
  request<T = unknown>(method: 'GET' | 'POST', path: string, query?: Query, opts?: RequestOptions): Promise<{ status: number; body: T }>;
  /** A streamed GET (events, logs): resolves with the body once the engine answered 200. */
  stream(path: string, query?: Query): Promise<Readable>;
  /** The engine's own dockerode, for what a plain call cannot carry (an exec's hijacked stream: exec.ts). */
  readonly docker: Dockerode;
  close(): void;
}

/**
 * `agent`: an engine reached through a transport of ours (an SSH host's shared connection,
 * ssh-transport.ts) instead of a socket or a URL the modem dials itself.
 */
export async function openApi(c: DockerCandidate, agent?: import('node:http').Agent): Promise<DockerApi> {
  const { default: Docker } = await import('dockerode');
  // No keep-alive agent: measured on a local socket, 33 inspects took 26 ms with a connection each and
  // 113 ms through a keep-alive pool.
  const docker = new Docker(agent ? { protocol: 'http', host: 'docker', port: 80, agent } as DockerOptions
    : c.socketPath ? { socketPath: c.socketPath } : { host: c.host, port: c.port, protocol: c.protocol, username: c.username } as DockerOptions);
  type DialErr = Error & { statusCode?: number; code?: string; json?: { message?: string } | string };
  const dial = <T>(method: string, path: string, query: Query | undefined, isStream: boolean, timeoutMs?: number) => new Promise<T>((resolve, reject) => {
    const opts = Object.fromEntries(Object.entries(query ?? {}).filter(([, v]) => v !== undefined));
    const abortSignal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    // The modem appends the query only to a path that ends in '?' (as dockerode's own paths do).
    docker.modem.dial({ path: `${path}?`, method, options: opts, isStream, abortSignal, statusCodes: { 200: true, 201: true, 204: true, 304: 'not modified', 400: 'bad parameter', 404: 'not found', 409: 'conflict', 500: 'server error' } } as never, (err: DialErr | null, data: unknown) => {
      if (!err) { resolve(data as T); return; }
      if (abortSignal?.aborted) { reject(new DockerApiError(`no answer to ${method} ${path} within ${Math.round(timeoutMs! / 100) / 10} s`, undefined, 'ETIMEDOUT')); return; }
      const message = typeof err.json === 'object' && err.json?.message ? err.json.message : err.message;
      reject(new DockerApiError(`${message}${err.statusCode ? ` (${path})` : ''}`, err.statusCode, err.code));
    });
  });
  return {
    async request<T>(method: 'GET' | 'POST', path: string, query?: Query, ro?: RequestOptions) {
      try {
        return { status: 200, body: await dial<T>(method, path, query, false, ro?.timeoutMs) };
      } catch (e) {
        if ((e as DockerApiError).statusCode === 304) return { status: 304, body: undefined as T };
        throw e;
      }
    },
    stream: (path, query) => dial<Readable>('GET', path, query, true),
    docker,
    close() { /* the modem holds no pooled connections */ },
  };
}
