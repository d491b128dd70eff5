import { describe, expect, it } from 'vitest';
import { containerFromInspect, type ContainerView } from '../../core/planes/docker/container';
import { judgeService, judgeStep, runOrderedStart, OrderedStartError, type OrderStep } from '../../core/planes/compose/order';

const NOW = Date.parse('2026-12-06T12:00:00Z');

function c(service: string, state: Record<string, unknown>, o: { restart?: string; id?: string } = {}): ContainerView {
  return containerFromInspect({
    Id: o.id ?? `${service}-id`, Name: `/ak_${service}_1`,
    Config: { Image: 'x', Labels: { 'com.docker.compose.project': 'ak', 'com.docker.compose.service': service } },
    State: { Status: 'running', StartedAt: '2026-12-06T12:00:01Z', ...state },
    HostConfig: { RestartPolicy: { Name: o.restart ?? 'no' } },
  } as never);
}
const healthy = (s: string) => c(s, { Health: { Status: 'healthy', FailingStreak: 0, Log: [] } });
const starting = (s: string) => c(s, { Health: { Status: 'starting', FailingStreak: 0, Log: [] } });
const unhealthy = (s: string, out: string) => c(s, { Health: { Status: 'unhealthy', FailingStreak: 3, Log: [{ ExitCode: 1, Output: out }] } });

describe('judging a service and a step', () => {
  it('ready: running and healthy, running without a health check, or an init job that exited 0', () => {
    expect(judgeService('db', [healthy('db')]).state).toBe('ready');
    expect(judgeService('db', [c('db', {})])).toMatchObject({ state: 'ready', detail: 'running (no health check)' });
    expect(judgeService('init', [c('init', { Status: 'exited', ExitCode: 0, FinishedAt: '2026-12-06T12:00:05Z' })])).toMatchObject({ state: 'ready', detail: 'completed (exit 0)' });
  });

  it('waiting: no container yet, health starting, restarting, or an exit from before the step began', () => {
    expect(judgeService('db', [])).toMatchObject({ state: 'waiting', detail: 'no container yet' });
    expect(judgeService('db', [starting('db')])).toMatchObject({ state: 'waiting', detail: 'running, health starting' });
    expect(judgeService('db', [c('db', { Status: 'restarting' })]).state).toBe('waiting');
    // The reboot stopped it an hour ago: that is what `up` is about to change, not a failure.
    const old = c('db', { Status: 'exited', ExitCode: 137, FinishedAt: '2026-12-06T11:00:00Z' });
    expect(judgeService('db', [old], NOW)).toMatchObject({ state: 'waiting', detail: 'exited since before this step, not started yet' });
  });

  it('failed: unhealthy after its retries (with the last output), or exited non-zero with no restart coming', () => {
    expect(judgeService('web', [unhealthy('web', 'curl: (22) 404')])).toEqual({ state: 'failed', service: 'web', detail: 'unhealthy after 3 failed health checks (last exit 1)', lastOutput: 'curl: (22) 404' });
    const crashed = c('web', { Status: 'exited', ExitCode: 3, FinishedAt: '2026-12-06T12:00:09Z' });
    expect(judgeService('web', [crashed], NOW)).toMatchObject({ state: 'failed', detail: 'exited with code 3' });
    // `restart: always` brings it back: not failed yet.
    expect(judgeService('web', [c('web', { Status: 'exited', ExitCode: 3, FinishedAt: '2026-12-06T12:00:09Z' }, { restart: 'always' })], NOW).state).toBe('waiting');
  });

  it('a step fails on its first failed service, is ready when all are, and otherwise names what it waits for', () => {
    expect(judgeStep(['a', 'b'], [healthy('a'), healthy('b')]).state).toBe('ready');
    const w = judgeStep(['a', 'b'], [healthy('a'), starting('b')]);
    expect(w.state === 'waiting' && w.waitingFor.map((s) => s.service)).toEqual(['b']);
    const f = judgeStep(['a', 'b'], [unhealthy('a', 'no'), starting('b')]);
    expect(f.state === 'failed' && f.failed.service).toBe('a');
    // Two replicas: the step waits for the slower one.
    expect(judgeStep(['a'], [healthy('a'), { ...starting('a'), id: 'a2' }]).state).toBe('waiting');
  });
});

/** An engine whose containers change as compose would make them, with listeners like EngineConnection's. */
class FakeProject {
  containers: ContainerView[] = [];
  private listeners = new Set<() => void>();
  ups: string[] = [];
  timers: Array<{ fn: () => void; ms: number }> = [];
  set(v: ContainerView) {
    this.containers = [...this.containers.filter((x) => x.labels.service !== v.labels.service), v];
    for (const l of [...this.listeners]) l();
  }
  deps(steps: OrderStep[], onUp: (step: OrderStep) => void | Promise<void>, log: string[]) {
    return {
      steps,
      up: async (s: OrderStep) => { this.ups.push(s.profile); await onUp(s); },
      containers: () => this.containers,
      watch: (fn: () => void) => { this.listeners.add(fn); return () => this.listeners.delete(fn); },
      log: (l: string) => log.push(l),
      stepTimeoutMs: 5_000,
      setTimer: (fn: () => void, ms: number) => { const t = { fn, ms }; this.timers.push(t); return () => { this.timers = this.timers.filter((x) => x !== t); }; },
      now: () => NOW,
    };
  }
  get watching() { return this.listeners.size; }
}

describe('the ordered start', () => {
  const steps: OrderStep[] = [{ profile: 'dbs', services: ['pg'] }, { profile: 'infrastructure', services: ['web'] }, { profile: 'workers', services: ['worker'] }];

  it('starts a profile only after the one before is healthy, judged on the engine\'s changes', async () => {
    const p = new FakeProject();
    const log: string[] = [];
    const pending: Array<() => void> = [];
    // `up` creates the container starting; it gets healthy later, when the test says so.
    const run = runOrderedStart(p.deps(steps, (s) => { p.set(starting(s.services[0])); pending.push(() => p.set(healthy(s.services[0]))); }, log));
    await new Promise((r) => setImmediate(r));
    expect(p.ups).toEqual(['dbs']);
    p.set({ ...starting('pg'), state: { ...starting('pg').state, health: { status: 'starting', failingStreak: 1, lastOutput: 'no response' } } });
    expect(p.ups).toEqual(['dbs']);
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(p.ups).toEqual(['dbs', 'infrastructure']);
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    pending.shift()!();
    await run;
    expect(p.ups).toEqual(['dbs', 'infrastructure', 'workers']);
    expect(p.watching).toBe(0);
    expect(p.timers).toEqual([]);
    expect(log).toContain('step 1 of 3 (dbs): healthy: pg running, healthy');
    expect(log).toContain('  waiting for pg running, health starting (last check: no response)');
    expect(log.filter((l) => l.startsWith('step 3 of 3'))).toEqual([
      'step 3 of 3 (workers): up -d (worker)',
      'step 3 of 3 (workers): waiting until 1 service is running and healthy (at most 5 s)',
      'step 3 of 3 (workers): healthy: worker running, healthy',
    ]);
  });

  it('stops at the step whose service got unhealthy, naming it, its last health output, what was done and what was not started', async () => {
    const p = new FakeProject();
    const log: string[] = [];
    const run = runOrderedStart(p.deps(steps, (s) => p.set(s.profile === 'infrastructure' ? starting('web') : healthy(s.services[0])), log));
    await new Promise((r) => setImmediate(r));
    p.set(unhealthy('web', 'curl: (22) The requested URL returned error: 404'));
    const err = await run.catch((e: OrderedStartError) => e);
    expect(err).toBeInstanceOf(OrderedStartError);
    expect((err as OrderedStartError).message).toBe('stopped at step 2 of 3 (infrastructure): web did not get healthy: unhealthy after 3 failed health checks (last exit 1); last health check said: curl: (22) The requested URL returned error: 404. Done: dbs. Not started: workers.');
    expect(err).toMatchObject({ service: 'web', lastOutput: 'curl: (22) The requested URL returned error: 404', step: { profile: 'infrastructure' } });
    expect(p.ups).toEqual(['dbs', 'infrastructure']);
    expect(p.watching).toBe(0);
  });

  it('stops when a step is not healthy when its timeout comes, naming every service still awaited', async () => {
    const p = new FakeProject();
    const run = runOrderedStart(p.deps(steps.slice(0, 1), () => p.set(starting('pg')), []));
    await new Promise((r) => setImmediate(r));
    expect(p.timers.map((t) => t.ms)).toEqual([5_000]);
    p.timers[0].fn();
    await expect(run).rejects.toThrow('stopped at step 1 of 1 (dbs): pg did not get healthy within 5 s: pg running, health starting.');
  });

  it('a failing `up` stops the start with the command\'s error', async () => {
    const p = new FakeProject();
    const run = runOrderedStart(p.deps(steps, () => { throw new Error('./compose.sh exited with code 1: Cannot connect to the Docker daemon'); }, []));
    await expect(run).rejects.toThrow('stopped at step 1 of 3 (dbs): up failed: ./compose.sh exited with code 1: Cannot connect to the Docker daemon. Not started: infrastructure, workers.');
  });
});
