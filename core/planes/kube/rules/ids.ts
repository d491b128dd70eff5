import type { ResourceGroup } from '../../../../shared/contract/domain';
import { objectKey, type ModelObject } from '../../../model/object';
import type { KubeKind, KubeMeta } from '../objects';

/**
 * Resource ids are `kube/<context>/<namespace>/<kind>/<name>`: the endpoint id (`kube/<context>`), then
 * the namespace ('' for cluster-scoped things), the resource kind below and the object's name. A context
 * name may hold '/' (EKS's `arn:…:cluster/name`), so ids are read from the right.
 */
export type ResourceKind =
  | 'deployment' | 'statefulset' | 'daemonset' | 'replicaset' | 'job' | 'cronjob' | 'pod'
  | 'service' | 'pvc' | 'pv' | 'storageclass' | 'node' | 'secret' | 'hpa' | 'storage'
  /** A port-forward this engine holds open (port-forward.ts), not an API object. */
  | 'port-forward';

/** The resource kind an API Kind stands for when it is a resource of its own. */
export const RESOURCE_KIND: Partial<Record<KubeKind, ResourceKind>> = {
  Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset', ReplicaSet: 'replicaset',
  Job: 'job', CronJob: 'cronjob', Pod: 'pod', Service: 'service', PersistentVolumeClaim: 'pvc',
  PersistentVolume: 'pv', StorageClass: 'storageclass', Node: 'node', Secret: 'secret', HorizontalPodAutoscaler: 'hpa',
};

export const CLUSTER_SCOPED: ReadonlySet<ResourceKind> = new Set(['pv', 'storageclass', 'node', 'storage']);

export const resourceId = (endpoint: string, ns: string, kind: ResourceKind, name: string) => `${endpoint}/${ns}/${kind}/${name}`;

export interface ParsedId { endpoint: string; ns: string; kind: ResourceKind; name: string }

export function parseResourceId(id: string): ParsedId | undefined {
  const name = id.lastIndexOf('/');
  const kind = id.lastIndexOf('/', name - 1);
  const ns = id.lastIndexOf('/', kind - 1);
  if (ns <= 0) return undefined;
  return { endpoint: id.slice(0, ns), ns: id.slice(ns + 1, kind), kind: id.slice(kind + 1, name) as ResourceKind, name: id.slice(name + 1) };
}

/**
 * The storage view of one context: every claim, PV and class binds here too, so the explanations that
 * need all of them (a near-miss class name, the PV that almost fits, a PV meant for another claim) are
 * derived in one place and re-derived whenever any of them changes.
 */
export const STORAGE_NAME = 'storage';
export const storageId = (endpoint: string) => resourceId(endpoint, '', 'storage', STORAGE_NAME);

/** The context's name: the endpoint id without its `kube/` prefix. */
export const contextOf = (endpoint: string) => endpoint.slice(endpoint.indexOf('/') + 1);

export function groupOf(endpoint: string, ns: string): ResourceGroup {
  return ns ? { kind: 'namespace', name: ns } : { kind: 'cluster', name: contextOf(endpoint) };
}

export type KubeObject<T = unknown> = ModelObject<T> & { kind: KubeKind };

/** The store key of the object a reason comes from (its `ref`). */
export const refOf = (o: ModelObject) => objectKey(o);
/** The store key of an object known only by kind and name (a PV named by a claim, a claim named by a PV). */
export const refTo = (endpoint: string, kind: KubeKind, ns: string, name: string) => objectKey({ endpoint, kind, ns, name });

export const metaOf = (o: ModelObject): KubeMeta => (o.data as { meta: KubeMeta }).meta;

/** The owner that controls an object (ownerReferences with controller: true), else the first one. */
export function controllerOf(meta: KubeMeta): { kind: string; name: string } | undefined {
  return meta.owners.find((o) => o.controller) ?? meta.owners[0];
}
