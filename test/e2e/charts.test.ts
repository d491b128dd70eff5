import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import type { PlaneEnv } from '../../core/planes/plane';
import { SshPlane } from '../../core/planes/ssh/plane';
import { startConsole, stopConsole } from '../support/browser';

// Charts in Chromium from the rig Prometheus: the search-service stub's latency declared in metrics.yaml
// on the kraken-infra host (left unconnected: the charts need Prometheus only), a range switch that
// refetches, and a broken query that shows Prometheus's error.

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

describe.skipIf(!!skip)(`charts of the rig Prometheus in the page${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-charts-e2e-'));
    mkdirSync(path.join(dir, 'config'));
    writeFileSync(path.join(dir, 'config', 'metrics.yaml'), `prometheus: ${readFileSync(PROM_FILE, 'utf8').trim()}
resources:
  "ssh/kraken-infra/**":
    - title: Search latency p95
      query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{handler="/search-image"}[1m])))
      unit: seconds
    - title: Broken query
      query: rate(http_request_duration_seconds_count[1m]) by (
      unit: count
`);
    const env: PlaneEnv = { env: { PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, PILOTHOUSE_CONFIG_DIR: path.join(dir, 'config'), USER: 'pilothouse-test' }, home: path.join(dir, 'home'), now: Date.now, dataDir: path.join(dir, 'data') };
    engine = new Engine({ dataDir: env.dataDir!, env: env.env, home: env.home, planes: [new SshPlane(env)] });
    ({ web, browser, page } = await startConsole(engine, problems));
  }, 60_000);

  afterAll(() => stopConsole({ browser, web, engine }));

  it('a declared chart draws real points with labelled axes; a range switch refetches; a bad query shows its error', async () => {
    await page.goto(web.url);
    const row = page.locator(`li[data-resource="${RID}"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    const charts = page.getByRole('region', { name: 'Charts' });
    const latency = charts.locator('figure[data-chart="q0"]');
    await latency.waitFor({ timeout: 30_000 });
    await expect.poll(async () => Number(await latency.getAttribute('data-points')), { timeout: 20_000 }).toBeGreaterThan(10);
    expect(await latency.locator('figcaption').innerText()).toMatch(/Search latency p95[\s\S]*Prometheus/);
    // The line is drawn, the y axis says what it measures and reads in ms, the x axis in clock times
    // (recharts 3 marks the axes' ticks alike: the left axis's are anchored at their end, the bottom's in the middle).
    // 'attached': a flat line (a steady latency) has a zero-height box, which Playwright counts as hidden.
    await latency.locator('path.recharts-line-curve').waitFor({ state: 'attached', timeout: 10_000 });
    expect((await latency.locator('path.recharts-line-curve').getAttribute('d'))!.length).toBeGreaterThan(50);
    expect(await latency.locator('.chart-axis-label').first().textContent()).toBe('seconds');
    const yTicks = await latency.locator('.recharts-cartesian-axis-tick-value[text-anchor="end"]').allTextContents();
    expect(yTicks.some((t) => /^\d+ ms$/.test(t))).toBe(true);
    const xTicks = await latency.locator('.recharts-cartesian-axis-tick-value[text-anchor="middle"]').allTextContents();
    expect(xTicks.length).toBeGreaterThan(2);
    expect(xTicks.every((t) => /^\d\d:\d\d$/.test(t))).toBe(true);
    expect(Number(await latency.getAttribute('data-end')) - Number(await latency.getAttribute('data-start'))).toBe(3_600_000);

    // The broken query's chart says what Prometheus said.
    const broken = charts.locator('figure[data-chart="q1"]');
    await expect.poll(() => broken.getByRole('status').innerText(), { timeout: 20_000 }).toMatch(/parse error/);
    await page.screenshot({ path: path.join(shots, 'charts-1h.png') });

    // 6 h: a new range from the engine, drawn again.
    await charts.getByRole('button', { name: '6h' }).click();
    expect(await charts.getByRole('button', { name: '6h' }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(async () => Number(await latency.getAttribute('data-end')) - Number(await latency.getAttribute('data-start')), { timeout: 20_000 }).toBe(21_600_000);
    await expect.poll(async () => Number(await latency.getAttribute('data-points')), { timeout: 20_000 }).toBeGreaterThan(0);
    // 'attached': a flat line (a steady latency) has a zero-height box, which Playwright counts as hidden.
    await latency.locator('path.recharts-line-curve').waitFor({ state: 'attached', timeout: 10_000 });
    await page.screenshot({ path: path.join(shots, 'charts-6h.png') });
    expect(problems).toEqual([]);
  }, 120_000);
});
