// Run under `flock /tmp/ph-scenario.lock`: it applies the rig's host-key-changed, ssh-drop and
// host-reboot scenarios (always undone in a finally) and needs the ssh hosts up.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import type { PlaneEnv } from '../../core/planes/plane';
import { SshPlane } from '../../core/planes/ssh/plane';
import type { HostObjectData } from '../../core/planes/ssh/rules';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const RIG_SSH = path.join(REPO, '.rig/ssh');
const SSH_CONFIG = path.join(RIG_SSH, 'ssh_config');
const skip = existsSync(SSH_CONFIG) ? undefined : `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)`;

interface RigHost { name: string; mounts: string[] }
const HOSTS = ['kraken-dbs', 'kraken-infra', 'kraken-workers', 'cluster-head'];

async function scenario(name: string, undo = false, env: Record<string, string> = {}): Promise<void> {
  await run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...(undo ? ['--undo'] : [])], { cwd: REPO, env: { ...process.env, ...env }, timeout: 120_000 });
}

async function fingerprintOf(pubFile: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-lf', pubFile]);
  return stdout.split(' ')[1]!;
}

/**
 * A temp setup as an operator would have it: the rig's ssh config (keepalive every second, so a drop is
 * seen in seconds rather than OpenSSH's never), known_hosts where given, and a hosts.yaml naming the four
 * rig hosts with their mounts.
 */
function setup(opts: { knownHosts?: string; dataDir?: string } = {}): { env: PlaneEnv; dataDir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ph-ssh-plane-'));
  let cfg = readFileSync(SSH_CONFIG, 'utf8');
  if (opts.knownHosts) cfg = cfg.replace(/^(\s*UserKnownHostsFile\s+).*$/gm, `$1${opts.knownHosts}`);
  cfg += '\nHost *\n  ServerAliveInterval 1\n  ServerAliveCountMax 3\n';
  writeFileSync(path.join(dir, 'ssh_config'), cfg);
  const rig = JSON.parse(readFileSync(path.join(RIG_SSH, 'hosts.json'), 'utf8')) as RigHost[];
  const yaml = ['hosts:', ...rig.map((h) => `  ${h.name}:\n    mounts: [${h.mounts.join(', ')}]\n    docker: ${h.name !== 'cluster-head'}`)].join('\n') + '\n';
  mkdirSync(path.join(dir, 'config'));
  writeFileSync(path.join(dir, 'config', 'hosts.yaml'), yaml);
  const dataDir = opts.dataDir ?? path.join(dir, 'data');
  const env: PlaneEnv = {
    env: { PILOTHOUSE_SSH_CONFIG: path.join(dir, 'ssh_config'), PILOTHOUSE_CONFIG_DIR: path.join(dir, 'config'), USER: 'pilothouse-test' },
    home: path.join(dir, 'home'),
    now: Date.now,
    dataDir,
  };
  return { env, dataDir };
}

function engineFor(s: { env: PlaneEnv; dataDir: string }): Engine {
  return new Engine({ dataDir: s.dataDir, env: s.env.env, home: s.env.home, planes: [new SshPlane(s.env)] });
}

const hostOf = (e: Engine, alias: string): Resource => e.find(`ssh/${alias}/host/${alias}`);
const reasonsOf = (e: Engine, alias: string) => hostOf(e, alias).reasons.map((r) => r.text).join(' | ');

describe.skipIf(!!skip)(`the SSH plane against the rig hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const rig = setup();
  let engine: Engine;

  beforeAll(async () => {
    engine = engineFor(rig);
    await engine.start();
  });
  afterAll(() => engine?.stop());

  it('connects the four hosts of hosts.yaml, cluster-head through its ProxyJump, and looks at each', async () => {
    for (const h of HOSTS) await until(`${h} looked at`, () => hostOf(engine, h).facts['looked at'], 30_000);
    const eps = new Map(engine.endpoints().map((e) => [e.name, e]));
    for (const h of HOSTS) expect(eps.get(h), h).toMatchObject({ id: `ssh/${h}`, plane: 'ssh', state: 'connected' });
    expect(eps.get('cluster-head')!.message).toBe('connected via kraken-infra');
    expect(eps.get('cluster-head')!.target).toBe('kraken-read@10.177.0.14:22 via kraken-infra');
    for (const h of HOSTS) expect(hostOf(engine, h), `${h}: ${reasonsOf(engine, h)}`).toMatchObject({ runtime: 'ok', kind: 'host', group: { kind: 'host', name: h } });
    const w = hostOf(engine, 'kraken-workers');
    expect(w.facts['mount /fs/pool/pool-instrument1']).toMatch(/^\d+% used/);
    expect(w.facts['unit docker']).toBe('active');
    expect(w.facts.uptime).toMatch(/^up since /);
  });

  it('closes every connection when the laptop sleeps and reconnects and looks again at once on wake', async () => {
    await until('all connected', () => HOSTS.every((h) => engine.endpoints().find((e) => e.name === h)?.state === 'connected'), 30_000);
    const lookedAt = hostOf(engine, 'kraken-infra').facts['looked at'];
    engine.suspend();
    for (const h of HOSTS) expect(engine.endpoints().find((e) => e.name === h), h).toMatchObject({ state: 'suspended', message: 'paused while the computer sleeps' });
    expect(hostOf(engine, 'kraken-infra')).toMatchObject({ runtime: 'unknown', reasons: [expect.objectContaining({ text: 'paused while the computer sleeps: last known state shown' })] });
    engine.resume();
    await until('all connected again', () => HOSTS.every((h) => engine.endpoints().find((e) => e.name === h)?.state === 'connected'), 30_000);
    await until('kraken-infra looked at again', () => hostOf(engine, 'kraken-infra').facts['looked at'] !== lookedAt && hostOf(engine, 'kraken-infra').runtime === 'ok', 30_000);
  });

  it('reads hosts.yaml again when it changes: a mistake is named with file, line and field, the other hosts stay', async () => {
    const s = setup();
    const file = path.join(s.env.env.PILOTHOUSE_CONFIG_DIR!, 'hosts.yaml');
    const good = readFileSync(file, 'utf8');
    const e6 = engineFor(s);
    try {
      await e6.start();
      await until('kraken-dbs connected', () => e6.endpoints().find((e) => e.id === 'ssh/kraken-dbs')?.state === 'connected', 30_000);
      writeFileSync(file, good.replace('  kraken-dbs:\n    mounts: [/fs/pool/pool-backup]', '  kraken-dbs:\n    mounts: [fs/pool/pool-backup]'));
      const bad = await until('kraken-dbs reported', () => e6.endpoints().find((e) => e.id === 'ssh/kraken-dbs' && e.configError), 10_000);
      expect(bad.message).toBe(`${file} line 3: hosts.kraken-dbs.mounts.0: a mount point is an absolute path without blanks`);
      expect(e6.endpoints().find((e) => e.id === 'ssh/kraken-infra')?.state).toBe('connected');
      writeFileSync(file, good);
      await until('kraken-dbs back', () => e6.endpoints().find((e) => e.id === 'ssh/kraken-dbs' && !e.configError)?.state === 'connected', 30_000);
      await until('kraken-dbs looked at again', () => hostOf(e6, 'kraken-dbs').runtime === 'ok', 30_000);
    } finally {
      e6.stop();
    }
  });

  it('refuses kraken-dbs after host-key-changed with both fingerprints, known_hosts byte for byte unchanged', async () => {
    const kh = path.join(RIG_SSH, 'known_hosts');
    const before = readFileSync(kh);
    const original = await fingerprintOf(path.join(RIG_SSH, 'hosts/kraken-dbs/original_host_key.pub'));
    // Its own engine: the key is checked when a connection is made.
    const e2 = engineFor(setup());
    try {
      await scenario('host-key-changed', false, { RIG_KEY_HOST: 'kraken-dbs' });
      const now = await fingerprintOf(path.join(RIG_SSH, 'hosts/kraken-dbs/ssh_host_ed25519_key.pub'));
      await e2.start();
      const ep = await until('kraken-dbs refused', () => e2.endpoints().find((e) => e.name === 'kraken-dbs' && e.waitsForOperator), 30_000);
      expect(ep.state).toBe('unavailable');
      expect(ep.message).toContain('HOST KEY HAS CHANGED');
      expect(ep.message).toContain(now);
      expect(ep.message).toContain(original);
      expect(ep.retryAt).toBeUndefined();
      const r = hostOf(e2, 'kraken-dbs');
      expect(r.runtime).toBe('error');
      expect(r.facts['presented key']).toBe(`ssh-ed25519 ${now}`);
      expect(r.facts['known key']).toContain(original);
      // Nothing offered that could accept it: trying again is refused again, known_hosts untouched.
      expect(r.actions.map((a) => a.label)).toEqual(['Try again']);
      const again = await e2.actions.run(r, 'connect', { confirmed: false });
      expect(again.outcome).toBe('failed');
      expect(again.message).toContain('HOST KEY HAS CHANGED');
      expect(e2.endpoints().find((e) => e.name === 'kraken-dbs')).toMatchObject({ state: 'unavailable', waitsForOperator: true });
      expect(readFileSync(kh).equals(before)).toBe(true);
    } finally {
      e2.stop();
      await scenario('host-key-changed', true, { RIG_KEY_HOST: 'kraken-dbs' });
    }
  });

  it('trusts an unknown host key on first use through the action runner, audited, then connects', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-ssh-kh-'));
    const kh = path.join(dir, 'known_hosts');
    writeFileSync(kh, '');
    const s = setup({ knownHosts: kh });
    const e3 = engineFor(s);
    try {
      await e3.start();
      const expected = await fingerprintOf(path.join(RIG_SSH, 'hosts/kraken-infra/original_host_key.pub'));
      const r = await until('kraken-infra untrusted', () => {
        const x = hostOf(e3, 'kraken-infra');
        return x.actions.some((a) => a.id === 'trust-host-key') && x;
      }, 30_000);
      expect(r.reasons.map((x) => x.text)).toContain(`unknown host key ssh-ed25519 ${expected}: compare it with the server's and trust it to connect`);
      expect(r.actions).toEqual([{ id: 'trust-host-key', label: `Trust host key ${expected}`, destructive: false, confirm: 'confirm' }]);
      const ep = e3.endpoints().find((e) => e.name === 'kraken-infra')!;
      expect(ep).toMatchObject({ state: 'unavailable', waitsForOperator: true });
      expect(ep.message).toContain(expected);
      expect(readFileSync(kh, 'utf8')).toBe('');

      const preview = e3.actions.preview(r, 'trust-host-key');
      expect(preview.steps[0]!.call).toMatch(new RegExp(`^append to ${kh}: kraken-infra ssh-ed25519 `));
      await expect(e3.actions.run(r, 'trust-host-key', { confirmed: false })).rejects.toThrow(/must confirm/);
      const result = await e3.actions.run(r, 'trust-host-key', { confirmed: true });
      expect(result.outcome, result.message).toBe('ok');
      expect(readFileSync(kh, 'utf8')).toMatch(/^kraken-infra ssh-ed25519 \S+\n$/);
      const audit = readFileSync(path.join(s.dataDir, 'audit.jsonl'), 'utf8');
      expect(audit).toContain('"action":"ssh.trust-host-key"');
      expect(audit).toContain(expected);
      await until('kraken-infra looked at', () => hostOf(e3, 'kraken-infra').runtime === 'ok', 30_000);
      // A verified reconnect: a new engine with the same known_hosts connects without asking.
      const e4 = engineFor(setup({ knownHosts: kh }));
      try {
        await e4.start();
        await until('kraken-infra connected again', () => e4.endpoints().find((e) => e.name === 'kraken-infra')?.state === 'connected', 30_000);
      } finally { e4.stop(); }
    } finally {
      e3.stop();
    }
  });

  it('sees ssh-drop as lost, says why and when it retries, and recovers after --undo without a restart', async () => {
    await until('kraken-workers connected', () => engine.endpoints().find((e) => e.name === 'kraken-workers')?.state === 'connected', 30_000);
    try {
      await scenario('ssh-drop', false, { RIG_DROP_HOST: 'kraken-workers' });
      const ep = await until('kraken-workers lost', () => engine.endpoints().find((e) => e.name === 'kraken-workers' && e.state === 'unavailable'), 30_000);
      expect(ep.message).toMatch(/^lost: /);
      expect(ep.retryAt).toBeGreaterThan(0);
      const r = hostOf(engine, 'kraken-workers');
      expect(r.runtime).toBe('error');
      expect(r.reasons.map((x) => x.text).join(' | ')).toMatch(/^unreachable: /);
      // The other hosts are not affected.
      expect(engine.endpoints().find((e) => e.name === 'kraken-dbs')?.state).toBe('connected');
    } finally {
      await scenario('ssh-drop', true, { RIG_DROP_HOST: 'kraken-workers' });
    }
    await until('kraken-workers connected again', () => engine.endpoints().find((e) => e.name === 'kraken-workers')?.state === 'connected', 90_000);
    await until('kraken-workers ok again', () => hostOf(engine, 'kraken-workers').runtime === 'ok', 30_000);
  });

  it('reads host-reboot as "rebooted N minutes ago" with the missing mounts and docker named; Start docker; healthy after --undo', async () => {
    for (const h of ['kraken-workers', 'kraken-dbs']) await until(`${h} ok`, () => hostOf(engine, h).runtime === 'ok', 60_000);
    const bootOf = (alias: string) => (engine.objectsOf(`ssh/${alias}/host/${alias}`)[0]?.data as HostObjectData | undefined)?.facts?.bootAt;
    const bootBefore = bootOf('kraken-dbs');
    expect(bootBefore).toBeGreaterThan(0);
    const dataDir = rig.dataDir;
    const remembered = readFileSync(path.join(dataDir, 'ssh-boot-times.json'), 'utf8');
    try {
      await scenario('host-reboot');
      const text = await until('kraken-workers read as rebooted', () => {
        const t = reasonsOf(engine, 'kraken-workers');
        return t.startsWith('rebooted') && t;
      }, 60_000);
      expect(text).toMatch(/^rebooted (less than a minute|\d+ minutes?) ago: pool mounts backup, output, logs, instrument1 missing; docker stopped$/);
      const dbs = await until('kraken-dbs read as rebooted', () => reasonsOf(engine, 'kraken-dbs').startsWith('rebooted') && reasonsOf(engine, 'kraken-dbs'), 60_000);
      expect(dbs).toMatch(/^rebooted (less than a minute|\d+ minutes?) ago: pool mount backup missing; docker stopped$/);
      expect(bootOf('kraken-dbs')).toBeGreaterThan(bootBefore!);
      expect(hostOf(engine, 'kraken-workers').runtime).toBe('error');

      // The same reboot, seen by an app that was closed through it: boot times from its data dir.
      const closed = setup();
      mkdirSync(closed.dataDir, { recursive: true });
      writeFileSync(path.join(closed.dataDir, 'ssh-boot-times.json'), remembered);
      const e5 = engineFor(closed);
      try {
        await e5.start();
        await until('the reopened app says kraken-dbs rebooted', () => reasonsOf(e5, 'kraken-dbs').startsWith('rebooted'), 30_000);
      } finally { e5.stop(); }

      // The first step of the after-reboot procedure, as an action: verified by the next look.
      const w = hostOf(engine, 'kraken-workers');
      expect(w.actions.map((a) => a.id)).toContain('start-docker');
      expect(engine.actions.preview(w, 'start-docker').steps[0]!.call).toBe("ssh kraken-workers 'sudo' '-n' 'systemctl' 'start' 'docker'");
      const started = await engine.actions.run(w, 'start-docker', { confirmed: true });
      expect(started.outcome, started.message).toBe('ok');
      expect(hostOf(engine, 'kraken-workers').facts['unit docker']).toBe('active');
      expect(reasonsOf(engine, 'kraken-workers')).toMatch(/^rebooted .* ago: pool mounts backup, output, logs, instrument1 missing$/);
    } finally {
      await scenario('host-reboot', true);
    }
    // The undo mounts the pools; the next look (every 30 s) finds the hosts healthy, still said to have rebooted.
    for (const h of ['kraken-workers', 'kraken-dbs']) {
      await until(`${h} healthy again`, () => hostOf(engine, h).runtime === 'ok', 60_000);
      expect(reasonsOf(engine, h)).toMatch(/^rebooted (less than a minute|\d+ minutes?) ago$/);
    }
  });
});
