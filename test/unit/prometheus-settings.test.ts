import { describe, expect, it } from 'vitest';
import { formatPromError, loadPromConfig, parsePromConfig } from '../../core/planes/prometheus/settings';
import { alertmanagerBase } from '../../core/planes/prometheus/instance';
import { choosePort } from '../../core/planes/prometheus/access';
import { discoveredName } from '../../core/planes/prometheus/plane';

const F = '/cfg/prometheus.yaml';

describe('prometheus.yaml', () => {
  it('reads a URL, an SSH tunnel and a kube Service, with defaults', () => {
    const c = parsePromConfig(`prometheus:
  main:
    url: http://prom.lab:9090/
    alertmanager: http://am.lab:9093
  lab:
    ssh: {host: kraken-infra}
  cluster:
    kube: {context: prod, namespace: monitoring, service: prometheus-server}
    alertmanager: false
discover: {kube: false}
refreshSeconds: 30
`, F);
    expect(c.errors).toEqual([]);
    expect(c.discoverKube).toBe(false);
    expect(c.refreshMs).toBe(30_000);
    expect(c.entries).toEqual([
      { name: 'main', via: { kind: 'url', url: 'http://prom.lab:9090' }, alertmanager: 'http://am.lab:9093', source: `${F} line 2` },
      { name: 'lab', via: { kind: 'ssh', host: 'kraken-infra', remotePort: 9090, remoteHost: '127.0.0.1', localPort: 0 }, source: `${F} line 5` },
      { name: 'cluster', via: { kind: 'kube', context: 'prod', namespace: 'monitoring', service: 'prometheus-server', port: 9090 }, alertmanager: false, source: `${F} line 7` },
    ]);
  });

  it('a bad entry is named with file, line and field; the others load', () => {
    const c = parsePromConfig(`prometheus:
  good:
    url: http://prom:9090
  bad:
    url: prom:9090
  both:
    url: http://a:1
    ssh: {host: h}
  typo:
    ulr: http://x
`, F);
    expect(c.entries.map((e) => e.name)).toEqual(['good']);
    expect(c.errors.map(formatPromError)).toEqual([
      `${F} line 5: prometheus.bad.url: an http:// or https:// URL`,
      `${F} line 6: prometheus.both: give exactly one of url, ssh, kube`,
      `${F} line 10: prometheus.typo.ulr: Unrecognized key: "ulr"`,
    ]);
  });

  it('broken YAML and unknown top-level keys', () => {
    expect(parsePromConfig('prometheus: [\n', F).errors[0]).toMatchObject({ file: F, field: '(yaml)' });
    expect(parsePromConfig('promethues: {}\n', F).errors[0]).toMatchObject({ line: 1, field: 'promethues' });
    expect(parsePromConfig('refreshSeconds: 1\n', F).errors[0]!.message).toContain('at least 5 s');
  });

  it('PILOTHOUSE_PROMETHEUS_URL and PILOTHOUSE_ALERTMANAGER_URL make endpoint env; a bad one is an error', () => {
    const env = (e: Record<string, string>) => ({ env: e, home: '/h', now: () => 0 });
    const c = loadPromConfig(env({ PILOTHOUSE_PROMETHEUS_URL: 'http://127.0.0.1:59090/', PILOTHOUSE_ALERTMANAGER_URL: 'http://127.0.0.1:59093' }), () => undefined);
    expect(c.entries).toEqual([{ name: 'env', via: { kind: 'url', url: 'http://127.0.0.1:59090' }, alertmanager: 'http://127.0.0.1:59093', source: 'PILOTHOUSE_PROMETHEUS_URL' }]);
    const bad = loadPromConfig(env({ PILOTHOUSE_PROMETHEUS_URL: '127.0.0.1:59090' }), () => undefined);
    expect(bad.entries).toEqual([]);
    expect(formatPromError(bad.errors[0]!)).toBe('PILOTHOUSE_PROMETHEUS_URL: PILOTHOUSE_PROMETHEUS_URL: "127.0.0.1:59090" is not an http:// or https:// URL');
    const amOnly = loadPromConfig(env({ PILOTHOUSE_ALERTMANAGER_URL: 'http://127.0.0.1:59093' }), () => undefined);
    expect(amOnly.errors[0]!.message).toContain('is set without PILOTHOUSE_PROMETHEUS_URL');
  });
});

describe('discovery helpers', () => {
  it('Alertmanager base from the URL Prometheus reports', () => {
    expect(alertmanagerBase('http://127.0.0.1:59093/api/v2/alerts')).toBe('http://127.0.0.1:59093');
    expect(alertmanagerBase('http://am:9093/prefix/api/v1/alerts')).toBe('http://am:9093/prefix');
  });
  it('the Service port: named web/http, else the default, else the first TCP one', () => {
    expect(choosePort([{ name: 'grpc', port: 10901 }, { name: 'http-web', port: 80 }], 9090)).toBe(80);
    expect(choosePort([{ name: 'metrics', port: 8080 }, { port: 9090 }], 9090)).toBe(9090);
    expect(choosePort([{ port: 53, protocol: 'UDP' }, { port: 8080 }], 9090)).toBe(8080);
    expect(choosePort([], 9090)).toBeUndefined();
  });
  it('a found Prometheus is named service.namespace@context, without slashes', () => {
    expect(discoveredName('kube/rig', 'monitoring', 'prometheus-server')).toBe('prometheus-server.monitoring@rig');
    expect(discoveredName('kube/arn:aws:eks:eu:1:cluster/prod', 'm', 'p')).toBe('p.m@arn:aws:eks:eu:1:cluster_prod');
  });
});
