import type { MetricUnit } from '../../shared/contract/channels';
import type { Resource } from '../../shared/contract/domain';
import { promString } from './promql';

/**
 * The CPU and memory every resource kind gets without configuration, as PromQL over the exporters such
 * setups run (cAdvisor/kubelet for containers and pods, node-exporter for nodes and hosts). Pure.
 * CPU is in cores (a rate of CPU seconds), memory in bytes.
 */
export interface BuiltinChart { key: 'cpu' | 'memory'; title: string; unit: MetricUnit; query?: string }

const sel = (labels: Record<string, string>, extra = '') =>
  `{${[...Object.entries(labels).map(([k, v]) => `${k}="${promString(v)}"`), extra].filter(Boolean).join(',')}}`;

/** A host name from an ssh target as the facts show it: `user@host:22` → `host`. */
export function hostOfTarget(target: string | undefined): string | undefined {
  if (!target) return undefined;
  const h = target.replace(/^[^@]*@/, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return /^[A-Za-z0-9._:-]+$/.test(h) ? h : undefined;
}

const re = (s: string) => s.replace(/[.+?^${}()|[\]\\*]/g, '\\$&');

/** node-exporter's series of one machine: by a `host` label, or by its instance address. */
function nodeExporter(names: string[]): { cpu: string; memory: string } {
  const cpu = (m: string) => `sum(rate(node_cpu_seconds_total{mode!="idle",${m}}[1m]))`;
  const mem = (m: string) => `sum(node_memory_MemTotal_bytes{${m}} - node_memory_MemAvailable_bytes{${m}})`;
  const matchers = [`host="${promString(names[0])}"`, `instance=~"${promString(`(${names.map(re).join('|')})(:[0-9]+)?`)}"`];
  return { cpu: matchers.map(cpu).join(' or '), memory: matchers.map(mem).join(' or ') };
}

export function builtinCharts(r: Resource): BuiltinChart[] {
  const q = builtinQueries(r);
  return [
    { key: 'cpu', title: 'CPU', unit: 'cores', query: q?.cpu },
    { key: 'memory', title: 'Memory', unit: 'bytes', query: q?.memory },
  ];
}

/** False for a kind without CPU or memory of its own (a service, a volume, a pool, an alert). */
export function hasResourceUse(r: Pick<Resource, 'plane' | 'kind'>): boolean {
  if (r.plane === 'docker') return r.kind === 'container' || r.kind === 'compose-service';
  if (r.plane === 'kube') return r.kind === 'pod' || r.kind === 'node';
  if (r.plane === 'ssh') return r.kind === 'host';
  return false;
}

export function builtinQueries(r: Resource): { cpu: string; memory: string } | undefined {
  if (r.plane === 'docker' && (r.kind === 'container' || r.kind === 'compose-service')) {
    const name = r.facts.container?.replace(/^\//, '');
    if (!name) return undefined;
    const m = sel({ name });
    return { cpu: `sum(rate(container_cpu_usage_seconds_total${m}[1m]))`, memory: `sum(container_memory_usage_bytes${m})` };
  }
  if (r.plane === 'kube' && r.kind === 'pod') {
    const m = sel({ namespace: r.group.name, pod: r.name }, 'container!=""');
    return { cpu: `sum(rate(container_cpu_usage_seconds_total${m}[1m]))`, memory: `sum(container_memory_working_set_bytes${m})` };
  }
  if (r.plane === 'kube' && r.kind === 'node') return nodeExporter([r.name]);
  if (r.plane === 'ssh' && r.kind === 'host') {
    const h = hostOfTarget(r.facts.host);
    return nodeExporter(h && h !== r.name ? [r.name, h] : [r.name]);
  }
  return undefined;
}
