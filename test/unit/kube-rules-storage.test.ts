import { describe, expect, it } from 'vitest';
import type { ModelObject } from '../../core/model/object';
import { editDistance, misfits, nearMiss } from '../../core/planes/kube/rules/storage';
import type { KubePV, KubePVC } from '../../core/planes/kube/objects';
import { container, event, model, owner, pod, pv, pvc, rid, running, statefulSet, storageClass, texts } from '../support/kube-fixtures';

// The extralit storage of seed 000 as the rig loads it (test/rig/kube/manifests/storage.yaml and
// extralit.yaml): the class is misspelled `k8-storage-policy` while every claim and PV says
// `k8s-storage-policy`; four static PVs, pre-bound to their claims, pinned to kind-control-plane.
const ES_CLAIM = 'elasticsearch-master-elasticsearch-master-0';
const baseline = (): ModelObject[] => [
  storageClass('k8-storage-policy'),
  pv('elastic-pv', { storage: '8Gi', claim: ES_CLAIM, intended: ES_CLAIM }),
  pv('postgres-pv', { storage: '2Gi', claim: 'data-main-db-0', intended: 'data-main-db-0' }),
  pv('minio-pv', { storage: '10Gi', claim: 'minio-pv-claim', intended: 'minio-pv-claim' }),
  pv('weaviate-data-weaviate-0', { storage: '8Gi', claim: 'weaviate-data-weaviate-0', intended: 'weaviate-data-weaviate-0' }),
  pvc(ES_CLAIM, { volume: 'elastic-pv', labels: { app: 'elasticsearch-master' } }),
  pvc('data-main-db-0', { storage: '2Gi', volume: 'postgres-pv', labels: { 'app.kubernetes.io/instance': 'main-db', 'app.kubernetes.io/name': 'postgresql' } }),
  pvc('minio-pv-claim', { storage: '10Gi', volume: 'minio-pv', labels: { app: 'minio' } }),
  pvc('weaviate-data-weaviate-0', { volume: 'weaviate-data-weaviate-0', labels: { app: 'weaviate' } }),
];
const STORAGE = rid('', 'storage', 'storage');

/** The wrong-pv-binding scenario: PVs re-created without claimRef (as the seed's file has them), main-db's claim at the chart's 8Gi. */
function wrongBinding(opts: { intendedLabels: boolean }): ModelObject[] {
  const intended = (name: string) => (opts.intendedLabels ? name : undefined);
  return [
    storageClass('k8-storage-policy'),
    pv('elastic-pv', { storage: '8Gi', claim: 'data-main-db-0', byController: true, intended: intended(ES_CLAIM) }),
    pv('postgres-pv', { storage: '2Gi', intended: intended('data-main-db-0') }),
    pv('minio-pv', { storage: '10Gi', claim: 'minio-pv-claim', intended: intended('minio-pv-claim') }),
    pv('weaviate-data-weaviate-0', { storage: '8Gi', claim: 'weaviate-data-weaviate-0', intended: intended('weaviate-data-weaviate-0') }),
    pvc(ES_CLAIM, { labels: { app: 'elasticsearch-master' } }),
    pvc('data-main-db-0', { storage: '8Gi', volume: 'elastic-pv', labels: { 'app.kubernetes.io/instance': 'main-db', 'app.kubernetes.io/name': 'postgresql' } }),
    pvc('minio-pv-claim', { storage: '10Gi', volume: 'minio-pv', labels: { app: 'minio' } }),
    pvc('weaviate-data-weaviate-0', { volume: 'weaviate-data-weaviate-0', labels: { app: 'weaviate' } }),
    statefulSet('main-db', [{ name: 'data', storage: '8Gi' }], { labels: { 'app.kubernetes.io/instance': 'main-db' } }),
    pod('main-db-0', { owners: [owner('StatefulSet', 'main-db')], containers: [container('postgresql', running())], claims: ['data-main-db-0'] }),
    statefulSet('elasticsearch-master', [{ name: 'elasticsearch-master', storage: '8Gi' }], { ready: 0 }),
    pod('elasticsearch-master-0', {
      owners: [owner('StatefulSet', 'elasticsearch-master')], phase: 'Pending', containers: [], claims: [ES_CLAIM],
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.' }],
    }),
  ];
}

describe('kube storage: names', () => {
  it('a near-miss class name: a letter or two apart, or one name beginning the other', () => {
    expect(editDistance('k8s-storage-policy', 'k8-storage-policy')).toBe(1);
    expect(nearMiss('k8s-storage-policy', ['standard', 'k8-storage-policy'])).toEqual({ name: 'k8-storage-policy', why: '1 letter apart' });
    expect(nearMiss('local', ['local-path'])).toEqual({ name: 'local-path', why: 'one name begins the other' });
    expect(nearMiss('fast-ssd', ['standard', 'local-path'])).toBeUndefined();
  });

  it('the PVs that almost fit a claim and what is wrong with each: size, class, access mode, node, taken', () => {
    const claim = pvc('redis-data', { storage: '4Gi', modes: ['ReadWriteMany'] }).data as KubePVC;
    (claim.meta.annotations as Record<string, string>)['volume.kubernetes.io/selected-node'] = 'kind-worker';
    const small = pv('postgres-pv', { storage: '2Gi' }).data as KubePV;
    expect(misfits(claim, small, undefined)).toEqual([
      '2Gi, smaller than the 4Gi asked',
      'access ReadWriteOnce, not ReadWriteMany',
      'only on nodes where kubernetes.io/hostname In (kind-control-plane), not on kind-worker where its pod runs',
    ]);
    expect(misfits(claim, pv('x', { storage: '8Gi', cls: 'local-path', claim: 'other' }).data as KubePV, undefined).slice(0, 2))
      .toEqual(['bound to extralit/other', 'class "local-path", not "k8s-storage-policy"']);
  });
});

describe('kube storage: the seed\'s incidents', () => {
  it('the healthy baseline: every claim bound to the PV meant for it; the missing class is said once, with its near-miss', () => {
    const m = model(baseline());
    const view = m.get(STORAGE)!;
    expect(view.runtime).toBe('warning');
    expect(texts(view)).toEqual([
      'storage class "k8s-storage-policy" does not exist, yet 4 claims ask for it; the cluster has "k8-storage-policy" (1 letter apart): one of the two names is misspelled. Only static PVs of class "k8s-storage-policy" can satisfy them',
    ]);
    expect(view.facts).toMatchObject({
      'class k8-storage-policy': 'rancher.io/local-path · reclaim Retain · WaitForFirstConsumer',
      'claim extralit/data-main-db-0': 'Bound · asks 2Gi · has 2Gi · class k8s-storage-policy · ReadWriteOnce · PV postgres-pv',
      'pv elastic-pv': `Bound · 8Gi · class k8s-storage-policy · ReadWriteOnce · reclaim Retain · claim extralit/${ES_CLAIM} · node kubernetes.io/hostname In (kind-control-plane) · hostPath /tmp/kind-volumes/elastic-pv`,
    });
    expect(m.get(rid('extralit', 'pvc', 'data-main-db-0'))!.runtime).toBe('not_applicable');
    expect(m.get(rid('', 'pv', 'elastic-pv'))!.runtime).toBe('not_applicable');
  });

  it('pvc-pending: redis-data asks for k8s-storage-policy, which does not exist (near-miss k8-storage-policy), and every PV is taken', () => {
    const m = model([
      ...baseline(),
      pvc('redis-data', { storage: '1Gi', labels: { app: 'redis' } }),
      event('PersistentVolumeClaim', 'redis-data', 'ProvisioningFailed', 'storageclass.storage.k8s.io "k8s-storage-policy" not found', { count: 5 }),
    ]);
    const view = m.get(STORAGE)!;
    expect(view.runtime).toBe('error');
    const all = texts(view);
    expect(all).toContain('Pending: asks for storage class "k8s-storage-policy", which does not exist; the cluster has "k8-storage-policy" (1 letter apart): one of the two names is misspelled. Only a static PV of class "k8s-storage-policy" can satisfy it');
    expect(all).toContain(`Pending: no PersistentVolume fits it: elastic-pv (8Gi): bound to extralit/${ES_CLAIM}. postgres-pv (2Gi): bound to extralit/data-main-db-0. minio-pv (10Gi): bound to extralit/minio-pv-claim. weaviate-data-weaviate-0 (8Gi): bound to extralit/weaviate-data-weaviate-0`);
    expect(view.reasons.filter((r) => r.text.startsWith('Pending')).every((r) => r.ref === 'kube/rig-admin/PersistentVolumeClaim/extralit/redis-data')).toBe(true);

    // The claim's own resource sees no class list: its event says the class is missing.
    const claim = m.get(rid('extralit', 'pvc', 'redis-data'))!;
    expect(claim.runtime).toBe('error');
    expect(texts(claim)[0]).toBe('Pending: asks for storage class "k8s-storage-policy", which does not exist. Only a static PV of class "k8s-storage-policy" can satisfy it');
    expect(claim.facts).toMatchObject({ phase: 'Pending', class: 'k8s-storage-policy', requested: '1Gi' });
  });

  it('wrong-pv-binding: data-main-db-0 (8Gi) took elastic-pv, so Elasticsearch\'s claim stays Pending; both sides say so', () => {
    const m = model(wrongBinding({ intendedLabels: true }));
    const view = texts(m.get(STORAGE)!);
    expect(view).toContain(`Pending: PV elastic-pv (8Gi), meant for this claim (its rig.pilothouse.dev/intended-claim label), is bound to claim extralit/data-main-db-0`);
    expect(view).toContain(`bound to PV elastic-pv (8Gi), which was meant for claim extralit/${ES_CLAIM} (its rig.pilothouse.dev/intended-claim label); that claim is Pending without it. Pre-bind each PV to its claim (spec.claimRef) so the binder cannot swap them`);
    expect(view).toContain('Pending: no PersistentVolume fits it: postgres-pv (2Gi): 2Gi, smaller than the 8Gi asked. minio-pv (10Gi): bound to extralit/minio-pv-claim. weaviate-data-weaviate-0 (8Gi): bound to extralit/weaviate-data-weaviate-0');

    // The StatefulSets carry it too: Elasticsearch red for its claim and its unschedulable pod, main-db warned.
    const es = m.get(rid('extralit', 'statefulset', 'elasticsearch-master'))!;
    expect(es.runtime).toBe('error');
    expect(texts(es)).toContain(`claim ${ES_CLAIM}: Pending: PV elastic-pv (8Gi), meant for this claim (its rig.pilothouse.dev/intended-claim label), is bound to claim extralit/data-main-db-0`);
    expect(texts(es)).toContain('pod elasticsearch-master-0: cannot be scheduled: 0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
    const db = m.get(rid('extralit', 'statefulset', 'main-db'))!;
    expect(db.runtime).toBe('warning');
    expect(texts(db)[0]).toMatch(new RegExp(`^claim data-main-db-0: bound to PV elastic-pv \\(8Gi\\), which was meant for claim extralit/${ES_CLAIM}`));
    expect(m.get(rid('', 'pv', 'elastic-pv'))!.reasons[0].text).toBe(`bound to claim extralit/data-main-db-0, though it was meant for extralit/${ES_CLAIM} (its rig.pilothouse.dev/intended-claim label)`);
  });

  it('wrong-pv-binding as the seed\'s file has it (no labels): the PV\'s name says whom it was for', () => {
    const view = texts(model(wrongBinding({ intendedLabels: false })).get(STORAGE)!);
    expect(view).toContain(`bound to PV elastic-pv (8Gi), which was meant for claim extralit/${ES_CLAIM} (its name "elastic-pv" names elasticsearch); that claim is Pending without it. Pre-bind each PV to its claim (spec.claimRef) so the binder cannot swap them`);
    expect(view).toContain(`Pending: PV elastic-pv (8Gi), meant for this claim (its name "elastic-pv" names elasticsearch), is bound to claim extralit/data-main-db-0`);
  });

  it('a claim bound to a bigger PV that another Pending claim fits exactly', () => {
    const m = model([
      storageClass('k8s-storage-policy', { mode: 'Immediate', provisioner: 'kubernetes.io/no-provisioner' }),
      pv('pv-0003', { storage: '8Gi', claim: 'data-main-db-0', byController: true }),
      pvc('data-main-db-0', { storage: '2Gi', capacity: '8Gi', volume: 'pv-0003' }),
      pvc(ES_CLAIM),
    ]);
    expect(texts(m.get(STORAGE)!)).toContain(`bound to PV pv-0003 (8Gi) though it asked for 2Gi; that PV fits the Pending claim extralit/${ES_CLAIM} exactly`);
  });

  it('a Released PV still holding the claimRef of a deleted claim', () => {
    const released = pv('elastic-pv', { storage: '8Gi', claim: ES_CLAIM, phase: 'Released', intended: ES_CLAIM });
    const m = model([storageClass('k8-storage-policy'), released]);
    const r = m.get(rid('', 'pv', 'elastic-pv'))!;
    expect(r.runtime).toBe('warning');
    expect(texts(r)).toEqual([`Released: still holds the claimRef of extralit/${ES_CLAIM}, a claim that was deleted; its data stays (reclaim policy Retain) and no new claim can bind it until that claimRef is removed`]);
    expect(texts(m.get(STORAGE)!)).toContain(texts(r)[0]);
    // A new claim of that name then says why it cannot have its old volume back.
    const again = model([storageClass('k8-storage-policy'), released, pvc('data-main-db-0', { storage: '2Gi' }), pvc(ES_CLAIM, { labels: { app: 'elasticsearch-master' } })]);
    expect(texts(again.get(STORAGE)!)).toContain('Pending: PV elastic-pv (8Gi), meant for this claim (its rig.pilothouse.dev/intended-claim label), is Released and still holds the claimRef of the deleted claim of the same name; remove that claimRef from the PV so it can bind');
  });

  it('a Lost claim is an error; a claim with a provisioner that is still working is pending', () => {
    expect(texts(model([pvc('data-main-db-0', { phase: 'Lost', volume: 'postgres-pv' })]).get(rid('extralit', 'pvc', 'data-main-db-0'))!))
      .toEqual(['Lost: its PV postgres-pv no longer exists; the data it held may be gone']);
    const m = model([storageClass('local-path', { mode: 'Immediate', isDefault: true }), pvc('redis-data', { cls: null, storage: '1Gi' })]);
    expect(m.get(STORAGE)!.runtime).toBe('pending');
    expect(texts(m.get(STORAGE)!)).toEqual(['waiting for rancher.io/local-path to provision a volume']);
  });
});

describe('kube storage: claims waiting on purpose, and the controller\'s word', () => {
  it('a claim of a WaitForFirstConsumer class with no pod yet is Pending by design: not a problem', () => {
    const m = model([storageClass('local-path', { provisioner: 'rancher.io/local-path' }), pvc('redis-data', { cls: 'local-path', storage: '1Gi' })]);
    const c = m.get(STORAGE)!;
    expect([c.runtime, texts(c)]).toEqual(['ok', ['waits for a pod that uses it before binding (class local-path: WaitForFirstConsumer)']]);
  });

  it('the volume controller\'s last Warning about a Pending claim is quoted', () => {
    const m = model([
      storageClass('local-path', { mode: 'Immediate' }), pvc('redis-data', { cls: 'local-path', storage: '1Gi' }),
      event('PersistentVolumeClaim', 'redis-data', 'ProvisioningFailed', 'failed to provision volume with StorageClass "local-path": no node available', { count: 4 }),
    ]);
    const c = m.get(rid('extralit', 'pvc', 'redis-data'))!;
    expect(c.runtime).toBe('warning');
    expect(texts(c)).toContain('the volume controller says (ProvisioningFailed): failed to provision volume with StorageClass "local-path": no node available');
  });
});

describe('kube storage: re-derived when a PV it needs changes', () => {
  it('the Pending claim\'s StatefulSet turns healthy once the PV meant for it is bound to it', () => {
    const objs = wrongBinding({ intendedLabels: true });
    const m = model(objs);
    expect(m.get(rid('extralit', 'statefulset', 'elasticsearch-master'))!.runtime).toBe('error');
    m.upsert(pv('elastic-pv', { storage: '8Gi', claim: ES_CLAIM, intended: ES_CLAIM }));
    m.upsert(pvc(ES_CLAIM, { volume: 'elastic-pv', labels: { app: 'elasticsearch-master' } }));
    m.upsert(pod('elasticsearch-master-0', { owners: [owner('StatefulSet', 'elasticsearch-master')], containers: [container('elasticsearch', running())] }));
    m.upsert(statefulSet('elasticsearch-master', [{ name: 'elasticsearch-master', storage: '8Gi' }]));
    m.flush();
    expect(texts(m.get(rid('extralit', 'statefulset', 'elasticsearch-master'))!)).toEqual([]);
    expect(m.get(rid('extralit', 'statefulset', 'elasticsearch-master'))!.runtime).toBe('ok');
  });
});

