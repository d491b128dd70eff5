import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { until } from '../support/wait';

// Run under `flock /tmp/ph-scenario.lock` (it depends on the rig's ssh hosts). The rig's Airflows listen
// on this machine's loopback, which no rig host can reach; what a kraken host's own network does offer is
// its node-exporter (an HTTP server). An instance pointed there `via` the host proves the requests travel
// over the SSH plane's connection to that host, and that something answering which is not Airflow is
// named as such rather than taken for one.
const REPO = path.resolve(import.meta.dirname, '../..');
const SSH_CONFIG = path.join(REPO, '.rig/ssh/ssh_config');
const HOSTS = path.join(REPO, '.rig/ssh/hosts.json');
const skip = !existsSync(SSH_CONFIG) ? `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)` : undefined;
const HOST = 'kraken-workers';

describe.skipIf(!!skip)(`an Airflow reached through ssh ${HOST}${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let address: string;

  beforeAll(async () => {
    address = (JSON.parse(readFileSync(HOSTS, 'utf8')) as Array<{ name: string; address: string }>).find((h) => h.name === HOST)!.address;
    const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
    writeFileSync(path.join(configDir, 'pw'), 'unused\n');
    writeFileSync(path.join(configDir, 'airflow.yaml'), `airflows:\n  behind:\n    username: admin\n    passwordFile: ${path.join(configDir, 'pw')}\n    via: {ssh: ${HOST}, host: ${address}, port: 9100}\n`);
    engine = new Engine({
      dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')),
      home: mkdtempSync(path.join(tmpdir(), 'ph-home-')),
      env: { PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, PILOTHOUSE_CONFIG_DIR: configDir, DOCKER_HOST: 'unix:///nonexistent.sock', KUBECONFIG: '/nonexistent', PATH: process.env.PATH },
    });
    await engine.start();
  });

  afterAll(() => engine?.stop());

  it('asks over the host\'s SSH connection and names what answered when it is not Airflow', async () => {
    const ep = await until('the endpoint to say what answered', () => {
      const e = engine.endpoints().find((x) => x.id === 'airflow/behind');
      return e?.state === 'unavailable' ? e : undefined;
    }, 30_000);
    expect(ep.target).toBe(`http://${address}:9100 through ssh ${HOST} (to ${address}:9100 there)`);
    expect(ep.message).toMatch(/^airflow\/behind: GET \/api\/v2\/version: 200 OK \(not an Airflow API; it answered: <html> <head><title>Node Exporter<\/title>/);
    expect(ep.message).toMatch(/; retrying at \d\d:\d\d:\d\d UTC$/);
  });
});
