import type { PlaneEndpoint } from '../../../shared/contract/domain';
import type { ModelObject } from '../../model/object';
import type { PlaneSink } from '../plane';
import { ContextTransport, type KubeTransport } from './client';
import type { ExecCredentials } from './exec-credential';
import { WATCHED_KINDS, type KindInfo } from './kinds';
import type { KubeContext } from './kubeconfig';
import { ServerProbe, type ProbeState } from './server-probe';
import { KindWatch, type KindStatus } from './watch';

export interface ContextDeps {
  creds: ExecCredentials;
  now: () => number;
  random?: () => number;
  kinds?: readonly KindInfo[];
  /** Tests hand in a transport; the plane makes one from the context. */
  transport?: KubeTransport;
  backoff?: { baseMs: number; maxMs: number };
}

/**
 * The endpoint's state from its kinds': connected once any kind is live; unavailable when every kind
 * that may be listed is failing (the server is away) or none may be listed at all. Kinds that are
 * forbidden or not served are named in the message, once, while the rest works.
 */
export function endpointState(statuses: readonly KindStatus[]): Pick<PlaneEndpoint, 'state' | 'message' | 'retryAt'> {
  const notes: string[] = [];
  const failing: Array<Extract<KindStatus, { state: 'failed' }>> = [];
  let live = 0, listing = 0, closed = 0;
  for (const s of statuses) {
    if (s.state === 'watching') { live++; if (s.note) notes.push(s.note); }
    else if (s.state === 'listing' || s.state === 'waiting' || s.state === 'resuming') listing++;
    else if (s.state === 'failed') failing.push(s);
    else { closed++; notes.push(s.message); }
  }
  if (failing.length && !live && !listing) {
    // Every kind failing at once is one cause (the server, the network, the credentials): say it once.
    const first = failing.find((f) => f.unreachable) ?? failing[0];
    const retryAt = Math.min(...failing.map((f) => f.retryAt));
    return { state: 'unavailable', message: [first.message, ...notes].join('; '), retryAt };
  }
  if (!live && !listing && closed) return { state: 'unavailable', message: notes.join('; ') };
  const messages = [...notes, ...failing.map((f) => `${f.message} (retrying)`)];
  const message = messages.length ? messages.join('; ') : undefined;
  return { state: live ? 'connected' : 'connecting', message };
}

/** Kinds not back after a wake: their objects are last known, not live. */
const notBack = (s: KindStatus) => s.state === 'resuming' || s.state === 'listing' || s.state === 'waiting' || (s.state === 'failed' && s.unreachable);

/**
 * One kube context: a probe of its server, then a KindWatch per kind, one endpoint whose state and
 * message summarize them. The watches start only once the server answered the probe; a watch that loses
 * the server waits for the probe again, so a dead context makes one request per backoff step.
 */
export class ContextConnection {
  readonly id: string;
  endpoint: PlaneEndpoint;
  /** The context's authenticated requests: exec and port-forward open their WebSockets with it too. */
  readonly transport: KubeTransport;
  readonly probe: ServerProbe;
  private readonly watches: KindWatch[];
  private suspended = false;
  private stopped = false;
  /** The probe's last failure, while it keeps failing: the endpoint says it. */
  private probeFailed?: Extract<ProbeState, { state: 'failed' }>;
  /** From resume until every kind is watched again: what the model holds may be out of date. */
  private waking = false;
  /** Bumped by start/suspend/resume/stop: a probe answering late must not start watches meanwhile cancelled. */
  private gen = 0;
  private resolveFirst!: () => void;
  private readonly firstAttempt: Promise<void>;

  constructor(readonly ctx: KubeContext, private readonly source: string, private readonly sink: PlaneSink, deps: ContextDeps) {
    this.id = ctx.id;
    this.endpoint = this.describe({ state: 'connecting' });
    this.firstAttempt = new Promise((r) => { this.resolveFirst = r; });
    const transport = deps.transport ?? new ContextTransport(ctx, deps.creds);
    this.transport = transport;
    this.probe = new ServerProbe({
      transport, now: deps.now, random: deps.random, backoff: deps.backoff,
      onState: (p) => {
        this.probeFailed = p.state === 'failed' ? p : undefined;
        // The server answered: kinds sitting out a backoff for it go on now.
        if (p.state === 'answered') for (const w of this.watches) w.retryNow();
        if (p.state === 'failed') this.resolveFirst();
        this.update();
      },
    });
    this.watches = (deps.kinds ?? WATCHED_KINDS).map((kind) => new KindWatch({
      kind,
      endpoint: ctx.id,
      transport,
      namespace: ctx.namespace,
      now: deps.now,
      random: deps.random,
      backoff: deps.backoff,
      untilReachable: () => this.probe.reach().then(() => undefined),
      sink: {
        reconcile: (objs: ModelObject[]) => sink.reconcile(ctx.id, objs, [kind.kind]),
        upsert: (o) => sink.upsert(o),
        remove: (k) => sink.remove(k),
      },
      onStatus: (s) => {
        // One kind got through: the server is back, so the others need not sit out their backoff.
        if (s.state === 'watching') for (const w of this.watches) w.retryNow();
        this.update();
      },
    }));
  }

  get fingerprint(): string { return this.ctx.fingerprint; }

  /** Resolves once every kind has listed or said why not, or the server did not answer its first probe. */
  start(): Promise<void> {
    this.sink.endpoint(this.endpoint);
    for (const w of this.watches) w.waiting();
    if (!this.watches.length) this.resolveFirst();
    this.connect((w) => w.start());
    return this.firstAttempt;
  }

  stop(): void {
    this.stopped = true;
    this.gen++;
    this.probe.stop();
    for (const w of this.watches) w.stop();
    this.resolveFirst();
  }

  suspend(): void {
    if (this.stopped || this.suspended) return;
    this.suspended = true;
    this.gen++;
    this.probe.stop();
    this.probeFailed = undefined;
    // Each kind keeps its version for the wake; none is live until its watch is open again.
    for (const w of this.watches) w.waiting();
    this.publish(this.describe({ state: 'suspended', message: 'the computer went to sleep: the watches go on from where they were on wake' }));
  }

  /**
   * Once the server answers, every kind's watch goes on from the last version it saw: what changed while
   * asleep arrives as events, and only a kind whose version the server no longer has (410) lists again.
   * Until every kind is back the endpoint is `connecting`, so its resources say their state is last known.
   */
  resume(): void {
    if (this.stopped || !this.suspended) return;
    this.suspended = false;
    this.waking = true;
    this.publish(this.describe({ state: 'connecting', message: 'waking up: reaching the API server' }));
    this.connect((w) => w.resume());
  }

  private connect(go: (w: KindWatch) => void): void {
    const gen = ++this.gen;
    void this.probe.reach().then((ok) => {
      if (!ok || gen !== this.gen || this.stopped || this.suspended) return;
      for (const w of this.watches) go(w);
      this.update();
    });
  }

  /** Per-kind state, for tests and the CLI's detail. */
  kindStatuses(): Array<{ kind: string; status: KindStatus; lists: number; resourceVersion?: string }> {
    return this.watches.map((w) => ({ kind: w.kind.kind, status: w.status, lists: w.lists, resourceVersion: w.resourceVersion }));
  }

  private update(): void {
    if (this.stopped || this.suspended) return;
    const statuses = this.watches.map((w) => w.status);
    if (this.probeFailed) {
      // The server is away (or refuses us): one reason for the whole context, with the next try.
      const { message, retryAt } = this.probeFailed;
      this.publish(this.describe({ state: 'unavailable', message, retryAt }));
      return;
    }
    if (!statuses.some((s) => s.state === 'listing' || s.state === 'waiting')) this.resolveFirst();
    if (this.waking) {
      const pending = this.watches.filter((w) => notBack(w.status)).map((w) => w.kind.plural);
      if (pending.length) {
        const waiting = pending.length === this.watches.length && statuses.every((s) => s.state === 'waiting' || s.state === 'resuming');
        const message = waiting && statuses.every((s) => s.state === 'waiting')
          ? 'waking up: reaching the API server'
          : `waking up: ${pending.length} of ${this.watches.length} kinds not watched again yet (${pending.slice(0, 4).join(', ')}${pending.length > 4 ? ', …' : ''})`;
        this.publish(this.describe({ state: 'connecting', message }));
        return;
      }
      this.waking = false;
    }
    this.publish(this.describe(endpointState(statuses)));
  }

  private publish(ep: PlaneEndpoint): void {
    const a = this.endpoint;
    if (a.state === ep.state && a.message === ep.message && a.retryAt === ep.retryAt) return;
    this.endpoint = ep;
    this.sink.endpoint(ep);
  }

  private describe(s: Pick<PlaneEndpoint, 'state' | 'message' | 'retryAt'>): PlaneEndpoint {
    const c = this.ctx;
    const ep: PlaneEndpoint = {
      id: c.id, plane: 'kube', name: c.name, target: c.server ?? '',
      source: `context ${c.name} in ${c.file} (${this.source})`, state: s.state,
    };
    if (s.message) ep.message = s.message;
    if (s.retryAt !== undefined) ep.retryAt = s.retryAt;
    if (s.state === 'unavailable' && s.message?.startsWith('cannot reach')) ep.hint = `check with: kubectl --context ${c.name} get --raw /version`;
    return ep;
  }
}
