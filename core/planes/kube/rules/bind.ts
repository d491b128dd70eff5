import type { ModelObject } from '../../../model/object';
import type { KubeEvent, KubeHPA, KubePod, KubePV, KubePVC, KubeEndpointSlice, KubeMeta } from '../objects';
import { ACCESS_KIND, accessResourceId } from '../actions-specs';
import { PORT_FORWARD_KIND } from '../port-forward-rules';
import { USAGE_KIND, usageResourceId } from '../usage-data';
import { RESOURCE_KIND, controllerOf, resourceId, storageId, type ResourceKind } from './ids';

/**
 * The resource a pod belongs to through its controller. A ReplicaSet made by a Deployment is named
 * `<deployment>-<pod-template-hash>`, and its pods carry that hash: so the Deployment is known from the
 * pod alone, and a pod's update binds it at once without waiting for its ReplicaSet.
 */
export function podOwner(meta: KubeMeta): { kind: ResourceKind; name: string } | undefined {
  const owner = controllerOf(meta);
  if (!owner) return undefined;
  switch (owner.kind) {
    case 'ReplicaSet': {
      const hash = meta.labels['pod-template-hash'];
      return hash && owner.name.endsWith(`-${hash}`)
        ? { kind: 'deployment', name: owner.name.slice(0, -(hash.length + 1)) }
        : { kind: 'replicaset', name: owner.name };
    }
    case 'StatefulSet': return { kind: 'statefulset', name: owner.name };
    case 'DaemonSet': return { kind: 'daemonset', name: owner.name };
    case 'Job': return { kind: 'job', name: owner.name };
    default: return undefined;
  }
}

/**
 * The StatefulSets a claim may belong to. Its claims are named `<template>-<statefulset>-<ordinal>`,
 * and both names may hold '-', so every split is a candidate; the StatefulSet's own derivation keeps a
 * claim only when one of its templates gives exactly that name (a candidate with no StatefulSet makes
 * no resource).
 */
export function claimStatefulSets(claim: string): string[] {
  const m = /^(.+)-\d+$/.exec(claim);
  if (!m) return [];
  const prefix = m[1];
  const out: string[] = [];
  for (let i = prefix.indexOf('-'); i > 0; i = prefix.indexOf('-', i + 1)) out.push(prefix.slice(i + 1));
  return out.filter(Boolean);
}

/** A claim's resource and the StatefulSet resources it may be part of. */
export function claimIds(endpoint: string, ns: string, name: string): string[] {
  return [resourceId(endpoint, ns, 'pvc', name), ...claimStatefulSets(name).map((s) => resourceId(endpoint, ns, 'statefulset', s))];
}

const stripLast = (name: string) => { const i = name.lastIndexOf('-'); return i > 0 ? name.slice(0, i) : undefined; };

/**
 * The resources an event about a pod may concern, from the pod's name alone (the event does not carry
 * the pod's owners): the pod, and the workloads whose pods are named like it (`<sts>-<n>`,
 * `<ds or job>-<random>`, `<deployment>-<hash>-<random>`). Each workload keeps only events about pods
 * it holds.
 */
function podEventIds(endpoint: string, ns: string, pod: string): string[] {
  const ids = [resourceId(endpoint, ns, 'pod', pod)];
  const one = stripLast(pod);
  if (!one) return ids;
  if (/-\d+$/.test(pod)) ids.push(resourceId(endpoint, ns, 'statefulset', one));
  for (const k of ['daemonset', 'job', 'replicaset'] as const) ids.push(resourceId(endpoint, ns, k, one));
  const two = stripLast(one);
  if (two) ids.push(resourceId(endpoint, ns, 'deployment', two));
  return ids;
}

function eventIds(endpoint: string, e: KubeEvent): string[] {
  const { kind, name } = e.involved;
  const ns = e.involved.ns || e.meta.ns;
  switch (kind) {
    case 'Pod': return podEventIds(endpoint, ns, name);
    case 'ReplicaSet': {
      const d = stripLast(name);
      return [resourceId(endpoint, ns, 'replicaset', name), ...(d ? [resourceId(endpoint, ns, 'deployment', d)] : [])];
    }
    case 'PersistentVolumeClaim': return [...claimIds(endpoint, ns, name), storageId(endpoint)];
    case 'PersistentVolume': return [resourceId(endpoint, '', 'pv', name), storageId(endpoint)];
    case 'Node': return [resourceId(endpoint, '', 'node', name)];
    // An event names the HPA, not its target: it also joins the workload of the same name (kubectl
    // autoscale and most charts name the HPA after it), where rules/hpa.ts shows the scaling history.
    case 'HorizontalPodAutoscaler':
      return [resourceId(endpoint, ns, 'hpa', name), resourceId(endpoint, ns, 'deployment', name), resourceId(endpoint, ns, 'statefulset', name)];
    default: {
      const rk = RESOURCE_KIND[kind as keyof typeof RESOURCE_KIND];
      return rk ? [resourceId(endpoint, rk === 'storageclass' ? '' : ns, rk, name)] : [];
    }
  }
}

/** The claims a PV names: the one it is bound or reserved to, and the one its intended-claim label names. */
function pvClaimIds(endpoint: string, pv: KubePV): string[] {
  const ids: string[] = [];
  if (pv.claimRef) ids.push(...claimIds(endpoint, pv.claimRef.ns, pv.claimRef.name));
  const ns = pv.claimRef?.ns;
  if (ns) {
    for (const [k, v] of Object.entries(pv.meta.labels)) if (k.endsWith('intended-claim') && v) ids.push(...claimIds(endpoint, ns, v));
  }
  return ids;
}

/**
 * Which resources a kube object is part of. A pod is its own resource and part of its workload's; a
 * claim is its own and part of its StatefulSet's; PVs, claims and classes are also part of the
 * context's storage view; events join the resources of the object they are about.
 */
export function bindKube(obj: ModelObject): string[] {
  const ep = obj.endpoint;
  const own = (k: ResourceKind, ns = obj.ns) => resourceId(ep, ns, k, obj.name);
  switch (obj.kind) {
    case 'Pod': {
      const owner = podOwner((obj.data as KubePod).meta);
      return owner ? [resourceId(ep, obj.ns, owner.kind, owner.name), own('pod')] : [own('pod')];
    }
    case 'ReplicaSet': {
      const owner = controllerOf((obj.data as { meta: KubeMeta }).meta);
      return owner?.kind === 'Deployment' ? [resourceId(ep, obj.ns, 'deployment', owner.name)] : [own('replicaset')];
    }
    case 'Job': {
      const owner = controllerOf((obj.data as { meta: KubeMeta }).meta);
      return owner?.kind === 'CronJob' ? [own('job'), resourceId(ep, obj.ns, 'cronjob', owner.name)] : [own('job')];
    }
    case 'Deployment': return [own('deployment')];
    case 'StatefulSet': return [own('statefulset')];
    case 'DaemonSet': return [own('daemonset')];
    case 'CronJob': return [own('cronjob')];
    case 'Service': return [own('service')];
    case 'Secret': return [own('secret')];
    case 'Node': return [own('node', '')];
    case 'StorageClass': return [own('storageclass', ''), storageId(ep)];
    case 'PersistentVolumeClaim': {
      const c = obj.data as KubePVC;
      return [...claimIds(ep, obj.ns, obj.name), storageId(ep), ...(c.volumeName ? [resourceId(ep, '', 'pv', c.volumeName)] : [])];
    }
    case 'PersistentVolume': return [own('pv', ''), storageId(ep), ...pvClaimIds(ep, obj.data as KubePV)];
    case 'EndpointSlice': {
      const svc = (obj.data as KubeEndpointSlice).serviceName;
      return svc ? [resourceId(ep, obj.ns, 'service', svc)] : [];
    }
    case 'HorizontalPodAutoscaler': {
      const t = (obj.data as KubeHPA).target;
      const rk = RESOURCE_KIND[t.kind as keyof typeof RESOURCE_KIND];
      return rk ? [own('hpa'), resourceId(ep, obj.ns, rk, t.name)] : [own('hpa')];
    }
    case 'Event': return eventIds(ep, obj.data as KubeEvent);
    case PORT_FORWARD_KIND: return [own('port-forward')];
    // The access answers of a resource someone looks at (core/planes/kube/access.ts): named after it.
    case ACCESS_KIND: { const id = accessResourceId(obj); return id ? [id] : []; }
    // The CPU and memory of a resource someone looks at (core/planes/kube/metrics.ts): named after it too.
    case USAGE_KIND: { const id = usageResourceId(obj); return id ? [id] : []; }
    default: return [];
  }
}
