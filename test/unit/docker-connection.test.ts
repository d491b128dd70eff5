import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlaneEndpoint } from '../../shared/contract/domain';
import { EngineConnection } from '../../core/planes/docker/engine-connection';
import { dockerRules } from '../../core/planes/docker/rules';
import { Model } from '../../core/model/store';
import { fakeDockerEngine } from '../support/docker-fixtures';
import { until } from '../support/wait';

const cleanups: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function setup(containers: Parameters<typeof fakeDockerEngine>[1]) {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'ph-conn-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sock = path.join(dir, 'docker.sock');
  const fake = fakeDockerEngine(sock, containers);
  await fake.listen();
  cleanups.push(() => fake.close());
  const model = new Model({ schedule: () => {} });
  model.registerRules('docker', dockerRules);
  const states: PlaneEndpoint[] = [];
  const conn = new EngineConnection({ name: 'fake', target: `unix://${sock}`, source: 'test', socketPath: sock }, {
    upsert: (o) => model.upsert(o), remove: (k) => model.remove(k), reconcile: (e, o, k) => model.reconcile(e, o, k),
    endpoint: (ep) => { states.push(ep); model.setEndpoint(ep); }, dropEndpoint: (id) => model.dropEndpoint(id), objectsOf: (r) => model.objectsOf(r),
  });
  cleanups.push(() => conn.stop());
  const ids = () => { model.flush(); return [...model.all()].filter((r) => r.kind !== 'compose-project').map((r) => `${r.id} ${r.runtime}`).sort(); };
  return { fake, conn, model, states, ids };
}

describe('one Docker engine connection', () => {
  it('subscribes to events before it lists, then lists and inspects everything', async () => {
    const { fake, conn, states, ids } = await setup([{ Id: 'a1', Name: 'shop-web-1', project: 'shop', service: 'web', status: 'running' }]);
    await conn.start();
    expect(fake.calls.slice(0, 3)).toEqual(['GET /events', 'GET /containers/json', 'GET /containers/a1/json']);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(ids()).toEqual(['docker/fake/shop/web ok']);
  });

  it('events for one container within the window cost one inspect; a 404 removes it', async () => {
    const { fake, conn, ids } = await setup([{ Id: 'a1', Name: 'shop-web-1', project: 'shop', service: 'web', status: 'running' }]);
    await conn.start();
    fake.containers[0].status = 'exited';
    fake.calls.length = 0;
    for (const action of ['kill', 'die', 'stop']) fake.event('a1', action);
    await until('the exit to show', () => ids()[0] === 'docker/fake/shop/web error', 2000, 10);
    expect(fake.calls).toEqual(['GET /containers/a1/json']);
    fake.containers.splice(0, 1);
    fake.event('a1', 'destroy');
    await until('the container to go', () => ids().length === 0, 2000, 10);
  });

  it('answers that arrive out of order: a late "exited" after "gone" does not bring a removed container back', async () => {
    const { fake, conn, ids } = await setup([{ Id: 'a1', Name: 'shop-web-1', project: 'shop', service: 'web', status: 'running' }]);
    await conn.start();
    fake.containers[0].status = 'exited';
    fake.slow.set('a1', 400);           // the die event's inspect answers "exited", but late
    fake.event('a1', 'die');
    await until('the die inspect to be asked', () => fake.calls.filter((c) => c === 'GET /containers/a1/json').length === 2, 2000, 5);
    fake.slow.delete('a1');
    fake.containers.splice(0, 1);
    fake.event('a1', 'destroy');        // its inspect answers 404 at once
    await until('the container to go', () => ids().length === 0, 2000, 10);
    await new Promise((r) => setTimeout(r, 600));   // the late "exited" has arrived by now
    expect(ids()).toEqual([]);
  });

  it('an inspect the engine fails while its events flow is tried again, so the change still shows', async () => {
    const { fake, conn, ids } = await setup([{ Id: 'a1', Name: 'shop-web-1', project: 'shop', service: 'web', status: 'running' }]);
    await conn.start();
    fake.containers[0].status = 'exited';
    fake.failing.set('a1', 2);
    fake.event('a1', 'die');
    await until('the exit to show after the retries', () => ids()[0] === 'docker/fake/shop/web error', 5000, 20);
    expect(fake.calls.filter((c) => c === 'GET /containers/a1/json')).toHaveLength(4);   // list, 2 × 500, the answer
    expect(conn.endpoint.state).toBe('connected');
  });

  it('the engine going away: unavailable with a retry time, resources kept; back: listed afresh', async () => {
    const { fake, conn, states, ids } = await setup([
      { Id: 'a1', Name: 'shop-web-1', project: 'shop', service: 'web', status: 'running' },
      { Id: 'b1', Name: 'shop-db-1', project: 'shop', service: 'db', status: 'running' },
    ]);
    await conn.start();
    await fake.close();
    await until('unavailable', () => conn.endpoint.state === 'unavailable', 3000, 10);
    expect(conn.endpoint.retryAt).toBeGreaterThan(Date.now() - 100);
    expect(conn.endpoint.message).toContain('docker/fake');
    expect(ids()).toEqual(['docker/fake/shop/db unknown', 'docker/fake/shop/web unknown']);
    // While it was away, db was removed: the fresh list must not keep it.
    fake.containers.splice(1, 1);
    await fake.listen();
    await until('connected again', () => conn.endpoint.state === 'connected', 20_000, 20);
    expect(ids()).toEqual(['docker/fake/shop/web ok']);
    expect(states.filter((s) => s.state === 'connected')).toHaveLength(2);
  });

  it('actions: 204 done, 304 already, 404 not-found; refresh updates the model at once', async () => {
    const { fake, conn, ids } = await setup([{ Id: 'a1', Name: 'shop-web-1', project: 'shop', service: 'web', status: 'running' }]);
    await conn.start();
    expect(await conn.act('a1', 'start')).toBe('already');
    expect(await conn.act('a1', 'stop')).toBe('done');
    expect(fake.calls).toContain('POST /containers/a1/stop');
    await conn.refresh('a1');
    expect(ids()).toEqual(['docker/fake/shop/web error']);
    await expect(conn.act('gone', 'restart')).rejects.toMatchObject({ code: 'not-found', message: 'container gone no longer exists on docker/fake' });
  });
});
