import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/contract/domain';
import { PilothouseError } from '../../shared/contract/envelope';
import { containerAction, goalHolds, type ActionTarget } from '../../core/planes/docker/actions';
import { containerFromInspect, type ContainerView } from '../../core/planes/docker/container';
import { containerLogSource, dockerSince, notStreamable } from '../../core/planes/docker/logs';
import { containerObject, dockerRules } from '../../core/planes/docker/rules';

const ID = '3f2a9c8d1e2f00112233445566778899';
const EP = 'docker/rig';

function view(status: string, startedAt = '2026-11-23T10:00:00.123456789Z', exitCode = 0): ContainerView {
  return containerFromInspect({
    Id: ID, Name: '/shop-web-1',
    Config: { Image: 'web:1', Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' } },
    State: { Status: status, ExitCode: exitCode, StartedAt: startedAt },
  } as never);
}
const objs = (c: ContainerView) => [containerObject(EP, c)];
const resourceOf = (c: ContainerView) => ({ ...dockerRules.derive(`${EP}/shop/web`, objs(c), { now: Date.now() })!.resource, update: 'idle' }) as Resource;

function fakeEngine(result: 'done' | 'already' | Error = 'done', refresh: () => Promise<unknown> = async () => undefined) {
  const calls: string[] = [];
  const engine: ActionTarget = {
    id: EP, target: 'unix:///work/main/.rig/docker/docker.sock',
    async act(id, a) { calls.push(`${a} ${id}`); if (result instanceof Error) throw result; return result; },
    async refresh(id) { calls.push(`refresh ${id}`); return refresh(); },
  };
  return { engine, calls };
}

describe('docker actions: preview', () => {
  it('restart names the container, its short id and the engine, and shows the exact API call', () => {
    const c = view('running');
    const def = containerAction(fakeEngine().engine, resourceOf(c), 'restart', objs(c))!;
    expect(def.spec).toEqual({ id: 'restart', label: 'Restart', destructive: true, confirm: 'confirm' });
    expect(def.summary).toBe('Restart shop/web: container shop-web-1 (3f2a9c8d1e2f) on docker/rig (unix:///work/main/.rig/docker/docker.sock)');
    expect(def.steps).toEqual([{ endpoint: EP, call: `POST /containers/${ID}/restart?t=10` }]);
    expect(def.auditName).toBe('docker.restart');
    expect(def.verifyTimeoutMs).toBe(30_000);
    expect(def.verifyText).toBe('container shop-web-1 is running, started after 2026-11-23T10:00:00.123456789Z');
  });

  it('stop and start: their calls and audit names', () => {
    const up = view('running');
    expect(containerAction(fakeEngine().engine, resourceOf(up), 'stop', objs(up))!.steps[0].call).toBe(`POST /containers/${ID}/stop?t=10`);
    const down = view('exited', undefined, 1);
    const start = containerAction(fakeEngine().engine, resourceOf(down), 'start', objs(down))!;
    expect(start.steps[0].call).toBe(`POST /containers/${ID}/start`);
    expect(start.auditName).toBe('docker.start');
  });

  it('offers nothing for an unknown action or a resource without a container', () => {
    const c = view('running');
    expect(containerAction(fakeEngine().engine, resourceOf(c), 'delete', objs(c))).toBeUndefined();
    expect(containerAction(fakeEngine().engine, resourceOf(c), 'restart', [])).toBeUndefined();
  });
});

describe('docker actions: verification', () => {
  const before = '2026-11-23T10:00:00.123456789Z';
  it('restart holds only once the container runs with a later start', () => {
    expect(goalHolds('restart', ID, before, objs(view('running', before)))).toBe(false);
    expect(goalHolds('restart', ID, before, objs(view('restarting', '2026-11-23T10:05:00Z')))).toBe(false);
    expect(goalHolds('restart', ID, before, objs(view('running', '2026-11-23T10:05:00Z')))).toBe(true);
    expect(goalHolds('restart', ID, before, [])).toBe(false);
  });

  it('start holds when running; stop when not running or gone', () => {
    expect(goalHolds('start', ID, undefined, objs(view('exited')))).toBe(false);
    expect(goalHolds('start', ID, undefined, objs(view('running')))).toBe(true);
    expect(goalHolds('stop', ID, before, objs(view('running')))).toBe(false);
    expect(goalHolds('stop', ID, before, objs(view('exited', before, 143)))).toBe(true);
    expect(goalHolds('stop', ID, before, [])).toBe(true);
  });

  it('the bound verify judges the objects it is given', () => {
    const c = view('running');
    const def = containerAction(fakeEngine().engine, resourceOf(c), 'restart', objs(c))!;
    expect(def.verify(objs(c))).toBe(false);
    expect(def.verify(objs(view('running', '2026-11-23T10:00:01Z')))).toBe(true);
  });
});

describe('docker actions: run', () => {
  it('makes the call, then refreshes the container at once', async () => {
    const { engine, calls } = fakeEngine();
    const c = view('running');
    const log: string[] = [];
    await containerAction(engine, resourceOf(c), 'restart', objs(c))!.run((l) => log.push(l));
    expect(calls).toEqual([`restart ${ID}`, `refresh ${ID}`]);
    expect(log).toEqual([`POST /containers/${ID}/restart?t=10: done`]);
  });

  it('304 (already stopped) is the goal holding, not a failure', async () => {
    const { engine } = fakeEngine('already');
    const c = view('running');
    const log: string[] = [];
    await containerAction(engine, resourceOf(c), 'stop', objs(c))!.run((l) => log.push(l));
    expect(log[0]).toMatch(/304, already stopped$/);
  });

  it('a failed refresh after a successful call does not fail the action; a failed call does', async () => {
    const c = view('running');
    const flaky = fakeEngine('done', async () => { throw new Error('socket hang up'); });
    await expect(containerAction(flaky.engine, resourceOf(c), 'restart', objs(c))!.run(() => {})).resolves.toBeUndefined();
    const gone = fakeEngine(new PilothouseError('not-found', 'container 3f2a9c8d1e2f no longer exists on docker/rig'));
    await expect(containerAction(gone.engine, resourceOf(c), 'restart', objs(c))!.run(() => {})).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('docker log source', () => {
  it('since: seconds with the timestamp\'s own nanoseconds; unix seconds pass through', () => {
    expect(dockerSince('2026-11-23T10:00:00.123456789Z')).toBe(`${Date.parse('2026-11-23T10:00:00Z') / 1000}.123456789`);
    expect(dockerSince('2026-11-23T10:00:00Z')).toBe(`${Date.parse('2026-11-23T10:00:00Z') / 1000}.000000000`);
    expect(dockerSince('2026-11-23T11:00:00.5+01:00')).toBe(`${Date.parse('2026-11-23T10:00:00Z') / 1000}.500000000`);
    expect(dockerSince('1795499232.123')).toBe('1795499232.123');
  });

  it('says why a log cannot be read now', () => {
    expect(notStreamable(EP, false, view('running'))).toBe('Docker engine docker/rig unreachable');
    expect(notStreamable(EP, true, view('exited', undefined, 3))).toBe('container exited with code 3');
    expect(notStreamable(EP, true, undefined)).toBe('container no longer exists');
    expect(notStreamable(EP, true, view('running'))).toBeUndefined();
  });

  it('reads the container\'s state from the engine now, not from when it was bound', async () => {
    let current = view('running');
    let connected = true;
    const opened: unknown[] = [];
    const src = containerLogSource({
      id: EP, get connected() { return connected; }, get: () => current,
      logs: async (id, opts) => { opened.push([id, opts]); return () => {}; },
    }, objs(current))!;
    expect(src.describe()).toBe('container shop-web-1 on docker/rig');
    expect(src.state()).toEqual({ ready: true });
    current = view('exited', undefined, 3);
    expect(src.state()).toEqual({ ready: false, why: 'container exited with code 3' });
    connected = false;
    expect(src.state()).toEqual({ ready: false, why: 'Docker engine docker/rig unreachable' });
    await src.open({ follow: true, since: '2026-11-23T10:00:00.5Z' }, () => {}, () => {});
    expect(opened).toEqual([[ID, { follow: true, tail: undefined, since: `${Date.parse('2026-11-23T10:00:00Z') / 1000}.500000000` }]]);
  });
});
