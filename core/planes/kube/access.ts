import type { PlaneEndpoint, Resource } from '../../../shared/contract/domain';
import { objectKey, type ModelObject } from '../../model/object';
import type { PlaneSink } from '../plane';
import { ACCESS_KIND, accessName, type ActionAccessData } from './actions-specs';
import { callApi } from './actions-api';
import type { KubeTransport } from './client';
import { parseResourceId, type ParsedId } from './rules/ids';

/** One question to the API server's authorizer: may I <verb> <resource> (in <ns>)? */
export interface AccessCheck {
  verb: 'get' | 'list' | 'delete' | 'patch' | 'update' | 'create';
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** The checks behind each action a resource offers, keyed by the action's base id (actions-specs.ts). */
export function checksFor(p: ParsedId): Record<string, AccessCheck> {
  const ns = p.ns || undefined;
  const apps = (resource: string, subresource?: string): AccessCheck => ({ verb: 'patch', group: 'apps', resource, subresource, namespace: ns, name: p.name });
  switch (p.kind) {
    case 'pod': return { 'delete-pod': { verb: 'delete', group: '', resource: 'pods', namespace: ns, name: p.name } };
    case 'deployment': return {
      'rollout-restart': apps('deployments'), 'scale-up': apps('deployments', 'scale'), 'scale-down': apps('deployments', 'scale'),
      rollback: apps('deployments'),
    };
    case 'statefulset': return { 'rollout-restart': apps('statefulsets'), 'scale-up': apps('statefulsets', 'scale'), 'scale-down': apps('statefulsets', 'scale') };
    case 'daemonset': return { 'rollout-restart': apps('daemonsets') };
    case 'node': return { cordon: { verb: 'patch', group: '', resource: 'nodes', name: p.name }, uncordon: { verb: 'patch', group: '', resource: 'nodes', name: p.name } };
    case 'secret': return { reveal: { verb: 'get', group: '', resource: 'secrets', namespace: ns, name: p.name } };
    default: return {};
  }
}

interface ReviewStatus { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string }

/** "user x may not delete pods in namespace y: <the authorizer's reason>": what a disabled action says. */
export function deniedText(c: AccessCheck, user: string | undefined, s: ReviewStatus): string {
  const what = `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}${c.group ? `.${c.group}` : ''}`;
  const where = c.namespace ? ` in namespace ${c.namespace}` : '';
  const why = s.reason?.trim() || s.evaluationError?.trim() || 'no RBAC rule allows it';
  return `${user ? `user ${user}` : 'this user'} may not ${what}${where} (SelfSubjectAccessReview: ${why})`;
}

const checkKey = (c: AccessCheck) => [c.verb, c.group, c.resource, c.subresource ?? '', c.namespace ?? '', c.name ?? ''].join('|');

interface ContextCache {
  user?: Promise<string | undefined>;
  answers: Map<string, Promise<string | undefined>>;
}

/** What the access reviews need of a context: its endpoint id and its requests. */
export interface AccessContext { id: string; transport: KubeTransport }

/** Bounds the cache: a cluster with thousands of looked-at objects asks again rather than grow. */
const MAX_ANSWERS = 2_000;

/**
 * SelfSubjectAccessReviews, asked per action check and cached per context until its connection changes
 * (any state but connected: a reconnect, a new credential, a config change asks again); and for a
 * resource someone looks at, its answers written into the model as an ActionAccess object, so the
 * resource's actions show disabled with the server's reason.
 */
export class KubeAccess {
  private readonly caches = new Map<string, ContextCache>();
  private readonly looks = new Map<string, { count: number; key: string }>();

  private cache(ctx: AccessContext): ContextCache {
    let c = this.caches.get(ctx.id);
    if (!c || c.answers.size > MAX_ANSWERS) this.caches.set(ctx.id, (c = { answers: new Map() }));
    return c;
  }

  /** A context's endpoint changed state: anything but connected means its answers may be stale when it is back. */
  endpointChanged(ep: PlaneEndpoint): void { if (ep.state !== 'connected') this.caches.delete(ep.id); }

  /** Forget every answer (the laptop woke: the credentials or the RBAC rules may have changed). */
  reset(): void { this.caches.clear(); }

  /** The user the server sees (SelfSubjectReview), for the reasons' wording; undefined if it will not say. */
  user(ctx: AccessContext): Promise<string | undefined> {
    const c = this.cache(ctx);
    c.user ??= callApi<{ status?: { userInfo?: { username?: string } } }>(ctx.transport, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { contentType: 'application/json', json: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } })
      .then((r) => r?.status?.userInfo?.username, () => undefined);
    return c.user;
  }

  /** Why the server would refuse this check, or undefined when it allows it (or cannot say: then the server decides on the run). */
  denied(ctx: AccessContext, check: AccessCheck): Promise<string | undefined> {
    const c = this.cache(ctx);
    const key = checkKey(check);
    let a = c.answers.get(key);
    if (!a) {
      a = (async () => {
        const r = await callApi<{ status?: ReviewStatus }>(ctx.transport, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          contentType: 'application/json',
          json: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { ...check, group: check.group } } },
        });
        const s = r?.status ?? {};
        return s.allowed ? undefined : deniedText(check, await this.user(ctx), s);
      })().catch(() => { c.answers.delete(key); return undefined; });
      c.answers.set(key, a);
    }
    return a;
  }

  /** Every action's answer for a resource: base action id → why not. */
  async deniedFor(ctx: AccessContext, p: ParsedId): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    await Promise.all(Object.entries(checksFor(p)).map(async ([id, check]) => {
      const why = await this.denied(ctx, check);
      if (why) out[id] = why;
    }));
    return out;
  }

  /**
   * Someone looks at a resource: its access answers (and a secret's key names, when it may be read)
   * go into the model as objects of it until the last look is released.
   */
  look(resource: Resource, ctx: AccessContext, sink: PlaneSink): () => void {
    const p = parseResourceId(resource.id);
    if (!p || !Object.keys(checksFor(p)).length) return () => {};
    const obj: Omit<ModelObject<ActionAccessData>, 'data'> = { plane: 'kube', endpoint: p.endpoint, kind: ACCESS_KIND, ns: p.ns, name: accessName(p.kind, p.name) };
    const key = objectKey(obj);
    const held = this.looks.get(resource.id);
    if (held) held.count++;
    else this.looks.set(resource.id, { count: 1, key });
    void (async () => {
      const denied = await this.deniedFor(ctx, p);
      const data: ActionAccessData = { denied };
      if (p.kind === 'secret' && !denied.reveal) data.secretKeys = await secretKeys(ctx.transport, p.ns, p.name).catch(() => undefined);
      if (this.looks.has(resource.id)) sink.upsert({ ...obj, data });
    })();
    return () => {
      const l = this.looks.get(resource.id);
      if (!l || --l.count > 0) return;
      this.looks.delete(resource.id);
      sink.remove(key);
    };
  }
}

/** A secret's key names, sorted; the values are dropped as soon as the answer is parsed. */
export async function secretKeys(t: KubeTransport, ns: string, name: string): Promise<string[]> {
  const s = await callApi<{ data?: Record<string, string> }>(t, 'GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(name)}`);
  return Object.keys(s?.data ?? {}).sort();
}
