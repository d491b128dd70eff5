import type { PlaneEndpoint, Resource } from '../../../shared/contract/domain';
import type { ActionDef, ActionInput } from '../../actions/action';
import type { ModelObject } from '../../model/object';
import type { Plane, PlaneEnv, PlaneFactory, PlaneSink } from '../plane';
import { kubePlaneFor } from '../kube';
import type { KubePlane } from '../kube/plane';
import { choosePort, findServices } from './access';
import { alertAction } from './actions';
import { ALERT_KIND, prometheusRules } from './alerts';
import { PromInstance } from './instance';
import { formatPromError, loadPromConfig, type PromConfig, type PromSettings } from './settings';

/** How long start() waits for the first reads (and for kube contexts to connect, for discovery). */
const FIRST_READ_MS = 5_000;
/** A cluster is looked at again for Prometheus Services this often (two label-selected lists per context), and on wake. */
const DISCOVERY_MS = 10 * 60_000;
const DISCOVERY_SOON_MS = 3_000;

/** Pure: the endpoint name of a Prometheus found in a cluster. No '/', which separates id parts. */
export function discoveredName(endpoint: string, ns: string, service: string): string {
  return `${service}.${ns}@${endpoint.replace(/^kube\//, '')}`.replace(/\//g, '_');
}

/**
 * Every Prometheus the operator has: named in prometheus.yaml (a URL, an SSH tunnel, a kube Service),
 * given in PILOTHOUSE_PROMETHEUS_URL, or found in a kube context by its Service's labels. One endpoint
 * per Prometheus; its alerts are resources of their own and reasons on the resources they concern.
 */
export class PrometheusPlane implements Plane {
  readonly name = 'prometheus' as const;
  readonly rules = prometheusRules;
  private sink?: PlaneSink;
  private cfg?: PromConfig;
  private readonly instances = new Map<string, PromInstance>();
  private readonly problems = new Map<string, PlaneEndpoint>();
  /** Endpoints found in a cluster → their kube endpoint id. */
  private readonly discovered = new Map<string, string>();
  private discoveryTimer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  private suspended = false;

  constructor(private readonly env: PlaneEnv, private readonly kube: () => KubePlane | undefined = () => kubePlaneFor(env)) {}

  async start(sink: PlaneSink): Promise<void> {
    this.sink = sink;
    const cfg = (this.cfg = loadPromConfig(this.env));
    for (const e of cfg.errors) {
      const id = `prometheus/${e.name ?? '(prometheus.yaml)'}`;
      const ep: PlaneEndpoint = { id, plane: 'prometheus', name: e.name ?? 'prometheus.yaml', target: e.file, source: e.file, state: 'unavailable', configError: true, message: formatPromError(e) };
      this.problems.set(id, ep);
      sink.endpoint(ep);
    }
    const first = cfg.entries.filter((s) => !this.problems.has(`prometheus/${s.name}`)).map((s) => this.add(s));
    if (cfg.discoverKube && this.kube()) first.push(this.discover(Date.now() + FIRST_READ_MS));
    await Promise.race([Promise.allSettled(first), new Promise((r) => setTimeout(r, FIRST_READ_MS).unref?.())]);
  }

  private add(s: PromSettings): Promise<void> {
    const inst = new PromInstance(s, { env: this.env, sink: this.sink!, now: this.env.now, refreshMs: this.cfg!.refreshMs, kube: this.kube() });
    this.instances.set(inst.endpointId, inst);
    return inst.start();
  }

  /**
   * Prometheus Services in the kube contexts (labels app.kubernetes.io/name=prometheus or app=prometheus),
   * each port-forwarded and read as its own endpoint. Waits (until `deadline`) for contexts to connect.
   */
  private async discover(deadline?: number): Promise<void> {
    const kube = this.kube();
    if (!kube || this.stopped) return;
    if (deadline) {
      while (Date.now() < deadline && kube.endpoints().some((e) => e.state === 'connecting')) await new Promise((r) => setTimeout(r, 200));
    }
    const configured = new Set([...this.instances.values()].map((i) => i.settings.via.kind === 'kube' ? `kube/${i.settings.via.context}/${i.settings.via.namespace}/${i.settings.via.service}` : ''));
    try {
      const { found, listed } = await findServices(kube, 'prometheus');
      // A found Prometheus whose Service is gone (its context listed fine) goes, with its alerts.
      const still = new Set(found.map((f) => `prometheus/${discoveredName(f.endpoint, f.ns, f.name)}`));
      for (const [id, ctx] of this.discovered) {
        if (still.has(id) || !listed.has(ctx)) continue;
        this.discovered.delete(id);
        const inst = this.instances.get(id);
        this.instances.delete(id);
        await inst?.stop();
        this.sink?.dropEndpoint(id);
      }
      const starts: Promise<void>[] = [];
      for (const svc of found) {
        const port = choosePort(svc.ports, 9090);
        if (!port || configured.has(`${svc.endpoint}/${svc.ns}/${svc.name}`)) continue;
        const name = discoveredName(svc.endpoint, svc.ns, svc.name);
        if (this.instances.has(`prometheus/${name}`) || this.problems.has(`prometheus/${name}`)) continue;
        const label = svc.labels['app.kubernetes.io/name'] === 'prometheus' ? 'app.kubernetes.io/name=prometheus' : 'app=prometheus';
        this.discovered.set(`prometheus/${name}`, svc.endpoint);
        starts.push(this.add({
          name, via: { kind: 'kube', context: svc.endpoint.replace(/^kube\//, ''), namespace: svc.ns, service: svc.name, port },
          source: `found in ${svc.endpoint}: Service ${svc.ns}/${svc.name} labelled ${label}`,
        }));
      }
      await Promise.allSettled(starts);
    } finally {
      if (!this.stopped && !this.suspended) {
        clearTimeout(this.discoveryTimer);
        // A context still connecting (a slow API server at start) is looked at again soon.
        const soon = kube.endpoints().some((e) => e.state === 'connecting');
        this.discoveryTimer = setTimeout(() => void this.discover(), soon ? DISCOVERY_SOON_MS : DISCOVERY_MS);
        this.discoveryTimer.unref?.();
      }
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.discoveryTimer);
    for (const i of this.instances.values()) void i.stop();
  }

  suspend(): void { this.suspended = true; clearTimeout(this.discoveryTimer); for (const i of this.instances.values()) i.suspend(); }
  resume(): void {
    this.suspended = false;
    for (const i of this.instances.values()) i.resume();
    if (this.cfg?.discoverKube) void this.discover();
  }

  endpoints(): PlaneEndpoint[] { return [...[...this.instances.values()].map((i) => i.endpoint), ...this.problems.values()]; }

  /** Silence an alert for some hours, or expire its silence, on its Alertmanager (actions.ts). */
  action(resource: Resource, actionId: string, objects: readonly ModelObject[], input?: ActionInput): ActionDef | undefined {
    const inst = this.instances.get(resource.endpoint);
    return inst && resource.kind === ALERT_KIND ? alertAction(inst, resource, actionId, objects, input, this.env.env, this.env.now) : undefined;
  }

  /** The URL a Prometheus answers at from here (charts), by endpoint id. */
  urlOf(endpointId: string): string | undefined { return this.instances.get(endpointId)?.url; }
}

export const prometheusPlaneFactory: PlaneFactory = { name: 'prometheus', create: (env) => new PrometheusPlane(env) };
