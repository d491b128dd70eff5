import { describe, expect, it } from 'vitest';
import { TRIMMERS, trimEvent, trimPod, trimPV, trimPVC, trimSecret, trimService, trimStatefulSet, type KubeKind } from '../../core/planes/kube/objects';
import { parseQuantity } from '../../core/planes/kube/quantity';

const managed = [{ manager: 'kube-controller-manager', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:phase': {} } } }];
const lastApplied = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"env":[{"name":"PASSWORD","value":"hunter2"}]}]}}';

// Shaped like `kubectl get pod main-db-0 -o json` on the rig (trimmed to what matters here).
const rawPod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name: 'main-db-0', namespace: 'extralit', uid: 'u1', resourceVersion: '298', generation: 1,
    creationTimestamp: '2026-12-06T14:18:07Z',
    labels: { 'app.kubernetes.io/instance': 'main-db', 'app.kubernetes.io/name': 'postgresql', 'statefulset.kubernetes.io/pod-name': 'main-db-0' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied, 'meta.helm.sh/release-name': 'main-db', 'app.kubernetes.io/managed-by': 'Helm', 'checksum/config': 'abc' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'main-db', uid: 'ss1', controller: true, blockOwnerDeletion: true }],
    managedFields: managed,
  },
  spec: {
    nodeName: 'kind-control-plane', restartPolicy: 'Always',
    containers: [{ name: 'postgresql', image: 'bitnami/postgresql:16', env: [{ name: 'POSTGRES_PASSWORD', value: 'hunter2' }], ports: [{ name: 'tcp-postgresql', containerPort: 5432, protocol: 'TCP' }] }],
    initContainers: [{ name: 'init-perms', image: 'busybox' }],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: 'data-main-db-0' } },
      { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
      { name: 'cfg', configMap: { name: 'x' } },
    ],
  },
  status: {
    phase: 'Running', podIP: '10.0.0.1', startTime: '2026-12-06T14:18:07Z',
    conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [postgresql]', lastTransitionTime: '2026-12-06T14:19:00Z' }],
    containerStatuses: [{
      name: 'postgresql', image: 'bitnami/postgresql:16', imageID: 'sha', ready: false, started: true, restartCount: 4,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-12-06T14:18:30Z', finishedAt: '2026-12-06T14:18:50Z' } },
    }],
    initContainerStatuses: [{ name: 'init-perms', image: 'busybox', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
  },
};

describe('trimming what the model stores', () => {
  it('a pod keeps what health needs and nothing of managedFields, env or last-applied-configuration', () => {
    const pod = trimPod(rawPod);
    const text = JSON.stringify(pod);
    expect(text).not.toContain('managedFields');
    expect(text).not.toContain('f:status');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('last-applied');
    expect(pod.meta).toEqual({
      name: 'main-db-0', ns: 'extralit', uid: 'u1', resourceVersion: '298', generation: 1, creationTimestamp: '2026-12-06T14:18:07Z', deletionTimestamp: undefined,
      labels: rawPod.metadata.labels,
      annotations: { 'meta.helm.sh/release-name': 'main-db', 'app.kubernetes.io/managed-by': 'Helm' },
      owners: [{ kind: 'StatefulSet', name: 'main-db', uid: 'ss1', controller: true }],
    });
    expect(pod.containerStatuses[0]).toEqual({
      name: 'postgresql', image: 'bitnami/postgresql:16', ready: false, started: true, restartCount: 4,
      state: { kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' },
      lastState: { kind: 'terminated', reason: 'OOMKilled', exitCode: 137, startedAt: '2026-12-06T14:18:30Z', finishedAt: '2026-12-06T14:18:50Z', message: undefined, signal: undefined },
    });
    expect(pod.initContainerStatuses[0].state).toMatchObject({ kind: 'terminated', reason: 'Completed', exitCode: 0 });
    expect(pod.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'ContainersNotReady' });
    expect(pod.containers).toEqual([{ name: 'postgresql', image: 'bitnami/postgresql:16', ports: [{ name: 'tcp-postgresql', containerPort: 5432, protocol: 'TCP' }] }]);
    // A generic ephemeral volume's claim is named <pod>-<volume>; a configMap is no claim.
    expect(pod.claims).toEqual([{ volume: 'data', claimName: 'data-main-db-0' }, { volume: 'scratch', claimName: 'main-db-0-scratch' }]);
    expect(pod).toMatchObject({ phase: 'Running', nodeName: 'kind-control-plane', podIP: '10.0.0.1' });
  });

  it('no kind keeps managedFields, whatever it is handed', () => {
    for (const [kind, trim] of Object.entries(TRIMMERS) as Array<[KubeKind, (r: unknown) => unknown]>) {
      const out = JSON.stringify(trim({ metadata: { name: 'x', namespace: 'n', managedFields: managed, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } }, spec: {}, status: {} }));
      expect(out, kind).not.toContain('managedFields');
      expect(out, kind).not.toContain('last-applied');
    }
  });

  it('a secret keeps its metadata and never a value, even when handed a full Secret', () => {
    const s = trimSecret({ metadata: { name: 'main-db', namespace: 'extralit', managedFields: managed }, type: 'Opaque', data: { 'postgres-password': 'aHVudGVyMg==' }, stringData: { a: 'hunter2' } });
    expect(JSON.stringify(s)).not.toMatch(/aHVudGVyMg|hunter2|postgres-password/);
    expect(s.meta.name).toBe('main-db');
  });

  it('claims and volumes keep what the storage explanations compare', () => {
    const pvc = trimPVC({
      metadata: { name: 'data-main-db-0', namespace: 'extralit', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } },
      spec: { storageClassName: 'k8s-storage-policy', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } }, volumeName: 'elastic-pv' },
      status: { phase: 'Bound', capacity: { storage: '8Gi' } },
    });
    expect(pvc).toMatchObject({ phase: 'Bound', storageClassName: 'k8s-storage-policy', requested: '8Gi', capacity: '8Gi', accessModes: ['ReadWriteOnce'], volumeName: 'elastic-pv' });
    expect(pvc.meta.annotations).toEqual({ 'pv.kubernetes.io/bind-completed': 'yes' });
    const pv = trimPV({
      metadata: { name: 'elastic-pv', labels: { 'rig.pilothouse.dev/intended-claim': 'elasticsearch-master-elasticsearch-master-0' } },
      spec: {
        capacity: { storage: '8Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'k8s-storage-policy',
        hostPath: { path: '/data/elastic' },
        claimRef: { kind: 'PersistentVolumeClaim', namespace: 'extralit', name: 'data-main-db-0', uid: 'c1' },
        nodeAffinity: { required: { nodeSelectorTerms: [
          { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['kind-control-plane'] }, { key: 'disk', operator: 'Exists' }] },
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
        ] } },
      },
      status: { phase: 'Released' },
    });
    expect(pv).toMatchObject({
      capacity: '8Gi', reclaimPolicy: 'Retain', storageClassName: 'k8s-storage-policy', phase: 'Released', source: 'hostPath /data/elastic',
      claimRef: { ns: 'extralit', name: 'data-main-db-0', uid: 'c1' },
      nodeAffinity: 'kubernetes.io/hostname In (kind-control-plane) and disk Exists or zone In (a, b)',
    });
    const ss = trimStatefulSet({ metadata: { name: 'elasticsearch-master', namespace: 'extralit' }, spec: { replicas: 1, volumeClaimTemplates: [{ metadata: { name: 'elasticsearch-master' }, spec: { storageClassName: 'k8s-storage-policy', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } } }] }, status: {} });
    expect(ss.volumeClaimTemplates).toEqual([{ name: 'elasticsearch-master', storageClassName: 'k8s-storage-policy', requested: '8Gi', accessModes: ['ReadWriteOnce'] }]);
  });

  it("an event's last time is the latest it carries (events.k8s.io series or core lastTimestamp)", () => {
    const ev = trimEvent({
      metadata: { name: 'e1', namespace: 'extralit', creationTimestamp: '2026-12-06T14:00:00Z' },
      involvedObject: { kind: 'Pod', namespace: 'extralit', name: 'argilla-server-abc', uid: 'p1', fieldPath: 'spec.containers{argilla}' },
      type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 500', count: 12,
      firstTimestamp: '2026-12-06T14:00:00Z', lastTimestamp: '2026-12-06T14:05:00Z', series: { count: 14, lastObservedTime: '2026-12-06T14:06:00.123456Z' },
      source: { component: 'kubelet', host: 'kind-worker' },
    });
    expect(ev).toMatchObject({
      involved: { kind: 'Pod', ns: 'extralit', name: 'argilla-server-abc', uid: 'p1', fieldPath: 'spec.containers{argilla}' },
      type: 'Warning', reason: 'Unhealthy', count: 12, lastTime: '2026-12-06T14:06:00.123456Z', firstTime: '2026-12-06T14:00:00Z', source: 'kubelet',
    });
  });

  it('fields of the wrong type become absent, never a crash', () => {
    const pod = trimPod({ metadata: { name: 5, labels: 'x', ownerReferences: {} }, spec: { volumes: 'no' }, status: { containerStatuses: [null, 3], conditions: {} } });
    expect(pod.meta).toMatchObject({ name: '', labels: {}, owners: [] });
    expect(pod.containerStatuses.map((c) => c.state.kind)).toEqual(['unknown', 'unknown']);
    expect(trimService(null).ports).toEqual([]);
    expect(trimService({ spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }] } }).ports.map((p) => p.targetPort)).toEqual(['http', '8081']);
  });
});

describe('quantities', () => {
  it('reads binary and decimal suffixes, so 8Gi equals 8192Mi', () => {
    expect(parseQuantity('8Gi')).toBe(parseQuantity('8192Mi'));
    expect(parseQuantity('2Gi')).toBe(2 * 2 ** 30);
    expect(parseQuantity('500M')).toBe(5e8);
    expect(parseQuantity('250m')).toBe(0.25);
    expect(parseQuantity('1.5e3')).toBe(1500);
    expect(parseQuantity('10')).toBe(10);
  });
  it('a malformed quantity is undefined, not a guess', () => {
    expect(parseQuantity('8 gigs')).toBeUndefined();
    expect(parseQuantity('Gi')).toBeUndefined();
    expect(parseQuantity(undefined)).toBeUndefined();
  });
});
