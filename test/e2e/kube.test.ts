import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import type { WebHost } from '../../core/host/web-host';
import { KubePlane } from '../../core/planes/kube/plane';
import { openConsole } from '../support/browser';

// The rig's cluster in the page, as an operator meets it: the extralit stack by namespace, and the rig's
// crashloop scenario read on langfuse's row. Run under `flock /tmp/ph-scenario.lock`: it applies crashloop
// (always undone) on the shared control plane.

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const KUBECONFIG = path.join(REPO, '.rig/kube/kubeconfig');
const skip = existsSync(KUBECONFIG) ? undefined : `no ${KUBECONFIG}: start the rig (npm run rig -- up kube)`;
const EP = 'kube/kwok-pilothouse';
/** The dot colour of an error, as the stylesheet's --err (#f85149) is computed. */
const RED = 'rgb(248, 81, 73)';

let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
let applied = false;
const problems: string[] = [];
const shots = path.resolve(import.meta.dirname, '../../test-results');

async function scenario(name: string, undo = false): Promise<void> {
  await run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...(undo ? ['--undo'] : [])], { cwd: REPO, timeout: 150_000 });
}

const row = (ns: string, kind: string, name: string) => page.locator(`li[data-resource="${EP}/${ns}/${kind}/${name}"]`);

describe.skipIf(!!skip)(`the rig's Kubernetes cluster in the page${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) throw new Error(`the renderer is not built (${RENDERER_DIR}): run 'npm run build:renderer' first (npm test does)`);
    const home = mkdtempSync(path.join(tmpdir(), 'ph-kube-e2e-'));
    const env = { KUBECONFIG, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
    engine = new Engine({ dataDir: path.join(home, 'data'), env, home, planes: [new KubePlane({ env, home, now: Date.now })] });
    await engine.start();
    ({ web, browser, page } = await openConsole(engine.handlers(), RENDERER_DIR, problems));
  }, 60_000);

  afterAll(async () => {
    try {
      if (applied) await scenario('crashloop', true);
    } finally {
      await browser?.close();
      await web?.close();
      engine?.stop();
    }
  }, 180_000);

  it('shows the extralit namespace with main-db, elasticsearch and argilla-server', async () => {
    await page.goto(web.url);
    const group = page.locator('li[data-group="extralit"]');
    await group.waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator(`li[data-resource^="${EP}/extralit/"] .res-name`).allInnerTexts(), { timeout: 30_000 })
      .toEqual(expect.arrayContaining(['main-db', 'elasticsearch-master', 'argilla-server', 'langfuse']));
    await expect(row('extralit', 'statefulset', 'main-db').count()).resolves.toBe(1);
    await expect(row('extralit', 'statefulset', 'elasticsearch-master').count()).resolves.toBe(1);
    await expect(row('extralit', 'deployment', 'argilla-server').count()).resolves.toBe(1);
    // Baseline: langfuse is healthy before the scenario.
    await expect.poll(() => row('extralit', 'deployment', 'langfuse').locator('.dot').getAttribute('class'), { timeout: 30_000 }).toBe('dot dot-ok');
    // main-db is a StatefulSet, a Service and a Secret: each row says which, as kubectl abbreviates it.
    // (Filtered first: the list is virtualized, and a row off screen is not in the page.)
    await page.keyboard.press('f');
    await page.keyboard.type('main-db');
    await expect.poll(() => Promise.all((['statefulset', 'service', 'secret'] as const).map((k) => row('extralit', k, 'main-db').locator('.res-kind').innerText({ timeout: 1_000 }).catch(() => ''))), { timeout: 10_000 })
      .toEqual(['sts', 'svc', 'secret']);
    await page.keyboard.press('Escape');
    expect(problems).toEqual([]);
  });

  it('turns the langfuse row red when its rollout crashloops, with CrashLoopBackOff in its reasons, and green after the rollback', async () => {
    applied = true;
    await scenario('crashloop');
    const langfuse = row('extralit', 'deployment', 'langfuse');
    await expect.poll(() => langfuse.locator('.dot').evaluate((el) => getComputedStyle(el).backgroundColor).catch(() => ''), { timeout: 60_000 }).toBe(RED);
    expect(await langfuse.locator('.dot').getAttribute('aria-label')).toBe('error');
    expect(await langfuse.locator('.res-reason').getAttribute('class')).toContain('sev-error');
    // The row's one line is the pods' cause, not the Deployment's count of available replicas; the detail's
    // reasons name the pod, the container, CrashLoopBackOff and the restarts.
    await expect.poll(() => langfuse.locator('.res-reason').innerText().catch(() => ''), { timeout: 20_000 }).toContain('CrashLoopBackOff');
    await langfuse.click();
    await expect.poll(() => page.locator('ul.reasons').innerText().catch(() => ''), { timeout: 20_000 })
      .toMatch(/pod langfuse-[a-z0-9]+-[a-z0-9]+: container langfuse keeps crashing \(CrashLoopBackOff\): restarted \d+ times?/);
    await page.screenshot({ path: path.join(shots, 'kube-crashloop.png') });
    await scenario('crashloop', true);
    applied = false;
    await expect.poll(() => langfuse.locator('.dot').getAttribute('class'), { timeout: 60_000 }).toBe('dot dot-ok');
    expect(problems).toEqual([]);
  });
});
