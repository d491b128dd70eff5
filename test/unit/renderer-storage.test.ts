// The storage view's tables and the events timeline, built from resources the real kube rules derive
// (test/support/kube-fixtures): a change of the rules' line format fails here, not on screen.
import { describe, expect, it } from 'vitest';
import type { ModelObject } from '../../core/model/object';
import { parseTimeline } from '../../renderer/src/components/EventsTimeline';
import { buildStorageTables, parsePVLine, rowKeyOfRef, rowResourceId, storageResourceId } from '../../renderer/src/storage/table';
import { event, model, node, pv, pvc, rid, storageClass } from '../support/kube-fixtures';

const ES_CLAIM = 'elasticsearch-master-elasticsearch-master-0';
const STORAGE = rid('', 'storage', 'storage');
const EP = STORAGE.slice(0, STORAGE.indexOf('//'));

/** The pvc-pending scenario: every static PV taken, redis-data asks for the misspelled class too. */
const pvcPending = (): ModelObject[] => [
  storageClass('k8-storage-policy'),
  pv('elastic-pv', { storage: '8Gi', claim: ES_CLAIM, intended: ES_CLAIM }),
  pv('postgres-pv', { storage: '2Gi', claim: 'data-main-db-0', intended: 'data-main-db-0' }),
  pvc(ES_CLAIM, { volume: 'elastic-pv', labels: { app: 'elasticsearch-master' } }),
  pvc('data-main-db-0', { storage: '2Gi', volume: 'postgres-pv' }),
  pvc('redis-data', { storage: '1Gi', labels: { app: 'redis' } }),
];

/** The wrong-pv-binding scenario: main-db's 8Gi claim took elastic-pv, so Elasticsearch's claim waits. */
const wrongBinding = (): ModelObject[] => [
  storageClass('k8-storage-policy'),
  pv('elastic-pv', { storage: '8Gi', claim: 'data-main-db-0', byController: true, intended: ES_CLAIM }),
  pv('postgres-pv', { storage: '2Gi', intended: 'data-main-db-0' }),
  pv('old-pv', { storage: '1Gi', claim: 'gone-claim', phase: 'Released' }),
  pvc(ES_CLAIM, { labels: { app: 'elasticsearch-master' } }),
  pvc('data-main-db-0', { storage: '8Gi', volume: 'elastic-pv' }),
];

const tablesOf = (objects: ModelObject[]) => buildStorageTables(model(objects).get(STORAGE)!);

describe('storage view: the tables from the storage resource', () => {
  it('every claim with phase, size, class and bound PV; every PV with reclaim policy, claimRef, node affinity; every class', () => {
    const t = tablesOf(pvcPending());
    const redis = t.claims.find((c) => c.name === 'redis-data')!;
    expect(redis).toMatchObject({ ns: 'extralit', phase: 'Pending', requested: '1Gi', storageClass: 'k8s-storage-policy', accessModes: 'ReadWriteOnce', classMissing: true });
    expect(redis.volume).toBeUndefined();
    expect(t.claims.find((c) => c.name === 'data-main-db-0')).toMatchObject({ phase: 'Bound', requested: '2Gi', capacity: '2Gi', volume: 'postgres-pv' });
    expect(t.pvs.find((v) => v.name === 'elastic-pv')).toMatchObject({
      phase: 'Bound', capacity: '8Gi', storageClass: 'k8s-storage-policy', accessModes: 'ReadWriteOnce', reclaimPolicy: 'Retain',
      claimRef: `extralit/${ES_CLAIM}`, nodeAffinity: expect.stringContaining('kind-control-plane'), source: expect.stringContaining('/tmp/kind-volumes/elastic-pv'),
    });
    expect(t.classes).toEqual([expect.objectContaining({ name: 'k8-storage-policy', provisioner: 'rancher.io/local-path', reclaimPolicy: 'Retain', bindingMode: 'WaitForFirstConsumer', isDefault: false })]);
    expect(t.truncated).toBeUndefined();
  });

  it('pvc-pending: the Pending claim first, with why beside it; the missing class and its near-miss head the view once', () => {
    const t = tablesOf(pvcPending());
    expect(t.claims[0].name).toBe('redis-data');
    const why = t.claims[0].explanations.map((r) => r.text);
    expect(why[0]).toMatch(/^Pending: asks for storage class "k8s-storage-policy", which does not exist; the cluster has "k8-storage-policy"/);
    expect(why.some((w) => /^Pending: no PersistentVolume fits it: .*elastic-pv \(8Gi\): bound to extralit\//.test(w))).toBe(true);
    expect(t.claims[0].explanations.every((r) => r.severity === 'error' || r.severity === 'warning')).toBe(true);
    expect(t.general.map((r) => r.text)).toEqual([expect.stringMatching(/^storage class "k8s-storage-policy" does not exist, yet 3 claims ask for it; the cluster has "k8-storage-policy"/)]);
    // The bound claims of the missing class are marked, but carry no finding of their own.
    expect(t.claims.filter((c) => c.classMissing).map((c) => c.name).sort()).toEqual(['data-main-db-0', 'elasticsearch-master-elasticsearch-master-0', 'redis-data']);
    expect(t.claims.slice(1).every((c) => c.explanations.length === 0)).toBe(true);
  });

  it('wrong-pv-binding: both claims explained beside their rows, worst first; the Released PV beside its own row', () => {
    const t = tablesOf(wrongBinding());
    expect(t.claims.map((c) => c.name)).toEqual([ES_CLAIM, 'data-main-db-0']);
    const es = t.claims[0].explanations;
    expect(es.find((r) => /^Pending: PV elastic-pv \(8Gi\), meant for this claim \(.*\), is bound to claim extralit\/data-main-db-0$/.test(r.text))?.severity).toBe('error');
    expect(t.claims[1]).toMatchObject({ phase: 'Bound', volume: 'elastic-pv' });
    expect(t.claims[1].explanations.map((r) => r.text)).toEqual([expect.stringMatching(new RegExp(`^bound to PV elastic-pv \\(8Gi\\), which was meant for claim extralit/${ES_CLAIM}`))]);
    expect(t.pvs[0].name).toBe('old-pv');
    expect(t.pvs[0].explanations[0].text).toMatch(/^Released: still holds the claimRef of extralit\/gone-claim/);
    // Rows with nothing to say: problem phases before quiet ones, then by name.
    expect(t.pvs.slice(1).map((v) => v.name)).toEqual(['elastic-pv', 'postgres-pv']);
  });

  it('a finding about an object with no row stays in sight at the top; a capped list says how much is not listed', () => {
    const t = buildStorageTables({
      facts: { 'pv a': 'Available · 1Gi · class none', '…': '12 more objects not listed' },
      reasons: [{ severity: 'warning', text: 'Released: …', ref: `${EP}/PersistentVolume//zz-not-listed` }, { severity: 'info', text: 'and 3 more findings' }],
    });
    expect(t.general.map((r) => r.text)).toEqual(['Released: …', 'and 3 more findings']);
    expect(t.truncated).toBe('12 more objects not listed');
    expect(t.pvs[0]).toMatchObject({ name: 'a', capacity: '1Gi', storageClass: undefined });
  });

  it('a PV line without capacity or tags still reads: the source comes after the class', () => {
    const row = parsePVLine('x', 'Pending · class fast · csi ebs.csi.aws.com');
    expect(row).toMatchObject({ phase: 'Pending', storageClass: 'fast', source: 'csi ebs.csi.aws.com' });
    expect(row.capacity).toBeUndefined();
  });

  it('refs and ids: a context name holding "/" (EKS) is read from the right', () => {
    expect(rowKeyOfRef('kube/arn:aws:eks:eu:1:cluster/prod/PersistentVolumeClaim/ns1/data-0')).toBe('claim ns1/data-0');
    expect(rowKeyOfRef('kube/x/PersistentVolume//pv-1')).toBe('pv pv-1');
    expect(rowKeyOfRef('kube/x/Pod/ns/p')).toBeUndefined();
    expect(storageResourceId(EP)).toBe(STORAGE);
    const t = tablesOf(pvcPending());
    const m = model(pvcPending());
    // The ids the view links to are the resources the rules derive.
    for (const row of [...t.claims, ...t.pvs, ...t.classes]) expect(m.get(rowResourceId(EP, row)), rowResourceId(EP, row)).toBeDefined();
  });
});

describe('events timeline: the events fact read back into its columns', () => {
  it('time, type, reason, count, object and message; newest first as the rules wrote them', () => {
    const m = model([
      pvc('redis-data', { storage: '1Gi' }),
      event('PersistentVolumeClaim', 'redis-data', 'ProvisioningFailed', 'storageclass.storage.k8s.io "k8s-storage-policy" not found', { count: 14, agoMs: 30_000 }),
      event('PersistentVolumeClaim', 'redis-data', 'ExternalProvisioning', 'Waiting for a volume: see: a: b', { type: 'Normal', agoMs: 5 * 60_000 }),
    ]);
    const fact = m.get(rid('extralit', 'pvc', 'redis-data'))!.facts.events;
    const t = parseTimeline(fact);
    expect(t.unread).toEqual([]);
    expect(t.events).toEqual([
      { time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), type: 'Warning', reason: 'ProvisioningFailed', count: 14, object: 'PersistentVolumeClaim/redis-data', message: 'storageclass.storage.k8s.io "k8s-storage-policy" not found' },
      expect.objectContaining({ type: 'Normal', reason: 'ExternalProvisioning', count: 1, message: 'Waiting for a volume: see: a: b' }),
    ]);
  });

  it('a node\'s events read the same way; older events beyond the cap and unreadable lines are kept', () => {
    const m = model([node('kind-worker', { unschedulable: true }), event('Node', 'kind-worker', 'NodeNotSchedulable', 'Node kind-worker status is now: NodeNotSchedulable', { type: 'Normal' })]);
    const n = m.get(rid('', 'node', 'kind-worker'))!;
    expect(n.facts.schedulable).toBe('no (cordoned)');
    expect(parseTimeline(n.facts.events).events[0]).toMatchObject({ reason: 'NodeNotSchedulable', object: 'Node/kind-worker' });
    const t = parseTimeline(' Warning BackOff ×3 Pod/p-1: boom\nsomething else\n… 4 older events');
    expect(t.events[0]).toMatchObject({ time: '', reason: 'BackOff', count: 3, object: 'Pod/p-1', message: 'boom' });
    expect(t.unread).toEqual(['something else']);
    expect(t.older).toBe('4 older events');
  });
});
