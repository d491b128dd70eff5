import type { Resource } from '../../../shared/contract/domain';
import type { ActionDef } from '../../actions/action';
import type { ModelObject } from '../../model/object';
import type { AccessContext, KubeAccess } from './access';
import { checksFor } from './access';
import { baseActionId, revisionsOf } from './actions-specs';
import { callApi, dryRunPath, JSON_PATCH, KubeApiError, MERGE, STRATEGIC, type ApiBody } from './actions-api';
import type { KubeDeployment, KubeMeta, KubeNode, KubePod, KubeReplicaSet, KubeStatefulSet } from './objects';
import { parseResourceId, type ParsedId } from './rules/ids';

// ---- the bodies (pure: unit-tested) ----

/** What `kubectl rollout restart` sends: a new template annotation, so the controller rolls every pod. */
export function restartPatch(at: Date): ApiBody {
  return { contentType: STRATEGIC, json: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at.toISOString() } } } } } };
}

/** The scale subresource's merge patch. */
export function scalePatch(replicas: number): ApiBody {
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`replicas must be a whole number ≥ 0 (got ${replicas})`);
  return { contentType: MERGE, json: { spec: { replicas } } };
}

/** What `kubectl cordon`/`uncordon` send: unschedulable true, or the field removed (its default, false). */
export function cordonPatch(cordon: boolean): ApiBody {
  return { contentType: STRATEGIC, json: { spec: { unschedulable: cordon ? true : null } } };
}

/** A ReplicaSet as the API returns it, as far as a rollback reads it. */
export interface RawReplicaSet {
  metadata: { name: string; uid?: string; annotations?: Record<string, string>; ownerReferences?: Array<{ uid: string; controller?: boolean }> };
  spec?: { template?: RawPodTemplate };
}

/** A pod template as the API returns it (only its labels are read; the rest is copied as it is). */
export interface RawPodTemplate { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown }

/** A Deployment as the API returns it, as far as a rollback reads it. */
export interface RawDeployment {
  metadata: { name: string; uid: string; annotations?: Record<string, string> };
  spec?: { paused?: boolean; template?: RawPodTemplate };
}

/**
 * The annotations `kubectl rollout undo` never takes from the old ReplicaSet (polymorphichelpers'
 * annotationsToSkip): they describe the Deployment's own history or last apply, not the revision. The
 * Deployment keeps its own values of these; every other annotation comes from the ReplicaSet.
 */
export const ROLLBACK_KEEPS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
] as const;
const KEEPS: ReadonlySet<string> = new Set(ROLLBACK_KEEPS);

/**
 * The ReplicaSet `kubectl rollout undo` goes back to: among the Deployment's own ReplicaSets (controlled
 * by its uid), the one with the highest revision below the newest. Throws, saying why, when there is none.
 */
export function rollbackTarget(deploymentUid: string, rss: readonly RawReplicaSet[]): { rs: RawReplicaSet; revision: number; current: number } {
  const own = rss
    .filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === deploymentUid && o.controller !== false))
    .map((rs) => ({ rs, revision: Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision']) }))
    .filter((x) => Number.isFinite(x.revision) && x.revision > 0)
    .sort((a, b) => b.revision - a.revision);
  if (own.length < 2) throw new Error(`no previous revision to roll back to (${own.length ? `only revision ${own[0]!.revision}` : 'no revisions'} found)`);
  return { rs: own[1]!.rs, revision: own[1]!.revision, current: own[0]!.revision };
}

/** A template without the `pod-template-hash` label the controller put on its ReplicaSet's copy. */
export function templateWithoutHash(tpl: RawPodTemplate | undefined): RawPodTemplate {
  const t = structuredClone(tpl ?? {});
  if (t.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  return t;
}

/** Empty maps and lists equal absent ones, as apimachinery's semantic DeepEqual has them; key order does not count. */
function semanticEqual(a: unknown, b: unknown): boolean {
  const empty = (x: unknown) => x === undefined || x === null || (Array.isArray(x) ? x.length === 0 : typeof x === 'object' && Object.keys(x as object).length === 0);
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ao = a as Record<string, unknown>, bo = b as Record<string, unknown>;
    return [...new Set([...Object.keys(ao), ...Object.keys(bo)])].every((k) => semanticEqual(ao[k], bo[k]));
  }
  return a === b;
}

/** Whether two templates are the same pod once the controller's hash label is left out (kubectl's equalIgnoreHash). */
export function sameTemplate(a: RawPodTemplate | undefined, b: RawPodTemplate | undefined): boolean {
  return semanticEqual(templateWithoutHash(a), templateWithoutHash(b));
}

/**
 * The Deployment's annotations after the rollback, as kubectl computes them: the Deployment's own values
 * of the kept keys (its revision, its last-applied configuration), and every other annotation from the
 * ReplicaSet (the change-cause and whatever the deploy tool wrote for that revision).
 */
export function rollbackAnnotations(d: RawDeployment, rs: RawReplicaSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ROLLBACK_KEEPS) { const v = d.metadata.annotations?.[k]; if (v !== undefined) out[k] = v; }
  for (const [k, v] of Object.entries(rs.metadata.annotations ?? {})) if (!KEEPS.has(k)) out[k] = v;
  return out;
}

/**
 * What `kubectl rollout undo` sends: one JSON patch that replaces the whole template with the old
 * ReplicaSet's (without its pod-template-hash; a field the newer template added must go, so not a merge)
 * and the Deployment's annotations with `rollbackAnnotations`. A Deployment without annotations gets
 * them added (a JSON patch cannot replace what is absent).
 */
export function rollbackPatch(d: RawDeployment, rs: RawReplicaSet): ApiBody {
  return {
    contentType: JSON_PATCH,
    json: [
      { op: 'replace', path: '/spec/template', value: templateWithoutHash(rs.spec?.template) },
      { op: d.metadata.annotations ? 'replace' : 'add', path: '/metadata/annotations', value: rollbackAnnotations(d, rs) },
    ],
  };
}

/**
 * The rollback as kubectl decides it: refused while the Deployment is paused; skipped (nothing sent)
 * when the current template already is the previous revision's; otherwise the patch.
 */
export type RollbackPlan =
  | { patch: ApiBody; rs: RawReplicaSet; revision: number; current: number }
  | { skip: string; rs: RawReplicaSet; revision: number; current: number };

export function rollbackPlan(d: RawDeployment, rss: readonly RawReplicaSet[]): RollbackPlan {
  if (d.spec?.paused) throw new Error(`deployment ${d.metadata.name} is paused: a rollback would not roll out; resume it first (kubectl rollout resume) and try again`);
  const t = rollbackTarget(d.metadata.uid, rss);
  if (sameTemplate(t.rs.spec?.template, d.spec?.template)) return { ...t, skip: `skipped rollback: the current template already matches revision ${t.revision}` };
  return { ...t, patch: rollbackPatch(d, t.rs) };
}

// ---- paths ----

const enc = encodeURIComponent;
const WORKLOAD_PLURAL = { deployment: 'deployments', statefulset: 'statefulsets', daemonset: 'daemonsets' } as const;
const podPath = (p: ParsedId) => `/api/v1/namespaces/${enc(p.ns)}/pods/${enc(p.name)}`;
const workloadPath = (p: ParsedId) => `/apis/apps/v1/namespaces/${enc(p.ns)}/${WORKLOAD_PLURAL[p.kind as keyof typeof WORKLOAD_PLURAL]}/${enc(p.name)}`;
const nodePath = (p: ParsedId) => `/api/v1/nodes/${enc(p.name)}`;
const secretPath = (p: ParsedId) => `/api/v1/namespaces/${enc(p.ns)}/secrets/${enc(p.name)}`;

const KIND_NAME = { pod: 'Pod', deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet', node: 'Node', secret: 'Secret' } as const;

function mainOf<T>(p: ParsedId, objects: readonly ModelObject[]): T | undefined {
  const kind = KIND_NAME[p.kind as keyof typeof KIND_NAME];
  return objects.find((o) => o.kind === kind && o.name === p.name && o.ns === p.ns)?.data as T | undefined;
}

const describeBody = (b: ApiBody) => `${b.contentType.replace('application/', '')} ${JSON.stringify(b.json)}`;

function apiText(e: unknown): string {
  if (e instanceof KubeApiError) return `${e.code}${e.reason ? ` ${e.reason}` : ''}: ${e.message}`;
  return (e as Error).message;
}

/**
 * The server's answer to the change with dryRun=All. A 4xx is its refusal (validation, admission, RBAC):
 * shown as such; a server or webhook that cannot dry-run says "dry run unavailable" and why.
 */
async function dryRunOf(ctx: AccessContext, method: 'PATCH' | 'DELETE', path: string, body: ApiBody | undefined, ok: (answer: unknown) => string): Promise<{ outcome: 'ok' | 'refused' | 'unavailable'; text: string }> {
  // A DELETE with a body reads its options from the body alone (the query is then ignored): the dry run
  // must be said in the DeleteOptions, or the "dry run" deletes.
  const dryBody = method === 'DELETE' && body ? { ...body, json: { ...(body.json as object), dryRun: ['All'] } } : body;
  try {
    const answer = await callApi(ctx.transport, method, dryRunPath(path), dryBody);
    return { outcome: 'ok', text: `dry run (dryRun=All) accepted: ${ok(answer)}` };
  } catch (e) {
    return dryRunFailure(e);
  }
}

/**
 * A failed dry run in words: the server's refusal of the change itself (validation, admission, RBAC: a
 * 4xx) is `refused`; a webhook that cannot dry-run (sideEffects not None), a server error or no answer
 * at all means no dry run could be made: `unavailable`, with why.
 */
export function dryRunFailure(e: unknown): { outcome: 'refused' | 'unavailable'; text: string } {
  if (e instanceof KubeApiError && e.code >= 400 && e.code < 500 && !/dry ?run/i.test(e.message)) {
    return { outcome: 'refused', text: `the server would refuse this: ${apiText(e)}` };
  }
  return { outcome: 'unavailable', text: `dry run unavailable: ${apiText(e)}` };
}

const generationOf = (answer: unknown) => (answer as { metadata?: { generation?: number } } | undefined)?.metadata?.generation;
const observed = (d: { meta: KubeMeta; status: { observedGeneration?: number } } | undefined, gen: number | undefined) =>
  !!d && gen !== undefined && (d.meta.generation ?? 0) >= gen && (d.status.observedGeneration ?? 0) >= gen;

const VERIFY_MS = 90_000;

/** A Scale's spec.replicas: the API leaves out a 0 (omitempty), so a spec without it says 0. */
const replicasOf = (answer: unknown) => { const spec = (answer as { spec?: { replicas?: number } } | undefined)?.spec; return spec ? spec.replicas ?? 0 : '?'; };

/**
 * The ActionDef of a kube action on a resource, bound to its objects now; undefined when the resource
 * does not offer it. `ctx` is the resource's context (its requests); `access` answers the reveal's preview.
 */
export function kubeAction(resource: Resource, actionId: string, objects: readonly ModelObject[], ctx: AccessContext, access?: KubeAccess): ActionDef | undefined {
  const p = parseResourceId(resource.id);
  if (!p || !resource.actions.some((a) => a.id === actionId)) return undefined;
  const spec = resource.actions.find((a) => a.id === actionId)!;
  const ep = p.endpoint;
  const where = `${p.ns ? `${p.ns}/` : ''}${p.name} on ${ep}`;
  const base = baseActionId(actionId);

  switch (base) {
    case 'delete-pod': {
      const pod = mainOf<KubePod>(p, objects);
      if (!pod) return undefined;
      const uid = pod.meta.uid;
      // The uid precondition: a pod recreated under the same name (a StatefulSet's) since the preview is not deleted.
      const body: ApiBody = { contentType: 'application/json', json: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } } };
      const owner = pod.meta.owners.find((o) => o.controller);
      return {
        spec, auditName: 'kube.delete-pod',
        summary: `Delete pod ${where} (uid ${uid})${owner ? `: its ${owner.kind} ${owner.name} makes a replacement` : ': it has no controller, nothing replaces it'}`,
        steps: [{ endpoint: ep, call: `DELETE ${podPath(p)} (preconditions.uid=${uid})` }],
        verifyText: `pod ${p.name} with uid ${uid} is gone${owner ? ` (${owner.kind} ${owner.name} replaces it)` : ''}`,
        verifyTimeoutMs: VERIFY_MS,
        dryRun: () => dryRunOf(ctx, 'DELETE', podPath(p), body, () => `pod ${p.name} would be deleted`),
        async run(log) {
          await callApi(ctx.transport, 'DELETE', podPath(p), body);
          log(`DELETE ${podPath(p)}: accepted`);
        },
        verify: (objs) => !objs.some((o) => o.kind === 'Pod' && o.name === p.name && o.ns === p.ns && (o.data as KubePod).meta.uid === uid),
      };
    }
    case 'rollout-restart': {
      const w = mainOf<{ meta: KubeMeta; status: { observedGeneration?: number } }>(p, objects);
      if (!w) return undefined;
      const path = workloadPath(p);
      let gen: number | undefined;
      return {
        spec, auditName: 'kube.rollout-restart',
        summary: `Rollout restart ${p.kind} ${where}: every pod is replaced, as the update strategy allows`,
        steps: [{ endpoint: ep, call: `PATCH ${path} strategic-merge-patch+json {"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"<the time of the run>"}}}}}` }],
        verifyText: `the ${p.kind} controller took the new template (observedGeneration reached the patched generation)`,
        verifyTimeoutMs: VERIFY_MS,
        dryRun: () => dryRunOf(ctx, 'PATCH', path, restartPatch(new Date()), (a) => `the new template would be generation ${generationOf(a) ?? '?'} (now ${w.meta.generation ?? '?'})`),
        async run(log) {
          const answer = await callApi(ctx.transport, 'PATCH', path, restartPatch(new Date()));
          gen = generationOf(answer);
          log(`PATCH ${path}: generation ${gen ?? '?'}`);
        },
        verify: (objs) => observed(mainOf(p, objs), gen),
      };
    }
    case 'scale-up': case 'scale-down': {
      const w = mainOf<KubeDeployment | KubeStatefulSet>(p, objects);
      if (!w) return undefined;
      const to = w.replicas + (base === 'scale-up' ? 1 : -1);
      const path = `${workloadPath(p)}/scale`;
      let gen: number | undefined;
      return {
        spec, auditName: 'kube.scale',
        summary: `Scale ${p.kind} ${where} from ${w.replicas} to ${to} replica${to === 1 ? '' : 's'}`,
        steps: [{ endpoint: ep, call: `PATCH ${path} ${describeBody(scalePatch(to))}` }],
        verifyText: `${p.kind} ${p.name} wants ${to} replica${to === 1 ? '' : 's'} and its controller saw it`,
        verifyTimeoutMs: VERIFY_MS,
        dryRun: () => dryRunOf(ctx, 'PATCH', path, scalePatch(to), (a) => `spec.replicas would be ${replicasOf(a)}`),
        async run(log) {
          const answer = await callApi(ctx.transport, 'PATCH', path, scalePatch(to));
          log(`PATCH ${path}: spec.replicas=${replicasOf(answer)}`);
          // The scale answer carries the Scale object's metadata: the workload's generation is read from the model.
          gen = (w.meta.generation ?? 0) + 1;
        },
        verify: (objs) => { const d = mainOf<KubeDeployment | KubeStatefulSet>(p, objs); return !!d && d.replicas === to && observed(d, gen); },
      };
    }
    case 'rollback': {
      const d = mainOf<KubeDeployment>(p, objects);
      if (!d) return undefined;
      const path = workloadPath(p);
      const rsPath = `/apis/apps/v1/namespaces/${enc(p.ns)}/replicasets`;
      // The server's Deployment and ReplicaSets at the moment of the run: the model holds neither templates
      // nor annotations, and the rollback must start from what is there now.
      const plan = async () => {
        const [live, list] = await Promise.all([callApi<RawDeployment>(ctx.transport, 'GET', path), callApi<{ items: RawReplicaSet[] }>(ctx.transport, 'GET', rsPath)]);
        if (live.metadata.uid !== d.meta.uid) throw new Error(`deployment ${p.name} was replaced since it was looked at (uid ${live.metadata.uid}, not ${d.meta.uid})`);
        return rollbackPlan(live, list.items ?? []);
      };
      const revs = revisionsOf(objects.filter((o) => o.kind === 'ReplicaSet').map((o) => o.data as KubeReplicaSet));
      let chosen: { name: string; current: number; skipped: boolean } | undefined;
      let gen: number | undefined;
      return {
        spec, auditName: 'kube.rollback',
        summary: `Roll back deployment ${where} from revision ${revs[0] ?? '?'} to revision ${revs[1] ?? '?'} (its ReplicaSet's pod template and annotations, as kubectl rollout undo)`,
        steps: [
          { endpoint: ep, call: `GET ${path} and GET ${rsPath} (the ReplicaSets controlled by ${p.name}, by revision)` },
          { endpoint: ep, call: `PATCH ${path} json-patch [{"op":"replace","path":"/spec/template","value":<revision ${revs[1] ?? '?'}'s template without pod-template-hash>},{"op":"replace","path":"/metadata/annotations","value":<its annotations; the deployment's own ${ROLLBACK_KEEPS.join(', ')} kept>}]` },
        ],
        verifyText: `the ReplicaSet of revision ${revs[1] ?? '?'} becomes the newest revision and the controller took the template`,
        verifyTimeoutMs: VERIFY_MS,
        async dryRun() {
          let t: RollbackPlan;
          try { t = await plan(); } catch (e) { return { outcome: 'unavailable', text: `dry run unavailable: ${apiText(e)}` }; }
          if ('skip' in t) return { outcome: 'ok', text: `no change needed: ${t.skip}` };
          return dryRunOf(ctx, 'PATCH', path, t.patch, () => `the template of ReplicaSet ${t.rs.metadata.name} (revision ${t.revision}) would replace the current one (revision ${t.current})`);
        },
        async run(log) {
          const t = await plan();
          if ('skip' in t) {
            log(t.skip);
            chosen = { name: t.rs.metadata.name, current: t.current, skipped: true };
            return;
          }
          log(`rolling back to ReplicaSet ${t.rs.metadata.name} (revision ${t.revision}; current ${t.current})`);
          const answer = await callApi(ctx.transport, 'PATCH', path, t.patch);
          gen = generationOf(answer);
          chosen = { name: t.rs.metadata.name, current: t.current, skipped: false };
          log(`PATCH ${path}: generation ${gen ?? '?'}`);
        },
        verify: (objs) => {
          if (!chosen) return false;
          if (chosen.skipped) return true;
          const rs = objs.find((o) => o.kind === 'ReplicaSet' && o.name === chosen!.name)?.data as KubeReplicaSet | undefined;
          return observed(mainOf(p, objs), gen) && Number(rs?.revision) > chosen.current;
        },
      };
    }
    case 'cordon': case 'uncordon': {
      const n = mainOf<KubeNode>(p, objects);
      if (!n) return undefined;
      const cordon = base === 'cordon';
      const path = nodePath(p);
      return {
        spec, auditName: `kube.${base}`,
        summary: cordon ? `Cordon node ${p.name} on ${ep}: no new pods are scheduled on it (its pods stay)` : `Uncordon node ${p.name} on ${ep}: pods may be scheduled on it again`,
        steps: [{ endpoint: ep, call: `PATCH ${path} ${describeBody(cordonPatch(cordon))}` }],
        verifyText: `node ${p.name} has spec.unschedulable=${cordon}`,
        verifyTimeoutMs: VERIFY_MS,
        dryRun: () => dryRunOf(ctx, 'PATCH', path, cordonPatch(cordon), (a) => `spec.unschedulable would be ${(a as { spec?: { unschedulable?: boolean } })?.spec?.unschedulable === true}`),
        async run(log) {
          await callApi(ctx.transport, 'PATCH', path, cordonPatch(cordon));
          log(`PATCH ${path}: accepted`);
        },
        verify: (objs) => mainOf<KubeNode>(p, objs)?.unschedulable === cordon,
      };
    }
    case 'reveal': {
      const key = actionId.slice('reveal:'.length);
      if (!key || !objects.some((o) => o.kind === 'Secret' && o.name === p.name)) return undefined;
      const path = secretPath(p);
      return {
        spec, auditName: 'kube.reveal-secret-key',
        // The audit keeps this summary and the steps: the key's name, never its value.
        summary: `Reveal key ${key} of secret ${where} (shown once in this answer; the audit records that it was revealed, not the value)`,
        steps: [{ endpoint: ep, call: `GET ${path} (key ${key} only is returned)` }],
        verifyText: `key ${key} was read`,
        verifyTimeoutMs: 1_000,
        async dryRun() {
          // A read changes nothing and has no dry run; the access review says whether it would be allowed.
          const why = access ? await access.denied(ctx, checksFor(p).reveal!) : undefined;
          return why ? { outcome: 'refused', text: `the server would refuse this: ${why}` } : { outcome: 'unavailable', text: 'dry run unavailable: reading a secret changes nothing, so there is nothing to dry-run; the access review allows get on it' };
        },
        async run(log) {
          const s = await callApi<{ data?: Record<string, string> }>(ctx.transport, 'GET', path);
          const b64 = s?.data?.[key];
          if (b64 === undefined) throw new Error(`secret ${p.ns}/${p.name} has no key ${key} (keys: ${Object.keys(s?.data ?? {}).sort().join(', ') || 'none'})`);
          const buf = Buffer.from(b64, 'base64');
          const text = buf.toString('utf8');
          // Binary data is not text: shown as base64 rather than as broken characters.
          const value = Buffer.from(text, 'utf8').equals(buf) ? text : `base64:${b64}`;
          log(`GET ${path}: key ${key}, ${buf.length} bytes`);
          return { revealed: { name: `${p.ns}/${p.name}[${key}]`, value } };
        },
        verify: () => true,
      };
    }
    default:
      return undefined;
  }
}
