import { describe, expect, it } from 'vitest';
import { sinceArg, statusScope } from '../../core/host/cli';
import type { RawLine } from '../../core/logs/lines';
import { followMerged, labelled, MAX_MERGED_PARTS, mergeByTime, readMergedTail, type LogPart, type MergedLogSource } from '../../core/logs/merge';
import type { Entry } from '../../core/logs/partials';
import { tsKey } from '../../core/logs/resume';
import type { LogSource } from '../../core/logs/source';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { UnreachableError, type KubeTransport } from '../../core/planes/kube/client';
import { containerNotStreamable, endedBecause, kubeContainerLog, kubeLogEntry, kubeLogPath, kubeSinceTime, LineSplitter } from '../../core/planes/kube/logs';
import type { ContainerStatus, KubePod } from '../../core/planes/kube/objects';
import type { PlaneEndpoint } from '../../shared/contract/domain';
import { until } from '../support/wait';

const pod = (statuses: ContainerStatus[], extra: Partial<KubePod> = {}): KubePod => ({
  meta: { name: 'web-1', ns: 'app', uid: 'u', resourceVersion: '1', labels: {}, annotations: {}, owners: [] },
  phase: 'Running', conditions: [], containers: [{ name: 'web', image: 'x', ports: [] }], initContainers: [],
  containerStatuses: statuses, initContainerStatuses: [], claims: [], ...extra,
});
const status = (state: ContainerStatus['state'], restartCount = 0, lastState?: ContainerStatus['state']): ContainerStatus =>
  ({ name: 'web', image: 'x', ready: false, restartCount, state, lastState });

describe('kube log lines', () => {
  it('splits the RFC3339Nano prefix from the text, keeping the nanoseconds as written', () => {
    const e = kubeLogEntry(Buffer.from('2026-12-06T14:58:35.745964123Z INFO:  started  \n'));
    expect(e.ts).toBe('2026-12-06T14:58:35.745964123Z');
    expect(e.text.toString()).toBe('INFO:  started  ');
    expect(e.partial).toBe(false);
  });

  it('keeps a line without a timestamp whole, with none (a server that ignored timestamps=true)', () => {
    const e = kubeLogEntry(Buffer.from('no time here\r\n'));
    expect(e.ts).toBeUndefined();
    expect(e.text.toString()).toBe('no time here');
  });

  it('joins a line cut across reads, and hands out a last line without newline at the end', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l.toString()));
    s.write(Buffer.from('2026-12-06T00:00:00Z a\n2026-12-06T00:00:01Z b'));
    s.write(Buffer.from('cd\n2026-12-06T00:00:02Z e'));
    expect(lines).toEqual(['2026-12-06T00:00:00Z a', '2026-12-06T00:00:01Z bcd']);
    s.end();
    expect(lines.at(-1)).toBe('2026-12-06T00:00:02Z e');
  });

  it('builds the one log query with the names encoded and since floored to its second', () => {
    expect(kubeLogPath('app', 'web-1', { container: 'web', follow: true, since: '2026-12-06T14:58:35.745964Z', previous: false }))
      .toBe('/api/v1/namespaces/app/pods/web-1/log?container=web&timestamps=true&follow=true&sinceTime=2026-12-06T14%3A58%3A35Z');
    expect(kubeLogPath('a b', 'p', { container: 'c', follow: false, tail: 10, previous: true })).toBe('/api/v1/namespaces/a%20b/pods/p/log?container=c&timestamps=true&previous=true&tailLines=10');
    expect(kubeSinceTime('2026-12-06T15:58:35.9+01:00')).toBe('2026-12-06T14:58:35Z');
    expect(() => kubeSinceTime('yesterday')).toThrow(/not an RFC 3339 time: 'yesterday'/);
  });
});

describe('why a container log cannot be followed, or ended', () => {
  it('says deleted, restarting with its restarts, waiting, or nothing for a running container', () => {
    expect(containerNotStreamable(undefined, 'web-1', 'web')).toBe('pod web-1 deleted');
    expect(containerNotStreamable(pod([status({ kind: 'waiting', reason: 'CrashLoopBackOff' }, 3)]), 'web-1', 'web')).toBe('container web restarting (CrashLoopBackOff, 3 restarts)');
    expect(containerNotStreamable(pod([status({ kind: 'waiting', reason: 'ContainerCreating' })]), 'web-1', 'web')).toBe('container web waiting (ContainerCreating)');
    expect(containerNotStreamable(pod([], { phase: 'Pending' }), 'web-1', 'web')).toBe('pod web-1 pending (not started yet)');
    expect(containerNotStreamable(pod([status({ kind: 'running' })]), 'web-1', 'web')).toBeUndefined();
  });

  it('names an exit with its code, a restart, and a pod being deleted', () => {
    expect(endedBecause(pod([status({ kind: 'terminated', exitCode: 1, reason: 'Error' })]), 'web-1', 'web')).toBe('container web exited with code 1 (Error)');
    expect(endedBecause(pod([status({ kind: 'running' }, 2, { kind: 'terminated', exitCode: 1 })]), 'web-1', 'web')).toBe('container web restarted (2 restarts)');
    const deleting = pod([status({ kind: 'running' })]);
    deleting.meta.deletionTimestamp = '2026-12-06T00:00:00Z';
    expect(endedBecause(deleting, 'web-1', 'web')).toBe('pod web-1 is being deleted');
  });
});

describe('merging the logs of several containers', () => {
  const l = (ts: string | undefined, text: string): RawLine => ({ stream: 'stdout', ts, text });

  it('orders by timestamp across parts, keeps each part in order, and puts an untimed line after its predecessor', () => {
    const a = [l('2026-12-06T00:00:01.000000001Z', 'a1'), l('2026-12-06T00:00:03Z', 'a3'), l(undefined, 'a3-cont')];
    const b = [l('2026-12-06T00:00:01.0000000009Z', 'b1'), l('2026-12-06T00:00:02Z', 'b2'), l('2026-12-06T00:00:03Z', 'b3')];
    expect(mergeByTime([a, b]).map((x) => x.text)).toEqual(['b1', 'a1', 'b2', 'a3', 'a3-cont', 'b3']);
  });

  it('prefixes the first piece of a line with its coloured label, never a continuation piece', () => {
    expect(labelled(l('t', 'hello'), 'web-1/web').text).toMatch(/^\x1b\[\d+mweb-1\/web\x1b\[0m hello$/);
    const cont: RawLine = { stream: 'stdout', text: 'rest', part: { index: 1, more: false } };
    expect(labelled(cont, 'web-1/web').text).toBe('rest');
  });
});

/** A CRI-like source: records with timestamps, since inclusive, tail in records. */
class Fake implements LogSource {
  records: Entry[] = [];
  live = new Set<{ onRecord: (e: Entry) => void; onEnd: (err?: Error) => void }>();
  opened: Array<{ tail?: number; since?: string; follow: boolean }> = [];
  failOpen?: Error;
  constructor(readonly name: string) {}
  describe() { return this.name; }
  state() { return { ready: true }; }
  async open(from: { tail?: number; since?: string; follow: boolean }, onRecord: (e: Entry) => void, onEnd: (err?: Error) => void) {
    this.opened.push(from);
    if (this.failOpen) throw this.failOpen;
    let recs = this.records;
    if (from.since !== undefined) recs = recs.filter((e) => tsKey(e.ts!) >= tsKey(from.since!));
    if (from.tail !== undefined) recs = recs.slice(Math.max(0, recs.length - from.tail));
    const s = { onRecord, onEnd };
    if (from.follow) this.live.add(s);
    queueMicrotask(() => { recs.forEach(onRecord); if (!from.follow) onEnd(); });
    return () => { this.live.delete(s); };
  }
  add(ts: string, text: string) { const e: Entry = { stream: 'stdout', ts, text: Buffer.from(text), partial: false }; this.records.push(e); for (const s of this.live) s.onRecord(e); }
}

function harness(parts: Array<{ key: string; src: Fake }>, now = Date.parse('2026-12-06T10:00:00Z')) {
  const lines: RawLine[] = [];
  const watchers = new Set<() => void>();
  const source = (): MergedLogSource => ({
    merged: true, labelled: true, describe: () => 'deployment app/web',
    parts: () => parts.map((p): LogPart => ({ key: p.key, label: p.key, source: p.src })),
  });
  const close = followMerged({ resolve: source, watch: (fn) => { watchers.add(fn); return () => watchers.delete(fn); }, now: () => now }, 3, {
    line: (x) => lines.push(x), end: () => {},
  });
  const texts = () => lines.map((x) => x.text.replace(/\x1b\[\d+m/g, ''));
  return { lines, texts, close, changed: () => [...watchers].forEach((fn) => fn()) };
}

describe('following a merged log', () => {
  it('starts with the last lines of all parts in time order, then passes live lines through', async () => {
    const a = new Fake('a'), b = new Fake('b');
    a.add('2026-12-06T09:00:01Z', 'a1'); a.add('2026-12-06T09:00:04Z', 'a4');
    b.add('2026-12-06T09:00:02Z', 'b2'); b.add('2026-12-06T09:00:03Z', 'b3'); b.add('2026-12-06T09:00:05Z', 'b5');
    const h = harness([{ key: 'p1/a', src: a }, { key: 'p2/b', src: b }]);
    await until('both parts followed', () => a.live.size === 1 && b.live.size === 1, 3_000, 5);
    // tail 3 of the merged log: the three newest across both parts, oldest first.
    expect(h.texts()).toEqual(['p2/b b3', 'p1/a a4', 'p2/b b5']);
    a.add('2026-12-06T09:00:06Z', 'a6');
    expect(h.texts().at(-1)).toBe('p1/a a6');
    h.close();
    expect(a.live.size + b.live.size).toBe(0);
  });

  it('follows a pod that appears later from when the follow began, and one part failing does not stop the others', async () => {
    const a = new Fake('a'), late = new Fake('late');
    a.add('2026-12-06T09:00:01Z', 'a1');
    late.add('2026-12-06T09:59:00Z', 'before the follow');
    late.add('2026-12-06T10:00:01Z', 'after the follow began');
    const parts = [{ key: 'p1/a', src: a }];
    const h = harness(parts);
    await until('part a followed', () => a.live.size === 1, 3_000, 5);
    parts.push({ key: 'p2/late', src: late });
    h.changed();
    await until('the late part followed', () => late.live.size === 1, 3_000, 5);
    expect(late.opened.at(-1)).toEqual({ follow: true, since: '2026-12-06T10:00:00.000Z' });
    expect(h.texts()).toContain('p2/late after the follow began');
    expect(h.texts()).not.toContain('p2/late before the follow');

    const broken = new Fake('broken');
    broken.failOpen = new Error('container "c" in pod "p3" is waiting to start: ContainerCreating');
    parts.push({ key: 'p3/c', src: broken });
    h.changed();
    await until('the broken part said why', () => h.texts().some((t) => t.includes('waiting to start')), 4_000, 5);
    a.add('2026-12-06T10:00:05Z', 'still flowing');
    expect(h.texts().at(-1)).toBe('p1/a still flowing');
    h.close();
  });
});

describe('a merged log of many pods', () => {
  it('reads at most MAX_MERGED_PARTS of them and says so first', async () => {
    const fakes = Array.from({ length: MAX_MERGED_PARTS + 5 }, (_, i) => { const f = new Fake(`p${i}`); f.add(`2026-12-06T09:00:${String(i).padStart(2, '0')}Z`, `line ${i}`); return f; });
    const src: MergedLogSource = { merged: true, labelled: true, describe: () => 'daemonset kube-system/agent', parts: () => fakes.map((f, i) => ({ key: `p${i}/c`, label: `p${i}/c`, source: f })) };
    const lines = await readMergedTail(src, 1000);
    expect(lines[0]).toEqual({ stream: 'system', text: `— daemonset kube-system/agent has ${MAX_MERGED_PARTS + 5} containers: showing the first ${MAX_MERGED_PARTS} (name one with --container, or a pod) —` });
    expect(lines).toHaveLength(MAX_MERGED_PARTS + 1);
    expect(fakes.filter((f) => f.opened.length).length).toBe(MAX_MERGED_PARTS);
  });
});

describe('the CLI: --since and the kube filters of status', () => {
  const now = Date.parse('2026-12-06T15:00:00Z');
  it('turns a duration into a time back from now and keeps an RFC 3339 time as written', () => {
    expect(sinceArg('10m', now)).toBe('2026-12-06T14:50:00.000Z');
    expect(sinceArg('1h30m', now)).toBe('2026-12-06T13:30:00.000Z');
    expect(sinceArg('2026-12-06T14:00:00.123456789Z', now)).toBe('2026-12-06T14:00:00.123456789Z');
    expect(() => sinceArg('10 minutes', now)).toThrow("--since must be a duration (30s, 10m, 2h, 1h30m) or an RFC 3339 time (2026-12-06T14:00:00Z), got '10 minutes'");
    expect(() => sinceArg('', now)).toThrow(/--since must be/);
  });

  it('maps --context to the context endpoint and --namespace to kube groups, naming an unknown context', () => {
    const eps = [
      { id: 'kube/prod', plane: 'kube', name: 'prod' }, { id: 'kube/dev', plane: 'kube', name: 'dev' }, { id: 'docker/default', plane: 'docker', name: 'default' },
    ] as PlaneEndpoint[];
    expect(statusScope({ context: ['prod'], namespace: ['web', 'db'] }, eps)).toEqual({ endpoints: ['kube/prod'], groups: ['web', 'db'], planes: ['kube'] });
    expect(() => statusScope({ context: ['staging'] }, eps)).toThrow("no kube context 'staging' (contexts: prod, dev)");
  });
});

/** An API server answering one canned response per path prefix, streaming its body in the chunks given. */
function fakeServer(answers: Record<string, { status: number; chunks: string[] } | Error>) {
  const asked: string[] = [];
  const transport: KubeTransport = {
    async get(p) {
      asked.push(p);
      const a = Object.entries(answers).find(([k]) => p.startsWith(k))?.[1];
      if (!a) throw new Error(`unexpected ${p}`);
      if (a instanceof Error) throw a;
      const res = new PassThrough() as PassThrough & { statusCode: number };
      res.statusCode = a.status;
      queueMicrotask(() => { for (const c of a.chunks) res.write(c); res.end(); });
      return res as unknown as IncomingMessage;
    },
  };
  return { transport, asked };
}

describe('one container log through the API', () => {
  const LOG = '/api/v1/namespaces/app/pods/web-1/log';
  const read = (src: ReturnType<typeof kubeContainerLog>, from: { tail?: number; since?: string }) => new Promise<Entry[]>((resolve, reject) => {
    const out: Entry[] = [];
    src.open({ follow: false, ...from }, (e) => out.push(e), (err) => (err ? reject(err) : resolve(out))).catch(reject);
  });

  it('asks from the whole second but hands out only records from the exact since on', async () => {
    const { transport, asked } = fakeServer({ [LOG]: { status: 200, chunks: ['2026-12-06T10:00:05.100000000Z early\n2026-12-06T10:00:05.5000', '00000Z at\n2026-12-06T10:00:06Z later\n'] } });
    const src = kubeContainerLog({ id: 'kube/x', transport, reachable: () => ({ ok: true }) }, 'app', 'web-1', 'web', () => undefined);
    const got = await read(src, { since: '2026-12-06T10:00:05.5Z' });
    expect(asked[0]).toContain('sinceTime=2026-12-06T10%3A00%3A05Z');
    expect(got.map((e) => e.text.toString())).toEqual(['at', 'later']);
  });

  it("says the server's refusal with the container it was for", async () => {
    const body = JSON.stringify({ kind: 'Status', message: 'container "web" in pod "web-1" is waiting to start: ContainerCreating', code: 400 });
    const { transport } = fakeServer({ [LOG]: { status: 400, chunks: [body] } });
    const src = kubeContainerLog({ id: 'kube/x', transport, reachable: () => ({ ok: true }) }, 'app', 'web-1', 'web', () => undefined);
    await expect(read(src, { tail: 10 })).rejects.toMatchObject({
      code: 'invalid-input',
      message: 'cannot read the log of container web of pod app/web-1 on kube/x: container "web" in pod "web-1" is waiting to start: ContainerCreating',
    });
  });

  it('explains a break from the server: pod deleted, or the server unreachable', async () => {
    const gone = fakeServer({ '/api/v1/namespaces/app/pods/web-1': { status: 404, chunks: ['{}'] } });
    const src = kubeContainerLog({ id: 'kube/x', transport: gone.transport, reachable: () => ({ ok: true }) }, 'app', 'web-1', 'web', () => undefined);
    expect(await src.explain!()).toBe('pod web-1 deleted');
    const away = fakeServer({ '/api/v1/namespaces/app/pods/web-1': new UnreachableError('cannot reach https://10.0.0.5:6443: connection refused') });
    const src2 = kubeContainerLog({ id: 'kube/x', transport: away.transport, reachable: () => ({ ok: true }) }, 'app', 'web-1', 'web', () => undefined);
    expect(await src2.explain!(new Error('socket hang up'))).toBe('cannot reach https://10.0.0.5:6443: connection refused');
    const down = kubeContainerLog({ id: 'kube/x', transport: away.transport, reachable: () => ({ ok: false, why: 'API server of kube/x unreachable: connection refused' }) }, 'app', 'web-1', 'web', () => undefined);
    expect(down.state()).toEqual({ ready: false, why: 'API server of kube/x unreachable: connection refused' });
  });
});
