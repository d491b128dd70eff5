import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Handlers } from '../../core/engine/dispatch';
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

/**
 * The console in Chromium on a web host serving `handlers`: one page, 1400×900, whose page errors and
 * console errors are collected in `problems` (every e2e spec asserts there are none).
 */
export async function openConsole(handlers: Handlers, staticDir: string, problems: string[]): Promise<{ web: WebHost; browser: Browser; page: Page }> {
  const web = await startWebHost({ handlers, staticDir });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  return { web, browser, page };
}
