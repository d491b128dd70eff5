import type { ModelObject } from '../../model/object';
import type { ResourceKind } from './rules/ids';

/** The ModelObject kind of a looked-at resource's CPU and memory (metrics.ts fetches it, rules/usage.ts reads it). */
export const USAGE_KIND = 'KubeUsage';

export interface PodUsage { name: string; cpuCores: number; memoryBytes: number }

/** A looked-at resource's usage as the model keeps it (rules/usage.ts turns it into facts). */
export interface KubeUsageData {
  /** metrics-server's sample time and window ("15s"). */
  timestamp?: string;
  window?: string;
  /** A pod, or a workload's pods that metrics-server has figures for. */
  pods?: PodUsage[];
  node?: { cpuCores: number; memoryBytes: number };
  /** Why there are no figures: metrics.k8s.io not served, metrics-server not answering, none yet for the pod. */
  error?: string;
}

/** The usage object's name: the resource kind and name, so bind finds the resource from it. */
export const usageName = (kind: ResourceKind, name: string) => `${kind}/${name}`;

export function usageResourceId(o: ModelObject): string | undefined {
  const i = o.name.indexOf('/');
  return i > 0 ? `${o.endpoint}/${o.ns}/${o.name.slice(0, i)}/${o.name.slice(i + 1)}` : undefined;
}
