import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import type { WebHost } from '../../core/host/web-host';
import { openConsole } from '../support/browser';
import { until } from '../support/wait';
import { dockerClient, ensureTestImage, runContainer, testDockerHost } from '../support/docker-fixtures';

// Desktop notifications in Chromium against real containers whose health checks the test breaks and
// mends (`touch /tmp/broken` inside), and a real alert of the rig's Prometheus. Headless Chromium shows
// no notification, so an init script wraps window.Notification and records every one the page raises,
// keeping the object so a click can be sent. Run under `flock /tmp/ph-scenario.lock`: the alert part
// applies the memory-pressure scenario (always undone).

const PROJECT = 'pilothouse-notify';
const host = testDockerHost();
let docker: Docker;
let engine: Engine;
let web: WebHost;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const shots = path.resolve(import.meta.dirname, '../../test-results');

interface Recorded { title: string; body: string; resources: string[] }
const recorded = (): Promise<Recorded[]> => page.evaluate(() => (window as any).__notifications.map((n: any) => ({ title: n.title, body: n.body, resources: n.data?.resources ?? [] })));
const about = (all: Recorded[], service: string) => all.filter((n) => n.resources.some((r) => r.endsWith(`/${PROJECT}/${service}`)));
const row = (service: string) => page.locator(`li[data-resource$="/${PROJECT}/${service}"]`);
const isRed = (service: string) => row(service).locator('.dot-error').count();

/** The health check fails while /tmp/broken exists; checked every second, one failure is unhealthy. */
const flakySpec = (service: string) => ({
  name: `${PROJECT}-${service}-1`, service, project: PROJECT,
  cmd: ['sh', '-c', 'while true; do sleep 1; done'],
  health: { test: ['CMD-SHELL', 'test ! -f /tmp/broken'] },
});
async function exec(service: string, cmd: string): Promise<void> {
  const e = await docker.getContainer(`${PROJECT}-${service}-1`).exec({ Cmd: ['sh', '-c', cmd] });
  await e.start({ Detach: true });
}
const breakIt = (service: string) => exec(service, 'touch /tmp/broken');
const mend = (service: string) => exec(service, 'rm -f /tmp/broken');

async function health(name: string): Promise<string | undefined> {
  return (await docker.getContainer(name).inspect()).State.Health?.Status;
}
async function removeProject(): Promise<void> {
  const cs = await docker.listContainers({ all: true, filters: JSON.stringify({ name: [PROJECT] }) });
  await Promise.all(cs.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

/** Records notifications; counts permission requests, so a request on load would show. */
const RECORDER = `(() => {
  window.__notifications = [];
  window.__permissionRequests = 0;
  const Real = window.Notification;
  if (!Real) return;
  class Recorded extends Real {
    constructor(title, options) { super(title, options); window.__notifications.push({ title, body: options && options.body, data: options && options.data, n: this }); }
  }
  Recorded.requestPermission = (...a) => { window.__permissionRequests++; return Real.requestPermission(...a); };
  window.Notification = Recorded;
})();`;

beforeAll(async () => {
  if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) throw new Error(`the renderer is not built (${RENDERER_DIR}): run 'npm run build:renderer' first (npm test does)`);
  docker = dockerClient(host);
  await ensureTestImage(docker);
  await removeProject();
  await Promise.all(['flaky', 'quiet', 'sentinel', 'born-red'].map((s) => runContainer(docker, flakySpec(s))));
  await breakIt('born-red');
  // Red before the console starts: shown, never announced. Wait until the engine would see it so.
  await until('born-red unhealthy', async () => (await health(`${PROJECT}-born-red-1`)) === 'unhealthy', 20_000);
  for (const s of ['flaky', 'quiet', 'sentinel']) await until(`${s} healthy`, async () => (await health(`${PROJECT}-${s}-1`)) === 'healthy', 20_000);
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-e2e-notify-')), env: { DOCKER_HOST: host } });
  await engine.start();
  ({ web, browser, page } = await openConsole(engine.handlers(), RENDERER_DIR, problems));
  await page.context().grantPermissions(['notifications'], { origin: new URL(web.url).origin });
  await page.addInitScript(RECORDER);
  await page.goto(web.url);
  await row('born-red').locator('.dot-error').waitFor({ timeout: 20_000 });
  await row('flaky').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  engine?.stop();
  if (docker) await removeProject();
});

describe('desktop notifications in Chromium (real containers)', () => {
  it('a granted page says notifications are on, and asked nothing on load', async () => {
    await expect.poll(() => page.locator('.notify-control').innerText()).toContain('Notifications on');
    expect(await page.evaluate(() => (window as any).__permissionRequests)).toBe(0);
  });

  it('a muted resource raises nothing; one that turns red and flaps is announced once; one red at start never', async () => {
    // Mute "quiet" from its detail pane.
    await row('quiet').click();
    await page.locator('main.detail').getByRole('button', { name: 'Mute notifications' }).click();
    await expect.poll(() => page.locator('main.detail .notify-mute').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('main.detail .notify-mute').innerText()).toBe('Notifications muted · Unmute');

    await breakIt('flaky');
    await breakIt('quiet');
    await expect.poll(() => isRed('flaky'), { timeout: 20_000 }).toBe(1);
    await expect.poll(async () => about(await recorded(), 'flaky').length, { timeout: 30_000 }).toBe(1);
    const [first] = about(await recorded(), 'flaky');
    expect(first.title).toMatch(/^flaky turned red$|resources turned red/);

    // Flap: green again, then red again, each seen on screen; health checks keep coming every second.
    await mend('flaky');
    await expect.poll(() => isRed('flaky'), { timeout: 20_000 }).toBe(0);
    await breakIt('flaky');
    await expect.poll(() => isRed('flaky'), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => isRed('quiet'), { timeout: 20_000 }).toBe(1);

    // A resource that turns red after all of that: once its notification is out, any second one for
    // flaky or one for quiet would have gone out with it or before it.
    await breakIt('sentinel');
    await expect.poll(async () => about(await recorded(), 'sentinel').length, { timeout: 40_000 }).toBe(1);
    const all = await recorded();
    expect(about(all, 'flaky')).toHaveLength(1);
    expect(about(all, 'quiet')).toEqual([]);
    expect(about(all, 'born-red')).toEqual([]);
    expect(about(all, 'sentinel')[0]).toMatchObject({ title: 'sentinel turned red', body: expect.stringMatching(/^pilothouse-notify\/sentinel: .*unhealthy/) });
  });

  it('clicking a notification selects its resource', async () => {
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('main.detail').count()).toBe(0);
    await page.evaluate(() => {
      const n = (window as any).__notifications.find((x: any) => x.data.resources.some((r: string) => r.endsWith('/sentinel')));
      n.n.dispatchEvent(new Event('click'));
    });
    await expect.poll(() => row('sentinel').getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => page.locator('main.detail h1').innerText()).toBe('sentinel');
  });

  it('mutes are kept across a reload, and "mute all for 1 hour" says how long is left', async () => {
    await page.reload();
    await row('quiet').click();
    await expect.poll(() => page.locator('main.detail .notify-mute').innerText()).toBe('Notifications muted · Unmute');
    const control = page.locator('.notify-control');
    await expect.poll(() => control.innerText()).toContain('1 muted');
    await control.locator('summary').click();
    expect(await control.locator('.notify-muted-list li').innerText()).toMatch(/^pilothouse-notify\/quiet\s+Unmute$/);
    await control.locator('summary').click();
    await control.getByRole('button', { name: 'Mute all for 1 hour' }).click();
    await expect.poll(() => control.innerText()).toMatch(/Notifications muted for (1 h|59 min)\n/);
    await page.screenshot({ path: path.join(shots, 'notifications.png') });
    await control.getByRole('button', { name: 'Unmute' }).click();
    await expect.poll(() => control.innerText()).toContain('Notifications on');
    expect(problems).toEqual([]);
  });

  it('without a grant the page asks only on the operator\'s click, and says when the browser refuses', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    try {
      await p.addInitScript(RECORDER);
      await p.goto(web.url);
      const control = p.locator('.notify-control');
      const enable = control.getByRole('button', { name: 'Enable notifications' });
      await enable.waitFor({ timeout: 20_000 });
      expect(await p.evaluate(() => (window as any).__permissionRequests)).toBe(0);
      await enable.click();
      // Headless Chromium's question has nobody to answer it: the page says it waits for the answer.
      await expect.poll(() => control.innerText()).toContain('Asking the browser: answer its question to enable notifications');
      expect(await p.evaluate(() => (window as any).__permissionRequests)).toBe(1);
      // The operator blocks notifications for the site in the browser's settings.
      const cdp = await ctx.newCDPSession(p);
      const { targetInfo } = await cdp.send('Target.getTargetInfo');
      await cdp.send('Browser.setPermission', { permission: { name: 'notifications' }, setting: 'denied', origin: new URL(web.url).origin, browserContextId: targetInfo.browserContextId });
      await p.reload();
      await expect.poll(() => control.innerText(), { timeout: 20_000 }).toContain('Notifications blocked by the browser');
      expect(await enable.count()).toBe(0);
    } finally {
      await ctx.close();
    }
  });
});

const REPO = path.resolve(import.meta.dirname, '../..');
const PROM_FILE = path.join(REPO, '.rig/prometheus/url');
const SCENARIO = path.join(REPO, 'test/rig/scenarios/memory-pressure.sh');
const noAlertRig = !existsSync(PROM_FILE) ? `no ${PROM_FILE}: start the rig (npm run rig -- up prometheus)`
  : !existsSync(SCENARIO) ? `no ${SCENARIO} in this checkout` : undefined;
const run = promisify(execFile);
const scenario = (undo = false) => run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', 'memory-pressure', ...(undo ? ['--undo'] : [])], { cwd: REPO, timeout: 150_000 });

describe.skipIf(!!noAlertRig)(`a rig alert that starts firing raises one notification${noAlertRig ? ` (skipped: ${noAlertRig})` : ''}`, () => {
  let engine2: Engine;
  let web2: WebHost;
  let browser2: Browser;
  let page2: Page;
  let applied = false;
  const problems2: string[] = [];
  const recorded2 = (): Promise<Recorded[]> => page2.evaluate(() => (window as any).__notifications.map((n: any) => ({ title: n.title, body: n.body, resources: n.data?.resources ?? [] })));

  beforeAll(async () => {
    await runContainer(docker, flakySpec('alert-sentinel'));
    await until('alert-sentinel healthy', async () => (await health(`${PROJECT}-alert-sentinel-1`)) === 'healthy', 20_000);
    const home = mkdtempSync(path.join(tmpdir(), 'ph-e2e-notify-alert-'));
    const env = { DOCKER_HOST: host, PILOTHOUSE_PROMETHEUS_URL: readFileSync(PROM_FILE, 'utf8').trim(), HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' };
    engine2 = new Engine({ dataDir: path.join(home, 'data'), env, home });
    await engine2.start();
    ({ web: web2, browser: browser2, page: page2 } = await openConsole(engine2.handlers(), RENDERER_DIR, problems2));
    await page2.context().grantPermissions(['notifications'], { origin: new URL(web2.url).origin });
    await page2.addInitScript(RECORDER);
    await page2.goto(web2.url);
    // The rig's always-firing watchdog is in the list: the alerts were read, and are the starting picture.
    await page2.locator('li[data-resource*="/alert/RigWatchdog"]').waitFor({ timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    try {
      if (applied) await scenario(true);
    } finally {
      await browser2?.close();
      await web2?.close();
      engine2?.stop();
    }
  }, 180_000);

  it('ContainerHighMemoryUsage firing on memory-pressure is announced once; the alerts firing at start are not', async () => {
    applied = true;
    await scenario();
    const about = (all: Recorded[]) => all.filter((n) => n.resources.some((r) => r.includes('ContainerHighMemoryUsage') || /\/memory-pressure$/.test(r)));
    await expect.poll(async () => about(await recorded2()).length, { timeout: 90_000, interval: 1_000 }).toBe(1);
    // The alert shows on its own resource and, a refresh later maybe, turns the container it concerns red.
    await page2.locator('li[data-resource$="/memory-pressure"] .dot-error').waitFor({ timeout: 60_000 });
    // A container that turns red after that: once its notification is out, any second one for the alert
    // or for memory-pressure would have gone out with it or before it.
    await breakIt('alert-sentinel');
    await expect.poll(async () => (await recorded2()).filter((x) => x.resources.some((r) => r.endsWith('/alert-sentinel'))).length, { timeout: 40_000 }).toBe(1);
    const all = await recorded2();
    expect(about(all)).toHaveLength(1);
    const [n] = about(all);
    expect(n.title).toMatch(/^Alert firing on (ContainerHighMemoryUsage memory-pressure|memory-pressure)$/);
    expect(n.body).toContain('Alert ContainerHighMemoryUsage firing');
    expect(all.filter((x) => x.resources.some((r) => /RigWatchdog|RigTargetDown/.test(r)))).toEqual([]);
    await page2.screenshot({ path: path.join(shots, 'notifications-alert.png') });
    expect(problems2).toEqual([]);
  });
});
