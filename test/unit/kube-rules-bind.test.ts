import { describe, expect, it } from 'vitest';
import { claimStatefulSets } from '../../core/planes/kube/rules/bind';
import { kubeRules } from '../../core/planes/kube/rules';
import { parseResourceId } from '../../core/planes/kube/rules/ids';
import {
  EP, container, deployment, deploymentPod, event, model, node, obj, owner, pod, pv, pvc, replicaSet, rid, running, statefulSet, storageClass, meta, texts,
} from '../support/kube-fixtures';

describe('kube rules: which resource an object is part of', () => {
  it('a Deployment, its ReplicaSet and its pods are one resource; each pod is also its own, with the Deployment as parent', () => {
    const m = model([
      deployment('argilla-server'), replicaSet('argilla-server', '7d9f8c6b5'),
      deploymentPod('argilla-server', '7d9f8c6b5', 'x2k9p'),
    ]);
    const d = m.get(rid('extralit', 'deployment', 'argilla-server'))!;
    expect(d).toMatchObject({ kind: 'deployment', name: 'argilla-server', plane: 'kube', endpoint: EP, group: { kind: 'namespace', name: 'extralit' }, runtime: 'ok', update: 'idle' });
    expect(d.children).toEqual([rid('extralit', 'pod', 'argilla-server-7d9f8c6b5-x2k9p')]);
    expect(m.objectsOf(d.id).map((o) => o.kind).sort()).toEqual(['Deployment', 'Pod', 'ReplicaSet']);
    const p = m.get(rid('extralit', 'pod', 'argilla-server-7d9f8c6b5-x2k9p'))!;
    expect(p.parent).toBe(d.id);
    expect(p.facts).toMatchObject({ status: 'Running', ready: '1/1', restarts: '0', node: 'kind-control-plane' });
    // No ReplicaSet resource of its own, and no phantom resources from name-based guesses.
    expect([...m.all()].map((r) => r.id).sort()).toEqual([d.id, p.id]);
  });

  it('a StatefulSet holds its pods and the claims of its templates (<template>-<statefulset>-<ordinal>), which are also resources of their own', () => {
    const m = model([
      statefulSet('elasticsearch-master', [{ name: 'elasticsearch-master', storage: '8Gi' }], { labels: { app: 'elasticsearch-master', chart: 'elasticsearch', release: 'elasticsearch' } }),
      pod('elasticsearch-master-0', { owners: [owner('StatefulSet', 'elasticsearch-master')], containers: [container('elasticsearch', running())] }),
      pvc('elasticsearch-master-elasticsearch-master-0', { volume: 'elastic-pv' }),
      // Another claim whose name also ends in -0 but belongs to no template of this StatefulSet.
      pvc('minio-pv-claim', { volume: 'minio-pv', storage: '10Gi' }),
      pvc('data-master-0', { volume: 'x' }),
    ]);
    const st = m.get(rid('extralit', 'statefulset', 'elasticsearch-master'))!;
    expect(st.children).toEqual([rid('extralit', 'pod', 'elasticsearch-master-0'), rid('extralit', 'pvc', 'elasticsearch-master-elasticsearch-master-0')]);
    expect(st.facts['claim elasticsearch-master-elasticsearch-master-0']).toContain('Bound');
    expect(st.facts).toMatchObject({ 'helm release': 'elasticsearch', chart: 'elasticsearch' });
    expect(m.get(rid('extralit', 'pvc', 'elasticsearch-master-elasticsearch-master-0'))).toBeDefined();
    expect(m.get(rid('extralit', 'pvc', 'minio-pv-claim'))).toBeDefined();
    expect(m.get(rid('extralit', 'statefulset', 'master'))).toBeUndefined();
    expect(claimStatefulSets('data-main-db-0')).toEqual(['main-db', 'db']);
  });

  it('a CronJob holds its Jobs; a Job holds its pods and has the CronJob as parent; a bare pod is its own resource', () => {
    const cron = obj('CronJob', { metadata: meta('reindex', 'extralit'), spec: { schedule: '0 3 * * *' }, status: { lastScheduleTime: '2026-12-06T03:00:00Z' } });
    const job = obj('Job', {
      metadata: meta('reindex-29417940', 'extralit', { ownerReferences: [owner('CronJob', 'reindex')] }),
      spec: { completions: 1, backoffLimit: 6 },
      status: { succeeded: 1, startTime: '2026-12-06T03:00:00Z', completionTime: '2026-12-06T03:02:00Z', conditions: [{ type: 'Complete', status: 'True' }] },
    });
    const jobPod = pod('reindex-29417940-k2x7q', {
      owners: [owner('Job', 'reindex-29417940')], phase: 'Succeeded', restartPolicy: 'Never',
      containers: [container('reindex', { terminated: { exitCode: 0, reason: 'Completed' } })],
    });
    const m = model([cron, job, jobPod, pod('minio', { labels: { app: 'minio' }, claims: ['minio-pv-claim'] })]);
    expect(m.get(rid('extralit', 'cronjob', 'reindex'))!.children).toEqual([rid('extralit', 'job', 'reindex-29417940')]);
    const j = m.get(rid('extralit', 'job', 'reindex-29417940'))!;
    expect(j).toMatchObject({ parent: rid('extralit', 'cronjob', 'reindex'), runtime: 'ok', children: [rid('extralit', 'pod', 'reindex-29417940-k2x7q')] });
    expect(m.get(rid('extralit', 'pod', 'reindex-29417940-k2x7q'))!.facts.status).toBe('Completed');
    const minio = m.get(rid('extralit', 'pod', 'minio'))!;
    expect(minio.parent).toBeUndefined();
    expect(minio.facts.claims).toBe('minio-pv-claim');
  });

  it('cluster-scoped things (PVs, classes, nodes) have namespace \'\' and the cluster as group; secrets have no runtime', () => {
    const secret = obj('Secret', { metadata: meta('main-db', 'extralit', { labels: { 'app.kubernetes.io/instance': 'main-db' }, annotations: { 'meta.helm.sh/release-name': 'main-db' } }), data: { 'postgres-password': 'c2VjcmV0' } });
    const m = model([pv('postgres-pv', { storage: '2Gi' }), storageClass('k8-storage-policy'), node('kind-control-plane'), secret]);
    for (const [kind, name] of [['pv', 'postgres-pv'], ['storageclass', 'k8-storage-policy'], ['node', 'kind-control-plane']]) {
      expect(m.get(rid('', kind, name))!.group).toEqual({ kind: 'cluster', name: 'rig-admin' });
    }
    const s = m.get(rid('extralit', 'secret', 'main-db'))!;
    expect(s).toMatchObject({ runtime: 'not_applicable', group: { kind: 'namespace', name: 'extralit' }, facts: { 'app instance': 'main-db', 'helm release': 'main-db' } });
    expect(JSON.stringify(m.objectsOf(s.id))).not.toContain('c2VjcmV0');
    expect(m.get(rid('', 'storage', 'storage'))).toMatchObject({ kind: 'storage', group: { kind: 'cluster', name: 'rig-admin' } });
  });

  it('an event joins the resource of the object it is about (and the workload of a pod it names)', () => {
    const m = model([
      deployment('langfuse'), deploymentPod('langfuse', '5c8d7f9b4', 'q7w2z'),
      event('Pod', 'langfuse-5c8d7f9b4-q7w2z', 'BackOff', 'Back-off restarting failed container langfuse in pod langfuse-5c8d7f9b4-q7w2z_extralit', { count: 12 }),
      // About a pod this Deployment does not hold (gone, or another workload's): not its event.
      event('Pod', 'langfuse-5c8d7f9b4-gone1', 'BackOff', 'old pod'),
    ]);
    const d = m.get(rid('extralit', 'deployment', 'langfuse'))!;
    expect(texts(d).join('\n')).toContain('Back-off restarting failed container langfuse');
    expect(texts(d).join('\n')).not.toContain('old pod');
    expect(d.facts.events).toMatch(/Warning BackOff ×12 Pod\/langfuse-5c8d7f9b4-q7w2z/);
    expect(m.get(rid('extralit', 'pod', 'langfuse-5c8d7f9b4-q7w2z'))!.facts.events).toContain('BackOff');
  });

  it('resource ids are read from the right, so a context name with \'/\' (EKS) still parses', () => {
    expect(parseResourceId('kube/arn:aws:eks:eu-west-1:1:cluster/prod/extralit/deployment/argilla-server'))
      .toEqual({ endpoint: 'kube/arn:aws:eks:eu-west-1:1:cluster/prod', ns: 'extralit', kind: 'deployment', name: 'argilla-server' });
    expect(kubeRules.bind(pv('elastic-pv', { storage: '8Gi' }))).toContain(`${EP}//pv/elastic-pv`);
  });

  it('a Service holds its EndpointSlices: no ready endpoint behind a selector is a warning', () => {
    const svc = obj('Service', { metadata: meta('argilla-server', 'extralit'), spec: { type: 'ClusterIP', clusterIP: '10.96.0.12', selector: { app: 'argilla-server' }, ports: [{ name: 'http', port: 6900, targetPort: 6900, protocol: 'TCP' }] } });
    const slice = (ready: boolean) => obj('EndpointSlice', {
      metadata: meta('argilla-server-x7k2p', 'extralit', { labels: { 'kubernetes.io/service-name': 'argilla-server' } }), addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.9'], conditions: { ready }, targetRef: { kind: 'Pod', namespace: 'extralit', name: 'argilla-server-7d9f8c6b5-x2k9p' } }],
      ports: [{ name: 'http', port: 6900, protocol: 'TCP' }],
    });
    const up = model([svc, slice(true)]).get(rid('extralit', 'service', 'argilla-server'))!;
    expect(up).toMatchObject({ runtime: 'ok', facts: { type: 'ClusterIP', 'cluster ip': '10.96.0.12', ports: 'http 6900/TCP', selector: 'app=argilla-server', endpoints: '1 ready, 0 not ready' } });
    const down = model([svc, slice(false)]).get(rid('extralit', 'service', 'argilla-server'))!;
    expect([down.runtime, texts(down)]).toEqual(['warning', ['no ready endpoints: no Ready pod matches app=argilla-server, so connections to argilla-server fail']]);
  });

  it('an HPA is its own resource and a fact of the Deployment it scales; one that cannot scale warns', () => {
    const hpa = obj('HorizontalPodAutoscaler', {
      metadata: meta('pdf-chatbot', 'pdf-chatbot'), spec: { scaleTargetRef: { kind: 'Deployment', name: 'pdf-chatbot' }, minReplicas: 1, maxReplicas: 5 },
      status: { currentReplicas: 1, desiredReplicas: 1, conditions: [{ type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'the HPA was unable to compute the replica count: failed to get cpu utilization' }] },
    });
    const dep = { ...deployment('pdf-chatbot'), ns: 'pdf-chatbot' };
    (dep.data as { meta: { ns: string } }).meta.ns = 'pdf-chatbot';
    const m = model([dep, hpa]);
    const d = m.get(rid('pdf-chatbot', 'deployment', 'pdf-chatbot'))!;
    expect(d.facts.autoscaler).toBe('pdf-chatbot: 1–5 replicas, now 1, wants 1');
    expect(texts(d)).toEqual(['autoscaler pdf-chatbot is not scaling (FailedGetResourceMetric): the HPA was unable to compute the replica count: failed to get cpu utilization']);
    expect(m.get(rid('pdf-chatbot', 'hpa', 'pdf-chatbot'))).toMatchObject({ runtime: 'warning', parent: d.id });
  });

  it('a resource seen for the first time is "since" its last condition change, not since the engine started', () => {
    const p = pod('minio', { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-06T11:20:00Z' }, { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-06T11:19:00Z' }] });
    expect(model([p]).get(rid('extralit', 'pod', 'minio'))!.since).toBe(Date.parse('2026-12-06T11:20:00Z'));
  });
});
