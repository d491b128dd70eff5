import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/contract/client';
import type { Resource, ViewItem } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { until } from '../support/wait';

// Run under `flock /tmp/ph-scenario.lock`: it restarts a container of the rig's alphakraken project and
// needs the ssh hosts' docker service running.
const REPO = path.resolve(import.meta.dirname, '../..');
const SSH_CONFIG = path.join(REPO, '.rig/ssh/ssh_config');
const DOCKER_HOST_FILE = path.join(REPO, '.rig/docker/DOCKER_HOST');
const skip = !existsSync(SSH_CONFIG) ? `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)`
  : !existsSync(DOCKER_HOST_FILE) ? `no ${DOCKER_HOST_FILE}: start the rig (npm run rig -- up docker)` : undefined;

const WORKERS = 'docker/kraken-workers';
const DBS = 'docker/kraken-dbs';
const LOCAL = 'docker/env';
const PROJECT = 'alphakraken';

export const HOSTS_YAML = `hosts:
  kraken-workers:
    docker: true
    compose:
      - project: alphakraken
        dir: ~/alphakraken
        command: [./compose.sh]
        env: {ENV: production}
        order: [dbs, infrastructure, workers]
  kraken-dbs:
    docker: true
`;

describe.skipIf(!!skip)(`Docker engines on the rig's SSH hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let client: Client;
  let dataDir: string;
  const get = (id: string): Resource | undefined => engine.list().find((r) => r.id === id);
  // Every API call of a remote engine reuses a kept SSH channel; a listener left per reuse is a leak.
  const warnings: string[] = [];
  const onWarning = (w: Error) => { warnings.push(`${w.name}: ${w.message}`); };

  beforeAll(async () => {
    process.on('warning', onWarning);
    const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
    writeFileSync(path.join(configDir, 'hosts.yaml'), HOSTS_YAML);
    dataDir = mkdtempSync(path.join(tmpdir(), 'ph-data-'));
    // The rig's engine is also reached locally (DOCKER_HOST): the same daemon, a third endpoint.
    engine = new Engine({
      dataDir,
      home: mkdtempSync(path.join(tmpdir(), 'ph-home-')),
      env: { PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, PILOTHOUSE_CONFIG_DIR: configDir, DOCKER_HOST: readFileSync(DOCKER_HOST_FILE, 'utf8').trim(), PATH: process.env.PATH },
    });
    await engine.start();
    client = connectInProcess(engine.handlers());
  });

  afterAll(async () => {
    process.off('warning', onWarning);
    client?.close();
    engine?.stop();
  });

  it('both hosts are endpoints of their own, connected over SSH, and each lists the alphakraken services with its own ids', async () => {
    await until('both remote engines connected', () => [WORKERS, DBS].every((id) => engine.endpoints().find((e) => e.id === id)?.state === 'connected'), 30_000);
    const eps = engine.endpoints();
    expect(eps.find((e) => e.id === WORKERS)).toMatchObject({ plane: 'docker', name: 'kraken-workers', target: 'ssh kraken-workers: docker system dial-stdio' });
    expect(eps.find((e) => e.id === DBS)?.source).toContain('hosts.kraken-dbs.docker');
    await until('the local endpoint too', () => eps.find((e) => e.id === LOCAL)?.state === 'connected' || engine.endpoints().find((e) => e.id === LOCAL)?.state === 'connected');
    const services = (ep: string) => engine.list({ endpoints: [ep], groups: [PROJECT] }).filter((r) => r.kind === 'compose-service').map((r) => r.name).sort();
    await until('the services on each endpoint', () => [WORKERS, DBS, LOCAL].every((ep) => services(ep).includes('postgres-service')));
    // One daemon seen three ways: three sets of resources, the same names, never the same id.
    expect(services(WORKERS)).toEqual(services(LOCAL));
    expect(services(DBS)).toEqual(services(LOCAL));
    expect(services(WORKERS)).toEqual(expect.arrayContaining(['postgres-service', 'redis-service', 'airflow-webserver', 'monitoring']));
    const ids = engine.list().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(get(`${WORKERS}/${PROJECT}/postgres-service`)).toMatchObject({ endpoint: WORKERS, group: { kind: 'compose-project', name: PROJECT } });
    expect(get(`${DBS}/${PROJECT}/postgres-service`)).toMatchObject({ endpoint: DBS });
  });

  it('the project configured for kraken-workers is a resource with the compose operations and the ordered start', () => {
    const p = get(`${WORKERS}/${PROJECT}`)!;
    expect(p).toMatchObject({ kind: 'compose-project', runtime: 'not_applicable', facts: { host: 'kraken-workers', dir: '~/alphakraken', 'compose command': './compose.sh', environment: 'ENV', 'start order': 'dbs → infrastructure → workers' } });
    expect(p.actions.map((a) => a.label)).toEqual(['Start in order (dbs → infrastructure → workers)', 'Up', 'Restart', 'Stop', 'Down']);
    expect(p.actions.find((a) => a.id === 'compose-down')?.confirm).toBe('type-name');
    expect(p.children).toContain(`${WORKERS}/${PROJECT}/postgres-service`);
    // kraken-dbs has no compose entry: its project is known from the containers only, whose labels name
    // a directory on the rig's machine, so its actions are offered too, run on that host.
    expect(get(`${DBS}/${PROJECT}`)?.facts.host).toBeUndefined();
  });

  it('previews the compose commands with the exact argument list and host', async () => {
    const up = await client.request('action:preview', { resource: `${WORKERS}/${PROJECT}`, action: 'compose-start-in-order' });
    expect(up.steps).toHaveLength(3);
    expect(up.steps[0]).toEqual({ endpoint: WORKERS, call: `ssh kraken-workers: sh -c 'cd "$1" && shift && exec "$@"' sh alphakraken env ENV=production ./compose.sh --profile dbs up -d` });
    const down = await client.request('action:preview', { resource: `${WORKERS}/${PROJECT}`, action: 'compose-down' });
    expect(down.typeToConfirm).toBe(PROJECT);
    expect(down.steps[0].call).toContain('./compose.sh --profile dbs --profile infrastructure --profile workers down');
  });

  it('looking at a project asks its host for the compose CLI once, so the preview names the exact command', async () => {
    const id = `${DBS}/${PROJECT}`;
    const first = await client.request('action:preview', { resource: id, action: 'compose-up' });
    expect(first.steps[0].call).toContain('(or docker-compose: the compose CLI is detected on the host when this runs)');
    const sub = client.subscribe('stack:watch', { scope: { ids: [id] }, level: 'full' }, { onBatch: () => {} });
    try {
      // kraken-dbs has Debian's docker 20.10 without the plugin: `docker compose version` fails there.
      const dir = path.join(REPO, 'test/rig/docker/compose');
      await until('the preview to name the host\'s compose CLI', async () => (await client.request('action:preview', { resource: id, action: 'compose-up' })).steps[0].call
        === `ssh kraken-dbs: sh -c 'cd "$1" && shift && exec "$@"' sh ${dir} docker-compose -f ${dir}/alphakraken.yml -p alphakraken up -d`, 20_000);
    } finally {
      sub.close();
    }
  });

  it('reads a remote container\'s log through the follow engine', async () => {
    const lines = await engine.tailLogs(`${WORKERS}/${PROJECT}/monitoring`, 5);
    expect(lines.length).toBeGreaterThan(0);
  });

  it('streams CPU and memory of the resource a full view looks at, and stops when it looks away', async () => {
    const id = `${WORKERS}/${PROJECT}/redis-service`;
    const items: ViewItem[] = [];
    const sub = client.subscribe('stack:watch', { scope: { ids: [id] }, level: 'full' }, { onBatch: (b) => items.push(...b) });
    const withStats = await until('cpu and memory facts', () => { const r = get(id); return r?.facts.cpu && r.facts.memory ? r : undefined; }, 20_000);
    expect(withStats.facts.cpu).toMatch(/^\d+\.\d %$/);
    expect(withStats.facts.memory).toMatch(/^[\d.]+ (KiB|MiB|GiB)( of [\d.]+ (KiB|MiB|GiB))?$/);
    await until('the view to carry them', () => items.some((i) => (i.upsert as Resource[]).some((r) => r.id === id && r.facts?.cpu)));
    sub.close();
    await until('the stats to leave the model', () => get(id) && !get(id)!.facts.cpu, 10_000);
  });

  it('a project hosts.yaml does not name runs compose on this machine, from its containers\' labels', async () => {
    const id = `${LOCAL}/${PROJECT}`;
    const dir = get(id)!.facts.dir;
    expect(dir).toBe(path.join(REPO, 'test/rig/docker/compose'));
    // `up` with no profile starts no alphakraken service (all have profiles): it changes nothing on the
    // shared rig, and still goes through detection, the directory, DOCKER_HOST and the project's files.
    const res = await client.request('action:run', { resource: id, action: 'compose-up', confirmed: true });
    expect(res.outcome, res.message).toBe('ok');
    const ran = res.log?.find((l) => l.startsWith('$ '));
    expect(ran).toMatch(new RegExp(`^\\$ on this machine, in ${dir}: DOCKER_HOST=unix://\\S+ (docker compose|docker-compose) -f ${dir}/alphakraken.yml -p alphakraken up -d$`));
    // The host's compose CLI was asked once and is now named in the preview.
    const preview = await client.request('action:preview', { resource: id, action: 'compose-stop' });
    expect(preview.steps[0].call).toMatch(/ (docker compose|docker-compose) -f \S+ -p alphakraken stop$/);
    expect(preview.steps[0].call).not.toContain('detected when this runs');
  });

  it('restarts a container on a remote engine: preview, run, verify, audit', async () => {
    const id = `${WORKERS}/${PROJECT}/monitoring`;
    const before = get(id)!.facts.started;
    // Someone looks at it meanwhile: its stats follow the container through the restart.
    const sub = client.subscribe('stack:watch', { scope: { ids: [id] }, level: 'full' }, { onBatch: () => {} });
    await until('stats before the restart', () => get(id)?.facts.cpu, 20_000);
    const preview = await client.request('action:preview', { resource: id, action: 'restart' });
    expect(preview.steps).toEqual([{ endpoint: WORKERS, call: expect.stringMatching(/^POST \/containers\/[0-9a-f]{64}\/restart\?t=10$/) }]);
    expect(preview.summary).toContain('on docker/kraken-workers (ssh kraken-workers: docker system dial-stdio)');
    const res = await client.request('action:run', { resource: id, action: 'restart', confirmed: true });
    expect(res).toMatchObject({ outcome: 'ok', resource: { id, update: 'idle' } });
    expect(res.resource!.facts.started).not.toBe(before);
    const audit = readFileSync(path.join(dataDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.at(-1)).toMatchObject({ action: 'docker.restart', outcome: 'ok', resource: id, steps: preview.steps, target: preview.summary });
    // The local endpoint sees the same daemon: the restart shows there too, through its own events.
    await until('the local view of the same container to restart', () => get(`${LOCAL}/${PROJECT}/monitoring`)?.facts.started === res.resource!.facts.started);
    await until('stats again after the restart', () => get(id)?.facts.started === res.resource!.facts.started && get(id)?.facts.cpu, 20_000);
    sub.close();
    // Leave the rig as it was: healthy again before the next test uses it.
    await until('monitoring healthy again', () => get(id)?.facts.state === 'running (healthy)', 60_000);
  });

  it('reuses its SSH channels call after call without piling up listeners on them', async () => {
    // The tests above made hundreds of calls over a few kept channels; a few dozen more on one engine:
    for (let i = 0; i < 30; i++) expect((await client.request('logs:tail', { resource: `${DBS}/${PROJECT}/postgres-service`, tail: 1 })).lines.length).toBeLessThanOrEqual(1);
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });
});
