import type { IncomingMessage } from 'node:http';
import type { MetricProblem } from '../../shared/contract/channels';
import type { Resource } from '../../shared/contract/domain';
import type { ModelObject } from '../model/object';
import type { KubeTransport } from '../planes/kube/client';
import { parseQuantity } from '../planes/kube/quantity';
import { Ring } from './downsample';

/**
 * Live sources that have no history of their own (docker stats, metrics.k8s.io): while someone looks,
 * samples go into a bounded ring per resource, shared by every chart of it, and freed with the last look.
 */

export interface Sample { t: number; cpu?: number; memory?: number }

export interface Feed {
  /** Seconds between samples: the finest step a chart of it can have. */
  readonly intervalSeconds: number;
  readonly source: 'docker' | 'metrics.k8s.io';
  samples(): Sample[];
  problem(): MetricProblem | undefined;
  /** Called after each new sample or change of problem. */
  listen(fn: () => void): () => void;
  stop(): void;
}

/** One hour of docker's one-a-second samples; 15 h of metrics-server's one each 15 s. */
export const RING_CAPACITY = 3600;

abstract class BaseFeed implements Feed {
  abstract readonly intervalSeconds: number;
  abstract readonly source: 'docker' | 'metrics.k8s.io';
  protected readonly ring = new Ring<Sample>(RING_CAPACITY);
  protected why: MetricProblem | undefined = { kind: 'waiting', message: 'waiting for the first sample' };
  private readonly fns = new Set<() => void>();
  samples(): Sample[] { return this.ring.toArray(); }
  problem(): MetricProblem | undefined { return this.why; }
  listen(fn: () => void): () => void { this.fns.add(fn); return () => this.fns.delete(fn); }
  protected notify(): void { for (const f of [...this.fns]) f(); }
  protected setProblem(p: MetricProblem | undefined): void {
    if (p?.kind === this.why?.kind && p?.message === this.why?.message) return;
    this.why = p;
    this.notify();
  }
  protected add(s: Sample): void { this.ring.push(s); this.why = undefined; this.notify(); }
  stop(): void { this.fns.clear(); this.ring.clear(); }
}

/**
 * A container's stats, as the docker plane streams them into the model while the resource is watched
 * (Plane.watch: one stream per resource however many look). The feed reads the latest sample object
 * each second: the model re-emits a resource only when its derived facts change, so an idle container
 * (same CPU and memory figures) would leave gaps if the feed waited for changes.
 */
export class DockerStatsFeed extends BaseFeed {
  readonly intervalSeconds = 1;
  readonly source = 'docker' as const;
  private lastRead = '';
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly release: () => void;

  constructor(private readonly rid: string, watch: () => () => void, private readonly objectsOf: (rid: string) => ModelObject[], private readonly now: () => number) {
    super();
    this.release = watch();
    this.timer = setInterval(() => this.read(), 1000);
    this.timer.unref?.();
    this.read();
  }

  private read(): void {
    const objs = this.objectsOf(this.rid);
    const st = objs.find((o) => o.kind === 'stats') as ModelObject<{ stats: { cpuPercent?: number; memUsed?: number; read: string } }> | undefined;
    if (!st) {
      const c = objs.find((o) => o.kind === 'container') as ModelObject<{ state?: { status?: string } }> | undefined;
      // Looked at, the resource had its container: none now means it was removed (docker rm, compose down).
      if (!c) { this.setProblem({ kind: 'unavailable', message: 'the container is gone (removed): docker stats has nothing more to say' }); return; }
      const status = c?.data.state?.status;
      this.setProblem(status && status !== 'running'
        ? { kind: 'unavailable', message: `the container is ${status}: docker stats has nothing to say` }
        : { kind: 'waiting', message: 'waiting for the first docker stats sample' });
      return;
    }
    const s = st.data.stats;
    if (!s.read || s.read === this.lastRead) return;
    this.lastRead = s.read;
    const t = Date.parse(s.read);
    // docker's CPU % is of one core (200 % = two cores busy): charts show cores.
    this.add({ t: Number.isFinite(t) && t > 0 ? t : this.now(), cpu: s.cpuPercent === undefined ? undefined : s.cpuPercent / 100, memory: s.memUsed });
  }

  override stop(): void { clearInterval(this.timer); this.release(); super.stop(); }
}

/** What metrics.k8s.io says of a pod or node: CPU in cores, memory in bytes (a pod: its containers summed). */
export function parseKubeMetrics(body: unknown): { t: number; cpu?: number; memory?: number } | undefined {
  const b = body as { timestamp?: string; usage?: Record<string, string>; containers?: Array<{ usage?: Record<string, string> }> };
  if (!b || typeof b !== 'object') return undefined;
  const usages = b.containers ? b.containers.map((c) => c.usage ?? {}) : b.usage ? [b.usage] : undefined;
  if (!usages) return undefined;
  let cpu: number | undefined, memory: number | undefined;
  for (const u of usages) {
    const c = parseQuantity(u.cpu), m = parseQuantity(u.memory);
    if (c !== undefined) cpu = (cpu ?? 0) + c;
    if (m !== undefined) memory = (memory ?? 0) + m;
  }
  const t = Date.parse(b.timestamp ?? '');
  return { t: Number.isFinite(t) ? t : NaN, cpu, memory };
}

async function readBody(res: IncomingMessage, limit = 1 << 20): Promise<string> {
  let text = '';
  for await (const chunk of res) {
    text += chunk;
    if (text.length > limit) { res.destroy(); throw new Error('answer over 1 MB'); }
  }
  return text;
}

/**
 * A pod's or node's usage from metrics.k8s.io, asked through the kube plane's transport (the context's
 * auth) every 15 s, metrics-server's own resolution, only while someone looks.
 */
export class KubeMetricsFeed extends BaseFeed {
  readonly intervalSeconds = 15;
  readonly source = 'metrics.k8s.io' as const;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly abort = new AbortController();
  private stopped = false;

  /** `exists`: whether the pod or node is still in the model; a 404 for one that is not is its deletion, not a late sample. */
  constructor(private readonly transport: KubeTransport, private readonly path: string, private readonly what: string, private readonly now: () => number, private readonly exists: () => boolean = () => true) {
    super();
    void this.poll();
  }

  static pathFor(r: Pick<Resource, 'kind' | 'name' | 'group'>): string | undefined {
    const base = '/apis/metrics.k8s.io/v1beta1';
    if (r.kind === 'pod') return `${base}/namespaces/${encodeURIComponent(r.group.name)}/pods/${encodeURIComponent(r.name)}`;
    if (r.kind === 'node') return `${base}/nodes/${encodeURIComponent(r.name)}`;
    return undefined;
  }

  private async get(path: string): Promise<{ status: number; text: string }> {
    const res = await this.transport.get(path, { accept: 'application/json', signal: this.abort.signal, idleTimeoutMs: 10_000 });
    return { status: res.statusCode ?? 0, text: await readBody(res) };
  }

  private async poll(): Promise<void> {
    try {
      const { status, text } = await this.get(this.path);
      if (this.stopped) return;
      if (status === 200) {
        const m = parseKubeMetrics(JSON.parse(text));
        if (m) this.add({ t: Number.isFinite(m.t) ? m.t : this.now(), cpu: m.cpu, memory: m.memory });
      } else if (status === 404 && !this.exists()) {
        // Deleted while looked at: nothing more will come; the points kept stay with the reason.
        this.setProblem({ kind: 'unavailable', message: `${this.what} is gone (deleted): metrics.k8s.io has nothing more to say` });
        return;
      } else if (status === 404) {
        // The object has no sample yet, or the API group is not there at all: ask which.
        const group = await this.get('/apis/metrics.k8s.io/v1beta1');
        if (this.stopped) return;
        this.setProblem(group.status === 404
          ? { kind: 'not-served', message: 'metrics.k8s.io not served by this cluster (no metrics-server)' }
          : { kind: 'empty', message: `metrics-server has no sample for ${this.what} yet` });
      } else {
        const msg = (() => { try { return (JSON.parse(text) as { message?: string }).message; } catch { return undefined; } })();
        this.setProblem({ kind: status === 503 ? 'not-served' : 'unavailable', message: `metrics.k8s.io answered HTTP ${status}${msg ? `: ${msg}` : ''}` });
      }
    } catch (e) {
      if (this.stopped) return;
      this.setProblem({ kind: 'unavailable', message: `metrics.k8s.io: ${(e as Error).message}` });
    }
    if (!this.stopped) { this.timer = setTimeout(() => void this.poll(), this.intervalSeconds * 1000); this.timer.unref?.(); }
  }

  override stop(): void { this.stopped = true; if (this.timer) clearTimeout(this.timer); this.abort.abort(); super.stop(); }
}

/** One feed per resource, shared by everyone looking; stopped (its ring freed) when the last one leaves. */
export class Feeds {
  private readonly held = new Map<string, { feed: Feed; count: number }>();
  acquire(rid: string, make: () => Feed | undefined): { feed: Feed; release: () => void } | undefined {
    let h = this.held.get(rid);
    if (!h) {
      const feed = make();
      if (!feed) return undefined;
      h = { feed, count: 0 };
      this.held.set(rid, h);
    }
    h.count++;
    const entry = h;
    let released = false;
    return {
      feed: h.feed,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.count > 0 || this.held.get(rid) !== entry) return;
        this.held.delete(rid);
        entry.feed.stop();
      },
    };
  }
  get size(): number { return this.held.size; }
  stopAll(): void { for (const h of this.held.values()) h.feed.stop(); this.held.clear(); }
}
