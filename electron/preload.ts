import { contextBridge, ipcRenderer } from 'electron';

// The preload exposes the engine's MessagePort, the engine's supervision status, and one narrow bridge for
// desktop notifications: the page speaks the contract over the port and never touches Node or Electron.
// A new port arrives whenever the engine restarts.
ipcRenderer.on('engine-port', (event) => {
  window.postMessage('pilothouse:engine-port', '*', event.ports);
});
ipcRenderer.on('engine-status', (_event, status: { state: string; code?: number; inMs?: number }) => {
  window.postMessage({ type: 'pilothouse:engine-status', state: String(status.state), code: Number(status.code ?? -1), inMs: Number(status.inMs ?? 0) }, '*');
});

// Only strings and plain data cross: the main process checks them again (electron/settings.ts).
let onSelect: ((id: string) => void) | undefined;
ipcRenderer.on('notify:select', (_event, id: unknown) => onSelect?.(String(id)));
contextBridge.exposeInMainWorld('pilothouseShell', {
  notify: (title: unknown, body: unknown, resource: unknown) => ipcRenderer.send('notify:show', { title: String(title), body: String(body), resource: String(resource) }),
  loadMutes: () => ipcRenderer.invoke('notify:load-mutes') as Promise<unknown>,
  saveMutes: (mutes: unknown) => ipcRenderer.send('notify:save-mutes', JSON.parse(JSON.stringify(mutes)) as unknown),
  /** One listener: a second call replaces the first (a page that renders twice never selects twice). */
  onSelect: (fn: (id: string) => void) => { onSelect = fn; },
});
