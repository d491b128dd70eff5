import { describe, expect, it } from 'vitest';
import { event, model, node, rid, texts } from '../support/kube-fixtures';

const N = rid('', 'node', 'kind-worker');
const conds = (over: Record<string, { status: string; reason?: string; message?: string }>) =>
  ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({ type, ...over[type], status: over[type]?.status ?? (type === 'Ready' ? 'True' : 'False') }));

describe('kube nodes as hosts', () => {
  it('a Ready node is ok, with its roles, capacity and versions as facts', () => {
    const r = model([node('kind-control-plane', { roles: ['control-plane'] })]).get(rid('', 'node', 'kind-control-plane'))!;
    expect(r).toMatchObject({ kind: 'node', runtime: 'ok', reasons: [], group: { kind: 'cluster', name: 'rig-admin' } });
    expect(r.facts).toMatchObject({ roles: 'control-plane', kubelet: 'v1.33.13', 'internal ip': '127.0.0.1', capacity: 'cpu 8, memory 16Gi, pods 110, disk 100Gi' });
  });

  it('NotReady, and a kubelet that stopped reporting, are errors with the condition\'s message', () => {
    const down = model([node('kind-worker', { conditions: conds({ Ready: { status: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready: NetworkReady=false' } }) })]).get(N)!;
    expect([down.runtime, texts(down)]).toEqual(['error', ['NotReady (KubeletNotReady): pods here are not started or restarted (container runtime network not ready: NetworkReady=false)']]);
    const gone = model([node('kind-worker', { conditions: conds({ Ready: { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } }) })]).get(N)!;
    expect(gone.runtime).toBe('error');
    expect(texts(gone)[0]).toMatch(/^NotReady: the kubelet stopped reporting.*its pods will be evicted \(Kubelet stopped posting node status\.\)$/);
  });

  it.each([
    ['MemoryPressure', 'kubelet has insufficient memory available', 'memory pressure: the kubelet is evicting pods to free memory (kubelet has insufficient memory available)'],
    ['DiskPressure', 'kubelet has disk pressure', 'disk pressure: the kubelet is evicting pods and removing images to free disk (kubelet has disk pressure)'],
    ['PIDPressure', 'kubelet has insufficient PID available', 'too many processes (PIDPressure): the kubelet is evicting pods (kubelet has insufficient PID available)'],
  ])('%s is a warning saying what the kubelet does about it', (type, message, expected) => {
    const r = model([node('kind-worker', { conditions: conds({ [type]: { status: 'True', message } }) })]).get(N)!;
    expect([r.runtime, texts(r)]).toEqual(['warning', [expected]]);
  });

  it('a cordoned node is a warning; its events are on its timeline', () => {
    const r = model([node('kind-worker', { unschedulable: true }), event('Node', 'kind-worker', 'NodeNotSchedulable', 'Node kind-worker status is now: NodeNotSchedulable', { type: 'Normal' })]).get(N)!;
    expect([r.runtime, texts(r)]).toEqual(['warning', ['cordoned: no new pods are scheduled here (uncordon to allow them again)']]);
    expect(r.facts).toMatchObject({ schedulable: 'no (cordoned)', taints: 'node.kubernetes.io/unschedulable:NoSchedule' });
    expect(r.facts.events).toContain('Normal NodeNotSchedulable Node/kind-worker: Node kind-worker status is now: NodeNotSchedulable');
  });
});
