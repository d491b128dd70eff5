import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseNotifyRequest, parseShellSettings, withMutes } from '../../electron/settings';

// Electron cannot be downloaded on the build machines: 'electron' is stubbed, and these fakes record
// what the shell's notification code and the preload ask of it.
const fake = vi.hoisted(() => {
  const { EventEmitter } = require('node:events') as typeof import('node:events');
  const on = new Map<string, (event: { sender: unknown }, payload?: unknown) => void>();
  const handle = new Map<string, (event: { sender: unknown }) => Promise<unknown>>();
  const shown: any[] = [];
  class FakeNotification extends EventEmitter {
    static supported = true;
    static isSupported() { return FakeNotification.supported; }
    constructor(public options: { title: string; body: string }) { super(); }
    show() { shown.push(this); }
  }
  const win = {
    webContents: { sent: [] as unknown[], send(ch: string, v: unknown) { this.sent.push([ch, v]); } },
    minimized: true, focused: false,
    isMinimized() { return this.minimized; }, restore() { this.minimized = false; }, show() {}, focus() { this.focused = true; },
  };
  const bridge: { name?: string; api?: any } = {};
  const rendererOn = new Map<string, (e: unknown, v: unknown) => void>();
  const sent: unknown[] = [];
  const electron = {
    ipcMain: { on: (ch: string, fn: any) => on.set(ch, fn), handle: (ch: string, fn: any) => handle.set(ch, fn) },
    Notification: FakeNotification,
    contextBridge: { exposeInMainWorld: (name: string, api: unknown) => { bridge.name = name; bridge.api = api; } },
    ipcRenderer: {
      on: (ch: string, fn: any) => rendererOn.set(ch, fn),
      send: (ch: string, v: unknown) => sent.push([ch, v]),
      invoke: async (ch: string) => ['invoked', ch],
    },
  };
  return { on, handle, shown, win, electron, FakeNotification, bridge, rendererOn, sent };
});
vi.mock('electron', () => fake.electron);

const { installNotifications, loadMutes } = await import('../../electron/notifications');
(globalThis as any).window = { postMessage: () => undefined };
await import('../../electron/preload');

const dir = mkdtempSync(path.join(tmpdir(), 'ph-notify-shell-'));
const settings = path.join(dir, 'settings.json');
installNotifications(() => fake.win as never, settings);
const fromWindow = { sender: fake.win.webContents };
const fromElsewhere = { sender: {} };

describe('desktop notifications in the Electron shell (electron stubbed)', () => {
  beforeEach(() => { fake.shown.length = 0; fake.win.webContents.sent.length = 0; fake.win.minimized = true; fake.win.focused = false; });

  it('shows what the window asks, and a click restores and focuses the window and selects the resource', () => {
    fake.on.get('notify:show')!(fromWindow, { title: 'web turned red', body: 'shop/web: unhealthy', resource: 'docker/default/shop/web' });
    expect(fake.shown.map((n) => n.options)).toEqual([{ title: 'web turned red', body: 'shop/web: unhealthy' }]);
    fake.shown[0].emit('click');
    expect(fake.win.minimized).toBe(false);
    expect(fake.win.focused).toBe(true);
    expect(fake.win.webContents.sent).toEqual([['notify:select', 'docker/default/shop/web']]);
  });

  it('refuses a sender other than the window, and anything but three strings', () => {
    fake.on.get('notify:show')!(fromElsewhere, { title: 't', body: 'b', resource: 'r' });
    fake.on.get('notify:show')!(fromWindow, { title: 't', body: 'b', resource: { toString: () => 'x' } });
    fake.on.get('notify:show')!(fromWindow, 'web turned red');
    expect(fake.shown).toEqual([]);
    expect(parseNotifyRequest({ title: 'x'.repeat(500), body: '', resource: 'r' })?.title).toHaveLength(200);
  });

  it('shows nothing where the desktop has no notifications', () => {
    fake.FakeNotification.supported = false;
    fake.on.get('notify:show')!(fromWindow, { title: 't', body: 'b', resource: 'r' });
    fake.FakeNotification.supported = true;
    expect(fake.shown).toEqual([]);
  });

  it('keeps the mutes in the settings file, with what else is in it, and reads them back', async () => {
    writeFileSync(settings, JSON.stringify({ theme: 'dark' }));
    fake.on.get('notify:save-mutes')!(fromWindow, { resources: ['docker/default/shop/web'], allUntil: 5_000 });
    fake.on.get('notify:save-mutes')!(fromWindow, { resources: ['docker/default/shop/db'] });
    // Saves are chained file writes: wait for the last one (a fixed pause lost the race on a loaded machine).
    await vi.waitFor(() => expect(JSON.parse(readFileSync(settings, 'utf8'))).toEqual({ theme: 'dark', notifications: { resources: ['docker/default/shop/db'] } }), { timeout: 5_000, interval: 20 });
    expect(await fake.handle.get('notify:load-mutes')!(fromWindow)).toEqual({ mutes: { resources: ['docker/default/shop/db'] } });
    // Another sender learns nothing.
    expect(await fake.handle.get('notify:load-mutes')!(fromElsewhere)).toEqual({ mutes: { resources: [] } });
  });

  it('a broken settings file is said with its name and field, and kept aside, not overwritten', async () => {
    writeFileSync(settings, JSON.stringify({ notifications: { resources: 'web' } }));
    const r = await loadMutes(settings);
    expect(r.error).toBe(`${settings}: field notifications.resources: Invalid input: expected array, received string (the file was kept as ${settings}.broken)`);
    expect(r.mutes).toEqual({ resources: [] });
    expect(readFileSync(`${settings}.broken`, 'utf8')).toContain('"web"');
    expect(existsSync(settings)).toBe(false);
    expect(parseShellSettings('{"notifications": {\n  "resources": [,]}}', 'settings.json')).toEqual({ error: expect.stringMatching(/^settings.json:2:17: not valid JSON: Unexpected token ','/) });
    expect(parseShellSettings('{\n  "a": 1,\n}', 'settings.json')).toEqual({ error: expect.stringMatching(/^settings.json:3:1: not valid JSON: /) });
    expect(withMutes({ a: 1 }, { resources: [] })).toBe('{\n  "a": 1,\n  "notifications": {\n    "resources": []\n  }\n}\n');
  });
});

describe('the preload bridge for notifications', () => {
  it('exposes only notify, loadMutes, saveMutes and onSelect, and sends plain strings', async () => {
    expect(fake.bridge.name).toBe('pilothouseShell');
    expect(Object.keys(fake.bridge.api).sort()).toEqual(['loadMutes', 'notify', 'onSelect', 'saveMutes']);
    fake.bridge.api.notify('web turned red', 'shop/web', 42);
    expect(fake.sent.at(-1)).toEqual(['notify:show', { title: 'web turned red', body: 'shop/web', resource: '42' }]);
    expect(await fake.bridge.api.loadMutes()).toEqual(['invoked', 'notify:load-mutes']);
    const picked: string[] = [];
    fake.bridge.api.onSelect((id: string) => picked.push(`first ${id}`));
    fake.bridge.api.onSelect((id: string) => picked.push(id));
    fake.rendererOn.get('notify:select')!({}, 'docker/default/shop/web');
    expect(picked).toEqual(['docker/default/shop/web']);
  });
});
