// Port-forwards through the rig's control plane to the rig PostgreSQL behind main-db-0 (kwok forwards
// main-db-0:5432 to it: test/rig/docs/kube.md), opened and stopped with the action mechanism, queried with
// the real psql. Run under `flock /tmp/ph-scenario.lock`: it holds the apiserver down with the
// api-server-restart scenario (undone in a finally).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { KubePlane } from '../../core/planes/kube/plane';
import type { PortForwardData } from '../../core/planes/kube/port-forward-rules';
import type { Client } from '../../shared/contract/client';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const PG_ENV = path.join(REPO, '.rig/postgres/env');
const skip = !existsSync(ADMIN) ? `no ${ADMIN}: start the rig (npm run rig -- up kube)`
  : !existsSync(PG_ENV) ? `no ${PG_ENV}: start the rig's postgres (npm run rig -- up postgres)` : undefined;
const EP = 'kube/kwok-pilothouse';
const id = (ns: string, kind: string, name: string) => `${EP}/${ns}/${kind}/${name}`;
const SVC = id('extralit', 'service', 'main-db');
const FWD = id('extralit', 'port-forward', 'service:main-db:5432');

/** The rig PostgreSQL's password, from the file the rig writes. */
const pgPassword = () => /^PGPASSWORD=(.*)$/m.exec(readFileSync(PG_ENV, 'utf8'))?.[1] ?? '';

/** A real query through a local port: psql with the rig's password; its output, or its error. */
async function psql(port: number, sql: string): Promise<{ out: string } | { error: string }> {
  try {
    const { stdout } = await run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-tAc', sql],
      { env: { ...process.env, PGPASSWORD: pgPassword(), PGCONNECT_TIMEOUT: '5' }, timeout: 20_000 });
    return { out: stdout.trim() };
  } catch (e) {
    return { error: String((e as { stderr?: string }).stderr || (e as Error).message) };
  }
}

const scenario = (name: string, env: Record<string, string>, ...undo: string[]) =>
  run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...undo], { cwd: REPO, timeout: 240_000, env: { ...process.env, ...env } });

describe.skipIf(!!skip)(`port-forwards through the rig's control plane${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let plane: KubePlane;
  let client: Client;
  let port = 0;
  const data = () => engine.model.objectsOf(FWD).find((o) => o.kind === 'PortForward')?.data as PortForwardData | undefined;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-kube-pf-'));
    const env = { KUBECONFIG: ADMIN, PATH: process.env.PATH, HOME: dir };
    plane = new KubePlane({ env, home: dir, now: Date.now }, { watchConfig: false });
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [plane] });
    await engine.start();
    client = connectInProcess(engine.handlers());
    await until('main-db with its endpoints', () => engine.model.get(SVC)?.facts.endpoints?.startsWith('1 ready'), 60_000);
  }, 90_000);
  afterAll(() => { client?.close(); engine?.stop(); });

  it('the service and the pod offer one action per declared port', () => {
    expect(engine.model.get(SVC)!.actions).toContainEqual({ id: 'port-forward:5432', label: 'Port-forward 5432 (tcp-postgresql)', destructive: false, confirm: 'none' });
    expect(engine.model.get(id('extralit', 'pod', 'main-db-0'))!.actions.map((a) => a.id)).toContain('port-forward:5432');
    expect(engine.model.get(id('extralit', 'service', 'weaviate'))!.actions.map((a) => a.id)).toContain('port-forward:80');
  });

  it('opens through the action mechanism (audited), lists the forward as a resource, and carries a real query', async () => {
    const preview = await client.request('action:preview', { resource: SVC, action: 'port-forward:5432' });
    expect(preview.steps[0].call).toMatch(/portforward\?ports=<port> \(WebSocket v4.channel.k8s.io\)/);
    const result = await client.request('action:run', { resource: SVC, action: 'port-forward:5432', confirmed: true });
    expect(result.outcome).toBe('ok');
    expect(JSON.parse(result.audit)).toMatchObject({ action: 'kube.port-forward', resource: SVC, outcome: 'ok' });
    port = data()!.localPort;
    // Local port 5432 when it is free, else another; the result says which.
    expect(result.log?.join('\n') ?? '').toContain(`listening on 127.0.0.1:${port}`);
    const r = await until('the forward listed', () => engine.model.get(FWD));
    expect(r).toMatchObject({ kind: 'port-forward', runtime: 'ok', parent: SVC });
    expect(r.reasons[0].text).toBe(`listening on 127.0.0.1:${port} → pod main-db-0:5432 (via service main-db:5432)`);
    expect(r.actions.map((a) => a.id)).toEqual(['port-forward-stop']);
    expect(await psql(port, 'select 40 + 2')).toEqual({ out: '42' });
    await until('counted', () => engine.model.get(FWD)?.facts.connections === '0 open, 1 since opened' && data()!.bytesIn > 0, 10_000);
  });

  it('a connection cut under a running query fails; the next one goes through (forced drop of its WebSocket)', async () => {
    const long = psql(port, 'select pg_sleep(5)');
    await until('the query under way', () => (data()?.open ?? 0) > 0, 10_000);
    plane.forwards.get(FWD)!.dropConnections();
    expect(await long).toMatchObject({ error: expect.stringMatching(/server closed the connection|connection|terminat/i) });
    expect(await psql(port, 'select 1')).toEqual({ out: '1' });
  });

  it('the API server away: the forward says it cannot reach the pod and keeps the port; back, it listens and carries queries again', async () => {
    try {
      await scenario('api-server-restart', { RIG_KUBE_API_DOWN: 'hold' });
      const away = await psql(port, 'select 1');
      expect(away).toHaveProperty('error');
      // The model shows the context as unreachable above the forward's own words (core/model/store.ts).
      const why = await until('reconnecting', () => data()?.state === 'reconnecting' && engine.model.get(FWD)?.reasons.find((x) => x.severity === 'warning' && x.text.startsWith('127.0.0.1')), 20_000);
      expect(why.text).toMatch(new RegExp(`^127.0.0.1:${port} cannot reach pod main-db-0:5432 \\(via service main-db:5432\\): cannot reach https://127.0.0.1:56443: connection refused`));
      // The port stays ours while the server is away: nobody else can listen on it.
      await expect(new Promise((resolve, reject) => { const s = net.createServer().once('error', reject).listen(port, '127.0.0.1', () => s.close(resolve)); })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await scenario('api-server-restart', {}, '--undo');
    }
    await until('listening again', () => engine.model.get(FWD)?.runtime === 'ok', 60_000);
    expect(await psql(port, 'select 2')).toEqual({ out: '2' });
  }, 180_000);

  it('sleep refuses connections and keeps the port; wake carries queries again', async () => {
    engine.suspend();
    try {
      await until('asleep', () => engine.model.get(FWD)?.reasons.some((x) => x.text === `asleep: 127.0.0.1:${port} refuses connections until the machine wakes`), 10_000);
      expect(await psql(port, 'select 1')).toHaveProperty('error');
    } finally {
      engine.resume();
    }
    await until('awake', () => engine.model.get(FWD)?.runtime === 'ok', 30_000);
    expect(await psql(port, 'select 3')).toEqual({ out: '3' });
  });

  it('stop, through the action mechanism, frees the port and removes the resource', async () => {
    const result = await client.request('action:run', { resource: FWD, action: 'port-forward-stop', confirmed: true });
    expect(result.outcome).toBe('ok');
    expect(JSON.parse(result.audit)).toMatchObject({ action: 'kube.port-forward-stop', outcome: 'ok' });
    await until('gone', () => !engine.model.get(FWD), 10_000);
    await new Promise<void>((resolve, reject) => { const s = net.createServer().once('error', reject).listen(port, '127.0.0.1', () => s.close(() => resolve())); });
  });
});
