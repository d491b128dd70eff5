// The storage view in Chromium, through the web host, with the kube plane on the rig's control plane.
// Run under `flock /tmp/ph-scenario.lock`: it applies the pvc-pending and wrong-pv-binding scenarios,
// each undone in a finally.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import { startWebHost, type WebHost } from '../../core/host/web-host';
import { KubePlane } from '../../core/planes/kube/plane';
import { kubeRules } from '../../core/planes/kube/rules';
import { launchChromium } from '../support/browser';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const skip = existsSync(ADMIN) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;
const EP = 'kube/kwok-pilothouse';
const ES_CLAIM = 'elasticsearch-master-elasticsearch-master-0';
const shots = path.resolve(import.meta.dirname, '../../test-results');

const scenario = (name: string, ...undo: string[]) =>
  run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...undo], { cwd: REPO, timeout: 240_000 });

/** Applies a scenario, runs the checks, and undoes it whatever happened. */
async function during(name: string, checks: () => Promise<void>): Promise<void> {
  try {
    await scenario(name);
    await checks();
  } finally {
    await scenario(name, '--undo');
  }
}

describe.skipIf(!!skip)(`the kube storage view in Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let web: WebHost;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  /** A row of the storage view (`claim <ns>/<name>`, `pv <name>`, `class <name>`) and the explanations under it. */
  const row = (key: string) => page.locator(`.storage-view tr[data-row="${key}"]`);
  const why = (key: string) => page.locator(`.storage-view tr[data-row="${key}"] + tr.storage-why`);
  const cells = async (key: string) => (await row(key).locator('td').allInnerTexts()).map((t) => t.trim());

  beforeAll(async () => {
    if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) throw new Error(`the renderer is not built (${RENDERER_DIR}): run 'npm run build:renderer' first (npm test does)`);
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-e2e-kube-storage-'));
    const env = { KUBECONFIG: ADMIN, PATH: process.env.PATH, HOME: dir };
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [new KubePlane({ env, home: dir, now: Date.now }, { rules: kubeRules })] });
    await engine.start();
    web = await startWebHost({ handlers: engine.handlers(), staticDir: RENDERER_DIR });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    await page.goto(web.url);
  });

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    engine?.stop();
  });

  it('the context\'s Storage entry opens every claim, PV and class, with the misspelled class said once at the top', async () => {
    const entry = page.locator(`button.storage-link[data-endpoint="${EP}"]`);
    await expect.poll(() => entry.isEnabled(), { timeout: 60_000 }).toBe(true);
    await entry.click();
    await row(`claim extralit/data-main-db-0`).waitFor({ timeout: 30_000 });
    expect(await cells('claim extralit/data-main-db-0')).toEqual(['', 'extralit/data-main-db-0', 'Bound', '2Gi', '2Gi', 'k8s-storage-policy — does not exist', 'ReadWriteOnce', 'postgres-pv']);
    const pvCells = await cells('pv elastic-pv');
    expect(pvCells.slice(1, 8)).toEqual(['elastic-pv', 'Bound', '8Gi', 'k8s-storage-policy', 'ReadWriteOnce', 'Retain', `extralit/${ES_CLAIM}`]);
    expect(pvCells[8]).toContain('kind-control-plane');
    expect((await cells('class k8-storage-policy'))[1]).toBe('k8-storage-policy');
    await expect.poll(() => page.locator('.storage-view ul[aria-label="Across the cluster"]').innerText(), { timeout: 30_000 })
      .toMatch(/storage class "k8s-storage-policy" does not exist, yet \d+ claims ask for it; the cluster has "k8-storage-policy" \(1 letter apart\)/);
    expect(problems).toEqual([]);
  });

  it('pvc-pending: redis\'s claim is Pending, asking for k8s-storage-policy where k8-storage-policy exists, first in the list; its events in its detail', async () => {
    await during('pvc-pending', async () => {
      await page.locator(`button.storage-link[data-endpoint="${EP}"]`).click();
      await row('claim extralit/redis-data').waitFor({ timeout: 60_000 });
      await expect.poll(() => cells('claim extralit/redis-data'), { timeout: 30_000 })
        .toEqual(['', 'extralit/redis-data', 'Pending', '1Gi', '—', 'k8s-storage-policy — does not exist', 'ReadWriteOnce', '—']);
      await expect.poll(() => why('claim extralit/redis-data').innerText(), { timeout: 30_000 })
        .toMatch(/Pending: asks for storage class "k8s-storage-policy", which does not exist; the cluster has "k8-storage-policy" \(1 letter apart\)/);
      expect(await why('claim extralit/redis-data').innerText()).toMatch(/no PersistentVolume fits it: .*elastic-pv \(8Gi\): bound to extralit\//);
      // Worst first: the Pending claim heads the claims.
      expect(await page.locator('.storage-view table[aria-label="Claims"] tr.storage-row').first().getAttribute('data-row')).toBe('claim extralit/redis-data');
      await page.screenshot({ path: path.join(shots, 'kube-storage-pvc-pending.png') });
      // The claim's own detail: its events as a timeline, the controller's warning highlighted.
      await row('claim extralit/redis-data').locator('button.link', { hasText: 'extralit/redis-data' }).click();
      const warning = page.locator('.events-timeline tr.event-warning');
      await expect.poll(() => warning.first().innerText(), { timeout: 60_000 }).toMatch(/Warning\s+ProvisioningFailed[\s\S]*PersistentVolumeClaim\/redis-data[\s\S]*"k8s-storage-policy" not found/);
    });
  });

  it('wrong-pv-binding: data-main-db-0 is bound to elastic-pv and Elasticsearch\'s claim is Pending, each with the explanation', async () => {
    await during('wrong-pv-binding', async () => {
      await page.locator(`button.storage-link[data-endpoint="${EP}"]`).click();
      await expect.poll(() => cells('claim extralit/data-main-db-0').then((c) => [c[2], c[7]]), { timeout: 120_000 }).toEqual(['Bound', 'elastic-pv']);
      await expect.poll(() => why('claim extralit/data-main-db-0').innerText(), { timeout: 30_000 })
        .toMatch(new RegExp(`bound to PV elastic-pv \\(8Gi\\), which was meant for claim extralit/${ES_CLAIM} \\(.*\\); that claim is Pending without it`));
      await expect.poll(() => cells(`claim extralit/${ES_CLAIM}`).then((c) => c[2]), { timeout: 30_000 }).toBe('Pending');
      await expect.poll(() => why(`claim extralit/${ES_CLAIM}`).innerText(), { timeout: 30_000 })
        .toMatch(/Pending: PV elastic-pv \(8Gi\), meant for this claim \(.*\), is bound to claim extralit\/data-main-db-0/);
      expect((await cells('pv elastic-pv'))[7]).toBe('extralit/data-main-db-0');
      expect(await page.locator('.storage-view table[aria-label="Claims"] tr.storage-row').first().getAttribute('data-row')).toBe(`claim extralit/${ES_CLAIM}`);
      await page.screenshot({ path: path.join(shots, 'kube-storage-wrong-pv-binding.png') });
    });
  });
});
