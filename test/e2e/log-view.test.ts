import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import { startWebHost, type WebHost } from '../../core/host/web-host';
import { launchChromium } from '../support/browser';
import { dockerClient, ensureTestImage, ITEST_PROJECT, runContainer, testDockerHost } from '../support/docker-fixtures';

// A container that writes ~0.5 MB/s of log, so the page's 4 MB log cap drops old lines within seconds,
// and a row three quarters down the kept lines stays kept for several seconds after (at ~1 MB/s a row in
// the middle was dropped, under a full suite's load, before the test looked at it again).
const FLOOD = `i=0; while true; do i=$((i+1)); awk -v b=$i 'BEGIN { for (j = 0; j < 1000; j++) printf "burst %d line %d ................................................................................\\n", b, j }'; sleep 0.2; done`;

let docker: Docker;
let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  docker = dockerClient(testDockerHost());
  await ensureTestImage(docker);
  await runContainer(docker, { name: 'pilothouse-itest-page-flood-1', service: 'page-flood', cmd: ['sh', '-c', FLOOD] });
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-e2e-')), env: { DOCKER_HOST: testDockerHost() } });
  await engine.start();
  web = await startWebHost({ handlers: engine.handlers(), staticDir: RENDERER_DIR });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
});
afterAll(async () => {
  await browser?.close();
  await web?.close();
  engine?.stop();
  await docker?.getContainer('pilothouse-itest-page-flood-1').remove({ force: true }).catch(() => undefined);
});

/** The sequence number of the log row under a fixed point near the top of the log pane. */
function rowAtTop(p: Page): Promise<string | null> {
  return p.evaluate(() => {
    const r = document.querySelector('.log-scroll')!.getBoundingClientRect();
    const el = document.elementFromPoint(r.left + 40, r.top + 60);
    return el?.closest('.line')?.getAttribute('data-seq') ?? null;
  });
}

it('a paused log holds still while old lines are dropped, and a follow resumes at the end', async () => {
  await page.goto(web.url);
  await page.locator(`li[data-resource$="/${ITEST_PROJECT}/page-flood"]`).click({ timeout: 20_000 });
  const count = page.locator('.log-count');
  await expect.poll(() => count.innerText(), { timeout: 60_000 }).toMatch(/older dropped/);
  expect(await page.locator('.log-scroll .line').count()).toBeLessThan(200); // virtualized: a few rows in the DOM

  // Scroll up with the wheel, as an operator does: following stops at once, however fast lines arrive
  // (before, a batch landing between the scroll and its event put the view back at the end). Then three
  // quarters down, where the row on top is kept longest.
  const box = (await page.locator('.log-scroll').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -600);
  await page.locator('.log-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight * 0.75; });
  await expect.poll(() => page.locator('button.follow').innerText()).toMatch(/^Paused/);
  // The virtualizer renders the rows for the new position a frame later.
  let before: string | null = null;
  await expect.poll(async () => (before = await rowAtTop(page)), { timeout: 10_000 }).not.toBeNull();
  const droppedBefore = Number((await count.innerText()).match(/([\d,]+) older dropped/)![1].replace(/,/g, ''));
  await expect.poll(async () => Number((await count.innerText()).match(/([\d,]+) older dropped/)![1].replace(/,/g, '')), { timeout: 30_000 }).toBeGreaterThan(droppedBefore + 2000);
  // Had the view jumped, a different line would sit under the same point from now on.
  await expect.poll(() => rowAtTop(page), { timeout: 5_000 }).toBe(before);
  await expect.poll(() => page.locator('button.follow').innerText()).toMatch(/^Paused · [\d,]+ new ↓$/);

  // Resume: the view jumps to the newest lines and keeps following.
  await page.locator('button.follow').click();
  await expect.poll(() => page.locator('button.follow').innerText()).toBe('Following');
  await expect.poll(async () => page.locator('.log-scroll').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight), { timeout: 5_000 }).toBeLessThan(40);
});

it('filtered and wrapped, a paused log holds still too, under a flood', async () => {
  await page.getByLabel('Filter log').fill('/line 1\\d\\d /');
  await page.getByLabel('wrap').check();
  const count = page.locator('.log-count');
  await expect.poll(async () => Number((await count.innerText()).match(/^([\d,]+) lines/)![1].replace(/,/g, '')), { timeout: 20_000 }).toBeGreaterThan(500);

  // Three quarters down: the row on top stays kept for the ~30,000 lines that drop before it goes.
  await page.locator('.log-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight * 0.75; });
  await expect.poll(() => page.locator('button.follow').innerText()).toMatch(/^Paused/);
  let before: string | null = null;
  await expect.poll(async () => (before = await rowAtTop(page)), { timeout: 10_000 }).not.toBeNull();
  const dropped = async () => Number((await count.innerText()).match(/([\d,]+) older dropped/)![1].replace(/,/g, ''));
  const droppedBefore = await dropped();
  await expect.poll(dropped, { timeout: 30_000 }).toBeGreaterThan(droppedBefore + 12_000);
  await expect.poll(() => rowAtTop(page), { timeout: 5_000 }).toBe(before);
  // Every shown row matches: the index extended batch by batch holds only what the filter lets through.
  const texts = await page.locator('.log-scroll .line .text').allInnerTexts();
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) expect(t).toMatch(/line 1\d\d /);

  // How long the page's tasks take under this flood is a budget for bench/, not an assertion here.
  await page.getByLabel('wrap').uncheck();
  await page.getByLabel('Filter log').fill('');
});
