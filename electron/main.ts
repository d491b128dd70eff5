import { app, BrowserWindow, Menu, MessageChannelMain, net, powerMonitor, protocol, session, utilityProcess, type UtilityProcess, type WebContents } from 'electron';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENGINE_EXEC_ARGV } from '../core/host/engine-flags';
import { installNotifications } from './notifications';
import { APP_ORIGIN, APP_SCHEME, CONTENT_SECURITY_POLICY, engineRestartDelay, isAllowedNavigation, rendererFile, SETTINGS_FILE, windowOptions } from './settings';

// The thin desktop shell: the window, its security, menus, power events and the engine's supervision.
// All connections and parsing live in the engine's utility process (core/host/utility.ts).

const DIST = path.join(__dirname, '..');                     // dist/ (this file is dist/electron/main.cjs)
const RENDERER = path.join(DIST, 'renderer');
const ENGINE_ENTRY = path.join(DIST, 'engine', 'utility.cjs');

export interface Shell { window?: BrowserWindow; engine?: UtilityProcess; crashes: number }

export function bootstrap(): Shell {
  const shell: Shell = { crashes: 0 };
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return shell;
  }
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

  app.on('second-instance', () => {
    if (shell.window?.isMinimized()) shell.window.restore();
    shell.window?.focus();
  });

  app.on('web-contents-created', (_e, contents) => hardenContents(contents));
  app.on('window-all-closed', () => { if (process.platform !== 'darwin') app.quit(); });
  app.on('before-quit', () => { const e = shell.engine; shell.engine = undefined; e?.kill(); });

  void app.whenReady().then(() => {
    protocol.handle(APP_SCHEME, (req) => {
      const file = rendererFile(req.url, RENDERER, path);
      if (!file) return new Response('not found', { status: 404 });
      return net.fetch(pathToFileURL(file).toString()).then((res) => {
        const headers = new Headers(res.headers);
        headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
        return new Response(res.body, { status: res.status, headers });
      });
    });
    session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate()));
    // Windows shows a process's notifications only under an application id (electron-builder.yml's appId).
    if (process.platform === 'win32') app.setAppUserModelId('org.pilothouse.console');
    installNotifications(() => shell.window, path.join(app.getPath('userData'), SETTINGS_FILE));
    startEngine(shell);
    createWindow(shell);
    powerMonitor.on('suspend', () => shell.engine?.postMessage({ type: 'power', state: 'suspend' }));
    powerMonitor.on('resume', () => shell.engine?.postMessage({ type: 'power', state: 'resume' }));
    app.on('activate', () => { if (BrowserWindow.getAllWindows().length === 0) createWindow(shell); });
  });
  return shell;
}

/** Every web contents: no new windows, no navigation away from the app, no webviews. */
export function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => { if (!isAllowedNavigation(url)) event.preventDefault(); });
  contents.on('will-redirect', (event, url) => { if (!isAllowedNavigation(url)) event.preventDefault(); });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function createWindow(shell: Shell): BrowserWindow {
  const win = new BrowserWindow(windowOptions(path.join(__dirname, 'preload.cjs')));
  shell.window = win;
  win.once('ready-to-show', () => win.show());
  // Each page load (first load, reload) gets a fresh port to the engine.
  win.webContents.on('did-finish-load', () => connectPage(shell));
  win.on('closed', () => { if (shell.window === win) shell.window = undefined; });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

/** Main creates the channel and hands one end to each side; it relays nothing itself. */
export function connectPage(shell: Shell): void {
  if (!shell.engine || !shell.window) return;
  const { port1, port2 } = new MessageChannelMain();
  shell.engine.postMessage({ type: 'connect' }, [port1]);
  shell.window.webContents.postMessage('engine-port', null, [port2]);
}

/** Starts the engine and restarts it with backoff whenever it dies; the page gets a new port each time. */
export function startEngine(shell: Shell): void {
  const child = utilityProcess.fork(ENGINE_ENTRY, [], {
    serviceName: 'Pilothouse engine',
    execArgv: [...ENGINE_EXEC_ARGV],
    env: { ...process.env, PILOTHOUSE_DATA_DIR: app.getPath('userData') },
  });
  shell.engine = child;
  const startedAt = Date.now();
  child.on('spawn', () => connectPage(shell));
  child.on('exit', (code) => {
    if (shell.engine !== child) return; // quitting, or already replaced
    shell.engine = undefined;
    // An engine that ran for a minute before dying is a new incident, not a crash loop.
    shell.crashes = Date.now() - startedAt > 60_000 ? 1 : shell.crashes + 1;
    const delay = engineRestartDelay(shell.crashes);
    shell.window?.webContents.send('engine-status', { state: 'restarting', code, inMs: delay });
    setTimeout(() => startEngine(shell), delay);
  });
}

function menuTemplate(): Electron.MenuItemConstructorOptions[] {
  return [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { label: 'View', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { role: 'windowMenu' },
  ];
}

if (process.versions.electron) bootstrap();
