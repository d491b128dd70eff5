import type { PlaneName } from '../../../shared/contract/domain';

/** kubectl's short names, so a row reads as an operator would type it (`deploy`, `sts`, `svc`). */
const KUBE_SHORT: Record<string, string> = {
  deployment: 'deploy', statefulset: 'sts', daemonset: 'ds', replicaset: 'rs', service: 'svc',
  persistentvolumeclaim: 'pvc', persistentvolume: 'pv', storageclass: 'sc', horizontalpodautoscaler: 'hpa',
};

/** Kinds a plane's rows are made of almost always: a tag on each would only repeat the plane. */
const SELF_EVIDENT: Partial<Record<PlaneName, readonly string[]>> = {
  docker: ['compose-service'], airflow: ['pool'], prometheus: ['alert'], ssh: ['host'],
};

/**
 * The small tag before a row's name that tells apart what shares a name: a namespace holds a Deployment,
 * its Service and often a Secret all called `main-db`. Undefined where the kind goes without saying.
 */
export function kindTag(plane: PlaneName, kind: string): string | undefined {
  if (SELF_EVIDENT[plane]?.includes(kind)) return undefined;
  return plane === 'kube' ? KUBE_SHORT[kind] ?? kind : kind;
}
