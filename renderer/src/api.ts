import { createClient, type Client } from '../../shared/contract/client';
import type { ClientMessage, Duplex, EngineMessage } from '../../shared/contract/wire';
import { nextBackoff } from '../../shared/time/backoff';

export type ConnState = 'connecting' | 'open' | 'lost';

/**
 * The page talks to the engine over whatever transport it has: the MessagePort Electron's preload hands
 * over, or the web host's WebSocket. Either way the contract client is the same.
 */
export function connect(onState: (s: ConnState, client?: Client) => void): () => void {
  let stopped = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: Client | undefined;
  // Electron serves the page from app://; its engine port arrives by message, never over a socket.
  let electron = location.protocol === 'app:';

  const viaPort = (port: MessagePort): Duplex<EngineMessage, ClientMessage> => {
    const closeFns: Array<() => void> = [];
    return {
      send: (m) => port.postMessage(m),
      onMessage: (fn) => { port.onmessage = (e) => fn(e.data as EngineMessage); },
      onClose: (fn) => closeFns.push(fn),
      close: () => { port.close(); closeFns.forEach((f) => f()); },
    };
  };

  const viaSocket = (): Promise<Duplex<EngineMessage, ClientMessage>> => new Promise((resolve, reject) => {
    const token = new URLSearchParams(location.search).get('token') ?? sessionStorage.getItem('pilothouse-token') ?? '';
    if (token) sessionStorage.setItem('pilothouse-token', token);
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}/ws?token=${encodeURIComponent(token)}`);
    const msgFns: Array<(m: EngineMessage) => void> = [];
    const closeFns: Array<() => void> = [];
    ws.onmessage = (e) => { const m = JSON.parse(e.data as string) as EngineMessage; msgFns.forEach((f) => f(m)); };
    ws.onopen = () => resolve({
      send: (m) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); },
      onMessage: (fn) => msgFns.push(fn),
      onClose: (fn) => closeFns.push(fn),
      close: () => ws.close(),
    });
    ws.onclose = () => { closeFns.forEach((f) => f()); reject(new Error('socket closed')); };
  });

  const open = async () => {
    if (stopped) return;
    onState('connecting');
    try {
      const port = (window as unknown as { __pilothousePort?: MessagePort }).__pilothousePort;
      // Inside Electron the port comes from the shell; there is no socket to fall back to.
      if (!port && electron) return;
      const link = port ? viaPort(port) : await viaSocket();
      const client = createClient(link);
      current = client;
      attempt = 0;
      link.onClose(() => {
        if (stopped || current !== client) return;
        onState('lost');
        retry();
      });
      onState('open', client);
    } catch {
      onState('lost');
      retry();
    }
  };
  const retry = () => {
    const delay = nextBackoff(attempt++, { baseMs: 250, maxMs: 10_000 });
    timer = setTimeout(() => void open(), delay);
  };

  // Electron's preload posts the engine port into the page; a port may also arrive again after the
  // engine restarts.
  window.addEventListener('message', (e) => {
    if (e.source !== window) return;
    if (e.data?.type === 'pilothouse:engine-status' && e.data.state === 'restarting') {
      // The engine died; the shell restarts it and sends a new port. Until then, say so.
      const old = current;
      current = undefined;
      (window as unknown as { __pilothousePort?: MessagePort }).__pilothousePort = undefined;
      old?.close();
      onState('lost');
      return;
    }
    if (e.data === 'pilothouse:engine-port' && e.ports[0]) {
      electron = true;
      if (timer) clearTimeout(timer);
      (window as unknown as { __pilothousePort?: MessagePort }).__pilothousePort = e.ports[0];
      e.ports[0].start();
      const old = current;
      current = undefined;
      old?.close();
      void open();
    }
  });
  void open();
  return () => { stopped = true; if (timer) clearTimeout(timer); current?.close(); };
}
