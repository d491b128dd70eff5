import { PilothouseError } from '../../../shared/contract/envelope';

// A small typed client for Prometheus's HTTP API (v1) and Alertmanager's (v2). Every failure is a
// PilothouseError whose message names the URL asked and, when the server said why, its own words
// ("bad_data: 1:5: parse error: unexpected <op:*>"), so a chart or a status line can show it as is.

/** One point of a series: [unix seconds, value]. NaN and ±Inf arrive as such ("NaN" in the JSON). */
export type Point = [t: number, v: number];
export interface Series { labels: Record<string, string>; points: Point[] }

/** An alert as Prometheus evaluates it (`/api/v1/alerts`). */
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'firing' | 'pending' | 'inactive';
  /** RFC 3339: when the expression first became true (pending from then, firing after `for`). */
  activeAt?: string;
  value: string;
}

export interface PromRule {
  name: string;
  type: 'alerting' | 'recording';
  query: string;
  /** Seconds an alerting rule must hold before it fires. */
  duration?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  state?: 'firing' | 'pending' | 'inactive';
  health?: string;
  lastError?: string;
  alerts?: PromAlert[];
}
export interface PromRuleGroup { name: string; file: string; interval: number; rules: PromRule[] }

/** An alert as Alertmanager holds it (`/api/v2/alerts`). */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt?: string;
  fingerprint: string;
  generatorURL?: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
  receivers?: { name: string }[];
}

export interface AmSilence {
  id: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

/** What POST /api/v2/silences takes. */
export interface NewSilence {
  matchers: { name: string; value: string; isRegex: false; isEqual: true }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export interface ClientOptions {
  /** Per request; Prometheus's own `timeout` parameter is set a little below it for queries. */
  timeoutMs?: number;
  /** Extra headers (a bearer token, basic auth) for servers behind a proxy. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** The largest answer read, in bytes; a larger one is cut off with an error naming its size. */
  maxBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** A range query of thousands of series at fine steps stays well below this; more is a wrong query or URL. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const SHOWN_VALUE_MAX = 120;

/**
 * A URL as an error shows it: the path and the decoded parameters, each value shortened, so that a
 * PromQL expression reads as typed ("rate(x[5m])", not "rate%28x%5B5m%5D%29") and a long one does not
 * fill the status line.
 */
export function shownUrl(url: string): string {
  let u: URL;
  try { u = new URL(url); } catch { return url.length > SHOWN_VALUE_MAX ? `${url.slice(0, SHOWN_VALUE_MAX)}…` : url; }
  const params = [...u.searchParams].map(([k, v]) => `${k}=${v.length > SHOWN_VALUE_MAX ? `${v.slice(0, SHOWN_VALUE_MAX)}…` : v}`);
  return `${u.origin}${u.pathname}${params.length ? `?${params.join('&')}` : ''}`;
}

/** The body as text, read as it streams and abandoned past `max` bytes (an answer without end is not held). */
async function boundedText(res: Response, max: number, url: string, what: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const tooBig = (n: string) => new PilothouseError('unavailable', `${what} at ${shownUrl(url)} answered more than ${mb(max)} (${n}): not read; narrow the query (a shorter range, a larger step, fewer series)`);
  if (declared > max) { await res.body?.cancel().catch(() => undefined); throw tooBig(`${mb(declared)} declared`); }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let n = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) { await reader.cancel().catch(() => undefined); throw tooBig(`${mb(n)} read so far`); }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

const mb = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

/** `base` + `path` with the query parameters; a base with a path prefix (`/prometheus`) keeps it. */
export function apiUrl(base: string, path: string, params?: Record<string, string | undefined>): string {
  const u = new URL(base.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

/**
 * GET a JSON API and return its parsed body, or throw with the URL and the reason: unreachable
 * (with the system's code: ECONNREFUSED), timed out, an HTTP status with the server's error text,
 * or "not JSON" (a URL that is not Prometheus, e.g. a web page answering 200).
 */
export async function getJson(fullUrl: string, what: string, opts: ClientOptions = {}, send?: { method: 'POST' | 'DELETE'; body?: unknown }): Promise<unknown> {
  const f = opts.fetch ?? fetch;
  const url = shownUrl(fullUrl);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let res: Response;
  try {
    const headers = { accept: 'application/json', ...(send?.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
    res = await f(fullUrl, { method: send?.method ?? 'GET', headers, body: send?.body === undefined ? undefined : JSON.stringify(send.body), signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      throw new PilothouseError('unavailable', `${what} at ${url} did not answer within ${Math.round(timeoutMs / 100) / 10} s`);
    }
    const cause = err.cause?.code ?? err.cause?.message ?? err.message;
    throw new PilothouseError('unavailable', `${what} at ${url} cannot be reached: ${cause}`);
  }
  let text: string;
  try { text = await boundedText(res, opts.maxBytes ?? MAX_BODY_BYTES, fullUrl, what); } catch (e) {
    if (e instanceof PilothouseError) throw e;
    throw new PilothouseError('unavailable', `${what} at ${url}: the answer broke off: ${(e as Error).message}`);
  }
  let body: unknown;
  try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
  const apiError = errorText(body);
  if (!res.ok) {
    const code = res.status === 401 || res.status === 403 ? 'permission-denied' : 'unavailable';
    if (apiError) throw new PilothouseError(code, `${what} at ${url} answered HTTP ${res.status}: ${apiError}`);
    // No API error body: whatever answers there is not the API (a web page, another service's 404).
    const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 120) || res.statusText;
    throw new PilothouseError(code, `${url} answered HTTP ${res.status}, not as ${what} does (is the URL right?): ${snippet}`);
  }
  if (body === undefined && send?.method === 'DELETE') return undefined;   // Alertmanager's DELETE answers 200 with no body
  if (body === undefined) {
    const ct = res.headers.get('content-type') ?? 'no content type';
    throw new PilothouseError('unavailable', `${url} is not ${what}: it answered ${ct}, not JSON (${JSON.stringify(text.trim().slice(0, 80))})`);
  }
  if (apiError) throw new PilothouseError('invalid-input', `${what} at ${url}: ${apiError}`);
  return body;
}

/** Prometheus's `{status:"error", errorType, error}`, Alertmanager's `{message}` or plain string. */
function errorText(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return typeof body === 'string' && body ? body : undefined;
  const b = body as { status?: string; errorType?: string; error?: string; message?: string };
  if (b.status === 'error') return [b.errorType, b.error].filter(Boolean).join(': ') || 'error';
  if (typeof b.message === 'string' && !('data' in b)) return b.message;
  return undefined;
}

function promData<T>(body: unknown, url: string): T {
  const b = body as { status?: string; data?: T };
  if (b?.status !== 'success' || b.data === undefined) {
    throw new PilothouseError('unavailable', `${shownUrl(url)} is not Prometheus: its answer has no "status":"success" and "data"`);
  }
  return b.data;
}

const num = (v: string): number => Number(v); // Number("NaN") / ("+Inf") are what Prometheus means

type Matrix = { resultType: 'matrix'; result: { metric: Record<string, string>; values: [number, string][] }[] };
type Vector = { resultType: 'vector'; result: { metric: Record<string, string>; value: [number, string] }[] };
type Scalar = { resultType: 'scalar' | 'string'; result: [number, string] };

/** Prometheus's HTTP API at `baseUrl` (e.g. http://127.0.0.1:9090, or a path prefix behind a proxy). */
export class PrometheusClient {
  constructor(readonly baseUrl: string, private readonly opts: ClientOptions = {}) {}

  private async data<T>(path: string, params?: Record<string, string | undefined>, timeoutMs?: number): Promise<T> {
    const url = apiUrl(this.baseUrl, path, params);
    return promData<T>(await getJson(url, 'Prometheus', { ...this.opts, timeoutMs: timeoutMs ?? this.opts.timeoutMs }), url);
  }

  private queryTimeout(): { ms: number; param: string } {
    const ms = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Ask Prometheus to give up a little before we do, so its own "query timed out" reaches the operator.
    return { ms, param: `${Math.max(1, Math.floor((ms * 0.9) / 1000))}s` };
  }

  /** An instant query; a scalar or string result comes back as one series without labels. */
  async query(expr: string, time?: Date | number): Promise<Series[]> {
    const t = this.queryTimeout();
    const d = await this.data<Vector | Scalar | Matrix>('/api/v1/query', { query: expr, time: time === undefined ? undefined : String(unixSeconds(time)), timeout: t.param }, t.ms);
    if (d.resultType === 'vector') return d.result.map((r) => ({ labels: r.metric, points: [[r.value[0], num(r.value[1])]] }));
    if (d.resultType === 'matrix') return d.result.map((r) => ({ labels: r.metric, points: r.values.map(([ts, v]) => [ts, num(v)] as Point) }));
    return [{ labels: {}, points: [[d.result[0], num(d.result[1])]] }];
  }

  /** A range query: every series with its points from `start` to `end`, one each `stepSeconds`. */
  async queryRange(expr: string, start: Date | number, end: Date | number, stepSeconds: number): Promise<Series[]> {
    const t = this.queryTimeout();
    const params = { query: expr, start: String(unixSeconds(start)), end: String(unixSeconds(end)), step: String(stepSeconds), timeout: t.param };
    const d = await this.data<Matrix | Vector | Scalar>('/api/v1/query_range', params, t.ms);
    if (d?.resultType !== 'matrix' || !Array.isArray(d.result)) {
      const got = typeof d?.resultType === 'string' ? `resultType '${d.resultType}'` : 'no resultType';
      throw new PilothouseError('unavailable', `${shownUrl(apiUrl(this.baseUrl, '/api/v1/query_range', params))} answered a range query with ${got}, not 'matrix': is it Prometheus?`);
    }
    return d.result.map((r) => ({ labels: r.metric, points: r.values.map(([ts, v]) => [ts, num(v)] as Point) }));
  }

  /** Active alerts (pending and firing), with their rules' annotations already filled in. */
  async alerts(): Promise<PromAlert[]> {
    return (await this.data<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts;
  }

  /** Rule groups; `type` narrows to alerting or recording rules. */
  async rules(type?: 'alert' | 'record'): Promise<PromRuleGroup[]> {
    return (await this.data<{ groups: PromRuleGroup[] }>('/api/v1/rules', { type })).groups;
  }

  /** The Alertmanagers this Prometheus sends to (their API URLs, e.g. http://127.0.0.1:9093/api/v2/alerts). */
  async alertmanagers(): Promise<string[]> {
    const d = await this.data<{ activeAlertmanagers: { url: string }[] }>('/api/v1/alertmanagers');
    return d.activeAlertmanagers.map((a) => a.url);
  }

  /** Build information: proves the URL is Prometheus (a 2.x server always answers it). */
  async buildInfo(): Promise<{ version: string }> {
    return this.data<{ version: string }>('/api/v1/status/buildinfo');
  }
}

/** Alertmanager's v2 API at `baseUrl` (e.g. http://127.0.0.1:9093). */
export class AlertmanagerClient {
  constructor(readonly baseUrl: string, private readonly opts: ClientOptions = {}) {}

  private async get<T>(path: string, params?: Record<string, string | undefined>, check?: (b: unknown) => boolean): Promise<T> {
    const url = apiUrl(this.baseUrl, path, params);
    const body = await getJson(url, 'Alertmanager', this.opts);
    if (check && !check(body)) throw new PilothouseError('unavailable', `${shownUrl(url)} is not Alertmanager: its answer is not the v2 API's`);
    return body as T;
  }

  /** Alerts Alertmanager holds, silenced and inhibited ones included (each says so in `status`). */
  async alertmanagerAlerts(): Promise<AmAlert[]> {
    return this.get<AmAlert[]>('/api/v2/alerts', undefined, Array.isArray);
  }

  async silences(): Promise<AmSilence[]> {
    return this.get<AmSilence[]>('/api/v2/silences', undefined, Array.isArray);
  }

  /** A new silence; Alertmanager answers its id. */
  async createSilence(s: NewSilence): Promise<string> {
    const url = apiUrl(this.baseUrl, '/api/v2/silences');
    const body = await getJson(url, 'Alertmanager', this.opts, { method: 'POST', body: s }) as { silenceID?: unknown };
    if (typeof body?.silenceID !== 'string') throw new PilothouseError('unavailable', `${shownUrl(url)} did not answer a silence id: is it Alertmanager's v2 API?`);
    return body.silenceID;
  }

  /** Ends a silence now (Alertmanager keeps it, expired). */
  async expireSilence(id: string): Promise<void> {
    await getJson(apiUrl(this.baseUrl, `/api/v2/silence/${encodeURIComponent(id)}`), 'Alertmanager', this.opts, { method: 'DELETE' });
  }

  async status(): Promise<{ versionInfo?: { version?: string } }> {
    return this.get('/api/v2/status', undefined, (b) => !!b && typeof b === 'object' && 'cluster' in (b as object));
  }
}

function unixSeconds(t: Date | number): number {
  // A number is taken as ms since epoch (Date.now()), as everywhere else in the engine.
  const ms = typeof t === 'number' ? t : t.getTime();
  return Math.round(ms) / 1000;
}

/** Convenience for callers holding only a URL: `queryRange(url, expr, start, end, step)`. */
export function queryRange(baseUrl: string, expr: string, start: Date | number, end: Date | number, stepSeconds: number, opts?: ClientOptions): Promise<Series[]> {
  return new PrometheusClient(baseUrl, opts).queryRange(expr, start, end, stepSeconds);
}
