import { mkdtempSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/contract/client';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { mayHaveHappened, openApi } from '../../core/planes/docker/api';
import { dockerClient, ensureTestImage, runContainer, testDockerHost } from '../support/docker-fixtures';
import { until } from '../support/wait';

// A Docker engine that stops answering in the middle of a restart (the tester froze the daemon behind a
// small proxy): the action must end, and say the restart may have happened instead of "failed". The
// proxy stands between the engine under test and the rig's real Docker socket; it cuts or freezes on
// the first POST that asks for a restart.
const host = testDockerHost();
const PROJECT = 'pilothouse-cut';
const NAME = 'pilothouse-cut-web-1';
const EP = 'docker/env';
const RID = `${EP}/${PROJECT}/web`;

type Mode = 'pass' | 'cut' | 'cut-and-freeze' | 'freeze';

/** A TCP proxy to the engine's socket; `mode` says what happens to the next restart request (or to all, frozen). */
function proxy(upstream: string) {
  const u = new URL(upstream);
  const dial = () => (u.protocol === 'unix:' ? net.connect(u.pathname) : net.connect(Number(u.port), u.hostname));
  const socks = new Set<net.Socket>();
  const state = { mode: 'pass' as Mode, frozen: false, cuts: 0 };
  const freeze = () => { state.frozen = true; for (const s of socks) s.pause(); };
  const server = net.createServer((client) => {
    const up = dial();
    socks.add(client); socks.add(up);
    if (state.frozen) { client.pause(); up.pause(); }
    const drop = () => { socks.delete(client); socks.delete(up); };
    client.on('close', () => { drop(); up.end(); });
    up.on('close', () => { drop(); client.destroy(); });
    client.on('error', () => undefined); up.on('error', () => undefined);
    up.on('data', (d) => { if (!client.destroyed) client.write(d); });
    client.on('data', (d) => {
      const restart = /^POST \/[^ ]*\/restart/.test(d.toString('latin1'));
      if (restart && state.mode !== 'pass' && state.mode !== 'freeze') {
        // The request reaches the engine, which does the restart; the answer never comes back.
        if (state.mode === 'cut-and-freeze') freeze();
        up.write(d);
        state.cuts++;
        client.removeAllListeners('close');
        client.on('close', drop);
        setTimeout(() => client.destroy(), 100);
        return;
      }
      up.write(d);
    });
  });
  return {
    server, state, freeze,
    thaw() { state.frozen = false; for (const s of socks) s.resume(); },
    listen: () => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port))),
    close() { for (const s of socks) s.destroy(); server.close(); },
  };
}

let docker: Docker;
let engine: Engine;
let client: Client;
let dataDir: string;
let target = '';
const px = proxy(host);

beforeAll(async () => {
  docker = dockerClient(host);
  await docker.ping().catch((e) => { throw new Error(`no Docker engine at ${host} (${e.message}): start one with 'npm run rig -- up docker'`); });
  await ensureTestImage(docker);
  await runContainer(docker, { name: NAME, service: 'web', project: PROJECT, cmd: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1 & wait; done"] });
  target = `tcp://127.0.0.1:${await px.listen()}`;
  dataDir = mkdtempSync(path.join(tmpdir(), 'ph-data-'));
  engine = new Engine({ dataDir, env: { DOCKER_HOST: target }, home: mkdtempSync(path.join(tmpdir(), 'ph-home-')) });
  await engine.start();
  client = connectInProcess(engine.handlers());
  await until(`${RID} in the model`, () => engine.list().some((r) => r.id === RID));
});

afterAll(async () => {
  px.thaw();
  client?.close();
  engine?.stop();
  px.close();
  await docker?.getContainer(NAME).remove({ force: true }).catch(() => undefined);
});

const audit = () => readFileSync(path.join(dataDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const startedAt = async () => (await docker.getContainer(NAME).inspect()).State.StartedAt;

describe('a Docker action whose request is cut after it was sent', () => {
  it('a request to a frozen engine ends at its time limit, as one that may have been carried out', async () => {
    const port = Number(new URL(target).port);
    const api = await openApi({ name: 'cut', target, source: 'test', host: '127.0.0.1', port, protocol: 'http' });
    px.freeze();
    try {
      const e = await api.request('GET', '/containers/json', undefined, { timeoutMs: 300 }).catch((x: Error) => x);
      expect(e).toMatchObject({ code: 'ETIMEDOUT', message: 'no answer to GET /containers/json within 0.3 s' });
      expect(mayHaveHappened(e)).toBe(true);
    } finally { px.thaw(); api.close(); }
    // An engine that answers with a status did not do it; one never reached did not either.
    const refused = await (await openApi({ name: 'x', target: 'tcp://127.0.0.1:1', source: 'test', host: '127.0.0.1', port: 1, protocol: 'http' })).request('GET', '/_ping').catch((x: Error) => x);
    expect(mayHaveHappened(refused)).toBe(false);
  });

  it('the engine answers again: the container is inspected and the restart verified, not reported failed', async () => {
    const before = await startedAt();
    px.state.mode = 'cut';
    try {
      const res = await client.request('action:run', { resource: RID, action: 'restart', confirmed: true });
      expect(px.state.cuts).toBe(1);
      expect(res.outcome).toBe('ok');
      expect(res.log?.some((l) => /was cut after it was sent \(socket hang up\)/.test(l))).toBe(true);
      expect(await startedAt()).not.toBe(before);
      expect(audit().at(-1)).toMatchObject({ action: 'docker.restart', outcome: 'ok', resource: RID });
    } finally { px.state.mode = 'pass'; }
  });

  it('the engine stays frozen: the action ends unverified, saying the restart may have happened and what to check', async () => {
    const before = await startedAt();
    px.state.mode = 'cut-and-freeze';
    try {
      const res = await client.request('action:run', { resource: RID, action: 'restart', confirmed: true });
      const said = `the request to ${EP} (${target}) was cut after it was sent: the restart may have happened; check ${NAME}`;
      expect(res).toMatchObject({ outcome: 'unverified', message: `Restart: ${said}` });
      expect(audit().at(-1)).toMatchObject({ action: 'docker.restart', outcome: 'unverified', detail: said, resource: RID });
    } finally { px.state.mode = 'pass'; px.thaw(); }
    // It did happen: the engine, answering again, shows the new start (the rig is left with it running).
    await until(`${NAME} restarted and running`, async () => { const s = (await docker.getContainer(NAME).inspect()).State; return s.Running && s.StartedAt !== before; }, 30_000);
  });
});
