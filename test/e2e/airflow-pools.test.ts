// Airflow pools in Chromium, through the web host, on the rig's Airflow 2.10: the list's occupancy bars,
// a pool's detail, and Set slots typed into the dialog (its preview follows the value typed, a value out
// of bounds cannot be sent). Run under `flock /tmp/ph-scenario.lock`: it changes s3_upload_pool's slots
// and puts them back to the rig's 2 whatever happened.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import { AirflowPlane } from '../../core/planes/airflow/plane';
import { startConsole, stopConsole } from '../support/browser';

const REPO = path.resolve(import.meta.dirname, '../..');
const DIR = path.join(REPO, '.rig/airflow');
const skip = existsSync(path.join(DIR, 'url')) ? undefined : `no ${DIR}/url: start the rig (npm run rig -- up airflow)`;
const shots = path.resolve(import.meta.dirname, '../../test-results');
const RID = (p: string) => `airflow/rig/pool/${p}`;

describe.skipIf(!!skip)(`Airflow pools in Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let web: WebHost;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const url = () => readFileSync(path.join(DIR, 'url'), 'utf8').trim();
  const auth = () => `Basic ${Buffer.from(`${readFileSync(path.join(DIR, 'username'), 'utf8').trim()}:${readFileSync(path.join(DIR, 'password'), 'utf8').trim()}`).toString('base64')}`;
  const slots = async (p: string) => ((await (await fetch(`${url()}/api/v1/pools/${p}`, { headers: { authorization: auth() } })).json()) as { slots: number }).slots;
  const setSlots = (p: string, n: number) => fetch(`${url()}/api/v1/pools/${p}?update_mask=slots`, { method: 'PATCH', headers: { authorization: auth(), 'content-type': 'application/json' }, body: JSON.stringify({ slots: n }) });

  beforeAll(async () => {
    await setSlots('s3_upload_pool', 2);
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-e2e-airflow-'));
    const env = { PILOTHOUSE_AIRFLOW_URL: url(), PILOTHOUSE_AIRFLOW_PASSWORD_FILE: path.join(DIR, 'password'), PILOTHOUSE_AIRFLOW_NAME: 'rig', PILOTHOUSE_CONFIG_DIR: dir };
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [new AirflowPlane({ env, home: dir, now: Date.now, dataDir: path.join(dir, 'data') })] });
    ({ web, browser, page } = await startConsole(engine, problems, { viewport: { width: 1500, height: 950 } }));
    await page.goto(web.url);
  }, 120_000);

  afterAll(async () => {
    await stopConsole({ browser, web, engine });
    await setSlots('s3_upload_pool', 2).catch(() => undefined);
  });

  it('lists each pool with an occupancy bar that says its slots', async () => {
    const row = page.locator(`li[data-resource="${RID('file_copy_pool')}"]`);
    await row.waitFor({ timeout: 60_000 });
    const bar = row.getByRole('meter');
    expect(await bar.getAttribute('aria-valuemax')).toBe('3');
    expect(await bar.getAttribute('aria-label')).toMatch(/^\d of 3 slots in use$/);
    expect(await page.locator(`li[data-resource="${RID('cluster_slots_pool')}"]`).getByRole('meter').getAttribute('aria-valuemax')).toBe('30');
  });

  it('Set slots: the typed value is previewed as the exact PATCH, a value out of bounds is refused in the dialog, the run sets it', async () => {
    await page.screenshot({ path: path.join(shots, 'airflow-pools-list.png') });
    // Through the list's filter, as an operator would (a big Airflow has more pools than the list shows at once).
    await page.getByLabel('Filter resources').fill('s3_upload_pool');
    await page.locator(`li[data-resource="${RID('s3_upload_pool')}"]`).click();
    await page.locator('main.detail h1', { hasText: 's3_upload_pool' }).waitFor({ timeout: 30_000 });
    expect(await page.getByLabel('Occupancy').innerText()).toMatch(/0 of 2 slots in use · 2 open/);
    await page.getByRole('button', { name: 'Set slots' }).click();
    const dialog = page.getByRole('dialog');
    const field = dialog.getByRole('spinbutton');
    expect(await field.inputValue()).toBe('2');
    await field.fill('-3');
    expect(await dialog.getByRole('alert').innerText()).toContain('Slots must be from 0 to 10000');
    expect(await dialog.getByRole('button', { name: 'Set slots' }).isDisabled()).toBe(true);
    await field.fill('4');
    await expect.poll(() => dialog.locator('.preview-steps').innerText().catch(() => ''), { timeout: 30_000 })
      .toBe(`airflow/rig PATCH ${url()}/api/v1/pools/s3_upload_pool?update_mask=slots {"slots":4}`);
    await page.screenshot({ path: path.join(shots, 'airflow-set-slots.png') });
    await dialog.getByRole('button', { name: 'Set slots' }).click();
    await expect.poll(() => page.locator('.action-result').innerText().catch(() => ''), { timeout: 60_000 }).toBe('Set slots: ok · Set slots done: s3_upload_pool has 4 slots');
    expect(await slots('s3_upload_pool')).toBe(4);
    await expect.poll(() => page.getByLabel('Occupancy').innerText(), { timeout: 30_000 }).toMatch(/0 of 4 slots in use · 4 open/);
    expect(problems).toEqual([]);
  });
});
