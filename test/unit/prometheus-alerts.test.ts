import { describe, expect, it } from 'vitest';
import type { AmAlert, AmSilence, PromAlert } from '../../core/planes/prometheus/client';
import { ALERT_KIND, readableValue, alertObjectName, alertReason, annotateWithAlerts, deriveAlert, mergeAlerts, prometheusRules, severityOf, type AlertData } from '../../core/planes/prometheus/alerts';
import { alertTargets, composeCandidates, instanceHost, knownEndpoints, podOwners, sshAddresses } from '../../core/planes/prometheus/targets';
import type { ModelObject } from '../../core/model/object';
import { Model } from '../../core/model/store';
import { dockerRules } from '../../core/planes/docker/rules';
import type { ContainerView } from '../../core/planes/docker/container';

const NOW = Date.parse('2026-12-06T18:00:00Z');

// What the rig's Prometheus and Alertmanager answer (trimmed from real answers).
const memAlert: PromAlert = {
  labels: { alertname: 'ContainerHighMemoryUsage', name: 'memory-pressure', severity: 'critical' },
  annotations: { summary: 'Container memory-pressure is close to its memory limit', description: 'memory-pressure uses 88.2% of its memory limit.' },
  state: 'firing', activeAt: '2026-12-06T17:42:40.047758521Z', value: '8.8201904296875e+01',
};
const pendingAlert: PromAlert = {
  labels: { alertname: 'PoolMountMissing', host: 'kraken-workers', instance: '10.177.0.13:9100', job: 'kraken-hosts', severity: 'critical' },
  annotations: { summary: 'kraken-workers has no pool mounts' }, state: 'pending', activeAt: '2026-12-06T17:59:55Z', value: '1e+00',
};
const amFor = (p: PromAlert, silencedBy: string[] = []): AmAlert => ({
  labels: { ...p.labels, rig: 'pilothouse' }, annotations: p.annotations, startsAt: p.activeAt!, endsAt: '2026-12-06T18:04:00Z',
  fingerprint: 'f1', status: { state: silencedBy.length ? 'suppressed' : 'active', silencedBy, inhibitedBy: [] },
});
const silence: AmSilence = {
  id: 's-1', matchers: [{ name: 'alertname', value: 'ContainerHighMemoryUsage', isRegex: false, isEqual: true }],
  startsAt: '2026-12-06T17:50:00Z', endsAt: '2026-12-06T19:50:00Z', createdBy: 'oncall', comment: 'known, resizing', status: { state: 'active' },
};

const known = knownEndpoints([
  { id: 'docker/default', plane: 'docker', name: 'default', target: 'unix:///var/run/docker.sock', source: 'default', state: 'connected' },
  { id: 'kube/rig', plane: 'kube', name: 'rig', target: 'https://127.0.0.1:56443', source: 'kubeconfig', state: 'connected' },
  { id: 'ssh/kraken-workers', plane: 'ssh', name: 'kraken-workers', target: 'kraken@10.177.0.13:22', source: 'ssh config', state: 'connected' },
]);

const obj = (d: Omit<AlertData, 'targets' | 'source'>): ModelObject<AlertData> => ({
  plane: 'prometheus', endpoint: 'prometheus/env', kind: ALERT_KIND, ns: '', name: alertObjectName(d.labels),
  data: { ...d, targets: alertTargets(d.labels, known), source: 'env' },
});

describe('alert targets: which resources an alert is about, by its labels', () => {
  it('a cAdvisor container name: the standalone container and the compose services the name could spell', () => {
    expect(alertTargets({ name: 'memory-pressure' }, known)).toEqual(['docker/default/standalone/memory-pressure']);
    expect(alertTargets({ name: 'text-to-image_app_1' }, known)).toContain('docker/default/text-to-image/app');
    expect(alertTargets({ name: 'shop-web-2' }, known)).toContain('docker/default/shop/web-2');
  });
  it('compose labels name the service exactly', () => {
    expect(alertTargets({ name: 'x', container_label_com_docker_compose_project: 'alphakraken', container_label_com_docker_compose_service: 'webapp' }, known))
      .toEqual(['docker/default/alphakraken/webapp']);
  });
  it('namespace + pod: the pod and the workloads its name belongs to', () => {
    const t = alertTargets({ namespace: 'extralit', pod: 'argilla-server-7d9f8b6c4-x2x9q' }, known);
    expect(t).toContain('kube/rig/extralit/pod/argilla-server-7d9f8b6c4-x2x9q');
    expect(t).toContain('kube/rig/extralit/deployment/argilla-server');
    expect(alertTargets({ namespace: 'extralit', pod: 'main-db-0' }, known)).toContain('kube/rig/extralit/statefulset/main-db');
    expect(podOwners('main-db-0')).toEqual([{ kind: 'statefulset', name: 'main-db' }]);
  });
  it('kube-state-metrics labels and node', () => {
    expect(alertTargets({ namespace: 'pdf-chatbot', deployment: 'pdf-chatbot' }, known)).toEqual(['kube/rig/pdf-chatbot/deployment/pdf-chatbot']);
    expect(alertTargets({ node: 'kwok-node-0' }, known)).toEqual(['kube/rig//node/kwok-node-0']);
  });
  it('host and instance: the SSH host by alias or address', () => {
    expect(alertTargets({ host: 'kraken-workers', instance: '10.177.0.13:9100', job: 'kraken-hosts' }, known)).toEqual(['ssh/kraken-workers/host/kraken-workers']);
    expect(alertTargets({ instance: '10.177.0.13:9100' }, known)).toEqual(['ssh/kraken-workers/host/kraken-workers']);
    expect(alertTargets({ instance: '127.0.0.1:59199', job: 'absent-exporter' }, known)).toEqual([]);
  });
  it('a Prometheus found in one context attaches to that context only', () => {
    const two = knownEndpoints([
      { id: 'kube/a', plane: 'kube', name: 'a', target: '', source: '', state: 'connected' },
      { id: 'kube/b', plane: 'kube', name: 'b', target: '', source: '', state: 'connected' },
    ], 'kube/b');
    expect(alertTargets({ namespace: 'n', deployment: 'd' }, two)).toEqual(['kube/b/n/deployment/d']);
  });
  it('parses addresses', () => {
    expect(sshAddresses('kraken@10.177.0.11:22 via kraken-infra')).toEqual(['10.177.0.11']);
    expect(sshAddresses('[fe80::1]:2222')).toEqual(['fe80::1']);
    expect(instanceHost('node1:9100')).toBe('node1');
    expect(instanceHost('[::1]:9100')).toBe('::1');
    expect(composeCandidates('web')).toEqual([]);
  });
});

describe('mergeAlerts: Prometheus and Alertmanager', () => {
  it('one alert both know carries Alertmanager\'s silence with until, by and comment', () => {
    const [a] = mergeAlerts([memAlert], [amFor(memAlert, ['s-1'])], [silence], NOW);
    expect(a!.seenIn).toEqual(['prometheus', 'alertmanager']);
    expect(a!.silenced).toEqual({ id: 's-1', until: Date.parse('2026-12-06T19:50:00Z'), by: 'oncall', comment: 'known, resizing' });
    const r = alertReason({ ...a!, targets: [], source: 'env' }, 'ref');
    expect(r.severity).toBe('info');
    expect(r.text).toContain('silenced until 2026-12-06 19:50 UTC by oncall: known, resizing');
  });
  it('an expired silence does not silence', () => {
    const [a] = mergeAlerts([memAlert], [amFor(memAlert, ['s-1'])], [{ ...silence, endsAt: '2026-12-06T17:55:00Z', status: { state: 'expired' } }], NOW);
    expect(a!.silenced).toBeUndefined();
  });
  it('keeps pending alerts, drops inactive ones, adds alerts only Alertmanager holds', () => {
    const other: AmAlert = { ...amFor({ ...memAlert, labels: { alertname: 'Other', severity: 'warning' } }), endsAt: '2026-12-06T18:10:00Z' };
    const resolved: AmAlert = { ...amFor({ ...memAlert, labels: { alertname: 'Gone' } }), endsAt: '2026-12-06T17:00:00Z' };
    const out = mergeAlerts([memAlert, pendingAlert, { ...memAlert, state: 'inactive' }], [other, resolved], [], NOW);
    expect(out.map((a) => `${a.alertname} ${a.state} ${a.seenIn.join('+')}`)).toEqual([
      'ContainerHighMemoryUsage firing prometheus', 'PoolMountMissing pending prometheus', 'Other firing alertmanager',
    ]);
  });
});

describe('alert resources and reasons', () => {
  it('severity label → reason severity', () => {
    expect(severityOf({ severity: 'critical' })).toBe('error');
    expect(severityOf({ severity: 'warning' })).toBe('warning');
    expect(severityOf({})).toBe('warning');
    expect(severityOf({ severity: 'none' })).toBe('info');
  });
  it('a firing critical alert is an error resource with summary, description, value and since', () => {
    const [d] = mergeAlerts([memAlert], undefined, undefined, NOW);
    const o = obj(d!);
    const r = deriveAlert(`prometheus/env/alert/${o.name}`, o).resource;
    expect(r.runtime).toBe('error');
    expect(r.name).toBe('ContainerHighMemoryUsage memory-pressure');
    expect(r.reason!.text).toBe('Alert ContainerHighMemoryUsage firing since 2026-12-06 17:42 UTC: Container memory-pressure is close to its memory limit');
    expect(r.facts).toMatchObject({ description: 'memory-pressure uses 88.2% of its memory limit.', value: '88.2', since: '2026-12-06 17:42 UTC', concerns: 'docker/default/standalone/memory-pressure' });
    expect(r.stateSince).toBe(Date.parse(memAlert.activeAt!));
  });
  it('pending is pending, with an info reason', () => {
    const [d] = mergeAlerts([pendingAlert], undefined, undefined, NOW);
    const r = deriveAlert('x', obj(d!)).resource;
    expect(r.runtime).toBe('pending');
    expect(r.reason!.severity).toBe('info');
  });
  it('annotations on another resource: worst first, runtime from the worst firing one', () => {
    const objs = mergeAlerts([memAlert, pendingAlert], undefined, undefined, NOW).map(obj);
    const a = annotateWithAlerts(objs)!;
    expect(a.runtime).toBe('error');
    expect(a.reasons.map((r) => r.severity)).toEqual(['error', 'info']);
    const silenced = mergeAlerts([memAlert], [amFor(memAlert, ['s-1'])], [silence], NOW).map(obj);
    expect(annotateWithAlerts(silenced)!.runtime).toBeUndefined();
  });
  it('values read as numbers', () => {
    expect(readableValue('8.8201904296875e+01')).toBe('88.2');
    expect(readableValue('7.031e-01')).toBe('0.7031');
    expect(readableValue('1e+00')).toBe('1');
    expect(readableValue('NaN')).toBe('NaN');
    expect(readableValue('1.5e+09')).toBe('1.500e+9');
  });
  it('object names are stable and differ by labels', () => {
    expect(alertObjectName(memAlert.labels)).toBe(alertObjectName({ ...memAlert.labels }));
    expect(alertObjectName(memAlert.labels)).not.toBe(alertObjectName({ ...memAlert.labels, name: 'other' }));
    expect(alertObjectName({ alertname: 'A', id: '/docker/abc' })).not.toContain('/');
  });
});

describe('the model: an alert is a resource of its own and a reason on the container it names', () => {
  it('turns the ok container red with the alert as its row reason; goes when the alert goes', () => {
    const m = new Model({ schedule: () => {}, now: () => NOW });
    m.registerRules('docker', dockerRules);
    m.registerRules('prometheus', prometheusRules);
    m.upsert({
      plane: 'docker', endpoint: 'docker/default', kind: 'container', ns: '', name: 'c1',
      data: { id: 'c1', name: 'memory-pressure', image: 'pilothouse/rig-base:1', labels: {}, state: { status: 'running', startedAt: '2026-12-06T17:00:00Z', exitCode: 0, oomKilled: false, restartCount: 0 }, ports: [], tty: false } satisfies ContainerView,
    });
    m.flush();
    const id = 'docker/default/standalone/memory-pressure';
    expect(m.get(id)?.runtime).toBe('ok');
    const [d] = mergeAlerts([memAlert], undefined, undefined, NOW);
    const a = obj(d!);
    m.upsert(a);
    m.flush();
    expect(m.get(id)!.runtime).toBe('error');
    expect(m.get(id)!.reason!.text).toContain('Alert ContainerHighMemoryUsage firing');
    expect(m.get(`prometheus/env/alert/${a.name}`)!.kind).toBe('alert');
    // A guessed target that no plane derives makes no resource.
    expect([...m.all()].map((r) => r.id).sort()).toEqual([id, `prometheus/env/alert/${a.name}`].sort());
    m.remove(`prometheus/env/alert//${a.name}`);
    m.flush();
    expect(m.get(id)!.runtime).toBe('ok');
    expect(m.get(id)!.reasons.some((r) => r.text.startsWith('Alert'))).toBe(false);
  });
});
