import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { relay, type Relay } from '../support/relay';
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
    expect(ep.message).toMatch(/; tried again when someone looks at its pools$/);
  });

  // The rig's bridge address, which every rig host reaches (test/rig/docs/ssh.md).
  const BRIDGE = '10.177.0.1';
  const AIRFLOW = path.join(REPO, '.rig/airflow');
  const noAirflow = !existsSync(path.join(AIRFLOW, 'url')) ? `no ${AIRFLOW}/url: start the rig (npm run rig -- up airflow)` : undefined;

  it.skipIf(!!noAirflow)(`a real Airflow on the host's network: connected through the host, its pools listed${noAirflow ? ` (skipped: ${noAirflow})` : ''}`, async () => {
    const url = new URL(readFileSync(path.join(AIRFLOW, 'url'), 'utf8').trim());
    const r: Relay = await relay(BRIDGE, { host: url.hostname, port: Number(url.port) });
    const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
    writeFileSync(path.join(configDir, 'airflow.yaml'), `airflows:\n  lab:\n    username: ${readFileSync(path.join(AIRFLOW, 'username'), 'utf8').trim()}\n    passwordFile: ${path.join(AIRFLOW, 'password')}\n    via: {ssh: ${HOST}, host: ${BRIDGE}, port: ${r.port}}\n`);
    const e = new Engine({
      dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')),
      home: mkdtempSync(path.join(tmpdir(), 'ph-home-')),
      env: { PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, PILOTHOUSE_CONFIG_DIR: configDir, DOCKER_HOST: 'unix:///nonexistent.sock', KUBECONFIG: '/nonexistent', PATH: process.env.PATH },
    });
    try {
      await e.start();
      const ep = await until('airflow/lab connected through the host', () => e.endpoints().find((x) => x.id === 'airflow/lab' && x.state === 'connected'), 30_000);
      expect(ep.message).toMatch(/^connected as Airflow 2\.\d+\.\d+ via \/api\/v1 \(basic auth\)(; pools last read at \d\d:\d\d:\d\d UTC, read again when someone looks at them)?$/);
      expect(ep.target).toBe(`http://${BRIDGE}:${r.port} through ssh ${HOST} (to ${BRIDGE}:${r.port} there)`);
      const pool = await until('file_copy_pool read through the host', () => e.list({ ids: ['airflow/lab/pool/file_copy_pool'] })[0], 20_000);
      expect(pool.facts.slots).toBe('3');
      // Every request came from the host, none straight from this machine past the SSH connection.
      expect([...r.peers]).toEqual([address]);
    } finally {
      e.stop();
      await r.close();
    }
  });
});
