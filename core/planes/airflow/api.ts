import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';

/**
 * The Airflow REST API, both generations: Airflow 2 serves `/api/v1` with basic auth; Airflow 3 serves
 * `/api/v2`, refuses basic auth, and wants a bearer token from `POST /auth/token` (JSON username and
 * password), which expires: a 401 gets one new token and one retry. Which one a server is, is asked
 * (`detect`) rather than configured: `GET /api/v2/version` first, then `/api/v1/version`.
 */

export type ApiGeneration = 'v1' | 'v2';

/** A pool as both generations list it. */
export interface ApiPool {
  name: string;
  slots: number;
  occupied_slots: number;
  running_slots: number;
  queued_slots: number;
  scheduled_slots: number;
  open_slots: number;
  deferred_slots: number;
  description?: string | null;
  include_deferred?: boolean;
}

export interface ApiTaskInstance {
  dag_id: string;
  dag_run_id?: string;
  run_id?: string;
  task_id: string;
  state: string | null;
  start_date?: string | null;
  map_index?: number;
}

/** A refusal or an unexpected status, with the call that got it: "GET /api/v1/pools: 401 Unauthorized". */
export class AirflowHttpError extends Error {
  constructor(readonly method: string, readonly path: string, readonly status: number, readonly detail: string) {
    super(`${method} ${path}: ${status} ${http.STATUS_CODES[status] ?? ''}${detail ? ` (${detail})` : ''}`.replace(/ +\(/, ' ('));
  }
}

/** The server was not reached at all (refused, timed out, no route): retried with backoff. */
export class AirflowUnreachable extends Error {}

export interface AirflowApiOptions {
  /** `http://127.0.0.1:58080` (no trailing slash; a path prefix is kept). */
  base: string;
  username: string;
  /** Read at each login, so a changed password file is used without a restart. */
  password: () => string;
  /** A connection made by someone else (an SSH channel): then `base` only names the Host and the path. */
  dial?: () => Promise<Duplex>;
  timeoutMs?: number;
}

/** Largest page asked for; the server cuts it to its `maximum_page_limit` (100 by default) by itself. */
const PAGE = 100;
/** A list stops here whatever the server claims: nothing unbounded. */
const MAX_ITEMS = 10_000;

export class AirflowApi {
  api?: ApiGeneration;
  version?: string;
  private token?: string;

  constructor(private readonly o: AirflowApiOptions) {}

  /** Which API the server speaks and its version; throws AirflowHttpError for a refused login. */
  async detect(): Promise<{ api: ApiGeneration; version: string }> {
    this.api = undefined;
    this.token = undefined;
    const v2 = await this.raw('GET', '/api/v2/version');
    if (v2.status === 200 || v2.status === 401 || v2.status === 403) {
      this.api = 'v2';
      const got = v2.status === 200 ? v2 : await this.authed('GET', '/api/v2/version');
      this.version = versionIn('/api/v2/version', got.text);
      // A public version endpoint says nothing of the login: prove it now, so a wrong password shows at once.
      if (!this.token) await this.login();
      return { api: 'v2', version: this.version };
    }
    const v1 = await this.raw('GET', '/api/v1/version', undefined, this.basic());
    if (v1.status === 200) {
      this.version = versionIn('/api/v1/version', v1.text);
      this.api = 'v1';
      return { api: 'v1', version: this.version };
    }
    if (v1.status === 401 || v1.status === 403) throw new AirflowHttpError('GET', '/api/v1/version', v1.status, `user ${this.o.username} refused by basic auth`);
    throw new AirflowHttpError('GET', '/api/v1/version', v1.status, `no Airflow REST API here (/api/v2/version answered ${v2.status})`);
  }

  /** `/api/v1` or `/api/v2`. */
  get prefix(): string {
    if (!this.api) throw new Error('the API is not detected yet');
    return `/api/${this.api}`;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.authed(method, `${this.prefix}${path}`, body);
    // A DELETE answers 204 with no body.
    return (r.text.trim() === '' ? undefined : parse(r.text)) as T;
  }

  /** Every item of a paged list: `limit`/`offset`, until `total_entries` or a short page. */
  async listAll<T>(path: string, key: string): Promise<T[]> {
    const out: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    for (;;) {
      const page = await this.call<Record<string, unknown>>('GET', `${path}${sep}limit=${PAGE}&offset=${out.length}`);
      const items = (page[key] as T[] | undefined) ?? [];
      out.push(...items);
      const total = typeof page.total_entries === 'number' ? page.total_entries : out.length;
      if (!items.length || out.length >= total || out.length >= MAX_ITEMS) return out;
    }
  }

  pools(): Promise<ApiPool[]> { return this.listAll<ApiPool>('/pools', 'pools'); }
  pool(name: string): Promise<ApiPool> { return this.call<ApiPool>('GET', `/pools/${encodeURIComponent(name)}`); }

  /** The PATCH that sets a pool's slots, as the preview shows it and the run sends it. */
  slotsPatch(pool: Pick<ApiPool, 'name' | 'description' | 'include_deferred'>, slots: number): { method: 'PATCH'; path: string; body: Record<string, unknown> } {
    const path = `${this.prefix}/pools/${encodeURIComponent(pool.name)}`;
    // Airflow 3: the whole body. An update_mask alone is refused by some 3.x releases and silently resets
    // include_deferred in others. Airflow 2: the mask, so a description edited meanwhile is left alone.
    if (this.api === 'v2') return { method: 'PATCH', path, body: { name: pool.name, slots, description: pool.description ?? null, include_deferred: pool.include_deferred ?? false } };
    return { method: 'PATCH', path: `${path}?update_mask=slots`, body: { slots } };
  }

  async setSlots(pool: ApiPool, slots: number): Promise<ApiPool> {
    const p = this.slotsPatch(pool, slots);
    const r = await this.authed(p.method, p.path, p.body);
    return parse(r.text) as ApiPool;
  }

  /** The task instances holding a pool's slots now (running, queued, and deferred where those count). */
  holders(pool: Pick<ApiPool, 'name' | 'include_deferred'>): Promise<ApiTaskInstance[]> {
    const states = ['running', 'queued', ...(pool.include_deferred ? ['deferred'] : [])];
    const q = [`pool=${encodeURIComponent(pool.name)}`, ...states.map((s) => `state=${s}`)].join('&');
    return this.listAll<ApiTaskInstance>(`/dags/~/dagRuns/~/taskInstances?${q}`, 'task_instances');
  }

  private basic(): Record<string, string> {
    return { authorization: `Basic ${Buffer.from(`${this.o.username}:${this.o.password()}`).toString('base64')}` };
  }

  private async login(): Promise<void> {
    const r = await this.raw('POST', '/auth/token', { username: this.o.username, password: this.o.password() });
    if (r.status !== 200 && r.status !== 201) throw new AirflowHttpError('POST', '/auth/token', r.status, r.status === 401 || r.status === 403 ? `user ${this.o.username} refused` : detailOf(r.text));
    const token = (parse(r.text) as { access_token?: string }).access_token;
    if (!token) throw new AirflowHttpError('POST', '/auth/token', r.status, 'the answer holds no access_token');
    this.token = token;
  }

  private async authed(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    if (this.api === 'v2') {
      if (!this.token) await this.login();
      let r = await this.raw(method, path, body, { authorization: `Bearer ${this.token}` });
      if (r.status === 401) {
        // The token expired (or the server restarted with a new secret): one new login, one retry.
        this.token = undefined;
        await this.login();
        r = await this.raw(method, path, body, { authorization: `Bearer ${this.token}` });
      }
      return check(method, path, r);
    }
    const r = await this.raw(method, path, body, this.basic());
    if (r.status === 401) throw new AirflowHttpError(method, path, 401, `user ${this.o.username} refused by basic auth`);
    return check(method, path, r);
  }

  private raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const url = new URL(this.o.base + path);
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const mod = url.protocol === 'https:' ? https : http;
    const timeoutMs = this.o.timeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      const start = (sock?: Duplex) => {
        const req = mod.request(url, {
          method,
          headers: { accept: 'application/json', ...headers, ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}) },
          timeout: timeoutMs,
          // No `agent` with it: `agent: false` makes a fresh Agent, which ignores createConnection and
          // dials the address itself, past the SSH channel (the via test caught it).
          ...(sock ? { createConnection: () => socketLike(sock) as never } : {}),
        }, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            // A pool list of 10,000 entries is ~3 MB; anything far beyond is not an Airflow answer.
            if (size > 32 * 1024 * 1024) { req.destroy(new Error('answer larger than 32 MB')); return; }
            chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => reject(new AirflowUnreachable(`${method} ${path}: ${e.message}`)));
        });
        req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
        req.on('error', (e: NodeJS.ErrnoException) => reject(new AirflowUnreachable(`${method} ${url.origin}${path}: ${e.code ? `${e.code} ` : ''}${e.message.replace(`${e.code} `, '')}`)));
        req.end(data);
      };
      if (!this.o.dial) { start(); return; }
      this.o.dial().then(start, (e: Error) => reject(new AirflowUnreachable(e.message)));
    });
  }
}

function check(method: string, path: string, r: { status: number; text: string }): { status: number; text: string } {
  if (r.status >= 200 && r.status < 300) return r;
  throw new AirflowHttpError(method, path, r.status, detailOf(r.text));
}

/** Airflow's problem+json `detail` (2.x) or FastAPI's `detail` (3.x), else the start of the text. */
export function detailOf(text: string): string {
  try {
    const j = JSON.parse(text) as { detail?: unknown; title?: unknown };
    const d = j.detail ?? j.title;
    if (typeof d === 'string') return d;
    if (d !== undefined && d !== null) return JSON.stringify(d).slice(0, 300);
  } catch { /* not JSON */ }
  return text.trim().slice(0, 200);
}

/** The version an Airflow gives; anything else answering there (a proxy's page, another server) is named. */
function versionIn(path: string, text: string): string {
  let v: unknown;
  try { v = (JSON.parse(text) as { version?: unknown }).version; } catch { /* not JSON */ }
  if (typeof v !== 'string') throw new AirflowHttpError('GET', path, 200, `not an Airflow API; it answered: ${text.replace(/\s+/g, ' ').trim().slice(0, 80)}`);
  return v;
}

function parse(text: string): unknown {
  try { return JSON.parse(text); } catch { throw new Error(`not JSON: ${text.slice(0, 120)}`); }
}

/** What http's ClientRequest calls on a socket, for an SSH channel (core/planes/ssh): no-ops there. */
function socketLike(s: Duplex): Duplex {
  const o = s as Duplex & Record<string, unknown>;
  for (const m of ['setKeepAlive', 'setNoDelay', 'ref', 'unref', 'setTimeout']) if (typeof o[m] !== 'function') o[m] = () => o;
  return s;
}
