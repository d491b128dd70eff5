import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/contract/client';
import type { Resource } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { until } from '../support/wait';

// Run under `flock /tmp/ph-scenario.lock`: it applies the rig's ssh-drop scenario to kraken-workers.
// The tunnel goes through kraken-workers to the node-exporter that listens on that host's own address
// (test/rig/docs/prometheus.md): a real HTTP server that only the host's network reaches.
const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const SSH_CONFIG = path.join(REPO, '.rig/ssh/ssh_config');
const HOSTS = path.join(REPO, '.rig/ssh/hosts.json');
const skip = !existsSync(SSH_CONFIG) ? `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)` : undefined;

const HOST = 'kraken-workers';
const ID = `ssh/${HOST}/tunnel/node-exporter`;

async function scenario(name: string, undo = false): Promise<void> {
  await run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...(undo ? ['--undo'] : [])], { cwd: REPO, env: { ...process.env, RIG_DROP_HOST: HOST }, timeout: 60_000 });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Whether something else can listen on the port now. */
async function portIsFree(port: number): Promise<boolean> {
  const s = net.createServer();
  try {
    await new Promise<void>((res, rej) => { s.once('error', rej); s.listen(port, '127.0.0.1', res); });
    await new Promise((r) => s.close(r));
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!!skip)(`a tunnel through ${HOST}${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let client: Client;
  let port: number;
  let address: string;
  const tunnel = (): Resource | undefined => engine.list().find((r) => r.id === ID);
  const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();

  beforeAll(async () => {
    address = (JSON.parse(readFileSync(HOSTS, 'utf8')) as Array<{ name: string; address: string }>).find((h) => h.name === HOST)!.address;
    port = await freePort();
    const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
    writeFileSync(path.join(configDir, 'hosts.yaml'), `hosts:\n  ${HOST}:\n    tunnels:\n      - {name: node-exporter, localPort: ${port}, remoteHost: ${address}, remotePort: 9100}\n`);
    // The rig's ssh_config with keepalives an operator on a flaky link would set: a drop is seen in seconds.
    const sshConfig = path.join(configDir, 'ssh_config');
    writeFileSync(sshConfig, `Host ${HOST}\n  ServerAliveInterval 1\n  ServerAliveCountMax 3\n\n${readFileSync(SSH_CONFIG, 'utf8')}`);
    engine = new Engine({
      dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')),
      home: mkdtempSync(path.join(tmpdir(), 'ph-home-')),
      env: { PILOTHOUSE_SSH_CONFIG: sshConfig, PILOTHOUSE_CONFIG_DIR: configDir, PATH: process.env.PATH },
    });
    await engine.start();
    client = connectInProcess(engine.handlers());
  });

  let stopped = false;
  afterAll(() => {
    client?.close();
    if (!stopped) engine?.stop();
  });

  it('listens on the declared port and carries a real request to the host’s own network', async () => {
    await until('the tunnel listening', () => tunnel()?.runtime === 'ok', 30_000);
    expect(tunnel()).toMatchObject({ kind: 'tunnel', plane: 'ssh', endpoint: `ssh/${HOST}`, group: { kind: 'host', name: HOST } });
    expect(tunnel()!.reason!.text).toBe(`listening: 127.0.0.1:${port} → ${address}:9100 via ${HOST}, 0 connections open`);
    const text = await metrics();
    // node-exporter runs in the host's UTS namespace: its uname says which machine answered.
    expect(text).toMatch(new RegExp(`node_uname_info\\{[^}]*nodename="${HOST}"`));
    // The response comes gzipped through the tunnel (fetch asks for it), so its bytes are fewer than its text.
    await until('bytes counted', () => Number(tunnel()?.facts['bytes in']) > 1000 && Number(tunnel()?.facts['bytes out']) > 50);
    expect(Number(tunnel()!.facts['connections total'])).toBeGreaterThanOrEqual(1);
  });

  it('says lost while the host does not answer, refuses at once meanwhile, and carries requests again after --undo', async () => {
    await until('the tunnel listening', () => tunnel()?.runtime === 'ok', 30_000);
    try {
      await scenario('ssh-drop');
      const lost = await until('the tunnel lost', () => (tunnel()?.reason?.text.startsWith('lost:') ? tunnel() : undefined), 30_000);
      expect(lost.runtime).not.toBe('ok');
      expect(lost.reason!.text).toMatch(new RegExp(`^lost: the connection to ${HOST} dropped \\(.+\\); retrying at \\d\\d:\\d\\d:\\d\\d UTC, local port ${port} kept and refusing$`));
      // The port is still held (nothing else can take it) and a client is turned away, not left hanging.
      expect(await portIsFree(port)).toBe(false);
      await expect(metrics()).rejects.toThrow();
    } finally {
      await scenario('ssh-drop', true);
    }
    await until('the tunnel listening again', () => tunnel()?.runtime === 'ok' || tunnel()?.runtime === 'warning', 90_000);
    expect(await metrics()).toContain('node_uname_info');
  });

  it('closes through the action (the port is free afterwards) and opens again', async () => {
    await until('the tunnel listening', () => tunnel()?.reason?.text.startsWith('listening'), 30_000);
    const preview = await client.request('action:preview', { resource: ID, action: 'tunnel-close' });
    expect(preview.steps).toEqual([{ endpoint: `ssh/${HOST}`, call: `stop listening on 127.0.0.1:${port}; close its forwarded connections` }]);
    const closed = await client.request('action:run', { resource: ID, action: 'tunnel-close', confirmed: true });
    expect(closed.outcome).toBe('ok');
    expect(JSON.parse(closed.audit)).toMatchObject({ action: 'ssh.tunnel-close', resource: ID, outcome: 'ok' });
    expect(await portIsFree(port)).toBe(true);
    expect(tunnel()).toMatchObject({ runtime: 'not_applicable', actions: [{ id: 'tunnel-open' }] });

    const opened = await client.request('action:run', { resource: ID, action: 'tunnel-open', confirmed: true });
    expect(opened.outcome).toBe('ok');
    expect(await metrics()).toContain('node_uname_info');
  });

  it('lets the port go when the engine stops', async () => {
    expect(await portIsFree(port)).toBe(false);
    client.close();
    engine.stop();
    stopped = true;
    await until('the port free', () => portIsFree(port), 10_000);
  });
});
