// Pure rules for the desktop shell, apart from main.ts so they read (and test) as data.
import { parseDocument } from 'yaml';
import { NO_MUTES, parseMutes, type Mutes } from '../shared/notify/mutes';
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

// --- notifications: the IPC payload and the settings file, as pure rules ---

/** The shell's settings, in `settings.json` under the app's user data folder. */
export const SETTINGS_FILE = 'settings.json';

/** The one thing the page may ask the shell to show: a title, a body, the resource a click selects. */
export interface NotifyRequest { title: string; body: string; resource: string }

/** Caps keep a page bug from filling the desktop; anything that is not three strings is refused. */
export function parseNotifyRequest(x: unknown): NotifyRequest | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const { title, body, resource } = x as Record<string, unknown>;
  if (typeof title !== 'string' || typeof body !== 'string' || typeof resource !== 'string' || !title || !resource) return undefined;
  return { title: title.slice(0, 200), body: body.slice(0, 1000), resource: resource.slice(0, 2000) };
}

/**
 * Reads the settings file's text: its `notifications` entry (the mutes) and every other entry as it is,
 * so that saving the mutes keeps what others wrote there. A broken file is an error naming the file and
 * the field (or JSON's own line and column), never read as "nothing muted".
 */
export function parseShellSettings(text: string, file: string): { all: Record<string, unknown>; mutes: Mutes } | { error: string } {
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { return { error: `${file}${jsonErrorLine(text, e as Error)}: not valid JSON: ${(e as Error).message}` }; }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { error: `${file}: expected an object at the top level` };
  const all = json as Record<string, unknown>;
  if (all.notifications === undefined) return { all, mutes: NO_MUTES };
  const r = parseMutes(all.notifications, file, ['notifications']);
  if ('error' in r) return r;
  return { all, mutes: r.mutes };
}

/** ":3:1" for where JSON.parse stopped: from its own message when it says, else from the YAML parser's (JSON is YAML). */
function jsonErrorLine(text: string, e: Error): string {
  const own = /\(line (\d+) column (\d+)\)/.exec(e.message);
  if (own) return `:${own[1]}:${own[2]}`;
  const at = parseDocument(text).errors[0]?.linePos?.[0];
  return at ? `:${at.line}:${at.col}` : '';
}

/** The file's new text with the mutes replaced and every other entry kept. */
export function withMutes(all: Record<string, unknown>, mutes: Mutes): string {
  return JSON.stringify({ ...all, notifications: mutes }, null, 2) + '\n';
}
