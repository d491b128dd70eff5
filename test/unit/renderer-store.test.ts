import { describe, expect, it } from 'vitest';
import type { PlaneEndpoint, ResourceRow, RuntimeStatus, UpdateStatus, ViewItem } from '../../shared/contract/domain';
import { countStatuses } from '../../shared/health/summary';
import { StackStore, type ListItem } from '../../renderer/src/model/stackStore';
import { RecentChanges } from '../../renderer/src/model/recentChanges';
import { factDisplay, relativeTime, untilTime } from '../../renderer/src/model/relativeTime';

const ep = (name: string, state: PlaneEndpoint['state'] = 'connected'): PlaneEndpoint =>
  ({ id: `docker/${name}`, plane: 'docker', name, target: `unix:///${name}.sock`, source: 'test', state });

function row(endpoint: string, group: string, name: string, runtime: RuntimeStatus = 'ok', extra: Partial<ResourceRow> & { update?: UpdateStatus } = {}): ResourceRow {
  return {
    id: `docker/${endpoint}/${group}/${name}`, name, kind: 'compose-service', plane: 'docker', endpoint: `docker/${endpoint}`,
    group: { kind: 'compose-project', name: group }, runtime, update: 'idle', ...extra,
  };
}
const snapshot = (rows: ResourceRow[], endpoints: PlaneEndpoint[] = [ep('a')]): ViewItem[] =>
  [{ kind: 'snapshot', first: true, done: true, total: rows.length, upsert: rows, endpoints }];
const patch = (upsert: ResourceRow[], remove: string[] = []): ViewItem => ({ kind: 'patch', upsert, remove });

/** The list as the virtual list sees it, one readable line per item. */
function lines(s: StackStore): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.listSize(); i++) {
    const it = s.itemAt(i) as ListItem;
    out.push(it.kind === 'group' ? `[${it.group.name}${it.collapsed ? ' +' : ''}]` : it.entry.row.name);
  }
  return out;
}

describe('stack store: applying the view', () => {
  it('applies a chunked snapshot: the first chunk resets, progress counts, the last says done', () => {
    const s = new StackStore();
    s.apply(snapshot([row('a', 'old', 'gone')]));
    s.apply([{ kind: 'snapshot', first: true, done: false, total: 3, upsert: [row('a', 'shop', 'web'), row('a', 'shop', 'db')], endpoints: [ep('a')] }]);
    expect(s.rows.has('docker/a/old/gone')).toBe(false);
    expect(s.loading).toEqual({ started: true, done: false, received: 2, total: 3 });
    s.apply([{ kind: 'snapshot', first: false, done: true, total: 3, upsert: [row('a', 'blog', 'app')] }]);
    expect(s.loading.done).toBe(true);
    expect([...s.rows.keys()].sort()).toEqual(['docker/a/blog/app', 'docker/a/shop/db', 'docker/a/shop/web']);
    expect(s.endpoints.map((e) => e.name)).toEqual(['a']);
  });

  it('keeps group, total, endpoint and problem counts right through status changes, removals and group moves', () => {
    const s = new StackStore();
    s.apply(snapshot([row('a', 'shop', 'web'), row('a', 'shop', 'db'), row('a', 'blog', 'app', 'warning')]));
    const shop = () => s.groups.get('docker/a\u0000shop')!;
    expect(shop().counts).toMatchObject({ ok: 2, error: 0 });

    s.apply([patch([row('a', 'shop', 'web', 'ok', { update: 'error' })])]); // a failed update wins
    expect(shop().counts).toMatchObject({ ok: 1, error: 1 });
    expect([...s.problems.error]).toEqual(['docker/a/shop/web']);

    // db moves from shop to blog under the same id's new group (a relabelled project).
    s.apply([patch([{ ...row('a', 'blog', 'db'), id: 'docker/a/shop/db' }])]);
    expect(shop().members.map((e) => e.row.name)).toEqual(['web']);
    expect(s.groups.get('docker/a\u0000blog')!.counts).toMatchObject({ ok: 1, warning: 1 });

    s.apply([patch([], ['docker/a/shop/web'])]);
    expect(s.groups.has('docker/a\u0000shop')).toBe(false); // empty groups go
    expect(s.problems.error.size).toBe(0);
    expect(s.counts).toEqual(countStatuses([...s.rows.values()].map((e) => e.row)));
    expect(s.byEndpoint.get('docker/a')).toEqual(s.counts);
  });

  it('keys groups by endpoint and group name: the same project on two engines is two groups, problems first', () => {
    const s = new StackStore();
    s.apply(snapshot([row('a', 'shop', 'web'), row('b', 'shop', 'web', 'error'), row('a', 'apps', 'x')], [ep('a'), ep('b')]));
    expect(s.manyEndpoints()).toBe(true);
    expect(lines(s)).toEqual(['[shop]', 'web', '[apps]', 'x', '[shop]', 'web']);
    expect(s.itemAt(0)).toMatchObject({ kind: 'group', group: { endpoint: 'docker/b' } });
    // The error clears: its group falls back into name order.
    s.apply([patch([row('b', 'shop', 'web')])]);
    expect(lines(s).filter((l) => l.startsWith('['))).toEqual(['[apps]', '[shop]', '[shop]']);
  });

  it('sorts members by name within a group, including rows that arrive later', () => {
    const s = new StackStore();
    s.apply(snapshot([row('a', 'g', 'Zeta'), row('a', 'g', 'alpha')]));
    s.apply([patch([row('a', 'g', 'beta')])]);
    expect(lines(s)).toEqual(['[g]', 'alpha', 'beta', 'Zeta']);
  });
});

describe('stack store: the list', () => {
  const fill = () => {
    const s = new StackStore();
    s.apply(snapshot([
      row('a', 'shop', 'web', 'error'), row('a', 'shop', 'worker'), row('a', 'shop', 'db', 'not_applicable'),
      row('a', 'blog', 'app', 'pending'), row('a', 'blog', 'web-cache'),
      { ...row('a', 'ns', 'api'), id: 'kube/a/ns/api', plane: 'kube' },
    ]));
    return s;
  };

  it('filters by name text, hiding groups with nothing left', () => {
    const s = fill();
    s.setFilter({ text: 'WEB' });
    expect(lines(s)).toEqual(['[shop]', 'web', '[blog]', 'web-cache']);
    expect(s.matchedCount()).toBe(2);
  });

  it('filters by status chips (ok covers not applicable) and by plane', () => {
    const s = fill();
    s.setFilter({ statuses: new Set(['ok']) });
    expect(lines(s)).toEqual(['[shop]', 'db', 'worker', '[blog]', 'web-cache', '[ns]', 'api']);
    s.setFilter({ statuses: new Set(['error', 'pending']) });
    expect(lines(s)).toEqual(['[shop]', 'web', '[blog]', 'app']);
    s.setFilter({ statuses: new Set(), planes: new Set(['kube']) });
    expect(lines(s)).toEqual(['[ns]', 'api']);
  });

  it('keeps a filtered list right as rows change status under it', () => {
    const s = fill();
    s.setFilter({ statuses: new Set(['error']) });
    expect(lines(s)).toEqual(['[shop]', 'web']);
    s.apply([patch([row('a', 'shop', 'worker', 'error'), row('a', 'shop', 'web')])]);
    expect(lines(s)).toEqual(['[shop]', 'worker']);
    s.apply([patch([row('a', 'blog', 'app', 'error')])]);
    expect(lines(s)).toEqual(['[blog]', 'app', '[shop]', 'worker']); // both have errors now: name order
  });

  it('collapses a group to its header, and all groups at once; navigation skips what is hidden', () => {
    const s = fill();
    const shopKey = 'docker/a\u0000shop';
    s.toggleCollapsed(shopKey);
    expect(lines(s)).toEqual(['[shop +]', '[blog]', 'app', 'web-cache', '[ns]', 'api']);
    expect(s.indexOf('docker/a/shop/web')).toBe(-1);
    expect(s.step(undefined, 1)).toBe('docker/a/blog/app');
    expect(s.step('docker/a/blog/web-cache', 1)).toBe('kube/a/ns/api'); // over the next header
    expect(s.step('kube/a/ns/api', 1)).toBe('kube/a/ns/api'); // stays at the end
    expect(s.step('docker/a/blog/app', -1)).toBe('docker/a/blog/app'); // the collapsed group is skipped
    s.setAllCollapsed(true);
    expect(lines(s)).toEqual(['[shop +]', '[blog +]', '[ns +]']);
    expect(s.step(undefined, 1)).toBeUndefined();
    s.setAllCollapsed(false);
    expect(s.listSize()).toBe(9);
    expect(s.indexOf('docker/a/shop/db')).toBe(1);
  });
});

describe('stack store: overview', () => {
  it('lists problems worst first, capped, with the total', () => {
    const s = new StackStore();
    s.apply(snapshot([row('a', 'g', 'c', 'warning'), row('a', 'g', 'b', 'error'), row('a', 'g', 'a', 'warning'), row('a', 'g', 'ok'), row('a', 'g', 'na', 'not_applicable'), row('a', 'g', 'u', 'unknown')]));
    expect(s.problemRows(10).rows.map((e) => e.row.name)).toEqual(['b', 'a', 'c', 'u']);
    const capped = s.problemRows(2);
    expect(capped.total).toBe(4);
    expect(capped.rows.map((e) => e.status)).toEqual(['error', 'warning']);
  });

  it('seeds recent changes from `since` on the snapshot and records status changes from patches, newest first', () => {
    let now = 10_000;
    const s = new StackStore(() => now);
    s.apply(snapshot([row('a', 'g', 'old', 'ok', { since: 1000 }), row('a', 'g', 'newer', 'ok', { since: 5000 }), row('a', 'g', 'never')]));
    expect(s.recent.entries().map((c) => c.name)).toEqual(['newer', 'old']);
    now = 20_000;
    s.apply([patch([row('a', 'g', 'never', 'error'), row('a', 'g', 'newer', 'ok', { since: 5000 })])]); // newer: same status, no entry
    expect(s.recent.entries().map((c) => [c.name, c.from, c.to, c.at])).toEqual([['never', 'ok', 'error', 20_000], ['newer', undefined, 'ok', 5000], ['old', undefined, 'ok', 1000]]);
    s.apply([patch([row('a', 'g', 'old', 'warning', { since: 30_000 })])]);
    expect(s.recent.entries().map((c) => c.name)).toEqual(['old', 'never', 'newer']); // one entry per resource
    s.apply([patch([], ['docker/a/g/old'])]);
    expect(s.recent.entries().map((c) => c.name)).toEqual(['never', 'newer']);
  });

  it('keeps only the newest changes past its cap', () => {
    const r = new RecentChanges(3);
    for (const at of [5, 1, 9, 3, 7]) r.record({ id: `r${at}`, name: `r${at}`, group: 'g', to: 'ok', at });
    expect(r.entries().map((c) => c.at)).toEqual([9, 7, 5]);
  });

  it('says times in words', () => {
    expect(relativeTime(0, 2_000)).toBe('just now');
    expect(relativeTime(0, 125_000)).toBe('2 min ago');
    expect(relativeTime(0, 3 * 3600_000 + 10)).toBe('3 h ago');
    expect(untilTime(12_000, 500)).toBe('in 12 s');
    expect(untilTime(0, 500)).toBe('now');
  });

  it('shows a timestamp fact (a host\'s "looked at") as its age, with the time kept for a hover, and other facts as they are', () => {
    const now = Date.parse('2026-12-07T02:30:00Z');
    expect(factDisplay('2026-12-07T02:29:20.123Z', now)).toEqual({ text: '40 s ago', at: '2026-12-07T02:29:20.123Z' });
    expect(factDisplay('2026-12-07T00:30:00Z', now)).toEqual({ text: '2 h ago', at: '2026-12-07T00:30:00Z' });
    // a clock ahead of the page's is not turned into "just now": the exact time is shown
    expect(factDisplay('2026-12-07T03:30:00Z', now).text).toBe('2026-12-07T03:30:00Z');
    for (const v of ['up 3 days', '2026-12-07', '2026-12-07T02:29:20+01:00', '2026-13-45T99:99:99Z', '']) expect(factDisplay(v, now).text).toBe(v);
  });
});

describe('stack store at 50,000 rows', () => {
  const N = 50_000;
  const GROUPS = 500;
  const big = () => {
    const rows: ResourceRow[] = [];
    for (let i = 0; i < N; i++) rows.push(row('a', `group-${i % GROUPS}`, `svc-${String(i).padStart(5, '0')}`, i % 97 === 0 ? 'error' : 'ok'));
    const s = new StackStore();
    for (let i = 0; i < N; i += 2000) s.apply([{ kind: 'snapshot', first: i === 0, done: i + 2000 >= N, total: N, upsert: rows.slice(i, i + 2000), endpoints: [ep('a')] }]);
    s.listSize();
    return { s, rows };
  };

  it('a batch of 50 patches touches only their rows and groups, in place, without rebuilding the list', () => {
    const { s, rows } = big();
    const rowsMap = s.rows;
    const versions = new Map([...s.groups.values()].map((g) => [g.key, g.version]));
    const rebuilds = s.blockRebuilds;
    // 50 status changes in 10 groups, none of which changes a group's worst status (each already has an error).
    const changed: ResourceRow[] = [];
    for (let i = 0; changed.length < 50; i += GROUPS) {
      for (let g = 0; g < 10 && changed.length < 50; g++) if (rows[i + g].runtime === 'ok') changed.push({ ...rows[i + g], runtime: 'warning' });
    }
    s.apply(changed.map((r) => patch([r])));
    expect(s.lastBatch).toEqual({ rows: 50, groups: 10 });
    expect(s.rows).toBe(rowsMap);
    const bumped = [...s.groups.values()].filter((g) => g.version !== versions.get(g.key)).map((g) => g.name).sort();
    expect(bumped).toEqual(Array.from({ length: 10 }, (_, k) => `group-${k}`).sort());
    s.listSize();
    expect(s.blockRebuilds).toBe(rebuilds);
    expect(s.counts.warning).toBe(50);
  });
});
