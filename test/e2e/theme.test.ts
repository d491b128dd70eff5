import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import type { PlaneEnv } from '../../core/planes/plane';
import { SshPlane } from '../../core/planes/ssh/plane';
import { contrast, luminance, type Rgb } from '../../renderer/src/logs/palette';
import { startConsole, stopConsole } from '../support/browser';

// The light theme in Chromium: the topbar's Light switches the page and a real chart (the rig Prometheus,
// declared in metrics.yaml as in charts.test.ts) to light colours that still read; the choice survives a
// reload; Auto follows the system's prefers-color-scheme.

const REPO = path.resolve(import.meta.dirname, '../..');
const PROM_FILE = path.join(REPO, '.rig/prometheus/url');
const SSH_CONFIG = path.join(REPO, '.rig/ssh/ssh_config');
const skip = !existsSync(PROM_FILE) ? `no ${PROM_FILE}: start the rig (npm run rig -- up prometheus)`
  : !existsSync(SSH_CONFIG) ? `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)` : undefined;
const RID = 'ssh/kraken-infra/host/kraken-infra';
const shots = path.resolve(import.meta.dirname, '../../test-results');

let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
const problems: string[] = [];

function rgb(css: string): Rgb {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  if (!m) throw new Error(`not an rgb colour: ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}
const style = (l: Locator, prop: string) => l.evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), prop);

describe.skipIf(!!skip)(`light and dark themes in the page${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-theme-e2e-'));
    mkdirSync(path.join(dir, 'config'));
    writeFileSync(path.join(dir, 'config', 'metrics.yaml'), `prometheus: ${readFileSync(PROM_FILE, 'utf8').trim()}
resources:
  "ssh/kraken-infra/**":
    - title: Search requests
      query: sum(rate(http_request_duration_seconds_count[1m]))
      unit: count
`);
    const env: PlaneEnv = { env: { PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, PILOTHOUSE_CONFIG_DIR: path.join(dir, 'config'), USER: 'pilothouse-test' }, home: path.join(dir, 'home'), now: Date.now, dataDir: path.join(dir, 'data') };
    engine = new Engine({ dataDir: env.dataDir!, env: env.env, home: env.home, planes: [new SshPlane(env)] });
    ({ web, browser, page } = await startConsole(engine, problems));
  }, 60_000);

  afterAll(() => stopConsole({ browser, web, engine }));

  it('Light turns the page and a chart light with readable axis text; a reload keeps it; Auto follows the system', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(web.url);
    const html = page.locator('html');
    expect(await html.getAttribute('data-theme')).toBe('dark');
    const row = page.locator(`li[data-resource="${RID}"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    const chart = page.getByRole('region', { name: 'Charts' }).locator('figure[data-chart="q0"]');
    await chart.waitFor({ timeout: 30_000 });
    const tick = chart.locator('.recharts-cartesian-axis-tick-value').first();
    await tick.waitFor({ state: 'attached', timeout: 20_000 });
    const line = chart.locator('path.recharts-line-curve');
    await line.waitFor({ state: 'attached', timeout: 20_000 });
    const darkTick = rgb(await style(tick, 'fill'));
    const darkLine = rgb(await style(line, 'stroke'));
    expect(luminance(rgb(await style(page.locator('body'), 'background-color')))).toBeLessThan(0.1);
    expect(contrast(darkTick, rgb(await style(chart, 'background-color')))).toBeGreaterThanOrEqual(4.5);

    const themes = page.getByRole('group', { name: 'Theme' });
    await themes.getByRole('button', { name: 'Light' }).click();
    expect(await html.getAttribute('data-theme')).toBe('light');
    const checkLight = async () => {
      const bg = rgb(await style(page.locator('body'), 'background-color'));
      expect(luminance(bg)).toBeGreaterThan(0.8);
      const panel = rgb(await style(chart, 'background-color'));
      const tickColour = rgb(await style(tick, 'fill'));
      expect(tickColour).not.toEqual(darkTick);
      expect(contrast(tickColour, bg)).toBeGreaterThanOrEqual(4.5);
      expect(contrast(tickColour, panel)).toBeGreaterThanOrEqual(4.5);
      // The series colour is re-read too: the dark theme's light blue would be faint on white.
      const lineColour = rgb(await style(line, 'stroke'));
      expect(lineColour).not.toEqual(darkLine);
      expect(contrast(lineColour, panel)).toBeGreaterThanOrEqual(3); // WCAG's ratio for graphics
    };
    await checkLight();
    await page.screenshot({ path: path.join(shots, 'theme-light.png') });

    // The choice is kept: after a reload the page opens light though the system is dark.
    await page.reload();
    expect(await html.getAttribute('data-theme')).toBe('light');
    await row.waitFor({ timeout: 30_000 });
    expect(await themes.getByRole('button', { name: 'Light' }).getAttribute('aria-pressed')).toBe('true');
    await row.click();
    await tick.waitFor({ state: 'attached', timeout: 20_000 });
    await line.waitFor({ state: 'attached', timeout: 20_000 });
    await checkLight();

    // Auto follows the system, and changes with it.
    await themes.getByRole('button', { name: 'Auto' }).click();
    expect(await html.getAttribute('data-theme')).toBe('dark');
    expect(rgb(await style(tick, 'fill'))).toEqual(darkTick);
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => html.getAttribute('data-theme')).toBe('light');
    expect(await page.evaluate(() => localStorage.getItem('pilothouse.theme'))).toBe('auto');
    expect(problems).toEqual([]);
  }, 120_000);
});
