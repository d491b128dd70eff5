import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { until } from '../support/wait';

// A Prometheus found in a cluster by its Service's label and reached through the kube plane's own
// port-forward. The rig's cluster runs kwok pods, so the test makes a namespace with a Prometheus Service
// and an Alertmanager Service whose pods kwok forwards to the rig's real Prometheus and Alertmanager
// (kwok PortForward objects). It adds a namespace and pods to the shared cluster: run under
// `flock /tmp/ph-scenario.lock`; afterAll deletes the namespace whatever happened.
const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const KUBECONFIG = path.join(REPO, '.rig/kube/kubeconfig');
const PROM_URL = path.join(REPO, '.rig/prometheus/url');
const skip = !existsSync(KUBECONFIG) ? 'no .rig/kube/kubeconfig: npm run rig -- up kube'
  : !existsSync(PROM_URL) ? 'no .rig/prometheus/url: npm run rig -- up prometheus' : undefined;
const NS = 'ph-itest-prometheus';

function manifest(promPort: number, amPort: number): string {
  const app = (name: string, app: string, port: number, target: number) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${NS}, labels: {app.kubernetes.io/name: ${app}}}
spec: {containers: [{name: ${app}, image: prom/${app}, ports: [{containerPort: ${port}, name: web}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${NS}, labels: {app.kubernetes.io/name: ${app}}}
spec: {selector: {app.kubernetes.io/name: ${app}}, ports: [{name: web, port: ${port}, targetPort: ${port}}]}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: PortForward
metadata: {name: ${name}, namespace: ${NS}}
spec: {forwards: [{ports: [${port}], target: {port: ${target}, address: 127.0.0.1}}]}
---`;
  return `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NS}}\n---${app('prometheus-server', 'prometheus', 9090, promPort)}${app('alertmanager', 'alertmanager', 9093, amPort)}\n`;
}

const kubectl = (args: string[], input?: string) => new Promise<string>((resolve, reject) => {
  const p = execFile('kubectl', args, { env: { ...process.env, KUBECONFIG }, timeout: 90_000 }, (err, out, errOut) => (err ? reject(new Error(`kubectl ${args.join(' ')}: ${errOut || err.message}`)) : resolve(out)));
  if (input !== undefined) p.stdin!.end(input);
});

describe.skipIf(skip)(`Prometheus found in a kube context by label, port-forwarded${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine | undefined;
  beforeAll(async () => {
    const port = (f: string) => Number(new URL(readFileSync(path.join(REPO, '.rig/prometheus', f), 'utf8').trim()).port);
    await kubectl(['apply', '-f', '-'], manifest(port('url'), port('alertmanager-url')));
    await kubectl(['-n', NS, 'wait', '--for=condition=Ready', 'pod', '--all', '--timeout=60s']);
  }, 120_000);
  afterAll(async () => {
    engine?.stop();
    // kwok pods take their 30 s grace period to go: nothing runs in them, so none is needed.
    await kubectl(['-n', NS, 'delete', 'pod', '--all', '--grace-period=0', '--force']).catch(() => undefined);
    await kubectl(['delete', 'namespace', NS, '--wait=true', '--timeout=60s']).catch(() => run('kubectl', ['delete', 'namespace', NS, '--wait=false'], { env: { ...process.env, KUBECONFIG } }));
  }, 90_000);

  it('one endpoint per Prometheus Service, reached through a kube port-forward, with its alerts and the Alertmanager Service beside it; gone with its Service', async () => {
    const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
    engine = new Engine({
      dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')), home: mkdtempSync(path.join(tmpdir(), 'ph-home-')),
      env: { PATH: process.env.PATH, PILOTHOUSE_CONFIG_DIR: configDir, KUBECONFIG, DOCKER_HOST: 'unix:///nonexistent/docker.sock', PILOTHOUSE_SSH_CONFIG: path.join(configDir, 'none') },
    });
    await engine.start();
    const e = engine;
    const ctx = e.endpoints().find((x) => x.plane === 'kube')!.name;
    const id = `prometheus/prometheus-server.${NS}@${ctx}`;
    // Up to 60 s: under a full suite's load the context's first list can take a while, and a dial before
    // the Service's Ready pod is in the model fails and is retried with backoff (2, 4, 8, 16 s).
    let last: unknown;
    const ep = await until(`endpoint ${id} connected`, () => { const x = e.endpoints().find((y) => y.id === id); last = x && { state: x.state, message: x.message }; return x?.state === 'connected' && x; }, 60_000, 200)
      .catch((err: Error) => { throw new Error(`${err.message}; it was ${JSON.stringify(last ?? 'not listed')}, kube ${JSON.stringify(e.endpoints().filter((y) => y.plane === 'kube').map((y) => [y.id, y.state, y.message]))}`); });
    expect(ep.source).toBe(`found in kube/${ctx}: Service ${NS}/prometheus-server labelled app.kubernetes.io/name=prometheus`);
    expect(ep.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ep.message).toMatch(new RegExp(`via Service ${NS}/prometheus-server:9090 in kube/${ctx}, port-forwarded to 127\\.0\\.0\\.1:\\d+$`));
    // The Alertmanager Service beside it is forwarded too (Prometheus reports an address only the cluster reaches).
    expect(ep.message).toMatch(/; Alertmanager http:\/\/127\.0\.0\.1:\d+;/);
    // The forwards are the kube plane's own resources, listed like any other.
    const fwds = e.list({ planes: ['kube'] }).filter((r) => r.kind === 'port-forward' && r.group.name === NS).map((r) => r.name).sort();
    expect(fwds).toEqual(['service:alertmanager:9093', 'service:prometheus-server:9090']);
    const watchdog = await until('RigWatchdog listed', () => e.list({ endpoints: [id] }).find((r) => r.facts.alert === 'RigWatchdog'), 20_000, 200);
    expect(watchdog.facts.source).toBe(`prometheus-server.${NS}@${ctx} (prometheus and alertmanager)`);

    // The Service goes: at the next look (a wake looks again) the endpoint, its alerts and its forward go too.
    await kubectl(['-n', NS, 'delete', 'service', 'prometheus-server']);
    e.suspend();
    e.resume();
    await until(`endpoint ${id} gone`, () => !e.endpoints().some((y) => y.id === id), 30_000, 200);
    expect(e.list({ endpoints: [id] })).toEqual([]);
    await until('its port-forward closed', () => !e.list({ planes: ['kube'] }).some((r) => r.kind === 'port-forward' && r.name === 'service:prometheus-server:9090'), 10_000, 200);
    engine.stop();
    engine = undefined;
  }, 150_000);
});
