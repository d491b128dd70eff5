import { describe, expect, it } from 'vitest';
import { checksFor, deniedText } from '../../core/planes/kube/access';
import { cordonPatch, dryRunFailure, restartPatch, rollbackPatch, rollbackTarget, scalePatch, type RawReplicaSet } from '../../core/planes/kube/actions';
import { ACCESS_KIND, accessName, accessResourceId, kubeActionSpecs } from '../../core/planes/kube/actions-specs';
import { bindKube } from '../../core/planes/kube/rules';
import { parseResourceId } from '../../core/planes/kube/rules/ids';
import type { ModelObject } from '../../core/model/object';
import { KubeApiError } from '../../core/planes/kube/actions-api';

const EP = 'kube/kind-test';
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, ns: 'shop', uid: `uid-${name}`, resourceVersion: '1', labels: {}, annotations: {}, owners: [], ...extra });
const obj = (kind: string, name: string, data: unknown, ns = 'shop'): ModelObject => ({ plane: 'kube', endpoint: EP, kind, ns, name, data });

function rs(name: string, revision: string | undefined, owner = 'uid-web', hash = 'abc123'): RawReplicaSet {
  return {
    metadata: { name, annotations: revision ? { 'deployment.kubernetes.io/revision': revision } : {}, ownerReferences: [{ uid: owner, controller: true }] },
    spec: { template: { metadata: { labels: { app: 'web', 'pod-template-hash': hash }, annotations: { note: name } }, spec: { containers: [{ name: 'web', image: `web:${name}` }] } } },
  };
}

describe('kube action bodies', () => {
  it('rollout restart patches only the template annotation kubectl uses, with the run time', () => {
    const b = restartPatch(new Date('2026-12-06T15:00:00Z'));
    expect(b.contentType).toBe('application/strategic-merge-patch+json');
    expect(b.json).toEqual({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-06T15:00:00.000Z' } } } } });
  });

  it('scale is a merge patch of spec.replicas and refuses a negative or fractional count', () => {
    expect(scalePatch(0)).toEqual({ contentType: 'application/merge-patch+json', json: { spec: { replicas: 0 } } });
    expect(() => scalePatch(-1)).toThrow(/whole number ≥ 0 \(got -1\)/);
    expect(() => scalePatch(1.5)).toThrow(/got 1.5/);
  });

  it('cordon sets unschedulable; uncordon removes the field (its default) as kubectl does', () => {
    expect(cordonPatch(true).json).toEqual({ spec: { unschedulable: true } });
    expect(cordonPatch(false).json).toEqual({ spec: { unschedulable: null } });
  });
});

describe('a failed dry run, in words', () => {
  it('the server refusing the change is a refusal, with its reason and message', () => {
    expect(dryRunFailure(new KubeApiError(422, 'Invalid', 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1')))
      .toEqual({ outcome: 'refused', text: 'the server would refuse this: 422 Invalid: Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1' });
    expect(dryRunFailure(new KubeApiError(403, 'Forbidden', 'pods "a" is forbidden: User "ro" cannot delete resource "pods"')).outcome).toBe('refused');
  });

  it('a webhook that cannot dry-run, a server error or no answer: dry run unavailable, and why', () => {
    expect(dryRunFailure(new KubeApiError(400, 'BadRequest', 'admission webhook "policy.example.com" does not support dry run')))
      .toEqual({ outcome: 'unavailable', text: 'dry run unavailable: 400 BadRequest: admission webhook "policy.example.com" does not support dry run' });
    expect(dryRunFailure(new KubeApiError(500, 'InternalError', 'etcdserver: request timed out')).outcome).toBe('unavailable');
    expect(dryRunFailure(new Error('cannot reach https://127.0.0.1:56443: connection refused'))).toEqual({ outcome: 'unavailable', text: 'dry run unavailable: cannot reach https://127.0.0.1:56443: connection refused' });
  });
});

describe('rollback target (kubectl rollout undo to the previous revision)', () => {
  it('picks the second-highest revision among the Deployment\'s own ReplicaSets, whatever the list order', () => {
    const t = rollbackTarget('uid-web', [rs('web-3', '3'), rs('web-1', '1'), rs('web-5', '5'), rs('other-9', '9', 'uid-other'), rs('web-x', undefined)]);
    expect(t.rs.metadata.name).toBe('web-3');
    expect(t.revision).toBe(3);
    expect(t.current).toBe(5);
  });

  it('says why when there is nothing to go back to', () => {
    expect(() => rollbackTarget('uid-web', [rs('web-1', '1')])).toThrow('no previous revision to roll back to (only revision 1 found)');
    expect(() => rollbackTarget('uid-web', [rs('other', '4', 'uid-other')])).toThrow('(no revisions found)');
  });

  it('replaces the whole template with the old one, without the controller\'s pod-template-hash, leaving the ReplicaSet untouched', () => {
    const old = rs('web-3', '3');
    const b = rollbackPatch({ metadata: { name: 'web', uid: 'uid-web', annotations: {} } }, old);
    expect(b.contentType).toBe('application/json-patch+json');
    expect((b.json as unknown[])[0]).toEqual({ op: 'replace', path: '/spec/template', value: { metadata: { labels: { app: 'web' }, annotations: { note: 'web-3' } }, spec: { containers: [{ name: 'web', image: 'web:web-3' }] } } });
    expect(old.spec!.template!.metadata!.labels!['pod-template-hash']).toBe('abc123');
  });
});

describe('which actions a kube resource offers', () => {
  const id = (kind: string, name: string, ns = 'shop') => parseResourceId(`${EP}/${ns}/${kind}/${name}`)!;
  const deployment = obj('Deployment', 'web', { meta: meta('web'), replicas: 2, status: {} });
  const rsObj = (name: string, revision: string) => obj('ReplicaSet', name, { meta: meta(name, { owners: [{ kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }] }), revision });

  it('a Deployment: restart, scale by one either way, and a rollback only once there is a previous revision', () => {
    expect(kubeActionSpecs(id('deployment', 'web'), [deployment, rsObj('web-a', '1')]).map((a) => a.label))
      .toEqual(['Rollout restart', 'Scale to 1', 'Scale to 3']);
    expect(kubeActionSpecs(id('deployment', 'web'), [deployment, rsObj('web-a', '1'), rsObj('web-b', '2')]).map((a) => a.id))
      .toEqual(['rollout-restart', 'scale-down', 'scale-up', 'rollback']);
  });

  it('scaling one replica to zero is marked destructive; nothing scales below zero', () => {
    const one = obj('Deployment', 'web', { meta: meta('web'), replicas: 1, status: {} });
    expect(kubeActionSpecs(id('deployment', 'web'), [one]).find((a) => a.id === 'scale-down')!.destructive).toBe(true);
    const zero = obj('Deployment', 'web', { meta: meta('web'), replicas: 0, status: {} });
    expect(kubeActionSpecs(id('deployment', 'web'), [zero]).map((a) => a.id)).toEqual(['rollout-restart', 'scale-up']);
  });

  it('a pod is deleted only by typing its name, and not while it is already terminating', () => {
    const pod = obj('Pod', 'web-1', { meta: meta('web-1') });
    expect(kubeActionSpecs(id('pod', 'web-1'), [pod])).toEqual([{ id: 'delete-pod', label: 'Delete pod', destructive: true, confirm: 'type-name' }]);
    const going = obj('Pod', 'web-1', { meta: meta('web-1', { deletionTimestamp: '2026-12-06T15:00:00Z' }) });
    expect(kubeActionSpecs(id('pod', 'web-1'), [going])).toEqual([]);
  });

  it('a node offers cordon or uncordon as its spec says', () => {
    const node = (unschedulable: boolean) => obj('Node', 'n1', { meta: meta('n1', { ns: '' }), unschedulable }, '');
    expect(kubeActionSpecs(id('node', 'n1', ''), [node(false)]).map((a) => a.id)).toEqual(['cordon']);
    expect(kubeActionSpecs(id('node', 'n1', ''), [node(true)]).map((a) => a.id)).toEqual(['uncordon']);
  });

  it('a secret offers one reveal per key once its key names are known; denied, one disabled reveal says why', () => {
    const secret = obj('Secret', 'db', { meta: meta('db') });
    const p = id('secret', 'db');
    expect(kubeActionSpecs(p, [secret])).toEqual([]);
    const keys = obj(ACCESS_KIND, accessName('secret', 'db'), { denied: {}, secretKeys: ['password', 'user'] });
    expect(kubeActionSpecs(p, [secret, keys]).map((a) => [a.id, a.label])).toEqual([['reveal:password', 'Reveal password'], ['reveal:user', 'Reveal user']]);
    const denied = obj(ACCESS_KIND, accessName('secret', 'db'), { denied: { reveal: 'user ro may not get secrets in namespace shop (SelfSubjectAccessReview: no RBAC rule allows it)' } });
    expect(kubeActionSpecs(p, [secret, denied])).toEqual([{ id: 'reveal', label: 'Reveal a key', destructive: false, confirm: 'confirm', unavailable: 'user ro may not get secrets in namespace shop (SelfSubjectAccessReview: no RBAC rule allows it)' }]);
  });

  it('an access answer binds to its resource and marks only the denied actions unavailable', () => {
    const access = obj(ACCESS_KIND, accessName('deployment', 'web'), { denied: { 'scale-up': 'no', 'scale-down': 'no' } });
    expect(bindKube(access)).toEqual([`${EP}/shop/deployment/web`]);
    expect(accessResourceId(access)).toBe(`${EP}/shop/deployment/web`);
    const specs = kubeActionSpecs(id('deployment', 'web'), [deployment, access]);
    expect(specs.filter((a) => a.unavailable).map((a) => a.id)).toEqual(['scale-down', 'scale-up']);
    expect(specs.find((a) => a.id === 'rollout-restart')!.unavailable).toBeUndefined();
  });
});

describe('access reviews', () => {
  it('asks for the verb, resource and namespace each action needs', () => {
    expect(checksFor(parseResourceId(`${EP}/shop/pod/web-1`)!)).toEqual({ 'delete-pod': { verb: 'delete', group: '', resource: 'pods', namespace: 'shop', name: 'web-1' } });
    expect(checksFor(parseResourceId(`${EP}/shop/statefulset/db`)!)['scale-up']).toEqual({ verb: 'patch', group: 'apps', resource: 'statefulsets', subresource: 'scale', namespace: 'shop', name: 'db' });
    expect(checksFor(parseResourceId(`${EP}//node/n1`)!).cordon).toEqual({ verb: 'patch', group: '', resource: 'nodes', name: 'n1' });
  });

  it('a denial names the user, the verb and resource, the namespace and the authorizer\'s reason', () => {
    const c = { verb: 'get' as const, group: '', resource: 'secrets', namespace: 'extralit', name: 'main-db' };
    expect(deniedText(c, 'pilothouse-readonly', { allowed: false })).toBe('user pilothouse-readonly may not get secrets in namespace extralit (SelfSubjectAccessReview: no RBAC rule allows it)');
    expect(deniedText({ ...c, verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale' }, undefined, { allowed: false, reason: 'denied by policy X' }))
      .toBe('this user may not patch deployments/scale.apps in namespace extralit (SelfSubjectAccessReview: denied by policy X)');
  });
});
