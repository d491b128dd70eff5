import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResourceRow, ViewItem } from '../../shared/contract/domain';
import { muteResource, NO_MUTES, type Mutes } from '../../shared/notify/mutes';
import type { NotificationText } from '../../shared/notify/rules';
import { NotificationCenter } from '../../renderer/src/notifications/center';
import { webDelivery, type Delivery, type Permission } from '../../renderer/src/notifications/delivery';
import { localStorageBackend, MuteStore, MUTES_KEY, type MuteBackend } from '../../renderer/src/notifications/mutesStore';

// The page's side of notifications: the center that feeds the rules and sets one timer, the mute store
// and its persistence, the Web Notifications delivery. Fakes stand for the browser.

const row = (name: string, runtime: ResourceRow['runtime']): ResourceRow => ({
  id: `docker/default/shop/${name}`, name, kind: 'compose-service', plane: 'docker', endpoint: 'docker/default',
  group: { kind: 'compose-project', name: 'shop' }, runtime, update: 'idle',
});
const snapshot = (rows: ResourceRow[]): ViewItem[] => [{ kind: 'snapshot', first: true, done: true, total: rows.length, upsert: rows }];
const patch = (rows: ResourceRow[]): ViewItem[] => [{ kind: 'patch', upsert: rows, remove: [] }];

function memoryStorage(init: Record<string, string> = {}): Storage {
  const m = new Map(Object.entries(init));
  return {
    get length() { return m.size; }, clear: () => m.clear(), key: (i) => [...m.keys()][i] ?? null,
    getItem: (k) => m.get(k) ?? null, setItem: (k, v) => { m.set(k, String(v)); }, removeItem: (k) => { m.delete(k); },
  };
}
const settle = () => new Promise((r) => setTimeout(r, 0));

function fakeDelivery(perm: Permission) {
  const shown: NotificationText[] = [];
  let p = perm;
  const d: Delivery & { shown: NotificationText[]; set(p: Permission): void } = {
    kind: 'web', shown, set: (x) => { p = x; },
    permission: () => p, request: async () => p, show: (n) => shown.push(n), onClick: () => undefined,
  };
  return d;
}
const memoryBackend = (mutes: Mutes = NO_MUTES): MuteBackend & { saved: Mutes[] } => {
  const saved: Mutes[] = [];
  return { saved, load: async () => ({ mutes }), save: (m) => saved.push(m) };
};

describe('the page\'s notification center', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('a notification the browser refuses to construct is said, and the next batch is still taken', async () => {
    const d = fakeDelivery('granted');
    let refuse = true;
    d.show = (n) => { if (refuse) throw new TypeError("Failed to construct 'Notification': Illegal constructor. Use ServiceWorkerRegistration.showNotification() instead."); d.shown.push(n); };
    const c = new NotificationCenter(d, new MuteStore(memoryBackend()), { groupMs: 1_000 });
    c.observe(snapshot([row('web', 'ok'), row('db', 'ok')]));
    expect(() => c.observe(patch([row('web', 'error')]))).not.toThrow();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(c.failed).toMatch(/^"web turned red" could not be shown: Failed to construct 'Notification': Illegal constructor/);
    refuse = false;
    c.observe(patch([row('db', 'error')]));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(d.shown.map((n) => n.title)).toEqual(['db turned red']);
    expect(c.failed).toBeUndefined();
  });

  it('hands one notification to the desktop when it is due, from one timer set only while something waits', async () => {
    const d = fakeDelivery('granted');
    const c = new NotificationCenter(d, new MuteStore(memoryBackend()), { groupMs: 4_000 });
    c.observe(snapshot([row('web', 'ok'), row('db', 'ok')]));
    expect(vi.getTimerCount()).toBe(0);
    c.observe(patch([row('web', 'error')]));
    await vi.advanceTimersByTimeAsync(1_000);
    c.observe(patch([row('db', 'error'), row('web', 'error')]));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(d.shown).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(d.shown.map((n) => [n.title, n.body])).toEqual([['2 resources turned red', 'web, db']]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a batch arriving after the moment hands the notification out at once (a hidden tab\'s timer may lag)', async () => {
    const d = fakeDelivery('granted');
    let t = 1_000;
    const c = new NotificationCenter(d, new MuteStore(memoryBackend()), { groupMs: 4_000 }, () => t);
    c.observe(snapshot([row('web', 'ok'), row('db', 'ok')]));
    c.observe(patch([row('web', 'error')]));
    t += 5_000; // the timer has not run
    c.observe(patch([row('db', 'ok')]));
    expect(d.shown.map((n) => n.title)).toEqual(['web turned red']);
  });

  it('gives nothing to a browser that has not granted notifications, and asks only when told to', async () => {
    const d = fakeDelivery('default');
    const request = vi.spyOn(d, 'request');
    const c = new NotificationCenter(d, new MuteStore(memoryBackend()));
    c.observe(snapshot([row('web', 'ok')]));
    c.observe(patch([row('web', 'error')]));
    await vi.runAllTimersAsync();
    expect(d.shown).toEqual([]);
    expect(request).not.toHaveBeenCalled();
    d.set('denied');
    expect(await c.requestPermission()).toBe('denied');
    expect(c.permission()).toBe('denied');
  });

  it('reads the mutes as they are when the notification is due', async () => {
    const d = fakeDelivery('granted');
    const mutes = new MuteStore(memoryBackend());
    const c = new NotificationCenter(d, mutes);
    await vi.advanceTimersByTimeAsync(0); // the stored mutes are read
    c.observe(snapshot([row('web', 'ok')]));
    c.observe(patch([row('web', 'error')]));
    mutes.update((m) => muteResource(m, 'docker/default/shop/web'));
    await vi.runAllTimersAsync();
    expect(d.shown).toEqual([]);
  });
});

describe('the mute store', () => {
  it('saves every change, and a change made before the stored mutes were read is applied on top of them', async () => {
    const backend = memoryBackend({ resources: ['a'] });
    const s = new MuteStore(backend);
    s.update((m) => muteResource(m, 'b'));
    await settle();
    expect(s.get()).toEqual({ resources: ['a', 'b'] });
    expect(backend.saved.at(-1)).toEqual({ resources: ['a', 'b'] });
  });

  it('keeps mutes in localStorage, and sets a broken value aside with the key and field named', async () => {
    const storage = memoryStorage();
    const s = new MuteStore(localStorageBackend(storage));
    await settle();
    s.update((m) => muteResource(m, 'docker/default/shop/web'));
    expect(JSON.parse(storage.getItem(MUTES_KEY)!)).toEqual({ resources: ['docker/default/shop/web'] });
    expect((await localStorageBackend(storage).load()).mutes.resources).toEqual(['docker/default/shop/web']);

    const broken = memoryStorage({ [MUTES_KEY]: '{"resources":"web"}' });
    const r = await localStorageBackend(broken).load();
    expect(r.error).toMatch(/^localStorage pilothouse.notify.mutes: field resources: .* \(kept as pilothouse.notify.mutes.broken\)$/);
    expect(broken.getItem(`${MUTES_KEY}.broken`)).toBe('{"resources":"web"}');
    expect((await localStorageBackend(memoryStorage({ [MUTES_KEY]: '{' })).load()).error).toMatch(/not valid JSON/);
  });
});

describe('the Web Notifications delivery', () => {
  afterEach(() => { vi.unstubAllGlobals(); });

  it('shows with a tag per resource, and a click focuses the page and selects the resource', () => {
    const made: any[] = [];
    class FakeNotification { static permission = 'granted'; onclick?: () => void; closed = false; constructor(public title: string, public options: NotificationOptions) { made.push(this); } close() { this.closed = true; } }
    const focus = vi.fn();
    vi.stubGlobal('Notification', FakeNotification);
    vi.stubGlobal('window', { focus });
    const d = webDelivery();
    const picked: string[] = [];
    d.onClick((id) => picked.push(id));
    expect(d.permission()).toBe('granted');
    d.show({ title: 'web turned red', body: 'shop/web', resource: 'docker/default/shop/web', resources: ['docker/default/shop/web'] });
    expect(made[0]).toMatchObject({ title: 'web turned red', options: { body: 'shop/web', tag: 'pilothouse:docker/default/shop/web' } });
    made[0].onclick();
    expect(focus).toHaveBeenCalled();
    expect(picked).toEqual(['docker/default/shop/web']);
    expect(made[0].closed).toBe(true);
    FakeNotification.permission = 'denied';
    d.show({ title: 'x', body: '', resource: 'r', resources: ['r'] });
    expect(made).toHaveLength(1);
  });

  it('says unsupported where there is no Notification', () => {
    vi.stubGlobal('Notification', undefined);
    expect(webDelivery().permission()).toBe('unsupported');
  });
});
