import type { IncomingMessage } from 'node:http';
import type { Resource } from '../../../shared/contract/domain';
import { PilothouseError, type ErrorCode } from '../../../shared/contract/envelope';
import type { LogOptions, LogPart, MergedLogSource } from '../../logs/merge';
import type { Entry } from '../../logs/partials';
import { tsKey, tsParts } from '../../logs/resume';
import type { LogSource } from '../../logs/source';
import type { ModelObject } from '../../model/object';
import { UnreachableError, type KubeTransport } from './client';
import type { KubePod } from './objects';

/** What a kube log needs of its context: its requests, and whether its API server answers now. */
export interface KubeLogContext {
  id: string;
  transport: KubeTransport;
  /** The endpoint's state as the watches see it: a log is not opened against a server that is away. */
  reachable(): { ok: boolean; why?: string };
}

/** The one query of the pod log endpoint, built in one place (names go through encodeURIComponent). */
export function kubeLogPath(ns: string, pod: string, q: { container: string; follow: boolean; tail?: number; since?: string; previous?: boolean }): string {
  const p = new URLSearchParams({ container: q.container, timestamps: 'true' });
  if (q.follow) p.set('follow', 'true');
  if (q.previous) p.set('previous', 'true');
  if (q.since !== undefined) p.set('sinceTime', kubeSinceTime(q.since));
  if (q.tail !== undefined) p.set('tailLines', String(q.tail));
  return `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/log?${p}`;
}

/**
 * `sinceTime` as the API server takes it: it passes whole seconds on to the kubelet, so the time is
 * floored to its second (inclusive); the follow engine drops the records it already delivered.
 */
export function kubeSinceTime(iso: string): string {
  const p = tsParts(iso);
  if (!p) throw new PilothouseError('invalid-input', `not an RFC 3339 time: '${iso}'`);
  return new Date(p.seconds * 1000).toISOString().replace('.000Z', 'Z');
}

const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;

/**
 * One line of the API's log with `timestamps=true`: "<RFC3339Nano> <text>". The kubelet joins the CRI
 * file's partial records (P) into one line with the first piece's timestamp, so every line is whole,
 * and stdout and stderr arrive as one stream (reported as stdout).
 */
export function kubeLogEntry(line: Buffer): Entry {
  let stop = line.length;
  if (stop > 0 && line[stop - 1] === 0x0a) stop--;
  if (stop > 0 && line[stop - 1] === 0x0d) stop--;
  const m = TS.exec(line.toString('latin1', 0, Math.min(stop, 48)));
  if (!m) return { stream: 'stdout', text: line.subarray(0, stop), partial: false };
  return { stream: 'stdout', ts: m[1], text: line.subarray(m[0].length, stop), partial: false };
}

/** Cuts a byte stream into lines at '\n'; a line cut by the stream's end is handed out by end(). */
export class LineSplitter {
  private carry: Buffer[] = [];

  constructor(private readonly onLine: (line: Buffer) => void) {}

  write(chunk: Buffer): void {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) break;
      const piece = chunk.subarray(pos, nl);
      if (this.carry.length) { this.carry.push(piece); this.onLine(Buffer.concat(this.carry)); this.carry = []; } else this.onLine(piece);
      pos = nl + 1;
    }
    if (pos < chunk.length) this.carry.push(Buffer.from(chunk.subarray(pos)));
  }

  end(): void {
    if (this.carry.length) this.onLine(Buffer.concat(this.carry));
    this.carry = [];
  }
}

/** Why a container's log cannot be followed now, from the pod as the model has it; undefined when it can. */
export function containerNotStreamable(pod: KubePod | undefined, podName: string, container: string): string | undefined {
  if (!pod) return `pod ${podName} deleted`;
  const st = [...pod.containerStatuses, ...pod.initContainerStatuses].find((c) => c.name === container);
  if (!st) return pod.phase === 'Pending' ? `pod ${podName} pending (not started yet)` : undefined;
  const s = st.state;
  if (s.kind === 'waiting') {
    const restarting = st.restartCount > 0 || s.reason === 'CrashLoopBackOff';
    return `container ${container} ${restarting ? 'restarting' : 'waiting'}${s.reason ? ` (${s.reason}${st.restartCount ? `, ${st.restartCount} restarts` : ''})` : ''}`;
  }
  return undefined;
}

/** Why a stream ended, from the pod as the server has it now. */
export function endedBecause(pod: KubePod | undefined, podName: string, container: string): string | undefined {
  if (!pod) return `pod ${podName} deleted`;
  if (pod.meta.deletionTimestamp) return `pod ${podName} is being deleted`;
  const st = [...pod.containerStatuses, ...pod.initContainerStatuses].find((c) => c.name === container);
  if (!st) return undefined;
  const s = st.state;
  if (s.kind === 'terminated') return `container ${container} exited with code ${s.exitCode ?? '?'}${s.reason ? ` (${s.reason})` : ''}`;
  return containerNotStreamable(pod, podName, container) ?? (st.lastState?.kind === 'terminated' && st.restartCount > 0 ? `container ${container} restarted (${st.restartCount} restarts)` : undefined);
}

/** The error body of a refused log request (a metav1.Status), as one sentence. */
async function refusal(res: IncomingMessage, what: string): Promise<PilothouseError> {
  const chunks: Buffer[] = [];
  for await (const c of res) { chunks.push(c as Buffer); if (chunks.length > 64) break; }
  const body = Buffer.concat(chunks).toString('utf8');
  let msg = body.trim().slice(0, 500);
  try { msg = (JSON.parse(body) as { message?: string }).message ?? msg; } catch { /* plain text */ }
  const code: ErrorCode = res.statusCode === 404 ? 'not-found' : res.statusCode === 403 || res.statusCode === 401 ? 'permission-denied' : res.statusCode === 400 ? 'invalid-input' : 'unavailable';
  return new PilothouseError(code, `cannot read the log of ${what}: ${msg || `HTTP ${res.statusCode}`}`);
}

/** How long a one-shot read may stay silent; a follow may be quiet for hours (TCP keepalive finds a dead link). */
const READ_IDLE_MS = 30_000;

/**
 * The log of one container of one pod. `pod()` reads the model now (the objects this source was made
 * with may be older); `options` are the operator's (a start time, the previous instance).
 */
export function kubeContainerLog(ctx: KubeLogContext, ns: string, podName: string, container: string, pod: () => KubePod | undefined, options: LogOptions = {}): LogSource {
  const what = `container ${container} of pod ${ns}/${podName} on ${ctx.id}`;
  return {
    describe: () => what,
    state() {
      const r = ctx.reachable();
      if (!r.ok) return { ready: false, why: r.why ?? `API server of ${ctx.id} unreachable` };
      if (options.previous) return { ready: true };
      const why = containerNotStreamable(pod(), podName, container);
      return why ? { ready: false, why } : { ready: true };
    },
    async open(from, onRecord, onEnd) {
      // The operator's start time holds until the follow has a later point of its own.
      const since = from.since ?? options.since;
      const path = kubeLogPath(ns, podName, { container, follow: from.follow && !options.previous, tail: from.since ? undefined : from.tail, since, previous: options.previous });
      const ac = new AbortController();
      let res: IncomingMessage;
      try {
        res = await ctx.transport.get(path, { accept: '*/*', signal: ac.signal, idleTimeoutMs: from.follow ? 0 : READ_IDLE_MS });
      } catch (e) {
        if (e instanceof UnreachableError) throw new PilothouseError('unavailable', e.message);
        throw e;
      }
      if (res.statusCode !== 200) throw await refusal(res, what);
      let ended = false;
      const end = (err?: Error) => { if (ended) return; ended = true; split.end(); onEnd(err); };
      // The server answers from the whole second: records before the exact time are dropped here, so
      // `since` means what the LogSource contract says (inclusive, to the nanosecond).
      let before = since !== undefined ? tsKey(since) : undefined;
      const split = new LineSplitter((l) => {
        const e = kubeLogEntry(l);
        if (before !== undefined && e.ts !== undefined) { if (tsKey(e.ts) < before) return; before = undefined; }
        onRecord(e);
      });
      res.on('data', (c: Buffer) => split.write(c));
      res.on('end', () => end());
      res.on('error', (e) => end(ac.signal.aborted ? undefined : e));
      res.on('aborted', () => end(ac.signal.aborted ? undefined : new Error('connection to the API server lost')));
      return () => { if (!ended) { ended = true; ac.abort(); res.destroy(); } };
    },
    async explain(err) {
      const r = ctx.reachable();
      if (!r.ok) return r.why ?? `API server of ${ctx.id} unreachable`;
      // The server's pod, not the model's: the watch may not have seen the restart or the delete yet.
      try {
        const ac = new AbortController();
        const res = await ctx.transport.get(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(podName)}`, { accept: 'application/json', signal: ac.signal, idleTimeoutMs: 3_000 });
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        if (res.statusCode === 404) return `pod ${podName} deleted`;
        if (res.statusCode === 200) {
          const { trimPod } = await import('./objects');
          const why = endedBecause(trimPod(JSON.parse(Buffer.concat(chunks).toString('utf8'))), podName, container);
          if (why) return why;
        }
      } catch (e) {
        if (e instanceof UnreachableError) return e.message;
      }
      return err ? `log stream broke: ${err.message}` : 'log stream ended';
    },
  };
}

/** Whether a container of the pod has a terminated instance before the current one (`previous=true` finds it). */
function hasPrevious(p: KubePod, container: string): boolean {
  const st = [...p.containerStatuses, ...p.initContainerStatuses].find((c) => c.name === container);
  return !!st && (st.restartCount > 0 || st.lastState?.kind === 'terminated');
}

const podsOf = (objects: readonly ModelObject[]) =>
  objects.filter((o) => o.kind === 'Pod').map((o) => o.data as KubePod).sort((a, b) => (a.meta.name < b.meta.name ? -1 : a.meta.name > b.meta.name ? 1 : 0));

/**
 * A pod-bearing resource's log: one part per container of each of its pods (or the one container
 * asked for), merged by the follow engine (core/logs/merge.ts). Undefined for a resource without pods
 * in its kind (a Service, a claim). Throws when the container asked for is in none of its pods.
 */
export function kubeLogSource(ctx: KubeLogContext, resource: Resource, objects: readonly ModelObject[], objectsNow: () => readonly ModelObject[], options: LogOptions = {}): MergedLogSource | undefined {
  const kind = resource.id.split('/').at(-2);
  if (!kind || !['pod', 'deployment', 'statefulset', 'daemonset', 'job', 'replicaset'].includes(kind)) return undefined;
  const pods = podsOf(objects);
  if (options.container && pods.length && !pods.some((p) => p.containers.some((c) => c.name === options.container) || p.initContainers.some((c) => c.name === options.container))) {
    const names = [...new Set(pods.flatMap((p) => p.containers.map((c) => c.name)))];
    throw new PilothouseError('not-found', `no container '${options.container}' in ${kind} ${resource.group.name}/${resource.name} (containers: ${names.join(', ')})`);
  }
  const podNow = (name: string) => () => podsOf(objectsNow()).find((p) => p.meta.name === name);
  const partsOf = (ps: KubePod[]): LogPart[] => {
    const restarted = options.previous && !options.container ? partsFor(ps, true) : [];
    // None restarted as far as the model knows (it may lag the server by a moment): the server answers for each.
    return restarted.length ? restarted : partsFor(ps, false);
  };
  const partsFor = (ps: KubePod[], onlyRestarted: boolean): LogPart[] => ps.flatMap((p) => {
    const names = options.container ? [options.container] : p.containers.map((c) => c.name);
    return names
      .filter((c) => p.containers.some((x) => x.name === c) || p.initContainers.some((x) => x.name === c))
      // Only a container that restarted has a previous instance; asking any other is the server's 400,
      // which would fail the whole merged read. One asked for by name is asked (its error is the answer).
      .filter((c) => !onlyRestarted || hasPrevious(p, c))
      .map((c) => ({ key: `${p.meta.name}/${c}`, label: `${p.meta.name}/${c}`, source: kubeContainerLog(ctx, p.meta.ns, p.meta.name, c, podNow(p.meta.name), options) }));
  });
  const first = partsOf(pods);
  return {
    merged: true,
    describe: () => `${kind} ${resource.group.name}/${resource.name} on ${ctx.id}`,
    // A bare pod's one container needs no prefix; a workload's pods come and go, so their lines say whose they are.
    labelled: kind !== 'pod' || first.length > 1,
    parts: () => partsOf(podsOf(objectsNow())),
  };
}
