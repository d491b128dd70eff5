import * as os from 'node:os';
import * as path from 'node:path';
import type { LogLine, PlaneEndpoint, Resource, ViewScope } from '../../shared/contract/domain';
import { PilothouseError } from '../../shared/contract/envelope';
import { ActionRunner } from '../actions/runner';
import { AuditLog, readRecent } from '../audit/audit-log';
import { LogBuffer } from '../logs/buffer';
import { followLog } from '../logs/follow';
import { LogHub } from '../logs/hub';
import { followMerged, isMerged, readMergedTail, type LogOptions, type MergedLogSource } from '../logs/merge';
import { tsParts } from '../logs/resume';
import { fastMatcher, searchKept, searchLines } from '../logs/search';
import type { LogSource } from '../logs/source';
import { readTail } from '../logs/tail';
import { planeOf, type ModelObject } from '../model/object';
import { Model } from '../model/store';
import { inScope, View } from '../model/view';
import type { Plane, PlaneSink } from '../planes/plane';
import { PLANE_FACTORIES } from '../planes/registry';
import type { TerminalRequest } from '../terminals/session';
import { Terminals, type TerminalStream } from '../terminals/stream';
import { MetricsService } from '../metrics/service';
import type { TerminalItem } from '../../shared/contract/channels';
import type { Handlers, StreamSink } from './dispatch';
import { shortestTails } from './resource-ref';

export const VERSION = '0.1.0';

export interface EngineOptions {
  dataDir: string;
  env?: Record<string, string | undefined>;
  home?: string;
  now?: () => number;
  /** The planes to run; by default every plane of the registry, made from `env` and `home`. */
  planes?: Plane[];
}

export function defaultDataDir(env = process.env): string {
  if (env.PILOTHOUSE_DATA_DIR) return env.PILOTHOUSE_DATA_DIR;
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'pilothouse');
}

/**
 * The engine composes planes: each writes objects into the one model, the model derives resources, views
 * carry them to pages, the action runner changes things. Nothing here knows Docker from Kubernetes.
 * It runs in Electron's utility process, behind the web host, and in the CLI alike.
 */
export class Engine {
  readonly audit: AuditLog;
  readonly model: Model;
  readonly actions: ActionRunner;
  readonly planes: Plane[];
  /** One follow per followed resource, shared by its subscribers; released when the last one leaves. */
  readonly logs = new LogHub();
  /** Every open terminal session; all are closed when the engine stops. */
  readonly terminals = new Terminals();
  /** Charts: series per resource, live sources held only while someone looks (core/metrics). */
  readonly metrics: MetricsService;
  private readonly now: () => number;

  constructor(readonly opts: EngineOptions) {
    this.now = opts.now ?? Date.now;
    this.audit = new AuditLog(path.join(opts.dataDir, 'audit.jsonl'));
    this.model = new Model({ now: this.now });
    const env = opts.env ?? process.env;
    const planeEnv = { env, home: opts.home ?? os.homedir(), now: this.now, dataDir: opts.dataDir };
    this.planes = opts.planes ?? PLANE_FACTORIES.map((f) => f.create(planeEnv));
    for (const p of this.planes) this.model.registerRules(p.name, p.rules);
    this.metrics = new MetricsService({
      env: planeEnv, now: this.now, planes: this.planes,
      objectsOf: (rid) => this.model.objectsOf(rid), endpoints: () => this.endpoints(),
    });
    this.actions = new ActionRunner({
      model: this.model,
      audit: this.audit,
      now: this.now,
      resolve: (r, id, input) => this.planeFor(r.id)?.action(r, id, this.model.objectsOf(r.id), input),
    });
  }

  private sink(): PlaneSink {
    const m = this.model;
    return {
      upsert: (o) => m.upsert(o),
      remove: (k) => m.remove(k),
      reconcile: (ep, objs, kinds) => m.reconcile(ep, objs, kinds),
      endpoint: (ep) => m.setEndpoint(ep),
      dropEndpoint: (id) => m.dropEndpoint(id),
      objectsOf: (rid) => m.objectsOf(rid),
      allEndpoints: () => m.endpoints(),
    };
  }

  /**
   * Starts every plane; resolves once each has made its first attempt (listed, or said why not) and the
   * model has derived what they found. A plane that throws is reported, never takes the others down.
   */
  async start(): Promise<void> {
    const results = await Promise.allSettled(this.planes.map((p) => p.start(this.sink())));
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        const p = this.planes[i];
        this.model.setEndpoint({ id: `${p.name}/(start)`, plane: p.name, name: p.name, target: '(none)', source: 'engine', state: 'unavailable', message: `the ${p.name} plane failed to start: ${(r.reason as Error)?.message ?? r.reason}` });
      }
    });
    this.model.flush();
  }

  stop(): void { this.metrics.stop(); this.terminals.closeAll(); this.logs.closeAll(); this.planes.forEach((p) => p.stop()); this.model.dispose(); }
  suspend(): void { this.planes.forEach((p) => p.suspend()); }
  resume(): void { this.planes.forEach((p) => p.resume()); }

  endpoints(): PlaneEndpoint[] { this.model.flush(); return this.model.endpoints(); }
  /** True when a configuration file is wrong (not merely a server being away). */
  hasConfigError(): boolean { return this.endpoints().some((e) => e.configError); }

  /** Every resource, sorted by group then name, at the full level. */
  list(scope: Parameters<typeof inScope>[1] = {}): Resource[] {
    this.model.flush();
    const out: Resource[] = [];
    for (const r of this.model.all()) if (inScope(r, scope)) out.push(r);
    return out.sort((a, b) => cmp(a.group.name, b.group.name) || cmp(a.name, b.name) || cmp(a.id, b.id));
  }

  /** Finds a resource by id, `group/name`, a unique name or an id's tail; the error lists close matches. */
  find(ref: string, offerTails = true): Resource {
    this.model.flush();
    const byId = this.model.get(ref);
    if (byId) return byId;
    // One pass over the model, however the operator named it; most precise reading first.
    const found: Resource[][] = [[], [], []];
    const near: Resource[] = [];
    const named = new Map<string, number>();   // group/name → how many resources answer to it
    for (const r of this.model.all()) {
      const gn = `${r.group.name}/${r.name}`;
      named.set(gn, (named.get(gn) ?? 0) + 1);
      if (gn === ref) found[0].push(r);
      if (r.name === ref) found[1].push(r);
      if (r.id.endsWith(`/${ref}`)) found[2].push(r);
      if (near.length < 5 && (r.name.includes(ref) || ref.includes(r.name))) near.push(r);
    }
    for (const f of found) {
      if (f.length === 1) return f[0];
      if (f.length > 1) {
        const ids = f.map((r) => r.id).sort();
        // A tail is offered only if this lookup itself takes it to that one resource (a group/name match comes first).
        const tails = !offerTails ? [] : shortestTails(ids, Array.from(this.model.all(), (r) => r.id))
          .map((t, i) => { try { return this.find(t, false).id === ids[i] ? t : ids[i]; } catch { return ids[i]; } });
        throw new PilothouseError('conflict', `'${ref}' names ${f.length} resources: ${ids.join(', ')}; say which by id${tails.length ? `, or by its end: ${tails.join(', ')}` : ''}`);
      }
    }
    // A name two engines share is told apart by its id.
    const hint = near.map((r) => `${r.group.name}/${r.name}${named.get(`${r.group.name}/${r.name}`)! > 1 ? ` (${r.id})` : ''}`).sort();
    throw new PilothouseError('not-found', `no resource named '${ref}'${hint.length ? `; did you mean ${hint.join(', ')}?` : ''}`);
  }

  private planeFor(rid: string): Plane | undefined { return this.planes.find((p) => p.name === planeOf(rid)); }

  private logSource(rid: string, opts?: LogOptions): LogSource | MergedLogSource | undefined {
    const r = this.model.get(rid);
    if (!r) return undefined;
    return this.planeFor(rid)?.logSource?.(r, this.model.objectsOf(rid), opts);
  }

  /**
   * `find`, where a name shared by a resource without a log does not count: `logs extralit/argilla-server`
   * means the Deployment, not its Service of the same name.
   */
  private findWithLog(ref: string): Resource {
    try { return this.find(ref); } catch (e) {
      if (!(e instanceof PilothouseError) || e.code !== 'conflict') throw e;
      const logged = [...this.model.all()].filter((r) => (`${r.group.name}/${r.name}` === ref || r.name === ref) && this.planeFor(r.id)?.logSource);
      const withLog = logged.filter((r) => { try { return !!this.logSource(r.id); } catch { return true; } });
      if (withLog.length === 1) return withLog[0];
      throw e;
    }
  }

  /** A resource and where its log comes from; a resource without a log is named. */
  private logOf(ref: string, opts?: LogOptions): { r: Resource; src: LogSource | MergedLogSource } {
    const r = this.findWithLog(ref);
    if (opts?.since !== undefined && !tsParts(opts.since)) throw new PilothouseError('invalid-input', `since: not an RFC 3339 time: '${opts.since}'`);
    const src = this.logSource(r.id, opts);
    if (!src) throw new PilothouseError('not-found', `${r.group.name}/${r.name} has no log`);
    return { r, src };
  }

  /**
   * Follows a resource's log; everyone following the same resource (with the same options) shares one
   * stream (core/logs/hub.ts). A merged log (a Deployment's pods) follows each part on its own (merge.ts).
   */
  followLogs(ref: string, tail: number, sink: StreamSink<LogLine>, opts: LogOptions = {}): () => void {
    if (opts.previous) throw new PilothouseError('invalid-input', "a previous container's log has ended: read it without following");
    const { r, src } = this.logOf(ref, opts);
    const key = opts.container || opts.since ? `${r.id}\n${opts.container ?? ''}\n${opts.since ?? ''}` : r.id;
    const watch = (fn: () => void) => this.model.subscribe((c) => { if (c.upsert.some((u) => u.id === r.id) || c.endpoints) fn(); });
    if (isMerged(src)) {
      return this.logs.subscribe(key, tail, sink, (lines) => followMerged({
        resolve: () => { const s = this.logSource(r.id, opts); return s && isMerged(s) ? s : undefined; },
        watch, now: this.now,
      }, tail, lines));
    }
    return this.logs.subscribe(key, tail, sink, (lines) => followLog({
      resolve: () => { const s = this.logSource(r.id, opts); return s && !isMerged(s) ? s : undefined; },
      watch, now: this.now,
    }, tail, lines));
  }

  async tailLogs(ref: string, tail: number, opts?: LogOptions): Promise<LogLine[]> {
    return this.readTail(this.logOf(ref, opts).src, tail);
  }

  private async readTail(src: LogSource | MergedLogSource, tail: number): Promise<LogLine[]> {
    const buf = new LogBuffer(Infinity);   // numbers the lines as a follow would
    const lines = isMerged(src) ? await readMergedTail(src, tail) : (await readTail(src, tail)).lines;
    return lines.map((l) => buf.push(l));
  }

  /**
   * Lines of a resource's log that match; a bad regex is the caller's error, named. Searches the lines
   * kept for the resource's open follow when there is one (no call to the plane), else reads the tail.
   */
  async searchLogs(ref: string, query: string, limit: number, tail: number): Promise<{ lines: LogLine[]; scanned: number; more: boolean }> {
    const match = fastMatcher(query);
    const { r, src } = this.logOf(ref);
    const kept = this.logs.kept(r.id);
    if (kept) return searchKept(kept, match, limit);
    return searchLines(await this.readTail(src, tail), match, limit);
  }

  /** Opens a resource's terminal (a shell, an exec) onto a stream; a resource without one is named. */
  openTerminal(ref: string, req: TerminalRequest, sink: StreamSink<TerminalItem>): TerminalStream {
    const r = this.find(ref);
    const opening = this.planeFor(r.id)?.terminal?.(r, this.model.objectsOf(r.id), req);
    if (!opening) throw new PilothouseError('not-found', `${r.group.name}/${r.name} has no terminal`);
    return this.terminals.serve(opening, sink);
  }

  /**
   * A `full` view of named resources is someone looking at them in detail: their planes may stream
   * extras meanwhile (Plane.watch: container stats). Returns the release.
   */
  watchDetail(scope: { ids?: string[] }, level: string): () => void {
    if (level !== 'full' || !scope.ids?.length || scope.ids.length > 20) return () => {};
    this.model.flush();
    const releases: Array<() => void> = [];
    for (const id of scope.ids) {
      const r = this.model.get(id);
      const p = r && this.planeFor(id);
      if (r && p?.watch) releases.push(p.watch(r, this.model.objectsOf(id)));
    }
    return () => releases.splice(0).forEach((f) => f());
  }

  /** A view is open with this scope: planes that read on demand read while it lasts (Plane.look). */
  lookAt(scope: ViewScope): () => void {
    const releases = this.planes.flatMap((p) => (p.look ? [p.look(scope)] : []));
    return () => releases.splice(0).forEach((f) => f());
  }

  /** The operator's reply to an endpoint's login question (a passphrase, a password): to its plane. */
  answerAsk(input: { endpoint: string; ask: number } & ({ answers: string[]; remember?: boolean } | { cancel: true })): void {
    this.model.flush();
    const ep = this.model.endpoints().find((e) => e.id === input.endpoint);
    const plane = ep && this.planes.find((p) => p.name === ep.plane);
    if (!ep || !plane?.answerAsk) throw new PilothouseError('not-found', `no endpoint ${input.endpoint} that asks for a login`);
    plane.answerAsk(ep.id, 'cancel' in input ? { ask: input.ask, cancel: true } : { ask: input.ask, answers: input.answers, remember: input.remember ?? false });
  }

  /** Objects behind a resource, for tests and the detail pane's raw view. */
  objectsOf(rid: string): ModelObject[] { return this.model.objectsOf(rid); }

  handlers(): Handlers {
    return {
      requests: {
        'engine:info': async () => ({ version: VERSION, dataDir: this.opts.dataDir, endpoints: this.endpoints() }),
        'stack:overview': async ({ scope }) => ({ resources: this.list(scope), endpoints: this.endpoints() }),
        'logs:tail': async ({ resource, tail, container, previous, since }) => ({ lines: await this.tailLogs(resource, tail, { container, previous, since }) }),
        'logs:search': async ({ resource, query, limit, tail }) => this.searchLogs(resource, query, limit, tail),
        'audit:recent': async ({ resource, limit }) => {
          // A resource gone from its plane keeps its history: a name not found now is matched as given (onResource).
          let id = resource;
          if (resource) { try { id = this.find(resource).id; } catch { /* matched as given */ } }
          return { ...(await readRecent(this.audit.file, { limit, resource: id })), file: this.audit.file };
        },
        'action:preview': async ({ resource, action, value }) => this.actions.previewChecked(this.find(resource), action, value),
        'action:run': async ({ resource, action, confirmed, typed, value }) => this.actions.run(this.find(resource), action, { confirmed, typed, value }),
        // Secrets: handed to the plane, never logged or audited here.
        'ssh:answer': async (input) => { this.answerAsk(input); return {}; },
        'engine:power': async ({ state }) => { if (state === 'suspend') this.suspend(); else this.resume(); return {}; },
      },
      streams: {
        'stack:watch': ({ scope, level }, sink) => {
          const view = new View(this.model, scope, level, sink);
          let looking = { scope, level };
          let release = this.watchDetail(scope, level);
          let unlook = this.lookAt(scope);
          return {
            close: () => { release(); unlook(); view.close(); },
            message: (m) => {
              view.update(m.scope, m.level);
              looking = { scope: m.scope ?? looking.scope, level: m.level ?? looking.level };
              release();
              release = this.watchDetail(looking.scope, looking.level);
              // The new look first, so an instance still looked at is not stopped and restarted.
              const before = unlook;
              unlook = this.lookAt(looking.scope);
              before();
            },
          };
        },
        'logs:follow': ({ resource, tail, container, since }, sink) => this.followLogs(resource, tail, sink, { container, since }),
        'terminal:session': ({ resource, ...req }, sink) => this.openTerminal(resource, req, sink),
        'metrics:series': ({ resource, range, live }, sink) => this.metrics.subscribe(this.find(resource), range, live, sink),
      },
    };
  }
}

/** Plain code-point order: locale-aware comparison costs ten times as much and an operator's names are ASCII. */
function cmp(a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0; }
