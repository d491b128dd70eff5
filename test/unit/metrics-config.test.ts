import { describe, expect, it } from 'vitest';
import { chartsFor, formatMetricsError, parseMetricsConfig, patternToRegExp } from '../../core/metrics/config';
import { fillQuery } from '../../core/metrics/promql';

const FILE = '/home/op/.config/pilothouse/metrics.yaml';

describe('metrics.yaml', () => {
  it('reads Prometheus and the charts per resource pattern', () => {
    const c = parseMetricsConfig(`prometheus: http://127.0.0.1:59090/
resources:
  "docker/*/text-to-image/app":
    - title: Search latency p95
      query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))
      unit: seconds
  "kube/**/pod/*":
    - {title: Restarts, query: 'kube_pod_container_status_restarts_total{pod="{{name}}"}', unit: count}
`, FILE);
    expect(c.errors).toEqual([]);
    expect(c.prometheus).toBe('http://127.0.0.1:59090');
    expect(chartsFor(c, 'docker/rig/text-to-image/app').map((x) => x.title)).toEqual(['Search latency p95']);
    expect(chartsFor(c, 'docker/rig/text-to-image/app/extra')).toEqual([]);
    expect(chartsFor(c, 'kube/ctx/extralit/pod/minio').map((x) => x.unit)).toEqual(['count']);
  });

  it('a wrong unit names file, line, field and the units there are; the good charts still load', () => {
    const c = parseMetricsConfig(`resources:
  "docker/**":
    - title: ok
      query: up
      unit: count
    - title: bad
      query: up
      unit: megabytes
`, FILE);
    expect(c.rules[0].charts.map((x) => x.title)).toEqual(['ok']);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatchObject({ file: FILE, line: 8, field: 'resources.docker/**.1.unit' });
    expect(formatMetricsError(c.errors[0])).toBe(`${FILE} line 8: resources.docker/**.1.unit: expected one of bytes, cores, percent, seconds, ratio, per-second, count`);
  });

  it('a missing query, an unknown field, an unknown top key and a bad URL are each named at their line', () => {
    const c = parseMetricsConfig(`prometheus: not a url
dashboards: {}
resources:
  "ssh/**":
    - title: no query
      unit: bytes
    - title: typo
      query: up
      unit: count
      colour: red
`, FILE);
    expect(c.errors.map((e) => [e.line, e.field])).toEqual([[1, 'prometheus'], [2, 'dashboards'], [5, 'resources.ssh/**.0.query'], [10, 'resources.ssh/**.1.colour']]);
    expect(c.rules).toEqual([]);
  });

  it('YAML that does not parse is reported with its line, and nothing is taken from it', () => {
    const c = parseMetricsConfig('resources:\n  "docker/**":\n    - title: a\n      query: up\n     unit: count\n', FILE);
    expect(c.errors[0]).toMatchObject({ field: '(yaml)', line: 5 });
    expect(formatMetricsError(c.errors[0])).toMatch(/metrics\.yaml line 5: \(yaml\): /);
    expect(c.rules).toEqual([]);
    expect(parseMetricsConfig('resources:\n  a: []\n  a: []\n', FILE).errors[0]).toMatchObject({ line: 3, message: expect.stringContaining('unique') });
  });

  it('a pattern that cannot match an id (no plane first) and a URL with a bad port are named', () => {
    const c = parseMetricsConfig(`prometheus: "http://127.0.0.1:abc"
resources:
  "text-to-image/app":
    - {title: t, query: up, unit: count}
  "*/**/app":
    - {title: t, query: up, unit: count}
`, FILE);
    expect(c.errors.map((e) => [e.line, e.field])).toEqual([[1, 'prometheus'], [3, 'resources.text-to-image/app']]);
    expect(c.errors[1].message).toMatch(/matches no resource: a resource id starts with its plane \(docker, kube, ssh, .*\), e\.g\. "docker\/\*\/text-to-image\/app"/);
    expect(c.rules.map((r) => r.pattern)).toEqual(['*/**/app']);
  });

  it('a pattern: * stays within one part of the id, ** crosses them; the rest is literal', () => {
    expect(patternToRegExp('kube/*/pod/*').test('kube/ctx/pod/x')).toBe(true);
    expect(patternToRegExp('kube/*/pod/*').test('kube/ctx/ns/pod/x')).toBe(false);
    expect(patternToRegExp('kube/**/pod/*').test('kube/ctx/ns/pod/x')).toBe(true);
    expect(patternToRegExp('a.b').test('axb')).toBe(false);
  });

  it('placeholders are filled as PromQL string contents (a quote in a name cannot end the string)', () => {
    expect(fillQuery('up{pod="{{name}}",namespace="{{ namespace }}"} {{other}}', { name: 'a"b\\c', namespace: 'ns' }))
      .toBe('up{pod="a\\"b\\\\c",namespace="ns"} {{other}}');
  });

  it('a name is escaped for the quote it stands in, and refused where it could rewrite the query', () => {
    // Airflow pool names (and alert names) may hold any character: they are data, never PromQL.
    const pool = { name: "a' or vector(1) or up{x=\"", namespace: 'ns', id: 'airflow/af/pool/a' };
    expect(fillQuery("airflow_pool_open_slots{pool='{{name}}'}", pool)).toBe("airflow_pool_open_slots{pool='a\\' or vector(1) or up{x=\"'}");
    expect(fillQuery('up{pool="{{name}}"}', pool)).toBe('up{pool="a\' or vector(1) or up{x=\\""}');
    expect(fillQuery('up{pool=`{{namespace}}`}', pool)).toBe('up{pool=`ns`}');
    expect(() => fillQuery('up{pool=`{{name}}`}', { name: 'x`} or vector(1)' })).toThrow(/\{\{name\}\} is inside a raw `…` string/);
    expect(() => fillQuery('up{pool={{name}}}', pool)).toThrow(/\{\{name\}\} is outside a quoted string: write it as a label value, "\{\{name\}\}"/);
    // An escaped quote does not end the string; a quote in a comment opens none; nothing in a comment is filled.
    expect(fillQuery('up{a="x\\"{{name}}"} # it\'s {{name}}\n+ up{b="{{namespace}}"}', pool))
      .toBe('up{a="x\\"a\' or vector(1) or up{x=\\""} # it\'s {{name}}\n+ up{b="ns"}');
  });
});
