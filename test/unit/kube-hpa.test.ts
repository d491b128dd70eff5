import { describe, expect, it } from 'vitest';
import { MIN, deployment, event, iso, meta, model, obj, rid, texts } from '../support/kube-fixtures';
import { metricLine, unknownWhy } from '../../core/planes/kube/rules/hpa';
import { trimHPA } from '../../core/planes/kube/objects';

const DEP = rid('extralit', 'deployment', 'pdf-chatbot');
const CPU70 = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }];

/** An autoscaling/v2 HPA as the API sends it (status written by kube-controller-manager). */
function hpa(status: Record<string, unknown>, o: { name?: string; target?: string; metrics?: unknown[]; max?: number } = {}) {
  return obj('HorizontalPodAutoscaler', {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
    metadata: meta(o.name ?? 'pdf-chatbot', 'extralit'),
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: o.target ?? 'pdf-chatbot' }, minReplicas: 1, maxReplicas: o.max ?? 5, metrics: o.metrics ?? CPU70 },
    status,
  });
}

const able = { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', lastTransitionTime: iso(30 * MIN) };
const reading = (pct: number, replicas = 1, desired = replicas) => ({
  currentReplicas: replicas, desiredReplicas: desired,
  currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: pct, averageValue: `${Math.round(250 * pct / 100)}m` } } }],
  conditions: [able, { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' },
    { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange' }],
});
// What the rig's HPA said before metrics-server: the controller reads nothing and writes desiredReplicas 0.
const notServed = {
  currentReplicas: 1, desiredReplicas: 0, currentMetrics: [{ type: '' }],
  conditions: [able, { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)' }],
};

describe('kube HPA on its Deployment', () => {
  it('shows replicas now and wanted within min–max and the CPU figure against its target', () => {
    const d = model([deployment('pdf-chatbot'), hpa(reading(42))]).get(DEP)!;
    expect(d.facts).toMatchObject({ autoscaler: 'pdf-chatbot: 1–5 replicas, now 1, wants 1', 'autoscaler metrics': 'CPU 42% of 70% target' });
    expect(d.facts['autoscaler unknown']).toBeUndefined();
    expect(d.runtime).toBe('ok');
  });

  it('a metric the controller cannot read is unknown with why, and the 0 it writes is not shown as a wish', () => {
    const m = model([deployment('pdf-chatbot'), hpa(notServed)]);
    const d = m.get(DEP)!;
    expect(d.facts).toMatchObject({
      autoscaler: 'pdf-chatbot: 1–5 replicas, now 1, wants ?', 'autoscaler metrics': 'CPU unknown of 70% target',
      'autoscaler unknown': 'metrics.k8s.io is not served in this cluster (no metrics-server registered)',
    });
    // The workload runs; its autoscaler is what is broken: a warning reason on it, the HPA itself yellow.
    expect(d.runtime).toBe('ok');
    expect(d.reasons.find((r) => r.text.startsWith('autoscaler'))).toMatchObject({ severity: 'warning' });
    expect(m.get(rid('extralit', 'hpa', 'pdf-chatbot'))!.runtime).toBe('warning');
    expect(texts(d)).toContain('autoscaler pdf-chatbot cannot read CPU unknown of 70% target: metrics.k8s.io is not served in this cluster (no metrics-server registered); it does not scale on it');
  });

  it('tells "metrics-server not answering" from "not served" and from a container without a CPU request', () => {
    const h = (message: string) => trimHPA({ metadata: { name: 'x', namespace: 'n' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 3, metrics: CPU70 },
      status: { conditions: [{ type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message }] } });
    expect(unknownWhy(h('the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server is currently unable to handle the request (get pods.metrics.k8s.io)')))
      .toBe('metrics-server is registered but not answering (the server is currently unable to handle the request (get pods.metrics.k8s.io))');
    expect(unknownWhy(h('the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container streamlit of Pod pdf-chatbot-7c9d-x2')))
      .toBe('no CPU request set on container streamlit of pod pdf-chatbot-7c9d-x2: utilization is a percentage of the pods\' requests');
    expect(unknownWhy(h('the HPA was unable to compute the replica count: failed to get cpu utilization: did not receive metrics for targeted pods (pods might be unready)')))
      .toBe('metrics-server has no figures for these pods yet (new pods, or not scraped yet)');
  });

  it('without a condition, the latest metric warning event says why', () => {
    const h = trimHPA({ metadata: { name: 'x', namespace: 'n' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 3, metrics: CPU70 }, status: {} });
    const e = (agoMs: number, message: string) => event('HorizontalPodAutoscaler', 'x', 'FailedGetResourceMetric', message, { agoMs }).data as never;
    expect(unknownWhy(h, [e(5 * MIN, 'missing request for cpu'), e(MIN, 'unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)')]))
      .toBe('metrics.k8s.io is not served in this cluster (no metrics-server registered)');
  });

  it('recent scaling events of the HPA, newest first, join the Deployment named like it', () => {
    const d = model([
      deployment('pdf-chatbot', { replicas: 3 }), hpa(reading(95, 3, 4)),
      event('HorizontalPodAutoscaler', 'pdf-chatbot', 'SuccessfulRescale', 'New size: 2; reason: cpu resource utilization (percentage of request) above target', { type: 'Normal', agoMs: 6 * MIN }),
      event('HorizontalPodAutoscaler', 'pdf-chatbot', 'SuccessfulRescale', 'New size: 3; reason: cpu resource utilization (percentage of request) above target', { type: 'Normal', agoMs: 2 * MIN }),
    ]).get(DEP)!;
    expect(d.facts['autoscaler metrics']).toBe('CPU 95% of 70% target');
    expect(d.facts.autoscaler).toBe('pdf-chatbot: 1–5 replicas, now 3, wants 4');
    expect(d.facts['autoscaler events']!.split('\n')).toEqual([
      `${iso(2 * MIN)} SuccessfulRescale: New size: 3; reason: cpu resource utilization (percentage of request) above target`,
      `${iso(6 * MIN)} SuccessfulRescale: New size: 2; reason: cpu resource utilization (percentage of request) above target`,
    ]);
    // The HPA's metric warnings are summed up in its "unknown" line, not repeated as the Deployment's own warnings.
    expect(texts(d).filter((t) => t.includes('FailedGetResourceMetric'))).toEqual([]);
  });

  it('held at its maximum is said, with the figure that wants more', () => {
    const st = reading(180, 5, 5);
    st.conditions[2] = { type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
    const d = model([deployment('pdf-chatbot', { replicas: 5 }), hpa(st)]).get(DEP)!;
    expect(texts(d)).toContain('autoscaler pdf-chatbot is held at its maximum of 5 replicas (CPU 180% of 70% target)');
  });

  it('an HPA named otherwise still shows on its target; memory by average value and a custom metric read as written', () => {
    const metrics = [
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '400Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'requests_per_second' }, target: { type: 'AverageValue', averageValue: '10' } } },
    ];
    const d = model([deployment('pdf-chatbot'), hpa({
      currentReplicas: 1, desiredReplicas: 1, conditions: [able],
      currentMetrics: [{ type: 'Resource', resource: { name: 'memory', current: { averageValue: '300Mi' } } }, { type: 'Pods', pods: { metric: { name: 'requests_per_second' }, current: { averageValue: '4' } } }],
    }, { name: 'chatbot-autoscaler', metrics })]).get(DEP)!;
    expect(d.facts['autoscaler metrics']).toBe('memory 300Mi of 400Mi target, requests_per_second 4 of 10 target');
    expect(d.facts.autoscaler).toBe('chatbot-autoscaler: 1–5 replicas, now 1, wants 1');
  });

  it('metricLine for a container resource names the container', () => {
    expect(metricLine({ type: 'ContainerResource', name: 'cpu', container: 'app', targetType: 'Utilization', target: '60', currentUtilization: 30 })).toBe('CPU (container app) 30% of 60% target');
  });
});
