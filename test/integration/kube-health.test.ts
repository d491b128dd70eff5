// The kube rules on the rig's real objects, through the kube plane's list/watch. Run under
// `flock /tmp/ph-scenario.lock`: it applies the crashloop, pvc-pending, wrong-pv-binding and
// main-db-password-regenerated scenarios, each undone in a finally.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { KubePlane } from '../../core/planes/kube/plane';
import { kubeRules } from '../../core/planes/kube/rules';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const skip = existsSync(ADMIN) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;
const EP = 'kube/kwok-pilothouse';
const id = (ns: string, kind: string, name: string) => `${EP}/${ns}/${kind}/${name}`;
const ES_CLAIM = 'elasticsearch-master-elasticsearch-master-0';

const scenario = (name: string, ...undo: string[]) =>
  run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...undo], { cwd: REPO, timeout: 240_000 });

/** Applies a scenario, runs the checks, and undoes it whatever happened. */
async function during(name: string, checks: () => Promise<void>): Promise<void> {
  try {
    await scenario(name);
    await checks();
  } finally {
    await scenario(name, '--undo');
  }
}

describe.skipIf(!!skip)(`kube health rules on the rig's objects${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  const get = (rid: string): Resource | undefined => engine.model.get(rid);
  const texts = (rid: string) => (get(rid)?.reasons ?? []).map((r) => r.text);
  /** Waits until a resource's reasons hold one matching `re`, and returns it. */
  const reasonOf = (rid: string, re: RegExp, ms = 60_000) => until(`${rid}: a reason matching ${re}`, () => get(rid)?.reasons.find((r) => re.test(r.text)), ms)
    .catch((e) => { throw new Error(`${(e as Error).message}; it says: ${JSON.stringify(texts(rid))}`); });

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-kube-health-'));
    const env = { KUBECONFIG: ADMIN, PATH: process.env.PATH, HOME: dir };
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [new KubePlane({ env, home: dir, now: Date.now }, { rules: kubeRules })] });
    await engine.start();
    await until('the extralit deployments', () => get(id('extralit', 'deployment', 'argilla-server')), 60_000);
  });
  afterAll(() => engine?.stop());

  it('the extralit stack as resources: Deployments with their pods, StatefulSets with their pods and claims, the misspelled class explained once', async () => {
    const db = await until('main-db', () => get(id('extralit', 'statefulset', 'main-db'))?.children?.length ? get(id('extralit', 'statefulset', 'main-db')) : undefined);
    expect(db.children).toEqual([id('extralit', 'pod', 'main-db-0'), id('extralit', 'pvc', 'data-main-db-0')]);
    expect(get(id('extralit', 'pod', 'main-db-0'))!.parent).toBe(db.id);
    expect(get(id('extralit', 'secret', 'main-db'))!.runtime).toBe('not_applicable');
    await reasonOf(id('', 'storage', 'storage'), /^storage class "k8s-storage-policy" does not exist, yet \d+ claims ask for it; the cluster has "k8-storage-policy" \(1 letter apart\)/);
    expect(get(id('', 'node', 'kind-control-plane'))!.runtime).toBe('ok');
  });

  it('crashloop: langfuse\'s new pod keeps crashing and the Deployment is red with that reason', async () => {
    await during('crashloop', async () => {
      const r = await reasonOf(id('extralit', 'deployment', 'langfuse'), /^pod langfuse-[a-z0-9]+-[a-z0-9]+: container langfuse keeps crashing \(CrashLoopBackOff\): restarted \d+ times?/);
      expect(r.severity).toBe('error');
      expect(get(id('extralit', 'deployment', 'langfuse'))!.runtime).toBe('error');
      const podId = get(id('extralit', 'deployment', 'langfuse'))!.children!.find((c) => get(c)?.facts.status === 'CrashLoopBackOff');
      expect(podId).toBeDefined();
      expect(get(podId!)!.runtime).toBe('error');
    });
    await until('langfuse healthy again after the undo', () => get(id('extralit', 'deployment', 'langfuse'))?.runtime === 'ok', 60_000);
  });

  it('pvc-pending: redis-data asks for k8s-storage-policy, which does not exist (the near-miss is k8-storage-policy), and no PV is free', async () => {
    await during('pvc-pending', async () => {
      const view = id('', 'storage', 'storage');
      const cls = await reasonOf(view, /^Pending: asks for storage class "k8s-storage-policy", which does not exist; the cluster has "k8-storage-policy" \(1 letter apart\)/);
      expect(cls.ref).toBe(`${EP}/PersistentVolumeClaim/extralit/redis-data`);
      await reasonOf(view, /^Pending: no PersistentVolume fits it: .*elastic-pv \(8Gi\): bound to extralit\/elasticsearch-master-elasticsearch-master-0/);
      const claim = await until('the redis-data claim', () => get(id('extralit', 'pvc', 'redis-data')));
      expect(claim.facts).toMatchObject({ phase: 'Pending', class: 'k8s-storage-policy', requested: '1Gi' });
      await reasonOf(id('extralit', 'deployment', 'redis'), /^pod redis-[a-z0-9]+-[a-z0-9]+: cannot be scheduled: .*unbound immediate PersistentVolumeClaims/);
    });
  });

  it('wrong-pv-binding: data-main-db-0 (8Gi) took elastic-pv, so Elasticsearch\'s claim is Pending; the storage view and both StatefulSets say so', async () => {
    await during('wrong-pv-binding', async () => {
      const view = id('', 'storage', 'storage');
      await reasonOf(view, new RegExp(`^bound to PV elastic-pv \\(8Gi\\), which was meant for claim extralit/${ES_CLAIM} \\(.*\\); that claim is Pending without it`), 90_000);
      await reasonOf(view, /^Pending: PV elastic-pv \(8Gi\), meant for this claim \(.*\), is bound to claim extralit\/data-main-db-0$/);
      await reasonOf(view, /^Pending: no PersistentVolume fits it: postgres-pv \(2Gi\): 2Gi, smaller than the 8Gi asked/);
      const es = await reasonOf(id('extralit', 'statefulset', 'elasticsearch-master'), new RegExp(`^claim ${ES_CLAIM}: Pending: PV elastic-pv \\(8Gi\\), meant for this claim`));
      expect(es.severity).toBe('error');
      await until('elasticsearch-master red', () => get(id('extralit', 'statefulset', 'elasticsearch-master'))?.runtime === 'error');
      await reasonOf(id('extralit', 'statefulset', 'main-db'), new RegExp(`^claim data-main-db-0: bound to PV elastic-pv \\(8Gi\\), which was meant for claim extralit/${ES_CLAIM}`));
    });
  });

  it('main-db-password-regenerated: argilla-server turns red with readiness as the reason', async () => {
    await during('main-db-password-regenerated', async () => {
      const r = await reasonOf(id('extralit', 'deployment', 'argilla-server'), /^pod argilla-server-[a-z0-9]+-[a-z0-9]+: not ready: container argilla-server is running but fails its readiness check/);
      expect(r.severity).toBe('error');
      await until('argilla-server red', () => get(id('extralit', 'deployment', 'argilla-server'))?.runtime === 'error');
    });
    await until('argilla-server healthy again after the undo', () => get(id('extralit', 'deployment', 'argilla-server'))?.runtime === 'ok', 60_000);
  });
});
