import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ModelObject } from '../../core/model/object';
import type { KubeEndpointSlice, KubePod, KubeService } from '../../core/planes/kube/objects';
import { declaredPorts, resolvePortTarget, resolveServicePort } from '../../core/planes/kube/pod-target';
import { listenPreferring } from '../../core/planes/kube/port-forward';
import { derivePortForward, forwardName, portForwardSpecs, type PortForwardData } from '../../core/planes/kube/port-forward-rules';

const meta = (name: string) => ({ name, ns: 'extralit', uid: name, resourceVersion: '1', labels: {}, annotations: {}, owners: [] });
const obj = <T>(kind: string, name: string, data: T): ModelObject<T> => ({ plane: 'kube', endpoint: 'kube/c', kind, ns: 'extralit', name, data });

const service = (ports: KubeService['ports'], selector: Record<string, string> | undefined = { app: 'db' }) =>
  obj<KubeService>('Service', 'main-db', { meta: meta('main-db'), type: 'ClusterIP', selector, ports });
const slice = (name: string, endpoints: Array<{ pod: string; ready?: boolean }>, ports: KubeEndpointSlice['ports']) =>
  obj<KubeEndpointSlice>('EndpointSlice', name, {
    meta: meta(name), serviceName: 'main-db', addressType: 'IPv4', ports,
    endpoints: endpoints.map((e) => ({ addresses: ['10.0.0.1'], ready: e.ready, targetRef: { kind: 'Pod', ns: 'extralit', name: e.pod, uid: e.pod } })),
  });

function pod(name: string, ports: number[]): ModelObject<KubePod> {
  return obj<KubePod>('Pod', name, {
    meta: meta(name), phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }],
    containers: [{ name: 'c', image: 'i', ports: ports.map((p) => ({ containerPort: p, protocol: 'TCP', name: `p${p}` })) }],
    initContainers: [], initContainerStatuses: [], claims: [],
    containerStatuses: [{ name: 'c', image: 'i', ready: true, restartCount: 0, state: { kind: 'running' } }],
  });
}

describe('a service port resolved to a Ready pod behind it', () => {
  it("a named targetPort ('tcp-postgresql') through the EndpointSlice's port of the same name", () => {
    const objs = [service([{ name: 'tcp-postgresql', port: 5432, targetPort: 'tcp-postgresql', protocol: 'TCP' }]), slice('s1', [{ pod: 'main-db-0', ready: true }], [{ name: 'tcp-postgresql', port: 15432, protocol: 'TCP' }])];
    expect(resolveServicePort(objs, 5432)).toEqual({ pod: 'main-db-0', ns: 'extralit', port: 15432 });
    expect(resolvePortTarget(objs, 5432)).toEqual({ pod: 'main-db-0', ns: 'extralit', port: 15432 });
  });

  it('skips endpoints that are not ready, picks the first ready pod by name across slices (a replaced pod is found again)', () => {
    const ports = [{ name: 'http', port: 8080, protocol: 'TCP' }];
    const objs = [service([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]), slice('s2', [{ pod: 'web-c', ready: true }], ports), slice('s1', [{ pod: 'web-a', ready: false }, { pod: 'web-b' }], ports)];
    expect(resolveServicePort(objs, 80)).toEqual({ pod: 'web-b', ns: 'extralit', port: 8080 });
  });

  it('says why when there is nothing to forward to', () => {
    const svc = service([{ port: 80, targetPort: '8080', protocol: 'TCP' }]);
    expect(resolveServicePort([svc], 80)).toEqual({ error: 'service main-db has no ready pod behind port 80' });
    expect(resolveServicePort([svc], 81)).toEqual({ error: 'service main-db has no port 81' });
    const bySelectorless = service([{ port: 80, protocol: 'TCP' }]);
    delete bySelectorless.data.selector;
    expect(resolveServicePort([bySelectorless], 80)).toEqual({ error: 'service main-db has no selector: no pod to forward to' });
    expect(resolveServicePort([], 80)).toEqual({ error: 'the service is gone' });
  });

  it("a numeric targetPort when the slice's port has no name", () => {
    const objs = [service([{ port: 80, targetPort: '8080', protocol: 'TCP' }]), slice('s', [{ pod: 'w-0' }], [{ port: 8080, protocol: 'TCP' }])];
    expect(resolveServicePort(objs, 80)).toEqual({ pod: 'w-0', ns: 'extralit', port: 8080 });
  });
});

describe('the forward actions a resource offers', () => {
  it("one per declared TCP port: a service's ports, else its pod's", () => {
    expect(portForwardSpecs('service', [service([{ name: 'tcp-postgresql', port: 5432, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }])]))
      .toEqual([{ id: 'port-forward:5432', label: 'Port-forward 5432 (tcp-postgresql)', destructive: false, confirm: 'none' }]);
    expect(declaredPorts([pod('a', [8502, 8501])]).map((p) => p.port)).toEqual([8501, 8502]);
    expect(portForwardSpecs('deployment', [pod('a', [8501])]).map((s) => s.id)).toEqual(['port-forward:8501']);
    expect(portForwardSpecs('secret', [])).toEqual([]);
    expect(portForwardSpecs('port-forward', []).map((s) => s.id)).toEqual(['port-forward-stop']);
    expect(forwardName('service', 'main-db', 5432)).toBe('service:main-db:5432');
  });
});

describe("a forward's resource in words", () => {
  const base: PortForwardData = {
    target: { id: 'kube/c/extralit/service/main-db', kind: 'service', name: 'main-db' }, port: 5432, localHost: '127.0.0.1', localPort: 15432,
    state: 'listening', since: 0, pod: 'main-db-0', podPort: 5432, open: 1, total: 3, bytesOut: 100, bytesIn: 2048,
  };
  it('listening: where it goes, through what; counters as facts', () => {
    const d = derivePortForward(base);
    expect(d.runtime).toBe('ok');
    expect(d.reasons[0].text).toBe('listening on 127.0.0.1:15432 → pod main-db-0:5432 (via service main-db:5432)');
    expect(d.facts).toMatchObject({ connections: '1 open, 3 since opened', bytes: '100 B sent, 2.0 KiB received', pod: 'main-db-0:5432' });
  });
  it('reconnecting says the last error and that the port is kept', () => {
    const d = derivePortForward({ ...base, state: 'reconnecting', lastError: { text: 'cannot reach https://x: connection refused', at: Date.UTC(2026, 0, 1, 10, 0, 0) } });
    expect(d.runtime).toBe('warning');
    expect(d.reasons[0].text).toBe('127.0.0.1:15432 cannot reach pod main-db-0:5432 (via service main-db:5432): cannot reach https://x: connection refused; retrying, the local port is kept');
    expect(d.facts['last error']).toBe('cannot reach https://x: connection refused (10:00:00 UTC)');
  });
});

describe('the local port', () => {
  it('the same port when free, else any free one, saying why', async () => {
    const holder = net.createServer();
    const taken = await new Promise<number>((r) => holder.listen(0, '127.0.0.1', () => r((holder.address() as net.AddressInfo).port)));
    const s = net.createServer();
    try {
      const got = await listenPreferring(s, taken);
      expect(got.port).not.toBe(taken);
      expect(got.preferredTaken).toBe(`${taken} is in use`);
    } finally { s.close(); }
    await new Promise((r) => holder.close(r));
    const again = net.createServer();
    try { expect(await listenPreferring(again, taken)).toEqual({ port: taken }); } finally { again.close(); }
  });
});
