import * as net from 'node:net';

/**
 * A TCP relay on an address the rig's ssh hosts can reach (their bridge, 10.177.0.1) to a server that
 * listens on this machine's loopback only (the rig's Airflow, Prometheus). It stands in for "the server
 * runs on the host's own network": the product's way there is still the real SSH connection and tunnel.
 */
/** `peers`: the addresses that connected, so a test can tell the host's connection from a direct one. */
export interface Relay { port: number; peers: Set<string>; close(): Promise<void> }

export function relay(bindAddress: string, to: { host: string; port: number }): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const peers = new Set<string>();
  const server = net.createServer((inbound) => {
    if (inbound.remoteAddress) peers.add(inbound.remoteAddress);
    const out = net.connect(to.port, to.host);
    sockets.add(inbound); sockets.add(out);
    inbound.pipe(out); out.pipe(inbound);
    const end = () => { inbound.destroy(); out.destroy(); sockets.delete(inbound); sockets.delete(out); };
    inbound.on('error', end); out.on('error', end); inbound.on('close', end); out.on('close', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, bindAddress, () => resolve({
      port: (server.address() as net.AddressInfo).port,
      peers,
      close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
    }));
  });
}
