import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlaneEndpoint } from '../../shared/contract/domain';
import { contextDir } from '../../core/planes/docker/discover';
import { DockerPlane, nodeDiscoverDeps } from '../../core/planes/docker/index';
import { Model } from '../../core/model/store';
import type { PlaneSink } from '../../core/planes/plane';
import { fakeDockerEngine as fakeEngine } from '../support/docker-fixtures';
import { until } from '../support/wait';

function recordingSink(model: Model): PlaneSink & { endpoints: Map<string, PlaneEndpoint> } {
  const endpoints = new Map<string, PlaneEndpoint>();
  return {
    endpoints,
    upsert: (o) => model.upsert(o),
    remove: (k) => model.remove(k),
    reconcile: (ep, objs, kinds) => model.reconcile(ep, objs, kinds),
    endpoint: (ep) => { endpoints.set(ep.id, ep); model.setEndpoint(ep); },
    dropEndpoint: (id) => { endpoints.delete(id); model.dropEndpoint(id); },
    objectsOf: (rid) => model.objectsOf(rid),
  };
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function home(contexts: Record<string, string>, extra: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'ph-home-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [name, host] of Object.entries(contexts)) {
    const d = path.join(dir, '.docker/contexts/meta', contextDir(name));
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }));
  }
  for (const [rel, text] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

async function startPlane(env: Record<string, string>, homeDir: string) {
  const model = new Model({ schedule: () => {} });
  const planeEnv = { env, home: homeDir, now: Date.now };
  // Only what this test made: the machine's own /var/run/docker.sock must not join in.
  const deps = { ...nodeDiscoverDeps(planeEnv), exists: (p: string) => p.startsWith(homeDir) && fs.existsSync(p) };
  const plane = new DockerPlane(planeEnv, deps);
  model.registerRules('docker', plane.rules);
  const sink = recordingSink(model);
  cleanups.push(() => plane.stop());
  await plane.start(sink);
  model.flush();
  return { plane, model, sink };
}

describe('the Docker plane with several engines', () => {
  it('two contexts on two engines: both endpoints connect; one compose project on both is two resources', async () => {
    const h = home({});
    const a = fakeEngine(path.join(h, 'a.sock'), [{ Id: 'aaa1', Name: 'shop-web-1', project: 'shop', service: 'web', status: 'running' }]);
    const b = fakeEngine(path.join(h, 'b.sock'), [{ Id: 'bbb1', Name: 'shop-web-1', project: 'shop', service: 'web', status: 'exited' }]);
    await a.listen(); await b.listen();
    cleanups.push(() => a.close(), () => b.close());
    const h2 = home({ alpha: `unix://${path.join(h, 'a.sock')}`, beta: `unix://${path.join(h, 'b.sock')}` });
    const { plane, model } = await startPlane({}, h2);
    expect(plane.endpoints().map((e) => [e.id, e.state]).sort()).toEqual([['docker/alpha', 'connected'], ['docker/beta', 'connected']]);
    const rs = [...model.all()].filter((r) => r.kind !== 'compose-project').map((r) => [r.id, r.endpoint, r.runtime]).sort();
    expect(rs).toEqual([
      ['docker/alpha/shop/web', 'docker/alpha', 'ok'],
      ['docker/beta/shop/web', 'docker/beta', 'error'],
    ]);
    // Actions and logs go to the engine the resource lives on.
    const beta = model.get('docker/beta/shop/web')!;
    expect(plane.action(beta, 'start', model.objectsOf(beta.id))!.steps).toEqual([{ endpoint: 'docker/beta', call: 'POST /containers/bbb1/start' }]);
    expect(plane.logSource!(beta, model.objectsOf(beta.id))!.state()).toEqual({ ready: false, why: 'container exited with code 2' });
  });

  it('DOCKER_HOST and a context on the same socket are one endpoint, named after the context', async () => {
    const h = home({});
    const sock = path.join(h, 'a.sock');
    const a = fakeEngine(sock, [{ Id: 'aaa1', Name: 'x', project: 'p', service: 's', status: 'running' }]);
    await a.listen();
    cleanups.push(() => a.close());
    const { plane, model } = await startPlane({ DOCKER_HOST: `unix://${sock}` }, home({ rig: `unix://${sock}` }));
    expect(plane.endpoints().map((e) => e.id)).toEqual(['docker/rig']);
    expect([...model.all()].map((r) => r.id).sort()).toEqual(['docker/rig/p', 'docker/rig/p/s']);
  });

  it('a broken context is a config-error endpoint; an engine that is away is unavailable with a hint and a retry time', async () => {
    const h = home({ away: 'unix:///nonexistent/pilothouse-test.sock' }, { [`.docker/contexts/meta/${contextDir('broken')}/meta.json`]: '{"Endpoints":' });
    const before = Date.now();
    const { plane, sink } = await startPlane({}, h);
    const away = sink.endpoints.get('docker/away')!;
    expect(away).toMatchObject({ state: 'unavailable', target: 'unix:///nonexistent/pilothouse-test.sock' });
    expect(away.message).toContain('socket not found');
    expect(away.hint).toMatch(/Start Docker/);
    expect(away.retryAt).toBeGreaterThanOrEqual(before);
    const broken = plane.endpoints().find((e) => e.configError)!;
    expect(broken).toMatchObject({ state: 'unavailable', configError: true });
    expect(broken.message).toContain('meta.json: not valid JSON');
    expect(broken.hint).toBeTruthy();
  });

  it('with nothing found, one unavailable docker/default says what was tried', async () => {
    const { plane } = await startPlane({}, home({}));
    const eps = plane.endpoints();
    expect(eps).toHaveLength(1);
    expect(eps[0]).toMatchObject({ id: 'docker/default', state: 'unavailable' });
    expect(eps[0].source).toMatch(/^no Docker engine found; tried /);
  });

  it('suspend marks every endpoint suspended; resume connects again', async () => {
    const h = home({});
    const a = fakeEngine(path.join(h, 'a.sock'), []);
    await a.listen();
    cleanups.push(() => a.close());
    const { plane, sink } = await startPlane({}, home({ alpha: `unix://${path.join(h, 'a.sock')}` }));
    expect(sink.endpoints.get('docker/alpha')!.state).toBe('connected');
    plane.suspend();
    expect(sink.endpoints.get('docker/alpha')!.state).toBe('suspended');
    plane.resume();
    expect(sink.endpoints.get('docker/alpha')!.state).toBe('connecting');
    await until('alpha to connect again', () => sink.endpoints.get('docker/alpha')!.state === 'connected', 5000, 20);
  });
});
