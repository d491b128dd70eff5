import { timingSafeEqual, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Pure checks for the web host, kept apart so they are unit-tested without a server.

export function newToken(): string { return randomBytes(24).toString('base64url'); }

export function allowedHosts(port: number): string[] { return [`127.0.0.1:${port}`, `localhost:${port}`]; }
export function allowedOrigins(port: number): string[] { return allowedHosts(port).map((h) => `http://${h}`); }

export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function tokenFrom(req: Pick<IncomingMessage, 'url' | 'headers'>): string | undefined {
  const url = new URL(req.url ?? '/', 'http://x');
  const q = url.searchParams.get('token');
  if (q) return q;
  const h = req.headers['x-pilothouse-token'];
  if (typeof h === 'string') return h;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  const cookie = req.headers.cookie ?? '';
  const m = /(?:^|;\s*)pilothouse_token=([^;]+)/.exec(cookie);
  return m ? decodeURIComponent(m[1]) : undefined;
}

export type Verdict = { ok: true } | { ok: false; status: number; reason: string };

/**
 * Every request and the socket upgrade pass here. The Host check defeats DNS rebinding, the Origin check
 * stops other pages in the operator's browser from driving the engine, the token stops other local users.
 */
export function checkRequest(req: Pick<IncomingMessage, 'url' | 'headers'>, port: number, token: string, opts: { requireOrigin?: boolean } = {}): Verdict {
  const host = req.headers.host;
  if (!host || !allowedHosts(port).includes(host)) return { ok: false, status: 403, reason: `Host '${host ?? ''}' is not this console (expected 127.0.0.1:${port})` };
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedOrigins(port).includes(origin)) return { ok: false, status: 403, reason: `Origin '${origin}' may not use this console` };
  if (opts.requireOrigin && origin === undefined && !req.headers['x-pilothouse-token']) return { ok: false, status: 403, reason: 'a browser connection must send its Origin' };
  if (!tokenMatches(token, tokenFrom(req))) return { ok: false, status: 401, reason: 'missing or wrong token: open the URL that `pilothouse serve` printed' };
  return { ok: true };
}

export function contentSecurityPolicy(port: number): string {
  const ws = allowedHosts(port).map((h) => `ws://${h}`).join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React sets style attributes for virtualized rows; no inline scripts are ever allowed.
    "style-src 'self' 'unsafe-inline'",
    `connect-src 'self' ${ws}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
