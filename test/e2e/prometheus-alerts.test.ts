// The rig's Prometheus alerts in Chromium, through the web host: the alerts list (one row per firing alert,
// its summary as the reason) and an alert's detail (description, value, since, where it came from).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import type { WebHost } from '../../core/host/web-host';
import { PrometheusPlane } from '../../core/planes/prometheus/plane';
import { openConsole } from '../support/browser';

const REPO = path.resolve(import.meta.dirname, '../..');
const URL_FILE = path.join(REPO, '.rig/prometheus/url');
const skip = existsSync(URL_FILE) ? undefined : 'no .rig/prometheus/url: npm run rig -- up prometheus';
const shots = path.join(REPO, 'test-results');

describe.skipIf(!!skip)(`Prometheus alerts in Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let web: WebHost;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) throw new Error(`the renderer is not built (${RENDERER_DIR}): run 'npm run build:renderer' first (npm test does)`);
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-e2e-prom-'));
    const env = { PILOTHOUSE_PROMETHEUS_URL: readFileSync(URL_FILE, 'utf8').trim(), PILOTHOUSE_CONFIG_DIR: dir };
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [new PrometheusPlane({ env, home: dir, now: Date.now }, () => undefined)] });
    await engine.start();
    ({ web, browser, page } = await openConsole(engine.handlers(), RENDERER_DIR, problems));
    await page.goto(web.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    engine?.stop();
  });

  it('lists the firing alerts with their summaries, and an alert\'s detail says description, value and since', async () => {
    const row = page.locator('li[data-resource^="prometheus/env/alert/SearchRequestHighLatency-"]');
    await row.waitFor({ timeout: 60_000 });
    expect(await row.innerText()).toContain('Search service answers slowly');
    await expect.poll(() => page.locator('li[data-resource^="prometheus/env/alert/"]').count()).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: path.join(shots, 'prometheus-alerts-list.png') });
    await row.click();
    const detail = page.locator('main.detail');
    await detail.locator('h1', { hasText: 'SearchRequestHighLatency' }).waitFor({ timeout: 30_000 });
    const facts = await detail.locator('dl.facts').innerText();
    expect(facts).toMatch(/description\s+Mean \/search-image latency is \d/);
    expect(facts).toMatch(/value\s+0\.\d+/);
    expect(facts).toMatch(/since\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(facts).toMatch(/source\s+env \(prometheus and alertmanager\)/);
    await page.screenshot({ path: path.join(shots, 'prometheus-alert-detail.png') });
    expect(problems).toEqual([]);
  }, 90_000);
});
