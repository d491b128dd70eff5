import { describe, expect, it } from 'vitest';
import type { ResourceRow, ViewItem } from '../../shared/contract/domain';
import { Model } from '../../core/model/store';
import { SNAPSHOT_CHUNK, View } from '../../core/model/view';
import { SyntheticPlane } from '../../bench/synthetic-plane';
import type { PlaneSink } from '../../core/planes/plane';

async function world(count: number, opts: { badFraction?: number } = {}) {
  const model = new Model();
  const plane = new SyntheticPlane({ count, groupSize: 10, badFraction: opts.badFraction ?? 0.1 });
  model.registerRules('synthetic', plane.rules);
  const sink: PlaneSink = {
    upsert: (o) => model.upsert(o), remove: (k) => model.remove(k), reconcile: (e, o, k) => model.reconcile(e, o, k),
    endpoint: (e) => model.setEndpoint(e), dropEndpoint: (id) => model.dropEndpoint(id), objectsOf: (r) => model.objectsOf(r),
  };
  await plane.start(sink);
  model.flush();
  return { model, plane };
}

const settle = (ms = 80) => new Promise((r) => setTimeout(r, ms));

/** Replays a view's items into a Map, as a page does. */
function replay(items: ViewItem[]): Map<string, ResourceRow> {
  const m = new Map<string, ResourceRow>();
  for (const it of items) {
    if (it.kind === 'snapshot' && it.first) m.clear();
    for (const r of it.upsert) m.set(r.id, r);
    if (it.kind === 'patch') for (const id of it.remove) m.delete(id);
  }
  return m;
}

describe('views', () => {
  it('sends the snapshot in chunks, problems first, then patches', async () => {
    const { model, plane } = await world(5_000);
    const items: ViewItem[] = [];
    const v = new View(model, {}, 'rows', { push: (i) => items.push(i), congested: () => false }, 10);
    await settle();
    const snaps = items.filter((i) => i.kind === 'snapshot');
    expect(snaps.length).toBe(Math.ceil(5_000 / SNAPSHOT_CHUNK));
    expect(snaps.map((s) => [s.first, s.done])).toEqual(snaps.map((_, i) => [i === 0, i === snaps.length - 1]));
    expect(snaps[0].total).toBe(5_000);
    expect(snaps[0].endpoints?.map((e) => e.id)).toEqual(['synthetic/sim-0']);
    expect(snaps[0].upsert[0].runtime).not.toBe('ok');
    // Rows only: no facts or actions cross the wire for a list.
    expect(Object.keys(snaps[0].upsert[0])).not.toContain('facts');
    const key = plane.objectKeys()[7];
    plane.update(key, { status: 'error', reason: 'error: disk full' });
    await settle();
    const last = items.at(-1)!;
    expect(last.kind).toBe('patch');
    expect(last.upsert.map((r) => (r as ResourceRow).reason?.text)).toEqual(['error: disk full']);
    v.close();
  });

  it('keeps to its scope: a resource that leaves the scope is removed from the view', async () => {
    const { model, plane } = await world(100);
    const items: ViewItem[] = [];
    const v = new View(model, { text: 'svc-0000' }, 'rows', { push: (i) => items.push(i), congested: () => false }, 10);
    await settle();
    expect([...replay(items).keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `synthetic/sim-0/group-000/svc-0000${i}`));
    v.update({ groups: ['group-003'] });
    await settle();
    expect([...replay(items).keys()]).toHaveLength(10);
    expect([...replay(items).values()].every((r) => r.group.name === 'group-003')).toBe(true);
    plane.removeFraction(0.35);     // group-000 .. group-003 partly: svc-00030..34 go
    model.flush();
    await settle();
    expect([...replay(items).keys()].sort()).toEqual(Array.from({ length: 5 }, (_, i) => `synthetic/sim-0/group-003/svc-0003${i + 5}`));
    v.close();
  });

  it('gives a slow consumer the latest value of every id, never a backlog', async () => {
    const { model, plane } = await world(1_000, { badFraction: 0 });
    const items: ViewItem[] = [];
    let congested = false;
    const v = new View(model, {}, 'full', { push: (i) => items.push(i), congested: () => congested }, 5);
    await settle();
    const before = items.length;
    congested = true;
    const keys = plane.objectKeys().slice(0, 20);
    for (let round = 1; round <= 50; round++) for (const k of keys) plane.update(k, { status: 'ok', reason: undefined, stamp: round });
    model.flush();
    await settle(60);
    expect(items.length).toBe(before);          // nothing sent while the page is behind
    congested = false;
    await settle(60);
    const patches = items.slice(before);
    expect(patches).toHaveLength(1);            // one patch: 20 resources, not 1,000 updates
    expect(patches[0].upsert).toHaveLength(20);
    expect(patches[0].upsert.every((r) => (r as { facts: Record<string, string> }).facts.stamp === '50')).toBe(true);
    v.close();
  });

  it('the full level carries whole resources for the selection only', async () => {
    const { model } = await world(50);
    const items: ViewItem[] = [];
    const id = 'synthetic/sim-0/group-002/svc-00021';
    const v = new View(model, { ids: [id] }, 'full', { push: (i) => items.push(i), congested: () => false }, 5);
    await settle();
    const r = items[0].upsert[0] as { id: string; facts: object; actions: Array<{ id: string }> };
    expect(items[0].upsert).toHaveLength(1);
    expect(r.id).toBe(id);
    expect(r.actions.map((a) => a.id)).toEqual(['bump', 'wipe']);
    v.close();
  });
});
