import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextTransport } from '../../core/planes/kube/client';
import { ExecCredentials } from '../../core/planes/kube/exec-credential';
import { loadKubeconfig } from '../../core/planes/kube/kubeconfig';
import { trimPod, type KubePod } from '../../core/planes/kube/objects';
import { decodePodListEach, PROTOBUF_CONTENT_TYPE, PROTOBUF_LIST_ACCEPT } from '../../core/planes/kube/proto/pod-list';
import { until } from '../support/wait';

// The plane lists pods in the apiserver's protobuf encoding. Whatever the encoding, the rules must see
// the same pod: every pod of the rig's real apiserver, listed both ways, trims to the same object.
const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const skip = fs.existsSync(ADMIN) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;
const NS = `ph-kube-proto-${process.pid}`;
/** The whole list, as the plane decodes it (pod by pod). */
async function decodePodList(body: Buffer): Promise<{ items: unknown[]; resourceVersion?: string; continue?: string }> {
  const items: unknown[] = [];
  const meta = await decodePodListEach(body, (p) => { items.push(p); });
  return { ...meta, items };
}
const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', ADMIN, ...args], { timeout: 90_000 });

// A pod with every field the trimmed pod keeps: owners, labels, a kept annotation, an init container,
// ports, requests, a claim and a generic ephemeral volume.
const POD = `apiVersion: v1
kind: Pod
metadata:
  name: everything
  namespace: ${NS}
  labels: {app.kubernetes.io/name: everything, app.kubernetes.io/instance: proto}
  annotations: {meta.helm.sh/release-name: proto, kubectl.kubernetes.io/last-applied-configuration: "{}"}
spec:
  restartPolicy: OnFailure
  initContainers:
  - {name: init, image: busybox, command: [sh, -c, "true"]}
  containers:
  - name: main
    image: busybox
    ports: [{name: http, containerPort: 8080}, {containerPort: 53, protocol: UDP}]
    resources: {requests: {cpu: 250m, memory: 64Mi}}
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: everything-data}}
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;

describe.skipIf(!!skip)(`pods listed as protobuf against the rig's apiserver${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let transport: ContextTransport;
  beforeAll(async () => {
    const ctx = loadKubeconfig([ADMIN], 'test', { readFile: (p) => fs.readFileSync(p, 'utf8'), exists: fs.existsSync, KubeConfig }).contexts[0]!;
    expect(ctx.error).toBeUndefined();
    transport = new ContextTransport(ctx, new ExecCredentials({ run: async () => { throw new Error('no plugin'); }, env: async () => ({}), now: Date.now }));
    await kubectl('create', 'namespace', NS);
    const file = path.join(fs.mkdtempSync(path.join(tmpdir(), 'ph-proto-')), 'pod.yaml');
    fs.writeFileSync(file, POD);
    await kubectl('apply', '-f', file);
  }, 120_000);
  afterAll(async () => { await kubectl('delete', 'namespace', NS, '--wait=false').catch(() => undefined); });

  const body = async (res: IncomingMessage) => { const c: Buffer[] = []; for await (const b of res as AsyncIterable<Buffer>) c.push(b); return Buffer.concat(c); };
  const get = (accept: string, query = '') => transport.get(`/api/v1/pods${query}`, { accept, signal: AbortSignal.timeout(30_000), idleTimeoutMs: 30_000 });

  it('every pod trims to the same object from protobuf as from JSON, and the pages chain by the same continue token', async () => {
    // Its claims do not exist, so the scheduler says why it waits: a condition with a message on both sides.
    await until('the scheduler\'s verdict on the pod', async () => /Unschedulable/.test((await kubectl('-n', NS, 'get', 'pod', 'everything', '-o', 'jsonpath={.status.conditions}')).stdout), 60_000);
    const byName = (pods: KubePod[]) => new Map(pods.map((p) => [`${p.meta.ns}/${p.meta.name}`, p]));
    // Both lists are taken a moment apart (other tests' scenarios may be changing pods meanwhile): the pods
    // whose version is the same in both are compared, which must be most of them and the test's own pod
    // (a pair where it changed in between is taken again).
    const pair = async () => {
      const json = JSON.parse((await body(await get('application/json'))).toString('utf8')) as { items: unknown[] };
      const protoRes = await get(PROTOBUF_LIST_ACCEPT);
      expect(protoRes.headers['content-type']).toBe(PROTOBUF_CONTENT_TYPE);
      const fromJson = byName(json.items.map(trimPod));
      const fromProto = byName((await decodePodList(await body(protoRes))).items.map(trimPod));
      const same = [...fromJson.keys()].filter((k) => fromProto.get(k)?.meta.resourceVersion === fromJson.get(k)!.meta.resourceVersion);
      return { fromJson, fromProto, same };
    };
    const { fromJson, fromProto, same } = await until('a pair of lists in which the test pod did not change', async () => {
      const p = await pair();
      return p.same.includes(`${NS}/everything`) ? p : undefined;
    }, 30_000);
    expect(same.length).toBeGreaterThanOrEqual(Math.max(5, Math.floor(Math.min(fromJson.size, fromProto.size) / 2)));
    for (const k of same) expect(fromProto.get(k), k).toEqual(fromJson.get(k));

    const mine = fromProto.get(`${NS}/everything`)!;
    expect(mine.claims).toEqual([{ volume: 'data', claimName: 'everything-data' }, { volume: 'scratch', claimName: 'everything-scratch' }]);
    expect(mine.containers[0]).toMatchObject({ name: 'main', requests: { cpu: '250m', memory: '64Mi' }, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }] });
    expect(mine.initContainers.map((c) => c.name)).toEqual(['init']);
    expect(mine.meta.labels).toMatchObject({ 'app.kubernetes.io/instance': 'proto' });
    expect(mine.meta.annotations).toEqual(fromJson.get(`${NS}/everything`)!.meta.annotations);
    expect(mine.meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The rig's own pods carry owners (ReplicaSets, StatefulSets): the comparison above covered them.
    expect([...fromProto.values()].some((p) => p.meta.owners.some((o) => o.controller))).toBe(true);
    expect([...fromProto.values()].some((p) => p.containerStatuses.length > 0)).toBe(true);

    // Pages: the protobuf list's continue token and version are read like the JSON ones.
    const page1 = await decodePodList(await body(await get(PROTOBUF_LIST_ACCEPT, '?limit=2')));
    expect(page1.items).toHaveLength(2);
    expect(page1.continue).toMatch(/\S/);
    expect(page1.resourceVersion).toMatch(/^\d+$/);
    const page2 = await decodePodList(await body(await get(PROTOBUF_LIST_ACCEPT, `?limit=2&continue=${encodeURIComponent(page1.continue!)}`)));
    expect(page2.items.map((p) => trimPod(p).meta.name)).not.toContain(trimPod(page1.items[0]).meta.name);
  });

  it('a body that is not a protobuf list is refused with words, not half-read', async () => {
    await expect(decodePodList(Buffer.from('{"kind":"PodList"}'))).rejects.toThrow(/without the k8s\\0 prefix/);
    await expect(decodePodList(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x12, 0x50, 0x01]))).rejects.toThrow();
  });
});
