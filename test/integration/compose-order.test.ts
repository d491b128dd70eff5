import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/contract/client';
import type { Resource } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { runRemoteCommand } from '../../core/planes/ssh/command';
import { diskConfigFs } from '../../core/planes/ssh/config-fs';
import { SshConnection } from '../../core/planes/ssh/connection';
import { until } from '../support/wait';

// Run under `flock /tmp/ph-scenario.lock`: it applies the rig's host-reboot scenario (undone in afterAll)
// and starts and breaks alphakraken services on the rig's engine.
const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const SSH_CONFIG = path.join(REPO, '.rig/ssh/ssh_config');
const DOCKER_HOST_FILE = path.join(REPO, '.rig/docker/DOCKER_HOST');
const skip = !existsSync(SSH_CONFIG) ? `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)`
  : !existsSync(DOCKER_HOST_FILE) ? `no ${DOCKER_HOST_FILE}: start the rig (npm run rig -- up docker)` : undefined;

const EP = 'docker/kraken-workers';
const PROJECT = 'alphakraken';
const PID = `${EP}/${PROJECT}`;
const HOSTS_YAML = `hosts:
  kraken-workers:
    docker: true
    compose:
      - project: alphakraken
        dir: ~/alphakraken
        command: [./compose.sh]
        env: {ENV: production}
        order: [dbs, infrastructure, workers]
`;

async function scenario(name: string, undo = false): Promise<void> {
  await run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...(undo ? ['--undo'] : [])], { cwd: REPO, timeout: 120_000 });
}

/** The rig's docker CLI on the rig's engine (test set-up only: the product goes through the hosts). */
async function rigDocker(...args: string[]): Promise<string> {
  const host = readFileSync(DOCKER_HOST_FILE, 'utf8').trim();
  return (await run('/usr/bin/docker', args, { env: { ...process.env, DOCKER_HOST: host }, timeout: 60_000 })).stdout;
}

describe.skipIf(!!skip)(`the ordered start of alphakraken on kraken-workers after a reboot${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let client: Client;
  let applied = false;
  let broken = false;
  const get = (id: string): Resource | undefined => engine.list().find((r) => r.id === id);
  const ep = () => engine.endpoints().find((e) => e.id === EP);

  beforeAll(async () => {
    const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
    writeFileSync(path.join(configDir, 'hosts.yaml'), HOSTS_YAML);
    engine = new Engine({
      dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')),
      home: mkdtempSync(path.join(tmpdir(), 'ph-home-')),
      env: { PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, PILOTHOUSE_CONFIG_DIR: configDir, PATH: process.env.PATH },
    });
    await engine.start();
    client = connectInProcess(engine.handlers());
    await until('the engine on kraken-workers connected', () => ep()?.state === 'connected', 30_000);
  });

  afterAll(async () => {
    try {
      if (broken) {
        await rigDocker('exec', `${PROJECT}_webapp_1`, 'rigctl', 'healthy').catch(() => undefined);
        // Leave the rig as found: healthy again (the next check, within one 10 s interval).
        await until('webapp healthy again', async () => (await rigDocker('inspect', '-f', '{{.State.Health.Status}}', `${PROJECT}_webapp_1`)).trim() === 'healthy', 60_000, 1_000).catch(() => undefined);
      }
    } finally {
      client?.close();
      engine?.stop();
      if (applied) await scenario('host-reboot', true);
    }
  });

  it('a stopped docker service is said in the host\'s words; started over SSH, the engine comes back by itself', async () => {
    applied = true;
    await scenario('host-reboot');
    const down = await until('the endpoint to say docker is not running', () => {
      const e = ep();
      return e?.state === 'unavailable' && e.message?.includes('is not running') ? e : undefined;
    }, 60_000);
    expect(down.message).toBe('docker on kraken-workers is not running (systemctl is-active docker: inactive)');
    // The operator's runbook step, as an argument list through a connection of the test's own.
    const ssh = new SshConnection({ alias: 'kraken-workers', config: { fs: diskConfigFs, home: tmpdir(), localUser: 'pilothouse-test', path: SSH_CONFIG } });
    try {
      const r = await runRemoteCommand(ssh, ['sudo', '-n', 'systemctl', 'start', 'docker'], { timeoutMs: 20_000 });
      expect(r.exitCode).toBe(0);
    } finally {
      ssh.close();
    }
    await until('the engine back without a restart of the app', () => ep()?.state === 'connected', 40_000);
    // The reboot stopped the dbs and workers services: the model shows them exited.
    await until('postgres-service shown stopped', () => get(`${PID}/postgres-service`)?.facts.state?.startsWith('exited'));
  });

  it('starts dbs, then infrastructure, then workers, each step verified healthy before the next', async () => {
    const preview = await client.request('action:preview', { resource: PID, action: 'compose-start-in-order' });
    expect(preview.steps.map((s) => s.call)).toEqual(['dbs', 'infrastructure', 'workers'].map((p) =>
      `ssh kraken-workers: sh -c 'cd "$1" && shift && exec "$@"' sh alphakraken env ENV=production ./compose.sh --profile ${p} up -d`));
    const res = await client.request('action:run', { resource: PID, action: 'compose-start-in-order', confirmed: true });
    expect(res.outcome, res.message).toBe('ok');
    const log = res.log ?? [];
    const at = (text: string) => log.findIndex((l) => l.startsWith(text));
    // Each step's "healthy" comes before the next step's `up`, in the configured order.
    const marks = ['step 1 of 3 (dbs): up -d', 'step 1 of 3 (dbs): healthy', 'step 2 of 3 (infrastructure): up -d', 'step 2 of 3 (infrastructure): healthy', 'step 3 of 3 (workers): up -d', 'step 3 of 3 (workers): healthy'].map(at);
    expect(marks.every((i) => i >= 0), log.join('\n')).toBe(true);
    expect([...marks].sort((a, b) => a - b)).toEqual(marks);
    expect(log.join('\n')).toContain('postgres-service running, healthy');
    for (const s of ['postgres-service', 'redis-service', 'mongodb-service', 'airflow-worker-file-mover', 'airflow-worker-astral1']) {
      expect(get(`${PID}/${s}`)?.facts.state, s).toBe('running (healthy)');
    }
    // The dbs were healthy before any worker started: the workers' start is later than the dbs' health.
    const started = (s: string) => Date.parse(get(`${PID}/${s}`)!.facts.started!);
    expect(started('airflow-worker-file-mover')).toBeGreaterThan(started('postgres-service') + 5_000);
  });

  it('a step whose service does not get healthy stops the start with a report naming it and its last health output', async () => {
    broken = true;
    await rigDocker('exec', `${PROJECT}_webapp_1`, 'rigctl', 'unhealthy');
    await until('webapp unhealthy in the model', () => get(`${PID}/webapp`)?.facts.state === 'running (unhealthy)', 90_000);
    const res = await client.request('action:run', { resource: PID, action: 'compose-start-in-order', confirmed: true });
    expect(res.outcome).toBe('failed');
    expect(res.message).toMatch(/^Start in order \(dbs → infrastructure → workers\) failed: stopped at step 2 of 3 \(infrastructure\): webapp did not get healthy: unhealthy after \d+ failed health checks \(last exit \d+\); last health check said: .+\. Done: dbs\. Not started: workers\.$/);
    expect(res.log?.some((l) => l.startsWith('step 3 of 3'))).toBe(false);
    expect(get(PID)).toMatchObject({ update: 'error' });
  });
});
