import { describe, expect, it } from 'vitest';
import type { ResourceRow, ViewItem } from '../../shared/contract/domain';
import { allMuted, HOUR_MS, muteAllFor, muteLeft, muteResource, NO_MUTES, parseMutes, unmuteAll, unmuteResource } from '../../shared/notify/mutes';
import { Notifier } from '../../shared/notify/notifier';
import { compose, isFiringAlertReason } from '../../shared/notify/rules';

// Fixtures: rows as the engine sends them, a clock the test moves.
const row = (name: string, runtime: ResourceRow['runtime'], extra: Partial<ResourceRow> = {}): ResourceRow => ({
  id: `docker/default/shop/${name}`, name, kind: 'compose-service', plane: 'docker', endpoint: 'docker/default',
  group: { kind: 'compose-project', name: 'shop' }, runtime, update: 'idle',
  reason: runtime === 'error' ? { text: `${name}: unhealthy: 3 failing health checks`, severity: 'error' } : undefined,
  ...extra,
});
const snapshot = (rows: ResourceRow[]): ViewItem[] => [{ kind: 'snapshot', first: true, done: true, total: rows.length, upsert: rows }];
const patch = (rows: ResourceRow[], remove: string[] = []): ViewItem[] => [{ kind: 'patch', upsert: rows, remove }];

function rig() {
  let t = 1_000_000;
  const clock = { now: () => t, advance: (ms: number) => { t += ms; } };
  const n = new Notifier(clock.now, { groupMs: 4_000, minGapMs: 15_000, repeatMs: 600_000, maxNames: 3 });
  /** Moves the clock to when the notifier says, and takes what is due. */
  const drain = (mutes = NO_MUTES) => {
    const due = n.dueAt();
    if (due === undefined) return undefined;
    if (due > t) clock.advance(due - t);
    return n.take(mutes);
  };
  return { n, clock, drain };
}

describe('notifications: what is news', () => {
  it('a resource that turns red is announced once, with its reason, after the grouping window', () => {
    const { n, clock, drain } = rig();
    n.observe(snapshot([row('web', 'ok'), row('db', 'ok')]));
    clock.advance(10_000);
    n.observe(patch([row('web', 'error')]));
    expect(n.take(NO_MUTES)).toBeUndefined(); // not before the window closes
    clock.advance(4_000);
    expect(n.take(NO_MUTES)).toEqual({
      title: 'web turned red', body: 'shop/web: web: unhealthy: 3 failing health checks',
      resource: 'docker/default/shop/web', resources: ['docker/default/shop/web'],
    });
    expect(n.dueAt()).toBeUndefined();
  });

  it('a resource already red when the console starts is shown, not announced; nor one whose state was unknown', () => {
    const { n, clock, drain } = rig();
    n.observe(snapshot([row('web', 'error'), row('db', 'unknown')]));
    clock.advance(1_000);
    n.observe(patch([row('web', 'error'), row('db', 'error')]));
    // An endpoint that answers late: its resources' first sighting is not news either.
    n.observe(patch([{ ...row('cache', 'error'), id: 'kube/rig/default/pod/cache' }]));
    expect(n.dueAt()).toBeUndefined();
    expect(drain()).toBeUndefined();
  });

  it('every update of a resource that stays red is one notice, not one per event', () => {
    const { n, clock, drain } = rig();
    n.observe(snapshot([row('web', 'ok')]));
    n.observe(patch([row('web', 'error')]));
    for (let i = 0; i < 10; i++) { clock.advance(500); n.observe(patch([row('web', 'error', { since: i })])); }
    expect(drain()?.title).toBe('web turned red');
    for (let i = 0; i < 10; i++) { clock.advance(1_000); n.observe(patch([row('web', 'error')])); }
    expect(drain()).toBeUndefined();
  });

  it('a burst of 20 resources turning red within seconds is one grouped notification', () => {
    const { n, clock, drain } = rig();
    const names = Array.from({ length: 20 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
    n.observe(snapshot(names.map((x) => row(x, 'ok'))));
    for (const x of names) { clock.advance(150); n.observe(patch([row(x, 'error')])); }
    const got = drain();
    expect(got).toMatchObject({ title: '20 resources turned red', body: 'svc-00, svc-01, svc-02 and 17 more', resource: 'docker/default/shop/svc-00' });
    expect(got?.resources).toHaveLength(20);
    expect(drain()).toBeUndefined();
  });

  it('notifications are rate limited: what turns red during the gap waits and goes out grouped', () => {
    const { n, clock, drain } = rig();
    n.observe(snapshot(['a', 'b', 'c'].map((x) => row(x, 'ok'))));
    n.observe(patch([row('a', 'error')]));
    const first = drain()!;
    expect(first.title).toBe('a turned red');
    const sentAt = clock.now();
    clock.advance(5_000);
    n.observe(patch([row('b', 'error')]));
    clock.advance(5_000);
    n.observe(patch([row('c', 'error')]));
    expect(n.dueAt()).toBe(sentAt + 15_000);
    expect(drain()).toMatchObject({ title: '2 resources turned red', body: 'b, c' });
  });

  it('a resource flapping red, ok, red within the window is announced once', () => {
    const { n, clock, drain } = rig();
    n.observe(snapshot([row('web', 'ok')]));
    n.observe(patch([row('web', 'error')]));
    expect(drain()?.title).toBe('web turned red');
    for (let i = 0; i < 5; i++) {
      clock.advance(20_000); n.observe(patch([row('web', 'ok')]));
      clock.advance(20_000); n.observe(patch([row('web', 'error')]));
      expect(drain()).toBeUndefined();
    }
    // After the window, turning red again is news again.
    clock.advance(600_000);
    n.observe(patch([row('web', 'ok')]));
    n.observe(patch([row('web', 'error')]));
    expect(drain()?.title).toBe('web turned red');
  });

  it('a flap inside the grouping window (red, ok, red before anything went out) is one notice', () => {
    const { n, clock, drain } = rig();
    n.observe(snapshot([row('web', 'ok')]));
    n.observe(patch([row('web', 'error')]));
    clock.advance(1_000); n.observe(patch([row('web', 'ok')]));
    clock.advance(1_000); n.observe(patch([row('web', 'error')]));
    expect(drain()).toMatchObject({ title: 'web turned red', resources: ['docker/default/shop/web'] });
    expect(drain()).toBeUndefined();
  });

  it('a resource that recovered before the notification was due, or that was removed, is not announced', () => {
    const { n, clock, drain } = rig();
    n.observe(snapshot([row('web', 'ok'), row('db', 'ok')]));
    n.observe(patch([row('web', 'error'), row('db', 'error')]));
    clock.advance(1_000);
    n.observe(patch([row('web', 'ok')], ['docker/default/shop/db']));
    expect(drain()).toBeUndefined();
  });

  it('warning, pending and a deploy in progress are not red; a failed update is', () => {
    const { n, drain } = rig();
    n.observe(snapshot([row('a', 'ok'), row('b', 'ok'), row('c', 'ok'), row('d', 'ok')]));
    n.observe(patch([row('a', 'warning'), row('b', 'pending'), row('c', 'error', { update: 'in_progress' }), row('d', 'ok', { update: 'error' })]));
    expect(drain()).toMatchObject({ title: 'd turned red' });
  });

  it('muted resources raise nothing; the others in the same burst still do', () => {
    const { n, drain } = rig();
    n.observe(snapshot([row('web', 'ok'), row('db', 'ok')]));
    n.observe(patch([row('web', 'error'), row('db', 'error')]));
    expect(drain(muteResource(NO_MUTES, 'docker/default/shop/db'))).toMatchObject({ title: 'web turned red' });
  });

  it('"mute all for an hour" raises nothing for an hour; afterwards news is announced again', () => {
    const { n, clock, drain } = rig();
    const mutes = muteAllFor(NO_MUTES, clock.now());
    n.observe(snapshot([row('web', 'ok'), row('db', 'ok')]));
    n.observe(patch([row('web', 'error')]));
    expect(drain(mutes)).toBeUndefined();
    clock.advance(HOUR_MS);
    n.observe(patch([row('db', 'error')]));
    expect(drain(mutes)).toMatchObject({ title: 'db turned red' });
  });
});

describe('notifications: alerts', () => {
  const alert = (name: string, runtime: ResourceRow['runtime']): ResourceRow => ({
    id: `prometheus/rig/alert/${name}`, name, kind: 'alert', plane: 'prometheus', endpoint: 'prometheus/rig',
    group: { kind: 'alerts', name: 'rig' }, runtime, update: 'idle',
    reason: runtime === 'error' || runtime === 'warning' ? { text: `${name}: memory above 90% for 1m`, severity: runtime } : undefined,
  });

  it('an alert resource that starts firing is announced; pending is not yet', () => {
    const { n, clock, drain } = rig();
    n.observe(snapshot([alert('ContainerHighMemoryUsage', 'ok')]));
    n.observe(patch([alert('ContainerHighMemoryUsage', 'pending')]));
    expect(drain()).toBeUndefined();
    clock.advance(60_000);
    n.observe(patch([alert('ContainerHighMemoryUsage', 'warning')]));
    expect(drain()).toEqual({
      title: 'Alert firing on ContainerHighMemoryUsage', body: 'rig/ContainerHighMemoryUsage: ContainerHighMemoryUsage: memory above 90% for 1m',
      resource: 'prometheus/rig/alert/ContainerHighMemoryUsage', resources: ['prometheus/rig/alert/ContainerHighMemoryUsage'],
    });
  });

  it('an alert that appears already firing is news when it became active after the console started, not before', () => {
    const { n, clock, drain } = rig();
    const started = clock.now();
    n.observe(snapshot([row('web', 'ok')]));
    // The Prometheus endpoint answers later: alerts active since before the start are the starting picture.
    clock.advance(5_000);
    n.observe(patch([{ ...alert('RigWatchdog', 'warning'), since: started - 3_600_000 }]));
    expect(drain()).toBeUndefined();
    clock.advance(60_000);
    n.observe(patch([{ ...alert('ContainerHighMemoryUsage', 'error'), since: clock.now() - 15_000 }]));
    expect(drain()).toMatchObject({ title: 'Alert firing on ContainerHighMemoryUsage' });
    // A new resource of another kind that arrives red is shown, not announced (its endpoint may just have answered).
    n.observe(patch([{ ...row('late', 'error'), since: clock.now() }]));
    expect(drain()).toBeUndefined();
  });

  it('an alert reason that appears on a resource is announced, even when the resource is only yellow', () => {
    const { n, drain } = rig();
    n.observe(snapshot([row('search', 'ok')]));
    n.observe(patch([row('search', 'warning', { reason: { text: 'alert SearchRequestHighLatency firing: p99 2.3 s', severity: 'warning', ref: 'prometheus/rig/alert/SearchRequestHighLatency' } })]));
    expect(drain()).toMatchObject({ title: 'Alert firing on search', body: 'shop/search: alert SearchRequestHighLatency firing: p99 2.3 s' });
  });

  it('a resource red because of a firing alert alone is announced as the alert, once; red for another reason too, as both', () => {
    const { n, clock, drain } = rig();
    const oom = { text: 'Alert NodeOutOfMemory firing', severity: 'error' as const, ref: 'alertmanager/rig/NodeOutOfMemory' };
    n.observe(snapshot([row('api', 'ok'), row('worker', 'ok')]));
    n.observe(patch([{ ...row('api', 'error'), reason: oom, reasons: [oom] } as ResourceRow]));
    expect(drain()).toMatchObject({ title: 'Alert firing on api', body: 'shop/api: Alert NodeOutOfMemory firing' });
    // The same alert reaching another resource later is not news again.
    clock.advance(30_000);
    n.observe(patch([{ ...row('worker', 'error'), reason: oom, reasons: [oom] } as ResourceRow]));
    expect(drain()).toBeUndefined();
    clock.advance(30_000);
    n.observe(patch([{ ...row('api', 'ok'), reasons: [] } as ResourceRow]));
    const crash = { text: 'exited with code 137', severity: 'error' as const };
    n.observe(patch([{ ...row('api', 'error'), reason: crash, reasons: [crash, oom] } as ResourceRow]));
    expect(drain()).toMatchObject({ title: 'api turned red', body: 'shop/api: exited with code 137' });
  });

  it('one alert firing is one alert, whether seen on its own resource or as a reason on the resource it concerns', () => {
    // The shapes core/planes/prometheus/alerts.ts gives: the alert's id, and its object key as the reason's ref.
    const { n, clock, drain } = rig();
    const own = { ...alert('ContainerHighMemoryUsage web', 'ok'), id: 'prometheus/rig/alert/ContainerHighMemoryUsage-1a2b3c4d5e' };
    n.observe(snapshot([own, row('web', 'ok')]));
    clock.advance(1_000);
    const reason = { text: 'Alert ContainerHighMemoryUsage firing since 17:40:02: memory above 90%', severity: 'warning' as const, ref: 'prometheus/rig/alert//ContainerHighMemoryUsage-1a2b3c4d5e' };
    n.observe(patch([{ ...own, runtime: 'warning', reason }, row('web', 'warning', { reason })]));
    expect(drain()).toMatchObject({ title: 'Alert firing on ContainerHighMemoryUsage web', resources: ['prometheus/rig/alert/ContainerHighMemoryUsage-1a2b3c4d5e'] });
    // Silenced (info): no longer firing for us; firing again within the window is not news again.
    clock.advance(60_000);
    n.observe(patch([{ ...own, runtime: 'ok' }, row('web', 'ok')]));
    clock.advance(60_000);
    n.observe(patch([{ ...own, runtime: 'warning', reason }, row('web', 'warning', { reason })]));
    expect(drain()).toBeUndefined();
  });

  it('what counts as an alert reason', () => {
    expect(isFiringAlertReason({ text: 'x', severity: 'error', ref: 'prometheus/rig/alert/X' })).toBe(true);
    expect(isFiringAlertReason({ text: 'x', severity: 'warning', ref: 'kube/rig/ns/alerts/X' })).toBe(true);
    expect(isFiringAlertReason({ text: 'Firing: X', severity: 'warning' })).toBe(true);
    expect(isFiringAlertReason({ text: 'alert X pending', severity: 'info', ref: 'prometheus/rig/alert/X' })).toBe(false);
    expect(isFiringAlertReason({ text: 'unhealthy', severity: 'error', ref: 'docker/default/container//abc' })).toBe(false);
  });
});

describe('notifications: wording and mutes', () => {
  it('names a resource with its group, and lists at most three names', () => {
    const n = (name: string) => ({ key: name, cause: 'red' as const, resource: name, name, group: 'g' });
    expect(compose([n('a')])).toMatchObject({ title: 'a turned red', body: 'g/a' });
    expect(compose([n('a'), n('b'), n('c')]).body).toBe('a, b, c');
    expect(compose([n('a'), n('b'), n('c'), n('d')]).body).toBe('a, b, c and 1 more');
  });

  it('mutes are kept by resource and for an hour, and say how long is left', () => {
    let m = muteResource(muteResource(NO_MUTES, 'x'), 'x');
    expect(m.resources).toEqual(['x']);
    m = muteAllFor(m, 0);
    expect(allMuted(m, HOUR_MS - 1)).toBe(true);
    expect(allMuted(m, HOUR_MS)).toBe(false);
    expect(muteLeft(m, 0)).toBe('1 h');
    expect(muteLeft(muteAllFor(m, 0, 2 * HOUR_MS + 60_000), 0)).toBe('2 h 1 min');
    expect(muteLeft(m, HOUR_MS - 60_000 * 47)).toBe('47 min');
    expect(unmuteAll(m)).toEqual({ resources: ['x'] });
    expect(unmuteResource(m, 'x').resources).toEqual([]);
  });

  it('stored mutes that are wrong are refused with the place and field named', () => {
    expect(parseMutes({ resources: ['a'], allUntil: 5 }, 'settings.json')).toEqual({ mutes: { resources: ['a'], allUntil: 5 } });
    expect(parseMutes({ resources: 'a' }, '/home/op/.config/Pilothouse/settings.json')).toEqual({ error: expect.stringMatching(/^\/home\/op\/.config\/Pilothouse\/settings.json: field resources: /) });
    expect(parseMutes({ resources: [], allUntil: -1 }, 'localStorage pilothouse.notify.mutes')).toEqual({ error: expect.stringContaining('field allUntil') });
    expect(parseMutes({ resources: [], extra: 1 }, 'x')).toEqual({ error: expect.stringContaining('x: field (the whole value)') });
  });
});
