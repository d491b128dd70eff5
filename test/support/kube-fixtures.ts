// Kubernetes objects as the API returns them (the fields kubectl -o json shows), trimmed through the
// plane's own trim functions, as the model stores them. Names are the seed stacks' (extralit, seed 000).
import type { ModelObject } from '../../core/model/object';
import { Model } from '../../core/model/store';
import { TRIMMERS, type KubeKind } from '../../core/planes/kube/objects';
import { kubeRules } from '../../core/planes/kube/rules';

export const EP = 'kube/rig-admin';
export const NOW = Date.parse('2026-12-06T12:00:00Z');
export const iso = (msBeforeNow: number) => new Date(NOW - msBeforeNow).toISOString().replace('.000', '');
export const MIN = 60_000;

type Raw = Record<string, any>;

/** A raw API object, trimmed, as a model object of the test context. */
export function obj(kind: KubeKind, raw: Raw): ModelObject {
  const data = TRIMMERS[kind](raw) as { meta: { ns: string; name: string } };
  return { plane: 'kube', endpoint: EP, kind, ns: data.meta.ns, name: data.meta.name, data };
}

let uid = 0;
export const meta = (name: string, ns: string | undefined, extra: Raw = {}): Raw => ({
  name, ...(ns ? { namespace: ns } : {}), uid: `uid-${name}-${++uid}`, resourceVersion: '1', creationTimestamp: iso(60 * MIN),
  managedFields: [{ manager: 'kubectl' }], ...extra,
});
export const owner = (kind: string, name: string) => ({ apiVersion: 'apps/v1', kind, name, uid: `uid-${name}`, controller: true, blockOwnerDeletion: true });

export const running = (startedMsAgo = 30 * MIN) => ({ running: { startedAt: iso(startedMsAgo) } });

export function container(name: string, state: Raw, o: { ready?: boolean; restarts?: number; last?: Raw; image?: string; started?: boolean } = {}): Raw {
  return {
    name, image: o.image ?? `registry.example/${name}:1`, imageID: '', containerID: 'containerd://abc',
    ready: o.ready ?? (!!state.running), started: o.started ?? !!state.running, restartCount: o.restarts ?? 0,
    state, lastState: o.last ?? {},
  };
}

export interface PodOpts {
  ns?: string; labels?: Record<string, string>; owners?: Raw[]; phase?: string; conditions?: Raw[];
  containers?: Raw[]; initContainers?: Raw[]; initStatuses?: Raw[]; deletionTimestamp?: string;
  restartPolicy?: string; reason?: string; message?: string; claims?: string[]; node?: string;
}

/** A pod; its Ready condition follows its containers unless conditions are given. */
export function pod(name: string, o: PodOpts = {}): ModelObject {
  const statuses = o.containers ?? [container(name.split('-')[0], running())];
  const ready = statuses.every((c) => c.ready);
  return obj('Pod', {
    apiVersion: 'v1', kind: 'Pod',
    metadata: meta(name, o.ns ?? 'extralit', { labels: o.labels ?? {}, ownerReferences: o.owners ?? [], ...(o.deletionTimestamp ? { deletionTimestamp: o.deletionTimestamp } : {}) }),
    spec: {
      nodeName: o.node ?? 'kind-control-plane', restartPolicy: o.restartPolicy ?? 'Always',
      containers: statuses.map((c) => ({ name: c.name, image: c.image, env: [{ name: 'SECRET', value: 'not kept' }] })),
      initContainers: (o.initStatuses ?? []).map((c) => ({ name: c.name, image: c.image })),
      volumes: (o.claims ?? []).map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })),
    },
    status: {
      phase: o.phase ?? 'Running', ...(o.reason ? { reason: o.reason } : {}), ...(o.message ? { message: o.message } : {}),
      podIP: '10.244.0.7', startTime: iso(60 * MIN),
      conditions: o.conditions ?? [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: ready ? 'True' : 'False', ...(ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${statuses.filter((c) => !c.ready).map((c) => c.name).join(' ')}]` }) },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses: statuses,
      initContainerStatuses: o.initStatuses ?? [],
    },
  });
}

/** A Deployment's ReplicaSet is `<deployment>-<hash>` and its pods carry the hash. */
export function deploymentPod(deployment: string, hash: string, suffix: string, o: PodOpts = {}): ModelObject {
  return pod(`${deployment}-${hash}-${suffix}`, { ...o, labels: { app: deployment, 'pod-template-hash': hash, ...o.labels }, owners: [owner('ReplicaSet', `${deployment}-${hash}`)] });
}

export function deployment(name: string, o: { replicas?: number; generation?: number; observed?: number; status?: Raw; conditions?: Raw[]; labels?: Record<string, string>; annotations?: Record<string, string>; paused?: boolean } = {}): ModelObject {
  const replicas = o.replicas ?? 1;
  return obj('Deployment', {
    metadata: meta(name, 'extralit', { generation: o.generation ?? 2, labels: o.labels ?? { app: name }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{…}', ...o.annotations } }),
    spec: { replicas, selector: { matchLabels: { app: name } }, strategy: { type: 'RollingUpdate' }, progressDeadlineSeconds: 600, ...(o.paused ? { paused: true } : {}) },
    status: {
      observedGeneration: o.observed ?? o.generation ?? 2, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas,
      conditions: o.conditions ?? [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}-6d9f7c" has successfully progressed.` },
      ],
      ...o.status,
    },
  });
}

export function replicaSet(deploymentName: string, hash: string, o: { replicas?: number; revision?: string } = {}): ModelObject {
  const n = o.replicas ?? 1;
  return obj('ReplicaSet', {
    metadata: meta(`${deploymentName}-${hash}`, 'extralit', { labels: { app: deploymentName, 'pod-template-hash': hash }, annotations: { 'deployment.kubernetes.io/revision': o.revision ?? '1' }, ownerReferences: [owner('Deployment', deploymentName)] }),
    spec: { replicas: n, selector: { matchLabels: { app: deploymentName, 'pod-template-hash': hash } } },
    status: { replicas: n, readyReplicas: n, availableReplicas: n, observedGeneration: 1 },
  });
}

export function statefulSet(name: string, templates: Array<{ name: string; storage: string }>, o: { replicas?: number; ready?: number; labels?: Record<string, string>; status?: Raw } = {}): ModelObject {
  const replicas = o.replicas ?? 1;
  return obj('StatefulSet', {
    metadata: meta(name, 'extralit', { generation: 1, labels: o.labels ?? {} }),
    spec: {
      replicas, serviceName: `${name}-headless`, selector: { matchLabels: { app: name } }, updateStrategy: { type: 'RollingUpdate' },
      volumeClaimTemplates: templates.map((t) => ({ metadata: { name: t.name }, spec: { storageClassName: 'k8s-storage-policy', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: t.storage } } } })),
    },
    status: {
      observedGeneration: 1, replicas, readyReplicas: o.ready ?? replicas, currentReplicas: replicas, updatedReplicas: replicas, availableReplicas: o.ready ?? replicas,
      currentRevision: `${name}-7b9c`, updateRevision: `${name}-7b9c`, ...o.status,
    },
  });
}

export function pvc(name: string, o: { phase?: string; storage?: string; capacity?: string; volume?: string; cls?: string | null; labels?: Record<string, string>; modes?: string[] } = {}): ModelObject {
  return obj('PersistentVolumeClaim', {
    metadata: meta(name, 'extralit', { labels: o.labels ?? {}, annotations: o.volume ? { 'pv.kubernetes.io/bind-completed': 'yes' } : {} }),
    spec: {
      ...(o.cls === null ? {} : { storageClassName: o.cls ?? 'k8s-storage-policy' }),
      accessModes: o.modes ?? ['ReadWriteOnce'], resources: { requests: { storage: o.storage ?? '8Gi' } }, volumeMode: 'Filesystem',
      ...(o.volume ? { volumeName: o.volume } : {}),
    },
    status: { phase: o.phase ?? (o.volume ? 'Bound' : 'Pending'), ...(o.volume ? { capacity: { storage: o.capacity ?? o.storage ?? '8Gi' }, accessModes: ['ReadWriteOnce'] } : {}) },
  });
}

/** A static PV of the storage-policy file: pinned to kind-control-plane, Retain, class k8s-storage-policy. */
export function pv(name: string, o: { storage: string; phase?: string; claim?: string; byController?: boolean; intended?: string; cls?: string; claimUid?: boolean } ): ModelObject {
  return obj('PersistentVolume', {
    metadata: meta(name, undefined, {
      labels: { 'app.kubernetes.io/part-of': 'extralit', ...(o.intended ? { 'rig.pilothouse.dev/intended-claim': o.intended } : {}) },
      annotations: o.byController ? { 'pv.kubernetes.io/bound-by-controller': 'yes' } : {},
    }),
    spec: {
      capacity: { storage: o.storage }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: o.cls ?? 'k8s-storage-policy', hostPath: { path: `/tmp/kind-volumes/${name}` }, volumeMode: 'Filesystem',
      ...(o.claim ? { claimRef: { kind: 'PersistentVolumeClaim', namespace: 'extralit', name: o.claim, ...(o.claimUid === false ? {} : { uid: `uid-claim-${o.claim}` }) } } : {}),
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['kind-control-plane'] }] }] } },
    },
    status: { phase: o.phase ?? (o.claim ? 'Bound' : 'Available') },
  });
}

export function storageClass(name: string, o: { mode?: string; provisioner?: string; isDefault?: boolean } = {}): ModelObject {
  return obj('StorageClass', {
    metadata: meta(name, undefined, o.isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}),
    provisioner: o.provisioner ?? 'rancher.io/local-path', reclaimPolicy: 'Retain', volumeBindingMode: o.mode ?? 'WaitForFirstConsumer',
  });
}

let evn = 0;
export function event(kind: string, name: string, reason: string, message: string, o: { type?: string; count?: number; agoMs?: number; ns?: string; fieldPath?: string } = {}): ModelObject {
  const ns = o.ns ?? (kind === 'Node' || kind === 'PersistentVolume' ? 'default' : 'extralit');
  return obj('Event', {
    metadata: meta(`${name}.${(++evn).toString(16)}`, ns),
    involvedObject: { kind, namespace: kind === 'Node' || kind === 'PersistentVolume' ? '' : ns, name, uid: `uid-${name}`, ...(o.fieldPath ? { fieldPath: o.fieldPath } : {}) },
    reason, message, type: o.type ?? 'Warning', count: o.count ?? 1,
    firstTimestamp: iso((o.agoMs ?? MIN) + 10 * MIN), lastTimestamp: iso(o.agoMs ?? MIN),
    source: { component: 'kubelet' },
  });
}

export function node(name: string, o: { conditions?: Raw[]; unschedulable?: boolean; roles?: string[] } = {}): ModelObject {
  return obj('Node', {
    metadata: meta(name, undefined, { labels: { 'kubernetes.io/hostname': name, ...Object.fromEntries((o.roles ?? []).map((r) => [`node-role.kubernetes.io/${r}`, ''])) } }),
    spec: o.unschedulable ? { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] } : {},
    status: {
      conditions: o.conditions ?? [
        { type: 'MemoryPressure', status: 'False' }, { type: 'DiskPressure', status: 'False' }, { type: 'PIDPressure', status: 'False' },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      capacity: { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      nodeInfo: { kubeletVersion: 'v1.33.13', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.24' },
    },
  });
}

/** A model holding these objects, derived at NOW. */
export function model(objects: ModelObject[], now = NOW): Model {
  const m = new Model({ now: () => now, schedule: () => {} });
  m.registerRules('kube', kubeRules);
  for (const o of objects) m.upsert(o);
  m.flush();
  return m;
}

export const rid = (ns: string, kind: string, name: string) => `${EP}/${ns}/${kind}/${name}`;
export const texts = (r: { reasons: Array<{ text: string }> } | undefined) => (r?.reasons ?? []).map((x) => x.text);
