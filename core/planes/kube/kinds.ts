import type { KubeKind } from './objects';

/** Where a kind lives in the API and how the console lists it. */
export interface KindInfo {
  kind: KubeKind;
  /** The resource name in paths and in RBAC messages ("secrets"). */
  plural: string;
  /** '' for the core group (/api/v1). */
  group: string;
  version: string;
  namespaced: boolean;
  /**
   * Listed and watched as PartialObjectMetadata: the server sends no spec, status or data. For secrets
   * this keeps every value off the wire and out of memory until an operator reveals one.
   */
  metadataOnly?: boolean;
  /**
   * Listed in the apiserver's protobuf encoding (proto/pod-list.ts): the server makes it several times
   * faster than JSON. Watches stay JSON (one object per event, nothing to gain).
   */
  protobufList?: boolean;
}

/** Every kind the plane keeps live, in the order their lists start (pods first: the overview needs them most). */
export const WATCHED_KINDS: readonly KindInfo[] = [
  { kind: 'Pod', plural: 'pods', group: '', version: 'v1', namespaced: true, protobufList: true },
  { kind: 'Deployment', plural: 'deployments', group: 'apps', version: 'v1', namespaced: true },
  { kind: 'StatefulSet', plural: 'statefulsets', group: 'apps', version: 'v1', namespaced: true },
  { kind: 'DaemonSet', plural: 'daemonsets', group: 'apps', version: 'v1', namespaced: true },
  { kind: 'ReplicaSet', plural: 'replicasets', group: 'apps', version: 'v1', namespaced: true },
  { kind: 'Job', plural: 'jobs', group: 'batch', version: 'v1', namespaced: true },
  { kind: 'CronJob', plural: 'cronjobs', group: 'batch', version: 'v1', namespaced: true },
  { kind: 'Service', plural: 'services', group: '', version: 'v1', namespaced: true },
  { kind: 'EndpointSlice', plural: 'endpointslices', group: 'discovery.k8s.io', version: 'v1', namespaced: true },
  { kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', group: '', version: 'v1', namespaced: true },
  { kind: 'PersistentVolume', plural: 'persistentvolumes', group: '', version: 'v1', namespaced: false },
  { kind: 'StorageClass', plural: 'storageclasses', group: 'storage.k8s.io', version: 'v1', namespaced: false },
  { kind: 'Node', plural: 'nodes', group: '', version: 'v1', namespaced: false },
  { kind: 'Event', plural: 'events', group: '', version: 'v1', namespaced: true },
  { kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', group: 'autoscaling', version: 'v2', namespaced: true },
  { kind: 'Secret', plural: 'secrets', group: '', version: 'v1', namespaced: true, metadataOnly: true },
];

/** The collection's path: every namespace when `ns` is undefined. */
export function collectionPath(k: KindInfo, ns?: string): string {
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  return k.namespaced && ns ? `${base}/namespaces/${encodeURIComponent(ns)}/${k.plural}` : `${base}/${k.plural}`;
}

export const LIST_ACCEPT = 'application/json';
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
export const METADATA_WATCH_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
