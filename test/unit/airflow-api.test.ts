import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirflowApi, AirflowHttpError } from '../../core/planes/airflow/api';

// A small stand-in for an Airflow 3 API server, for what the rig's real one cannot be made to do on
// demand: a token that expires between two calls, and a maximum_page_limit far below 100. The real
// servers (2.10 and 3.x) are exercised in test/integration/airflow-pools.test.ts.
const POOLS = Array.from({ length: 7 }, (_, i) => ({ name: `p${i}`, slots: i, occupied_slots: 0, running_slots: 0, queued_slots: 0, scheduled_slots: 0, open_slots: i, deferred_slots: 0 }));
const MAX_PAGE = 3;

describe('the Airflow 3 API client', () => {
  let server: http.Server;
  let base: string;
  const tokens = new Set<string>();
  let issued = 0;
  const seen: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      seen.push(`${req.method} ${u.pathname}${u.search} ${req.headers.authorization?.split(' ')[0] ?? '-'}`);
      const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (u.pathname === '/api/v2/version') return json(200, { version: '3.1.0' });
      if (u.pathname === '/auth/token' && req.method === 'POST') {
        let body = '';
        req.on('data', (c) => { body += c; });
        req.on('end', () => {
          const { username, password } = JSON.parse(body) as { username: string; password: string };
          if (username !== 'admin' || password !== 'pw') return json(401, { detail: 'Invalid credentials' });
          const t = `t${++issued}`;
          tokens.add(t);
          json(201, { access_token: t });
        });
        return;
      }
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) return json(401, { detail: 'Not authenticated' });
      if (u.pathname === '/api/v2/pools') {
        const limit = Math.min(Number(u.searchParams.get('limit') ?? 50), MAX_PAGE);
        const offset = Number(u.searchParams.get('offset') ?? 0);
        return json(200, { pools: POOLS.slice(offset, offset + limit), total_entries: POOLS.length });
      }
      json(404, { detail: 'Not Found' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('detects /api/v2, logs in for a token, and reads every page when the server cuts the page size', async () => {
    const api = new AirflowApi({ base, username: 'admin', password: () => 'pw' });
    expect(await api.detect()).toEqual({ api: 'v2', version: '3.1.0' });
    seen.length = 0;
    const pools = await api.pools();
    expect(pools.map((p) => p.name)).toEqual(POOLS.map((p) => p.name));
    expect(seen).toEqual(['GET /api/v2/pools?limit=100&offset=0 Bearer', 'GET /api/v2/pools?limit=100&offset=3 Bearer', 'GET /api/v2/pools?limit=100&offset=6 Bearer']);
  });

  it('gets a new token when the server refuses the old one, and retries the call once', async () => {
    const api = new AirflowApi({ base, username: 'admin', password: () => 'pw' });
    await api.detect();
    tokens.clear();   // every token expires
    seen.length = 0;
    expect((await api.pools()).length).toBe(7);
    expect(seen.slice(0, 3)).toEqual(['GET /api/v2/pools?limit=100&offset=0 Bearer', 'POST /auth/token -', 'GET /api/v2/pools?limit=100&offset=0 Bearer']);
  });

  it('a wrong password is refused at detection, naming the call and the user', async () => {
    const api = new AirflowApi({ base, username: 'admin', password: () => 'nope' });
    const err = await api.detect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirflowHttpError);
    expect((err as Error).message).toBe('POST /auth/token: 401 Unauthorized (user admin refused)');
  });

  it('the PATCH of slots carries the whole pool on /api/v2', async () => {
    const api = new AirflowApi({ base, username: 'admin', password: () => 'pw' });
    await api.detect();
    expect(api.slotsPatch({ name: 'file_copy_pool', description: 'copies', include_deferred: true }, 0)).toEqual({
      method: 'PATCH', path: '/api/v2/pools/file_copy_pool', body: { name: 'file_copy_pool', slots: 0, description: 'copies', include_deferred: true },
    });
  });
});
