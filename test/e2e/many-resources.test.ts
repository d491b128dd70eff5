import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyntheticPlane } from '../../bench/synthetic-plane';
import { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import { startWebHost, type WebHost } from '../../core/host/web-host';
import { launchChromium } from '../support/browser';

// 10,000 resources through the real engine, views, web host and page: the list stays virtual (a few
// hundred DOM rows at most), filters, collapses and keyboard selection work at that size.

const COUNT = 10_000;
let plane: SyntheticPlane;
let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
/** Console errors, page errors and failed or 4xx/5xx requests seen while the page loads and runs. */
const problems: string[] = [];
const shots = path.resolve(import.meta.dirname, '../../test-results');

const domRows = () => page.locator('.list-scroll li').count();
const shownNames = () => page.locator('li[data-resource] .res-name').allInnerTexts();

beforeAll(async () => {
  if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) throw new Error(`the renderer is not built (${RENDERER_DIR}): run 'npm run build:renderer' first (npm test does)`);
  plane = new SyntheticPlane({ count: COUNT });
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-e2e-')), env: {}, planes: [plane] });
  await engine.start();
  web = await startWebHost({ handlers: engine.handlers(), staticDir: RENDERER_DIR });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
});

afterAll(async () => {
  plane?.stopUpdates();
  await browser?.close();
  await web?.close();
  engine?.stop();
});

describe('the console with 10,000 resources', () => {
  it('loads every resource with no console error and no failed request, and keeps the DOM small', async () => {
    await page.goto(web.url);
    await expect.poll(() => page.locator('.list-count').first().innerText(), { timeout: 30_000 }).toBe('10,000 resources');
    // The overview: counts, the problem table (capped), and the stack's summary.
    const errors = Number((await page.locator('.ov-count[data-status="error"] .ov-n').innerText()).replace(/,/g, ''));
    expect(errors).toBeGreaterThan(0);
    expect(await page.locator('[data-problem]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-problem]').count()).toBeLessThanOrEqual(60);
    expect(await domRows()).toBeLessThan(300);
    expect(problems).toEqual([]);
  });

  it('filters by name from the keyboard (f)', async () => {
    await page.keyboard.press('f');
    await page.keyboard.type('svc-0004');
    await expect.poll(shownNames, { timeout: 5_000 }).toEqual(Array.from({ length: 10 }, (_, i) => `svc-0004${i}`));
    expect(await page.locator('.list-count').first().innerText()).toBe('10 of 10,000');
    await page.keyboard.press('Escape'); // clears the filter and leaves the field
    await expect.poll(() => page.locator('.list-count').first().innerText()).toBe('10,000 resources');
  });

  it('collapses a group to its header, and expands it again', async () => {
    const head = page.locator('li[data-group]').first();
    const group = (await head.getAttribute('data-group'))!;
    const inGroup = page.locator(`li[data-resource*="/${group}/"]`);
    expect(await inGroup.count()).toBeGreaterThan(0);
    await head.getByRole('button').click();
    await expect.poll(() => inGroup.count()).toBe(0);
    expect(await page.locator(`li[data-group="${group}"] button`).getAttribute('aria-expanded')).toBe('false');
    await page.locator(`li[data-group="${group}"] button`).click();
    await expect.poll(() => inGroup.count()).toBeGreaterThan(0);
  });

  it('selects with the keyboard, skipping a collapsed group, and shows the full resource', async () => {
    const heads = page.locator('li[data-group]');
    const first = (await heads.nth(0).getAttribute('data-group'))!;
    await heads.nth(0).getByRole('button').click(); // collapse the first group: the keyboard passes over it
    const second = (await heads.nth(1).getAttribute('data-group'))!;
    await page.keyboard.press('ArrowDown');
    const selected = page.locator('li[data-resource][aria-selected="true"]');
    await expect.poll(() => selected.getAttribute('data-resource')).toContain(`/${second}/`);
    const names = await page.locator(`li[data-resource*="/${second}/"] .res-name`).allInnerTexts();
    await page.keyboard.press('j');
    await expect.poll(() => selected.locator('.res-name').innerText()).toBe(names[1]);
    await expect.poll(() => page.locator('main.detail h1').innerText()).toBe(names[1]);
    // The full level brings the plane's actions and facts.
    await expect.poll(() => page.locator('main.detail').getByRole('button', { name: 'Bump' }).count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('dl.facts').innerText()).toMatch(/rev/);
    await page.keyboard.press('k');
    await expect.poll(() => selected.locator('.res-name').innerText()).toBe(names[0]);
    expect(first).not.toBe(second);
    expect(await domRows()).toBeLessThan(300);
  });

  it('previews an action, and a type-name action waits for the name', async () => {
    const name = await page.locator('main.detail h1').innerText();
    await page.locator('main.detail').getByRole('button', { name: 'Wipe' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.innerText()).toContain('cannot be rebuilt');
    expect(await dialog.innerText()).toMatch(/wipe synthetic\//); // the exact step
    expect(await dialog.innerText()).toContain(`${name} is gone`); // the verify condition
    const confirm = dialog.getByRole('button', { name: 'Wipe' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole('textbox').fill(name.slice(0, -1));
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole('textbox').fill(name);
    expect(await confirm.isDisabled()).toBe(false);
    await confirm.click();
    // The outcome, and (in any order) the note that the resource is gone from its plane.
    await expect.poll(() => page.locator('.action-result').allInnerTexts(), { timeout: 10_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/^Wipe: ok/), 'This resource is gone from its plane.']));
    await expect.poll(() => page.locator('.list-count').first().innerText()).toBe('9,999 resources');
  });

  it('takes a stream of updates, lists them as recent changes, and stays virtual', async () => {
    await page.keyboard.press('Escape'); // back to the overview
    await page.locator('main.overview').waitFor();
    plane.startUpdates(500);
    // A status change seen in a patch goes on top, with where it came from.
    const newest = page.locator('li[data-recent]').first();
    await expect.poll(() => newest.innerText(), { timeout: 10_000 }).toMatch(/→/);
    expect(await newest.locator('.ov-when').innerText()).toMatch(/^(just now|\d+ s ago)$/);
    plane.stopUpdates();
    await page.locator('.list-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
    await expect.poll(domRows).toBeGreaterThan(10);
    expect(await domRows()).toBeLessThan(300);
    await page.screenshot({ path: path.join(shots, 'many-resources.png') });
    expect(problems).toEqual([]);
  });
});
