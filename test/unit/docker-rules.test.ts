import { describe, expect, it, vi } from 'vitest';
import { containerFromInspect, type ContainerView } from '../../core/planes/docker/container';
import { containerObject, dockerRules, primaryContainer } from '../../core/planes/docker/rules';
import { objectKey } from '../../core/model/object';
import { Model } from '../../core/model/store';

const NOW = Date.parse('2026-11-23T12:00:00Z');

function view(state: Record<string, unknown> = {}, o: { id?: string; name?: string; project?: string | null; service?: string; number?: string; restarts?: number } = {}): ContainerView {
  const labels: Record<string, string> = {};
  if (o.project !== null) {
    labels['com.docker.compose.project'] = o.project ?? 'shop';
    labels['com.docker.compose.service'] = o.service ?? 'backend';
    labels['com.docker.compose.container-number'] = o.number ?? '1';
  }
  return containerFromInspect({
    Id: o.id ?? 'abc123def4567890', Name: `/${o.name ?? 'shop-backend-1'}`,
    Config: { Image: 'shop/backend:1', Labels: labels },
    State: { Status: 'running', ExitCode: 0, StartedAt: '2026-11-23T10:00:00Z', ...state },
    RestartCount: o.restarts ?? 0,
  } as never);
}

const derive = (ep: string, ...cs: ContainerView[]) => {
  const objs = cs.map((c) => containerObject(ep, c));
  const [id] = dockerRules.bind(objs[0]);
  return dockerRules.derive(id, objs, { now: NOW })!;
};

describe('docker rules: binding', () => {
  it('a compose container binds to docker/<engine>/<project>/<service> and to its project; a standalone one by its name', () => {
    expect(dockerRules.bind(containerObject('docker/default', view()))).toEqual(['docker/default/shop/backend', 'docker/default/shop']);
    expect(dockerRules.bind(containerObject('docker/colima', view({}, { project: null, name: 'adhoc-redis' })))).toEqual(['docker/colima/standalone/adhoc-redis']);
    expect(dockerRules.bind(containerObject('docker/default', view({}, { number: '2' })))).toEqual(['docker/default/shop/backend-2', 'docker/default/shop']);
  });

  it('objects carry the compose project as namespace and the container id as name', () => {
    expect(containerObject('docker/default', view())).toMatchObject({ plane: 'docker', endpoint: 'docker/default', kind: 'container', ns: 'shop', name: 'abc123def4567890' });
    expect(containerObject('docker/default', view({}, { project: null })).ns).toBe('');
  });

  it('objects of other kinds make no resource', () => {
    expect(dockerRules.bind({ plane: 'docker', endpoint: 'docker/default', kind: 'image', ns: '', name: 'x', data: {} })).toEqual([]);
  });
});

describe('docker rules: deriving', () => {
  it('a compose service: kind, group, endpoint, facts and the actions of a running container', () => {
    const d = derive('docker/default', view());
    expect(d.resource).toMatchObject({
      id: 'docker/default/shop/backend', name: 'backend', kind: 'compose-service', plane: 'docker', endpoint: 'docker/default',
      group: { kind: 'compose-project', name: 'shop' }, runtime: 'ok', reasons: [],
      facts: { container: 'shop-backend-1', id: 'abc123def456', image: 'shop/backend:1', state: 'running', started: '2026-11-23T10:00:00Z' },
    });
    expect(d.resource.actions).toEqual([
      { id: 'restart', label: 'Restart', destructive: true, confirm: 'confirm' },
      { id: 'stop', label: 'Stop', destructive: true, confirm: 'confirm' },
    ]);
    expect(d.recheckAt).toBeUndefined();
  });

  it('a stopped container offers start; a standalone one is a container in the standalone group', () => {
    const d = derive('docker/default', view({ Status: 'exited', ExitCode: 3 }, { project: null, name: 'adhoc' }));
    expect(d.resource).toMatchObject({ kind: 'container', group: { kind: 'standalone', name: 'standalone' }, runtime: 'error' });
    expect(d.resource.actions).toEqual([{ id: 'start', label: 'Start', destructive: false, confirm: 'confirm' }]);
    expect(d.resource.actions.some((a) => a.confirm === 'type-name')).toBe(false);
  });

  it('reasons carry their severity and the key of the object they come from', () => {
    const c = view({ StartedAt: '2026-11-23T11:59:00Z', Health: { Status: 'unhealthy', FailingStreak: 3, Log: [{ ExitCode: 1, Output: 'down' }] } }, { restarts: 6 });
    const d = derive('docker/lab', c);
    const ref = objectKey(containerObject('docker/lab', c));
    expect(ref).toBe('docker/lab/container/shop/abc123def4567890');
    expect(d.resource.reasons).toEqual([
      { text: 'unhealthy: 3 failing health checks; last output: down', severity: 'error', ref },
      { text: 'restarting repeatedly (6 restarts; last start 1 min ago)', severity: 'warning', ref },
    ]);
    expect(d.recheckAt).toBe(Date.parse('2026-11-23T12:01:00Z'));
  });

  it('rules leave update state, endpoint reachability and since to the model', () => {
    const r = derive('docker/default', view()).resource as Record<string, unknown>;
    expect(r.update).toBeUndefined();
    expect(r.since).toBeUndefined();
  });

  it('say when the current state began: the start of a running container, the exit of a stopped one', () => {
    expect(derive('docker/default', view()).resource.stateSince).toBe(Date.parse('2026-11-23T10:00:00Z'));
    expect(derive('docker/default', view({ Status: 'exited', ExitCode: 3, FinishedAt: '2026-11-23T11:30:00Z' })).resource.stateSince).toBe(Date.parse('2026-11-23T11:30:00Z'));
  });

  it('while compose recreates a service, the running container stands for it', () => {
    const old = view({ Status: 'exited', ExitCode: 0, StartedAt: '2026-11-23T11:00:00Z' }, { id: 'old0000000000000', name: 'abc_shop-backend-1' });
    const fresh = view({ StartedAt: '2026-11-23T11:59:00Z' }, { id: 'new0000000000000' });
    expect(derive('docker/default', old, fresh).resource.facts.id).toBe('new000000000');
    expect(derive('docker/default', fresh, old).resource.facts.id).toBe('new000000000');
    const two = [view({ Status: 'exited', ExitCode: 1, StartedAt: '2026-11-23T09:00:00Z' }, { id: 'a' }), view({ Status: 'exited', ExitCode: 1, StartedAt: '2026-11-23T10:00:00Z' }, { id: 'b' })];
    expect(primaryContainer(two.map((c) => containerObject('docker/default', c)))!.name).toBe('b');
  });
});

describe('docker rules in the model', () => {
  it('the same compose project on two engines is two resources, each with its own endpoint', () => {
    const m = new Model({ now: () => NOW, schedule: () => {} });
    m.registerRules('docker', dockerRules);
    m.setEndpoint({ id: 'docker/rig', plane: 'docker', name: 'rig', target: 'unix:///rig.sock', source: 'x', state: 'connected' });
    m.setEndpoint({ id: 'docker/default', plane: 'docker', name: 'default', target: 'unix:///var/run/docker.sock', source: 'x', state: 'connected' });
    m.reconcile('docker/rig', [containerObject('docker/rig', view())], ['container']);
    m.reconcile('docker/default', [containerObject('docker/default', view({ Status: 'exited', ExitCode: 2 }))], ['container']);
    m.flush();
    const all = [...m.all()].filter((r) => r.kind !== 'compose-project').sort((a, b) => a.id.localeCompare(b.id));
    expect(all.map((r) => [r.id, r.endpoint, r.runtime])).toEqual([
      ['docker/default/shop/backend', 'docker/default', 'error'],
      ['docker/rig/shop/backend', 'docker/rig', 'ok'],
    ]);
    // A re-list of one engine leaves the other's resources alone.
    m.reconcile('docker/default', [], ['container']);
    m.flush();
    expect([...m.all()].filter((r) => r.kind !== 'compose-project').map((r) => r.id)).toEqual(['docker/rig/shop/backend']);
  });

  it('the flapping reason is derived again by the model\'s clock when its wording changes and when it ends', () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-23T11:59:40Z') });
    try {
      const m = new Model({ now: Date.now, schedule: () => {} });
      m.registerRules('docker', dockerRules);
      const seen: string[] = [];
      m.subscribe((c) => c.upsert.filter((r) => r.kind !== 'compose-project').forEach((r) => seen.push(`${r.runtime}: ${r.reasons[0]?.text ?? '-'}`)));
      m.upsert(containerObject('docker/default', view({ StartedAt: '2026-11-23T11:59:30Z' }, { restarts: 5 })));
      m.flush();
      // Nothing but time passes: the model's timer re-derives at each minute and at the window's end.
      for (let i = 0; i < 6 * 60; i++) { vi.advanceTimersByTime(1000); m.flush(); }
      expect(seen).toEqual([
        'warning: restarting repeatedly (5 restarts; last start less than a minute ago)',
        'warning: restarting repeatedly (5 restarts; last start 1 min ago)',
        'warning: restarting repeatedly (5 restarts; last start 2 min ago)',
        'warning: restarting repeatedly (5 restarts; last start 3 min ago)',
        'warning: restarting repeatedly (5 restarts; last start 4 min ago)',
        'ok: -',
      ]);
      m.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});
