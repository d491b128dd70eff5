import type { ModelObject } from '../../../model/object';
import { USAGE_KIND, type KubeUsageData } from '../usage-data';
import type { KubeNode, KubePod } from '../objects';
import { parseQuantity } from '../quantity';
import { plural } from './common';
import type { ResourceKind } from './ids';

/** "105m", "1.25 cores": as kubectl top and requests spell CPU. */
export function cpuText(c: number): string {
  if (c < 1) return `${Math.round(c * 1000)}m`;
  return `${Number(c.toFixed(2))} core${c === 1 ? '' : 's'}`;
}

/** "300Mi", "1.5Gi": binary units, as requests and kubectl top spell memory. */
export function memText(b: number): string {
  const units = ['Ki', 'Mi', 'Gi', 'Ti'];
  let v = b / 1024, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  if (b < 1024) return `${b}B`;
  return `${v < 10 ? Number(v.toFixed(1)) : Math.round(v)}${units[u]}`;
}

const pct = (used: number, of: number) => `${Math.round((used / of) * 100)}%`;

/** The summed requests of these pods' containers; undefined for a resource when any container has none. */
function requested(pods: readonly KubePod[], res: 'cpu' | 'memory'): number | undefined {
  let sum = 0;
  for (const p of pods) for (const c of p.containers) {
    const q = parseQuantity(c.requests?.[res]);
    if (q === undefined) return undefined;
    sum += q;
  }
  return pods.length ? sum : undefined;
}

/**
 * CPU and memory facts of a pod, workload or node someone looks at, from its usage object (metrics.ts):
 * `cpu used: 105m (42% of 250m requested)`, a node's against what it can allocate; or why there are
 * none (`usage: metrics.k8s.io is not served …`). Nothing when nobody asked (no usage object).
 */
export function usageFacts(kind: ResourceKind, objects: readonly ModelObject[], f: Record<string, string>): void {
  const u = objects.find((o) => o.kind === USAGE_KIND)?.data as KubeUsageData | undefined;
  if (!u) return;
  if (u.error) { f.usage = `unavailable: ${u.error}`; return; }
  if (kind === 'node' && u.node) {
    const n = objects.find((o) => o.kind === 'Node')?.data as KubeNode | undefined;
    const cpuOf = parseQuantity(n?.allocatable.cpu), memOf = parseQuantity(n?.allocatable.memory);
    f['cpu used'] = `${cpuText(u.node.cpuCores)}${cpuOf ? ` of ${cpuText(cpuOf)} allocatable (${pct(u.node.cpuCores, cpuOf)})` : ''}`;
    f['memory used'] = `${memText(u.node.memoryBytes)}${memOf ? ` of ${memText(memOf)} allocatable (${pct(u.node.memoryBytes, memOf)})` : ''}`;
    return;
  }
  const measured = u.pods ?? [];
  const byName = new Map(objects.filter((o) => o.kind === 'Pod').map((o) => [o.name, o.data as KubePod]));
  // A workload scaled to zero uses nothing: no line rather than a "not yet".
  if (!measured.length) { if (byName.size) f.usage = 'no figures yet for its pods (metrics-server scrapes every 15 s)'; return; }
  const pods = measured.map((m) => byName.get(m.name)).filter((p): p is KubePod => !!p);
  const cpu = measured.reduce((s, m) => s + m.cpuCores, 0), mem = measured.reduce((s, m) => s + m.memoryBytes, 0);
  const over = kind === 'pod' ? '' : ` over ${plural(measured.length, 'pod')}`;
  const cpuReq = pods.length === measured.length ? requested(pods, 'cpu') : undefined;
  const memReq = pods.length === measured.length ? requested(pods, 'memory') : undefined;
  f['cpu used'] = `${cpuText(cpu)}${over}${cpuReq ? ` (${pct(cpu, cpuReq)} of ${cpuText(cpuReq)} requested)` : ''}`;
  f['memory used'] = `${memText(mem)}${over}${memReq ? ` (${pct(mem, memReq)} of ${memText(memReq)} requested)` : ''}`;
  if (u.timestamp) f['usage sampled'] = `${u.timestamp}${u.window ? ` over ${u.window}` : ''}`;
}
