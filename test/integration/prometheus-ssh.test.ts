import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { relay } from '../support/relay';
import { until } from '../support/wait';

// A Prometheus entry reached through an SSH host: the tunnel is the SSH plane's own (a resource on the
// host). The rig's Prometheus listens on this machine's 127.0.0.1, which the rig hosts (own network
// namespaces) cannot reach, so the tunnel goes to what does listen there, kraken-infra's node-exporter:
// the way through SSH is real, and its answer must be named as "not Prometheus". Depends on the ssh
// hosts: run under `flock /tmp/ph-scenario.lock`.
const REPO = path.resolve(import.meta.dirname, '../..');
const SSH_CONFIG = path.join(REPO, '.rig/ssh/ssh_config');
const skip = existsSync(SSH_CONFIG) ? undefined : 'no .rig/ssh/ssh_config: npm run rig -- up ssh';

let engine: Engine | undefined;
afterEach(() => { engine?.stop(); engine = undefined; });

describe.skipIf(skip)(`Prometheus through an SSH tunnel${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('opens a tunnel on the host (its resource shows it) and names an answer that is not Prometheus', async () => {
    const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
    writeFileSync(path.join(configDir, 'prometheus.yaml'), 'prometheus:\n  lab:\n    ssh: {host: kraken-infra, remoteHost: 10.177.0.12, remotePort: 9100}\ndiscover: {kube: false}\n');
    engine = new Engine({
      dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')), home: mkdtempSync(path.join(tmpdir(), 'ph-home-')),
      env: { PATH: process.env.PATH, PILOTHOUSE_CONFIG_DIR: configDir, PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, KUBECONFIG: path.join(configDir, 'none'), DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    await engine.start();
    const e = engine;
    const ep = await until('prometheus/lab read once', () => { const x = e.endpoints().find((y) => y.id === 'prometheus/lab'); return x && x.state !== 'connecting' && x; }, 30_000, 200);
    expect(ep.state).toBe('unavailable');
    expect(ep.message).toMatch(/^http:\/\/127\.0\.0\.1:(\d+)\/api\/v1\/alerts is not Prometheus: it answered text\/html.*, not JSON \("<html>/);
    const port = /127\.0\.0\.1:(\d+)/.exec(ep.message!)![1];
    const tunnel = e.list({ ids: ['ssh/kraken-infra/tunnel/prometheus-lab'] })[0]!;
    expect(tunnel.kind).toBe('tunnel');
    expect(tunnel.reasons.map((r) => r.text).join(' ')).not.toMatch(/could not|refused/);
    expect(JSON.stringify(tunnel.facts)).toContain(`127.0.0.1:${port}`);
    expect(JSON.stringify(tunnel.facts)).toContain('10.177.0.12:9100');
    e.stop();
    engine = undefined;
    // The tunnel's local port is free again once the engine stops.
    await until('the tunnel port freed', async () => {
      try { await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }); return false; } catch { return true; }
    }, 10_000, 200);
  }, 60_000);

  it('a real Prometheus on the host\'s network: connected through the tunnel, its alerts listed', async () => {
    const promUrl = path.join(REPO, '.rig/prometheus/url');
    if (!existsSync(promUrl)) throw new Error(`no ${promUrl}: start the rig (npm run rig -- up prometheus)`);
    const url = new URL(readFileSync(promUrl, 'utf8').trim());
    // The rig's bridge address, which every rig host reaches; the relay puts the loopback-only Prometheus there.
    const r = await relay('10.177.0.1', { host: url.hostname, port: Number(url.port) });
    try {
      const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
      writeFileSync(path.join(configDir, 'prometheus.yaml'), `prometheus:\n  lab:\n    ssh: {host: kraken-infra, remoteHost: 10.177.0.1, remotePort: ${r.port}}\n    alertmanager: false\ndiscover: {kube: false}\n`);
      engine = new Engine({
        dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')), home: mkdtempSync(path.join(tmpdir(), 'ph-home-')),
        env: { PATH: process.env.PATH, PILOTHOUSE_CONFIG_DIR: configDir, PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, KUBECONFIG: path.join(configDir, 'none'), DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      });
      await engine.start();
      const e = engine;
      const ep = await until('prometheus/lab connected through the tunnel', () => e.endpoints().find((y) => y.id === 'prometheus/lab' && y.state === 'connected'), 30_000, 200);
      expect(ep.id).toBe('prometheus/lab');
      // The rig Prometheus always has firing alerts (its rules include ones that fire on the stubs).
      const alerts = await until('its alerts listed', () => { const a = e.list({ planes: ['prometheus'] }).filter((x) => x.kind === 'alert'); return a.length > 0 && a; }, 30_000, 250);
      expect(alerts.every((a) => a.endpoint === 'prometheus/lab')).toBe(true);
    } finally {
      engine?.stop();
      engine = undefined;
      await r.close();
    }
  }, 60_000);
});
