import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelObject } from '../../core/model/object';
import { Model } from '../../core/model/store';
import type { PlaneSink } from '../../core/planes/plane';
import type { SshConnection, SshConnectionState } from '../../core/planes/ssh/connection';
import type { SshFeatureContext } from '../../core/planes/ssh/feature';
import type { HostSettings } from '../../core/planes/ssh/settings';
import { bindErrorText, createTunnelFeature, deriveTunnel, tunnelProblems, tunnelRules, type TunnelData } from '../../core/planes/ssh/tunnels';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const EP = 'ssh/kraken-dbs';

const data = (d: Partial<TunnelData>): TunnelData => ({
  alias: 'kraken-dbs', name: 'pg', localHost: '127.0.0.1', localPort: 15432, remoteHost: '127.0.0.1', remotePort: 5432,
  state: 'listening', since: NOW, ssh: { state: 'connected' }, open: 0, total: 0, bytesIn: 0, bytesOut: 0, ...d,
});

describe('tunnel rules', () => {
  it('names duplicate names and local ports with the field and the tunnel they clash with', () => {
    const p = tunnelProblems([
      { name: 'pg', localPort: 15432, remoteHost: '127.0.0.1', remotePort: 5432 },
      { name: 'airflow', localPort: 18080, remoteHost: '127.0.0.1', remotePort: 8080 },
      { name: 'pg', localPort: 15433, remoteHost: '127.0.0.1', remotePort: 5432 },
      { name: 'prom', localPort: 18080, remoteHost: '127.0.0.1', remotePort: 9090 },
    ], '/home/op/.config/pilothouse/hosts.yaml (host kraken-dbs)');
    expect([...p.entries()]).toEqual([
      [2, "/home/op/.config/pilothouse/hosts.yaml (host kraken-dbs): tunnels.2.name: 'pg' is already the name of tunnels.0"],
      [3, "/home/op/.config/pilothouse/hosts.yaml (host kraken-dbs): tunnels.3.localPort: 18080 is already the local port of tunnels.1 ('airflow')"],
    ]);
  });

  it('says a taken port plainly, with the port', () => {
    expect(bindErrorText('127.0.0.1', 18080, Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' })))
      .toBe('local port 18080 is already in use (127.0.0.1:18080): another program or tunnel listens there; stop it or pick another localPort');
    expect(bindErrorText('127.0.0.1', 80, Object.assign(new Error('listen EACCES'), { code: 'EACCES' }))).toMatch(/below 1024/);
  });

  it('derives each state: listening ok, lost says why and when it retries, closed offers Open', () => {
    const id = `${EP}/tunnel/pg`;
    const ok = deriveTunnel(id, data({ open: 2 })).resource;
    expect(ok).toMatchObject({ runtime: 'ok', kind: 'tunnel', endpoint: EP, group: { kind: 'host', name: 'kraken-dbs' } });
    expect(ok.reason!.text).toBe('listening: 127.0.0.1:15432 → 127.0.0.1:5432 via kraken-dbs, 2 connections open');
    // Closing cuts connections in use: then it asks.
    expect(ok.actions).toEqual([{ id: 'tunnel-close', label: 'Close tunnel', destructive: false, confirm: 'confirm' }]);
    const lost = deriveTunnel(id, data({ state: 'waiting', ssh: { state: 'lost', why: 'kraken-dbs: Timed out while waiting for handshake', retryAt: NOW + 4_000 } })).resource;
    expect(lost.runtime).toBe('error');
    expect(lost.reason!.text).toBe('lost: the connection to kraken-dbs dropped (kraken-dbs: Timed out while waiting for handshake); retrying at 12:00:04 UTC, local port 15432 kept and refusing');
    const closed = deriveTunnel(id, data({ state: 'closed' })).resource;
    expect(closed).toMatchObject({ runtime: 'not_applicable', actions: [{ id: 'tunnel-open' }] });
    const failed = deriveTunnel(id, data({ state: 'failed', bindError: 'local port 15432 is already in use' })).resource;
    expect(failed).toMatchObject({ runtime: 'error', reason: { text: 'local port 15432 is already in use' } });
    // A forward that failed after the last good one is a warning until one works again.
    const warn = deriveTunnel(id, data({ lastError: { text: 'kraken-dbs could not open 127.0.0.1:5432: Connection refused', at: NOW }, lastOkAt: NOW - 1 })).resource;
    expect(warn.runtime).toBe('warning');
    expect(deriveTunnel(id, data({ lastError: { text: 'x', at: NOW - 5 }, lastOkAt: NOW })).resource.runtime).toBe('ok');
  });
});

// ---- a Tunnel at run time, with a stand-in for the SSH connection whose forwardOut dials locally ----

class FakeConnection {
  state: SshConnectionState = { state: 'connected', since: NOW, via: [] };
  private fns = new Set<(s: SshConnectionState) => void>();
  readonly client = {
    forwardOut: (_sip: string, _sp: number, host: string, port: number, cb: (err: Error | undefined, ch: Duplex) => void) => {
      const s = net.connect({ host, port });
      s.once('connect', () => cb(undefined, Object.assign(s, { close: () => s.destroy() }) as unknown as Duplex));
      s.once('error', (e) => cb(new Error(`open failed (${e.message})`), undefined as never));
    },
  };
  subscribe(fn: (s: SshConnectionState) => void) { this.fns.add(fn); return () => this.fns.delete(fn); }
  set(s: SshConnectionState) { this.state = s; for (const f of this.fns) f(s); }
  async ready() {
    if (this.state.state !== 'connected') throw new Error(`kraken-dbs: connection ${this.state.state}`);
    return this.client;
  }
}

const cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

async function echoServer(): Promise<number> {
  const srv = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => srv.close(r)));
  return (srv.address() as net.AddressInfo).port;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function setup(tunnels: HostSettings['tunnels']) {
  const m = new Model();
  m.registerRules('ssh', tunnelRules);
  const sink: PlaneSink = {
    upsert: (o) => m.upsert(o), remove: (k) => m.remove(k), reconcile: (e, o, k) => m.reconcile(e, o, k),
    endpoint: (e) => m.setEndpoint(e), dropEndpoint: (id) => m.dropEndpoint(id), objectsOf: (rid) => m.objectsOf(rid),
  };
  const conn = new FakeConnection();
  const settings: HostSettings = { alias: 'kraken-dbs', mounts: [], units: [], docker: false, compose: [], tunnels, slurm: false, file: 'hosts.yaml', line: 1 };
  const ctx: SshFeatureContext = { alias: 'kraken-dbs', endpoint: EP, connection: conn as unknown as SshConnection, settings, sink, now: Date.now };
  const feature = createTunnelFeature();
  const att = feature.attach(ctx)!;
  cleanup.push(() => att.stop());
  const data = (name: string) => { m.flush(); return m.objectsOf(`${EP}/tunnel/${name}`)[0]?.data as TunnelData | undefined; };
  const until = async (name: string, pred: (d: TunnelData) => boolean) => {
    for (let i = 0; i < 200; i++) { const d = data(name); if (d && pred(d)) return d; await new Promise((r) => setTimeout(r, 10)); }
    throw new Error(`tunnel ${name} never got there: ${JSON.stringify(data(name))}`);
  };
  return { m, conn, feature, data, until };
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let got = '';
    s.on('data', (b) => { got += b.toString(); if (got.length >= text.length) { s.end(); resolve(got); } });
    s.on('error', reject);
    s.on('close', () => resolve(got));
    s.write(text);
  });
}

describe('a tunnel at run time', () => {
  it('forwards, counts connections and bytes, refuses while lost, resumes, and frees the port on close', async () => {
    const remote = await echoServer();
    const local = await freePort();
    const t = setup([{ name: 'echo', localPort: local, remoteHost: '127.0.0.1', remotePort: remote }]);
    await t.until('echo', (d) => d.state === 'listening');
    expect(await roundTrip(local, 'hello')).toBe('hello');
    const d = await t.until('echo', (x) => x.bytesIn === 5 && x.open === 0);
    expect(d).toMatchObject({ total: 1, bytesOut: 5 });

    t.conn.set({ state: 'lost', why: 'kraken-dbs: read ECONNRESET', since: NOW, attempt: 1, retryAt: NOW + 1000 });
    await t.until('echo', (x) => x.state === 'waiting');
    expect(t.m.get(`${EP}/tunnel/echo`)!.reason!.text).toMatch(/^lost: the connection to kraken-dbs dropped \(kraken-dbs: read ECONNRESET\)/);
    expect(await roundTrip(local, 'x')).toBe('');   // refused at once: the port is kept, nothing forwarded
    expect((await t.until('echo', (x) => !!x.lastError)).lastError!.text).toMatch(/kraken-dbs is lost/);

    t.conn.set({ state: 'connected', since: NOW, via: [] });
    await t.until('echo', (x) => x.state === 'listening');
    expect(await roundTrip(local, 'again')).toBe('again');

    const r = t.m.get(`${EP}/tunnel/echo`)!;
    const close = t.feature.action(r, 'tunnel-close', t.m.objectsOf(r.id))!;
    expect(close.steps[0]!.call).toBe(`stop listening on 127.0.0.1:${local}; close its forwarded connections`);
    await close.run(() => {});
    await t.until('echo', (x) => x.state === 'closed');
    // The port is free: something else can listen there now.
    const probe = net.createServer();
    await new Promise<void>((res, rej) => { probe.once('error', rej); probe.listen(local, '127.0.0.1', res); });
    await new Promise((res) => probe.close(res));
  });

  it('says a taken local port plainly and opens once it is free', async () => {
    const remote = await echoServer();
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const port = (squatter.address() as net.AddressInfo).port;
    const t = setup([{ name: 'pg', localPort: port, remoteHost: '127.0.0.1', remotePort: remote }]);
    const d = await t.until('pg', (x) => x.state === 'failed');
    expect(d.bindError).toBe(`local port ${port} is already in use (127.0.0.1:${port}): another program or tunnel listens there; stop it or pick another localPort`);
    const r = t.m.get(`${EP}/tunnel/pg`)!;
    expect(r.runtime).toBe('error');
    const open = t.feature.action(r, 'tunnel-open', t.m.objectsOf(r.id))!;
    await expect(open.run(() => {})).rejects.toThrow(`local port ${port} is already in use`);
    await new Promise((res) => squatter.close(res));
    await open.run(() => {});
    await t.until('pg', (x) => x.state === 'listening');
    expect(open.verify(t.m.objectsOf(r.id))).toBe(true);
  });

  it('a forward the remote side refuses is a warning that names the target', async () => {
    const local = await freePort();
    const dead = await freePort();
    const t = setup([{ name: 'dead', localPort: local, remoteHost: '127.0.0.1', remotePort: dead }]);
    await t.until('dead', (x) => x.state === 'listening');
    expect(await roundTrip(local, 'x')).toBe('');
    const d = await t.until('dead', (x) => !!x.lastError);
    expect(d.lastError!.text).toMatch(new RegExp(`^kraken-dbs could not open 127.0.0.1:${dead}: open failed`));
    expect(t.m.get(`${EP}/tunnel/dead`)!.runtime).toBe('warning');
  });

  it('a duplicate declaration is its own resource with the problem, and opens nothing', async () => {
    const a = await freePort();
    const t = setup([
      { name: 'pg', localPort: a, remoteHost: '127.0.0.1', remotePort: 5432 },
      { name: 'pg2', localPort: a, remoteHost: '127.0.0.1', remotePort: 5433 },
    ]);
    const d = await t.until('pg2', (x) => x.state === 'invalid');
    expect(d.problem).toBe(`hosts.yaml (host kraken-dbs): tunnels.1.localPort: ${a} is already the local port of tunnels.0 ('pg')`);
    await t.until('pg', (x) => x.state === 'listening');
    expect(t.m.get(`${EP}/tunnel/pg2`)!.actions).toEqual([]);
  });
});

// The objects are plain data: what the rules read is all there is (no sockets or timers in the model).
it('a tunnel object holds only plain data', () => {
  const o: ModelObject = { plane: 'ssh', endpoint: EP, kind: 'tunnel', ns: '', name: 'pg', data: data({}) };
  expect(JSON.parse(JSON.stringify(o))).toEqual(o);
  expect(tunnelRules.bind(o)).toEqual([`${EP}/tunnel/pg`]);
});
