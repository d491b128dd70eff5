import { describe, expect, it } from 'vitest';
import type { KubePod } from '../../core/planes/kube/objects';
import { podHealth } from '../../core/planes/kube/rules/pod-health';
import { podStatusText } from '../../core/planes/kube/rules/pod-status';
import { MIN, NOW, container, deployment, deploymentPod, event, iso, model, owner, pod, rid, running, texts, type PodOpts } from '../support/kube-fixtures';
import type { ModelObject } from '../../core/model/object';

const health = (p: ModelObject, events: ModelObject[] = [], now = NOW) =>
  podHealth({ pod: p.data as KubePod, ref: 'ref', events: events.map((e) => e.data as never), now });
const status = (o: PodOpts) => podStatusText(pod('p', o).data as KubePod);

describe('kube pod status text (kubectl get pods STATUS)', () => {
  it('follows kubectl\'s printer: init progress, init failures, waiting and terminated reasons, Terminating', () => {
    const waitingInit = { waiting: { reason: 'PodInitializing' } };
    expect(status({ phase: 'Pending', initStatuses: [container('migrate', { running: { startedAt: iso(MIN) } }, { ready: false, started: false })], containers: [container('app', waitingInit, { ready: false })], conditions: [{ type: 'Initialized', status: 'False' }] })).toBe('Init:0/1');
    expect(status({ phase: 'Pending', initStatuses: [container('migrate', { waiting: { reason: 'CrashLoopBackOff' } }, { restarts: 4 })], containers: [container('app', waitingInit, { ready: false })], conditions: [] })).toBe('Init:CrashLoopBackOff');
    expect(status({ phase: 'Pending', initStatuses: [container('migrate', { terminated: { exitCode: 3 } })], containers: [container('app', waitingInit, { ready: false })], conditions: [] })).toBe('Init:ExitCode:3');
    expect(status({ containers: [container('langfuse', { waiting: { reason: 'CrashLoopBackOff' } }, { restarts: 7 })] })).toBe('CrashLoopBackOff');
    expect(status({ phase: 'Succeeded', containers: [container('job', { terminated: { exitCode: 0, reason: 'Completed' } })] })).toBe('Completed');
    expect(status({ containers: [container('app', { terminated: { exitCode: 137, reason: 'OOMKilled' } })] })).toBe('OOMKilled');
    // A finished sidecar-less container next to a running, not-ready one: NotReady, not Completed.
    expect(status({ containers: [container('a', { terminated: { exitCode: 0, reason: 'Completed' } }), container('b', running(), { ready: true })], conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'False' }] })).toBe('NotReady');
    expect(status({ deletionTimestamp: iso(MIN) })).toBe('Terminating');
    expect(status({ phase: 'Pending', containers: [container('redis', { waiting: { reason: 'ContainerCreating' } }, { ready: false })] })).toBe('ContainerCreating');
  });
});

describe('kube pod health (Tilt\'s pod rules, in words an operator acts on)', () => {
  it('CrashLoopBackOff: error with restarts, the last exit and its message', () => {
    const p = pod('langfuse-5c8d7f9b4-q7w2z', { containers: [container('langfuse', { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=langfuse' } }, {
      restarts: 7, ready: false, last: { terminated: { exitCode: 1, reason: 'Error', message: 'getaddrinfo ENOTFOUND langfuse-db', finishedAt: iso(2 * MIN) } },
    })] });
    const h = health(p);
    expect(h.runtime).toBe('error');
    expect(h.reasons[0]).toEqual({ severity: 'error', ref: 'ref', text: 'container langfuse keeps crashing (CrashLoopBackOff): restarted 7 times; last run ended 2 min ago with exit code 1: getaddrinfo ENOTFOUND langfuse-db. Read its previous log for why it exits' });
    expect(h.recheckAt).toBe(NOW + MIN);
  });

  it.each([
    ['ErrImagePull', 'rpc error: code = NotFound desc = failed to pull and unpack image "localhost:5005/extralit/argilla-server:v0.2.1": not found', /cannot pull image .*ErrImagePull.*check the image name, tag and registry credentials: rpc error/],
    ['ImagePullBackOff', 'Back-off pulling image "localhost:5005/extralit/argilla-server:v0.2.1"', /cannot pull image .*\(ImagePullBackOff\)/],
    ['RunContainerError', 'failed to create containerd task: exec: "/entrypoint.sh": permission denied', /fails to start \(RunContainerError\): failed to create containerd task/],
    ['CreateContainerConfigError', 'secret "main-db" not found', /cannot be created from its configuration \(CreateContainerConfigError\); a secret, config map or key it names is missing: secret "main-db" not found/],
  ])('%s: error naming the container and the API\'s message', (reason, message, expected) => {
    const h = health(pod('argilla-server-7d9f8c6b5-x2k9p', { phase: 'Pending', containers: [container('argilla-server', { waiting: { reason, message } }, { ready: false })] }));
    expect(h.runtime).toBe('error');
    expect(h.reasons[0].text).toMatch(expected);
  });

  it('OOMKilled: error that says out of memory; Error: the exit code', () => {
    const oom = health(pod('p', { restartPolicy: 'Never', phase: 'Failed', containers: [container('weaviate', { terminated: { exitCode: 137, reason: 'OOMKilled' } })] }));
    expect(oom.runtime).toBe('error');
    expect(oom.reasons.map((r) => r.text)).toContain('container weaviate was killed for running out of memory (OOMKilled, exit code 137 (SIGKILL)); raise its memory limit or find the leak');
    const failed = health(pod('p', { restartPolicy: 'Never', phase: 'Failed', containers: [container('migrate', { terminated: { exitCode: 2, reason: 'Error', message: 'relation "users" does not exist' } })] }));
    expect(failed.reasons.map((r) => r.text)).toContain('container migrate exited with exit code 2: relation "users" does not exist');
  });

  it('Completed is healthy for a Job\'s pod, and a warning for a long-running container', () => {
    const done = [container('reindex', { terminated: { exitCode: 0, reason: 'Completed' } })];
    const job = health(pod('reindex-29417940-k2x7q', { owners: [owner('Job', 'reindex-29417940')], restartPolicy: 'Never', phase: 'Succeeded', containers: done }));
    expect(job.runtime).toBe('ok');
    expect(job.reasons.map((r) => r.text)).toEqual(['container reindex completed']);
    const server = health(pod('extralit-server-1', { containers: [container('extralit-server', { terminated: { exitCode: 0, reason: 'Completed' } })] }));
    expect(server.runtime).toBe('warning');
  });

  it('not Ready: error with the failing condition, and the probe\'s output from the Unhealthy event', () => {
    const p = deploymentPod('argilla-server', '7d9f8c6b5', 'x2k9p', { containers: [container('argilla-server', running(10 * MIN), { ready: false })] });
    const plain = health(p);
    expect(plain.runtime).toBe('error');
    expect(plain.reasons[0].text).toBe('not ready: container argilla-server is running but fails its readiness check, so its Service sends it no traffic (containers with unready status: [argilla-server])');
    const probe = event('Pod', 'argilla-server-7d9f8c6b5-x2k9p', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 500', { fieldPath: 'spec.containers{argilla-server}', count: 30 });
    expect(health(p, [probe]).reasons[0].text).toMatch(/fails its readiness check, so its Service sends it no traffic; last probe: Readiness probe failed: HTTP probe failed with statuscode: 500$/);
  });

  it('a container started less than a minute ago and not ready yet is pending, and is looked at again when the grace ends', () => {
    const h = health(pod('p', { containers: [container('weaviate', running(20_000), { ready: false })] }));
    expect(h.runtime).toBe('pending');
    expect(h.recheckAt).toBe(NOW - 20_000 + 60_000);
  });

  it('Pending and unschedulable: error with FailedScheduling\'s message', () => {
    const msg = '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    const p = pod('redis-6b8f9d7c5-h4j2k', {
      phase: 'Pending', containers: [],
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg }],
    });
    const h = health(p);
    expect(h.runtime).toBe('error');
    expect(h.reasons[0].text).toBe(`cannot be scheduled: ${msg}`);
  });

  it('restarted 3 times in the last minutes while running now: a warning that ages out (recheckAt)', () => {
    const p = pod('p', { containers: [container('argilla-server', running(2 * MIN), { restarts: 3, last: { terminated: { exitCode: 1, reason: 'Error', finishedAt: iso(2 * MIN) } } })] });
    const h = health(p);
    expect(h.runtime).toBe('warning');
    expect(h.reasons[0].text).toBe('container argilla-server restarted 3 times, last 2 min ago after exit code 1');
    expect(h.recheckAt).toBe(NOW - 2 * MIN + 3 * MIN);
    // Five minutes after the last restart it is history.
    expect(health(p, [], NOW + 3 * MIN).runtime).toBe('ok');
  });

  it('a pod deleted long ago and still there is stuck terminating', () => {
    expect(health(pod('p', { deletionTimestamp: iso(MIN) })).runtime).toBe('pending');
    expect(health(pod('p', { deletionTimestamp: iso(10 * MIN) })).reasons[0].text).toMatch(/^stuck terminating: deleted 10 min ago/);
  });

  it('the crashlooping pod of a rollout turns its Deployment red (not hidden as an update in progress)', () => {
    const m = model([
      deployment('langfuse', { status: { replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 1 } }),
      deploymentPod('langfuse', '6f7c8d9e1', 'old01'),
      deploymentPod('langfuse', '5c8d7f9b4', 'q7w2z', { containers: [container('langfuse', { waiting: { reason: 'CrashLoopBackOff' } }, { restarts: 4, ready: false, last: { terminated: { exitCode: 1, reason: 'Error', finishedAt: iso(MIN) } } })] }),
    ]);
    const d = m.get(rid('extralit', 'deployment', 'langfuse'))!;
    expect(d.runtime).toBe('error');
    expect(d.update).toBe('idle');
    expect(texts(d)[0]).toMatch(/^pod langfuse-5c8d7f9b4-q7w2z: container langfuse keeps crashing \(CrashLoopBackOff\)/);
    expect(m.get(rid('extralit', 'pod', 'langfuse-5c8d7f9b4-q7w2z'))!.facts.status).toBe('CrashLoopBackOff');
  });
});
