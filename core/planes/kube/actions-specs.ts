import type { ActionSpec } from '../../../shared/contract/domain';
import type { ModelObject } from '../../model/object';
import type { KubeDeployment, KubeNode, KubePod, KubeReplicaSet, KubeStatefulSet } from './objects';
import type { ParsedId, ResourceKind } from './rules/ids';

/**
 * Which actions a kube resource offers, as a pure function of its objects: the rules call it, so the
 * offer follows the model (a cordoned node offers Uncordon; a Deployment with one revision offers no
 * rollback). Whether the user may do them comes from an ActionAccess object (access.ts) that the plane
 * writes for a resource someone looks at; without one every action is offered and the server decides.
 */

/** The ModelObject kind of a resource's access answers (one per looked-at resource, never listed from a server). */
export const ACCESS_KIND = 'ActionAccess';

export interface ActionAccessData {
  /** Action id (before any ':') → why the server would refuse it. */
  denied: Record<string, string>;
  /** A secret's key names, read when the user may get it: one "Reveal <key>" each. Values never. */
  secretKeys?: string[];
}

/** The ActionAccess object's name: the resource kind and name, so bind finds the resource from it. */
export const accessName = (kind: ResourceKind, name: string) => `${kind}/${name}`;

export function accessResourceId(o: ModelObject): string | undefined {
  const i = o.name.indexOf('/');
  return i > 0 ? `${o.endpoint}/${o.ns}/${o.name.slice(0, i)}/${o.name.slice(i + 1)}` : undefined;
}

/** The action id without its argument: `reveal:password` → `reveal`. */
export const baseActionId = (id: string) => { const i = id.indexOf(':'); return i < 0 ? id : id.slice(0, i); };

const spec = (id: string, label: string, confirm: ActionSpec['confirm'], destructive = false): ActionSpec => ({ id, label, destructive, confirm });

/** The revisions a Deployment's ReplicaSets carry, newest first (the rollback needs two). */
export function revisionsOf(rss: readonly Pick<KubeReplicaSet, 'revision'>[]): number[] {
  return rss.map((r) => Number(r.revision)).filter((n) => Number.isFinite(n) && n > 0).sort((a, b) => b - a);
}

function offered(p: ParsedId, objects: readonly ModelObject[], access: ActionAccessData | undefined): ActionSpec[] {
  const main = objects.find((o) => o.name === p.name && o.ns === p.ns && o.kind !== ACCESS_KIND && o.kind !== 'Event' && kindOf(o.kind) === p.kind);
  if (!main) return [];
  switch (p.kind) {
    case 'pod':
      return (main.data as KubePod).meta.deletionTimestamp ? [] : [spec('delete-pod', 'Delete pod', 'type-name', true)];
    case 'deployment': {
      const d = main.data as KubeDeployment;
      const out = [spec('rollout-restart', 'Rollout restart', 'confirm'), ...scaleSpecs(d.replicas)];
      const rss = objects.filter((o) => o.kind === 'ReplicaSet' && o.ns === p.ns && (o.data as KubeReplicaSet).meta.owners.some((w) => w.uid === d.meta.uid));
      const revs = revisionsOf(rss.map((r) => r.data as KubeReplicaSet));
      if (revs.length >= 2) out.push(spec('rollback', `Roll back to revision ${revs[1]}`, 'confirm'));
      return out;
    }
    case 'statefulset':
      return [spec('rollout-restart', 'Rollout restart', 'confirm'), ...scaleSpecs((main.data as KubeStatefulSet).replicas)];
    case 'daemonset':
      return [spec('rollout-restart', 'Rollout restart', 'confirm')];
    case 'node':
      return (main.data as KubeNode).unschedulable ? [spec('uncordon', 'Uncordon', 'confirm')] : [spec('cordon', 'Cordon', 'confirm')];
    case 'secret':
      // Key names are known only once someone may read the secret (access.ts reads them, never the model's list).
      return access?.secretKeys
        ? access.secretKeys.map((k) => spec(`reveal:${k}`, `Reveal ${k}`, 'confirm'))
        : access?.denied.reveal ? [spec('reveal', 'Reveal a key', 'confirm')] : [];
    default:
      return [];
  }
}

/**
 * Scale by one either way: the action mechanism has no input fields, and one replica more or less is
 * what an operator does in the moment (a number typed in a dialog is a deploy, which belongs in git).
 */
function scaleSpecs(replicas: number): ActionSpec[] {
  const out = [spec('scale-up', `Scale to ${replicas + 1}`, 'confirm')];
  if (replicas > 0) out.unshift(spec('scale-down', `Scale to ${replicas - 1}`, 'confirm', replicas === 1));
  return out;
}

const KIND_OF: Record<string, ResourceKind> = { Pod: 'pod', Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset', Node: 'node', Secret: 'secret' };
const kindOf = (k: string): ResourceKind | undefined => KIND_OF[k];

/** The actions of a resource now, each marked unavailable (with the access review's reason) where denied. */
export function kubeActionSpecs(p: ParsedId, objects: readonly ModelObject[]): ActionSpec[] {
  const accessObj = objects.find((o) => o.kind === ACCESS_KIND);
  const access = accessObj?.data as ActionAccessData | undefined;
  return offered(p, objects, access).map((s) => {
    const why = access?.denied[baseActionId(s.id)];
    return why ? { ...s, unavailable: why } : s;
  });
}
