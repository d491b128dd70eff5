import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PilothouseError } from '../../shared/contract/envelope';
import { AlertmanagerClient, PrometheusClient, apiUrl } from '../../core/planes/prometheus/client';

// The client's parsing and its error words, over answers recorded from the rig's Prometheus 2.42 and
// Alertmanager 0.25 (a fetch that returns them; the real servers are in test/integration/prometheus-*).
const answer = (status: number, body: unknown, type = 'application/json') => async () =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': type } });

describe('PrometheusClient', () => {
  it('queryRange: series with labels and [t, v] points; NaN stays NaN', async () => {
    const c = new PrometheusClient('http://p:9090', { fetch: answer(200, { status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'node' }, values: [[1796577839.023, '1'], [1796577854.023, 'NaN']] }] } }) });
    const s = await c.queryRange('up', 0, 60_000, 15);
    expect(s[0]!.labels).toEqual({ job: 'node' });
    expect(s[0]!.points[0]).toEqual([1796577839.023, 1]);
    expect(Number.isNaN(s[0]!.points[1]![1])).toBe(true);
  });
  it('query: vector and scalar', async () => {
    const v = new PrometheusClient('http://p:9090', { fetch: answer(200, { status: 'success', data: { resultType: 'vector', result: [{ metric: { a: 'b' }, value: [10, '2.5'] }] } }) });
    expect(await v.query('x')).toEqual([{ labels: { a: 'b' }, points: [[10, 2.5]] }]);
    const s = new PrometheusClient('http://p:9090', { fetch: answer(200, { status: 'success', data: { resultType: 'scalar', result: [10, '1'] } }) });
    expect(await s.query('1')).toEqual([{ labels: {}, points: [[10, 1]] }]);
  });
  it('a query error names the URL and Prometheus\'s own words', async () => {
    const c = new PrometheusClient('http://p:9090', { fetch: answer(400, { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis' }) });
    await expect(c.query('sum(')).rejects.toThrow('Prometheus at http://p:9090/api/v1/query?query=sum(&timeout=9s answered HTTP 400: bad_data: invalid parameter "query": 1:5: parse error: unclosed left parenthesis');
  });
  it('a web page is not Prometheus', async () => {
    const page = new PrometheusClient('http://web:8000', { fetch: answer(200, '<html>hello</html>', 'text/html') });
    await expect(page.alerts()).rejects.toThrow('http://web:8000/api/v1/alerts is not Prometheus: it answered text/html, not JSON ("<html>hello</html>")');
    const notFound = new PrometheusClient('http://af:8080', { fetch: answer(404, { detail: 'The requested URL was not found', status: 404, title: 'Not Found' }) });
    await expect(notFound.alerts()).rejects.toThrow(/http:\/\/af:8080\/api\/v1\/alerts answered HTTP 404, not as Prometheus does \(is the URL right\?\)/);
    const otherJson = new PrometheusClient('http://x', { fetch: answer(200, { hello: 1 }) });
    await expect(otherJson.alerts()).rejects.toThrow('http://x/api/v1/alerts is not Prometheus');
  });
  it('unreachable and timed out say so with the URL', async () => {
    const refused = new PrometheusClient('http://127.0.0.1:1', { fetch: async () => { throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }); } });
    await expect(refused.alerts()).rejects.toThrow('Prometheus at http://127.0.0.1:1/api/v1/alerts cannot be reached: ECONNREFUSED');
    const slow = new PrometheusClient('http://p', { timeoutMs: 1500, fetch: async () => { throw Object.assign(new Error('t'), { name: 'TimeoutError' }); } });
    await expect(slow.alerts()).rejects.toThrow('Prometheus at http://p/api/v1/alerts did not answer within 1.5 s');
  });
  it('keeps a path prefix', () => {
    expect(apiUrl('http://h/prometheus/', '/api/v1/alerts')).toBe('http://h/prometheus/api/v1/alerts');
  });
});

describe('AlertmanagerClient', () => {
  it('alerts and silences are the v2 arrays; anything else is not Alertmanager', async () => {
    expect(await new AlertmanagerClient('http://am', { fetch: answer(200, []) }).silences()).toEqual([]);
    await expect(new AlertmanagerClient('http://p:9090', { fetch: answer(200, { status: 'success', data: {} }) }).alertmanagerAlerts())
      .rejects.toThrow('http://p:9090/api/v2/alerts is not Alertmanager');
  });
});

describe('answers a chart must not take as they come (a local HTTP server)', () => {
  let server: import('node:http').Server;
  let base = '';
  let handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void = () => undefined;
  beforeAll(async () => {
    const { createServer } = await import('node:http');
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('an answer larger than the cap is cut off while it streams, naming the URL and the size', async () => {
    let sent = 0;
    let closed = false;
    handler = (_req, res) => {
      // Chunked, no length: only counting the bytes as they come can stop it.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', () => { closed = true; });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const more = () => { while (!closed && sent < 64 * 1024 * 1024) { sent += chunk.length; if (!res.write(chunk)) { res.once('drain', more); return; } } res.end(); };
      res.write('{"status":"success","data":{"resultType":"matrix","result":['); more();
    };
    const c = new PrometheusClient(base, { maxBytes: 1024 * 1024 });
    await expect(c.queryRange('up', 0, 60_000, 15)).rejects.toThrow(new RegExp(`^Prometheus at ${base}/api/v1/query_range\\?query=up&start=0&end=60&step=15&timeout=9s answered more than 1 MB \\(1(\\.\\d)? MB read so far\\): not read`));
    expect(sent).toBeLessThan(64 * 1024 * 1024); // the server was told to stop, not read to its end
    handler = (_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(40 * 1024 * 1024) }); res.end('{}'); };
    await expect(new PrometheusClient(base).alerts()).rejects.toThrow(`Prometheus at ${base}/api/v1/alerts answered more than 32 MB (40 MB declared): not read`);
  });

  it('a range query answered with a vector is refused naming the resultType; a long query is shown decoded and shortened', async () => {
    handler = (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '1'] }] } })); };
    const expr = `sum(rate(http_requests_total{job="api",path=~"/v1/.*"}[5m])) by (${'x'.repeat(300)})`;
    const e = await new PrometheusClient(base).queryRange(expr, 0, 60_000, 15).catch((x: Error) => x);
    expect(e).toBeInstanceOf(PilothouseError);
    expect((e as Error).message).toBe(`${base}/api/v1/query_range?query=${expr.slice(0, 120)}…&start=0&end=60&step=15&timeout=9s answered a range query with resultType 'vector', not 'matrix': is it Prometheus?`);
    handler = (_req, res) => { res.writeHead(400, { 'content-type': 'application/json' }); res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' })); };
    await expect(new PrometheusClient(base).query('rate(x[5m]')).rejects.toThrow(`Prometheus at ${base}/api/v1/query?query=rate(x[5m]&timeout=9s answered HTTP 400: bad_data: parse error`);
  });
});
