import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import { startWebHost, type WebHost } from '../../core/host/web-host';
import { launchChromium } from '../support/browser';

let engine: Engine;
let web: WebHost;
let browser: Browser;
const sock = path.join(tmpdir(), 'ph-e2e-no-docker.sock');

beforeAll(async () => {
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-e2e-')), env: { DOCKER_HOST: `unix://${sock}` } });
  await engine.start();
  web = await startWebHost({ handlers: engine.handlers(), staticDir: RENDERER_DIR });
  browser = await launchChromium();
});
afterAll(async () => { await browser?.close(); await web?.close(); engine?.stop(); });

it('with no Docker engine, the page says what was tried and how to fix it', async () => {
  const page = await browser.newPage();
  await page.goto(web.url);
  // One banner per endpoint that cannot be reached; other engines found on this machine may have their own.
  const banner = page.getByRole('alert').filter({ hasText: sock });
  await expect.poll(() => banner.innerText(), { timeout: 20_000 }).toContain(`at unix://${sock} (DOCKER_HOST): socket not found`);
  expect(await banner.innerText()).toMatch(/Start Docker .* or set DOCKER_HOST/);
  expect(await banner.innerText()).toMatch(/Retrying (in \d+ s|now)/);
  expect(await page.locator('main.empty').innerText()).toContain(`docker at unix://${sock} (DOCKER_HOST) cannot be reached`);
});
