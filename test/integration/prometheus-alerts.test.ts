import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PlaneEndpoint, Resource } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { PrometheusClient } from '../../core/planes/prometheus/client';
import { until } from '../support/wait';
// @ts-expect-error: a plain .mjs build script, no types
import { buildCli } from '../../scripts/build.mjs';

// Against the rig's Prometheus 2.42 and Alertmanager 0.25 (`npm run rig -- up prometheus`). The
// memory-pressure part applies a rig scenario and needs the rig Docker engine: run this file under
// `flock /tmp/ph-scenario.lock`; afterAll undoes the scenario and deletes the silence it made, whatever happened.
const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const RIG = path.join(REPO, '.rig');
const read = (f: string) => (existsSync(path.join(RIG, f)) ? readFileSync(path.join(RIG, f), 'utf8').trim() : undefined);
const PROM = read('prometheus/url');
const AM = read('prometheus/alertmanager-url');
const DOCKER_HOST = read('docker/DOCKER_HOST');
const AIRFLOW = read('airflow/url');
const skipProm = !PROM || !AM ? 'no .rig/prometheus/url or alertmanager-url: npm run rig -- up prometheus' : undefined;
const skipDocker = skipProm ?? (DOCKER_HOST ? undefined : 'no .rig/docker/DOCKER_HOST: npm run rig -- up docker');

const engines: Engine[] = [];
afterEach(() => { for (const e of engines.splice(0)) e.stop(); });

/** An engine that sees only what the test gives it: the rig Docker engine and the Prometheus settings. */
async function engine(opts: { env?: Record<string, string>; yaml?: string; docker?: boolean }): Promise<Engine> {
  const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
  if (opts.yaml) writeFileSync(path.join(configDir, 'prometheus.yaml'), opts.yaml);
  const e = new Engine({
    dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')), home: mkdtempSync(path.join(tmpdir(), 'ph-home-')),
    env: {
      PATH: process.env.PATH, PILOTHOUSE_CONFIG_DIR: configDir, KUBECONFIG: path.join(configDir, 'no-kubeconfig'),
      PILOTHOUSE_SSH_CONFIG: path.join(configDir, 'no-ssh-config'),
      DOCKER_HOST: opts.docker && DOCKER_HOST ? DOCKER_HOST : 'unix:///nonexistent/docker.sock', ...opts.env,
    },
  });
  engines.push(e);
  await e.start();
  return e;
}

const ep = (e: Engine, id: string): PlaneEndpoint | undefined => e.endpoints().find((x) => x.id === id);
const alerts = (e: Engine): Resource[] => e.list({ planes: ['prometheus'] }).filter((r) => r.kind === 'alert');

describe.skipIf(skipProm)(`Prometheus and Alertmanager on the rig${skipProm ? ` (skipped: ${skipProm})` : ''}`, () => {
  let silenceId: string | undefined;
  afterAll(async () => {
    if (silenceId) await fetch(`${AM}/api/v2/silence/${silenceId}`, { method: 'DELETE' }).catch(() => {});
  });

  it('PILOTHOUSE_PROMETHEUS_URL: one endpoint, the rig\'s firing alerts in the list with summary, value and since; Alertmanager found through Prometheus', async () => {
    const e = await engine({ env: { PILOTHOUSE_PROMETHEUS_URL: PROM! } });
    const p = ep(e, 'prometheus/env')!;
    expect(p).toMatchObject({ state: 'connected', target: PROM, source: 'PILOTHOUSE_PROMETHEUS_URL' });
    expect(p.message).toContain(`Alertmanager ${AM}`);
    const latency = alerts(e).find((r) => r.facts.alert === 'SearchRequestHighLatency')!;
    expect(latency.runtime).toBe('warning');
    expect(latency.reason!.text).toMatch(/^Alert SearchRequestHighLatency firing since \d{4}-\d\d-\d\d \d\d:\d\d UTC: Search service answers slowly$/);
    expect(latency.facts.description).toMatch(/^Mean \/search-image latency is \d+(\.\d+)?ms\.$/);
    expect(Number(latency.facts.value)).toBeGreaterThan(0.5);
    expect(latency.facts.source).toBe('env (prometheus and alertmanager)');
    expect(alerts(e).find((r) => r.facts.alert === 'RigTargetDown')!.name).toBe('RigTargetDown 127.0.0.1:59199');
  });

  it('a silence in Alertmanager shows on the alert: silenced, until when, by whom, why; the alert stops counting as a problem', async () => {
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const r = await fetch(`${AM}/api/v2/silences`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'RigTargetDown', isRegex: false, isEqual: true }], startsAt: new Date().toISOString(), endsAt, createdBy: 'pilothouse-test', comment: 'absent on purpose' }),
    });
    expect(r.status).toBe(200);
    silenceId = ((await r.json()) as { silenceID: string }).silenceID;
    const e = await engine({ env: { PILOTHOUSE_PROMETHEUS_URL: PROM!, PILOTHOUSE_ALERTMANAGER_URL: AM! } });
    const down = alerts(e).find((x) => x.facts.alert === 'RigTargetDown')!;
    expect(down.runtime).toBe('ok');
    expect(down.reason!.severity).toBe('info');
    expect(down.reason!.text).toContain(`silenced until ${endsAt.slice(0, 16).replace('T', ' ')} UTC by pilothouse-test: absent on purpose`);
    expect(down.facts.silence).toBe(silenceId);
    expect(ep(e, 'prometheus/env')!.message).toMatch(/1 silenced/);
  });

  it('Silence from the console: previewed with the exact matchers, made on Alertmanager, shown on the alert and audited; Expire silence ends it', async () => {
    const e = await engine({ env: { PILOTHOUSE_PROMETHEUS_URL: PROM!, USER: 'night-operator' } });
    const c = connectInProcess(e.handlers());
    const latency = () => alerts(e).find((r) => r.facts.alert === 'SearchRequestHighLatency')!;
    let made: string | undefined;
    try {
      // Offered once the engine has read Alertmanager (its first read may have reached only Prometheus).
      await until('the alert to offer Silence', () => latency()?.actions.length, 30_000, 250)
        .catch((err: Error) => { throw new Error(`${err.message}; the endpoint says: ${ep(e, 'prometheus/env')?.message}`); });
      expect(latency().actions).toEqual([{ id: 'silence', label: 'Silence', destructive: false, confirm: 'confirm', input: { kind: 'number', label: 'Hours', min: 1, max: 168, default: 2 } }]);
      const labels = Object.fromEntries(Object.entries(latency().facts).filter(([k]) => k.startsWith('label ')).map(([k, v]) => [k.slice(6), v]));
      const preview = await c.request('action:preview', { resource: latency().id, action: 'silence', value: 3 });
      expect(preview.summary).toBe(`Silence alert ${latency().name} of prometheus/env for 3 h on Alertmanager ${AM}`);
      // Every label of the alert, exactly: the silence quiets this alert and no other.
      for (const [k, v] of Object.entries({ alertname: 'SearchRequestHighLatency', severity: 'warning', ...labels })) expect(preview.steps[0].call).toContain(`${k}=${JSON.stringify(v)}`);
      expect(preview.steps[0].call).toMatch(new RegExp(`^POST ${AM}/api/v2/silences matchers .*, for 3 h, by night-operator \\(Pilothouse\\)$`));
      await expect(c.request('action:preview', { resource: latency().id, action: 'silence', value: 1000 })).rejects.toThrow(/: hours must be a whole number from 1 to 168 \(got 1000\)$/);

      const t0 = Date.now();
      const res = await c.request('action:run', { resource: latency().id, action: 'silence', value: 3, confirmed: true });
      made = latency().facts.silence;
      expect(res).toMatchObject({ outcome: 'ok', message: 'Silence done: SearchRequestHighLatency shows as silenced' });
      expect(latency()).toMatchObject({ runtime: 'ok', actions: [{ id: 'expire-silence', label: 'Expire silence' }] });
      expect(latency().reason!.text).toMatch(/^Alert SearchRequestHighLatency \(silenced until .+ UTC by night-operator \(Pilothouse\): Silenced for 3 h from Pilothouse\): Search service answers slowly; firing since /);
      // Alertmanager holds it as made: the same matchers, three hours long.
      const held = ((await (await fetch(`${AM}/api/v2/silences`)).json()) as Array<{ id: string; endsAt: string; createdBy: string; matchers: Array<{ name: string; value: string }> }>).find((x) => x.id === made)!;
      expect(held.createdBy).toBe('night-operator (Pilothouse)');
      expect(Date.parse(held.endsAt) - t0).toBeGreaterThan(3 * 3_600_000 - 60_000);
      expect(Date.parse(held.endsAt) - t0).toBeLessThan(3 * 3_600_000 + 60_000);
      expect(Object.fromEntries(held.matchers.map((m) => [m.name, m.value]))).toMatchObject({ alertname: 'SearchRequestHighLatency', ...labels });
      expect(JSON.parse(res.audit)).toMatchObject({ action: 'prometheus.silence', outcome: 'ok', resource: latency().id, steps: preview.steps });

      const ended = await c.request('action:run', { resource: latency().id, action: 'expire-silence', confirmed: true });
      expect(ended).toMatchObject({ outcome: 'ok' });
      expect(latency()).toMatchObject({ runtime: 'warning', actions: [{ id: 'silence' }] });
      expect(JSON.parse(ended.audit)).toMatchObject({ action: 'prometheus.expire-silence', outcome: 'ok', steps: [{ call: `DELETE ${AM}/api/v2/silence/${made}` }] });
      made = undefined;
    } finally {
      // The rig's alert must not stay quiet for other tests, whatever failed above.
      if (made) await fetch(`${AM}/api/v2/silence/${made}`, { method: 'DELETE' }).catch(() => {});
      c.close();
    }
  }, 90_000);

  it('a wrong URL, a URL that is not Prometheus and a bad query each say what is wrong and where', async () => {
    const e = await engine({ yaml: `prometheus:\n  nowhere:\n    url: http://127.0.0.1:59198\n  airflow:\n    url: ${AIRFLOW ?? 'http://127.0.0.1:58080'}\n  bad:\n    url: 127.0.0.1:59090\n` });
    expect(ep(e, 'prometheus/nowhere')).toMatchObject({ state: 'unavailable', message: 'Prometheus at http://127.0.0.1:59198/api/v1/alerts cannot be reached: ECONNREFUSED' });
    expect(ep(e, 'prometheus/nowhere')!.retryAt).toBeGreaterThan(Date.now());
    if (AIRFLOW) expect(ep(e, 'prometheus/airflow')!.message).toMatch(new RegExp(`^${AIRFLOW}/api/v1/alerts answered HTTP 404, not as Prometheus does \\(is the URL right\\?\\)`));
    expect(ep(e, 'prometheus/bad')).toMatchObject({ state: 'unavailable', configError: true, message: expect.stringMatching(/prometheus\.yaml line 7: prometheus\.bad\.url: an http:\/\/ or https:\/\/ URL$/) });
    await expect(new PrometheusClient(PROM!).queryRange('rate(up[1m]', Date.now() - 60_000, Date.now(), 15))
      .rejects.toThrow(/^Prometheus at http:\/\/127\.0\.0\.1:59090\/api\/v1\/query_range\?.* answered HTTP 400: bad_data: 1:12: parse error: unclosed left parenthesis$/);
  });
});

describe.skipIf(skipDocker)(`ContainerHighMemoryUsage fires for real on the rig container memory-pressure${skipDocker ? ` (skipped: ${skipDocker})` : ''}`, () => {
  const scenario = (undo: boolean) => run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', 'memory-pressure', ...(undo ? ['--undo'] : [])], { timeout: 120_000 });
  beforeAll(async () => { await scenario(false); }, 130_000);
  afterAll(async () => { await scenario(true); }, 130_000);

  it('the alert is on the container\'s resource (red, with summary and since) and in the list; `status` shows it', async () => {
    const yaml = `prometheus:\n  rig:\n    url: ${PROM}\nrefreshSeconds: 5\n`;
    const e = await engine({ yaml, docker: true });
    const id = await until('the docker plane to list memory-pressure', () => e.list({ planes: ['docker'] }).find((r) => r.name === 'memory-pressure')?.id, 30_000);
    expect(id).toMatch(/^docker\/[^/]+\/standalone\/memory-pressure$/);
    // The engine read the alerts at start (before the docker engine was listed, maybe): the next read attaches it.
    const r = await until('the alert on the container', () => { const x = e.list({ ids: [id] })[0]; return x?.runtime === 'error' && x; }, 20_000, 250);
    expect(r.reason!.text).toMatch(/^Alert ContainerHighMemoryUsage firing since .+ UTC: Container memory-pressure is close to its memory limit$/);
    expect(r.reason!.ref).toMatch(/^prometheus\/rig\/alert\/\/ContainerHighMemoryUsage-/);
    const a = alerts(e).find((x) => x.facts.alert === 'ContainerHighMemoryUsage')!;
    expect(a).toMatchObject({ runtime: 'error', name: 'ContainerHighMemoryUsage memory-pressure', group: { kind: 'alerts', name: 'rig alerts' } });
    expect(a.facts.concerns).toContain(id);
    expect(Number(a.facts.value)).toBeGreaterThan(80);

    await buildCli({ quiet: true });
    const cfg = path.dirname(path.join(e.opts.env!.PILOTHOUSE_CONFIG_DIR!, 'x'));
    const out = await run(process.execPath, [path.join(REPO, 'bin/pilothouse.mjs'), 'status', '--json'], {
      env: { PATH: process.env.PATH, PILOTHOUSE_CONFIG_DIR: cfg, KUBECONFIG: '/nonexistent', PILOTHOUSE_SSH_CONFIG: '/nonexistent', DOCKER_HOST: DOCKER_HOST!, HOME: e.opts.home },
      timeout: 60_000,
    }).catch((err: { stdout: string }) => err); // exits 1: the rig has problems
    const rows = (JSON.parse(out.stdout) as { resources: Resource[] }).resources;
    expect(rows.find((x) => x.id === id)!.reasons.map((x) => x.text).join('\n')).toContain('Alert ContainerHighMemoryUsage firing');
    expect(rows.some((x) => x.kind === 'alert' && x.name === 'ContainerHighMemoryUsage memory-pressure' && x.runtime === 'error')).toBe(true);
  }, 120_000);
});
