// Kubernetes actions through the one action mechanism against the rig's control plane. Run under
// `flock /tmp/ph-scenario.lock`: it changes shared objects (cordons a kwok node for a moment, put back in
// a finally) and creates, then deletes, its own namespace pilothouse-itest-actions; the seed's objects
// are only read.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionResult, Resource } from '../../shared/contract/domain';
import type { Client } from '../../shared/contract/client';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { KubeAccess } from '../../core/planes/kube/access';
import type { KubeReplicaSet } from '../../core/planes/kube/objects';
import { KubePlane } from '../../core/planes/kube/plane';
import { parseResourceId } from '../../core/planes/kube/rules/ids';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const READONLY = path.join(REPO, '.rig/kube/kubeconfig-readonly');
const skip = existsSync(ADMIN) && existsSync(READONLY) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;

const EP = 'kube/kwok-pilothouse';
const RO = 'kube/kwok-pilothouse-readonly';
const NS = 'pilothouse-itest-actions';
const NODE = 'kind-worker2';
const SECRET_VALUE = 'itest-s3cr3t-Value-4e1f';
const id = (ep: string, ns: string, kind: string, name: string) => `${ep}/${ns}/${kind}/${name}`;

const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', ADMIN, ...args], { maxBuffer: 32 * 1024 * 1024 })).stdout;
const kubectlJson = async <T>(...args: string[]) => JSON.parse(await kubectl(...args, '-o', 'json')) as T;

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${NS}}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: db, image: "postgres:16"}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: agent, image: "busybox:1.36"}]
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: ${NS}}
stringData: {password: "${SECRET_VALUE}", user: alice}
`;

describe.skipIf(!!skip)(`kube actions against the rig's control plane${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let client: Client;
  let plane: KubePlane;
  let dataDir: string;
  const get = (rid: string): Resource | undefined => engine.model.get(rid);
  const resource = (rid: string) => until(`${rid} in the model`, () => get(rid), 60_000);
  /** The running pods of a label as the server lists them (not yet terminating). */
  const serverPods = async (selector: string) => (await kubectlJson<{ items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> }>('get', 'pods', '-n', NS, '-l', selector))
    .items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name).sort();
  const auditText = () => readFileSync(path.join(dataDir, 'audit.jsonl'), 'utf8');

  /** Preview (with its dry run), run, and check the audit line: the steps every action goes through. */
  async function act(rid: string, action: string, typed?: string): Promise<{ result: ActionResult; dry: string }> {
    const r = await until(`${rid} offering ${action}`, () => get(rid)?.actions.some((a) => a.id === action) && get(rid), 60_000)
      .catch((e) => { throw new Error(`${(e as Error).message}; offered: ${JSON.stringify(get(rid)?.actions)}`); });
    // Through the contract, as the page asks: the dry run and a revealed value survive its schemas.
    const preview = await client.request('action:preview', { resource: r.id, action });
    expect(preview.steps.length).toBeGreaterThan(0);
    expect(preview.dryRun, `${action}: the preview has a dry run`).toBeDefined();
    const result = await client.request('action:run', { resource: r.id, action, confirmed: true, typed });
    expect(result.outcome, `${action}: ${result.message}`).toBe('ok');
    expect(JSON.parse(result.audit)).toMatchObject({ resource: rid, outcome: 'ok', steps: preview.steps });
    return { result, dry: `${preview.dryRun!.outcome}: ${preview.dryRun!.text}` };
  }

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-kube-actions-'));
    dataDir = path.join(dir, 'data');
    await kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=60s');
    const file = path.join(dir, 'manifest.yaml');
    writeFileSync(file, MANIFEST);
    // The default ServiceAccount is made here, not left to the controller-manager: right after an apiserver
    // restart (another test's scenario) it can take minutes to reach a new namespace, and until then every
    // pod of it is refused ("serviceaccount default not found"). It may win the race: AlreadyExists is fine.
    await kubectl('create', 'namespace', NS);
    await kubectl('create', 'serviceaccount', 'default', '-n', NS).catch((e: Error) => { if (!/already ?exists/i.test(e.message)) throw e; });
    await kubectl('apply', '-f', file);
    const env = { KUBECONFIG: [ADMIN, READONLY].join(':'), PATH: process.env.PATH, HOME: dir };
    engine = new Engine({ dataDir, env, home: dir, planes: [(plane = new KubePlane({ env, home: dir, now: Date.now }))] });
    await engine.start();
    client = connectInProcess(engine.handlers());
    await until('web with its 2 pods', () => get(id(EP, NS, 'deployment', 'web'))?.children?.length === 2, 60_000);
  }, 120_000);

  afterAll(async () => {
    engine?.stop();
    // The node goes back whatever happened; the namespace and everything in it go.
    await kubectl('uncordon', NODE).catch(() => undefined);
    await kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=false').catch(() => undefined);
  });

  it('delete a pod: the dry run deletes nothing, the run deletes it, and the Deployment replaces it', async () => {
    const web = id(EP, NS, 'deployment', 'web');
    const victim = (await serverPods('app=web'))[0]!;
    const rid = id(EP, NS, 'pod', victim);
    const r = await resource(rid);
    expect(r.actions.find((a) => a.id === 'delete-pod')).toMatchObject({ confirm: 'type-name', destructive: true });
    const preview = await engine.actions.previewChecked(r, 'delete-pod');
    expect(preview.dryRun).toEqual({ outcome: 'ok', text: `dry run (dryRun=All) accepted: pod ${victim} would be deleted` });
    expect(preview.typeToConfirm).toBe(victim);
    // The dry run kept nothing: the pod is still there, not terminating.
    const still = await kubectlJson<{ metadata: { deletionTimestamp?: string } }>('get', 'pod', '-n', NS, victim);
    expect(still.metadata.deletionTimestamp).toBeUndefined();
    await expect(engine.actions.run(r, 'delete-pod', { confirmed: true, typed: 'wrong' })).rejects.toThrow(`type the resource's name '${victim}'`);
    const { result } = await act(rid, 'delete-pod', victim);
    expect(result.message).toContain(`pod ${victim} with uid`);
    expect(JSON.parse(result.audit).action).toBe('kube.delete-pod');
    const pods = await until('a replacement pod in the Deployment', () => {
      const kids = get(web)?.children ?? [];
      return kids.length === 2 && !kids.includes(rid) ? kids : undefined;
    }, 60_000);
    expect(pods.map((p) => parseResourceId(p)!.name)).not.toContain(victim);
    await expect(kubectl('get', 'pod', '-n', NS, victim)).rejects.toThrow(/NotFound/);
  });

  it('rollout restart, then roll back to the revision before it, as kubectl rollout undo does', async () => {
    const rid = id(EP, NS, 'deployment', 'web');
    const before = await kubectlJson<{ metadata: { generation: number } }>('get', 'deployment', '-n', NS, 'web');
    const restart = await act(rid, 'rollout-restart');
    expect(restart.dry).toBe(`ok: dry run (dryRun=All) accepted: the new template would be generation ${before.metadata.generation + 1} (now ${before.metadata.generation})`);
    const after = await kubectlJson<{ metadata: { generation: number }; spec: { template: { metadata: { annotations?: Record<string, string> } } } }>('get', 'deployment', '-n', NS, 'web');
    // One generation more: the dry run in the preview did not count.
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    expect(after.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(restart.result.audit).toContain('"action":"kube.rollout-restart"');

    // Revision 2 is the restart's ReplicaSet: the rollback goes to revision 1 and makes it revision 3.
    const rs1 = (await kubectlJson<{ items: Array<{ metadata: { name: string; annotations: Record<string, string> } }> }>('get', 'rs', '-n', NS, '-l', 'app=web'))
      .items.find((x) => x.metadata.annotations['deployment.kubernetes.io/revision'] === '1')!.metadata.name;
    await until('the rollback offered', () => get(rid)?.actions.some((a) => a.id === 'rollback' && a.label === 'Roll back to revision 1'), 30_000);
    const undo = await act(rid, 'rollback');
    expect(undo.dry).toMatch(new RegExp(`^ok: dry run \\(dryRun=All\\) accepted: the template of ReplicaSet ${rs1} \\(revision 1\\) would replace the current one \\(revision 2\\)$`));
    const rolled = await kubectlJson<{ spec: { template: { metadata: { annotations?: Record<string, string> } } } }>('get', 'deployment', '-n', NS, 'web');
    expect(rolled.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
    expect((engine.model.object(`${EP}/ReplicaSet/${NS}/${rs1}`)?.data as KubeReplicaSet).revision).toBe('3');
  });

  it('rollout restart a StatefulSet and a DaemonSet: each controller takes the new template', async () => {
    for (const [kind, name] of [['statefulset', 'db'], ['daemonset', 'agent']] as const) {
      const { result, dry } = await act(id(EP, NS, kind, name), 'rollout-restart');
      expect(dry).toMatch(/^ok: dry run \(dryRun=All\) accepted: the new template would be generation 2 \(now 1\)$/);
      expect(result.message).toBe(`Rollout restart done: the ${kind} controller took the new template (observedGeneration reached the patched generation)`);
      const live = await kubectlJson<{ metadata: { generation: number }; status: { observedGeneration: number }; spec: { template: { metadata: { annotations?: Record<string, string> } } } }>('get', kind, '-n', NS, name);
      expect(live.metadata.generation).toBe(2);
      expect(live.status.observedGeneration).toBe(2);
      expect(live.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    }
  });

  it('scale a Deployment up by one and a StatefulSet down by one, each checked by the controller', async () => {
    const web = id(EP, NS, 'deployment', 'web');
    const up = await act(web, 'scale-up');
    expect(up.dry).toBe('ok: dry run (dryRun=All) accepted: spec.replicas would be 3');
    expect((await kubectlJson<{ spec: { replicas: number } }>('get', 'deployment', '-n', NS, 'web')).spec.replicas).toBe(3);
    await until('three pods', () => get(web)?.children?.length === 3, 60_000);

    const db = id(EP, NS, 'statefulset', 'db');
    await until('db offers Scale to 0', () => get(db)?.actions.some((a) => a.id === 'scale-down' && a.label === 'Scale to 0' && a.destructive), 60_000);
    const down = await act(db, 'scale-down');
    expect(down.dry).toBe('ok: dry run (dryRun=All) accepted: spec.replicas would be 0');
    expect((await kubectlJson<{ spec: { replicas: number } }>('get', 'statefulset', '-n', NS, 'db')).spec.replicas).toBe(0);
  });

  it(`cordon and uncordon the kwok node ${NODE}`, async () => {
    const rid = id(EP, '', 'node', NODE);
    try {
      const c = await act(rid, 'cordon');
      expect(c.dry).toBe('ok: dry run (dryRun=All) accepted: spec.unschedulable would be true');
      expect((await kubectlJson<{ spec: { unschedulable?: boolean } }>('get', 'node', NODE)).spec.unschedulable).toBe(true);
      expect(get(rid)!.actions.map((a) => a.id)).toEqual(['uncordon']);
      const u = await act(rid, 'uncordon');
      expect(u.dry).toBe('ok: dry run (dryRun=All) accepted: spec.unschedulable would be false');
      expect((await kubectlJson<{ spec: { unschedulable?: boolean } }>('get', 'node', NODE)).spec.unschedulable).toBeUndefined();
    } finally {
      await kubectl('uncordon', NODE);
    }
  });

  it('reveal a secret key: the value is in this one answer only, never in the model, the step log or the audit', async () => {
    const rid = id(EP, NS, 'secret', 'creds');
    await resource(rid);
    // Key names come when someone looks at the secret (a full view); the list never holds them.
    expect(get(rid)!.actions).toEqual([]);
    const release = engine.watchDetail({ ids: [rid] }, 'full');
    try {
      await until('one reveal per key', () => get(rid)!.actions.map((a) => a.id).join() === 'reveal:password,reveal:user', 30_000);
      const preview = await engine.actions.previewChecked(get(rid)!, 'reveal:password');
      expect(preview.dryRun!.outcome).toBe('unavailable');
      expect(preview.dryRun!.text).toMatch(/^dry run unavailable: reading a secret changes nothing/);
      const { result } = await act(rid, 'reveal:password');
      expect(result.revealed).toEqual({ name: `${NS}/creds[password]`, value: SECRET_VALUE });
      expect(JSON.parse(result.audit)).toMatchObject({ action: 'kube.reveal-secret-key', outcome: 'ok' });
      expect(result.audit).toContain('Reveal key password of secret');
      for (const [where, text] of [['audit line', result.audit], ['audit file', auditText()], ['step log', JSON.stringify(result.log)], ['message', result.message],
        ['resource', JSON.stringify(get(rid))], ['model objects', JSON.stringify(engine.objectsOf(rid))]] as const) {
        expect(text, where).not.toContain(SECRET_VALUE);
      }
    } finally {
      release();
    }
    await until('the access answers leave with the look', () => get(rid)!.actions.length === 0);
  });

  it('the read-only user: delete pod and reveal are unavailable with the access review\'s reason, and the engine refuses them', async () => {
    const pod = id(RO, NS, 'pod', (await serverPods('app=web'))[0]!);
    await resource(pod);
    const release = engine.watchDetail({ ids: [pod] }, 'full');
    try {
      const del = await until('delete pod marked unavailable', () => get(pod)?.actions.find((a) => a.id === 'delete-pod' && a.unavailable), 30_000)
        .catch((e) => { throw new Error(`${(e as Error).message}; ${JSON.stringify(get(pod)?.actions)}; objects: ${JSON.stringify(engine.objectsOf(pod).filter((o) => o.kind !== 'Pod'))}`); });
      expect(del.unavailable).toBe(`user pilothouse-readonly may not delete pods in namespace ${NS} (SelfSubjectAccessReview: no RBAC rule allows it)`);
      await expect(engine.actions.run(get(pod)!, 'delete-pod', { confirmed: true, typed: parseResourceId(pod)!.name }))
        .rejects.toThrow(`'Delete pod' is unavailable: user pilothouse-readonly may not delete pods`);
    } finally {
      release();
    }
    // The read-only user may not list secrets, so it has no secret resource: the review is asked directly.
    const access = new KubeAccess();
    const ctx = { id: RO, transport: plane.connection(RO)!.transport };
    expect(await access.deniedFor(ctx, parseResourceId(id(RO, NS, 'secret', 'creds'))!))
      .toEqual({ reveal: `user pilothouse-readonly may not get secrets in namespace ${NS} (SelfSubjectAccessReview: no RBAC rule allows it)` });
    // The admin may do both: nothing is denied.
    expect(await access.deniedFor({ id: EP, transport: plane.connection(EP)!.transport }, parseResourceId(id(EP, NS, 'secret', 'creds'))!)).toEqual({});
  });
});
