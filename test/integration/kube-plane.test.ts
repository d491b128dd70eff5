// Run under `flock /tmp/ph-scenario.lock`: it applies the rig's api-server-restart scenario (undone in a
// finally) against the rig's control plane (npm run rig -- status kube).
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaneEndpoint } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { KubePlane } from '../../core/planes/kube/plane';
import type { KubePod } from '../../core/planes/kube/objects';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const READONLY = path.join(REPO, '.rig/kube/kubeconfig-readonly');
const skip = existsSync(ADMIN) && existsSync(READONLY) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;

const ADMIN_EP = 'kube/kwok-pilothouse';
const READONLY_EP = 'kube/kwok-pilothouse-readonly';
const DEAD_EP = 'kube/dead';
const EXEC_EP = 'kube/exec-user';

/** The server's pods as kubectl lists them: `ns/name` → resourceVersion. */
async function kubectlPods(): Promise<Map<string, string>> {
  const { stdout } = await run('kubectl', ['--kubeconfig', ADMIN, 'get', 'pods', '-A', '-o', 'json'], { maxBuffer: 64 * 1024 * 1024 });
  const list = JSON.parse(stdout) as { items: Array<{ metadata: { namespace: string; name: string; resourceVersion: string } }> };
  return new Map(list.items.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.metadata.resourceVersion]));
}

/** The engine's pods of a context: `ns/name` → the resourceVersion of the object it stores. */
function modelPods(engine: Engine, endpoint: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of engine.list()) {
    if (r.endpoint !== endpoint || r.kind !== 'pod') continue;
    const ns = r.group.name;
    const obj = engine.model.object(`${endpoint}/Pod/${ns}/${r.name}`);
    out.set(`${ns}/${r.name}`, (obj?.data as KubePod | undefined)?.meta.resourceVersion ?? 'no object');
  }
  return out;
}

const same = (a: Map<string, string>, b: Map<string, string>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
const diff = (model: Map<string, string>, server: Map<string, string>) => ({
  stale: [...model].filter(([k, v]) => server.get(k) !== v).map(([k, v]) => `${k}@${v}`),
  missing: [...server].filter(([k]) => !model.has(k)),
});

describe.skipIf(!!skip)(`the kube plane against the rig's control plane${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let plane: KubePlane;
  let runsFile: string;
  const seen: PlaneEndpoint[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-kube-plane-'));
    // A third kubeconfig file with a context whose server is not there (nothing listens on port 1).
    const dead = path.join(dir, 'dead.yaml');
    writeFileSync(dead, `apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: dead, user: {token: nothing}}]
contexts: [{name: dead, context: {cluster: dead, user: dead}}]
`);
    // A fourth context whose user is an exec plugin, found by its bare name on the plane's PATH (not the
    // test process's), handing out the admin's client certificate; it writes a line per run.
    const admin = parseYaml(readFileSync(ADMIN, 'utf8')) as { clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: Record<string, string> }> };
    const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
    const bin = path.join(dir, 'plugins');
    mkdirSync(bin);
    runsFile = path.join(dir, 'plugin-runs');
    writeFileSync(path.join(dir, 'cred.json'), JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: {
      clientCertificateData: pem(admin.users[0].user['client-certificate-data']), clientKeyData: pem(admin.users[0].user['client-key-data']),
      expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString(),
    } }));
    writeFileSync(path.join(bin, 'ph-test-credential'), '#!/bin/sh\necho "$KUBERNETES_EXEC_INFO" >> "$RUNS"\ncat "$CRED"\n');
    chmodSync(path.join(bin, 'ph-test-credential'), 0o755);
    const execCfg = path.join(dir, 'exec.yaml');
    writeFileSync(execCfg, JSON.stringify({
      apiVersion: 'v1', kind: 'Config',
      clusters: [{ name: 'exec-cluster', cluster: admin.clusters[0].cluster }],
      users: [{ name: 'exec-user', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'ph-test-credential', interactiveMode: 'Never',
        env: [{ name: 'RUNS', value: runsFile }, { name: 'CRED', value: path.join(dir, 'cred.json') }] } } }],
      contexts: [{ name: 'exec-user', context: { cluster: 'exec-cluster', user: 'exec-user' } }],
    }));
    const env = { KUBECONFIG: [ADMIN, READONLY, dead, execCfg].join(':'), PATH: `${bin}:${process.env.PATH}`, HOME: dir };
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [(plane = new KubePlane({ env, home: dir, now: Date.now }))] });
    engine.model.subscribe((c) => { if (c.endpoints) seen.push(...c.endpoints); });
    await engine.start();
  });
  afterAll(() => engine?.stop());

  const ep = (id: string) => engine.endpoints().find((e) => e.id === id);

  it('lists the extralit and pdf-chatbot pods of the admin context, the same as kubectl', async () => {
    await until('the admin context connected', () => ep(ADMIN_EP)?.state === 'connected');
    expect(ep(ADMIN_EP)).toMatchObject({ plane: 'kube', name: 'kwok-pilothouse', target: 'https://127.0.0.1:56443', source: `context kwok-pilothouse in ${ADMIN} (KUBECONFIG)` });
    expect(ep(ADMIN_EP)!.message).toBeUndefined();
    const pods = await until('the pods', () => { const m = modelPods(engine, ADMIN_EP); return m.size ? m : undefined; });
    const names = [...pods.keys()];
    for (const p of ['extralit/main-db-0', 'extralit/elasticsearch-master-0', 'extralit/weaviate-0', 'extralit/minio']) expect(names).toContain(p);
    expect(names.some((n) => n.startsWith('extralit/argilla-server-'))).toBe(true);
    expect(names.some((n) => n.startsWith('pdf-chatbot/'))).toBe(true);
    // The driver patches pod status every 2 s: equal once the watch has caught up with kubectl's list.
    await until('the same pods and versions as kubectl', async () => same(modelPods(engine, ADMIN_EP), await kubectlPods()), 20_000);
  });

  it('the read-only context: secrets say a plain 403, everything else it may list works', async () => {
    await until('the read-only context connected', () => ep(READONLY_EP)?.state === 'connected' && /secrets/.test(ep(READONLY_EP)!.message ?? ''));
    const msg = ep(READONLY_EP)!.message!;
    expect(msg).toContain('secrets: forbidden for user pilothouse-readonly');
    expect(ep(READONLY_EP)!.configError).toBeUndefined();
    const pods = [...modelPods(engine, READONLY_EP).keys()];
    expect(pods).toContain('extralit/main-db-0');
    expect(engine.model.object(`${READONLY_EP}/Deployment/extralit/argilla-server`)).toBeDefined();
    expect(engine.model.object(`${READONLY_EP}/PersistentVolumeClaim/extralit/data-main-db-0`)).toBeDefined();
    // The admin sees the secret's metadata (never its values); the read-only user sees none.
    const secret = engine.model.object(`${ADMIN_EP}/Secret/extralit/main-db`);
    expect(secret).toBeDefined();
    expect(JSON.stringify(secret)).not.toContain('postgres-password');
    expect(engine.model.object(`${READONLY_EP}/Secret/extralit/main-db`)).toBeUndefined();
  });

  it('an exec plugin user: the plugin is found on the PATH and run once for every list and watch of the context', async () => {
    await until('the exec context connected', () => ep(EXEC_EP)?.state === 'connected')
      .catch((e) => { throw new Error(`${(e as Error).message}: ${JSON.stringify(ep(EXEC_EP))}`); });
    await until('its pods', () => modelPods(engine, EXEC_EP).has('extralit/main-db-0'));
    const runs = readFileSync(runsFile, 'utf8').trim().split('\n');
    expect(runs).toHaveLength(1);
    expect(JSON.parse(runs[0])).toEqual({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } });
    expect(plane.connection(EXEC_EP)!.kindStatuses().every((k) => k.status.state === 'watching')).toBe(true);
  });

  it('a context at a dead address says why, while the others work', async () => {
    await until('the dead context given up on for now', () => ep(DEAD_EP)?.state === 'unavailable');
    expect(ep(DEAD_EP)).toMatchObject({
      state: 'unavailable',
      message: 'cannot reach https://127.0.0.1:1: connection refused (is the API server running, the tunnel or VPN up?)',
      hint: 'check with: kubectl --context dead get --raw /version',
    });
    expect(ep(DEAD_EP)!.retryAt).toBeGreaterThan(0);
    expect(ep(ADMIN_EP)!.state).toBe('connected');
    expect(ep(READONLY_EP)!.state).toBe('connected');
  });

  it('a namespace created and deleted under the running watches: its objects come and go, the watches carry on', async () => {
    await until('the admin context connected', () => ep(ADMIN_EP)?.state === 'connected');
    const ns = `ph-kube-plane-${process.pid}`;
    const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', ADMIN, ...args], { timeout: 90_000 });
    const listsBefore = plane.connection(ADMIN_EP)!.kindStatuses().map((k) => k.lists);
    try {
      await kubectl('create', 'namespace', ns);
      await kubectl('-n', ns, 'run', 'probe', '--image=busybox', '--restart=Never');
      await kubectl('-n', ns, 'create', 'service', 'clusterip', 'probe', '--tcp=80:80');
      await until('the new pod and service', () => engine.model.object(`${ADMIN_EP}/Pod/${ns}/probe`) && engine.model.object(`${ADMIN_EP}/Service/${ns}/probe`));
    } finally {
      await kubectl('delete', 'namespace', ns, '--wait=true', '--timeout=80s');
    }
    await until('its pod and service gone', () => !engine.model.object(`${ADMIN_EP}/Pod/${ns}/probe`) && !engine.model.object(`${ADMIN_EP}/Service/${ns}/probe`));
    expect(ep(ADMIN_EP)!.state).toBe('connected');
    // The watches went on: no kind had to list again.
    expect(plane.connection(ADMIN_EP)!.kindStatuses().map((k) => k.lists)).toEqual(listsBefore);
    await until('the same pods and versions as kubectl', async () => same(modelPods(engine, ADMIN_EP), await kubectlPods()), 20_000);
  });

  // What changes while asleep, and that it shows after wake without a re-list: kube-wake.test.ts.
  it('suspend closes every watch and says so; resume goes on from where the watches were, without listing again', async () => {
    await until('the admin context connected', () => ep(ADMIN_EP)?.state === 'connected');
    const lists = () => plane.connection(ADMIN_EP)!.kindStatuses().map((k) => k.lists);
    const before = lists();
    plane.suspend();
    expect(ep(ADMIN_EP)).toMatchObject({ state: 'suspended', message: 'the computer went to sleep: the watches go on from where they were on wake' });
    expect(ep(READONLY_EP)!.state).toBe('suspended');
    plane.resume();
    await until('the admin context connected again', () => ep(ADMIN_EP)?.state === 'connected');
    expect(lists()).toEqual(before);
    await until('the same pods and versions as kubectl', async () => same(modelPods(engine, ADMIN_EP), await kubectlPods()), 20_000);
  });

  it('api-server-restart: the watches recover, and afterwards the pods equal kubectl get pods -A (nothing stale, nothing missing)', async () => {
    await until('the admin context connected', () => ep(ADMIN_EP)?.state === 'connected');
    seen.length = 0;
    const podLists = () => plane.connection(ADMIN_EP)!.kindStatuses().find((k) => k.kind === 'Pod')!.lists;
    const listsBefore = podLists();
    const scenario = (...undo: string[]) => run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', 'api-server-restart', ...undo], { cwd: REPO, timeout: 180_000 });
    try {
      await scenario();
    } finally {
      await scenario('--undo');
    }
    // It noticed the server was gone (the endpoint said so) ...
    expect(seen.some((e) => e.id === ADMIN_EP && e.state === 'unavailable')).toBe(true);
    // ... and came back by itself, listing again where the compaction made its versions expire.
    // Each context probes its server with backoff (at most 15 s apart), then watches every kind again;
    // on a loaded 2-core runner the relists after the compaction take a while.
    const back = (id: string) => until(`${id} connected again`, () => ep(id)?.state === 'connected', 90_000)
      .catch((e) => { throw new Error(`${(e as Error).message}; it says: ${ep(id)?.state}: ${ep(id)?.message}`); });
    await back(ADMIN_EP);
    await back(READONLY_EP);
    // The scenario compacted etcd past every version the watches held: they got 410 Gone and listed again.
    await until('the pods listed again', () => podLists() > listsBefore, 60_000);
    let last = { stale: [] as string[], missing: [] as Array<[string, string]> };
    await until('the same pods and versions as kubectl', async () => {
      const server = await kubectlPods();
      const model = modelPods(engine, ADMIN_EP);
      last = diff(model, server);
      return same(model, server);
    }, 30_000).catch((e) => { throw new Error(`${(e as Error).message}; stale ${last.stale.join(', ')}; missing ${last.missing.map(([k]) => k).join(', ')}`); });
  });
});
