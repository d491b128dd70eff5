import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import { startConsole, stopConsole } from '../support/browser';
import { dockerClient, ITEST_PROJECT, removeItestProject, startItestProject, testDockerHost } from '../support/docker-fixtures';

const host = testDockerHost();
let docker: Docker;
let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
const shots = path.resolve(import.meta.dirname, '../../test-results');
/** Console errors, page errors and failed or 4xx/5xx requests: a page that loads cleanly has none. */
const problems: string[] = [];
/** A service's row, whatever the engine's endpoint is called: ids are `docker/<engine>/<project>/<service>`. */
const row = (service: string) => page.locator(`li[data-resource$="/${ITEST_PROJECT}/${service}"]`);

beforeAll(async () => {
  docker = dockerClient(host);
  await startItestProject(docker);
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-e2e-')), env: { DOCKER_HOST: host } });
  ({ web, browser, page } = await startConsole(engine, problems));
});

afterAll(async () => {
  await stopConsole({ browser, web, engine });
  if (docker) await removeItestProject(docker);
});

describe('the console in Chromium through the web host', () => {
  it('lists the compose project with status counts, and loads with no error or missing file', async () => {
    await page.goto(web.url);
    const group = page.locator(`li[data-group="${ITEST_PROJECT}"]`);
    await group.waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator(`li[data-resource*="/${ITEST_PROJECT}/"] .res-name`).allInnerTexts(), { timeout: 20_000 }).toEqual(expect.arrayContaining(['migrate', 'search', 'web']));
    expect(await group.locator('.count-ok').innerText()).toMatch(/^\d+\/\d+$/);
    expect(problems).toEqual([]);
    // The token moved into a cookie: a reload without it in the URL still works.
    expect(await page.evaluate(() => document.cookie)).not.toContain('pilothouse_token'); // HttpOnly: invisible to scripts
  });

  it("shows the unhealthy container's reason", async () => {
    await row('search').click();
    const reasons = page.locator('ul.reasons');
    await expect.poll(() => reasons.innerText(), { timeout: 20_000 }).toMatch(/unhealthy: \d+ failing health checks?; last output: cluster health: yellow \(timed_out: true\)/);
  });

  it('shows a log line written after the page opened, and filters by /regex/', async () => {
    await page.keyboard.press('ArrowDown'); // keyboard navigation: from search to the next resource
    await expect.poll(() => row('search').getAttribute('aria-selected')).toBe('false');
    await row('web').click();
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

  it('previews a restart, and restarts only when confirmed', async () => {
    const c = await docker.getContainer('pilothouse-itest-web-1').inspect();
    const before = c.State.StartedAt;
    const restart = page.locator('main.detail').getByRole('button', { name: 'Restart' });
    await restart.click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.innerText()).toContain(`Restart ${ITEST_PROJECT}/web?`);
    // The preview names the container, the exact API call against its engine, and what proves it worked.
    await expect.poll(() => dialog.locator('.preview-steps').innerText()).toContain(`/containers/${c.Id}/restart`);
    expect(await dialog.locator('.preview-summary').innerText()).toContain(c.Id.slice(0, 12));
    expect(await dialog.locator('.preview-verify').innerText()).toMatch(/running, started after/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await docker.getContainer('pilothouse-itest-web-1').inspect()).State.StartedAt).toBe(before);
    await restart.click();
    const confirm = page.getByRole('dialog').getByRole('button', { name: 'Restart' });
    await expect.poll(() => confirm.isEnabled()).toBe(true); // once the preview is in
    await confirm.click();
    await expect.poll(() => page.locator('.action-result').innerText(), { timeout: 40_000 }).toMatch(/^Restart: ok · /);
    expect((await docker.getContainer('pilothouse-itest-web-1').inspect()).State.StartedAt).not.toBe(before);
    expect(problems).toEqual([]);
  });
});
