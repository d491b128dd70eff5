import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/contract/domain';
import { builtinQueries, hasResourceUse, hostOfTarget } from '../../core/metrics/builtin';

const r = (over: Partial<Resource>): Resource => ({ id: 'x', name: 'x', kind: 'host', plane: 'ssh', endpoint: 'ssh/x', group: { kind: 'host', name: 'x' }, runtime: 'ok', update: 'idle', reasons: [], facts: {}, actions: [], ...over });

describe('CPU and memory queries per resource kind', () => {
  it("a container by cAdvisor's name label", () => {
    const q = builtinQueries(r({ plane: 'docker', kind: 'compose-service', name: 'app', facts: { container: 'text-to-image_app_1' } }))!;
    expect(q.memory).toBe('sum(container_memory_usage_bytes{name="text-to-image_app_1"})');
    expect(q.cpu).toBe('sum(rate(container_cpu_usage_seconds_total{name="text-to-image_app_1"}[1m]))');
  });

  it('a pod by namespace and pod, the pod-level cgroup left out', () => {
    const q = builtinQueries(r({ plane: 'kube', kind: 'pod', name: 'minio', group: { kind: 'namespace', name: 'extralit' } }))!;
    expect(q.memory).toBe('sum(container_memory_working_set_bytes{namespace="extralit",pod="minio",container!=""})');
  });

  it("an SSH host by node-exporter's host label or its address as instance", () => {
    const q = builtinQueries(r({ name: 'kraken-dbs', facts: { host: 'kraken@10.177.0.11:22' } }))!;
    expect(q.cpu).toBe('sum(rate(node_cpu_seconds_total{mode!="idle",host="kraken-dbs"}[1m])) or sum(rate(node_cpu_seconds_total{mode!="idle",instance=~"(kraken-dbs|10\\\\.177\\\\.0\\\\.11)(:[0-9]+)?"}[1m]))');
    expect(hostOfTarget('kraken@10.177.0.11:22')).toBe('10.177.0.11');
    expect(hostOfTarget('op@[::1]:22')).toBe('::1');
  });

  it('a name with a quote cannot break out of the selector', () => {
    const q = builtinQueries(r({ plane: 'docker', kind: 'container', facts: { container: 'a"}or vector(1)#' } }))!;
    expect(q.memory).toBe('sum(container_memory_usage_bytes{name="a\\"}or vector(1)#"})');
  });

  it('kinds without CPU or memory of their own get no such charts', () => {
    expect(hasResourceUse({ plane: 'kube', kind: 'service' })).toBe(false);
    expect(hasResourceUse({ plane: 'prometheus', kind: 'alert' })).toBe(false);
    expect(hasResourceUse({ plane: 'kube', kind: 'node' })).toBe(true);
  });
});
