import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import { startWebHost, type WebHost } from '../../core/host/web-host';
import { launchChromium } from '../support/browser';
import { dockerClient, ITEST_PROJECT, removeItestProject, startItestProject, testDockerHost } from '../support/docker-fixtures';

const host = testDockerHost();
let docker: Docker;
let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
const shots = path.resolve(import.meta.dirname, '../../test-results');

beforeAll(async () => {
  if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) throw new Error(`the renderer is not built (${RENDERER_DIR}): run 'npm run build:renderer' first (npm test does)`);
  docker = dockerClient(host);
  await startItestProject(docker);
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-e2e-')), env: { DOCKER_HOST: host } });
  await engine.start();
  web = await startWebHost({ handlers: engine.handlers(), staticDir: RENDERER_DIR });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => { throw e; });
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  engine?.stop();
  if (docker) await removeItestProject(docker);
});

describe('the console in Chromium through the web host', () => {
  it('lists the compose project with status counts', async () => {
    await page.goto(web.url);
    const group = page.locator(`section[data-group="${ITEST_PROJECT}"]`);
    await group.waitFor({ timeout: 20_000 });
    await expect.poll(() => group.locator('li.res').allInnerTexts(), { timeout: 20_000 }).toEqual(expect.arrayContaining([
      expect.stringMatching(/^migrate/), expect.stringMatching(/^search/), expect.stringMatching(/^web/),
    ]));
    // The token moved into a cookie: a reload without it in the URL still works.
    expect(await page.evaluate(() => document.cookie)).not.toContain('pilothouse_token'); // HttpOnly: invisible to scripts
  });

  it("shows the unhealthy container's reason", async () => {
    await page.locator(`li[data-resource="docker/${ITEST_PROJECT}/search"]`).click();
    const reasons = page.locator('ul.reasons');
    await expect.poll(() => reasons.innerText(), { timeout: 20_000 }).toMatch(/unhealthy: \d+ failing health checks?; last output: cluster health: yellow \(timed_out: true\)/);
  });

  it('shows a log line written after the page opened, and filters by /regex/', async () => {
    await page.keyboard.press('ArrowDown'); // keyboard navigation: from search to the next resource
    await page.locator(`li[data-resource="docker/${ITEST_PROJECT}/web"]`).click();
    const log = page.locator('.log-scroll');
    await expect.poll(() => log.innerText(), { timeout: 20_000 }).toMatch(/INFO served request \d+/);
    const marker = `E2E-MARKER-${Date.now()}`;
    const exec = await docker.getContainer('pilothouse-itest-web-1').exec({ Cmd: ['sh', '-c', `echo "ERROR ${marker}" > /proc/1/fd/1`] });
    await exec.start({ Detach: true });
    await expect.poll(() => log.innerText(), { timeout: 20_000 }).toContain(marker);
    // Error lines are highlighted.
    expect(await page.locator('.line-error', { hasText: marker }).count()).toBe(1);
    await page.keyboard.press('/');
    await page.keyboard.type('/E2E-MARKER-\\d+/');
    await expect.poll(async () => (await log.innerText()).trim().split('\n'), { timeout: 5_000 }).toEqual([`ERROR ${marker}`]);
    await page.screenshot({ path: path.join(shots, 'console.png') });
  });

  it('asks before restarting, and restarts only when confirmed', async () => {
    const before = (await docker.getContainer('pilothouse-itest-web-1').inspect()).State.StartedAt;
    await page.getByRole('button', { name: 'Restart' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.innerText()).toContain(`Restart ${ITEST_PROJECT}/web?`);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await docker.getContainer('pilothouse-itest-web-1').inspect()).State.StartedAt).toBe(before);
    await page.getByRole('button', { name: 'Restart' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restart' }).click();
    await expect.poll(() => page.locator('.action-result').innerText(), { timeout: 30_000 }).toMatch(/Restart done · audited/);
    expect((await docker.getContainer('pilothouse-itest-web-1').inspect()).State.StartedAt).not.toBe(before);
  });
});
