import { ipcRenderer } from 'electron';

// The preload exposes nothing but the engine's MessagePort: the page speaks the contract over it and
// never touches Node or Electron. A port arrives again whenever the engine restarts.
ipcRenderer.on('engine-port', (event) => {
  window.postMessage('pilothouse:engine-port', '*', event.ports);
});
