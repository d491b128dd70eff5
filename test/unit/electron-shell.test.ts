import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY, engineRestartDelay, isAllowedNavigation, rendererFile, windowOptions } from '../../electron/settings';

// The Electron binary cannot be downloaded on the build machines, so the shell is tested with the
// 'electron' module stubbed: these fakes record what main.ts asks of Electron.
const fake = vi.hoisted(() => {
  const { EventEmitter } = require('node:events') as typeof import('node:events');
  const state = {
    lock: true,
    windows: [] as any[],
    forks: [] as any[],
    permissionHandler: undefined as undefined | ((wc: unknown, perm: string, cb: (ok: boolean) => void) => void),
    permissionCheck: undefined as undefined | (() => boolean),
    protocolHandler: undefined as undefined | ((req: { url: string }) => Promise<Response> | Response),
    privileged: [] as unknown[],
    readyResolve: undefined as undefined | (() => void),
  };
  class FakeWebContents extends EventEmitter {
    sent: unknown[] = []; posted: unknown[] = []; openHandler?: () => unknown;
    setWindowOpenHandler(h: () => unknown) { this.openHandler = h; }
    send(ch: string, payload: unknown) { this.sent.push([ch, payload]); }
    postMessage(ch: string, msg: unknown, ports: unknown[]) { this.posted.push([ch, msg, ports]); }
  }
  class FakeWindow extends EventEmitter {
    webContents = new FakeWebContents(); loaded?: string;
    constructor(public options: any) { super(); state.windows.push(this); }
    loadURL(u: string) { this.loaded = u; return Promise.resolve(); }
    show() {} isMinimized() { return false; } restore() {} focus() {}
    static getAllWindows() { return state.windows; }
  }
  class FakeChild extends EventEmitter {
    messages: unknown[] = []; killed = false;
    constructor(public entry: string, public opts: any) { super(); state.forks.push(this); }
    postMessage(m: unknown, ports?: unknown[]) { this.messages.push([m, ports?.length ?? 0]); }
    kill() { this.killed = true; }
  }
  const app = Object.assign(new EventEmitter(), {
    requestSingleInstanceLock: () => state.lock,
    quit: vi.fn(),
    whenReady: () => new Promise<void>((r) => { state.readyResolve = r; }),
    getPath: (n: string) => `/fake/${n}`,
  });
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    Menu: { setApplicationMenu: vi.fn(), buildFromTemplate: (t: unknown) => t },
    MessageChannelMain: class { port1 = { name: 'port1' }; port2 = { name: 'port2' }; },
    net: { fetch: async () => new Response('<html></html>', { headers: { 'content-type': 'text/html' } }) },
    powerMonitor: new EventEmitter(),
    protocol: {
      registerSchemesAsPrivileged: (s: unknown[]) => state.privileged.push(...s),
      handle: (_s: string, h: any) => { state.protocolHandler = h; },
    },
    session: { defaultSession: { setPermissionRequestHandler: (h: any) => { state.permissionHandler = h; }, setPermissionCheckHandler: (h: any) => { state.permissionCheck = h; } } },
    utilityProcess: { fork: (entry: string, _args: string[], opts: unknown) => new FakeChild(entry, opts) },
    // Notifications have their own tests (notify-electron.test.ts); here they only need to exist.
    ipcMain: { on: () => undefined, handle: () => undefined },
    Notification: class { static isSupported() { return false; } },
  };
  return { state, electron, FakeWebContents };
});
vi.mock('electron', () => fake.electron);

const { bootstrap, hardenContents } = await import('../../electron/main');

async function ready() {
  const shell = bootstrap();
  fake.state.readyResolve!();
  await new Promise((r) => setTimeout(r, 0));
  return shell;
}

describe('Electron window settings', () => {
  it('the page gets no Node: isolated, sandboxed, web security on, only the preload', () => {
    const o = windowOptions('/app/preload.cjs');
    expect(o.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, webviewTag: false, preload: '/app/preload.cjs' });
  });
  it('the CSP allows only the app itself, and no network from the page', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval)/);
  });
  it('navigation is allowed only within app://pilothouse', () => {
    expect(isAllowedNavigation('app://pilothouse/index.html')).toBe(true);
    expect(isAllowedNavigation('https://example.com/')).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd')).toBe(false);
    expect(isAllowedNavigation('app://elsewhere/')).toBe(false);
    expect(isAllowedNavigation('not a url')).toBe(false);
  });
  it('app:// maps into the built renderer and never outside it', () => {
    const f = (u: string) => rendererFile(u, '/dist/renderer', path.posix);
    expect(f('app://pilothouse/')).toBe('/dist/renderer/index.html');
    expect(f('app://pilothouse/assets/index.js')).toBe('/dist/renderer/assets/index.js');
    expect(f('app://pilothouse/..%2f..%2fetc%2fpasswd')).toBeUndefined();
    expect(f('app://elsewhere/index.html')).toBeUndefined();
  });
  it('a sibling folder whose name begins with the renderer folder\'s is outside it', () => {
    const f = (u: string, root = '/dist/renderer') => rendererFile(u, root, path.posix);
    expect(f('app://pilothouse/..%2frenderer-old%2findex.html')).toBeUndefined();
    expect(f('app://pilothouse/..%2frenderer')).toBeUndefined();
    // A root given with a trailing separator still admits its own files.
    expect(f('app://pilothouse/index.html', '/dist/renderer/')).toBe('/dist/renderer/index.html');
  });
  it('the same holds with Windows paths', () => {
    const f = (u: string) => rendererFile(u, 'C:\\app\\renderer', path.win32);
    expect(f('app://pilothouse/assets/a.js')).toBe('C:\\app\\renderer\\assets\\a.js');
    expect(f('app://pilothouse/..%5crenderer-old%5cindex.html')).toBeUndefined();
    expect(f('app://pilothouse/..%2frenderer2%2findex.html')).toBeUndefined();
  });
  it('engine restarts back off and cap at 30 s', () => {
    expect([1, 2, 3, 4].map(engineRestartDelay)).toEqual([500, 1000, 2000, 4000]);
    expect(engineRestartDelay(20)).toBe(30_000);
  });
});

describe('the Electron shell (electron stubbed)', () => {
  beforeEach(() => {
    fake.state.windows.length = 0; fake.state.forks.length = 0; fake.state.lock = true;
    fake.electron.app.removeAllListeners(); fake.electron.powerMonitor.removeAllListeners();
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
  });
  afterEach(() => vi.useRealTimers());

  it('a second instance quits and focuses the first', async () => {
    fake.state.lock = false;
    bootstrap();
    expect(fake.electron.app.quit).toHaveBeenCalled();
    expect(fake.state.windows).toHaveLength(0);
  });

  it('opens one secure window on app://, denies permissions, and starts the engine in a utility process', async () => {
    vi.useRealTimers();
    const shell = await ready();
    expect(fake.state.windows).toHaveLength(1);
    const win = fake.state.windows[0];
    expect(win.loaded).toBe('app://pilothouse/index.html');
    expect(win.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(fake.state.privileged).toEqual([expect.objectContaining({ scheme: 'app' })]);
    let granted: boolean | undefined;
    fake.state.permissionHandler!({}, 'media', (ok) => { granted = ok; });
    expect(granted).toBe(false);
    expect(fake.state.permissionCheck!()).toBe(false);
    expect(fake.state.forks).toHaveLength(1);
    expect(fake.state.forks[0].entry).toMatch(/engine[/\\]utility\.cjs$/);
    expect(fake.state.forks[0].opts.env.PILOTHOUSE_DATA_DIR).toBe('/fake/userData');
    expect(fake.state.forks[0].opts.execArgv).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-semi-space-size=\d+$/)]));
    const res = await fake.state.protocolHandler!({ url: 'app://pilothouse/index.html' });
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(shell.engine).toBe(fake.state.forks[0]);
  });

  it('hands the page and the engine the two ends of one channel on every page load', async () => {
    vi.useRealTimers();
    await ready();
    const win = fake.state.windows[0];
    const engine = fake.state.forks[0];
    win.webContents.emit('did-finish-load');
    expect(engine.messages).toContainEqual([{ type: 'connect' }, 1]);
    expect(win.webContents.posted).toEqual([['engine-port', null, [{ name: 'port2' }]]]);
  });

  it('denies new windows, navigation away, and webviews', () => {
    const wc = new fake.FakeWebContents();
    hardenContents(wc as never);
    expect(wc.openHandler!()).toEqual({ action: 'deny' });
    const nav = (url: string) => { const ev = { preventDefault: vi.fn() }; wc.emit('will-navigate', ev, url); return ev.preventDefault.mock.calls.length > 0; };
    expect(nav('https://evil.example/')).toBe(true);
    expect(nav('app://pilothouse/index.html')).toBe(false);
    const wv = { preventDefault: vi.fn() };
    wc.emit('will-attach-webview', wv);
    expect(wv.preventDefault).toHaveBeenCalled();
  });

  it('forwards suspend and resume to the engine', async () => {
    vi.useRealTimers();
    await ready();
    fake.electron.powerMonitor.emit('suspend');
    fake.electron.powerMonitor.emit('resume');
    expect(fake.state.forks[0].messages).toEqual(expect.arrayContaining([[{ type: 'power', state: 'suspend' }, 0], [{ type: 'power', state: 'resume' }, 0]]));
  });

  it('restarts a dead engine with backoff and tells the page', async () => {
    const shell = bootstrap();
    fake.state.readyResolve!();
    await vi.advanceTimersByTimeAsync(0);
    const first = fake.state.forks[0];
    first.emit('exit', 1);
    expect(fake.state.windows[0].webContents.sent).toEqual([['engine-status', { state: 'restarting', code: 1, inMs: 500 }]]);
    expect(fake.state.forks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(fake.state.forks).toHaveLength(2);
    fake.state.forks[1].emit('exit', 1);
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.state.forks).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.state.forks).toHaveLength(3);
    expect(shell.engine).toBe(fake.state.forks[2]);
    // Quitting kills the engine without restarting it.
    fake.electron.app.emit('before-quit');
    expect(fake.state.forks[2].killed).toBe(true);
    fake.state.forks[2].emit('exit', 0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.state.forks).toHaveLength(3);
  });
});
