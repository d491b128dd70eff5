import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Handlers } from '../../core/engine/dispatch';
import type { Engine } from '../../core/engine/engine';
import { RENDERER_DIR } from '../../core/host/cli';
import { startWebHost, type WebHost } from '../../core/host/web-host';

/** Debian's Chromium: Playwright cannot download its own browser on these machines. */
export const CHROMIUM = process.env.PILOTHOUSE_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set PILOTHOUSE_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Without the background-networking flags Chromium keeps dialling Google's hosts, which this network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface ConsoleOptions {
  viewport?: { width: number; height: number };
  /** Count console warnings as problems too (a spec whose page must stay quiet, e.g. xterm's). */
  warnings?: boolean;
}

/**
 * The console in Chromium on a web host serving `handlers`: one page (1400×900 unless told), whose page
 * errors, console errors and failed requests (HTTP 400 and above: a file the page misses) are collected
 * in `problems` (every e2e spec asserts there are none).
 */
export async function openConsole(handlers: Handlers, staticDir: string, problems: string[], opts: ConsoleOptions = {}): Promise<{ web: WebHost; browser: Browser; page: Page }> {
  const web = await startWebHost({ handlers, staticDir });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' || (opts.warnings && m.type() === 'warning')) problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  return { web, browser, page };
}

/**
 * What every e2e spec's beforeAll does: the built renderer checked, `engine` started, the console opened on
 * it in Chromium. `stopConsole` in afterAll closes all three, whichever got started.
 */
export async function startConsole(engine: Engine, problems: string[], opts: ConsoleOptions = {}): Promise<{ web: WebHost; browser: Browser; page: Page }> {
  if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) throw new Error(`the renderer is not built (${RENDERER_DIR}): run 'npm run build:renderer' first (npm test does)`);
  await engine.start();
  return openConsole(engine.handlers(), RENDERER_DIR, problems, opts);
}

export async function stopConsole(c: { browser?: Browser; web?: WebHost; engine?: Engine }): Promise<void> {
  await c.browser?.close();
  await c.web?.close();
  c.engine?.stop();
}
