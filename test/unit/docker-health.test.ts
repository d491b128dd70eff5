import { describe, expect, it } from 'vitest';
import { containerFromInspect } from '../../core/planes/docker/container';
import { containerHealth } from '../../core/planes/docker/health';
import { containerResource } from '../../core/planes/docker/resources';

const NOW = Date.parse('2026-11-23T12:00:00Z');

function inspect(state: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return containerFromInspect({
    Id: 'abc123def4567890', Name: '/shop-backend-1',
    Config: { Image: 'shop/backend:1', Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'backend', 'com.docker.compose.container-number': '1' } },
    State: { Status: 'running', ExitCode: 0, StartedAt: '2026-11-23T10:00:00Z', ...state },
    RestartCount: 0,
    ...extra,
  } as never);
}

describe('container health', () => {
  it('a running container without a health check is ok', () => {
    expect(containerHealth(inspect({}), NOW)).toEqual({ runtime: 'ok', reasons: [] });
  });

  it('an unhealthy container is an error that quotes the last health check output', () => {
    const c = inspect({ Health: { Status: 'unhealthy', FailingStreak: 4, Log: [{ ExitCode: 1, Output: 'old' }, { ExitCode: 1, Output: 'curl: (7) Failed to connect to localhost port 9200\n' }] } });
    const h = containerHealth(c, NOW);
    expect(h.runtime).toBe('error');
    expect(h.reasons[0]).toBe('unhealthy: 4 failing health checks; last output: curl: (7) Failed to connect to localhost port 9200');
  });

  it('a health check still starting is pending, not ok', () => {
    expect(containerHealth(inspect({ Health: { Status: 'starting', FailingStreak: 0, Log: [] } }), NOW)).toEqual({ runtime: 'pending', reasons: ['health check starting'] });
  });

  it('exit codes: non-zero is an error naming the code and signal, zero is a warning for services', () => {
    expect(containerHealth(inspect({ Status: 'exited', ExitCode: 3 }), NOW)).toEqual({ runtime: 'error', reasons: ['exited with code 3'] });
    expect(containerHealth(inspect({ Status: 'exited', ExitCode: 137 }), NOW).reasons[0]).toBe('exited with code 137 (SIGKILL)');
    expect(containerHealth(inspect({ Status: 'exited', ExitCode: 0 }), NOW).runtime).toBe('warning');
  });

  it('a one-off compose job that finished with 0 is ok', () => {
    const c = inspect({ Status: 'exited', ExitCode: 0 });
    c.labels.oneoff = true;
    expect(containerHealth(c, NOW).runtime).toBe('ok');
  });

  it('OOM-killed wins over the bare exit code', () => {
    expect(containerHealth(inspect({ Status: 'exited', ExitCode: 137, OOMKilled: true }), NOW)).toEqual({ runtime: 'error', reasons: ['OOM-killed: out of memory (exit code 137)'] });
  });

  it('restarting is an error with the restart count; a running container that just restarted many times warns', () => {
    expect(containerHealth(inspect({ Status: 'restarting', ExitCode: 1 }, { RestartCount: 14 }), NOW).reasons[0]).toBe('restarting repeatedly (14 restarts), last exit code 1');
    const flapping = containerHealth(inspect({ StartedAt: '2026-11-23T11:59:30Z' }, { RestartCount: 5 }), NOW);
    expect(flapping.runtime).toBe('warning');
    expect(flapping.reasons[0]).toMatch(/restarting repeatedly \(5 restarts; last start 30s ago\)/);
    // Old restarts that have settled down are not news.
    expect(containerHealth(inspect({}, { RestartCount: 5 }), NOW).runtime).toBe('ok');
  });

  it('paused is a warning that says how to resume', () => {
    expect(containerHealth(inspect({ Status: 'paused' }), NOW)).toEqual({ runtime: 'warning', reasons: ['paused (processes frozen; unpause to resume)'] });
  });

  it('a container that failed to start says the engine error', () => {
    const h = containerHealth(inspect({ Status: 'created', Error: 'port is already allocated' }), NOW);
    expect(h).toEqual({ runtime: 'error', reasons: ['failed to start: port is already allocated'] });
  });

  it('health check output is one line and clipped', () => {
    const h = containerHealth(inspect({ Health: { Status: 'unhealthy', FailingStreak: 1, Log: [{ ExitCode: 1, Output: 'x'.repeat(5000) }] } }), NOW);
    expect(h.reasons[0].length).toBeLessThan(400);
    expect(h.reasons[0].endsWith('…')).toBe(true);
  });
});

describe('container as a resource', () => {
  it('is named and grouped by its compose labels, with the actions its state allows', () => {
    const r = containerResource(inspect({}), NOW);
    expect(r).toMatchObject({ id: 'docker/shop/backend', name: 'backend', group: 'shop', plane: 'docker', runtime: 'ok', actions: ['restart', 'stop'] });
    expect(containerResource(inspect({ Status: 'exited', ExitCode: 1 }), NOW).actions).toEqual(['start']);
  });

  it('containers without compose labels are standalone, by container name; replicas are numbered', () => {
    const c = containerFromInspect({ Id: 'ffff', Name: '/adhoc-redis', Config: { Labels: null }, State: { Status: 'running' } } as never);
    expect(containerResource(c, NOW)).toMatchObject({ id: 'docker/standalone/adhoc-redis', name: 'adhoc-redis', group: 'standalone' });
    const second = inspect({});
    second.labels.number = '2';
    expect(containerResource(second, NOW).name).toBe('backend-2');
  });

  it('shows last known state as unknown while the engine is unreachable, and an action under way', () => {
    const r = containerResource(inspect({}), NOW, { status: 'in_progress', reason: 'restart in progress' }, false);
    expect(r.runtime).toBe('unknown');
    expect(r.update).toBe('in_progress');
    expect(r.reasons.slice(0, 2)).toEqual(['restart in progress', 'Docker engine unreachable: last known state shown']);
  });
});
