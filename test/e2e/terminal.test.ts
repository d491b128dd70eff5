import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import { startConsole, stopConsole } from '../support/browser';
import { dockerClient, ensureTestImage, runContainer, testDockerHost } from '../support/docker-fixtures';

// Terminals in the page: xterm.js in Chromium, through the web host's WebSocket, into a docker exec and
// an SSH shell. Run under `flock /tmp/ph-scenario.lock`: the SSH case needs the rig's hosts.

const REPO = path.resolve(import.meta.dirname, '../..');
const SSH_CONFIG = path.join(REPO, '.rig/ssh/ssh_config');
const sshSkip = existsSync(SSH_CONFIG) ? undefined : `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)`;
const PROJECT = 'pilothouse-itest-term-e2e';
const host = testDockerHost();
let docker: Docker;
let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
const shots = path.resolve(import.meta.dirname, '../../test-results');
const problems: string[] = [];

async function removeOurs(): Promise<void> {
  const cs = await docker.listContainers({ all: true, filters: JSON.stringify({ name: [`${PROJECT}-`] }) });
  await Promise.all(cs.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

beforeAll(async () => {
  docker = dockerClient(host);
  await ensureTestImage(docker);
  await removeOurs();
  await runContainer(docker, { name: `${PROJECT}-box-1`, project: PROJECT, service: 'box', cmd: ['sh', '-c', 'while true; do sleep 1; done'] });
  const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
  writeFileSync(path.join(configDir, 'hosts.yaml'), 'hosts:\n  kraken-infra: {}\n');
  engine = new Engine({
    dataDir: mkdtempSync(path.join(tmpdir(), 'ph-e2e-')),
    home: mkdtempSync(path.join(tmpdir(), 'ph-home-')),
    env: { DOCKER_HOST: host, PATH: process.env.PATH, ...(sshSkip ? {} : { PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, PILOTHOUSE_CONFIG_DIR: configDir }) },
  });
  ({ web, browser, page } = await startConsole(engine, problems, { warnings: true }));
}, 60_000);

afterAll(async () => {
  await stopConsole({ browser, web, engine });
  if (docker) await removeOurs();
});

/** The visible terminal's screen as text (xterm's DOM renderer: one element per row). */
const screen = () => page.locator('.ph-terminal:not(.hidden) .xterm-rows').innerText();
const prompt = async () => (await screenLines()).some((l) => /[#$]$/.test(l));
const screenLines = async () => (await screen()).split('\n').map((l) => l.replace(/\u00a0/g, ' ').trimEnd());

describe('terminals in the page', () => {
  it('opens a terminal on a running docker resource, runs a typed command and shows its output', async () => {
    await page.goto(web.url);
    const row = page.locator(`li[data-resource$="/${PROJECT}/box"]`);
    await row.waitFor({ timeout: 20_000 });
    // xterm is not part of the first load.
    const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.js')));
    expect(scripts.some((s) => /TerminalPanel|xterm/.test(s))).toBe(false);
    await row.click();
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await page.locator('.ph-terminal[data-status="open"]').waitFor({ timeout: 20_000 });
    await page.locator('.ph-terminal:not(.hidden) .xterm-helper-textarea').waitFor();
    await expect.poll(prompt, { timeout: 10_000 }).toBe(true);
    await page.keyboard.type('echo $((6*7)); printf "caf\\303\\251\\n"');
    await page.keyboard.press('Enter');
    await expect.poll(screenLines, { timeout: 10_000 }).toContain('42');
    expect(await screenLines()).toContain('café');
    await page.screenshot({ path: path.join(shots, 'terminal-docker.png') });
  });

  it('resizes the program’s terminal with the panel', async () => {
    await page.keyboard.type('stty size');
    await page.keyboard.press('Enter');
    const size = async () => (await screenLines()).filter((l) => /^\d+ \d+$/.test(l)).at(-1);
    const before = await expect.poll(size, { timeout: 10_000 }).toMatch(/^\d+ \d+$/).then(size);
    await page.setViewportSize({ width: 1000, height: 900 });
    await page.keyboard.type('clear; stty size');
    await page.keyboard.press('Enter');
    await expect.poll(size, { timeout: 10_000 }).not.toBe(before);
    const [rows, cols] = (await size())!.split(' ').map(Number);
    expect(rows).toBe(Number(before!.split(' ')[0]));
    expect(cols).toBeLessThan(Number(before!.split(' ')[1]));
  });

  it('says the session ended with its exit code, and opens it again', async () => {
    await page.keyboard.type('exit 3');
    await page.keyboard.press('Enter');
    const ended = page.locator('.ph-terminal:not(.hidden) .terminal-ended');
    await expect.poll(() => ended.innerText(), { timeout: 10_000 }).toMatch(/Session ended: exited with code 3/);
    await ended.getByRole('button', { name: 'Open again' }).click();
    await page.locator('.ph-terminal[data-status="open"]').waitFor({ timeout: 10_000 });
    await page.locator('.ph-terminal:not(.hidden) .xterm-helper-textarea').focus();
    await page.keyboard.type('echo again-$((1+1))');
    await page.keyboard.press('Enter');
    await expect.poll(screenLines, { timeout: 10_000 }).toContain('again-2');
  });

  it.skipIf(!!sshSkip)(`opens a shell on an SSH host in a second tab; both keep running${sshSkip ? ` (skipped: ${sshSkip})` : ''}`, async () => {
    const hostRow = page.locator('li[data-resource^="ssh/"]', { hasText: 'kraken-infra' }).first();
    await hostRow.waitFor({ timeout: 20_000 });
    await hostRow.click();
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await expect.poll(() => page.getByRole('tab').count()).toBe(2);
    await page.locator('.ph-terminal:not(.hidden)[data-status="open"]').waitFor({ timeout: 20_000 });
    await expect.poll(prompt, { timeout: 10_000 }).toBe(true);
    await page.keyboard.type('hostname; echo ssh-$((6*7))');
    await page.keyboard.press('Enter');
    await expect.poll(screenLines, { timeout: 10_000 }).toContain('ssh-42');
    expect(await screenLines()).toContain('kraken-infra');
    // The docker tab kept its session and scrollback.
    await page.getByRole('tab').first().click();
    expect(await screenLines()).toContain('again-2');
    await page.screenshot({ path: path.join(shots, 'terminal-ssh.png') });
  });

  it.skipIf(!!sshSkip)(`says a dropped SSH session was lost, and Reconnect opens a new shell in the same tab${sshSkip ? ` (skipped: ${sshSkip})` : ''}`, async () => {
    await page.getByRole('tab').nth(1).click();
    // The laptop sleeps: the engine closes its SSH connections, and the shell on them goes with them.
    engine.suspend();
    const ended = page.locator('.ph-terminal:not(.hidden) .terminal-ended');
    await expect.poll(() => ended.innerText(), { timeout: 10_000 }).toMatch(/Connection lost: connection to kraken-infra closed: the computer went to sleep/);
    engine.resume();
    await ended.getByRole('button', { name: 'Reconnect' }).click();
    await page.locator('.ph-terminal:not(.hidden)[data-status="open"]').waitFor({ timeout: 20_000 });
    await page.locator('.ph-terminal:not(.hidden) .xterm-helper-textarea').focus();
    await page.keyboard.type('echo back-$((2*3))');
    await page.keyboard.press('Enter');
    await expect.poll(screenLines, { timeout: 10_000 }).toContain('back-6');
    expect(await screenLines()).toContain('ssh-42');   // the scrollback from before the drop is still there
  });

  it('closes a tab’s session with the tab, and loaded with no error or warning', async () => {
    const before = engine.terminals.size;
    expect(before).toBeGreaterThan(0);
    await page.getByRole('button', { name: /^Close terminal / }).first().click();
    await expect.poll(() => engine.terminals.size, { timeout: 10_000 }).toBe(before - 1);
    expect(problems).toEqual([]);
  });
});
