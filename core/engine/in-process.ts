import type { Duplex, EngineMessage, ClientMessage } from '../../shared/contract/wire';
import { createClient, type Client } from '../../shared/contract/client';
import { serveConnection, type Handlers } from './dispatch';

/**
 * The third transport: both halves in one process (tests, the CLI). Messages go through structuredClone
 * so that what passes is exactly what could cross a port or a socket.
 */
export function connectInProcess(h: Handlers): Client {
  const toEngine: Array<(m: unknown) => void> = [];
  const toClient: Array<(m: EngineMessage) => void> = [];
  const closers: Array<() => void> = [];
  let closed = false;
  const close = () => { if (closed) return; closed = true; closers.forEach((f) => f()); };
  const engineSide: Duplex<unknown, EngineMessage> = {
    send: (m) => { const c = structuredClone(m); queueMicrotask(() => toClient.forEach((f) => f(c))); },
    onMessage: (fn) => toEngine.push(fn),
    onClose: (fn) => closers.push(fn),
    close,
  };
  const clientSide: Duplex<EngineMessage, ClientMessage> = {
    send: (m) => { const c = structuredClone(m); queueMicrotask(() => toEngine.forEach((f) => f(c))); },
    onMessage: (fn) => toClient.push(fn),
    onClose: (fn) => closers.push(fn),
    close,
  };
  serveConnection(h, engineSide);
  return createClient(clientSide);
}
