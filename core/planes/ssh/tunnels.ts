import * as net from 'node:net';
import type { ActionSpec, Reason, Resource, RuntimeStatus } from '../../../shared/contract/domain';
import type { ActionDef } from '../../actions/action';
import type { Derived, ModelObject, PlaneRules } from '../../model/object';
import type { SshConnectionState } from './connection';
import type { SshFeature, SshFeatureAttachment, SshFeatureContext } from './feature';
import type { TunnelSettings } from './settings';
import { utcClock } from '../../../shared/text/utc';

/**
 * Local forwards through a host's shared SSH connection: 127.0.0.1:<localPort> on this machine to
 * <remoteHost>:<remotePort> as the host sees it (a database, Airflow, Prometheus on the host's network).
 * Each tunnel is one resource, `ssh/<alias>/tunnel/<name>`. A declared tunnel opens when the host is
 * attached and keeps its local port while the connection is lost or the laptop sleeps: whatever dials it
 * then is refused at once, nobody else can take the port meanwhile, and forwarding resumes by itself when
 * the connection is back. Closing (the action, or the engine stopping) frees the port.
 */

export const TUNNEL_KIND = 'tunnel';
const LOCAL_HOST = '127.0.0.1';
/** Connections one tunnel carries at once; more are refused by the listening socket. */
const MAX_CONNECTIONS = 256;
/** Byte counters reach the model at most this often; a state change goes at once. */
const COUNTER_PUBLISH_MS = 1_000;
/** How long a client dialling the tunnel waits for a connection that is being made. */
const READY_WAIT_MS = 10_000;

export type TunnelState =
  /** Not wanted open (closed by the operator). */
  | 'closed'
  /** The local port is held and the host's connection is up: connections are forwarded. */
  | 'listening'
  /** The local port is held, the host's connection is not up: connections are refused until it is. */
  | 'waiting'
  /** The local port could not be taken (`bindError` says why). */
  | 'failed'
  /** The declaration itself is wrong (`problem` says what); nothing is opened. */
  | 'invalid';

export interface TunnelData {
  alias: string;
  name: string;
  localHost: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
  state: TunnelState;
  /** When `state` last changed (ms). */
  since: number;
  ssh: { state: SshConnectionState['state']; why?: string; retryAt?: number; via?: string[] };
  /** Connections open now, and since the tunnel was first opened. */
  open: number;
  total: number;
  /** Bytes from the local clients to the remote side, and back. */
  bytesOut: number;
  bytesIn: number;
  bindError?: string;
  problem?: string;
  /** The last connection that could not be forwarded, and when; cleared in effect by a later success. */
  lastError?: { text: string; at: number };
  lastOkAt?: number;
}

// ---------------------------------------------------------------------------------------------------
// Pure rules

/**
 * Declarations the schema in settings.ts cannot judge one by one: two tunnels of a host with one name or
 * one local port. Returns the problem per tunnel index.
 */
export function tunnelProblems(tunnels: readonly TunnelSettings[], where: string): Map<number, string> {
  const out = new Map<number, string>();
  const names = new Map<string, number>();
  const ports = new Map<number, number>();
  tunnels.forEach((t, i) => {
    const n = names.get(t.name);
    const p = ports.get(t.localPort);
    if (n !== undefined) out.set(i, `${where}: tunnels.${i}.name: '${t.name}' is already the name of tunnels.${n}`);
    else if (p !== undefined) out.set(i, `${where}: tunnels.${i}.localPort: ${t.localPort} is already the local port of tunnels.${p} ('${tunnels[p]!.name}')`);
    if (n === undefined) names.set(t.name, i);
    if (p === undefined) ports.set(t.localPort, i);
  });
  return out;
}

/** The operator's words for a failed listen. */
export function bindErrorText(host: string, port: number, err: NodeJS.ErrnoException): string {
  const at = `${host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE': return `local port ${port} is already in use (${at}): another program or tunnel listens there; stop it or pick another localPort`;
    case 'EACCES': return `not allowed to listen on ${at}${port < 1024 ? ' (ports below 1024 need privileges; pick a localPort above 1023)' : ''}`;
    case 'EADDRNOTAVAIL': return `cannot listen on ${at}: that address is not on this machine`;
    default: return `cannot listen on ${at}: ${err.message}`;
  }
}

export function tunnelId(endpoint: string, name: string): string {
  return `${endpoint}/${TUNNEL_KIND}/${name}`;
}

const OPEN: ActionSpec = { id: 'tunnel-open', label: 'Open tunnel', destructive: false, confirm: 'none' };
const CLOSE: ActionSpec = { id: 'tunnel-close', label: 'Close tunnel', destructive: false, confirm: 'none' };
// Closing cuts whoever is using it: then the operator confirms.
const CLOSE_IN_USE: ActionSpec = { ...CLOSE, confirm: 'confirm' };

function sshWords(d: TunnelData): { runtime: RuntimeStatus; text: string } {
  const s = d.ssh;
  switch (s.state) {
    case 'lost': return { runtime: 'error', text: `lost: the connection to ${d.alias} dropped (${s.why ?? 'no reason given'}); retrying at ${utcClock(s.retryAt ?? 0)}, local port ${d.localPort} kept and refusing` };
    case 'connecting':
    case 'idle': return { runtime: 'pending', text: `waiting for the connection to ${d.alias}` };
    case 'suspended': return { runtime: 'pending', text: `asleep: reopens when the machine wakes and ${d.alias} is reached again` };
    case 'untrusted':
    case 'refused': return { runtime: 'error', text: `${d.alias} is not connected (${s.why ?? s.state}): the tunnel cannot carry anything until it is` };
    default: return { runtime: 'error', text: `${d.alias} connection ${s.state}` };
  }
}

export function deriveTunnel(id: string, d: TunnelData): Derived {
  const reasons: Reason[] = [];
  let runtime: RuntimeStatus;
  const actions: ActionSpec[] = [];
  const route = `${d.localHost}:${d.localPort} → ${d.remoteHost}:${d.remotePort} via ${d.alias}`;
  switch (d.state) {
    case 'invalid':
      runtime = 'error';
      reasons.push({ text: d.problem ?? 'invalid tunnel declaration', severity: 'error' });
      break;
    case 'closed':
      runtime = 'not_applicable';
      reasons.push({ text: `closed (${route})`, severity: 'info' });
      actions.push(OPEN);
      break;
    case 'failed':
      runtime = 'error';
      reasons.push({ text: d.bindError ?? `cannot listen on ${d.localHost}:${d.localPort}`, severity: 'error' });
      actions.push(OPEN, CLOSE);
      break;
    case 'waiting': {
      const w = sshWords(d);
      runtime = w.runtime;
      reasons.push({ text: w.text, severity: runtime === 'error' ? 'error' : 'info' });
      actions.push(CLOSE);
      break;
    }
    case 'listening':
      runtime = 'ok';
      if (d.lastError && (d.lastOkAt === undefined || d.lastError.at > d.lastOkAt)) {
        runtime = 'warning';
        reasons.push({ text: `the last connection could not be forwarded: ${d.lastError.text}`, severity: 'warning' });
      }
      reasons.push({ text: `listening: ${route}, ${d.open} connection${d.open === 1 ? '' : 's'} open`, severity: 'info' });
      actions.push(d.open > 0 ? CLOSE_IN_USE : CLOSE);
      break;
  }
  const facts: Record<string, string> = {
    local: `${d.localHost}:${d.localPort}`,
    remote: `${d.remoteHost}:${d.remotePort}`,
    via: [...(d.ssh.via ?? []), d.alias].join(' → '),
    state: d.state,
    'connections open': String(d.open),
    'connections total': String(d.total),
    'bytes out': String(d.bytesOut),
    'bytes in': String(d.bytesIn),
  };
  if (d.lastError) facts['last error'] = `${new Date(d.lastError.at).toISOString()} ${d.lastError.text}`;
  if (d.bindError) facts['listen error'] = d.bindError;
  return {
    resource: {
      id,
      name: d.name,
      kind: TUNNEL_KIND,
      plane: 'ssh',
      endpoint: id.slice(0, id.indexOf(`/${TUNNEL_KIND}/`)),
      group: { kind: 'host', name: d.alias },
      runtime,
      reason: reasons[0],
      reasons,
      facts,
      actions,
      stateSince: d.since,
    },
  };
}

export const tunnelRules: PlaneRules = {
  bind: (o) => (o.kind === TUNNEL_KIND ? [tunnelId(o.endpoint, o.name)] : []),
  derive: (id, objects) => {
    const o = objects.find((x) => x.kind === TUNNEL_KIND);
    return o ? deriveTunnel(id, o.data as TunnelData) : undefined;
  },
};

// ---------------------------------------------------------------------------------------------------
// One tunnel at run time

export class Tunnel {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private data: TunnelData;
  private published = '';
  private counterTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly offConnection: () => void;
  private stopped = false;

  constructor(private readonly ctx: SshFeatureContext, spec: TunnelSettings, problem?: string) {
    const now = ctx.now();
    this.data = {
      alias: ctx.alias,
      name: spec.name,
      localHost: LOCAL_HOST,
      localPort: spec.localPort,
      remoteHost: spec.remoteHost,
      remotePort: spec.remotePort,
      state: problem ? 'invalid' : 'closed',
      since: now,
      ssh: sshOf(ctx.connection.state),
      open: 0,
      total: 0,
      bytesOut: 0,
      bytesIn: 0,
      ...(problem ? { problem } : {}),
    };
    this.offConnection = ctx.connection.subscribe((s) => this.onConnection(s));
  }

  get name(): string { return this.data.name; }
  get state(): TunnelState { return this.data.state; }
  get snapshot(): TunnelData { return { ...this.data }; }

  /** Takes the local port; resolves when listening, rejects with the operator's words when it cannot. */
  async open(): Promise<void> {
    if (this.stopped) throw new Error(`tunnel ${this.data.name}: the host is no longer served`);
    if (this.data.state === 'invalid') throw new Error(this.data.problem);
    if (this.server) return;
    const server = net.createServer((sock) => this.accept(sock));
    server.maxConnections = MAX_CONNECTIONS;
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.data.localHost, port: this.data.localPort, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.server = undefined;
      const text = bindErrorText(this.data.localHost, this.data.localPort, err as NodeJS.ErrnoException);
      this.set({ state: 'failed', bindError: text });
      throw new Error(`tunnel ${this.data.name}: ${text}`);
    }
    // A listening server can still fail later (rare: the address disappears); say so rather than crash.
    server.on('error', (err) => this.patch({ lastError: { text: `listening socket: ${err.message}`, at: this.ctx.now() } }));
    this.set({ state: this.ctx.connection.state.state === 'connected' ? 'listening' : 'waiting', bindError: undefined });
  }

  /** Frees the local port and cuts every forwarded connection; resolves once the port is free. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.data.state !== 'invalid') this.set({ state: 'closed', bindError: undefined, open: 0 });
  }

  /** Engine stop or the host left the settings: close and publish nothing more. */
  async stop(): Promise<void> {
    await this.close();
    this.stopped = true;
    this.offConnection();
    if (this.counterTimer) clearTimeout(this.counterTimer);
    this.counterTimer = undefined;
  }

  publish(): void {
    if (this.stopped) return;
    const text = JSON.stringify(this.data);
    if (text === this.published) return;
    this.published = text;
    this.ctx.sink.upsert({ plane: 'ssh', endpoint: this.ctx.endpoint, kind: TUNNEL_KIND, ns: '', name: this.data.name, data: { ...this.data } });
  }

  private onConnection(s: SshConnectionState): void {
    const ssh = sshOf(s);
    if (this.server) this.set({ ssh, state: s.state === 'connected' ? 'listening' : 'waiting' });
    else this.set({ ssh });
    // A port that was taken may be free now; the reconnect is a natural moment to try again.
    if (s.state === 'connected' && this.data.state === 'failed') void this.open().catch(() => {});
  }

  private set(p: Partial<TunnelData>): void {
    const stateChanged = p.state !== undefined && p.state !== this.data.state;
    this.data = { ...this.data, ...p, ...(stateChanged ? { since: this.ctx.now() } : {}) };
    for (const k of Object.keys(p) as (keyof TunnelData)[]) if (p[k] === undefined) delete this.data[k];
    this.publish();
  }

  /** Counters and errors: batched, so a busy tunnel does not re-derive its resource per packet. */
  private patch(p: Partial<TunnelData>, now = false): void {
    this.data = { ...this.data, ...p };
    if (now) { this.publish(); return; }
    this.counterTimer ??= setTimeout(() => {
      this.counterTimer = undefined;
      this.publish();
    }, COUNTER_PUBLISH_MS);
  }

  private accept(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.on('error', () => {});
    sock.once('close', () => {
      this.sockets.delete(sock);
      if (this.stopped) return;
      this.patch({ open: this.sockets.size }, true);
    });
    this.patch({ open: this.sockets.size, total: this.data.total + 1 }, true);
    sock.pause();
    const conn = this.ctx.connection;
    const st = conn.state.state;
    if (st !== 'connected' && st !== 'connecting' && st !== 'idle') {
      this.fail(sock, `refused a local connection: ${this.data.alias} is ${st}${conn.state.state === 'lost' ? ` (${conn.state.why})` : ''}`);
      return;
    }
    conn.ready(READY_WAIT_MS).then(
      (client) => {
        if (sock.destroyed) return;
        client.forwardOut(sock.remoteAddress ?? LOCAL_HOST, sock.remotePort ?? 0, this.data.remoteHost, this.data.remotePort, (err, channel) => {
          if (err) {
            this.fail(sock, `${this.data.alias} could not open ${this.data.remoteHost}:${this.data.remotePort}: ${err.message}`);
            return;
          }
          if (sock.destroyed) { channel.close(); return; }
          this.patch({ lastOkAt: this.ctx.now() }, true);
          channel.on('data', (b: Buffer) => this.patch({ bytesIn: this.data.bytesIn + b.length }));
          sock.on('data', (b: Buffer) => this.patch({ bytesOut: this.data.bytesOut + b.length }));
          channel.on('error', () => sock.destroy());
          channel.on('close', () => sock.destroy());
          sock.on('close', () => channel.close());
          sock.pipe(channel).pipe(sock);
          sock.resume();
        });
      },
      (err: Error) => this.fail(sock, `refused a local connection: ${err.message}`),
    );
  }

  private fail(sock: net.Socket, text: string): void {
    sock.destroy();
    this.patch({ lastError: { text, at: this.ctx.now() } }, true);
  }
}

function sshOf(s: SshConnectionState): TunnelData['ssh'] {
  switch (s.state) {
    case 'lost': return { state: s.state, why: s.why, retryAt: s.retryAt };
    case 'connected': return { state: s.state, ...(s.via.length ? { via: s.via } : {}) };
    case 'connecting': return { state: s.state, ...(s.via.length ? { via: s.via } : {}) };
    case 'untrusted':
    case 'refused': return { state: s.state, why: s.message };
    default: return { state: s.state };
  }
}

// ---------------------------------------------------------------------------------------------------
// The feature the SSH plane composes

export interface TunnelFeature extends SshFeature {
  /** The tunnels attached for a host (tests and the plane's status look here). */
  tunnels(endpoint: string): Tunnel[];
}

export function createTunnelFeature(): TunnelFeature {
  const byEndpoint = new Map<string, Map<string, Tunnel>>();

  const tunnelOf = (resource: Resource): Tunnel | undefined => byEndpoint.get(resource.endpoint)?.get(resource.name);

  return {
    kinds: [TUNNEL_KIND],
    rules: tunnelRules,

    tunnels: (endpoint) => [...(byEndpoint.get(endpoint)?.values() ?? [])],

    attach(ctx: SshFeatureContext): SshFeatureAttachment | undefined {
      const specs = ctx.settings.tunnels;
      if (specs.length === 0) return undefined;
      const problems = tunnelProblems(specs, `${ctx.settings.file} (host ${ctx.alias})`);
      const mine = new Map<string, Tunnel>();
      specs.forEach((spec, i) => {
        // A duplicate name still gets a resource of its own, so the problem is seen rather than lost.
        const name = mine.has(spec.name) ? `${spec.name}#${i}` : spec.name;
        const t = new Tunnel(ctx, { ...spec, name }, problems.get(i));
        mine.set(name, t);
        t.publish();
      });
      byEndpoint.set(ctx.endpoint, mine);
      const opening = [...mine.values()].filter((t) => t.state !== 'invalid').map((t) => t.open().catch(() => {}));
      return {
        firstRead: Promise.all(opening).then(() => {}),
        stop() {
          if (byEndpoint.get(ctx.endpoint) === mine) byEndpoint.delete(ctx.endpoint);
          for (const t of mine.values()) void t.stop();
        },
      };
    },

    action(resource: Resource, actionId: string): ActionDef | undefined {
      const t = tunnelOf(resource);
      if (!t) return undefined;
      const d = t.snapshot;
      const route = `${d.localHost}:${d.localPort} → ${d.remoteHost}:${d.remotePort} through ${d.alias}`;
      if (actionId === OPEN.id) {
        return {
          spec: OPEN,
          summary: `Open tunnel ${d.name}: ${route}`,
          steps: [{ endpoint: resource.endpoint, call: `listen on ${d.localHost}:${d.localPort}; forward each connection to ${d.remoteHost}:${d.remotePort} (direct-tcpip through ${d.alias})` }],
          verifyText: `${d.localHost}:${d.localPort} is listening`,
          run: () => t.open(),
          verify: (objs) => objs.some((o) => o.kind === TUNNEL_KIND && ['listening', 'waiting'].includes((o.data as TunnelData).state)),
          verifyTimeoutMs: 5_000,
          auditName: 'ssh.tunnel-open',
        };
      }
      if (actionId === CLOSE.id) {
        return {
          spec: d.open > 0 ? CLOSE_IN_USE : CLOSE,
          summary: `Close tunnel ${d.name} (${route})${d.open > 0 ? `, cutting ${d.open} open connection${d.open === 1 ? '' : 's'}` : ''}`,
          steps: [{ endpoint: resource.endpoint, call: `stop listening on ${d.localHost}:${d.localPort}; close its forwarded connections` }],
          verifyText: `${d.localHost}:${d.localPort} is free`,
          run: () => t.close(),
          verify: (objs) => objs.some((o) => o.kind === TUNNEL_KIND && (o.data as TunnelData).state === 'closed'),
          verifyTimeoutMs: 5_000,
          auditName: 'ssh.tunnel-close',
        };
      }
      return undefined;
    },
  };
}

/** For callers that hold objects rather than a resource. */
export function tunnelDataOf(objects: readonly ModelObject[]): TunnelData | undefined {
  return objects.find((o) => o.kind === TUNNEL_KIND)?.data as TunnelData | undefined;
}
