import type { RuntimeStatus } from '../../../../shared/contract/domain';
import type { KubeNode } from '../objects';
import { bySeverity, clip, err, warn, worse, type Finding, type Health } from './common';

const PRESSURE: Record<string, string> = {
  MemoryPressure: 'memory pressure: the kubelet is evicting pods to free memory',
  DiskPressure: 'disk pressure: the kubelet is evicting pods and removing images to free disk',
  PIDPressure: 'too many processes (PIDPressure): the kubelet is evicting pods',
};

const withMessage = (text: string, m: string | undefined) => (m ? `${text} (${clip(m)})` : text);

/** A node as a host: ready or not, under pressure, cordoned. */
export function nodeHealth(n: KubeNode, ref: string): Health {
  const reasons: Finding[] = [];
  let runtime: RuntimeStatus = 'ok';
  const ready = n.conditions.find((c) => c.type === 'Ready');
  if (!ready) { runtime = 'unknown'; reasons.push(warn('no Ready condition reported yet', ref)); }
  else if (ready.status === 'False') { runtime = 'error'; reasons.push(err(withMessage(`NotReady${ready.reason ? ` (${ready.reason})` : ''}: pods here are not started or restarted`, ready.message), ref)); }
  else if (ready.status === 'Unknown') {
    runtime = 'error';
    reasons.push(err(withMessage(`NotReady: the kubelet stopped reporting${ready.lastTransitionTime ? ` at ${ready.lastTransitionTime}` : ''}; its pods will be evicted`, ready.message), ref));
  }
  for (const c of n.conditions) {
    if (c.status !== 'True') continue;
    if (PRESSURE[c.type]) { runtime = worse(runtime, 'warning'); reasons.push(warn(withMessage(PRESSURE[c.type], c.message), ref)); }
    if (c.type === 'NetworkUnavailable') { runtime = 'error'; reasons.push(err(withMessage('network unavailable: pods here cannot reach the cluster network', c.message), ref)); }
  }
  if (n.unschedulable) { runtime = worse(runtime, 'warning'); reasons.push(warn('cordoned: no new pods are scheduled here (uncordon to allow them again)', ref)); }
  return { runtime, reasons: bySeverity(reasons) };
}

export function nodeRoles(n: KubeNode): string[] {
  return Object.keys(n.meta.labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).filter(Boolean);
}

export function nodeFacts(n: KubeNode): Record<string, string> {
  const f: Record<string, string> = {};
  const roles = nodeRoles(n);
  f.roles = roles.length ? roles.join(', ') : '<none>';
  const ip = n.addresses.find((a) => a.type === 'InternalIP')?.address;
  if (ip) f['internal ip'] = ip;
  if (n.kubeletVersion) f.kubelet = n.kubeletVersion;
  if (n.osImage) f.os = n.osImage;
  if (n.containerRuntime) f.runtime = n.containerRuntime;
  const res = (r: KubeNode['capacity']) => [r.cpu && `cpu ${r.cpu}`, r.memory && `memory ${r.memory}`, r.pods && `pods ${r.pods}`, r.storage && `disk ${r.storage}`].filter(Boolean).join(', ');
  if (res(n.capacity)) f.capacity = res(n.capacity);
  if (res(n.allocatable)) f.allocatable = res(n.allocatable);
  if (n.taints.length) f.taints = n.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ');
  f.conditions = n.conditions.map((c) => `${c.type}=${c.status}`).join(', ');
  if (n.unschedulable) f.schedulable = 'no (cordoned)';
  return f;
}
