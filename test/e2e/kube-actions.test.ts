// Kube actions in Chromium, through the web host, on the rig's control plane: the preview's server dry run,
// an action the read-only user may not do shown disabled with the access review's reason, a secret key
// revealed and hidden. Run under `flock /tmp/ph-scenario.lock`: it makes (and deletes) its own namespace.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import { startWebHost, type WebHost } from '../../core/host/web-host';
import { KubePlane } from '../../core/planes/kube/plane';
import { launchChromium } from '../support/browser';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const READONLY = path.join(REPO, '.rig/kube/kubeconfig-readonly');
const skip = existsSync(ADMIN) && existsSync(READONLY) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;
const EP = 'kube/kwok-pilothouse';
const RO = 'kube/kwok-pilothouse-readonly';
const NS = 'pilothouse-e2e-actions';
const VALUE = 'e2e-Reveal-me-91c2';
const shots = path.resolve(import.meta.dirname, '../../test-results');
const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', ADMIN, ...args])).stdout;

describe.skipIf(!!skip)(`kube actions in Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let web: WebHost;
  let browser: Browser;
  let page: Page;
  let pod: string;
  const problems: string[] = [];

  /** Selects a resource through the list's filter, as an operator would. */
  async function open(rid: string, name: string): Promise<void> {
    const filter = page.getByLabel('Filter resources');
    await filter.fill(name);
    const row = page.locator(`li[data-resource="${rid}"]`);
    await row.waitFor({ timeout: 60_000 });
    await row.click();
    await page.locator(`main.detail h1`, { hasText: name }).waitFor({ timeout: 30_000 });
  }

  beforeAll(async () => {
    if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) throw new Error(`the renderer is not built (${RENDERER_DIR}): run 'npm run build:renderer' first (npm test does)`);
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-e2e-kube-actions-'));
    await kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=60s');
    writeFileSync(path.join(dir, 'm.yaml'), `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: Pod
metadata: {name: solo, namespace: ${NS}}
spec: {containers: [{name: solo, image: "nginx:1.27"}]}
---
apiVersion: v1
kind: Secret
metadata: {name: token, namespace: ${NS}}
stringData: {api-key: "${VALUE}"}
`);
    await kubectl('apply', '-f', path.join(dir, 'm.yaml'));
    pod = 'solo';
    const env = { KUBECONFIG: [ADMIN, READONLY].join(':'), PATH: process.env.PATH, HOME: dir };
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [new KubePlane({ env, home: dir, now: Date.now })] });
    await engine.start();
    await until('the pod in both contexts', () => engine.model.get(`${EP}/${NS}/pod/${pod}`) && engine.model.get(`${RO}/${NS}/pod/${pod}`), 60_000);
    web = await startWebHost({ handlers: engine.handlers(), staticDir: RENDERER_DIR });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    await page.goto(web.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    engine?.stop();
    await kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=false').catch(() => undefined);
  });

  it('Delete pod: the dialog shows the server\'s dry run and waits for the typed name; Cancel changes nothing', async () => {
    await open(`${EP}/${NS}/pod/${pod}`, pod);
    await page.getByRole('button', { name: 'Delete pod' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.locator('.preview-dry-run').innerText().catch(() => ''), { timeout: 30_000 })
      .toBe(`dry run (dryRun=All) accepted: pod ${pod} would be deleted`);
    expect(await dialog.locator('.preview-dry-run').getAttribute('class')).toContain('dry-run-ok');
    const confirm = dialog.getByRole('button', { name: 'Delete pod' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${pod} to confirm`).fill(pod);
    expect(await confirm.isEnabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await kubectl('get', 'pod', '-n', NS, pod, '-o', 'jsonpath={.metadata.deletionTimestamp}')).toBe('');
  });

  it('the read-only user sees Delete pod disabled, with the access review\'s reason beside it', async () => {
    await open(`${RO}/${NS}/pod/${pod}`, pod);
    const button = page.getByRole('button', { name: 'Delete pod' });
    await expect.poll(() => button.isDisabled(), { timeout: 30_000 }).toBe(true);
    const why = `user pilothouse-readonly may not delete pods in namespace ${NS} (SelfSubjectAccessReview: no RBAC rule allows it)`;
    expect(await button.getAttribute('title')).toBe(`Unavailable: ${why}`);
    expect(await page.getByLabel('Unavailable actions').innerText()).toBe(`Delete pod unavailable: ${why}`);
    await page.screenshot({ path: path.join(shots, 'kube-actions-readonly.png') });
  });

  it('Reveal a secret key: the value shows after confirming, and Hide takes it off the page', async () => {
    await open(`${EP}/${NS}/secret/token`, 'token');
    const reveal = page.getByRole('button', { name: 'Reveal api-key' });
    await reveal.waitFor({ timeout: 30_000 });
    await reveal.click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.locator('.preview-dry-run').innerText().catch(() => ''), { timeout: 30_000 }).toMatch(/^dry run unavailable: reading a secret changes nothing/);
    await dialog.getByRole('button', { name: 'Reveal api-key' }).click();
    const shown = page.getByLabel(`Revealed ${NS}/token[api-key]`);
    await expect.poll(() => shown.locator('code').innerText().catch(() => ''), { timeout: 30_000 }).toBe(VALUE);
    await page.screenshot({ path: path.join(shots, 'kube-actions-revealed.png') });
    await shown.getByRole('button', { name: 'Hide' }).click();
    expect(await page.content()).not.toContain(VALUE);
    expect(problems).toEqual([]);
  });
});
