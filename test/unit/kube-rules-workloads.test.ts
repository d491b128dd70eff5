import { describe, expect, it } from 'vitest';
import { MIN, NOW, container, meta, obj, deployment, deploymentPod, event, iso, model, owner, pod, replicaSet, rid, running, statefulSet, texts } from '../support/kube-fixtures';

const DEP = rid('extralit', 'deployment', 'argilla-server');

describe('kube workloads: rollout progress', () => {
  it('a Deployment rolling out is an update in progress, with updated / available against desired', () => {
    const m = model([
      deployment('argilla-server', { replicas: 3, status: { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1 } }),
      replicaSet('argilla-server', '7d9f8c6b5', { replicas: 3, revision: '4' }), replicaSet('argilla-server', '59c6d4f7b8', { replicas: 1, revision: '5' }),
      deploymentPod('argilla-server', '59c6d4f7b8', 'n3w01', { containers: [container('argilla-server', running(20_000), { ready: false })] }),
      ...['a1', 'b2', 'c3'].map((s) => deploymentPod('argilla-server', '7d9f8c6b5', s)),
    ]);
    const d = m.get(DEP)!;
    expect(d.update).toBe('in_progress');
    expect(d.runtime).toBe('ok');
    expect(texts(d)).toContain('rolling out: 1 of 3 replicas updated');
    expect(d.facts).toMatchObject({ replicas: '3/3 ready, 1 up to date, 3 available', revision: '5' });
    expect(d.children).toHaveLength(4);
  });

  it('the controller not having seen the new spec yet is a rollout starting', () => {
    const d = model([deployment('argilla-server', { generation: 3, observed: 2 })]).get(DEP)!;
    expect(d.update).toBe('in_progress');
    expect(texts(d)).toEqual(['rollout starting: the controller has not seen the new spec yet']);
  });

  it('ProgressDeadlineExceeded: a stuck rollout is an error, not an update in progress', () => {
    const d = model([deployment('argilla-server', {
      status: { replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "argilla-server-59c6d4f7b8" has timed out progressing.' },
      ],
    })]).get(DEP)!;
    expect(d.runtime).toBe('error');
    expect(d.update).toBe('idle');
    expect(texts(d)[0]).toBe('rollout stuck (ProgressDeadlineExceeded): 1 replica of 1 updated, 1 available; ReplicaSet "argilla-server-59c6d4f7b8" has timed out progressing. Fix the new pods or roll back');
  });

  it('not rolling and fewer replicas available than desired: a warning; none available: an error', () => {
    const some = model([deployment('argilla-server', { replicas: 2, status: { readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 1 } })]).get(DEP)!;
    expect([some.runtime, texts(some)]).toEqual(['warning', ['1 of 2 replicas available']]);
    const none = model([deployment('argilla-server', { status: { readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 1 } })]).get(DEP)!;
    expect([none.runtime, texts(none)]).toEqual(['error', ['no replica available (0 of 1)']]);
  });

  it('main-db-password-regenerated: argilla-server\'s pod runs but is not Ready, so the Deployment is red with readiness as the reason', () => {
    const m = model([
      deployment('argilla-server', { status: { readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 1 } }),
      deploymentPod('argilla-server', '7d9f8c6b5', 'x2k9p', { containers: [container('argilla-server', running(40 * MIN), { ready: false })] }),
      event('Pod', 'argilla-server-7d9f8c6b5-x2k9p', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 500', { count: 14, fieldPath: 'spec.containers{argilla-server}' }),
    ]);
    const d = m.get(DEP)!;
    expect(d.runtime).toBe('error');
    expect(texts(d)).toContain('pod argilla-server-7d9f8c6b5-x2k9p: not ready: container argilla-server is running but fails its readiness check, so its Service sends it no traffic; last probe: Readiness probe failed: HTTP probe failed with statuscode: 500');
    expect(d.reason ?? d.reasons[0]).toMatchObject({ severity: 'error' });
  });

  it('a StatefulSet mid-rollout (update revision differs) is in progress; one with no ready pod and no rollout is an error', () => {
    const rolling = model([statefulSet('weaviate', [{ name: 'weaviate-data', storage: '8Gi' }], { replicas: 3, status: { updateRevision: 'weaviate-8c7d', updatedReplicas: 1, readyReplicas: 2 } })])
      .get(rid('extralit', 'statefulset', 'weaviate'))!;
    expect(rolling.update).toBe('in_progress');
    expect(texts(rolling)).toContain('rolling out: 1 of 3 pods updated');
    const down = model([statefulSet('elasticsearch-master', [{ name: 'elasticsearch-master', storage: '8Gi' }], { ready: 0 })]).get(rid('extralit', 'statefulset', 'elasticsearch-master'))!;
    expect([down.runtime, down.update, texts(down)]).toEqual(['error', 'idle', ['no pod ready (0 of 1)']]);
  });

  it('a failed Job says why; a DaemonSet missing pods on some nodes is a warning', () => {
    const m = model([
      obj('Job', { metadata: meta('migrate', 'extralit'), spec: { backoffLimit: 6 }, status: { failed: 7, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] } }),
      obj('DaemonSet', { metadata: meta('fluent-bit', 'extralit', { generation: 1 }), spec: { selector: { matchLabels: { app: 'fluent-bit' } } }, status: { observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 2, numberAvailable: 2, numberUnavailable: 1 } }),
    ]);
    const job = m.get(rid('extralit', 'job', 'migrate'))!;
    expect([job.runtime, texts(job)]).toEqual(['error', ['failed (BackoffLimitExceeded): Job has reached the specified backoff limit; 7 failed pods']]);
    const ds = m.get(rid('extralit', 'daemonset', 'fluent-bit'))!;
    expect([ds.runtime, texts(ds)]).toEqual(['warning', ['2 of 3 nodes have an available pod']]);
  });
});

describe('kube events: warnings and the timeline', () => {
  it.each([
    ['FailedMount', 'MountVolume.SetUp failed for volume "data" : hostPath type check failed: /tmp/kind-volumes/postgres is not a directory', 'a volume cannot be mounted (FailedMount, ×3, last 2 min ago): MountVolume.SetUp failed'],
    ['BackOff', 'Back-off restarting failed container langfuse in pod langfuse-5c8d7f9b4-q7w2z_extralit(uid)', 'restarting with back-off (BackOff, ×3, last 2 min ago): Back-off restarting failed container langfuse'],
    ['Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 'a probe fails (Unhealthy, ×3, last 2 min ago): Readiness probe failed: HTTP probe failed with statuscode: 503'],
  ])('a recent %s event is a warning on the pod\'s workload, naming the pod, and expires after 15 minutes', (reason, message, expected) => {
    const objs = [deployment('minio-x'), deploymentPod('minio-x', '5b6c7d8e9f', 'abcde'), event('Pod', 'minio-x-5b6c7d8e9f-abcde', reason, message, { count: 3, agoMs: 2 * MIN })];
    const d = model(objs).get(rid('extralit', 'deployment', 'minio-x'))!;
    const w = d.reasons.find((r) => r.severity === 'warning')!;
    expect(w.text).toContain(expected.replace(')', ' on pod minio-x-5b6c7d8e9f-abcde)'));
    expect(w.ref).toMatch(/^kube\/rig-admin\/Event\/extralit\/minio-x-5b6c7d8e9f-abcde\./);
    // Events do not make the Deployment red by themselves (Tilt keeps warnings apart).
    expect(d.runtime).toBe('ok');
    expect(texts(model(objs, NOW + 12 * MIN).get(rid('extralit', 'deployment', 'minio-x'))!).some((t) => t.includes(reason))).toBe(true);
    expect(texts(model(objs, NOW + 13 * MIN + 1).get(rid('extralit', 'deployment', 'minio-x'))!).some((t) => t.includes(reason))).toBe(false);
  });

  it('a warning the pod has since answered is history: FailedScheduling once it has a node, a failed probe before it turned Ready', () => {
    const sched = event('Pod', 'weaviate-0', 'FailedScheduling', '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.', { agoMs: 6 * MIN });
    const probe = event('Pod', 'weaviate-0', 'Unhealthy', 'Readiness probe failed: connection refused', { agoMs: 5 * MIN });
    const ready = (since: string) => [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True', lastTransitionTime: since }, { type: 'PodScheduled', status: 'True' }];
    const weaviate = (since: string) => [statefulSet('weaviate', []), pod('weaviate-0', { owners: [owner('StatefulSet', 'weaviate')], conditions: ready(since) }), sched, probe];
    expect(texts(model(weaviate(iso(4 * MIN))).get(rid('extralit', 'statefulset', 'weaviate'))!)).toEqual([]);
    // Ready since before the probe failed: that failure is news.
    expect(texts(model(weaviate(iso(20 * MIN))).get(rid('extralit', 'statefulset', 'weaviate'))!)).toEqual(['a probe fails (Unhealthy, 5 min ago on pod weaviate-0): Readiness probe failed: connection refused']);
  });

  it('the timeline is newest first, at most ten lines, and keeps Normal events too', () => {
    const evs = Array.from({ length: 12 }, (_, i) => event('Pod', 'main-db-0', i % 2 ? 'Pulled' : 'Started', `event ${i}`, { type: 'Normal', agoMs: (12 - i) * MIN }));
    const r = model([statefulSet('main-db', []), pod('main-db-0', { owners: [owner('StatefulSet', 'main-db')] }), ...evs]).get(rid('extralit', 'statefulset', 'main-db'))!;
    const lines = r.facts.events.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe(`${iso(MIN)} Normal Pulled Pod/main-db-0: event 11`);
    expect(lines[10]).toBe('… 2 older events');
    expect(r.reasons).toEqual([]);
  });
});
