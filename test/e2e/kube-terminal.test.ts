import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import { KubePlane } from '../../core/planes/kube/plane';
import { startConsole, stopConsole } from '../support/browser';

// An exec terminal into a pod of the rig's cluster, in the page: xterm.js in Chromium, through the web
// host's WebSocket, into the API server's exec WebSocket (kwok runs it on the rig host, where psql reaches
// the rig PostgreSQL: test/rig/docs/kube.md). Run under `flock /tmp/ph-scenario.lock`: another file's
// api-server-restart would cut the session.

const REPO = path.resolve(import.meta.dirname, '../..');
const KUBECONFIG = path.join(REPO, '.rig/kube/kubeconfig');
const skip = existsSync(KUBECONFIG) ? undefined : `no ${KUBECONFIG}: start the rig (npm run rig -- up kube)`;
const EP = 'kube/kwok-pilothouse';
const shots = path.resolve(import.meta.dirname, '../../test-results');

let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
const problems: string[] = [];

/** The visible terminal's screen as lines (xterm's DOM renderer: one element per row). */
const screenLines = async () => (await page.locator('.ph-terminal:not(.hidden) .xterm-rows').innerText()).split('\n').map((l) => l.replace(/\u00a0/g, ' ').trimEnd());

describe.skipIf(!!skip)(`an exec terminal into the rig's pods in the page${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'ph-kube-term-e2e-'));
    const env = { KUBECONFIG, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
    engine = new Engine({ dataDir: path.join(home, 'data'), env, home, planes: [new KubePlane({ env, home, now: Date.now }, { watchConfig: false })] });
    ({ web, browser, page } = await startConsole(engine, problems));
  }, 60_000);

  afterAll(() => stopConsole({ browser, web, engine }));

  it('opens a terminal on main-db (its pod main-db-0), runs psql typed at the prompt and shows the answer', async () => {
    await page.goto(web.url);
    const row = page.locator(`li[data-resource="${EP}/extralit/statefulset/main-db"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await page.locator('.ph-terminal[data-status="open"]').waitFor({ timeout: 20_000 });
    await page.locator('.ph-terminal:not(.hidden) .xterm-helper-textarea').waitFor();
    await expect.poll(async () => (await screenLines()).some((l) => /[#$] ?$/.test(l)), { timeout: 15_000 }).toBe(true);
    await page.keyboard.type("psql -tAc 'select 40 + 2'");
    await page.keyboard.press('Enter');
    await expect.poll(screenLines, { timeout: 15_000 }).toContain('42');
    await page.screenshot({ path: path.join(shots, 'kube-terminal.png') });
    await page.keyboard.type('exit 4');
    await page.keyboard.press('Enter');
    const ended = page.locator('.ph-terminal:not(.hidden) .terminal-ended');
    await expect.poll(() => ended.innerText(), { timeout: 15_000 }).toMatch(/Session ended: exited with code 4/);
    expect(problems).toEqual([]);
  });
});
