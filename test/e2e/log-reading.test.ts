import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import { startWebHost, type WebHost } from '../../core/host/web-host';
import { launchChromium } from '../support/browser';
import { until } from '../support/wait';
import { dockerClient, ensureTestImage, ITEST_PROJECT, runContainer, testDockerHost } from '../support/docker-fixtures';

// 131,072 numbered 16-character cells: 2 MB on one line, every cell telling where it belongs.
const CELLS = 131_072;
const LONG = Array.from({ length: CELLS }, (_, i) => `${String(i).padStart(15, '0')}|`).join('');
const CONTAINER = 'pilothouse-itest-page-reading-1';
const SERVICE = 'page-reading';
const SCRIPT = [
  `printf 'before one\\nbefore two\\n'`,
  // Clear the screen, set the window title, move the cursor: all of it must stay inert text on the page.
  `printf '\\033[2J\\033]0;owned\\007\\033[10;10Hafter escapes\\n'`,
  `printf 'a \\033[31mcoloured\\033[0m word\\n'`,
  `printf 'WARN disk almost full\\n'`,
  `awk 'BEGIN { for (i = 0; i < ${CELLS}; i++) printf "%015d|", i; printf "\\n" }'`,
  `printf 'ERROR payment service down\\n'`,
  `printf 'MARKER-END\\n'`,
  'sleep 3600',
].join('; ');

let docker: Docker;
let engine: Engine;
let web: WebHost;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const rows = () => page.locator('.log-scroll .line');
const rowWith = (text: string | RegExp): Locator => rows().filter({ has: page.locator('.text', { hasText: text }) });
const scrollTo = (where: 'top' | 'bottom') => page.locator('.log-scroll').evaluate((el, w) => { el.scrollTop = w === 'top' ? 0 : el.scrollHeight; }, where);
const setFilter = (q: string) => page.getByLabel('Filter log').fill(q);

beforeAll(async () => {
  docker = dockerClient(testDockerHost());
  await ensureTestImage(docker);
  await runContainer(docker, { name: CONTAINER, service: SERVICE, cmd: ['sh', '-c', SCRIPT] });
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-e2e-')), env: { DOCKER_HOST: testDockerHost() } });
  await engine.start();
  web = await startWebHost({ handlers: engine.handlers(), staticDir: RENDERER_DIR });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1200, height: 800 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(web.url).origin });
  page = await context.newPage();
  await page.goto(web.url);
  await page.locator(`li[data-resource$="/${ITEST_PROJECT}/${SERVICE}"]`).click({ timeout: 30_000 });
  await until('the marker row', async () => (await rowWith(/^MARKER-END$/).count()) === 1, 60_000);
});
afterAll(async () => {
  await browser?.close();
  await web?.close();
  engine?.stop();
  await docker?.getContainer(CONTAINER).remove({ force: true }).catch(() => undefined);
});

describe('reading a log in the page', () => {
  it('renders SGR colour and nothing else: escapes stay visible text, the title and earlier rows untouched', async () => {
    const title = await page.title();
    expect(title).not.toBe('owned');
    expect(await rowWith(/^MARKER-END$/).locator('.text').innerText()).toBe('MARKER-END');

    await scrollTo('top');
    await expect.poll(() => rowWith('before one').count()).toBe(1);
    const word = rowWith('coloured').locator('span', { hasText: /^coloured$/ });
    expect(await word.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(240, 113, 120)');
    const esc = rowWith('after escapes');
    const shown = await esc.locator('.text').innerText();
    // Shown, whoever made them visible (the engine or the page): the sequences' printable parts on the row.
    for (const part of ['[2J', ']0;owned', '[10;10H', 'after escapes']) expect(shown).toContain(part);
    expect(shown).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(await esc.locator('.text [style]').count()).toBe(0);
    expect(await rows().first().locator('.text').innerText()).toBe('before one');
    expect(await page.title()).toBe(title);
  });

  it('shows the 2 MB line as marked pieces and downloads it joined, byte for byte, the marker on its own line', async () => {
    await setFilter('/^0{15}\\|/');
    await expect.poll(() => page.locator('.log-count').innerText()).toMatch(/^\d+ lines/);
    const pieces = Number((await page.locator('.log-count').innerText()).match(/^(\d+)/)![1]);
    expect(pieces).toBeGreaterThan(1);
    await scrollTo('top');
    await expect.poll(() => rows().first().locator('.gutter').getAttribute('data-no')).toMatch(/^\d+$/);
    const first = rows().first();
    expect(await first.locator('.piece-tag').innerText()).toBe('piece 1 of a long line');
    expect(await rows().nth(1).locator('.gutter').getAttribute('data-no')).toBe('↪');
    expect(await rows().nth(1).locator('.piece-tag').innerText()).toBe('piece 2 of a long line');
    await scrollTo('bottom');
    await expect.poll(() => rows().last().locator('.piece-tag').innerText()).toBe(`piece ${pieces} of a long line, its last`);
    await setFilter('');

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button.download').click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`${SERVICE}-\\d{8}-\\d{6}\\.log$`));
    const lines = readFileSync((await download.path())!, 'utf8').split('\n');
    const long = lines.find((l) => l.startsWith('000000000000000|'));
    expect(long?.length).toBe(LONG.length);
    expect(long === LONG).toBe(true);
    expect(lines.at(-2)).toBe('MARKER-END');
    expect(lines).toContain('ERROR payment service down');
  });

  it('copies a range picked by line numbers, pieces joined', async () => {
    await scrollTo('bottom');
    await rowWith(/^ERROR payment/).locator('.gutter').click();
    await rowWith(/^MARKER-END$/).locator('.gutter').click({ modifiers: ['Shift'] });
    await expect.poll(() => page.locator('.log-scroll .line-selected').count()).toBe(2);
    await page.locator('button.copy').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('ERROR payment service down\nMARKER-END\n');

    // Ctrl+C copies the same selection when no text is selected with the mouse.
    await page.evaluate(() => navigator.clipboard.writeText(''));
    await page.locator('.log-scroll').focus();
    await page.keyboard.press('Control+C');
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('ERROR payment service down\nMARKER-END\n');
  });

  it('filters by severity: error only shows just the ERROR row', async () => {
    await page.getByLabel('Severity').selectOption('error');
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().locator('.text').innerText()).toBe('ERROR payment service down');
    // The line number is drawn, not text: what the log reads (and copies by mouse) is the line alone.
    expect((await page.locator('.log-scroll').innerText()).trim()).toBe('ERROR payment service down');
    await page.getByLabel('Severity').selectOption('warn');
    await expect.poll(() => rows().count()).toBe(2);
    await page.getByLabel('Severity').selectOption('all');
    await expect.poll(() => rowWith(/^MARKER-END$/).count()).toBe(1);
  });

  it('jumps to the next error from the top, past the long line, and says when there is none above', async () => {
    await page.locator('.log-scroll').click({ position: { x: 600, y: 5 } }); // focus the log, clear nothing
    await scrollTo('top');
    await expect.poll(() => rowWith('before one').count()).toBe(1);
    await expect.poll(() => rowWith(/^ERROR payment/).count()).toBe(0); // out of sight behind the pieces
    await page.keyboard.press('n');
    const err = rowWith(/^ERROR payment/);
    await expect.poll(() => err.count()).toBe(1);
    expect(await err.getAttribute('class')).toContain('line-selected');
    expect(await err.isVisible()).toBe(true);
    const inView = await err.evaluate((el) => {
      const r = el.getBoundingClientRect();
      const s = el.closest('.log-scroll')!.getBoundingClientRect();
      return r.top >= s.top && r.bottom <= s.bottom;
    });
    expect(inView).toBe(true);
    await page.keyboard.press('N');
    await expect.poll(() => page.locator('.log-note').innerText()).toContain('no error above');
    expect(await page.locator('.log-keys').innerText()).toMatch(/n\s*\/\s*]\s*next error/);
  });

  it('wrap turns the long line\'s one-row pieces into wrapped rows without sideways scrolling', async () => {
    await setFilter('/^0{15}\\|/');
    await scrollTo('top');
    const scroller = page.locator('.log-scroll');
    await expect.poll(() => rows().first().locator('.piece-tag').innerText()).toBe('piece 1 of a long line');
    await expect.poll(() => rows().first().evaluate((el) => el.getBoundingClientRect().height)).toBe(18);
    expect(await scroller.evaluate((el) => el.scrollWidth > el.clientWidth * 10)).toBe(true);
    await page.getByLabel('wrap').check();
    await expect.poll(() => rows().first().evaluate((el) => el.getBoundingClientRect().height)).toBeGreaterThan(18 * 20);
    expect(await scroller.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    // Wrapped rows do not overlap: each starts where the one before ends.
    const tops = await rows().evaluateAll((els) => els.slice(0, 3).map((e) => [e.getBoundingClientRect().top, e.getBoundingClientRect().bottom]));
    expect(Math.round(tops[1][0])).toBe(Math.round(tops[0][1]));
    await page.getByLabel('wrap').uncheck();
    await expect.poll(() => rows().first().evaluate((el) => el.getBoundingClientRect().height)).toBe(18);
    await setFilter('');
  });
});
