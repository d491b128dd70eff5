import { describe, expect, it } from 'vitest';
import { containerFromInspect } from '../../core/planes/docker/container';
import { agoMinutes, containerHealth, FLAPPING_WINDOW_MS } from '../../core/planes/docker/health';

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
    expect(containerHealth(inspect({}), NOW)).toEqual({ runtime: 'ok', reasons: [], recheckAt: undefined });
  });

  it('an unhealthy container is an error that quotes the last health check output', () => {
    const c = inspect({ Health: { Status: 'unhealthy', FailingStreak: 4, Log: [{ ExitCode: 1, Output: 'old' }, { ExitCode: 1, Output: 'curl: (7) Failed to connect to localhost port 9200\n' }] } });
    const h = containerHealth(c, NOW);
    expect(h.runtime).toBe('error');
    expect(h.reasons[0]).toEqual({ severity: 'error', text: 'unhealthy: 4 failing health checks; last output: curl: (7) Failed to connect to localhost port 9200' });
  });

  it('a health check still starting is pending, not ok', () => {
    expect(containerHealth(inspect({ Health: { Status: 'starting', FailingStreak: 0, Log: [] } }), NOW)).toMatchObject({ runtime: 'pending', reasons: [{ severity: 'info', text: 'health check starting' }] });
  });

  it('exit codes: non-zero is an error naming the code and signal, zero is a warning for services', () => {
    expect(containerHealth(inspect({ Status: 'exited', ExitCode: 3 }), NOW)).toEqual({ runtime: 'error', reasons: [{ severity: 'error', text: 'exited with code 3' }] });
    expect(containerHealth(inspect({ Status: 'exited', ExitCode: 137 }), NOW).reasons[0].text).toBe('exited with code 137 (SIGKILL)');
    expect(containerHealth(inspect({ Status: 'exited', ExitCode: 0 }), NOW)).toEqual({ runtime: 'warning', reasons: [{ severity: 'warning', text: 'exited with code 0 (stopped)' }] });
  });

  it('a one-off compose job that finished with 0 is ok', () => {
    const c = inspect({ Status: 'exited', ExitCode: 0 });
    c.labels.oneoff = true;
    expect(containerHealth(c, NOW).runtime).toBe('ok');
  });

  it('OOM-killed wins over the bare exit code', () => {
    expect(containerHealth(inspect({ Status: 'exited', ExitCode: 137, OOMKilled: true }), NOW)).toEqual({ runtime: 'error', reasons: [{ severity: 'error', text: 'OOM-killed: out of memory (exit code 137)' }] });
  });

  it('restarting is an error with the restart count; a running container that just restarted many times warns', () => {
    expect(containerHealth(inspect({ Status: 'restarting', ExitCode: 1 }, { RestartCount: 14 }), NOW).reasons[0]).toEqual({ severity: 'error', text: 'restarting repeatedly (14 restarts), last exit code 1' });
    const flapping = containerHealth(inspect({ StartedAt: '2026-11-23T11:59:30Z' }, { RestartCount: 5 }), NOW);
    expect(flapping.runtime).toBe('warning');
    expect(flapping.reasons).toEqual([{ severity: 'warning', text: 'restarting repeatedly (5 restarts; last start less than a minute ago)' }]);
    // Old restarts that have settled down are not news.
    expect(containerHealth(inspect({}, { RestartCount: 5 }), NOW).runtime).toBe('ok');
  });

  it('an unhealthy container that also flaps: the error first, the warning kept apart', () => {
    const h = containerHealth(inspect({ StartedAt: '2026-11-23T11:58:00Z', Health: { Status: 'unhealthy', FailingStreak: 2, Log: [{ ExitCode: 1 }] } }, { RestartCount: 4 }), NOW);
    expect(h.runtime).toBe('error');
    expect(h.reasons.map((r) => r.severity)).toEqual(['error', 'warning']);
    expect(h.reasons[1].text).toBe('restarting repeatedly (4 restarts; last start 2 min ago)');
  });

  it('the flapping reason says when its wording changes, and goes when the window ends', () => {
    const started = Date.parse('2026-11-23T11:59:30Z');
    const at = (ms: number) => containerHealth(inspect({ StartedAt: '2026-11-23T11:59:30Z' }, { RestartCount: 5 }), started + ms);
    // 30 s after the start: "less than a minute ago" until the first minute is over.
    expect(at(30_000).recheckAt).toBe(started + 60_000);
    expect(at(59_999).reasons[0].text).toContain('less than a minute ago');
    expect(at(60_000).reasons[0].text).toContain('last start 1 min ago');
    expect(at(60_000).recheckAt).toBe(started + 120_000);
    // Within one minute bucket the wording is the same, so the model emits nothing new.
    expect(at(61_000).reasons).toEqual(at(119_000).reasons);
    expect(at(4 * 60_000 + 10).reasons[0].text).toContain('4 min ago');
    expect(at(4 * 60_000 + 10).recheckAt).toBe(started + FLAPPING_WINDOW_MS);
    expect(at(FLAPPING_WINDOW_MS)).toEqual({ runtime: 'ok', reasons: [], recheckAt: undefined });
  });

  it('minute buckets: the wording and when it next changes', () => {
    expect(agoMinutes(0, 0)).toEqual({ text: 'less than a minute ago', changesAt: 60_000 });
    expect(agoMinutes(0, 185_000)).toEqual({ text: '3 min ago', changesAt: 240_000 });
  });

  it('paused is a warning that says how to resume', () => {
    expect(containerHealth(inspect({ Status: 'paused' }), NOW)).toEqual({ runtime: 'warning', reasons: [{ severity: 'warning', text: 'paused (processes frozen; unpause to resume)' }] });
  });

  it('a container that failed to start says the engine error', () => {
    const h = containerHealth(inspect({ Status: 'created', Error: 'port is already allocated' }), NOW);
    expect(h).toEqual({ runtime: 'error', reasons: [{ severity: 'error', text: 'failed to start: port is already allocated' }] });
  });

  it('health check output is one line and clipped', () => {
    const h = containerHealth(inspect({ Health: { Status: 'unhealthy', FailingStreak: 1, Log: [{ ExitCode: 1, Output: 'x'.repeat(5000) }] } }), NOW);
    expect(h.reasons[0].text.length).toBeLessThan(400);
    expect(h.reasons[0].text.endsWith('…')).toBe(true);
  });
});
