import type { Duplex, EngineMessage } from '../../shared/contract/wire';
import { Engine, defaultDataDir } from '../engine/engine';
import { serveConnection } from '../engine/dispatch';

// Entry of the engine when Electron runs it in a utilityProcess. It has no Electron import:
// Electron gives the process `process.parentPort`; main sends one MessagePort per page load, plus power
// events. Everything heavy (lists, log streams) happens here, never in the window's main process.

interface PortLike { postMessage(m: unknown): void; on(ev: 'message', fn: (e: { data: unknown }) => void): void; on(ev: 'close', fn: () => void): void; start(): void; close(): void }
interface ParentPort { on(ev: 'message', fn: (e: { data: unknown; ports: PortLike[] }) => void): void; postMessage(m: unknown): void }

const parent = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parent) {
  console.error('pilothouse engine: no parentPort; this entry runs only inside Electron. Use `pilothouse serve` instead.');
  process.exit(2);
}

const engine = new Engine({ dataDir: defaultDataDir() });
// A failed start is reported and the process keeps serving: the endpoints that did start still answer,
// and the page shows what failed. Exiting here would only make the shell restart it into the same failure.
engine.start().catch((e: unknown) => console.error(`pilothouse engine: the engine did not start fully: ${(e as Error)?.stack ?? e}`));

parent.on('message', (e) => {
  const msg = e.data as { type?: string; state?: 'suspend' | 'resume' };
  if (msg?.type === 'connect' && e.ports[0]) {
    const port = e.ports[0];
    const msgFns: Array<(m: unknown) => void> = [];
    const closeFns: Array<() => void> = [];
    port.on('message', (ev) => msgFns.forEach((f) => f(ev.data)));
    port.on('close', () => closeFns.forEach((f) => f()));
    const link: Duplex<unknown, EngineMessage> = {
      send: (m) => port.postMessage(m),
      onMessage: (fn) => msgFns.push(fn),
      onClose: (fn) => closeFns.push(fn),
      close: () => port.close(),
    };
    serveConnection(engine.handlers(), link);
    port.start();
  } else if (msg?.type === 'power') {
    if (msg.state === 'suspend') engine.suspend(); else engine.resume();
  }
});
parent.postMessage({ type: 'ready' });
