import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../test/support/browser';

// The page side: the real renderer, built from whatever renderer/ holds now, in Debian's Chromium through
// the web host. page-probe.js does the watching inside the page.

const ROOT = path.resolve(import.meta.dirname, '../..');
export const BENCH_RENDERER = path.join(ROOT, 'bench/.out/renderer');

/** Builds renderer/ into the bench's own folder, so a run never races a developer's dist/. */
export async function buildRenderer(outDir = BENCH_RENDERER): Promise<void> {
  const { build } = await import('vite');
  await build({
    root: path.join(ROOT, 'renderer'), configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'error',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
}

export interface Complete { subscribedAt: number; lastChunkAt: number; shownAt: number; chunks: number; rows: number; groups: number; timeout?: boolean }
export interface Recording {
  frames: number[];
  longtasks: Array<{ start: number; ms: number }>;
  latencies: Array<{ id: string; stamp: number; ms: number }>;
  /** Rows of the list and of the overview's problem table. */
  rowsMax: number;
  listRowsMax: number;
  nodesMax: number;
}

export interface BenchPage {
  browser: Browser;
  page: Page;
  /** Navigates (again) and waits for the complete list. */
  load(): Promise<Complete>;
  visibleRows(n: number, within?: string): Promise<string[]>;
  watch(ids: string[]): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<Recording>;
  errors: string[];
  close(): Promise<void>;
}

export async function openPage(url: string, timeoutMs: number): Promise<BenchPage> {
  const browser: Browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.addInitScript({ content: readFileSync(path.join(import.meta.dirname, 'page-probe.js'), 'utf8') });
  return {
    browser,
    page,
    errors,
    async load() {
      await page.goto(url, { waitUntil: 'domcontentloaded' });
      return page.evaluate(`window.__bench.complete(${timeoutMs})`) as Promise<Complete>;
    },
    visibleRows: (n, within) => page.evaluate(`window.__bench.visibleRows(${n}, ${JSON.stringify(within ?? '')})`) as Promise<string[]>,
    watch: async (ids) => { await page.evaluate(`window.__bench.watch(${JSON.stringify(ids)})`); },
    start: async () => { await page.evaluate('window.__bench.start()'); },
    stop: () => page.evaluate('window.__bench.stop()') as Promise<Recording>,
    close: () => browser.close(),
  };
}
