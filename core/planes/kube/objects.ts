/**
 * What the model keeps of each Kubernetes object: the metadata that groups objects into resources and,
 * per kind, only the spec/status fields that health and storage rules read. Everything else (managedFields,
 * last-applied-configuration, pod specs' env and probes, secret values) is dropped the moment a list page
 * or watch event is parsed, so 50,000 pods stay small.
 *
 * CONTRACT: core/planes/kube/rules/* is written against these shapes. Add fields freely; rename or remove
 * one only together with the rules' author (leave a comment here saying what changed and why).
 *
 * Quantities (sizes, cpu) stay the API's strings ("8Gi"); core/planes/kube/quantity.ts reads them.
 * Times stay RFC 3339 strings as the API sends them.
 */

import { trimHpaMetrics, type HpaMetric } from './hpa-objects';

/** The Kind names as the API spells them; also the ModelObject `kind` of a kube object. */
export type KubeKind =
  | 'Pod' | 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | 'CronJob'
  | 'Service' | 'EndpointSlice' | 'PersistentVolumeClaim' | 'PersistentVolume' | 'StorageClass'
  | 'Node' | 'Event' | 'HorizontalPodAutoscaler' | 'Secret';

export interface OwnerRef { kind: string; name: string; uid: string; controller: boolean }

export interface KubeMeta {
  name: string;
  /** '' for cluster-scoped objects (PVs, storage classes, nodes). */
  ns: string;
  uid: string;
  resourceVersion: string;
  /** metadata.generation, compared with status.observedGeneration for rollouts. */
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels: Record<string, string>;
  /** Only KEPT_ANNOTATIONS and app.kubernetes.io/* (never last-applied-configuration). */
  annotations: Record<string, string>;
  owners: OwnerRef[];
}

export interface Condition {
  type: string;
  /** 'True' | 'False' | 'Unknown' as the API sends it. */
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: Array<{ key: string; operator: string; values: string[] }>;
}

// --- Pods -------------------------------------------------------------------------------------------

export interface ContainerState {
  kind: 'waiting' | 'running' | 'terminated' | 'unknown';
  /** CrashLoopBackOff, ErrImagePull, OOMKilled, Error, Completed ... */
  reason?: string;
  message?: string;
  exitCode?: number;
  signal?: number;
  startedAt?: string;
  finishedAt?: string;
}

export interface ContainerStatus {
  name: string;
  image: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: ContainerState;
  /** The previous run (why it last ended); undefined when it never restarted. */
  lastState?: ContainerState;
}

export interface ContainerSpec {
  name: string;
  image: string;
  ports: Array<{ name?: string; containerPort: number; protocol: string }>;
  /** resources.requests cpu/memory: what usage is a percentage of (metrics.ts, an HPA's utilization). */
  requests?: { cpu?: string; memory?: string };
}

export interface KubePod {
  meta: KubeMeta;
  /** Pending | Running | Succeeded | Failed | Unknown */
  phase: string;
  /** Pod-level reason/message (Evicted, NodeLost ...). */
  reason?: string;
  message?: string;
  nodeName?: string;
  podIP?: string;
  startTime?: string;
  restartPolicy?: string;
  conditions: Condition[];
  containers: ContainerSpec[];
  initContainers: ContainerSpec[];
  containerStatuses: ContainerStatus[];
  initContainerStatuses: ContainerStatus[];
  /** The claims the pod mounts: persistentVolumeClaim volumes, and generic ephemeral volumes (`<pod>-<volume>`). */
  claims: Array<{ volume: string; claimName: string }>;
}

// --- Workloads --------------------------------------------------------------------------------------

export interface KubeDeployment {
  meta: KubeMeta;
  replicas: number;
  selector: LabelSelector;
  paused: boolean;
  strategy?: string;
  progressDeadlineSeconds?: number;
  status: {
    observedGeneration?: number;
    replicas: number;
    updatedReplicas: number;
    readyReplicas: number;
    availableReplicas: number;
    unavailableReplicas: number;
    /** Available, Progressing (reason ProgressDeadlineExceeded when stuck), ReplicaFailure. */
    conditions: Condition[];
  };
}

export interface ClaimTemplate { name: string; storageClassName?: string; requested?: string; accessModes: string[] }

export interface KubeStatefulSet {
  meta: KubeMeta;
  replicas: number;
  selector: LabelSelector;
  serviceName?: string;
  updateStrategy?: string;
  /** Claims are named `<template>-<statefulset>-<ordinal>`. */
  volumeClaimTemplates: ClaimTemplate[];
  status: {
    observedGeneration?: number;
    replicas: number;
    readyReplicas: number;
    currentReplicas: number;
    updatedReplicas: number;
    availableReplicas: number;
    currentRevision?: string;
    updateRevision?: string;
    conditions: Condition[];
  };
}

export interface KubeDaemonSet {
  meta: KubeMeta;
  selector: LabelSelector;
  status: {
    observedGeneration?: number;
    desiredNumberScheduled: number;
    currentNumberScheduled: number;
    updatedNumberScheduled: number;
    numberReady: number;
    numberAvailable: number;
    numberUnavailable: number;
    numberMisscheduled: number;
    conditions: Condition[];
  };
}

export interface KubeReplicaSet {
  meta: KubeMeta;
  replicas: number;
  selector: LabelSelector;
  /** deployment.kubernetes.io/revision, for rollbacks. */
  revision?: string;
  status: { observedGeneration?: number; replicas: number; readyReplicas: number; availableReplicas: number; conditions: Condition[] };
}

export interface KubeJob {
  meta: KubeMeta;
  completions?: number;
  parallelism?: number;
  backoffLimit?: number;
  suspend: boolean;
  status: {
    active: number;
    succeeded: number;
    failed: number;
    startTime?: string;
    completionTime?: string;
    /** Complete, Failed (reason BackoffLimitExceeded, DeadlineExceeded), Suspended. */
    conditions: Condition[];
  };
}

export interface KubeCronJob {
  meta: KubeMeta;
  schedule: string;
  suspend: boolean;
  status: { lastScheduleTime?: string; lastSuccessfulTime?: string; active: string[] };
}

// --- Network ----------------------------------------------------------------------------------------

export interface KubeService {
  meta: KubeMeta;
  type: string;
  clusterIP?: string;
  /** undefined: a Service without selector (its endpoints are managed by hand). */
  selector?: Record<string, string>;
  ports: Array<{ name?: string; port: number; targetPort?: string; protocol: string; nodePort?: number }>;
}

export interface KubeEndpointSlice {
  meta: KubeMeta;
  /** The kubernetes.io/service-name label: the Service this slice belongs to. */
  serviceName?: string;
  addressType: string;
  endpoints: Array<{
    addresses: string[];
    ready?: boolean;
    serving?: boolean;
    terminating?: boolean;
    nodeName?: string;
    targetRef?: { kind: string; ns: string; name: string; uid: string };
  }>;
  ports: Array<{ name?: string; port?: number; protocol: string }>;
}

// --- Storage ----------------------------------------------------------------------------------------

export interface KubePVC {
  meta: KubeMeta;
  /** Pending | Bound | Lost */
  phase: string;
  /** undefined: none set (the default class applies); '' : explicitly no class. */
  storageClassName?: string;
  /** spec.resources.requests.storage */
  requested?: string;
  /** status.capacity.storage once bound */
  capacity?: string;
  accessModes: string[];
  volumeName?: string;
  volumeMode?: string;
  /** spec.selector: a claim that only binds PVs with these labels. */
  selector?: LabelSelector;
  conditions: Condition[];
}

export interface KubePV {
  meta: KubeMeta;
  capacity?: string;
  accessModes: string[];
  /** Retain | Delete | Recycle */
  reclaimPolicy?: string;
  storageClassName?: string;
  volumeMode?: string;
  /** The claim the PV is bound or reserved to: who it was meant for. */
  claimRef?: { ns: string; name: string; uid?: string };
  /** spec.nodeAffinity as text: `kubernetes.io/hostname In (kind-control-plane)`, terms joined by ` or `. */
  nodeAffinity?: string;
  /** The volume's source in a few words: `hostPath /data/es`, `local /mnt/disk1`, `csi driver.example`. */
  source?: string;
  /** Available | Bound | Released | Failed | Pending */
  phase: string;
  reason?: string;
  message?: string;
}

export interface KubeStorageClass {
  meta: KubeMeta;
  provisioner: string;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  allowVolumeExpansion: boolean;
  /** storageclass.kubernetes.io/is-default-class = "true" */
  isDefault: boolean;
}

// --- Cluster ----------------------------------------------------------------------------------------

export interface KubeNode {
  meta: KubeMeta;
  unschedulable: boolean;
  taints: Array<{ key: string; value?: string; effect: string }>;
  /** Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable. */
  conditions: Condition[];
  addresses: Array<{ type: string; address: string }>;
  capacity: { cpu?: string; memory?: string; pods?: string; storage?: string };
  allocatable: { cpu?: string; memory?: string; pods?: string; storage?: string };
  kubeletVersion?: string;
  osImage?: string;
  containerRuntime?: string;
}

export interface KubeEvent {
  meta: KubeMeta;
  involved: { kind: string; ns: string; name: string; uid?: string; fieldPath?: string };
  /** Normal | Warning */
  type: string;
  reason: string;
  message: string;
  count: number;
  /** The latest of lastTimestamp, series.lastObservedTime, eventTime, firstTimestamp, creation. */
  lastTime?: string;
  firstTime?: string;
  /** kubelet, default-scheduler, persistentvolume-controller ... */
  source?: string;
}

export interface KubeHPA {
  meta: KubeMeta;
  target: { kind: string; name: string };
  minReplicas?: number;
  maxReplicas: number;
  currentReplicas?: number;
  desiredReplicas?: number;
  lastScaleTime?: string;
  /** AbleToScale, ScalingActive, ScalingLimited. */
  conditions: Condition[];
  /** spec.metrics with status.currentMetrics matched to them (rules/hpa.ts). */
  metrics?: HpaMetric[];
}

/** Metadata only: values are fetched one key at a time when the operator reveals one (audited). */
export interface KubeSecret { meta: KubeMeta }

export interface KubeObjectByKind {
  Pod: KubePod; Deployment: KubeDeployment; StatefulSet: KubeStatefulSet; DaemonSet: KubeDaemonSet;
  ReplicaSet: KubeReplicaSet; Job: KubeJob; CronJob: KubeCronJob; Service: KubeService;
  EndpointSlice: KubeEndpointSlice; PersistentVolumeClaim: KubePVC; PersistentVolume: KubePV;
  StorageClass: KubeStorageClass; Node: KubeNode; Event: KubeEvent; HorizontalPodAutoscaler: KubeHPA;
  Secret: KubeSecret;
}

// --- Trimming ---------------------------------------------------------------------------------------
// The raw JSON comes from a server; every read is checked so a field of the wrong type becomes
// "absent", never a crash in the list loop or a poisoned model.

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const int = (v: unknown): number => num(v) ?? 0;
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out[k] = x;
  return out;
};
const strList = (v: unknown): string[] => arr(v).filter((x): x is string => typeof x === 'string');
/** intstr: targetPort may be 8080 or "http". */
const intOrString = (v: unknown): string | undefined => (typeof v === 'number' ? String(v) : str(v));

/** Annotations the rules read; everything else (notably last-applied-configuration) is dropped. */
export const KEPT_ANNOTATIONS: ReadonlySet<string> = new Set([
  'meta.helm.sh/release-name',
  'meta.helm.sh/release-namespace',
  'deployment.kubernetes.io/revision',
  'storageclass.kubernetes.io/is-default-class',
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'pv.kubernetes.io/provisioned-by',
  'volume.kubernetes.io/selected-node',
  'volume.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-provisioner',
  'kubectl.kubernetes.io/restartedAt',
  'kubectl.kubernetes.io/default-container',
  'helm.sh/resource-policy',
]);
const keepAnnotation = (k: string) => KEPT_ANNOTATIONS.has(k) || k.startsWith('app.kubernetes.io/');

export function trimMeta(rawMeta: unknown): KubeMeta {
  const m = obj(rawMeta);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(m.annotations))) if (typeof v === 'string' && keepAnnotation(k)) annotations[k] = v;
  return {
    name: str(m.name) ?? '',
    ns: str(m.namespace) ?? '',
    uid: str(m.uid) ?? '',
    resourceVersion: str(m.resourceVersion) ?? '',
    generation: num(m.generation),
    creationTimestamp: str(m.creationTimestamp),
    deletionTimestamp: str(m.deletionTimestamp),
    labels: strMap(m.labels),
    annotations,
    owners: arr(m.ownerReferences).map((r) => {
      const o = obj(r);
      return { kind: str(o.kind) ?? '', name: str(o.name) ?? '', uid: str(o.uid) ?? '', controller: o.controller === true };
    }),
  };
}

function trimConditions(v: unknown): Condition[] {
  return arr(v).map((c) => {
    const o = obj(c);
    return { type: str(o.type) ?? '', status: str(o.status) ?? 'Unknown', reason: str(o.reason), message: str(o.message), lastTransitionTime: str(o.lastTransitionTime) };
  });
}

function trimSelector(v: unknown): LabelSelector {
  const s = obj(v);
  return {
    matchLabels: strMap(s.matchLabels),
    matchExpressions: arr(s.matchExpressions).map((e) => {
      const o = obj(e);
      return { key: str(o.key) ?? '', operator: str(o.operator) ?? '', values: strList(o.values) };
    }),
  };
}

function trimState(v: unknown): ContainerState | undefined {
  const s = obj(v);
  if (s.waiting) { const w = obj(s.waiting); return { kind: 'waiting', reason: str(w.reason), message: str(w.message) }; }
  if (s.running) { const r = obj(s.running); return { kind: 'running', startedAt: str(r.startedAt) }; }
  if (s.terminated) {
    const t = obj(s.terminated);
    return { kind: 'terminated', reason: str(t.reason), message: str(t.message), exitCode: num(t.exitCode), signal: num(t.signal), startedAt: str(t.startedAt), finishedAt: str(t.finishedAt) };
  }
  return undefined;
}

function trimContainerStatuses(v: unknown): ContainerStatus[] {
  return arr(v).map((c) => {
    const o = obj(c);
    return {
      name: str(o.name) ?? '',
      image: str(o.image) ?? '',
      ready: o.ready === true,
      started: typeof o.started === 'boolean' ? o.started : undefined,
      restartCount: int(o.restartCount),
      state: trimState(o.state) ?? { kind: 'unknown' },
      lastState: trimState(o.lastState),
    };
  });
}

function trimContainerSpecs(v: unknown): ContainerSpec[] {
  return arr(v).map((c) => {
    const o = obj(c);
    return {
      name: str(o.name) ?? '',
      image: str(o.image) ?? '',
      ports: arr(o.ports).map((p) => {
        const q = obj(p);
        return { name: str(q.name), containerPort: int(q.containerPort), protocol: str(q.protocol) ?? 'TCP' };
      }),
      ...trimRequests(obj(o.resources).requests),
    };
  });
}

function trimRequests(v: unknown): { requests?: ContainerSpec['requests'] } {
  const r = obj(v), cpu = intOrString(r.cpu), memory = intOrString(r.memory);
  return cpu || memory ? { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } : {};
}

export function trimPod(raw: unknown): KubePod {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status);
  const meta = trimMeta(r.metadata);
  const claims: KubePod['claims'] = [];
  for (const v of arr(spec.volumes)) {
    const o = obj(v), volume = str(o.name) ?? '';
    const claimName = str(obj(o.persistentVolumeClaim).claimName);
    if (claimName) claims.push({ volume, claimName });
    // A generic ephemeral volume's claim is named by the pod and volume (the ephemeral-volume controller's rule).
    else if (o.ephemeral) claims.push({ volume, claimName: `${meta.name}-${volume}` });
  }
  return {
    meta,
    phase: str(st.phase) ?? 'Unknown',
    reason: str(st.reason),
    message: str(st.message),
    nodeName: str(spec.nodeName),
    podIP: str(st.podIP),
    startTime: str(st.startTime),
    restartPolicy: str(spec.restartPolicy),
    conditions: trimConditions(st.conditions),
    containers: trimContainerSpecs(spec.containers),
    initContainers: trimContainerSpecs(spec.initContainers),
    containerStatuses: trimContainerStatuses(st.containerStatuses),
    initContainerStatuses: trimContainerStatuses(st.initContainerStatuses),
    claims,
  };
}

export function trimDeployment(raw: unknown): KubeDeployment {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status);
  return {
    meta: trimMeta(r.metadata),
    replicas: num(spec.replicas) ?? 1,
    selector: trimSelector(spec.selector),
    paused: spec.paused === true,
    strategy: str(obj(spec.strategy).type),
    progressDeadlineSeconds: num(spec.progressDeadlineSeconds),
    status: {
      observedGeneration: num(st.observedGeneration),
      replicas: int(st.replicas),
      updatedReplicas: int(st.updatedReplicas),
      readyReplicas: int(st.readyReplicas),
      availableReplicas: int(st.availableReplicas),
      unavailableReplicas: int(st.unavailableReplicas),
      conditions: trimConditions(st.conditions),
    },
  };
}

function trimClaimTemplate(v: unknown): ClaimTemplate {
  const o = obj(v), spec = obj(o.spec);
  return {
    name: str(obj(o.metadata).name) ?? '',
    storageClassName: str(spec.storageClassName),
    requested: intOrString(obj(obj(spec.resources).requests).storage),
    accessModes: strList(spec.accessModes),
  };
}

export function trimStatefulSet(raw: unknown): KubeStatefulSet {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status);
  return {
    meta: trimMeta(r.metadata),
    replicas: num(spec.replicas) ?? 1,
    selector: trimSelector(spec.selector),
    serviceName: str(spec.serviceName),
    updateStrategy: str(obj(spec.updateStrategy).type),
    volumeClaimTemplates: arr(spec.volumeClaimTemplates).map(trimClaimTemplate),
    status: {
      observedGeneration: num(st.observedGeneration),
      replicas: int(st.replicas),
      readyReplicas: int(st.readyReplicas),
      currentReplicas: int(st.currentReplicas),
      updatedReplicas: int(st.updatedReplicas),
      availableReplicas: int(st.availableReplicas),
      currentRevision: str(st.currentRevision),
      updateRevision: str(st.updateRevision),
      conditions: trimConditions(st.conditions),
    },
  };
}

export function trimDaemonSet(raw: unknown): KubeDaemonSet {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status);
  return {
    meta: trimMeta(r.metadata),
    selector: trimSelector(spec.selector),
    status: {
      observedGeneration: num(st.observedGeneration),
      desiredNumberScheduled: int(st.desiredNumberScheduled),
      currentNumberScheduled: int(st.currentNumberScheduled),
      updatedNumberScheduled: int(st.updatedNumberScheduled),
      numberReady: int(st.numberReady),
      numberAvailable: int(st.numberAvailable),
      numberUnavailable: int(st.numberUnavailable),
      numberMisscheduled: int(st.numberMisscheduled),
      conditions: trimConditions(st.conditions),
    },
  };
}

export function trimReplicaSet(raw: unknown): KubeReplicaSet {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status);
  const meta = trimMeta(r.metadata);
  return {
    meta,
    replicas: num(spec.replicas) ?? 1,
    selector: trimSelector(spec.selector),
    revision: meta.annotations['deployment.kubernetes.io/revision'],
    status: {
      observedGeneration: num(st.observedGeneration),
      replicas: int(st.replicas),
      readyReplicas: int(st.readyReplicas),
      availableReplicas: int(st.availableReplicas),
      conditions: trimConditions(st.conditions),
    },
  };
}

export function trimJob(raw: unknown): KubeJob {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status);
  return {
    meta: trimMeta(r.metadata),
    completions: num(spec.completions),
    parallelism: num(spec.parallelism),
    backoffLimit: num(spec.backoffLimit),
    suspend: spec.suspend === true,
    status: {
      active: int(st.active),
      succeeded: int(st.succeeded),
      failed: int(st.failed),
      startTime: str(st.startTime),
      completionTime: str(st.completionTime),
      conditions: trimConditions(st.conditions),
    },
  };
}

export function trimCronJob(raw: unknown): KubeCronJob {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status);
  return {
    meta: trimMeta(r.metadata),
    schedule: str(spec.schedule) ?? '',
    suspend: spec.suspend === true,
    status: {
      lastScheduleTime: str(st.lastScheduleTime),
      lastSuccessfulTime: str(st.lastSuccessfulTime),
      active: arr(st.active).map((a) => str(obj(a).name) ?? '').filter(Boolean),
    },
  };
}

export function trimService(raw: unknown): KubeService {
  const r = obj(raw), spec = obj(r.spec);
  const selector = spec.selector && typeof spec.selector === 'object' ? strMap(spec.selector) : undefined;
  return {
    meta: trimMeta(r.metadata),
    type: str(spec.type) ?? 'ClusterIP',
    clusterIP: str(spec.clusterIP),
    selector,
    ports: arr(spec.ports).map((p) => {
      const o = obj(p);
      return { name: str(o.name), port: int(o.port), targetPort: intOrString(o.targetPort), protocol: str(o.protocol) ?? 'TCP', nodePort: num(o.nodePort) };
    }),
  };
}

export function trimEndpointSlice(raw: unknown): KubeEndpointSlice {
  const r = obj(raw);
  const meta = trimMeta(r.metadata);
  return {
    meta,
    serviceName: meta.labels['kubernetes.io/service-name'],
    addressType: str(r.addressType) ?? '',
    endpoints: arr(r.endpoints).map((e) => {
      const o = obj(e), c = obj(o.conditions);
      const t = o.targetRef ? obj(o.targetRef) : undefined;
      return {
        addresses: strList(o.addresses),
        ready: typeof c.ready === 'boolean' ? c.ready : undefined,
        serving: typeof c.serving === 'boolean' ? c.serving : undefined,
        terminating: typeof c.terminating === 'boolean' ? c.terminating : undefined,
        nodeName: str(o.nodeName),
        targetRef: t ? { kind: str(t.kind) ?? '', ns: str(t.namespace) ?? '', name: str(t.name) ?? '', uid: str(t.uid) ?? '' } : undefined,
      };
    }),
    ports: arr(r.ports).map((p) => {
      const o = obj(p);
      return { name: str(o.name) || undefined, port: num(o.port), protocol: str(o.protocol) ?? 'TCP' };
    }),
  };
}

export function trimPVC(raw: unknown): KubePVC {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status);
  return {
    meta: trimMeta(r.metadata),
    phase: str(st.phase) ?? 'Pending',
    storageClassName: str(spec.storageClassName),
    requested: intOrString(obj(obj(spec.resources).requests).storage),
    capacity: intOrString(obj(st.capacity).storage),
    accessModes: strList(spec.accessModes),
    volumeName: str(spec.volumeName) || undefined,
    volumeMode: str(spec.volumeMode),
    selector: spec.selector ? trimSelector(spec.selector) : undefined,
    conditions: trimConditions(st.conditions),
  };
}

/** A node selector term list as one line an operator reads: `a In (x, y) and b Exists or c In (z)`. */
export function nodeAffinityText(required: unknown): string | undefined {
  const terms = arr(obj(required).nodeSelectorTerms).map((t) => {
    const o = obj(t);
    const parts = [...arr(o.matchExpressions), ...arr(o.matchFields)].map((e) => {
      const x = obj(e), values = strList(x.values);
      return `${str(x.key) ?? ''} ${str(x.operator) ?? ''}${values.length ? ` (${values.join(', ')})` : ''}`;
    });
    return parts.join(' and ');
  }).filter(Boolean);
  return terms.length ? terms.join(' or ') : undefined;
}

const PV_SOURCES: ReadonlyArray<[string, (o: Raw) => string | undefined]> = [
  ['hostPath', (o) => str(o.path)],
  ['local', (o) => str(o.path)],
  ['csi', (o) => str(o.driver)],
  ['nfs', (o) => `${str(o.server) ?? ''}:${str(o.path) ?? ''}`],
];

export function trimPV(raw: unknown): KubePV {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status);
  const ref = spec.claimRef ? obj(spec.claimRef) : undefined;
  let source: string | undefined;
  for (const [key, detail] of PV_SOURCES) {
    if (spec[key]) { source = `${key} ${detail(obj(spec[key])) ?? ''}`.trim(); break; }
  }
  return {
    meta: trimMeta(r.metadata),
    capacity: intOrString(obj(spec.capacity).storage),
    accessModes: strList(spec.accessModes),
    reclaimPolicy: str(spec.persistentVolumeReclaimPolicy),
    storageClassName: str(spec.storageClassName),
    volumeMode: str(spec.volumeMode),
    claimRef: ref ? { ns: str(ref.namespace) ?? '', name: str(ref.name) ?? '', uid: str(ref.uid) } : undefined,
    nodeAffinity: nodeAffinityText(obj(spec.nodeAffinity).required),
    source,
    phase: str(st.phase) ?? 'Pending',
    reason: str(st.reason),
    message: str(st.message),
  };
}

export function trimStorageClass(raw: unknown): KubeStorageClass {
  const r = obj(raw);
  const meta = trimMeta(r.metadata);
  return {
    meta,
    provisioner: str(r.provisioner) ?? '',
    reclaimPolicy: str(r.reclaimPolicy),
    volumeBindingMode: str(r.volumeBindingMode),
    allowVolumeExpansion: r.allowVolumeExpansion === true,
    isDefault: meta.annotations['storageclass.kubernetes.io/is-default-class'] === 'true',
  };
}

function resourceList(v: unknown): KubeNode['capacity'] {
  const o = obj(v);
  return { cpu: intOrString(o.cpu), memory: intOrString(o.memory), pods: intOrString(o.pods), storage: intOrString(o['ephemeral-storage']) };
}

export function trimNode(raw: unknown): KubeNode {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status), info = obj(st.nodeInfo);
  return {
    meta: trimMeta(r.metadata),
    unschedulable: spec.unschedulable === true,
    taints: arr(spec.taints).map((t) => {
      const o = obj(t);
      return { key: str(o.key) ?? '', value: str(o.value), effect: str(o.effect) ?? '' };
    }),
    conditions: trimConditions(st.conditions),
    addresses: arr(st.addresses).map((a) => {
      const o = obj(a);
      return { type: str(o.type) ?? '', address: str(o.address) ?? '' };
    }),
    capacity: resourceList(st.capacity),
    allocatable: resourceList(st.allocatable),
    kubeletVersion: str(info.kubeletVersion),
    osImage: str(info.osImage),
    containerRuntime: str(info.containerRuntimeVersion),
  };
}

const latest = (...times: Array<string | undefined>): string | undefined => {
  let best: string | undefined, bestMs = -Infinity;
  for (const t of times) {
    const ms = t ? Date.parse(t) : NaN;
    if (!Number.isNaN(ms) && ms > bestMs) { best = t; bestMs = ms; }
  }
  return best;
};

/** core/v1 Events (what `kubectl describe` shows); events.k8s.io/v1 field names are read too. */
export function trimEvent(raw: unknown): KubeEvent {
  const r = obj(raw);
  const meta = trimMeta(r.metadata);
  const inv = obj(r.involvedObject ?? r.regarding);
  const series = obj(r.series);
  const src = obj(r.source);
  return {
    meta,
    involved: { kind: str(inv.kind) ?? '', ns: str(inv.namespace) ?? '', name: str(inv.name) ?? '', uid: str(inv.uid), fieldPath: str(inv.fieldPath) },
    type: str(r.type) ?? 'Normal',
    reason: str(r.reason) ?? '',
    message: str(r.message ?? r.note) ?? '',
    count: num(r.count) ?? num(series.count) ?? 1,
    lastTime: latest(str(r.lastTimestamp), str(series.lastObservedTime), str(r.eventTime), str(r.firstTimestamp ?? r.deprecatedFirstTimestamp), meta.creationTimestamp),
    firstTime: str(r.firstTimestamp ?? r.deprecatedFirstTimestamp) ?? str(r.eventTime),
    source: str(src.component) ?? str(r.reportingComponent ?? r.reportingController) ?? undefined,
  };
}

export function trimHPA(raw: unknown): KubeHPA {
  const r = obj(raw), spec = obj(r.spec), st = obj(r.status), t = obj(spec.scaleTargetRef);
  return {
    meta: trimMeta(r.metadata),
    target: { kind: str(t.kind) ?? '', name: str(t.name) ?? '' },
    minReplicas: num(spec.minReplicas),
    maxReplicas: int(spec.maxReplicas),
    currentReplicas: num(st.currentReplicas),
    desiredReplicas: num(st.desiredReplicas),
    lastScaleTime: str(st.lastScaleTime),
    conditions: trimConditions(st.conditions),
    metrics: trimHpaMetrics(spec.metrics, st.currentMetrics),
  };
}

/** Whatever arrives (a full Secret or PartialObjectMetadata), only metadata is kept: `data` never is. */
export function trimSecret(raw: unknown): KubeSecret {
  return { meta: trimMeta(obj(raw).metadata) };
}

export const TRIMMERS: { [K in KubeKind]: (raw: unknown) => KubeObjectByKind[K] } = {
  Pod: trimPod, Deployment: trimDeployment, StatefulSet: trimStatefulSet, DaemonSet: trimDaemonSet,
  ReplicaSet: trimReplicaSet, Job: trimJob, CronJob: trimCronJob, Service: trimService,
  EndpointSlice: trimEndpointSlice, PersistentVolumeClaim: trimPVC, PersistentVolume: trimPV,
  StorageClass: trimStorageClass, Node: trimNode, Event: trimEvent, HorizontalPodAutoscaler: trimHPA,
  Secret: trimSecret,
};
