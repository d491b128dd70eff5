// The rig's Prometheus alerts in Chromium, through the web host: the alerts list (one row per firing alert,
// its summary as the reason), an alert's detail (description, value, since, where it came from), and
// Silence / Expire silence from that detail on the rig's Alertmanager.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import { PrometheusPlane } from '../../core/planes/prometheus/plane';
import { startConsole, stopConsole } from '../support/browser';

const REPO = path.resolve(import.meta.dirname, '../..');
const URL_FILE = path.join(REPO, '.rig/prometheus/url');
const AM_FILE = path.join(REPO, '.rig/prometheus/alertmanager-url');
const skip = existsSync(URL_FILE) ? undefined : 'no .rig/prometheus/url: npm run rig -- up prometheus';
const shots = path.join(REPO, 'test-results');

describe.skipIf(!!skip)(`Prometheus alerts in Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let web: WebHost;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-e2e-prom-'));
    const env = { PILOTHOUSE_PROMETHEUS_URL: readFileSync(URL_FILE, 'utf8').trim(), PILOTHOUSE_CONFIG_DIR: dir, USER: 'e2e-operator' };
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [new PrometheusPlane({ env, home: dir, now: Date.now }, () => undefined)] });
    ({ web, browser, page } = await startConsole(engine, problems));
    await page.goto(web.url);
  }, 120_000);

  afterAll(async () => {
    await stopConsole({ browser, web, engine });
    // A silence this spec made and did not expire (a check failed between the two) must not stay on the rig.
    const am = existsSync(AM_FILE) ? readFileSync(AM_FILE, 'utf8').trim() : undefined;
    if (am) {
      const all = (await (await fetch(`${am}/api/v2/silences`)).json()) as Array<{ id: string; createdBy: string; status: { state: string } }>;
      for (const x of all) if (x.createdBy === 'e2e-operator (Pilothouse)' && x.status.state === 'active') await fetch(`${am}/api/v2/silence/${x.id}`, { method: 'DELETE' });
    }
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
    // An alert has no log: one quiet line says so, not an empty reader with its filter and buttons.
    await expect.poll(() => page.locator('.logview-none').innerText().catch(() => ''), { timeout: 10_000 }).toMatch(/has no log$/);
    expect(await page.getByLabel('Filter log').count()).toBe(0);
    await page.screenshot({ path: path.join(shots, 'prometheus-alert-detail.png') });
    expect(problems).toEqual([]);
  }, 90_000);

  it('Silence from the alert\'s detail: the hours typed are previewed as the exact POST, the alert turns silenced; Expire silence ends it', async () => {
    const detail = page.locator('main.detail');
    await detail.locator('h1', { hasText: 'SearchRequestHighLatency' }).waitFor({ timeout: 30_000 });
    await detail.getByRole('button', { name: 'Silence' }).click();
    const dialog = page.getByRole('dialog');
    const hours = dialog.getByRole('spinbutton');
    await hours.fill('500');
    expect(await dialog.getByRole('alert').innerText()).toContain('Hours must be from 1 to 168');
    await hours.fill('4');
    await expect.poll(() => dialog.locator('.preview-steps').innerText().catch(() => ''), { timeout: 30_000 })
      .toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/api\/v2\/silences matchers .*alertname="SearchRequestHighLatency".*, for 4 h, by e2e-operator \(Pilothouse\)/);
    await dialog.getByRole('button', { name: 'Silence' }).click();
    await expect.poll(() => page.locator('.action-result').innerText().catch(() => ''), { timeout: 60_000 }).toBe('Silence: ok · Silence done: SearchRequestHighLatency shows as silenced');
    await expect.poll(() => detail.locator('dl.facts').innerText(), { timeout: 10_000 }).toMatch(/silenced\s+until \d{4}-\d\d-\d\d \d\d:\d\d UTC by e2e-operator \(Pilothouse\): Silenced for 4 h from Pilothouse/);
    await page.screenshot({ path: path.join(shots, 'prometheus-alert-silenced.png') });
    await detail.getByRole('button', { name: 'Expire silence' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Expire silence' }).click();
    await expect.poll(() => page.locator('.action-result').innerText().catch(() => ''), { timeout: 60_000 }).toBe('Expire silence: ok · Expire silence done: SearchRequestHighLatency is no longer silenced');
    // The result answers the request; the detail follows on the view's stream a moment later.
    await expect.poll(() => detail.locator('dl.facts').innerText(), { timeout: 10_000 }).not.toMatch(/silenced/);
    // Both runs are in the audit log, and the detail shows them, newest first, with who ran them.
    const recent = detail.getByRole('region', { name: 'Recent actions' });
    await expect.poll(() => recent.locator('li').allInnerTexts().catch(() => []), { timeout: 10_000 })
      .toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC ok prometheus\.expire-silence by \S+$/), expect.stringMatching(/ ok prometheus\.silence by \S+$/)]);
    // The overview lists what was done lately on every resource, each leading back to its resource.
    await page.keyboard.press('Escape');
    const lately = page.locator('main.overview').getByRole('region', { name: 'Recent actions' });
    await expect.poll(() => lately.locator('li').allInnerTexts().catch(() => []), { timeout: 10_000 })
      .toEqual([expect.stringMatching(/ok prometheus\.expire-silence · Expire silence .* of alert SearchRequestHighLatency .* by \S+$/), expect.stringMatching(/ok prometheus\.silence · Silence alert SearchRequestHighLatency .* for 4 h on Alertmanager .* by \S+$/)]);
    await lately.locator('li').first().click();
    await detail.locator('h1', { hasText: 'SearchRequestHighLatency' }).waitFor({ timeout: 10_000 });
    expect(problems).toEqual([]);
  }, 120_000);
});
