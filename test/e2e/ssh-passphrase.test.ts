import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import type { PlaneEnv } from '../../core/planes/plane';
import { SshPlane } from '../../core/planes/ssh/plane';
import { startConsole, stopConsole } from '../support/browser';

// An encrypted key as an operator meets it: the host's banner asks for the passphrase, a wrong one is
// said and asked again, the right one connects the host. Run under `flock /tmp/ph-scenario.lock`: it logs
// in to the rig's kraken-dbs (and changes nothing there).

const REPO = path.resolve(import.meta.dirname, '../..');
const RIG_SSH = path.join(REPO, '.rig/ssh');
const SSH_CONFIG = path.join(RIG_SSH, 'ssh_config');
const skip = existsSync(SSH_CONFIG) ? undefined : `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)`;
const PASSPHRASE = 'e2e-passphrase-91c2';

let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
let dir: string;
let keyCopy: string;
let savedAgent: string | undefined;
const problems: string[] = [];
const shots = path.resolve(import.meta.dirname, '../../test-results');

/** kraken-dbs with an encrypted copy of the rig's key, IdentitiesOnly yes, no agent. */
function planeEnv(): PlaneEnv {
  dir = mkdtempSync(path.join(tmpdir(), 'ph-ssh-passphrase-e2e-'));
  keyCopy = path.join(dir, 'id_kraken');
  copyFileSync(path.join(RIG_SSH, 'keys/kraken'), keyCopy);
  execFileSync('chmod', ['600', keyCopy]);
  execFileSync('ssh-keygen', ['-q', '-p', '-N', PASSPHRASE, '-f', keyCopy]);
  const rig = readFileSync(SSH_CONFIG, 'utf8');
  const block = rig.slice(rig.indexOf('Host kraken-dbs'), rig.indexOf('Host kraken-infra'));
  writeFileSync(path.join(dir, 'ssh_config'), block.replace(/^(\s*IdentityFile\s+).*$/m, `$1${keyCopy}`));
  mkdirSync(path.join(dir, 'config'));
  writeFileSync(path.join(dir, 'config', 'hosts.yaml'), 'hosts:\n  kraken-dbs: {mounts: [/fs/pool/pool-backup], docker: true}\n');
  return { env: { PILOTHOUSE_SSH_CONFIG: path.join(dir, 'ssh_config'), PILOTHOUSE_CONFIG_DIR: path.join(dir, 'config'), USER: 'pilothouse-test' }, home: path.join(dir, 'home'), now: Date.now, dataDir: path.join(dir, 'data') };
}

describe.skipIf(!!skip)(`an encrypted SSH key in the page${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    savedAgent = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    const env = planeEnv();
    engine = new Engine({ dataDir: env.dataDir!, env: env.env, home: env.home, planes: [new SshPlane(env)] });
    ({ web, browser, page } = await startConsole(engine, problems));
  }, 60_000);

  afterAll(async () => {
    await stopConsole({ browser, web, engine });
    if (savedAgent !== undefined) process.env.SSH_AUTH_SOCK = savedAgent;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the banner asks for the passphrase; a wrong one is said and asked again; the right one connects the host', async () => {
    await page.goto(web.url);
    const banner = page.locator('.banner[data-endpoint="ssh/kraken-dbs"]');
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.innerText()).toContain(`ssh kraken-dbs: needs the passphrase of ${keyCopy}`);
    expect(await banner.innerText()).toContain('it waits for you');
    const field = banner.getByLabel(`Passphrase for ${keyCopy}`);
    expect(await field.getAttribute('type')).toBe('password');

    await field.fill('not the passphrase');
    await banner.getByRole('button', { name: 'Unlock key' }).click();
    await banner.getByRole('alert').filter({ hasText: `wrong passphrase for ${keyCopy}` }).waitFor({ timeout: 10_000 });
    // The field was emptied: the page keeps nothing it was given.
    expect(await banner.getByLabel(`Passphrase for ${keyCopy}`).inputValue()).toBe('');
    await page.screenshot({ path: path.join(shots, 'ssh-passphrase-asked.png') });

    await banner.getByLabel(`Passphrase for ${keyCopy}`).fill(PASSPHRASE);
    await banner.getByLabel(`Passphrase for ${keyCopy}`).press('Enter');
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    await expect.poll(() => engine.endpoints().find((e) => e.id === 'ssh/kraken-dbs')?.state, { timeout: 20_000 }).toBe('connected');
    const row = page.locator('li[data-resource="ssh/kraken-dbs/host/kraken-dbs"]');
    await row.waitFor({ timeout: 20_000 });
    // The facts are a command run on the host: the row reads ok only once it ran.
    await expect.poll(() => engine.find('ssh/kraken-dbs/host/kraken-dbs').runtime, { timeout: 30_000 }).toBe('ok');
    expect(await page.content()).not.toContain(PASSPHRASE);
    expect(problems).toEqual([]);
  });
});
