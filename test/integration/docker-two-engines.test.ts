import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/contract/client';
import type { PlaneEndpoint, Resource } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { contextDir } from '../../core/planes/docker/discover';
import { dockerClient, ensureTestImage, runContainer, startPrivateDockerd, testDockerHost, type PrivateDockerd } from '../support/docker-fixtures';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const PROJECT = 'pilothouse-itest2';
const rigHost = testDockerHost();

// A second engine of our own (see startPrivateDockerd): the system dockerd would also do, but starting
// it touches iptables and /var/lib/docker on a machine that may be someone's.
const second = await startPrivateDockerd();
const skip = typeof second === 'string' ? second : undefined;

/** A HOME whose docker config has two contexts: the second engine, and the rig's engine under another name. */
function homeWithContexts(contexts: Record<string, string>): string {
  const home = mkdtempSync(path.join(tmpdir(), 'ph-home-'));
  for (const [name, host] of Object.entries(contexts)) {
    const d = path.join(home, '.docker/contexts/meta', contextDir(name));
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  }
  return home;
}

const service = (engine: string) => ['sh', '-c', `trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo "engine ${engine} line $i"; sleep 1 & wait; done`];

describe.skipIf(!!skip)(`two Docker engines at once${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dockerd = second as PrivateDockerd;
  let rig: Docker;
  let other: Docker;
  let engine: Engine;
  let client: Client;
  let home: string;
  const RIG = 'docker/rig-alias';
  const SECOND = 'docker/second';
  const rid = (ep: string, name: string) => `${ep}/${PROJECT}/${name}`;
  const get = (id: string): Resource | undefined => engine.list().find((r) => r.id === id);
  const ep = (id: string): PlaneEndpoint | undefined => engine.endpoints().find((e) => e.id === id);

  beforeAll(async () => {
    rig = dockerClient(rigHost);
    await rig.ping().catch((e) => { throw new Error(`no Docker engine at ${rigHost} (${e.message}): start one with 'npm run rig -- up docker'`); });
    other = dockerClient(dockerd.host);
    await Promise.all([ensureTestImage(rig), ensureTestImage(other)]);
    await Promise.all([
      runContainer(rig, { name: `${PROJECT}-web-1`, project: PROJECT, service: 'web', cmd: service('rig') }),
      runContainer(other, { name: `${PROJECT}-web-1`, project: PROJECT, service: 'web', cmd: service('second') }),
      runContainer(other, { name: `${PROJECT}-batch-1`, project: PROJECT, service: 'batch', cmd: ['sh', '-c', 'exit 5'] }),
    ]);
    home = homeWithContexts({ second: dockerd.host, 'rig-alias': rigHost });
    engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')), env: { DOCKER_HOST: rigHost }, home });
    await engine.start();
    client = connectInProcess(engine.handlers());
  });

  afterAll(async () => {
    client?.close();
    engine?.stop();
    await rig?.getContainer(`${PROJECT}-web-1`).remove({ force: true }).catch(() => undefined);
    await dockerd.stop();
  });

  it('lists both engines as endpoints; the rig reached by DOCKER_HOST and by a context is one', () => {
    const mine = engine.endpoints().filter((e) => e.target === rigHost || e.target === dockerd.host);
    expect(mine.map((e) => [e.id, e.state]).sort()).toEqual([[RIG, 'connected'], [SECOND, 'connected']]);
    expect(ep('docker/env')).toBeUndefined();
    expect(ep(RIG)!.source).toContain('DOCKER_HOST');
    expect(ep(RIG)!.source).toContain("docker context 'rig-alias'");
  });

  it('the same compose project on both engines is two resources with their own ids and states', async () => {
    await until('both webs and the batch', () => get(rid(RIG, 'web')) && get(rid(SECOND, 'web')) && get(rid(SECOND, 'batch')));
    const a = get(rid(RIG, 'web'))!;
    const b = get(rid(SECOND, 'web'))!;
    expect(a).toMatchObject({ endpoint: RIG, group: { kind: 'compose-project', name: PROJECT }, runtime: 'ok' });
    expect(b).toMatchObject({ endpoint: SECOND, group: { kind: 'compose-project', name: PROJECT }, runtime: 'ok' });
    expect(a.facts.id).not.toBe(b.facts.id);
    // `exit 5` may still be running when the engine lists it on a loaded machine: its exit arrives as an event.
    await until('the batch to have exited', () => get(rid(SECOND, 'batch'))?.runtime === 'error', 20_000);
    expect(get(rid(SECOND, 'batch'))).toMatchObject({ runtime: 'error', reasons: [{ text: 'exited with code 5' }] });
    expect(get(rid(RIG, 'batch'))).toBeUndefined();
    // A name that is on both engines is not silently one of them.
    await expect(client.request('logs:tail', { resource: `${PROJECT}/web`, tail: 1 })).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(rid(SECOND, 'web')) });
  });

  it('logs and actions go to the engine the resource lives on', async () => {
    const lines = async (id: string) => (await client.request('logs:tail', { resource: id, tail: 5 })).lines.map((l) => l.text);
    await until('lines on both engines', async () => (await lines(rid(RIG, 'web'))).length > 0 && (await lines(rid(SECOND, 'web'))).length > 0, 15_000, 250);
    expect((await lines(rid(RIG, 'web'))).every((t) => t.startsWith('engine rig line'))).toBe(true);
    expect((await lines(rid(SECOND, 'web'))).every((t) => t.startsWith('engine second line'))).toBe(true);

    const preview = await client.request('action:preview', { resource: rid(SECOND, 'web'), action: 'stop' });
    expect(preview.steps).toEqual([{ endpoint: SECOND, call: expect.stringMatching(/^POST \/containers\/[0-9a-f]{64}\/stop\?t=10$/) }]);
    const res = await client.request('action:run', { resource: rid(SECOND, 'web'), action: 'stop', confirmed: true });
    expect(res).toMatchObject({ outcome: 'ok', resource: { id: rid(SECOND, 'web'), runtime: 'warning' } });
    expect((await other.getContainer(`${PROJECT}-web-1`).inspect()).State.Running).toBe(false);
    expect((await rig.getContainer(`${PROJECT}-web-1`).inspect()).State.Running).toBe(true);
    expect(get(rid(RIG, 'web'))!.runtime).toBe('ok');
  });

  it('`pilothouse status --json` shows both engines side by side', async () => {
    const r = await run(process.execPath, [path.join(REPO, 'bin/pilothouse.mjs'), 'status', '--json', '--group', PROJECT], {
      env: { ...process.env, DOCKER_HOST: rigHost, HOME: home, PILOTHOUSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'ph-data-')) },
    }).catch((e: { stdout: string }) => e);
    const out = JSON.parse(r.stdout) as { resources: Resource[]; endpoints: PlaneEndpoint[] };
    expect(out.resources.filter((x) => x.kind !== 'compose-project').map((x) => x.id).sort()).toEqual([rid(RIG, 'web'), rid(SECOND, 'batch'), rid(SECOND, 'web')]);
    // Each engine has its own project resource too.
    expect(out.resources.filter((x) => x.kind === 'compose-project').map((x) => x.id).sort()).toEqual([`${RIG}/${PROJECT}`, `${SECOND}/${PROJECT}`]);
    expect(out.endpoints.filter((e) => e.id === RIG || e.id === SECOND).map((e) => e.state)).toEqual(['connected', 'connected']);
  });

  it('one engine going away leaves the other alone', async () => {
    await other.getContainer(`${PROJECT}-web-1`).remove({ force: true });
    await other.getContainer(`${PROJECT}-batch-1`).remove({ force: true });
    await until('the second web to be gone', () => !get(rid(SECOND, 'web')), 15_000);
    await dockerd.stop();
    await until('the second engine to be unavailable', () => ep(SECOND)?.state === 'unavailable', 20_000);
    expect(ep(SECOND)!.message).toContain(dockerd.host);
    expect(ep(RIG)!.state).toBe('connected');
    expect(get(rid(RIG, 'web'))).toMatchObject({ runtime: 'ok', reasons: [] });
  });
});
