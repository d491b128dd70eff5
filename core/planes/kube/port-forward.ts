import * as net from 'node:net';
import type WebSocket from 'ws';
import type { Resource } from '../../../shared/contract/domain';
import type { ActionDef } from '../../actions/action';
import type { ModelObject } from '../../model/object';
import type { PlaneSink } from '../plane';
import { Channel, PORT_FORWARD_PROTOCOLS, type ChannelSocket, frame, openChannelSocket, parseFrame, stripPortPrefix } from './channels';
import type { KubeTransport } from './client';
import { resolvePortTarget } from './pod-target';
import { OPEN_PREFIX, PORT_FORWARD_KIND, STOP_ID, forwardName, type PortForwardData, type PortForwardState } from './port-forward-rules';
import { parseResourceId, resourceId } from './rules/ids';

/**
 * Port-forwards over the API server's portforward WebSocket (v4.channel.k8s.io). That protocol carries
 * one stream per port per socket, so every local connection gets a socket of its own, opened when the
 * client dials: a drop, a sleep or a replaced pod costs the connections open at that moment and nothing
 * else, and the next connection goes to the pod the target resolves to then (a Service's Ready pod is
 * looked up again each time). The local port is held from open to stop, through drops and sleeps, so
 * nobody else takes it; while asleep clients are refused at once. After a failure the forward checks
 * the way to the pod with a backoff and says "listening" again once a socket opens.
 */

const LOCAL_HOST = '127.0.0.1';
/** Counters reach the model at most this often; a state change goes at once. */
const COUNTER_PUBLISH_MS = 1_000;
/** A client's bytes wait while the WebSocket holds more than this unsent. */
const WS_HIGH_WATER = 1 << 20;
const RECHECK_MIN_MS = 1_000;
const RECHECK_MAX_MS = 30_000;

/** What a forward needs of the plane: the context's transport now (it may be re-made), and the model. */
export interface ForwardDeps {
  sink(): PlaneSink | undefined;
  context(endpoint: string): { server: string; transport: KubeTransport } | undefined;
  now(): number;
}

/** Binds 127.0.0.1:`port`, or any free port when that one is taken. */
export async function listenPreferring(server: net.Server, port: number): Promise<{ port: number; preferredTaken?: string }> {
  const attempt = (p: number) => new Promise<number>((resolve, reject) => {
    const onError = (e: Error) => { server.off('listening', onListening); reject(e); };
    const onListening = () => { server.off('error', onError); resolve((server.address() as net.AddressInfo).port); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(p, LOCAL_HOST);
  });
  try { return { port: await attempt(port) }; } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw e;
    return { port: await attempt(0), preferredTaken: code === 'EADDRINUSE' ? `${port} is in use` : `${port} needs privileges` };
  }
}

class Forward {
  readonly data: PortForwardData;
  private readonly conns = new Set<{ tcp: net.Socket; ws?: WebSocket }>();
  private publishTimer?: ReturnType<typeof setTimeout>;
  private recheckTimer?: ReturnType<typeof setTimeout>;
  private recheckDelay = RECHECK_MIN_MS;
  private stopped = false;

  constructor(
    readonly endpoint: string, readonly ns: string, readonly name: string,
    private readonly server: net.Server, data: PortForwardData, private readonly deps: ForwardDeps,
  ) {
    this.data = data;
    server.on('connection', (tcp) => this.accept(tcp));
    this.publish();
  }

  get key(): string { return `${this.endpoint}/${PORT_FORWARD_KIND}/${this.ns}/${this.name}`; }

  private object(): ModelObject<PortForwardData> {
    return { plane: 'kube', endpoint: this.endpoint, kind: PORT_FORWARD_KIND, ns: this.ns, name: this.name, data: { ...this.data, target: { ...this.data.target } } };
  }

  private publish(): void {
    clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    if (!this.stopped) this.deps.sink()?.upsert(this.object());
  }

  private publishSoon(): void {
    if (this.publishTimer || this.stopped) return;
    this.publishTimer = setTimeout(() => this.publish(), COUNTER_PUBLISH_MS);
    this.publishTimer.unref?.();
  }

  private setState(state: PortForwardState, error?: string): void {
    if (error) this.data.lastError = { text: error, at: this.deps.now() };
    if (state !== this.data.state) { this.data.state = state; this.data.since = this.deps.now(); }
    this.publish();
  }

  /** Where a connection goes now, and the socket to it. */
  private async dial(): Promise<ChannelSocket> {
    const objects = this.deps.sink()?.objectsOf(this.data.target.id) ?? [];
    const t = resolvePortTarget(objects, this.data.port);
    if ('error' in t) throw new Error(t.error);
    const ctx = this.deps.context(this.endpoint);
    if (!ctx) throw new Error(`context ${this.endpoint} is not connected`);
    this.data.pod = t.pod;
    this.data.podPort = t.port;
    const path = `/api/v1/namespaces/${encodeURIComponent(t.ns)}/pods/${encodeURIComponent(t.pod)}/portforward?ports=${t.port}`;
    return openChannelSocket(ctx.transport, ctx.server, path, PORT_FORWARD_PROTOCOLS);
  }

  private accept(tcp: net.Socket): void {
    if (this.stopped || this.data.state === 'suspended') { tcp.destroy(); return; }
    tcp.pause();
    const conn: { tcp: net.Socket; ws?: WebSocket } = { tcp };
    this.conns.add(conn);
    this.data.open++;
    this.data.total++;
    this.publish();
    let done = false;
    const end = (error?: string) => {
      if (done) return;
      done = true;
      this.conns.delete(conn);
      this.data.open--;
      tcp.destroy();
      conn.ws?.terminate();
      if (error && !this.stopped && this.data.state !== 'suspended') { this.setState('reconnecting', error); this.scheduleRecheck(); } else this.publishSoon();
    };
    tcp.on('error', () => end());
    tcp.on('close', () => end());
    this.dial().then((socket) => {
      const ws = socket.ws;
      if (done) { ws.terminate(); return; }
      conn.ws = ws;
      this.recheckDelay = RECHECK_MIN_MS;
      if (this.data.state === 'reconnecting') this.setState('listening');
      this.pipe(tcp, socket, end);
    }, (e: Error) => end(e.message));
  }

  private pipe(tcp: net.Socket, socket: ChannelSocket, end: (error?: string) => void): void {
    const ws = socket.ws;
    const data = { seen: 0 }, err = { seen: 0 };
    let errorText = '';
    socket.onMessage((msg: Buffer) => {
      const f = parseFrame(msg);
      if (!f) return;
      if (f.channel === 0) {
        const b = stripPortPrefix(data, f.data);
        if (!b.length) return;
        this.data.bytesIn += b.length;
        this.publishSoon();
        if (!tcp.write(b)) { ws.pause(); tcp.once('drain', () => ws.resume()); }
      } else if (f.channel === 1) {
        errorText += stripPortPrefix(err, f.data).toString('utf8');
      }
    });
    ws.on('close', (code: number) => {
      // The error channel says why the pod side refused (nothing listens on that port in the pod).
      if (errorText.trim()) end(errorText.trim());
      else if (code !== 1000 && code !== 1005) end(`the connection to the API server dropped (WebSocket close ${code})`);
      else end();
    });
    tcp.on('data', (b: Buffer) => {
      this.data.bytesOut += b.length;
      this.publishSoon();
      ws.send(frame(Channel.stdin, b), () => { if (tcp.isPaused() && ws.bufferedAmount < WS_HIGH_WATER / 4) tcp.resume(); });
      if (ws.bufferedAmount > WS_HIGH_WATER) tcp.pause();
    });
    tcp.on('end', () => ws.close(1000));
    tcp.resume();
  }

  /** After a failure: look again with a backoff until a socket to the pod opens. */
  private scheduleRecheck(): void {
    if (this.recheckTimer || this.stopped || this.data.state !== 'reconnecting') return;
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = undefined;
      void this.check();
    }, this.recheckDelay);
    this.recheckTimer.unref?.();
    this.recheckDelay = Math.min(this.recheckDelay * 2, RECHECK_MAX_MS);
  }

  /** Opens a socket to the pod and closes it: the way is there (or not, and why). */
  async check(): Promise<boolean> {
    try {
      const { ws } = await this.dial();
      ws.close(1000);
      if (this.stopped || this.data.state === 'suspended') return true;
      this.recheckDelay = RECHECK_MIN_MS;
      this.setState('listening');
      return true;
    } catch (e) {
      if (this.stopped || this.data.state === 'suspended') return false;
      this.setState('reconnecting', (e as Error).message);
      this.scheduleRecheck();
      return false;
    }
  }

  /** Cuts every connection open now (a sleep; tests force a drop with it). */
  dropConnections(): void {
    for (const c of [...this.conns]) { c.ws?.terminate(); c.tcp.destroy(); }
  }

  suspend(): void {
    if (this.stopped) return;
    clearTimeout(this.recheckTimer);
    this.recheckTimer = undefined;
    this.setState('suspended');
    this.dropConnections();
  }

  resume(): void {
    if (this.stopped || this.data.state !== 'suspended') return;
    this.recheckDelay = RECHECK_MIN_MS;
    this.setState('listening');
    void this.check();
  }

  /** Frees the port and leaves the model. */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    clearTimeout(this.recheckTimer);
    clearTimeout(this.publishTimer);
    this.dropConnections();
    this.deps.sink()?.remove(this.key);
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Every forward of a plane, keyed by its resource id. */
export class PortForwards {
  private readonly all = new Map<string, Forward>();

  constructor(private readonly deps: ForwardDeps) {}

  get(id: string): Forward | undefined { return this.all.get(id); }
  list(): Forward[] { return [...this.all.values()]; }

  /** Forwards `port` of a resource (opened once; a second open says where the first listens). */
  async open(target: Resource, port: number, log: (line: string) => void = () => undefined): Promise<PortForwardData> {
    const p = parseResourceId(target.id);
    if (!p) throw new Error(`${target.id} is not a kube resource`);
    const name = forwardName(p.kind, p.name, port);
    const id = resourceId(p.endpoint, p.ns, 'port-forward', name);
    const existing = this.all.get(id);
    if (existing) {
      log(`already forwarding: ${existing.data.localHost}:${existing.data.localPort}`);
      return existing.data;
    }
    const server = net.createServer({ pauseOnConnect: true });
    const bound = await listenPreferring(server, port);
    const data: PortForwardData = {
      target: { id: target.id, kind: p.kind, name: p.name }, port,
      localHost: LOCAL_HOST, localPort: bound.port, state: 'listening', since: this.deps.now(),
      open: 0, total: 0, bytesIn: 0, bytesOut: 0,
    };
    const f = new Forward(p.endpoint, p.ns, name, server, data, this.deps);
    this.all.set(id, f);
    log(`listening on ${LOCAL_HOST}:${bound.port}${bound.preferredTaken ? ` (local port ${bound.preferredTaken}, so another was taken)` : ''}`);
    if (!(await f.check())) log(`not reachable yet: ${f.data.lastError?.text}; retrying, the port is kept`);
    else log(`reaches pod ${f.data.pod}:${f.data.podPort}`);
    return f.data;
  }

  async stop(id: string): Promise<boolean> {
    const f = this.all.get(id);
    if (!f) return false;
    this.all.delete(id);
    await f.stop();
    return true;
  }

  suspend(): void { for (const f of this.all.values()) f.suspend(); }
  resume(): void { for (const f of this.all.values()) f.resume(); }
  stopAll(): void { for (const id of [...this.all.keys()]) void this.stop(id); }

  /** The open and stop actions, through the one action mechanism (preview, run, verify, audit). */
  action(resource: Resource, actionId: string): ActionDef | undefined {
    if (!resource.actions.some((a) => a.id === actionId)) return undefined;
    const spec = resource.actions.find((a) => a.id === actionId)!;
    if (actionId === STOP_ID) {
      const f = this.all.get(resource.id);
      const where = f ? `${f.data.localHost}:${f.data.localPort}` : resource.name;
      return {
        spec, summary: `Stop port-forward ${where} → ${f ? `${f.data.target.kind} ${f.data.target.name}:${f.data.port}` : resource.name}`,
        steps: [{ endpoint: resource.endpoint, call: `close the local listener ${where} and its connections` }],
        verifyText: `${where} no longer listens`,
        run: async (log) => { if (!(await this.stop(resource.id))) throw new Error('this port-forward is not open in this engine'); log(`${where} closed`); },
        verify: (objects) => !objects.some((o) => o.kind === PORT_FORWARD_KIND),
        verifyTimeoutMs: 5_000,
        auditName: 'kube.port-forward-stop',
      };
    }
    if (!actionId.startsWith(OPEN_PREFIX)) return undefined;
    const port = Number(actionId.slice(OPEN_PREFIX.length));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
    const p = parseResourceId(resource.id)!;
    const kindWord = p.kind === 'service' ? `service ${p.name}` : p.kind === 'pod' ? `pod ${p.name}` : `the first Ready pod of ${p.kind} ${p.name}`;
    let opened: PortForwardData | undefined;
    return {
      spec, summary: `Port-forward ${LOCAL_HOST}:${port} (or a free port) → ${kindWord} port ${port}`,
      steps: [{ endpoint: resource.endpoint, call: `listen on ${LOCAL_HOST}:${port}; each connection: GET /api/v1/namespaces/${p.ns}/pods/<pod>/portforward?ports=<port> (WebSocket v4.channel.k8s.io)` }],
      verifyText: `a local port listens and forwards to ${kindWord}`,
      run: async (log) => { opened = await this.open(resource, port, log); },
      verify: () => opened !== undefined,
      verifyTimeoutMs: 5_000,
      auditName: 'kube.port-forward',
    };
  }
}
