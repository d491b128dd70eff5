import type { PlaneEndpoint } from '../../../shared/contract/domain';
import { nextBackoff } from '../../../shared/time/backoff';
import { objectKey, type ModelObject } from '../../model/object';
import type { PlaneEnv, PlaneSink } from '../plane';
import type { KubePlane } from '../kube/plane';
import { findServices, choosePort, kubeForward, sshTunnel, type Access } from './access';
import { ALERT_KIND, alertObjectName, mergeAlerts, type AlertData } from './alerts';
import { AlertmanagerClient, PrometheusClient, type AmAlert, type AmSilence } from './client';
import type { PromSettings } from './settings';
import { alertTargets, knownEndpoints } from './targets';

const BACKOFF = { baseMs: 2_000, maxMs: 60_000 };
/** Alertmanager's address (asked of Prometheus) is looked up again this often, and after it failed. */
const ALERTMANAGER_RECHECK_MS = 5 * 60_000;
/**
 * "None" is asked again sooner: a Prometheus that has just started lists its Alertmanagers only after its
 * first discovery, and an Alertmanager added to a cluster should not take five minutes to be offered.
 */
const ALERTMANAGER_ABSENT_RECHECK_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 10_000;

export interface InstanceDeps {
  env: PlaneEnv;
  sink: PlaneSink;
  now: () => number;
  refreshMs: number;
  kube?: KubePlane;
}

/** The Alertmanager URL as Prometheus reports it (`…/api/v2/alerts`) → its base. Pure. */
export function alertmanagerBase(apiUrl: string): string {
  return apiUrl.replace(/\/api\/v[12]\/alerts\/?$/, '').replace(/\/+$/, '');
}

/**
 * One Prometheus: its endpoint `prometheus/<name>`, the way to it (a URL, a kube port-forward, an SSH
 * tunnel), its Alertmanager, and the alerts read from both every `refreshMs` (only the two alerts
 * endpoints and the silences are polled; rules are evaluated by Prometheus itself). Only alerts whose
 * data changed are written to the model.
 */
export class PromInstance {
  readonly endpointId: string;
  private access?: Access;
  private am?: { base: string | null; access?: Access; at: number };
  private amProblem?: string;
  private timer?: ReturnType<typeof setTimeout>;
  private attempt = 0;
  private retryDelay = BACKOFF.baseMs;
  private stopped = false;
  private suspended = false;
  private running?: Promise<void>;
  private readonly published = new Map<string, string>();
  private ep: PlaneEndpoint;

  constructor(readonly settings: PromSettings, private readonly deps: InstanceDeps) {
    this.endpointId = `prometheus/${settings.name}`;
    this.ep = { id: this.endpointId, plane: 'prometheus', name: settings.name, target: this.plannedTarget(), source: settings.source, state: 'connecting', message: 'connecting' };
  }

  get endpoint(): PlaneEndpoint { return this.ep; }
  /** Alertmanager's base URL from here, when the last read reached one (silences are made there). */
  get alertmanagerUrl(): string | undefined { return this.amReached; }
  private amReached?: string;
  /** Reads the alerts again now (after a silence was made, so the model shows it at once). */
  async refreshNow(): Promise<void> {
    await this.running;   // a read under way may have started before the change: read once more after it
    return this.tick();
  }
  /** The URL Prometheus answers at from here, once reached (charts use it through the endpoint's target). */
  get url(): string | undefined { return this.access?.url; }

  private plannedTarget(): string {
    const v = this.settings.via;
    if (v.kind === 'url') return v.url;
    if (v.kind === 'ssh') return `ssh ${v.host} → ${v.remoteHost}:${v.remotePort}`;
    return `Service ${v.namespace}/${v.service}:${v.port} in kube/${v.context}`;
  }

  private setEndpoint(p: Omit<PlaneEndpoint, 'id' | 'plane' | 'name' | 'source'>): void {
    this.ep = { id: this.endpointId, plane: 'prometheus', name: this.settings.name, source: this.settings.source, ...p };
    if (!this.stopped) this.deps.sink.endpoint(this.ep);
  }

  /** Resolves after the first read (alerts listed, or why not). */
  start(): Promise<void> {
    this.deps.sink.endpoint(this.ep);
    return this.tick();
  }

  private tick(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.refresh().finally(() => { this.running = undefined; this.schedule(); });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped || this.suspended) return;
    const delay = this.attempt === 0 ? this.deps.refreshMs : this.retryDelay;
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref?.();
  }

  private timeoutMs(): number { return this.settings.timeoutMs ?? DEFAULT_TIMEOUT_MS; }

  private async reach(): Promise<Access> {
    if (this.access) return this.access;
    const v = this.settings.via;
    if (v.kind === 'url') this.access = { url: v.url, how: v.url, close: async () => {} };
    else if (v.kind === 'ssh') {
      this.access = await sshTunnel(this.deps.env, this.deps.sink, this.deps.now, { alias: v.host, name: `prometheus-${this.settings.name}`, remoteHost: v.remoteHost, remotePort: v.remotePort, localPort: v.localPort });
    } else {
      if (!this.deps.kube) throw new Error('no kube plane in this engine to port-forward with');
      this.access = await kubeForward(this.deps.kube, `kube/${v.context}`, v.namespace, v.service, v.port);
    }
    return this.access;
  }

  /** Where Alertmanager is from here: configured, a Service beside a kube Prometheus, or what Prometheus sends to. */
  private async alertmanager(prom: PrometheusClient): Promise<{ base: string } | null> {
    const s = this.settings;
    if (s.alertmanager === false) return null;
    if (typeof s.alertmanager === 'string') return { base: s.alertmanager };
    const now = this.deps.now();
    if (this.am && now - this.am.at < (this.am.base ? ALERTMANAGER_RECHECK_MS : ALERTMANAGER_ABSENT_RECHECK_MS) && !this.amProblem) return this.am.base ? { base: this.am.base } : null;
    await this.am?.access?.close();
    this.am = { base: null, at: now };
    const v = s.via;
    if (v.kind === 'kube') {
      // Prometheus reports Alertmanager's pod address, which is not reachable from here: forward its Service.
      const kube = this.deps.kube;
      if (!kube) return null;
      const { found } = await findServices(kube, 'alertmanager', [`kube/${v.context}`]);
      const svc = found.find((f) => f.ns === v.namespace) ?? found[0];
      const port = svc && choosePort(svc.ports, 9093);
      if (!svc || !port) return null;
      const access = await kubeForward(kube, svc.endpoint, svc.ns, svc.name, port);
      this.am = { base: access.url, access, at: now };
      return { base: access.url };
    }
    const urls = await prom.alertmanagers();
    if (!urls.length) return null;
    const base = alertmanagerBase(urls[0]!);
    if (v.kind === 'ssh') {
      const u = new URL(base);
      const access = await sshTunnel(this.deps.env, this.deps.sink, this.deps.now, {
        alias: v.host, name: `alertmanager-${s.name}`, remoteHost: u.hostname.replace(/^\[|\]$/g, ''), remotePort: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), localPort: 0,
      });
      const b = access.url + u.pathname.replace(/\/+$/, '');
      this.am = { base: b, access, at: now };
      return { base: b };
    }
    this.am = { base, at: now };
    return { base };
  }

  private async refresh(): Promise<void> {
    if (this.stopped || this.suspended) return;
    let access: Access;
    try {
      access = await this.reach();
    } catch (e) {
      return this.fail(`cannot reach Prometheus (${this.plannedTarget()}): ${(e as Error).message}`);
    }
    const prom = new PrometheusClient(access.url, { timeoutMs: this.timeoutMs() });
    let promAlerts;
    try {
      promAlerts = await prom.alerts();
    } catch (e) {
      return this.fail(`${(e as Error).message}${access.how !== access.url ? ` (via ${access.how})` : ''}`);
    }
    let amAlerts: AmAlert[] | undefined, silences: AmSilence[] | undefined, amWords: string;
    try {
      const am = await this.alertmanager(prom);
      if (am) {
        const c = new AlertmanagerClient(am.base, { timeoutMs: this.timeoutMs() });
        [amAlerts, silences] = await Promise.all([c.alertmanagerAlerts(), c.silences()]);
        this.amProblem = undefined;
        this.amReached = am.base;
        amWords = `Alertmanager ${am.base}`;
      } else {
        this.amReached = undefined;
        const v = this.settings.via;
        amWords = this.settings.alertmanager === false ? 'no Alertmanager (prometheus.yaml says alertmanager: false)'
          : v.kind === 'kube' ? `no Alertmanager (no Service labelled app.kubernetes.io/name=alertmanager or app=alertmanager in kube/${v.context})`
          : 'no Alertmanager (Prometheus sends alerts to none)';
      }
    } catch (e) {
      this.amReached = undefined;
      this.amProblem = (e as Error).message;
      amWords = `Alertmanager not read: ${this.amProblem}`;
    }
    if (this.stopped || this.suspended) return;
    const now = this.deps.now();
    const merged = mergeAlerts(promAlerts, amAlerts, silences, now);
    const onlyKube = this.settings.via.kind === 'kube' ? `kube/${this.settings.via.context}` : undefined;
    const known = knownEndpoints(this.deps.sink.allEndpoints?.() ?? [], onlyKube);
    const objs: ModelObject<AlertData>[] = merged.map((a) => ({
      plane: 'prometheus', endpoint: this.endpointId, kind: ALERT_KIND, ns: '', name: alertObjectName(a.labels),
      data: { ...a, targets: alertTargets(a.labels, known), source: this.settings.name, ...(this.amReached ? { alertmanager: this.amReached } : {}) },
    }));
    this.publish(objs);
    this.attempt = 0;
    const firing = merged.filter((a) => a.state === 'firing' && !a.silenced).length;
    const pending = merged.filter((a) => a.state === 'pending').length;
    const silenced = merged.filter((a) => a.silenced).length;
    const counts = [`${firing} firing`, pending && `${pending} pending`, silenced && `${silenced} silenced`].filter(Boolean).join(', ');
    this.setEndpoint({
      target: access.url, state: 'connected',
      message: `${counts}; ${amWords}${access.how !== access.url ? `; via ${access.how}` : ''}`,
    });
  }

  /** Only what changed reaches the model; alerts gone are removed. */
  private publish(objs: readonly ModelObject<AlertData>[]): void {
    const seen = new Set<string>();
    for (const o of objs) {
      const key = objectKey(o);
      seen.add(key);
      const text = JSON.stringify(o.data);
      if (this.published.get(key) === text) continue;
      this.published.set(key, text);
      this.deps.sink.upsert(o);
    }
    for (const key of [...this.published.keys()]) if (!seen.has(key)) { this.published.delete(key); this.deps.sink.remove(key); }
  }

  private fail(message: string): void {
    if (this.stopped || this.suspended) return;
    this.attempt++;
    this.retryDelay = nextBackoff(this.attempt - 1, BACKOFF);
    const retryAt = this.deps.now() + this.retryDelay;
    // The alerts last read stay, marked as last known by the model while the endpoint is away.
    this.setEndpoint({ target: this.access?.url ?? this.plannedTarget(), state: 'unavailable', message, retryAt });
  }

  suspend(): void { this.suspended = true; clearTimeout(this.timer); this.setEndpoint({ target: this.ep.target, state: 'suspended', message: 'paused while the computer sleeps' }); }
  resume(): void { if (!this.suspended) return; this.suspended = false; this.attempt = 0; void this.tick(); }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([this.access?.close(), this.am?.access?.close()]);
    this.access = undefined;
  }
}
