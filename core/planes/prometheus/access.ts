import * as net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Resource } from '../../../shared/contract/domain';
import type { PlaneEnv, PlaneSink } from '../plane';
import type { KubePlane } from '../kube/plane';
import { forwardName } from '../kube/port-forward-rules';
import { resourceId as kubeResourceId } from '../kube/rules/ids';
import { sshConnectionsFor } from '../ssh/shared';
import type { HostSettings } from '../ssh/settings';
import { Tunnel } from '../ssh/tunnels';

/**
 * How a Prometheus or Alertmanager that is not directly reachable gets a local URL, reusing what the
 * other planes already do: a port-forward of the kube plane to a Service (a `port-forward` resource
 * there), or a tunnel on an SSH host's shared connection (an `ssh/<host>/tunnel/<name>` resource).
 * Both hold their local port until closed.
 */

export interface Access {
  url: string;
  /** In words, for the endpoint: "Service monitoring/prometheus-server:9090 in kube context rig, port-forwarded". */
  how: string;
  close(): Promise<void>;
}

// ---- Kubernetes ------------------------------------------------------------------------------------

export interface KubeServicePort { name?: string; port: number; protocol?: string }
export interface KubeServiceInfo { endpoint: string; ns: string; name: string; labels: Record<string, string>; ports: KubeServicePort[] }

/** Label selectors a Prometheus (or Alertmanager) Service carries in the common charts. */
export const selectorsFor = (app: 'prometheus' | 'alertmanager') => [`app.kubernetes.io/name=${app}`, `app=${app}`];

/** The port to use: one named web/http, else the default port, else the first TCP port. Pure. */
export function choosePort(ports: readonly KubeServicePort[], defaultPort: number): number | undefined {
  const tcp = ports.filter((p) => !p.protocol || p.protocol === 'TCP');
  return (tcp.find((p) => p.name && /^(http-)?web$|^http$/.test(p.name)) ?? tcp.find((p) => p.port === defaultPort) ?? tcp[0])?.port;
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Services in every namespace of one context matching one label selector (one list call). */
export async function listServices(kube: KubePlane, endpoint: string, selector: string): Promise<KubeServiceInfo[]> {
  const conn = kube.connection(endpoint);
  if (!conn) throw new Error(`kube context ${endpoint} is not loaded`);
  const res = await conn.transport.get(`/api/v1/services?labelSelector=${encodeURIComponent(selector)}`, {
    accept: 'application/json', signal: AbortSignal.timeout(10_000), idleTimeoutMs: 10_000,
  });
  const text = await readBody(res);
  if (res.statusCode !== 200) throw new Error(`listing Services (${selector}) in ${endpoint}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  type Svc = { metadata: { namespace: string; name: string; labels?: Record<string, string> }; spec?: { ports?: KubeServicePort[] } };
  const items = (JSON.parse(text) as { items?: Svc[] }).items ?? [];
  return items.map((s) => ({ endpoint, ns: s.metadata.namespace, name: s.metadata.name, labels: s.metadata.labels ?? {}, ports: s.spec?.ports ?? [] }));
}

/** Every Service labelled as `app` in the connected contexts (both selectors, deduplicated). */
export async function findServices(kube: KubePlane, app: 'prometheus' | 'alertmanager', contexts?: readonly string[]): Promise<{ found: KubeServiceInfo[]; problems: string[]; listed: Set<string> }> {
  const found = new Map<string, KubeServiceInfo>();
  const problems: string[] = [];
  const eps = kube.endpoints().filter((e) => e.state === 'connected' && (!contexts || contexts.includes(e.id)));
  // The contexts where every selector was listed: only there does "not found" mean gone.
  const listed = new Set(eps.map((e) => e.id));
  await Promise.all(eps.flatMap((e) => selectorsFor(app).map(async (sel) => {
    try {
      for (const s of await listServices(kube, e.id, sel)) found.set(`${s.endpoint}/${s.ns}/${s.name}`, s);
    } catch (err) { problems.push((err as Error).message); listed.delete(e.id); }
  })));
  return { found: [...found.values()].sort((a, b) => `${a.endpoint}/${a.ns}/${a.name}`.localeCompare(`${b.endpoint}/${b.ns}/${b.name}`)), problems, listed };
}

/** A port-forward of the kube plane to `service:port` (the kube plane's own resource, kept open). */
export async function kubeForward(kube: KubePlane, endpoint: string, ns: string, service: string, port: number): Promise<Access> {
  if (!kube.connection(endpoint)) throw new Error(`kube context ${endpoint.replace(/^kube\//, '')} is not in the kubeconfig (or not loaded yet)`);
  const svcId = kubeResourceId(endpoint, ns, 'service', service);
  const fwdId = kubeResourceId(endpoint, ns, 'port-forward', forwardName('service', service, port));
  // Only the id is read by the forward (it resolves the Service's Ready pod from the model on each dial).
  const data = await kube.forwards.open({ id: svcId } as Resource, port);
  if (data.state !== 'listening') {
    const why = data.lastError?.text ?? data.state;
    await kube.forwards.stop(fwdId);
    throw new Error(`port-forward to Service ${ns}/${service}:${port} in ${endpoint}: ${why}`);
  }
  return {
    url: `http://${data.localHost}:${data.localPort}`,
    how: `Service ${ns}/${service}:${port} in ${endpoint}, port-forwarded to ${data.localHost}:${data.localPort}`,
    close: async () => { await kube.forwards.stop(fwdId); },
  };
}

// ---- SSH -----------------------------------------------------------------------------------------

/** A free local port now (the tunnel then takes it; another program taking it in between is reported). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

/**
 * A tunnel on the SSH host `alias` (its one shared connection) to `remoteHost:remotePort` as the host
 * sees it, published as the ssh plane's tunnel resource `ssh/<alias>/tunnel/<name>`.
 */
export async function sshTunnel(env: PlaneEnv, sink: PlaneSink, now: () => number, o: { alias: string; name: string; remoteHost: string; remotePort: number; localPort: number }): Promise<Access> {
  const connection = sshConnectionsFor(env).get(o.alias);
  const settings: HostSettings = { alias: o.alias, mounts: [], units: [], docker: false, compose: [], tunnels: [], slurm: false, file: '', line: 0 };
  const localPort = o.localPort || await freePort();
  const tunnel = new Tunnel({ alias: o.alias, endpoint: `ssh/${o.alias}`, connection, settings, sink, now }, { name: o.name, localPort, remoteHost: o.remoteHost, remotePort: o.remotePort });
  await tunnel.open();
  return {
    url: `http://127.0.0.1:${localPort}`,
    how: `ssh ${o.alias} → ${o.remoteHost}:${o.remotePort}, tunnel on 127.0.0.1:${localPort}`,
    close: async () => { await tunnel.stop(); sink.remove(`ssh/${o.alias}/tunnel//${o.name}`); },
  };
}
