import type { KubeTransport } from './client';

/** An answer of the API server that was not 2xx, from its Status body. */
export class KubeApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) { super(message); }
}

const BODY_LIMIT = 16 * 1024 * 1024;
const IDLE_MS = 30_000;

export interface ApiBody { contentType: string; json: unknown }

/** One request with a JSON answer; a non-2xx answer throws KubeApiError with the server's own message. */
export async function callApi<T = unknown>(t: KubeTransport, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: ApiBody): Promise<T> {
  if (!t.send) throw new Error('this context\'s transport cannot send requests');
  const res = await t.send(method, path, body && { contentType: body.contentType, text: JSON.stringify(body.json) }, { signal: new AbortController().signal, idleTimeoutMs: IDLE_MS });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > BODY_LIMIT) { res.destroy(); throw new Error(`${method} ${path}: answer larger than ${BODY_LIMIT} bytes`); }
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let json: unknown;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    const s = (json ?? {}) as { reason?: string; message?: string };
    throw new KubeApiError(status, s.reason ?? '', s.message ?? `HTTP ${status}${text && !json ? `: ${text.slice(0, 200)}` : ''}`);
  }
  return json as T;
}

/** `?dryRun=All` appended: the server runs admission and validation and keeps nothing. */
export const dryRunPath = (path: string) => `${path}${path.includes('?') ? '&' : '?'}dryRun=All`;

export const STRATEGIC = 'application/strategic-merge-patch+json';
export const MERGE = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
