// Pure rules for the desktop shell, apart from main.ts so they read (and test) as data.
import { backoffDelay } from '../shared/time/backoff';

export const APP_SCHEME = 'app';
export const APP_HOST = 'pilothouse';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The page is untrusted: no Node, isolated and sandboxed, web security on. */
export function windowOptions(preload: string) {
  return {
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 560,
    show: false,
    backgroundColor: '#15171c',
    title: 'Pilothouse',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  } as const;
}

/** The page talks to the engine over a MessagePort, so it needs no network at all. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Only the app's own pages may load in the window; everything else (links in logs too) is refused. */
export function isAllowedNavigation(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Path operations of the platform the shell runs on (node:path), passed in so both flavours can be tested. */
export interface PathOps { join(...p: string[]): string; normalize(p: string): string; sep: string }

/** Where an app:// request maps inside the built renderer; undefined when it tries to leave it. */
export function rendererFile(url: string, root: string, p: PathOps): string | undefined {
  const u = new URL(url);
  if (u.host !== APP_HOST) return undefined;
  let rel = decodeURIComponent(u.pathname);
  if (rel === '/' || rel === '') rel = '/index.html';
  const file = p.normalize(p.join(root, rel));
  // Compare with the separator: '/dist/renderer-old/x' starts with '/dist/renderer' but is outside it.
  const base = p.normalize(root);
  const inside = base.endsWith(p.sep) ? base : base + p.sep;
  return file.startsWith(inside) ? file : undefined;
}

/** The engine is restarted when it dies, sooner at first, never more often than every 30 s after repeated crashes. */
export function engineRestartDelay(crashesInARow: number): number {
  // No jitter: there is one engine per window, nothing to spread out.
  return backoffDelay(crashesInARow - 1, { baseMs: 500, maxMs: 30_000 });
}
