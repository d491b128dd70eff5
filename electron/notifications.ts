import { ipcMain, Notification, type BrowserWindow } from 'electron';
import { promises as fs } from 'node:fs';
import { NO_MUTES, parseMutes, type Mutes } from '../shared/notify/mutes';
import { parseNotifyRequest, parseShellSettings, withMutes } from './settings';

// Desktop notifications in the shell: the page decides what to say (shared/notify), the shell only shows
// it with Electron's Notification and keeps the mutes in its settings file. Three IPC messages, each
// checked: show one, load the mutes, save the mutes. A click focuses the window and selects the resource.

export const NOTIFY_CHANNELS = { show: 'notify:show', load: 'notify:load-mutes', save: 'notify:save-mutes', select: 'notify:select' } as const;

/** Shown notifications, held until closed or clicked: one garbage-collected early never fires its click. */
const shown = new Set<Notification>();

export function installNotifications(getWindow: () => BrowserWindow | undefined, settingsFile: string): void {
  // Only the app's own window may ask; every sender is checked, since IPC does not say who it is.
  const fromWindow = (sender: unknown) => { const w = getWindow(); return !!w && sender === w.webContents; };

  ipcMain.on(NOTIFY_CHANNELS.show, (event, payload: unknown) => {
    if (!fromWindow(event.sender)) return;
    const req = parseNotifyRequest(payload);
    if (!req || !Notification.isSupported()) return;
    const n = new Notification({ title: req.title, body: req.body });
    shown.add(n);
    n.on('click', () => {
      shown.delete(n);
      const w = getWindow();
      if (!w) return;
      if (w.isMinimized()) w.restore();
      w.show();
      w.focus();
      w.webContents.send(NOTIFY_CHANNELS.select, req.resource);
    });
    n.on('close', () => shown.delete(n));
    n.show();
  });

  ipcMain.handle(NOTIFY_CHANNELS.load, async (event) => {
    if (!fromWindow(event.sender)) return { mutes: NO_MUTES };
    return loadMutes(settingsFile);
  });

  // Saves go one after another, so the last click is the one kept.
  let saving: Promise<void> = Promise.resolve();
  ipcMain.on(NOTIFY_CHANNELS.save, (event, payload: unknown) => {
    if (!fromWindow(event.sender)) return;
    const r = parseMutes(payload, 'the page\'s mutes');
    if ('error' in r) { console.error(`notifications: ${r.error}`); return; }
    saving = saving.then(() => saveMutes(settingsFile, r.mutes)).catch((e: Error) => console.error(`notifications: could not save ${settingsFile}: ${e.message}`));
  });
}

/** The mutes in the settings file; a broken file is set aside (kept, renamed) and said, not overwritten. */
export async function loadMutes(file: string): Promise<{ mutes: Mutes; error?: string }> {
  let text: string;
  try { text = await fs.readFile(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { mutes: NO_MUTES };
    return { mutes: NO_MUTES, error: `${file}: ${(e as Error).message}` };
  }
  const r = parseShellSettings(text, file);
  if ('mutes' in r) return { mutes: r.mutes };
  const kept = `${file}.broken`;
  await fs.rename(file, kept).catch(() => undefined);
  return { mutes: NO_MUTES, error: `${r.error} (the file was kept as ${kept})` };
}

export async function saveMutes(file: string, mutes: Mutes): Promise<void> {
  let all: Record<string, unknown> = {};
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text !== undefined) {
    const r = parseShellSettings(text, file);
    // A file broken since it was loaded is not ours to overwrite.
    if ('error' in r) throw new Error(r.error);
    all = r.all;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, withMutes(all, mutes), { mode: 0o600 });
  await fs.rename(tmp, file);
}
