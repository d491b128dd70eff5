import { describe, expect, it } from 'vitest';
import { EP, deployment, meta, model, node, obj, owner, rid } from '../support/kube-fixtures';
import { KubeApiError } from '../../core/planes/kube/actions-api';
import { fetchUsage, KubeUsage, labelSelectorQuery, usageError, USAGE_KIND } from '../../core/planes/kube/metrics';
import type { PlaneSink } from '../../core/planes/plane';
import type { Resource } from '../../shared/contract/domain';
import { cpuText, memText } from '../../core/planes/kube/rules/usage';
import type { KubeUsageData } from '../../core/planes/kube/usage-data';
import type { KubeTransport } from '../../core/planes/kube/client';
import type { ModelObject } from '../../core/model/object';
import { Readable } from 'node:stream';

const usage = (kind: string, name: string, data: KubeUsageData, ns = 'extralit'): ModelObject<KubeUsageData> =>
  ({ plane: 'kube', endpoint: EP, kind: USAGE_KIND, ns, name: `${kind}/${name}`, data });

function chatbotPod(suffix: string, requests: Record<string, string> | undefined) {
  return obj('Pod', {
    metadata: meta(`pdf-chatbot-7c9d-${suffix}`, 'extralit', { labels: { app: 'pdf-chatbot' }, ownerReferences: [owner('ReplicaSet', 'pdf-chatbot-7c9d')] }),
    spec: { nodeName: 'kind-worker', containers: [{ name: 'pdf-chatbot', image: 'pdf-chatbot:latest', ...(requests ? { resources: { requests } } : {}) }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'pdf-chatbot', ready: true, restartCount: 0, state: { running: {} } }] },
  });
}

describe('kube CPU and memory facts (metrics.k8s.io) on a looked-at resource', () => {
  it('a pod: used against requested, as kubectl top spells it', () => {
    const m = model([chatbotPod('a1', { cpu: '250m', memory: '512Mi' }), usage('pod', 'pdf-chatbot-7c9d-a1', {
      timestamp: '2026-12-06T12:00:00Z', window: '15.2s', pods: [{ name: 'pdf-chatbot-7c9d-a1', cpuCores: 0.105, memoryBytes: 300 * 2 ** 20 }],
    })]);
    expect(m.get(rid('extralit', 'pod', 'pdf-chatbot-7c9d-a1'))!.facts).toMatchObject({
      'cpu used': '105m (42% of 250m requested)', 'memory used': '300Mi (59% of 512Mi requested)', 'usage sampled': '2026-12-06T12:00:00Z over 15.2s',
    });
  });

  it('a workload sums its pods; without requests there is no percentage', () => {
    const m = model([deployment('pdf-chatbot', { replicas: 2 }), chatbotPod('a1', undefined), chatbotPod('b2', undefined),
      usage('deployment', 'pdf-chatbot', { pods: [{ name: 'pdf-chatbot-7c9d-a1', cpuCores: 0.1, memoryBytes: 2 ** 30 }, { name: 'pdf-chatbot-7c9d-b2', cpuCores: 1.4, memoryBytes: 2 ** 29 }] })]);
    expect(m.get(rid('extralit', 'deployment', 'pdf-chatbot'))!.facts).toMatchObject({ 'cpu used': '1.5 cores over 2 pods', 'memory used': '1.5Gi over 2 pods' });
  });

  it('a node: used against allocatable', () => {
    const n = node('kind-worker');
    (n.data as { allocatable: Record<string, string> }).allocatable = { cpu: '4', memory: '16Gi' };
    const m = model([n, usage('node', 'kind-worker', { node: { cpuCores: 0.2, memoryBytes: 2 * 2 ** 30 } }, '')]);
    expect(m.get(rid('', 'node', 'kind-worker'))!.facts).toMatchObject({ 'cpu used': '200m of 4 cores allocatable (5%)', 'memory used': '2Gi of 16Gi allocatable (13%)' });
  });

  it('no figures: the fact says why instead of a blank', () => {
    const m = model([chatbotPod('a1', { cpu: '250m' }), usage('pod', 'pdf-chatbot-7c9d-a1', { error: 'metrics.k8s.io is not served in this cluster (no metrics-server registered)' })]);
    expect(m.get(rid('extralit', 'pod', 'pdf-chatbot-7c9d-a1'))!.facts.usage).toBe('unavailable: metrics.k8s.io is not served in this cluster (no metrics-server registered)');
  });

  it('nobody looking: no usage object, no usage facts', () => {
    const f = model([chatbotPod('a1', { cpu: '250m' })]).get(rid('extralit', 'pod', 'pdf-chatbot-7c9d-a1'))!.facts;
    expect(Object.keys(f).filter((k) => k.includes('used') || k === 'usage')).toEqual([]);
  });

  it('units', () => {
    expect([cpuText(0.0004), cpuText(0.25), cpuText(1), cpuText(2.345)]).toEqual(['0m', '250m', '1 core', '2.35 cores']);
    expect([memText(512), memText(96 * 2 ** 20), memText(1.5 * 2 ** 30), memText(7.25 * 2 ** 20)]).toEqual(['512B', '96Mi', '1.5Gi', '7.3Mi']);
  });
});

/** A transport answering each GET path from a table (status, JSON body), recording what was asked. */
function fakeTransport(answers: Record<string, [number, unknown]>, asked: string[]): KubeTransport {
  return {
    send: async (_m: string, path: string) => {
      asked.push(path);
      const [status, body] = answers[path] ?? [404, { kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' }];
      const r = Readable.from([Buffer.from(JSON.stringify(body))]) as Readable & { statusCode: number };
      r.statusCode = status;
      return r as never;
    },
  } as unknown as KubeTransport;
}

describe('kube metrics.k8s.io fetch', () => {
  it('a Deployment asks for its own pods by its selector, once, and keeps only pods the model has', async () => {
    const asked: string[] = [];
    const t = fakeTransport({
      '/apis/metrics.k8s.io/v1beta1/namespaces/extralit/pods?labelSelector=app%3Dpdf-chatbot': [200, { items: [
        { metadata: { name: 'pdf-chatbot-7c9d-a1' }, timestamp: 't', window: '15s', containers: [{ name: 'pdf-chatbot', usage: { cpu: '105123456n', memory: '307200Ki' } }] },
        { metadata: { name: 'pdf-chatbot-old-zz' }, containers: [{ name: 'pdf-chatbot', usage: { cpu: '1m', memory: '1Mi' } }] },
      ] }],
    }, asked);
    const d = await fetchUsage(t, { endpoint: EP, ns: 'extralit', kind: 'deployment', name: 'pdf-chatbot' }, [deployment('pdf-chatbot'), chatbotPod('a1', undefined)]);
    expect(asked).toEqual(['/apis/metrics.k8s.io/v1beta1/namespaces/extralit/pods?labelSelector=app%3Dpdf-chatbot']);
    expect(d.pods).toEqual([{ name: 'pdf-chatbot-7c9d-a1', cpuCores: 0.105123456, memoryBytes: 300 * 2 ** 20 }]);
  });

  it('errors say what is wrong: group not served, no figures yet, metrics-server down, forbidden', async () => {
    const d = await fetchUsage(fakeTransport({}, []), { endpoint: EP, ns: 'extralit', kind: 'pod', name: 'p' }, []);
    expect(d.error).toBe('metrics.k8s.io is not served in this cluster (no metrics-server registered)');
    expect(usageError(new KubeApiError(404, 'NotFound', 'podmetrics.metrics.k8s.io "p" not found'), 'pod p')).toBe('metrics-server has no figures for pod p yet (it scrapes every 15 s; a pod just started has none)');
    expect(usageError(new KubeApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'), 'pod p')).toBe('metrics-server is registered but not answering (the server is currently unable to handle the request)');
    expect(usageError(new KubeApiError(403, 'Forbidden', 'pods.metrics.k8s.io "p" is forbidden'), 'pod p')).toBe('not allowed to read metrics.k8s.io: pods.metrics.k8s.io "p" is forbidden');
  });

  it('a selector with expressions is not guessed at', () => {
    expect(labelSelectorQuery({ matchLabels: { app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] })).toBeUndefined();
    expect(labelSelectorQuery({ matchLabels: { app: 'x', tier: 'web' }, matchExpressions: [] })).toBe('app=x,tier=web');
  });
});

describe('kube usage looks', () => {
  it('one fetch stream per resource however many look; its object leaves with the last look; nothing for kinds without usage', async () => {
    const asked: string[] = [];
    const t = fakeTransport({ '/apis/metrics.k8s.io/v1beta1/namespaces/extralit/pods/p1': [200, { metadata: { name: 'p1' }, containers: [{ name: 'c', usage: { cpu: '5m', memory: '1Mi' } }] }] }, asked);
    const upserts: ModelObject[] = [], removed: string[] = [];
    const sink = { upsert: (o: ModelObject) => upserts.push(o), remove: (k: string) => removed.push(k), objectsOf: () => [] } as unknown as PlaneSink;
    const usage = new KubeUsage(60_000);
    const pod = { id: rid('extralit', 'pod', 'p1') } as Resource;
    const a = usage.look(pod, { id: EP, transport: t }, sink);
    const b = usage.look(pod, { id: EP, transport: t }, sink);
    usage.look({ id: rid('extralit', 'service', 's') } as Resource, { id: EP, transport: t }, sink)();
    await new Promise((r) => setTimeout(r, 50));
    expect(asked).toEqual(['/apis/metrics.k8s.io/v1beta1/namespaces/extralit/pods/p1']);
    expect(upserts.map((o) => [o.kind, o.ns, o.name])).toEqual([[USAGE_KIND, 'extralit', 'pod/p1']]);
    a();
    expect(removed).toEqual([]);
    b();
    expect(removed).toEqual([`${EP}/${USAGE_KIND}/extralit/pod/p1`]);
    usage.stop();
  });
});
