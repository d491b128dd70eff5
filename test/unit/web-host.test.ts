import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Handlers } from '../../core/engine/dispatch';
import { startWebHost, type WebHost } from '../../core/host/web-host';
import { checkRequest, contentSecurityPolicy } from '../../core/host/web-security';

const handlers = {
  requests: { 'engine:info': async () => ({ version: 'test', dataDir: '/d', endpoints: [] }) },
  streams: {},
} as unknown as Handlers;

function get(port: number, p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: p, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function ws(port: number, query: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const s = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, { headers });
    s.on('open', () => resolve(s));
    s.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
    s.on('error', () => resolve(-1));
  });
}

describe('web host security checks (pure)', () => {
  const req = (headers: Record<string, string>, url = '/') => ({ url, headers });
  it('requires the exact loopback Host (no DNS rebinding)', () => {
    expect(checkRequest(req({ host: 'evil.example:4000' }, '/?token=t'), 4000, 't')).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest(req({ host: '127.0.0.1:4000' }, '/?token=t'), 4000, 't')).toEqual({ ok: true });
    expect(checkRequest(req({ host: 'localhost:4000' }, '/?token=t'), 4000, 't')).toEqual({ ok: true });
  });
  it('refuses foreign Origins and wrong tokens', () => {
    expect(checkRequest(req({ host: '127.0.0.1:4000', origin: 'http://evil.example' }, '/?token=t'), 4000, 't')).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest(req({ host: '127.0.0.1:4000' }, '/?token=wrong'), 4000, 't')).toMatchObject({ ok: false, status: 401 });
    expect(checkRequest(req({ host: '127.0.0.1:4000', cookie: 'a=b; pilothouse_token=t' }), 4000, 't')).toEqual({ ok: true });
  });
  it('the CSP allows no inline or remote script and only this console as a socket', () => {
    const csp = contentSecurityPolicy(4000);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain('connect-src \'self\' ws://127.0.0.1:4000 ws://localhost:4000');
    expect(csp).toContain("frame-ancestors 'none'");
  });
});

describe('web host (a real server on loopback)', () => {
  let host: WebHost;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-static-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Pilothouse</title>');
    host = await startWebHost({ handlers, staticDir: dir });
  });
  afterAll(() => host.close());

  it('prints a loopback URL with a token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });

  it('serves the page with the token, sets the cookie, and sends the CSP', async () => {
    const r = await get(host.port, `/?token=${host.token}`, { host: `127.0.0.1:${host.port}` });
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>Pilothouse</title>');
    expect(String(r.headers['set-cookie'])).toContain('HttpOnly; SameSite=Strict');
    expect(r.headers['content-security-policy']).toBe(contentSecurityPolicy(host.port));
  });

  it('refuses requests without the token or from another Host', async () => {
    expect((await get(host.port, '/')).status).toBe(401);
    expect((await get(host.port, `/?token=${host.token}`, { host: 'attacker.example' })).status).toBe(403);
    expect((await get(host.port, `/../../etc/passwd?token=${host.token}`)).body).not.toContain('root:');
    expect((await get(host.port, `/..%2f..%2f..%2fetc%2fpasswd.txt?token=${host.token}`)).status).toBe(403);
  });

  it('the socket needs the token and a loopback Origin, then speaks the contract', async () => {
    const origin = `http://127.0.0.1:${host.port}`;
    expect(await ws(host.port, '', { origin })).toBe(401);
    expect(await ws(host.port, `?token=${host.token}`, { origin: 'http://evil.example' })).toBe(403);
    const s = (await ws(host.port, `?token=${host.token}`, { origin })) as WebSocket;
    const reply = await new Promise<unknown>((resolve) => {
      s.on('message', (d) => resolve(JSON.parse(d.toString())));
      s.send(JSON.stringify({ t: 'req', id: 7, ch: 'engine:info', input: {} }));
    });
    expect(reply).toEqual({ t: 'res', id: 7, reply: { ok: true, value: { version: 'test', dataDir: '/d', endpoints: [] } } });
    s.close();
  });
});
