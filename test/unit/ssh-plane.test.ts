import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { statusScope } from '../../core/host/cli';
import type { PlaneEnv } from '../../core/planes/plane';
import { SshPlane } from '../../core/planes/ssh/plane';
import { sshConnectionsFor } from '../../core/planes/ssh/shared';
import { until } from '../support/wait';

// The plane without any network: which hosts it lists, which it connects, and what a wrong file does.
// Every address here is in TEST-NET-1 (192.0.2.0/24), which nothing answers; a dial would show as
// `connecting`, which is exactly what these tests look for not to happen.

const engines: Engine[] = [];
afterEach(() => { for (const e of engines.splice(0)) e.stop(); });

function setup(sshConfig: string, hostsYaml?: string): { env: PlaneEnv; engine: Engine; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ph-ssh-plane-unit-'));
  writeFileSync(path.join(dir, 'ssh_config'), sshConfig);
  mkdirSync(path.join(dir, 'config'));
  if (hostsYaml !== undefined) writeFileSync(path.join(dir, 'config', 'hosts.yaml'), hostsYaml);
  const env: PlaneEnv = {
    env: { PILOTHOUSE_SSH_CONFIG: path.join(dir, 'ssh_config'), PILOTHOUSE_CONFIG_DIR: path.join(dir, 'config'), USER: 'op' },
    home: path.join(dir, 'home'),
    now: Date.now,
    dataDir: path.join(dir, 'data'),
  };
  const engine = new Engine({ dataDir: env.dataDir!, env: env.env, home: env.home, planes: [new SshPlane(env)] });
  engines.push(engine);
  return { env, engine, dir };
}

const CONFIG = 'Host *.lab !skip.lab\n  User lab\nHost alpha beta\n  HostName 192.0.2.10\nHost gamma\n  HostName 192.0.2.11\n  Port 2200\n';

describe('the SSH plane, without a network', () => {
  it('lists every concrete alias of the ssh config as idle, never connects them, and does not count them as problems', async () => {
    const { env, engine } = setup(CONFIG);
    await engine.start();
    const eps = engine.endpoints();
    expect(eps.map((e) => [e.id, e.state])).toEqual([['ssh/alpha', 'idle'], ['ssh/beta', 'idle'], ['ssh/gamma', 'idle']]);
    expect(eps.find((e) => e.id === 'ssh/gamma')).toMatchObject({ target: 'op@192.0.2.11:2200', source: expect.stringMatching(/ssh_config line 5$/) });
    const gamma = engine.find('ssh/gamma/host/gamma');
    expect(gamma).toMatchObject({ runtime: 'not_applicable', actions: [{ id: 'connect', label: 'Connect' }] });
    expect(gamma.reasons.map((r) => r.text)).toEqual(['not connected (not named in hosts.yaml): Connect to look at it']);
    for (const c of sshConnectionsFor(env).list()) expect(c.state.state).toBe('idle');

    // A laptop's sleep and wake must not dial every alias either.
    engine.suspend();
    engine.resume();
    for (const c of sshConnectionsFor(env).list()) expect(c.state.state).toBe('idle');
  });

  it('connects the hosts hosts.yaml names, including one only hosts.yaml knows', async () => {
    const { env, engine } = setup(CONFIG, 'hosts:\n  gamma: {docker: true}\n  lab-box: {hostName: 192.0.2.12, user: kraken, port: 2222}\n');
    const started = engine.start();
    await until('dialling', () => sshConnectionsFor(env).get('lab-box').state.state !== 'idle', 5_000);
    expect(sshConnectionsFor(env).get('gamma').state.state).not.toBe('idle');
    expect(sshConnectionsFor(env).get('alpha').state.state).toBe('idle');
    const eps = new Map(engine.endpoints().map((e) => [e.id, e]));
    expect(eps.get('ssh/lab-box')).toMatchObject({ state: 'connecting', target: 'kraken@192.0.2.12:2222', source: expect.stringMatching(/hosts\.yaml line 3$/) });
    engine.stop();
    await started;
  });

  it('a wrong entry in hosts.yaml is its own endpoint with file, line and field; the others load', async () => {
    const { engine, dir } = setup(CONFIG, 'hosts:\n  alpha:\n    mounts: [relative]\n');
    await engine.start();
    const alpha = engine.endpoints().find((e) => e.id === 'ssh/alpha')!;
    expect(alpha).toMatchObject({ state: 'unavailable', configError: true });
    expect(alpha.message).toBe(`${path.join(dir, 'config', 'hosts.yaml')} line 3: hosts.alpha.mounts.0: a mount point is an absolute path without blanks`);
    expect(engine.hasConfigError()).toBe(true);
    expect(engine.endpoints().find((e) => e.id === 'ssh/beta')?.state).toBe('idle');
  });

  it('`status --plane ssh` without any SSH host is an empty list, not a usage error', async () => {
    const { engine } = setup('');
    await engine.start();
    expect(engine.endpoints()).toEqual([]);
    expect(statusScope({ plane: ['ssh'] }, engine.endpoints(), engine.planes.map((p) => p.name))).toEqual({ planes: ['ssh'] });
    expect(() => statusScope({ plane: ['nope'] }, engine.endpoints(), ['ssh'])).toThrow(/no plane 'nope' here \(planes: ssh\)/);
  });

  it('a broken ssh config is named with its file and line', async () => {
    const { engine, dir } = setup('Host a\n  Port twenty\n');
    await engine.start();
    const ep = engine.endpoints().find((e) => e.id === 'ssh/(ssh config)')!;
    expect(ep).toMatchObject({ configError: true, message: `${path.join(dir, 'ssh_config')} line 2: Port: "twenty" is not a number from 1 to 65535` });
  });

  it('reads hosts.yaml again when it is written: a new host appears, a removed one goes', async () => {
    const { env, engine, dir } = setup(CONFIG, 'hosts:\n  extra: {hostName: 192.0.2.14}\n');
    await engine.start();
    expect(engine.endpoints().map((e) => e.id)).toEqual(['ssh/extra', 'ssh/alpha', 'ssh/beta', 'ssh/gamma']);
    writeFileSync(path.join(dir, 'config', 'hosts.yaml'), 'hosts:\n  new-box: {hostName: 192.0.2.13}\n');
    await until('new-box listed, extra gone', () => {
      const ids = engine.endpoints().map((e) => e.id);
      return ids.includes('ssh/new-box') && !ids.includes('ssh/extra');
    }, 5_000);
    expect(() => engine.find('ssh/extra/host/extra')).toThrow(/no resource/);
    expect(sshConnectionsFor(env).get('new-box').state.state).not.toBe('idle');
  });
});
