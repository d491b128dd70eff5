import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import { KubePlane } from '../../core/planes/kube/plane';
import { startConsole, stopConsole } from '../support/browser';

// The pdf-chatbot Deployment's detail in Chromium: its autoscaler (replicas, CPU against the target) and
// its CPU and memory from the rig's metrics-server. Run under `flock /tmp/ph-scenario.lock`: the
// metrics-server-down scenario of another test would take the figures away.

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const KUBECONFIG = path.join(REPO, '.rig/kube/kubeconfig');
const EP = 'kube/kwok-pilothouse';
const DEP = `${EP}/pdf-chatbot/deployment/pdf-chatbot`;

async function metricsServed(): Promise<string | undefined> {
  if (!existsSync(KUBECONFIG)) return `no ${KUBECONFIG}: start the rig (npm run rig -- up kube)`;
  try {
    await run('kubectl', ['--kubeconfig', KUBECONFIG, 'get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/pdf-chatbot/pods'], { timeout: 15_000 });
    return undefined;
  } catch { return 'metrics.k8s.io does not answer on the rig: npm run rig -- up kube starts metrics-server'; }
}
const skip = await metricsServed();

let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const shots = path.resolve(import.meta.dirname, '../../test-results');

/** A fact of the detail's list, by its name. */
const fact = (name: string) => page.locator('main.detail .facts div').filter({ has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd');

describe.skipIf(!!skip)(`the pdf-chatbot autoscaler and usage in the page${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'ph-kube-hpa-e2e-'));
    const env = { KUBECONFIG, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
    engine = new Engine({ dataDir: path.join(home, 'data'), env, home, planes: [new KubePlane({ env, home, now: Date.now }, { watchConfig: false })] });
    ({ web, browser, page } = await startConsole(engine, problems));
  }, 60_000);

  afterAll(() => stopConsole({ browser, web, engine }));

  it('the Deployment\'s detail shows its HPA (1–5, now 1, wants 1; CPU 42% of 70% target) and its CPU and memory', async () => {
    await page.goto(web.url);
    // Through the list's filter, as an operator would (the list only renders the rows in view).
    await page.getByLabel('Filter resources').fill('pdf-chatbot');
    const row = page.locator(`li[data-resource="${DEP}"]`);
    await row.waitFor({ timeout: 60_000 });
    await row.click();
    await page.locator('main.detail h1', { hasText: 'pdf-chatbot' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => fact('autoscaler').innerText().catch(() => ''), { timeout: 60_000 }).toBe('pdf-chatbot: 1–5 replicas, now 1, wants 1');
    await expect.poll(() => fact('autoscaler metrics').innerText().catch(() => ''), { timeout: 60_000 }).toBe('CPU 42% of 70% target');
    // Fetched because the detail is open (every 15 s while it stays open).
    // 105m simulated; metrics-server's rate over two scrapes wobbles by a millicore or two.
    await expect.poll(() => fact('cpu used').innerText().catch(() => ''), { timeout: 60_000 }).toMatch(/^10[3-7]m over 1 pod \(4[1-3]% of 250m requested\)$/);
    expect(await fact('memory used').innerText()).toBe('300Mi over 1 pod (59% of 512Mi requested)');
    await page.screenshot({ path: path.join(shots, 'kube-hpa-detail.png') });
    expect(problems).toEqual([]);
  });
});
