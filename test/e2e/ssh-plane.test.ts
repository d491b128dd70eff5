import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import type { PlaneEnv } from '../../core/planes/plane';
import { SshPlane } from '../../core/planes/ssh/plane';
import { startConsole, stopConsole } from '../support/browser';

// SSH hosts in the page, as an operator meets them: an unknown host key in the banner, trusted from the
// host's detail; the rig's host-reboot read on the host's row. Run under `flock /tmp/ph-scenario.lock`:
// it applies host-reboot (always undone) and needs the rig's ssh hosts.

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const RIG_SSH = path.join(REPO, '.rig/ssh');
const SSH_CONFIG = path.join(RIG_SSH, 'ssh_config');
const skip = existsSync(SSH_CONFIG) ? undefined : `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)`;

let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
let knownHosts: string;
const problems: string[] = [];
const shots = path.resolve(import.meta.dirname, '../../test-results');

async function scenario(name: string, undo = false): Promise<void> {
  await run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...(undo ? ['--undo'] : [])], { cwd: REPO, timeout: 120_000 });
}

/**
 * kraken-infra's key is unknown (its own empty known_hosts); the kraken hosts are named in hosts.yaml
 * with their mounts; keepalive every second so a reboot is seen at once.
 */
function planeEnv(): PlaneEnv {
  const dir = mkdtempSync(path.join(tmpdir(), 'ph-ssh-e2e-'));
  knownHosts = path.join(dir, 'known_hosts_infra');
  writeFileSync(knownHosts, '');
  const cfg = readFileSync(SSH_CONFIG, 'utf8').replace(/(Host kraken-infra\n(?:\s+.*\n)*?\s*UserKnownHostsFile\s+).*/, `$1${knownHosts}`) + '\nHost *\n  ServerAliveInterval 1\n';
  writeFileSync(path.join(dir, 'ssh_config'), cfg);
  mkdirSync(path.join(dir, 'config'));
  writeFileSync(path.join(dir, 'config', 'hosts.yaml'), [
    'hosts:',
    '  kraken-infra: {mounts: [/fs/pool/pool-logs], docker: true}',
    '  kraken-workers: {mounts: [/fs/pool/pool-backup, /fs/pool/pool-output, /fs/pool/pool-logs, /fs/pool/pool-instrument1], docker: true}',
    '',
  ].join('\n'));
  return { env: { PILOTHOUSE_SSH_CONFIG: path.join(dir, 'ssh_config'), PILOTHOUSE_CONFIG_DIR: path.join(dir, 'config'), USER: 'pilothouse-test' }, home: path.join(dir, 'home'), now: Date.now, dataDir: path.join(dir, 'data') };
}

describe.skipIf(!!skip)(`SSH hosts in the page${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    const env = planeEnv();
    engine = new Engine({ dataDir: env.dataDir!, env: env.env, home: env.home, planes: [new SshPlane(env)] });
    ({ web, browser, page } = await startConsole(engine, problems));
  }, 60_000);

  afterAll(() => stopConsole({ browser, web, engine }));

  it('shows an unknown host key with its fingerprint in the banner, and trusts it from the host detail', async () => {
    const { stdout } = await run('ssh-keygen', ['-lf', path.join(RIG_SSH, 'hosts/kraken-infra/original_host_key.pub')]);
    const fp = stdout.split(' ')[1]!;
    await page.goto(web.url);
    const banner = page.locator('.banner[data-endpoint="ssh/kraken-infra"]');
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.innerText()).toContain(`ssh kraken-infra: host key not known. kraken-infra presented ssh-ed25519 ${fp}`);
    expect(await banner.innerText()).toContain('it waits for you');
    await banner.getByRole('button', { name: 'Open kraken-infra' }).click();
    const trust = page.getByRole('button', { name: `Trust host key ${fp}` });
    await trust.waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(shots, 'ssh-untrusted-host.png') });
    await trust.click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(`append to ${knownHosts}: kraken-infra ssh-ed25519`);
    await dialog.getByRole('button', { name: `Trust host key ${fp}` }).click();
    await page.locator('.action-result.outcome-ok').waitFor({ timeout: 30_000 });
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    expect(readFileSync(knownHosts, 'utf8')).toMatch(/^kraken-infra ssh-ed25519 \S+\n$/);
    expect(problems).toEqual([]);
  });

  it('reads the rebooted host as rebooted, with its missing mounts named, on its row', async () => {
    const row = page.locator('li[data-resource="ssh/kraken-workers/host/kraken-workers"]');
    await row.waitFor({ timeout: 20_000 });
    await expect.poll(() => engine.find('ssh/kraken-workers/host/kraken-workers').runtime, { timeout: 30_000 }).toBe('ok');
    try {
      await scenario('host-reboot');
      const reason = row.locator('.res-reason');
      await expect.poll(() => reason.innerText(), { timeout: 60_000 }).toMatch(/^rebooted (less than a minute|\d+ minutes?) ago: pool mounts backup, output, logs, instrument1 missing; docker stopped$/);
      await row.click();
      await page.getByRole('button', { name: 'Start docker' }).waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(shots, 'ssh-rebooted-host.png') });
    } finally {
      await scenario('host-reboot', true);
    }
    // From the overview, the host's endpoint name opens the host; when it was looked at reads as an age.
    await page.getByRole('button', { name: 'Overview' }).click();
    await page.locator('tr[data-endpoint="ssh/kraken-workers"]').getByRole('button', { name: 'Open kraken-workers' }).click();
    const lookedAt = page.locator('.facts div').filter({ hasText: 'looked at' }).locator('time');
    await lookedAt.waitFor({ timeout: 10_000 });
    expect(await lookedAt.innerText()).toMatch(/^(just now|\d+ s ago|\d+ min ago)$/);
    expect(Date.parse((await lookedAt.getAttribute('datetime'))!)).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(problems).toEqual([]);
  });
});
