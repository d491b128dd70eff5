import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/contract/client';
import type { LogLine, Resource, StackPatch } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { dockerClient, ITEST_PROJECT, removeItestProject, runContainer, startItestProject, testDockerHost } from '../support/docker-fixtures';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const host = testDockerHost();
const rigDocker = existsSync(path.join(REPO, '.rig/docker/DOCKER_HOST')) && readFileSync(path.join(REPO, '.rig/docker/DOCKER_HOST'), 'utf8').trim() === host;

let docker: Docker;
let engine: Engine;
let client: Client;
let dataDir: string;
const byName = (name: string) => engine.list().find((r) => r.group === ITEST_PROJECT && r.name === name);

beforeAll(async () => {
  docker = dockerClient(host);
  await docker.ping().catch((e) => { throw new Error(`no Docker engine at ${host} (${e.message}): start one with 'npm run rig -- up docker'`); });
  await startItestProject(docker);
  dataDir = mkdtempSync(path.join(tmpdir(), 'ph-data-'));
  engine = new Engine({ dataDir, env: { DOCKER_HOST: host } });
  await engine.start();
  client = connectInProcess(engine.handlers());
});

afterAll(async () => {
  client?.close();
  engine?.stop();
  if (docker) await removeItestProject(docker);
});

describe('Docker plane against a real engine', () => {
  it('groups containers by compose project and explains the unhealthy and the exited ones', async () => {
    const search = await until('search to be reported unhealthy', () => byName('search')?.runtime === 'error' && byName('search'));
    expect(search.reasons[0]).toMatch(/^unhealthy: \d+ failing health checks?; last output: cluster health: yellow \(timed_out: true\)$/);
    expect(byName('migrate')).toMatchObject({ runtime: 'error', reasons: ['exited with code 3'], actions: ['start'] });
    await until('web to be healthy', () => byName('web')?.runtime === 'ok');
    const loner = engine.list().find((r) => r.name === 'pilothouse-itest-loner');
    expect(loner).toMatchObject({ group: 'standalone', runtime: 'ok' });
  });

  it('`pilothouse status --json` reports the test containers with their health and exits 1', async () => {
    const bin = path.join(REPO, 'bin/pilothouse.mjs');
    const r = await run(process.execPath, [bin, 'status', '--json'], { env: { ...process.env, DOCKER_HOST: host, PILOTHOUSE_DATA_DIR: dataDir } }).then(
      () => { throw new Error('status exited 0 although containers are unhealthy'); },
      (e: { code: number; stdout: string }) => e,
    );
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { resources: Array<Pick<Resource, 'name' | 'group' | 'plane' | 'runtime' | 'update' | 'reasons'>> };
    const mine = out.resources.filter((x) => x.group === ITEST_PROJECT).sort((a, b) => a.name.localeCompare(b.name));
    expect(mine.map((x) => [x.name, x.runtime])).toEqual([['migrate', 'error'], ['search', 'error'], ['web', 'ok']]);
    expect(Object.keys(mine[0]).sort()).toEqual(['group', 'name', 'plane', 'reasons', 'runtime', 'update']);
    expect(mine[0]).toMatchObject({ plane: 'docker', update: 'idle', reasons: ['exited with code 3'] });
  });

  it('reads logs with timestamps, stdout and stderr apart', async () => {
    await until('a few web log lines', async () => (await client.request('logs:tail', { resource: `${ITEST_PROJECT}/web`, tail: 20 })).lines.some((l) => l.stream === 'stderr'), 20_000, 500);
    const { lines } = await client.request('logs:tail', { resource: `${ITEST_PROJECT}/web`, tail: 50 });
    expect(lines.some((l) => l.stream === 'stdout' && /^INFO served request \d+$/.test(l.text))).toBe(true);
    expect(lines.some((l) => l.stream === 'stderr' && /^WARN slow request \d+$/.test(l.text))).toBe(true);
    expect(lines.every((l) => l.ts && !Number.isNaN(Date.parse(l.ts)))).toBe(true);
    const failed = await client.request('logs:tail', { resource: `${ITEST_PROJECT}/migrate`, tail: 10 });
    expect(failed.lines.map((l) => [l.stream, l.text])).toEqual([['stderr', 'ERROR: config file /etc/app.yaml missing']]);
  });

  it('follows a log live: a line written now arrives', async () => {
    const got: LogLine[] = [];
    const sub = client.subscribe('logs:follow', { resource: `${ITEST_PROJECT}/web`, tail: 0 }, { onBatch: (b) => got.push(...b) });
    const marker = `MARKER-${Date.now()}`;
    await new Promise((r) => setTimeout(r, 500));
    const exec = await docker.getContainer('pilothouse-itest-web-1').exec({ Cmd: ['sh', '-c', `echo ${marker} > /proc/1/fd/1`] });
    await exec.start({ Detach: true });
    await until(`the line ${marker}`, () => got.some((l) => l.text === marker), 15_000);
    sub.close();
  });

  it('sees containers come, change and go through the event stream', async () => {
    const patches: StackPatch[] = [];
    const sub = client.subscribe('stack:watch', {}, { onBatch: (b) => patches.push(...b) });
    await until('the snapshot', () => patches.length > 0);
    expect(patches[0].kind).toBe('snapshot');
    const c = await runContainer(docker, { name: 'pilothouse-itest-late-1', service: 'late', cmd: ['sh', '-c', 'sleep 300'] });
    await until('late to appear as ok', () => patches.some((p) => p.kind === 'patch' && p.upsert.some((r) => r.name === 'late' && r.runtime === 'ok')), 15_000);
    await c.kill({ signal: 'SIGKILL' });
    await until('late to show exit 137', () => patches.some((p) => p.kind === 'patch' && p.upsert.some((r) => r.name === 'late' && r.reasons[0] === 'exited with code 137 (SIGKILL)')), 15_000);
    await c.remove();
    await until('late to be removed', () => patches.some((p) => p.kind === 'patch' && p.remove.includes(`docker/${ITEST_PROJECT}/late`)), 15_000);
    sub.close();
  });

  it('refuses an unconfirmed restart; a confirmed one restarts the container and appends one audit line', async () => {
    const before = (await docker.getContainer('pilothouse-itest-web-1').inspect()).State.StartedAt;
    await expect(client.request('resource:action', { resource: `${ITEST_PROJECT}/web`, action: 'restart' } as never)).rejects.toMatchObject({ code: 'invalid-input' });
    const res = await client.request('resource:action', { resource: `${ITEST_PROJECT}/web`, action: 'restart', confirmed: true });
    const after = (await docker.getContainer('pilothouse-itest-web-1').inspect()).State.StartedAt;
    expect(after).not.toBe(before);
    expect(res.resource.facts.state).toMatch(/^running/);
    const audit = readFileSync(path.join(dataDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'docker.restart', outcome: 'ok' });
    expect(audit[0].target).toContain(`${ITEST_PROJECT}/web (container `);
    expect(audit[0].target).toContain(host);
    expect(JSON.parse(res.audit)).toEqual(audit[0]);
  });
});

describe('recovery', () => {
  // Restarting a daemon under test is only safe on the rig's own engine, never on a developer's.
  it.skipIf(!rigDocker)('after the rig dockerd goes down and comes back (needs the rig docker: npm run rig -- up docker)', async () => {
    await runContainer(docker, { name: 'pilothouse-itest-keeper-1', service: 'keeper', restart: 'unless-stopped', cmd: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "keeper tick $i"; sleep 1; done'] });
    await until('keeper to be ok', () => byName('keeper')?.runtime === 'ok', 15_000);
    const got: LogLine[] = [];
    const sub = client.subscribe('logs:follow', { resource: `${ITEST_PROJECT}/keeper`, tail: 0 }, { onBatch: (b) => got.push(...b) });
    await until('keeper ticks', () => got.some((l) => l.text.startsWith('keeper tick')), 10_000);

    await run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', 'docker-daemon-restart'], { env: { ...process.env, RIG_DOCKER_KEEP_DOWN: '1' } });
    await until('the engine to be reported unavailable', () => engine.endpoints()[0].state === 'unavailable', 20_000);
    expect(engine.endpoints()[0].message).toContain(host);
    expect(byName('keeper')).toMatchObject({ runtime: 'unknown' });
    await until('the log view to say the stream stopped', () => got.some((l) => l.stream === 'system' && /waiting to resume/.test(l.text)), 10_000);

    await run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', 'docker-daemon-restart', '--undo'], { timeout: 300_000 });
    await until('the engine to reconnect', () => engine.endpoints()[0].state === 'connected', 60_000, 250);
    await until('keeper to be running again', () => byName('keeper')?.runtime === 'ok', 60_000);
    // The daemon stopped the containers without a restart policy: the fresh list must say so.
    expect(byName('search')?.reasons[0] ?? '').toMatch(/^exited with code/);
    const mark = got.length;
    await until('keeper log lines after the restart', () => got.slice(mark).some((l) => l.text.startsWith('keeper tick')), 30_000);
    sub.close();
  }, 420_000); // the undo brings 33 rig containers back to healthy: minutes on a loaded 2-core runner
});
