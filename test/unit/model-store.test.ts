import { describe, expect, it } from 'vitest';
import type { PlaneEndpoint, Reason } from '../../shared/contract/domain';
import { objectKey, type ModelObject, type PlaneRules } from '../../core/model/object';
import { Model, type ModelChange } from '../../core/model/store';

// A tiny plane's rules: pods bind to the deployment named in their data; a deployment is ok when all its
// pods are ready. `restartedAt` makes a time-based reason, as Docker's "restarting repeatedly" does.
interface Pod { app: string; ready: boolean; restartedAt?: number; startedAt?: number }
let derives = 0;
const rules: PlaneRules = {
  bind: (o) => [`${o.endpoint}/${o.ns}/${(o.data as Pod).app}`],
  derive(id, objs, { now }) {
    derives++;
    const pods = objs.map((o) => o.data as Pod);
    const notReady = pods.filter((p) => !p.ready).length;
    const recent = pods.map((p) => p.restartedAt).filter((t): t is number => t !== undefined && now - t < 60_000);
    const reasons: Reason[] = notReady ? [{ text: `${notReady} of ${pods.length} pods not ready`, severity: 'error' }] : [];
    let recheckAt: number | undefined;
    if (recent.length) {
      const mins = Math.floor((now - recent[0]) / 10_000);
      reasons.push({ text: `restarted ${mins * 10}s+ ago`, severity: 'warning' });
      recheckAt = Math.min(recent[0] + (mins + 1) * 10_000, recent[0] + 60_000);
    }
    return {
      resource: {
        id, name: id.split('/').pop()!, kind: 'deployment', plane: 'kube', endpoint: objs[0].endpoint, group: { kind: 'namespace', name: objs[0].ns },
        runtime: notReady ? 'error' : recent.length ? 'warning' : 'ok', reasons, facts: { pods: String(pods.length) }, actions: [],
        ...(pods[0].startedAt !== undefined ? { stateSince: pods[0].startedAt } : {}),
      },
      recheckAt,
    };
  },
};

const pod = (name: string, app: string, ready = true, extra: Partial<Pod> = {}, ns = 'shop'): ModelObject<Pod> =>
  ({ plane: 'kube', endpoint: 'kube/ctx', kind: 'pod', ns, name, data: { app, ready, ...extra } });

function setup(now = () => 1_000_000) {
  const ticks: Array<() => void> = [];
  const m = new Model({ now, schedule: (fn) => ticks.push(fn) });
  m.registerRules('kube', rules);
  const changes: ModelChange[] = [];
  m.subscribe((c) => changes.push(c));
  const tick = () => { while (ticks.length) ticks.shift()!(); };
  return { m, changes, tick };
}

describe('the model store', () => {
  it('derives a resource once per tick, however many of its objects changed', () => {
    const { m, changes, tick } = setup();
    derives = 0;
    for (let i = 0; i < 50; i++) m.upsert(pod(`web-${i}`, 'web'));
    tick();
    expect(derives).toBe(1);
    expect(changes).toHaveLength(1);
    expect(changes[0].upsert.map((r) => [r.id, r.facts.pods, r.runtime])).toEqual([['kube/ctx/shop/web', '50', 'ok']]);
  });

  it('emits only resources whose derived value changed', () => {
    const { m, changes, tick } = setup();
    m.upsert(pod('web-1', 'web'));
    m.upsert(pod('api-1', 'api'));
    tick();
    changes.length = 0;
    m.upsert(pod('web-1', 'web'));          // same data again: derived, but nothing to send
    m.upsert(pod('api-1', 'api', false));   // a real change
    tick();
    expect(changes).toHaveLength(1);
    expect(changes[0].upsert.map((r) => r.id)).toEqual(['kube/ctx/shop/api']);
    expect(changes[0].upsert[0].reasons[0]).toEqual({ text: '1 of 1 pods not ready', severity: 'error' });
  });

  it('removes a resource with its last object, and moves an object between resources', () => {
    const { m, changes, tick } = setup();
    m.upsert(pod('p1', 'web'));
    m.upsert(pod('p2', 'web'));
    tick();
    changes.length = 0;
    m.upsert(pod('p2', 'api'));            // relabelled: leaves web, makes api
    tick();
    expect(changes[0].upsert.map((r) => `${r.id}=${r.facts.pods}`).sort()).toEqual(['kube/ctx/shop/api=1', 'kube/ctx/shop/web=1']);
    m.remove(objectKey(pod('p1', 'web')));
    tick();
    expect(changes[1].removed).toEqual(['kube/ctx/shop/web']);
    expect(m.get('kube/ctx/shop/web')).toBeUndefined();
    expect(m.objectsOf('kube/ctx/shop/api')).toHaveLength(1);
  });

  it('reconciles a re-list: what the endpoint no longer has is gone, other endpoints untouched', () => {
    const { m, tick } = setup();
    m.upsert(pod('a', 'web'));
    m.upsert(pod('b', 'api'));
    m.upsert({ ...pod('c', 'db'), endpoint: 'kube/other' });
    tick();
    m.reconcile('kube/ctx', [pod('a', 'web')], ['pod']);
    tick();
    expect([...m.all()].map((r) => r.id).sort()).toEqual(['kube/other/shop/db', 'kube/ctx/shop/web'].sort());
  });

  it('marks resources unknown while their endpoint is away, and says so, without losing them', () => {
    const { m, changes, tick } = setup();
    const ep = (state: PlaneEndpoint['state']): PlaneEndpoint => ({ id: 'kube/ctx', plane: 'kube', name: 'ctx', target: 'https://k', source: 'test', state });
    m.setEndpoint(ep('connected'));
    m.upsert(pod('a', 'web'));
    tick();
    changes.length = 0;
    m.setEndpoint(ep('unavailable'));
    tick();
    const r = changes[0].upsert[0];
    expect(r.runtime).toBe('unknown');
    expect(r.reasons[0].text).toBe('ctx unreachable: last known state shown');
    expect(changes[0].endpoints?.[0].state).toBe('unavailable');
    changes.length = 0;
    m.setEndpoint({ ...ep('unavailable'), message: 'still down', retryAt: 5 }); // same reachability: resources not re-sent
    tick();
    expect(changes[0].upsert).toEqual([]);
    expect(changes[0].endpoints?.[0].message).toBe('still down');
  });

  it('shows an update under way before the runtime, and keeps `since` until the status changes', () => {
    let now = 1_000_000;
    const { m, changes, tick } = setup(() => now);
    m.upsert(pod('a', 'web'));
    tick();
    expect(m.get('kube/ctx/shop/web')!.since).toBe(1_000_000);
    now += 5_000;
    m.setUpdate('kube/ctx/shop/web', { status: 'in_progress', reason: 'Restart in progress' });
    tick();
    const r = m.get('kube/ctx/shop/web')!;
    expect([r.update, r.reasons[0].text, r.since]).toEqual(['in_progress', 'Restart in progress', 1_005_000]);
    now += 5_000;
    m.upsert(pod('a', 'web', true, {}));   // same status: since stays
    m.setUpdate('kube/ctx/shop/web', { status: 'in_progress', reason: 'Restart in progress' });
    tick();
    expect(m.get('kube/ctx/shop/web')!.since).toBe(1_005_000);
    expect(changes.length).toBe(2);
  });

  it("takes a first-seen resource's `since` from when its state began, not from when the engine started", () => {
    let now = 1_000_000;
    const { m, tick } = setup(() => now);
    m.upsert(pod('a', 'web', true, { startedAt: 400_000 }));
    m.upsert(pod('b', 'api', true));
    tick();
    expect(m.get('kube/ctx/shop/web')!.since).toBe(400_000);
    expect(m.get('kube/ctx/shop/api')!.since).toBe(1_000_000);
    expect(Object.keys(m.get('kube/ctx/shop/web')!)).not.toContain('stateSince');
    now = 1_100_000;
    m.upsert(pod('a', 'web', false, { startedAt: 400_000 }));   // a real change: now
    tick();
    expect(m.get('kube/ctx/shop/web')!.since).toBe(1_100_000);
  });

  it('derives again when a time-based reason changes its wording, and drops it when it expires', async () => {
    const start = Date.now();
    const { m, tick } = setup(Date.now);
    m.upsert(pod('a', 'web', true, { restartedAt: start - 9_950 }));
    tick();
    expect(m.get('kube/ctx/shop/web')!.reasons.map((r) => r.text)).toEqual(['restarted 0s+ ago']);
    // The wording changes at restartedAt + 10 s, 50 ms from now: the model's timer re-derives by itself.
    await new Promise((r) => setTimeout(r, 120));
    tick();
    expect(m.get('kube/ctx/shop/web')!.reasons.map((r) => r.text)).toEqual(['restarted 10s+ ago']);
    m.dispose();
  });

  it('removes 5% of 50,000 objects without scanning the rest', () => {
    const { m, changes, tick } = setup();
    const objs: ModelObject<Pod>[] = [];
    for (let i = 0; i < 50_000; i++) objs.push(pod(`p${i}`, `app${i}`));
    m.reconcile('kube/ctx', objs);
    tick();
    expect(m.size).toBe(50_000);
    changes.length = 0;
    derives = 0;
    for (let i = 0; i < 2_500; i++) m.remove(objectKey(objs[i]));
    tick();
    expect(changes[0].removed).toHaveLength(2_500);
    expect(derives).toBe(0); // removal of a resource's last object needs no derivation of anything else
    expect(m.size).toBe(47_500);
  });
});
