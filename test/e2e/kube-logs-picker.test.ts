import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import type { WebHost } from '../../core/host/web-host';
import { KubePlane } from '../../core/planes/kube/plane';
import { startConsole, stopConsole } from '../support/browser';

// The container picker and the "previous" toggle of kube logs, and the container picker of exec, in the
// page in Chromium against the rig's cluster. A pod with an init container and two containers is made in
// a namespace of this run (deleted after); langfuse's previous log comes from the crashloop scenario.
// Run under `flock /tmp/ph-scenario.lock`: it applies crashloop (undone in a finally).

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const KUBECONFIG = path.join(REPO, '.rig/kube/kubeconfig');
const skip = existsSync(KUBECONFIG) ? undefined : `no ${KUBECONFIG}: start the rig (npm run rig -- up kube)`;
const EP = 'kube/kwok-pilothouse';
const NS = `pilothouse-e2e-containers-${Date.now().toString(36)}`;
const shots = path.resolve(import.meta.dirname, '../../test-results');

const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', KUBECONFIG, ...args])).stdout;
const scenario = (name: string, undo = false) => run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...(undo ? ['--undo'] : [])], { cwd: REPO, timeout: 180_000 });

const POD = `
apiVersion: v1
kind: Pod
metadata: {name: multi, namespace: ${NS}}
spec:
  terminationGracePeriodSeconds: 1
  initContainers: [{name: setup, image: "busybox:1.36"}]
  containers: [{name: app, image: "nginx:1.27"}, {name: sidecar, image: "busybox:1.36"}]
`;

let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
const problems: string[] = [];

const options = (label: string) => page.locator(`select[aria-label="${label}"] option`).allInnerTexts();
const logText = () => page.locator('.log-scroll').innerText();

describe.skipIf(!!skip)(`kube logs and exec: container picker and previous instance, in the page${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'ph-kube-picker-e2e-'));
    await kubectl('create', 'namespace', NS);
    // Made here: right after an apiserver restart the controller can take minutes to reach a new namespace.
    await kubectl('create', 'serviceaccount', 'default', '-n', NS).catch((e: Error) => { if (!/already ?exists/i.test(e.message)) throw e; });
    const file = path.join(home, 'pod.yaml');
    writeFileSync(file, POD);
    await kubectl('apply', '-f', file);
    await kubectl('wait', '--for=condition=Ready', '-n', NS, 'pod/multi', '--timeout=60s');
    const env = { KUBECONFIG, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
    engine = new Engine({ dataDir: path.join(home, 'data'), env, home, planes: [new KubePlane({ env, home, now: Date.now }, { watchConfig: false })] });
    ({ web, browser, page } = await startConsole(engine, problems));
  }, 120_000);

  afterAll(async () => {
    await stopConsole({ browser, web, engine });
    await kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=false').catch(() => undefined);
  });

  it('a pod with an init container and two containers: both pickers list them, the init one marked (logs) or left out (exec)', async () => {
    await page.goto(web.url);
    // The list is virtual and the cluster may hold thousands of bench pods: narrow it to the row wanted.
    await page.getByLabel('Filter resources').fill('multi');
    const row = page.locator(`li[data-resource="${EP}/${NS}/pod/multi"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await expect.poll(() => options('Container'), { timeout: 15_000 }).toEqual(['all containers', 'setup (init)', 'app', 'sidecar']);
    await expect.poll(() => options('Terminal container'), { timeout: 15_000 }).toEqual(['default container', 'app', 'sidecar']);
    await page.screenshot({ path: path.join(shots, 'kube-logs-picker.png') });

    // The exec goes into the container picked. The rig's kwok runs exec commands only for the seed's
    // namespaces, so its refusal, which names the container it was asked for, is what shows that.
    await page.locator('select[aria-label="Terminal container"]').selectOption('sidecar');
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await expect.poll(() => page.locator('.terminal-tab.active').innerText(), { timeout: 10_000 }).toContain('multi · sidecar');
    const ended = page.locator('.ph-terminal:not(.hidden) .terminal-ended');
    await expect.poll(() => ended.innerText(), { timeout: 20_000 }).toContain('container "sidecar"');
    await page.getByRole('button', { name: /Close terminal/ }).click();
    expect(problems).toEqual([]);
  });

  it('crashloop: "previous" on langfuse shows the crashed container\'s last run (the database it could not reach)', async () => {
    let applied = false;
    try {
      await scenario('crashloop');
      applied = true;
      await page.goto(web.url);
      await page.getByLabel('Filter resources').fill('langfuse');
      const row = page.locator(`li[data-resource="${EP}/extralit/deployment/langfuse"]`);
      await row.waitFor({ timeout: 30_000 });
      await row.click();
      const toggle = page.getByRole('checkbox', { name: 'Previous instance' });
      await toggle.waitFor({ timeout: 15_000 });
      // The current log never has the crashed run's lines; the previous instance has them.
      await expect.poll(logText, { timeout: 15_000 }).not.toContain('P1001');
      await toggle.check();
      await expect.poll(logText, { timeout: 20_000 }).toContain("Error: P1001: Can't reach database server at `langfuse-db:5432`");
      await expect.poll(() => page.locator('.log-ended').innerText(), { timeout: 5_000 }).toMatch(/^previous instances \(before the last restart\): \d+ lines?, ended$/);
      // Prefixed by the pod and container it came from: a workload's log says whose line it is.
      expect(await logText()).toMatch(/langfuse-[a-z0-9]+-[a-z0-9]+\/langfuse/);
      await page.screenshot({ path: path.join(shots, 'kube-logs-previous.png') });
      await toggle.uncheck();
      await expect.poll(() => page.locator('.log-ended').count(), { timeout: 10_000 }).toBe(0);
    } finally {
      if (applied) await scenario('crashloop', true);
      else await scenario('crashloop', true).catch(() => undefined);
    }
    expect(problems).toEqual([]);
  }, 400_000);
});
