import { ipcRenderer } from 'electron';

// The preload exposes nothing but the engine's MessagePort and the engine's supervision status: the page
// speaks the contract over the port and never touches Node or Electron. A new port arrives whenever the
// engine restarts.
ipcRenderer.on('engine-port', (event) => {
  window.postMessage('pilothouse:engine-port', '*', event.ports);
});
ipcRenderer.on('engine-status', (_event, status: { state: string; code?: number; inMs?: number }) => {
  window.postMessage({ type: 'pilothouse:engine-status', state: String(status.state), code: Number(status.code ?? -1), inMs: Number(status.inMs ?? 0) }, '*');
});
