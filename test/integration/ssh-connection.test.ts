import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { runRemoteCommand } from '../../core/planes/ssh/command';
import { diskConfigFs } from '../../core/planes/ssh/config-fs';
import { SshConnection, type SshConnectionOptions, type SshConnectionState } from '../../core/planes/ssh/connection';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const RIG_SSH = path.join(REPO, '.rig/ssh');
const SSH_CONFIG = path.join(RIG_SSH, 'ssh_config');
const skip = existsSync(SSH_CONFIG) ? undefined : `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)`;

const home = mkdtempSync(path.join(tmpdir(), 'ph-ssh-home-'));
const open: SshConnection[] = [];

/** A connection read from the rig's ssh_config (IdentityFile and UserKnownHostsFile are absolute paths in it). */
function connection(alias: string, extra: Partial<SshConnectionOptions> = {}, configPath = SSH_CONFIG): SshConnection {
  const c = new SshConnection({
    alias,
    config: { fs: diskConfigFs, home, localUser: 'pilothouse-test', path: configPath },
    backoff: { baseMs: 300, maxMs: 2_000 },
    ...extra,
  });
  open.push(c);
  return c;
}

/** The rig's ssh_config with UserKnownHostsFile pointed at `knownHosts`. */
function configWithKnownHosts(knownHosts: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ph-ssh-cfg-'));
  const text = readFileSync(SSH_CONFIG, 'utf8').replace(/^(\s*UserKnownHostsFile\s+).*$/gm, `$1${knownHosts}`);
  const file = path.join(dir, 'ssh_config');
  writeFileSync(file, text);
  return file;
}

async function scenario(name: string, undo = false, env: Record<string, string> = {}): Promise<void> {
  await run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...(undo ? ['--undo'] : [])], { cwd: REPO, env: { ...process.env, ...env }, timeout: 60_000 });
}

async function fingerprintOf(pubFile: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-lf', pubFile]);
  return stdout.split(' ')[1]!;
}

afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

describe.skipIf(!!skip)(`ssh connections to the rig hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('connects to kraken-infra and runs an argument list, each argument arriving literally', async () => {
    const c = connection('kraken-infra');
    const states: string[] = [];
    c.subscribe((s) => states.push(s.state));
    const args = ['echo', 'a b', "it's $(nope)"];
    const r = await runRemoteCommand(c, args);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString('utf8')).toBe("a b it's $(nope)\n");
    expect(r.command).toBe(`'echo' 'a b' 'it'\\''s $(nope)'`);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(states).toEqual(['connecting', 'connected']);

    // One argument per line, NUL-terminated: spaces, quotes, $(...), backticks, globs and newlines survive.
    const tricky = ['a b', "it's", '$(touch /tmp/ph-ssh-x)', '`id`', '*', '~', 'line1\nline2', '"dq"', ';', ''];
    const r2 = await runRemoteCommand(c, ['printf', '%s\\0', ...tricky]);
    expect(r2.exitCode).toBe(0);
    expect(r2.stdout.toString('utf8')).toBe(tricky.map((t) => `${t}\0`).join(''));
    const check = await runRemoteCommand(c, ['test', '-e', '/tmp/ph-ssh-x']);
    expect(check.exitCode).toBe(1);
  });

  it('keeps a failing command’s exit code and stderr, streams output, and times out', async () => {
    const c = connection('kraken-infra');
    const r = await runRemoteCommand(c, ['sh', '-c', 'echo oops >&2; exit 7']);
    expect(r.exitCode).toBe(7);
    expect(r.stderr.toString()).toBe('oops\n');

    const chunks: { at: number; text: string }[] = [];
    const t0 = Date.now();
    const streamed = await runRemoteCommand(c, ['sh', '-c', 'echo one; sleep 1; echo two'], {
      onOutput: (_s, chunk) => chunks.push({ at: Date.now() - t0, text: chunk.toString() }),
    });
    expect(streamed.exitCode).toBe(0);
    expect(chunks.map((x) => x.text).join('')).toBe('one\ntwo\n');
    // "one" arrived well before the command ended.
    expect(chunks[0]!.at).toBeLessThan(streamed.durationMs - 500);

    const slow = await runRemoteCommand(c, ['sleep', '30'], { timeoutMs: 500, graceMs: 1_000 });
    expect(slow.timedOut).toBe(true);
    expect(slow.exitCode).toBeNull();
    expect(slow.durationMs).toBeLessThan(3_000);
    // The shared connection is still usable afterwards.
    const after = await runRemoteCommand(c, ['true']);
    expect(after, JSON.stringify(after)).toMatchObject({ exitCode: 0 });
  });

  it('reaches cluster-head through its ProxyJump kraken-infra', async () => {
    const c = connection('cluster-head');
    const r = await runRemoteCommand(c, ['sh', '-c', 'echo "$(hostname) $(id -un) ${SSH_CLIENT%% *}"']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe('cluster-head kraken-read 10.177.0.12\n');
    expect(c.state).toMatchObject({ state: 'connected', via: ['kraken-infra'] });
  });

  it('refuses an unknown host key with its fingerprint, and connects once the operator accepts it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-ssh-kh-'));
    const kh = path.join(dir, 'known_hosts');
    writeFileSync(kh, '');
    const c = connection('kraken-infra', {}, configWithKnownHosts(kh));
    await expect(c.ready(15_000)).rejects.toThrow(/host key not known/);
    const expected = await fingerprintOf(path.join(RIG_SSH, 'hosts/kraken-infra/original_host_key.pub'));
    const s = c.state as Extract<SshConnectionState, { state: 'untrusted' }>;
    expect(s.state).toBe('untrusted');
    expect(s.unknown.fingerprint).toBe(expected);
    expect(s.message).toContain(expected);
    expect(readFileSync(kh, 'utf8')).toBe('');

    c.acceptHostKey(expected);
    await c.ready(15_000);
    expect(readFileSync(kh, 'utf8')).toMatch(/^kraken-infra ssh-ed25519 \S+\n$/);
    // A fresh connection with the same file is now verified without asking.
    const again = connection('kraken-infra', {}, configWithKnownHosts(kh));
    expect((await runRemoteCommand(again, ['true'])).exitCode).toBe(0);
  });

  it('refuses kraken-dbs after host-key-changed, showing both fingerprints, known_hosts untouched', async () => {
    const knownBefore = readFileSync(path.join(RIG_SSH, 'known_hosts'));
    const original = await fingerprintOf(path.join(RIG_SSH, 'hosts/kraken-dbs/original_host_key.pub'));
    try {
      await scenario('host-key-changed', false, { RIG_KEY_HOST: 'kraken-dbs' });
      const now = await fingerprintOf(path.join(RIG_SSH, 'hosts/kraken-dbs/ssh_host_ed25519_key.pub'));
      expect(now).not.toBe(original);
      const c = connection('kraken-dbs');
      for (let i = 0; i < 2; i++) {
        // Refused every time it is tried, never retried on its own.
        if (i > 0) c.connect();
        await expect(c.ready(15_000)).rejects.toThrow(/HOST KEY HAS CHANGED/);
        const s = c.state as Extract<SshConnectionState, { state: 'refused' }>;
        expect(s.reason).toBe('host-key-changed');
        expect(s.message).toContain(now);
        expect(s.message).toContain(original);
        expect(s.hostKey).toMatchObject({ status: 'changed', presented: { fingerprint: now }, known: { fingerprint: original } });
      }
      expect(readFileSync(path.join(RIG_SSH, 'known_hosts')).equals(knownBefore)).toBe(true);
    } finally {
      await scenario('host-key-changed', true, { RIG_KEY_HOST: 'kraken-dbs' });
    }
    const after = connection('kraken-dbs');
    expect((await runRemoteCommand(after, ['true'])).exitCode).toBe(0);
  });

  it('goes lost when kraken-workers stops answering (ssh-drop) and comes back by itself after --undo', async () => {
    const c = connection('kraken-workers', { keepaliveIntervalMs: 500, connectTimeoutMs: 3_000 });
    const states: SshConnectionState[] = [];
    c.subscribe((s) => states.push(s));
    await c.ready(15_000);
    try {
      await scenario('ssh-drop', false, { RIG_DROP_HOST: 'kraken-workers' });
      // ServerAliveCountMax 3 × 500 ms unanswered keepalives.
      const lost = await until('lost', () => (c.state.state === 'lost' ? c.state : undefined), 20_000);
      expect(lost.why).toMatch(/kraken-workers: Keepalive timeout/);
      expect(lost.retryAt).toBeGreaterThan(lost.since);
      // Reconnects fail while the drop lasts: still lost, attempts counting up.
      await until('a failed retry', () => states.filter((s) => s.state === 'lost').length >= 2, 20_000);
    } finally {
      await scenario('ssh-drop', true, { RIG_DROP_HOST: 'kraken-workers' });
    }
    await until('connected again', () => c.state.state === 'connected', 20_000);
    expect((await runRemoteCommand(c, ['hostname'])).stdout.toString()).toBe('kraken-workers\n');
  });

  it('closes on suspend and reconnects at once on resume', async () => {
    const c = connection('kraken-infra');
    await c.ready(15_000);
    c.suspend();
    expect(c.state.state).toBe('suspended');
    await expect(c.ready(1_000)).rejects.toThrow(/suspended/);
    c.resume();
    expect(c.state.state).toBe('connecting');
    await c.ready(15_000);
    expect((await runRemoteCommand(c, ['true'])).exitCode).toBe(0);
  });
});
