import { describe, expect, it } from 'vitest';
import { rollbackAnnotations, rollbackPatch, rollbackPlan, sameTemplate, type RawDeployment, type RawReplicaSet } from '../../core/planes/kube/actions';

// Roll back a Deployment as `kubectl rollout undo` does (kubectl's polymorphichelpers/rollback.go): the
// previous ReplicaSet's template without pod-template-hash, and the Deployment's annotations taken from
// that ReplicaSet except the ones that describe the Deployment's own history.

const tpl = (image: string, hash?: string) => ({
  metadata: { labels: { app: 'web', ...(hash ? { 'pod-template-hash': hash } : {}) } },
  spec: { containers: [{ name: 'web', image }], restartPolicy: 'Always' },
});

function rs(name: string, revision: string, image: string, annotations: Record<string, string> = {}): RawReplicaSet {
  return {
    metadata: { name, annotations: { 'deployment.kubernetes.io/revision': revision, 'deployment.kubernetes.io/desired-replicas': '2', 'deployment.kubernetes.io/max-replicas': '3', ...annotations }, ownerReferences: [{ uid: 'uid-web', controller: true }] },
    spec: { template: tpl(image, `h${revision}`) },
  };
}

const deployment = (image: string, annotations: Record<string, string> | undefined, paused = false): RawDeployment => ({
  metadata: { name: 'web', uid: 'uid-web', ...(annotations ? { annotations } : {}) },
  spec: { paused, template: tpl(image) },
});

describe('rollback as kubectl rollout undo', () => {
  const current = deployment('web:2', {
    'deployment.kubernetes.io/revision': '2',
    'kubectl.kubernetes.io/last-applied-configuration': '{"apply":"v2"}',
    'kubernetes.io/change-cause': 'deploy v2',
    'team.example/owner': 'payments',
  });
  const v1 = rs('web-h1', '1', 'web:1', { 'kubernetes.io/change-cause': 'deploy v1', 'deployment.kubernetes.io/revision-history': '0' });
  const v2 = rs('web-h2', '2', 'web:2', { 'kubernetes.io/change-cause': 'deploy v2', 'team.example/owner': 'payments' });

  it("takes the ReplicaSet's annotations, keeping the Deployment's own revision and last-applied configuration", () => {
    expect(rollbackAnnotations(current, v1)).toEqual({
      'deployment.kubernetes.io/revision': '2',
      'kubectl.kubernetes.io/last-applied-configuration': '{"apply":"v2"}',
      // From the ReplicaSet: its change-cause. An annotation only the newer revision had goes, as with kubectl.
      'kubernetes.io/change-cause': 'deploy v1',
    });
  });

  it('never copies the ReplicaSet\'s replica counts or revision history onto the Deployment', () => {
    const a = rollbackAnnotations(deployment('web:2', {}), v1);
    for (const k of ['deployment.kubernetes.io/revision', 'deployment.kubernetes.io/revision-history', 'deployment.kubernetes.io/desired-replicas', 'deployment.kubernetes.io/max-replicas']) expect(a).not.toHaveProperty(k);
  });

  it('one JSON patch: the template without pod-template-hash, then the annotations', () => {
    const plan = rollbackPlan(current, [v2, v1]);
    expect('patch' in plan && plan.patch.json).toEqual([
      { op: 'replace', path: '/spec/template', value: tpl('web:1') },
      { op: 'replace', path: '/metadata/annotations', value: rollbackAnnotations(current, v1) },
    ]);
    expect(plan.revision).toBe(1);
    expect(plan.current).toBe(2);
    // The ReplicaSet read from the server is not changed by building the patch.
    expect(v1.spec!.template!.metadata!.labels!['pod-template-hash']).toBe('h1');
  });

  it('a Deployment with no annotations at all gets them added (a JSON patch cannot replace what is absent)', () => {
    expect((rollbackPatch(deployment('web:2', undefined), v1).json as Array<{ op: string; path: string }>)[1]).toMatchObject({ op: 'add', path: '/metadata/annotations' });
  });

  it('skips, sending nothing, when the current template already is the previous revision\'s (the hash label and empty fields do not count)', () => {
    const same = deployment('web:1', { 'deployment.kubernetes.io/revision': '2' });
    same.spec!.template!.metadata = { ...same.spec!.template!.metadata, annotations: {} } as never;
    const plan = rollbackPlan(same, [v2, v1]);
    expect(plan).toMatchObject({ skip: 'skipped rollback: the current template already matches revision 1', revision: 1 });
    expect('patch' in plan).toBe(false);
  });

  it('tells templates apart by any field, not only the image', () => {
    const a = tpl('web:1');
    const b = { ...tpl('web:1'), spec: { ...tpl('web:1').spec, containers: [{ name: 'web', image: 'web:1', args: ['--debug'] }] } };
    expect(sameTemplate(a, b)).toBe(false);
    expect(sameTemplate(tpl('web:1', 'x'), tpl('web:1', 'y'))).toBe(true);
  });

  it('refuses a paused Deployment, as kubectl does, and says how to go on', () => {
    expect(() => rollbackPlan(deployment('web:2', {}, true), [v2, v1])).toThrow('deployment web is paused: a rollback would not roll out; resume it first (kubectl rollout resume) and try again');
  });
});
