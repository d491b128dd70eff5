import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { ContextTransport } from '../../core/planes/kube/client';
import { ContextConnection, endpointState } from '../../core/planes/kube/context-connection';
import { probeVerdict } from '../../core/planes/kube/server-probe';
import type { KubeTransport } from '../../core/planes/kube/client';
import type { PlaneSink } from '../../core/planes/plane';
import type { PlaneEndpoint } from '../../shared/contract/domain';
import { ExecCredentials } from '../../core/planes/kube/exec-credential';
import { WATCHED_KINDS, type KindInfo } from '../../core/planes/kube/kinds';
import { loadKubeconfig } from '../../core/planes/kube/kubeconfig';
import { continueToken, KindWatch, type KindStatus } from '../../core/planes/kube/watch';
import type { ModelObject } from '../../core/model/object';
import { until } from '../support/wait';

// A tiny API server speaking the list/watch protocol for pods: paged lists with continue tokens, watches
// from a resourceVersion (with bookmarks, ERROR 410 events, 410/403 answers, and drops on demand).
interface Call { path: string; query: URLSearchParams; accept: string }
class FakeApi {
  rv = 100;
  pods = new Map<string, { ns: string; name: string; rv: number; phase: string }>();
  calls: Call[] = [];
  auth: string[] = [];
  watches = new Set<http.ServerResponse>();
  /** Versions older than this answer 410, as after an etcd compaction. */
  compactedBelow = 0;
  forbidden = new Set<string>();
  /** Every event with its version, so a watch from an older version gets what it missed (the watch cache). */
  history: Array<{ rv: number; line: string }> = [];
  /** Continue tokens the server has forgotten (410 Expired, as after a compaction between pages). */
  expiredContinue = new Set<string>();
  /** Lists asking for protobuf that get a body marked protobuf which is not one (a rewriting proxy). */
  protobufGarbage = 0;
  /** How GET /version answers (a server still starting says 503). */
  versionStatus = 200;
  private server = http.createServer((req, res) => this.handle(req, res));
  port = 0;

  async listen() { await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r)); this.port = (this.server.address() as AddressInfo).port; }
  async close() { for (const w of this.watches) w.destroy(); this.server.closeAllConnections(); await new Promise((r) => this.server.close(r)); }

  pod(ns: string, name: string, phase = 'Running') { const p = { ns, name, rv: ++this.rv, phase }; this.pods.set(`${ns}/${name}`, p); return p; }
  raw(p: { ns: string; name: string; rv: number; phase: string }) {
    return {
      metadata: { name: p.name, namespace: p.ns, uid: `uid-${p.name}`, resourceVersion: String(p.rv), managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }] },
      spec: { containers: [{ name: 'c', image: 'img' }] },
      status: { phase: p.phase },
    };
  }
  /** Sends an event to every open watch. */
  send(type: string, object: unknown) {
    const line = `${JSON.stringify({ type, object })}\n`;
    if (type !== 'BOOKMARK' && type !== 'ERROR') this.history.push({ rv: this.rv, line });
    for (const w of this.watches) w.write(line);
  }
  change(ns: string, name: string, phase: string) { const p = this.pod(ns, name, phase); this.send('MODIFIED', this.raw(p)); }
  add(ns: string, name: string) { const p = this.pod(ns, name); this.send('ADDED', this.raw(p)); }
  del(ns: string, name: string) { const p = this.pods.get(`${ns}/${name}`)!; this.pods.delete(`${ns}/${name}`); p.rv = ++this.rv; this.send('DELETED', this.raw(p)); }
  bookmark() { this.send('BOOKMARK', { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(++this.rv) } }); }
  drop() { for (const w of this.watches) w.destroy(); this.watches.clear(); }
  watchCalls() { return this.calls.filter((c) => c.query.get('watch') === '1'); }
  listCalls() { return this.calls.filter((c) => c.query.get('watch') !== '1'); }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url!, 'http://x');
    this.calls.push({ path: url.pathname, query: url.searchParams, accept: req.headers.accept ?? '' });
    this.auth.push(req.headers.authorization ?? '');
    const status = (code: number, reason: string, message: string) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code }));
    };
    if (url.pathname === '/version') {
      res.writeHead(this.versionStatus, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ major: '1', minor: '31', gitVersion: 'v1.31.0' }));
    }
    if (this.forbidden.has(url.pathname)) return status(403, 'Forbidden', `pods is forbidden: User "reader" cannot list resource "pods" in API group "" at the cluster scope`);
    const nsMatch = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (url.pathname !== '/api/v1/pods' && !nsMatch) return status(404, 'NotFound', 'the server could not find the requested resource');
    const inNs = (p: { ns: string }) => !nsMatch || p.ns === nsMatch[1];
    if (url.searchParams.get('watch') === '1') {
      const from = Number(url.searchParams.get('resourceVersion') ?? '0');
      if (from < this.compactedBelow) return status(410, 'Expired', `too old resource version: ${from} (${this.compactedBelow})`);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      for (const h of this.history) if (h.rv > from) res.write(h.line);
      this.watches.add(res);
      res.on('close', () => this.watches.delete(res));
      return;
    }
    if (this.protobufGarbage > 0 && (req.headers.accept ?? '').startsWith('application/vnd.kubernetes.protobuf')) {
      this.protobufGarbage--;
      res.writeHead(200, { 'Content-Type': 'application/vnd.kubernetes.protobuf' });
      return res.end(Buffer.from('<html>not a pod list</html>'));
    }
    const token = url.searchParams.get('continue');
    if (token && this.expiredContinue.delete(token)) return status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.');
    const limit = Number(url.searchParams.get('limit') ?? '1000');
    const start = Number(url.searchParams.get('continue') ?? '0');
    const all = [...this.pods.values()].filter(inNs).sort((a, b) => a.name.localeCompare(b.name));
    const page = all.slice(start, start + limit);
    const more = start + limit < all.length;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv), continue: more ? String(start + limit) : undefined }, items: page.map((p) => this.raw(p)) }));
  }
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

const POD = WATCHED_KINDS.find((k) => k.kind === 'Pod')!;

async function setup(opts: { namespace?: string; kind?: KindInfo; user?: string } = {}) {
  const api = new FakeApi();
  await api.listen();
  cleanups.push(() => api.close());
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'ph-kwatch-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config');
  // The real transport: client-node applies the kubeconfig (plain http is allowed with insecure-skip-tls-verify).
  fs.writeFileSync(file, `apiVersion: v1
clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${api.port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: ${opts.user ?? '{token: t0k3n}'}}]
contexts: [{name: fake, context: {cluster: fake, user: u${opts.namespace ? `, namespace: ${opts.namespace}` : ''}}}]
`);
  const ctx = loadKubeconfig([file], 'test', { readFile: (p) => fs.readFileSync(p, 'utf8'), exists: fs.existsSync, KubeConfig }).contexts[0];
  expect(ctx.error).toBeUndefined();
  const transport = new ContextTransport(ctx, new ExecCredentials({ run: async () => { throw new Error('no plugin'); }, env: async () => ({}), now: Date.now }));
  const model = new Map<string, ModelObject>();
  const log: string[] = [];
  const statuses: KindStatus[] = [];
  const w = new KindWatch({
    kind: opts.kind ?? POD, endpoint: 'kube/fake', transport, namespace: opts.namespace,
    backoff: { baseMs: 5, maxMs: 20 }, pageSize: 2, watchTimeoutSeconds: () => 600,
    sink: {
      reconcile: (objs) => { log.push(`reconcile ${objs.length}`); for (const k of [...model.keys()]) if (!objs.some((o) => key(o) === k)) model.delete(k); for (const o of objs) model.set(key(o), o); },
      upsert: (o) => { log.push(`upsert ${o.name}`); model.set(key(o), o); },
      remove: (k) => { log.push(`remove ${k}`); model.delete(k); },
    },
    onStatus: (s) => statuses.push(s),
  });
  cleanups.push(() => w.stop());
  const names = () => [...model.values()].map((o) => `${o.ns}/${o.name}:${(o.data as { phase: string }).phase}`).sort();
  return { api, w, model, log, statuses, names, dir, ctx, transport };
}
const key = (o: ModelObject) => `${o.endpoint}/${o.kind}/${o.ns}/${o.name}`;

describe('the list/watch loop of one kind', () => {
  it('lists in pages, reconciles once with the whole list, then watches from the list version with bookmarks', async () => {
    const { api, w, log, names } = await setup();
    for (const n of ['a', 'b', 'c', 'd', 'e']) api.pod('shop', n);
    w.start();
    await until('the watch to open', () => api.watches.size === 1);
    expect(api.listCalls().map((c) => `${c.query.get('limit')} ${c.query.get('continue') ?? '-'}`)).toEqual(['2 -', '2 2', '2 4']);
    expect(log).toEqual(['reconcile 5']);
    const wc = api.watchCalls()[0].query;
    expect(wc.get('resourceVersion')).toBe(String(api.rv));
    expect(wc.get('allowWatchBookmarks')).toBe('true');
    expect(w.status.state).toBe('watching');

    api.change('shop', 'b', 'Failed');
    api.add('shop', 'f');
    api.del('shop', 'a');
    await until('the events to arrive', () => names().join() === 'shop/b:Failed,shop/c:Running,shop/d:Running,shop/e:Running,shop/f:Running');
    // A bookmark moves the version on: the next watch starts there, so nothing is replayed.
    api.bookmark();
    const bookmarkRv = String(api.rv);
    await new Promise((r) => setTimeout(r, 50));
    api.drop();
    await until('the watch to be resumed', () => api.watchCalls().length === 2 && api.watches.size === 1);
    expect(api.watchCalls()[1].query.get('resourceVersion')).toBe(bookmarkRv);
    expect(api.listCalls()).toHaveLength(3);
  });

  it('a continue token that expired between pages (410) lists again from the first page: the list is whole, not empty', async () => {
    const { api, w, names, log } = await setup();
    for (const n of ['a', 'b', 'c', 'd', 'e']) api.pod('shop', n);
    api.expiredContinue.add('2');
    w.start();
    await until('the watch', () => api.watches.size === 1);
    expect(api.listCalls().map((c) => c.query.get('continue') ?? '-')).toEqual(['-', '2', '-', '2', '4']);
    expect(log).toEqual(['reconcile 5']);
    expect(names()).toHaveLength(5);
  });

  it('asks pods as protobuf from the watch cache; a server that answers JSON gets its pages asked in JSON from then on', async () => {
    const { api, w } = await setup();
    for (const n of ['a', 'b', 'c']) api.pod('shop', n);
    w.start();
    await until('the watch to open', () => api.watches.size === 1);
    const [first, ...rest] = api.listCalls();
    expect(first!.accept).toMatch(/^application\/vnd\.kubernetes\.protobuf/);
    expect(first!.query.get('resourceVersion')).toBe('0');
    // This server answered JSON and paged: the next pages carry only the continue token.
    expect(rest.map((c) => c.query.get('resourceVersion'))).toEqual([null]);
    api.compactedBelow = api.rv + 1;
    api.pod('shop', 'd');   // the server's version moves past the compaction, as a real one's does
    api.drop();
    await until('listed again after the 410', () => api.listCalls().length > 2 && api.watches.size === 1);
    expect(api.listCalls().slice(2).every((c) => c.accept === 'application/json' && !c.query.has('resourceVersion'))).toBe(true);
  });

  it('a protobuf answer that cannot be read is named, and the kind lists in JSON from then on', async () => {
    const { api, w, statuses, names } = await setup();
    api.pod('shop', 'a');
    api.protobufGarbage = 1;
    w.start();
    await until('the pod listed after all', () => names().join() === 'shop/a:Running');
    const failed = statuses.find((x) => x.state === 'failed');
    expect(failed && 'message' in failed ? failed.message : '').toBe("pods: the server's protobuf answer could not be read (a protobuf answer without the k8s\\0 prefix); listing as JSON instead");
    expect(api.listCalls().at(-1)!.accept).toBe('application/json');
  });

  it("reads a page's continue token from its first bytes (metadata comes before items), to ask for the next page early", () => {
    const page = (meta: object) => Buffer.from(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: meta, items: [{ metadata: { name: 'x', annotations: { continue: 'not this' } } }] }));
    expect(continueToken(page({ resourceVersion: '7', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ', remainingItemCount: 9500 }))).toBe('eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ');
    expect(continueToken(page({ resourceVersion: '7' }))).toBe('');
    expect(continueToken(page({ resourceVersion: '7', continue: 'abc' }).subarray(0, 40))).toBeUndefined();
  });

  it("sends the user's token, also from a token-file (trimmed: the file ends with a newline)", async () => {
    const tokenFile = path.join(tmpdir(), `ph-token-${process.pid}`);
    fs.writeFileSync(tokenFile, 'from-file\n');
    cleanups.push(() => fs.rmSync(tokenFile, { force: true }));
    const { api, w } = await setup({ user: `{token-file: "${tokenFile}"}` });
    w.start();
    await until('the watch', () => api.watches.size === 1);
    expect([...new Set(api.auth)]).toEqual(['Bearer from-file']);
  });

  it('keeps no managedFields of what it stores', async () => {
    const { api, w, model } = await setup();
    api.pod('shop', 'a');
    w.start();
    await until('the list', () => model.size === 1);
    api.add('shop', 'b');
    await until('the event', () => model.size === 2);
    for (const o of model.values()) expect(JSON.stringify(o)).not.toContain('managedFields');
  });

  it('on 410 Gone (an ERROR event, as after a compaction) lists again and reconciles: nothing stale, nothing missing', async () => {
    const { api, w, names, log } = await setup();
    api.pod('shop', 'a'); api.pod('shop', 'b');
    w.start();
    await until('the watch', () => api.watches.size === 1);
    // While the watch is away from history: one pod deleted, one added, with no events for them.
    api.pods.delete('shop/a');
    api.pod('shop', 'c');
    api.compactedBelow = api.rv;
    api.send('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', message: 'too old resource version', code: 410 });
    await until('the re-list', () => api.listCalls().length === 2 && api.watches.size === 1);
    expect(names()).toEqual(['shop/b:Running', 'shop/c:Running']);
    expect(log.filter((l) => l.startsWith('reconcile'))).toEqual(['reconcile 2', 'reconcile 2']);
  });

  it('on a 410 answer to a resumed watch (the server restarted and compacted) lists again', async () => {
    const { api, w, names } = await setup();
    api.pod('shop', 'a');
    w.start();
    await until('the watch', () => api.watches.size === 1);
    api.pods.clear();
    api.pod('shop', 'z');
    api.compactedBelow = api.rv;
    api.drop();
    await until('the re-list', () => api.listCalls().length === 2 && api.watches.size === 1);
    expect(names()).toEqual(['shop/z:Running']);
    expect(w.status.state).toBe('watching');
  });

  it('a kind the user may not list is reported once, plainly, and not asked again', async () => {
    const { api, w, statuses } = await setup();
    api.forbidden.add('/api/v1/pods');
    w.start();
    await until('the answer', () => w.status.state !== 'listing');
    expect(w.status).toEqual({ state: 'forbidden', message: 'pods: forbidden for user reader' });
    await new Promise((r) => setTimeout(r, 100));
    expect(api.calls).toHaveLength(1);
    expect(statuses.filter((s) => s.state === 'forbidden')).toHaveLength(1);
  });

  it('forbidden cluster-wide, it lists the context namespace instead and says so', async () => {
    const { api, w, names } = await setup({ namespace: 'shop' });
    api.forbidden.add('/api/v1/pods');
    api.pod('shop', 'a'); api.pod('other', 'b');
    w.start();
    await until('the namespaced watch', () => api.watches.size === 1);
    expect(names()).toEqual(['shop/a:Running']);
    expect(api.watchCalls()[0].path).toBe('/api/v1/namespaces/shop/pods');
    expect(w.status).toEqual({ state: 'watching', note: 'pods: only namespace shop (the cluster-wide list is forbidden)' });
  });

  it('a kind the server does not serve is said once, not retried', async () => {
    const { api, w } = await setup({ kind: WATCHED_KINDS.find((k) => k.kind === 'HorizontalPodAutoscaler')! });
    w.start();
    await until('the answer', () => w.status.state !== 'listing');
    expect(w.status).toEqual({ state: 'unsupported', message: 'horizontalpodautoscalers: not served by this cluster (autoscaling/v2)' });
    expect(api.calls).toHaveLength(1);
  });

  it('a dropped connection backs off and resumes from the last version it saw, without listing again', async () => {
    const { api, w, names, statuses } = await setup();
    api.pod('shop', 'a');
    w.start();
    await until('the watch', () => api.watches.size === 1);
    api.change('shop', 'a', 'Failed');
    await until('the event', () => names()[0] === 'shop/a:Failed');
    const seen = String(api.rv);
    api.drop();
    await until('the resumed watch', () => api.watchCalls().length === 2 && api.watches.size === 1);
    expect(api.watchCalls()[1].query.get('resourceVersion')).toBe(seen);
    expect(api.listCalls()).toHaveLength(1);
    expect(statuses.some((s) => s.state === 'failed' && s.unreachable && /pods: the watch connection dropped/.test(s.message))).toBe(true);
    expect(w.status.state).toBe('watching');
  });

  it('an unreachable server is said with the address, and retried with backoff until it answers', async () => {
    const { api, w } = await setup();
    const port = api.port;
    await api.close();
    w.start();
    await until('the failure', () => w.status.state === 'failed');
    expect(w.status).toMatchObject({ state: 'failed', unreachable: true, message: `cannot reach http://127.0.0.1:${port}: connection refused (is the API server running, the tunnel or VPN up?)` });
    expect((w.status as { retryAt: number }).retryAt).toBeGreaterThan(0);
  });

  it('stop closes the watch and never retries; start again lists fresh', async () => {
    const { api, w, names } = await setup();
    api.pod('shop', 'a');
    w.start();
    await until('the watch', () => api.watches.size === 1);
    w.stop();
    await until('the stream to close', () => api.watches.size === 0);
    api.pods.clear();
    api.pod('shop', 'new');
    await new Promise((r) => setTimeout(r, 50));
    expect(api.calls).toHaveLength(2);
    w.start();
    await until('the fresh list', () => names().join() === 'shop/new:Running');
    expect(api.listCalls()).toHaveLength(2);
  });
});

describe('after a sleep: the watch goes on from its last version', () => {
  it('changes made while stopped arrive as events from the last version seen; nothing is listed again', async () => {
    const { api, w, names, log } = await setup();
    for (const n of ['a', 'b', 'c']) api.pod('shop', n);
    w.start();
    await until('the watch', () => api.watches.size === 1);
    api.change('shop', 'b', 'Pending');
    await until('the event', () => names().includes('shop/b:Pending'));
    const seen = String(api.rv);
    w.stop();
    await until('the stream to close', () => api.watches.size === 0);
    // "Asleep": a pod deleted, one created, one changed, with no watch open.
    api.del('shop', 'a');
    api.add('shop', 'd');
    api.change('shop', 'c', 'Failed');
    w.resume();
    expect(w.status.state).toBe('resuming');
    await until('the changes', () => names().join() === 'shop/b:Pending,shop/c:Failed,shop/d:Running');
    expect(api.watchCalls()[1].query.get('resourceVersion')).toBe(seen);
    expect(api.listCalls()).toHaveLength(2); // the first list's two pages, nothing since
    expect(log.filter((l) => l.startsWith('reconcile'))).toEqual(['reconcile 3']);
    expect(w.status.state).toBe('watching');
  });

  it('when the server no longer has that version (410 Gone), this kind lists again and reconciles', async () => {
    const { api, w, names, statuses } = await setup();
    api.pod('shop', 'a'); api.pod('shop', 'b');
    w.start();
    await until('the watch', () => api.watches.size === 1);
    w.stop();
    await until('the stream to close', () => api.watches.size === 0);
    api.pods.delete('shop/a');
    api.pod('shop', 'c');
    api.compactedBelow = api.rv;
    const lists = w.lists;
    w.resume();
    await until('the re-list', () => w.lists === lists + 1 && api.watches.size === 1);
    expect(names()).toEqual(['shop/b:Running', 'shop/c:Running']);
    // resuming → listing (the 410) → watching
    expect(statuses.slice(-3).map((s) => s.state)).toEqual(['resuming', 'listing', 'watching']);
  });

  it('a kind that was never listed (the server was away) lists on resume', async () => {
    const { api, w, names } = await setup();
    api.pod('shop', 'a');
    w.resume();
    await until('the list', () => names().join() === 'shop/a:Running');
    expect(api.listCalls()).toHaveLength(1);
  });
});

/** A context of three kinds on the fake server, its transport counted per path. */
async function connection(opts: { server?: 'closed' } = {}) {
  const base = await setup();
  const { api } = base;
  let { ctx } = base;
  if (opts.server === 'closed') {
    // A real refused connection: the fake server's port, closed.
    await api.close();
    const file = path.join(base.dir, 'dead');
    fs.writeFileSync(file, `apiVersion: v1
clusters: [{name: dead, cluster: {server: "http://127.0.0.1:${api.port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: dead, context: {cluster: dead, user: u}}]
`);
    ctx = loadKubeconfig([file], 'test', { readFile: (p) => fs.readFileSync(p, 'utf8'), exists: fs.existsSync, KubeConfig }).contexts[0];
  }
  const real = new ContextTransport(ctx, new ExecCredentials({ run: async () => { throw new Error('no plugin'); }, env: async () => ({}), now: Date.now }));
  const requests: string[] = [];
  const transport: KubeTransport = { get: (p, o) => { requests.push(p.replace(/\?.*/, '')); return real.get(p, o); } };
  const endpoints: PlaneEndpoint[] = [];
  const objects = new Map<string, ModelObject>();
  const sink: PlaneSink = {
    upsert: (o) => objects.set(key(o), o), remove: (k) => objects.delete(k),
    reconcile: (_ep, objs, kinds) => { for (const [k, o] of objects) if (kinds?.includes(o.kind)) objects.delete(k); for (const o of objs) objects.set(key(o), o); },
    endpoint: (ep) => endpoints.push(ep), dropEndpoint: () => {}, objectsOf: () => [],
  };
  const kinds = ['Pod', 'Service', 'Node'].map((k) => WATCHED_KINDS.find((x) => x.kind === k)!);
  const conn = new ContextConnection(ctx, 'test', sink, { creds: undefined as never, now: Date.now, kinds, transport, backoff: { baseMs: 20, maxMs: 80 } });
  cleanups.push(() => conn.stop());
  const last = () => endpoints[endpoints.length - 1];
  return { api, conn, requests, endpoints, last, objects };
}

describe('a context: one probe of its server, then the watches', () => {
  it('a dead server: one GET /version per backoff step, no kind asked, the endpoint says why and when it tries again', async () => {
    const { conn, requests, last, api } = await connection({ server: 'closed' });
    await conn.start();
    await until('three probes', () => requests.length >= 3);
    conn.stop();
    expect(new Set(requests)).toEqual(new Set(['/version']));
    expect(last()).toMatchObject({
      state: 'unavailable',
      message: `cannot reach http://127.0.0.1:${api.port}: connection refused (is the API server running, the tunnel or VPN up?)`,
      hint: 'check with: kubectl --context dead get --raw /version',
    });
    expect(last().retryAt).toBeGreaterThan(Date.now() - 1000);
    expect(conn.kindStatuses().map((k) => k.status.state)).toEqual(['waiting', 'waiting', 'waiting']);
  });

  it('a server still starting (503): the kinds wait until it answers, then list', async () => {
    const { api, conn, requests, last, objects } = await connection();
    api.pod('shop', 'a');
    api.versionStatus = 503;
    void conn.start();
    await until('two probes', () => requests.length >= 2);
    expect(last()).toMatchObject({ state: 'unavailable', message: 'the API server answered HTTP 503 (starting, or a proxy in front of it cannot reach it)' });
    expect(requests.every((r) => r === '/version')).toBe(true);
    api.versionStatus = 200;
    await until('connected', () => last().state === 'connected');
    await until('the pod', () => objects.size === 1);
  });

  it('resume: connecting (objects last known) until every kind is watched again, with no list', async () => {
    const { api, conn, requests, last, objects, endpoints } = await connection();
    api.pod('shop', 'a'); api.pod('shop', 'b');
    await conn.start();
    await until('connected', () => last().state === 'connected' && api.watches.size === 1);
    conn.suspend();
    expect(last()).toMatchObject({ state: 'suspended' });
    await until('the stream to close', () => api.watches.size === 0);
    api.del('shop', 'a');
    api.add('shop', 'c');
    const asked = requests.length;
    const podWatches = api.watchCalls().length;
    const seenBefore = endpoints.length;
    conn.resume();
    await until('the changes', () => [...objects.values()].map((o) => o.name).sort().join() === 'b,c');
    await until('connected', () => last().state === 'connected');
    const states = endpoints.slice(seenBefore).map((e) => `${e.state}: ${e.message ?? ''}`);
    expect(states[0]).toBe('connecting: waking up: reaching the API server');
    expect(states.slice(0, -1).every((s) => s.startsWith('connecting: waking up'))).toBe(true);
    // One probe, then the pods' watch from its version (no list); services and nodes are not served by
    // the fake server, so they were never listed and ask again (404 again).
    expect(requests.slice(asked).sort()).toEqual(['/api/v1/nodes', '/api/v1/pods', '/api/v1/services', '/version']);
    expect(api.watchCalls()).toHaveLength(podWatches + 1);
    expect(conn.kindStatuses().find((k) => k.kind === 'Pod')!.lists).toBe(1);
  });
});

describe("what an answer to the context's probe means", () => {
  it('any answer of a server that is there starts the watches; refused credentials and 5xx wait, saying why', () => {
    expect(probeVerdict(200)).toEqual({ ok: true });
    expect(probeVerdict(403)).toEqual({ ok: true }); // /version hidden from this user: the kinds say the rest
    expect(probeVerdict(401)).toEqual({ ok: false, message: 'the API server refused the credentials (401: expired token or certificate?)' });
    expect(probeVerdict(502)).toMatchObject({ ok: false, message: expect.stringContaining('HTTP 502') });
  });
});

describe("a context's endpoint from its kinds", () => {
  it('connected while some kinds are live, naming the forbidden ones', () => {
    expect(endpointState([{ state: 'watching' }, { state: 'forbidden', message: 'secrets: forbidden for user r' }]))
      .toEqual({ state: 'connected', message: 'secrets: forbidden for user r' });
  });
  it('unavailable when every kind it may list fails, with one reason and the earliest retry', () => {
    expect(endpointState([
      { state: 'failed', message: 'cannot reach https://x: connection refused', retryAt: 20, unreachable: true },
      { state: 'failed', message: 'cannot reach https://x: connection refused', retryAt: 10, unreachable: true },
      { state: 'forbidden', message: 'secrets: forbidden for user r' },
    ])).toEqual({ state: 'unavailable', message: 'cannot reach https://x: connection refused; secrets: forbidden for user r', retryAt: 10 });
  });
  it('connecting while lists are under way', () => {
    expect(endpointState([{ state: 'listing' }, { state: 'watching' }]).state).toBe('connected');
    expect(endpointState([{ state: 'listing' }, { state: 'failed', message: 'm', retryAt: 1, unreachable: true }]).state).toBe('connecting');
  });
});
