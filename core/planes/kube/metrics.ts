import type { Resource } from '../../../shared/contract/domain';
import { objectKey, type ModelObject } from '../../model/object';
import type { PlaneSink } from '../plane';
import { callApi, KubeApiError } from './actions-api';
import type { KubeTransport } from './client';
import type { LabelSelector } from './objects';
import { parseQuantity } from './quantity';
import { parseResourceId, type ParsedId, type ResourceKind } from './rules/ids';
import { USAGE_KIND, usageName, type KubeUsageData, type PodUsage } from './usage-data';

export { USAGE_KIND, usageResourceId, type KubeUsageData } from './usage-data';

/**
 * CPU and memory from metrics.k8s.io (metrics-server) for the resources someone looks at, and only
 * those: one request per looked-at resource every USAGE_REFRESH_MS, stopped when the last look is
 * released. Nothing is fetched for the 50,000 pods nobody opens; metrics.k8s.io has no watch, and
 * metrics-server itself only refreshes every 15 s (its --metric-resolution), so polling faster would
 * show the same figures.
 */
export const USAGE_REFRESH_MS = 15_000;

const METRICS = '/apis/metrics.k8s.io/v1beta1';
/** Resources whose usage is their pods' (summed); a pod and a node are asked for directly. */
const WORKLOADS: ReadonlySet<ResourceKind> = new Set(['deployment', 'statefulset', 'daemonset', 'replicaset', 'job']);

interface RawUsage { cpu?: string; memory?: string }
interface RawPodMetrics { metadata?: { name?: string }; timestamp?: string; window?: string; containers?: Array<{ name?: string; usage?: RawUsage }> }
interface RawNodeMetrics { timestamp?: string; window?: string; usage?: RawUsage }

const cores = (u: RawUsage | undefined) => parseQuantity(u?.cpu) ?? 0;
const bytes = (u: RawUsage | undefined) => parseQuantity(u?.memory) ?? 0;

export function podUsage(m: RawPodMetrics): PodUsage {
  let cpu = 0, mem = 0;
  for (const c of m.containers ?? []) { cpu += cores(c.usage); mem += bytes(c.usage); }
  return { name: m.metadata?.name ?? '', cpuCores: cpu, memoryBytes: mem };
}

/** What an operator should read for a failed metrics.k8s.io request. */
export function usageError(e: unknown, what: string): string {
  if (e instanceof KubeApiError) {
    // The group itself is missing: nothing registered the APIService (no metrics-server installed).
    if (e.code === 404 && /could not find the requested resource/.test(e.message)) return 'metrics.k8s.io is not served in this cluster (no metrics-server registered)';
    if (e.code === 404) return `metrics-server has no figures for ${what} yet (it scrapes every 15 s; a pod just started has none)`;
    if (e.code === 503) return `metrics-server is registered but not answering (${e.message || 'service unavailable'})`;
    if (e.code === 403) return `not allowed to read metrics.k8s.io: ${e.message}`;
    return `metrics.k8s.io answered ${e.code}: ${e.message}`;
  }
  return `metrics.k8s.io request failed: ${e instanceof Error ? e.message : String(e)}`;
}

/** matchLabels as a labelSelector query value; undefined when the workload selects by expressions only. */
export function labelSelectorQuery(s: LabelSelector | undefined): string | undefined {
  if (!s || s.matchExpressions.length) return undefined;
  const parts = Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : undefined;
}

const enc = encodeURIComponent;

/** One fetch of a resource's usage. `objects` are the resource's model objects (its pods, its selector). */
export async function fetchUsage(t: KubeTransport, p: ParsedId, objects: readonly ModelObject[]): Promise<KubeUsageData> {
  try {
    if (p.kind === 'node') {
      const m = await callApi<RawNodeMetrics>(t, 'GET', `${METRICS}/nodes/${enc(p.name)}`);
      return { timestamp: m.timestamp, window: m.window, node: { cpuCores: cores(m.usage), memoryBytes: bytes(m.usage) } };
    }
    if (p.kind === 'pod') {
      const m = await callApi<RawPodMetrics>(t, 'GET', `${METRICS}/namespaces/${enc(p.ns)}/pods/${enc(p.name)}`);
      return { timestamp: m.timestamp, window: m.window, pods: [podUsage(m)] };
    }
    const pods = new Set(objects.filter((o) => o.kind === 'Pod').map((o) => o.name));
    if (!pods.size) return { pods: [] };
    const main = objects.find((o) => o.name === p.name && o.kind !== 'Pod' && o.kind !== 'Event' && (o.data as { selector?: unknown }).selector);
    const sel = labelSelectorQuery((main?.data as { selector?: LabelSelector } | undefined)?.selector);
    // The workload's own pods by its selector (one answer the size of the workload); without one, the namespace's.
    const list = await callApi<{ items?: RawPodMetrics[] }>(t, 'GET', `${METRICS}/namespaces/${enc(p.ns)}/pods${sel ? `?labelSelector=${enc(sel)}` : ''}`);
    const items = (list.items ?? []).filter((m) => pods.has(m.metadata?.name ?? ''));
    return { timestamp: items[0]?.timestamp, window: items[0]?.window, pods: items.map(podUsage).sort((a, b) => a.name.localeCompare(b.name)) };
  } catch (e) {
    return { error: usageError(e, p.kind === 'node' ? `node ${p.name}` : p.kind === 'pod' ? `pod ${p.name}` : `the pods of ${p.name}`) };
  }
}

export interface UsageContext { id: string; transport: KubeTransport }

interface Look { count: number; key: string; timer?: ReturnType<typeof setInterval>; busy: boolean }

/** The usage fetches of the resources someone looks at, one per resource however many look. */
export class KubeUsage {
  private readonly looks = new Map<string, Look>();
  private paused = false;

  constructor(private readonly refreshMs = USAGE_REFRESH_MS) {}

  static covers(kind: ResourceKind): boolean { return kind === 'pod' || kind === 'node' || WORKLOADS.has(kind); }

  look(resource: Resource, ctx: UsageContext, sink: PlaneSink): () => void {
    const p = parseResourceId(resource.id);
    if (!p || !KubeUsage.covers(p.kind)) return () => {};
    const rid = resource.id;
    const held = this.looks.get(rid);
    if (held) { held.count++; return () => this.release(rid, sink); }
    const base: Omit<ModelObject<KubeUsageData>, 'data'> = { plane: 'kube', endpoint: p.endpoint, kind: USAGE_KIND, ns: p.ns, name: usageName(p.kind, p.name) };
    const look: Look = { count: 1, key: objectKey(base), busy: false };
    this.looks.set(rid, look);
    const tick = async () => {
      if (look.busy || this.paused || this.looks.get(rid) !== look) return;
      look.busy = true;
      try {
        const data = await fetchUsage(ctx.transport, p, sink.objectsOf(rid));
        if (this.looks.get(rid) === look) sink.upsert({ ...base, data });
      } finally { look.busy = false; }
    };
    void tick();
    look.timer = setInterval(() => void tick(), this.refreshMs);
    look.timer.unref?.();
    return () => this.release(rid, sink);
  }

  private release(rid: string, sink: PlaneSink): void {
    const l = this.looks.get(rid);
    if (!l || --l.count > 0) return;
    clearInterval(l.timer);
    this.looks.delete(rid);
    sink.remove(l.key);
  }

  /** Asleep: no requests until resume (the looks stay). */
  suspend(): void { this.paused = true; }
  resume(): void { this.paused = false; }

  stop(): void {
    for (const l of this.looks.values()) clearInterval(l.timer);
    this.looks.clear();
  }
}
