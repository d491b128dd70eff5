import type { Duplex } from 'node:stream';
import type { PlaneEndpoint, Resource, ViewScope } from '../../../shared/contract/domain';
import type { ActionDef, ActionInput } from '../../actions/action';
import type { ModelObject } from '../../model/object';
import type { Plane, PlaneEnv, PlaneFactory, PlaneSink } from '../plane';
import { sshConnectionsFor } from '../ssh/shared';
import { poolAction } from './actions';
import { AirflowInstance } from './instance';
import { airflowRules, POOL_KIND } from './rules';
import { formatAirflowSettingsError, loadAirflowSettings, type AirflowVia } from './settings';
import { RememberedSizes } from './sizes';

/**
 * Airflow instances (airflow.yaml, or PILOTHOUSE_AIRFLOW_URL) and their pools. One endpoint per
 * instance, `airflow/<name>`; one resource per pool. Nothing runs when no Airflow is configured.
 */
export class AirflowPlane implements Plane {
  readonly name = 'airflow' as const;
  readonly rules = airflowRules;
  private readonly instances = new Map<string, AirflowInstance>();
  private readonly eps = new Map<string, PlaneEndpoint>();

  constructor(private readonly env: PlaneEnv) {}

  async start(sink: PlaneSink): Promise<void> {
    const { instances, errors } = loadAirflowSettings(this.env);
    const own: PlaneSink = { ...sink, endpoint: (ep) => { this.eps.set(ep.id, ep); sink.endpoint(ep); } };
    for (const e of errors) {
      own.endpoint({
        id: `airflow/${e.name || '(airflow.yaml)'}`, plane: 'airflow', name: e.name || 'airflow.yaml', target: '(not read)', source: e.file,
        state: 'unavailable', configError: true, message: formatAirflowSettingsError(e), hint: 'Fix the entry in airflow.yaml; the other Airflows load as usual.',
      });
    }
    const sizes = RememberedSizes.in(this.env.dataDir);
    for (const s of instances) {
      const inst = new AirflowInstance(s, {
        sink: own, now: this.env.now, env: this.env.env, home: this.env.home, sizes,
        ...(s.via ? { dial: sshDial(this.env, s.via) } : {}),
      });
      this.instances.set(inst.endpointId, inst);
    }
    await Promise.all([...this.instances.values()].map((i) => i.start()));
  }

  stop(): void { for (const i of this.instances.values()) i.stop(); }
  suspend(): void { for (const i of this.instances.values()) i.suspend(); }
  resume(): void { for (const i of this.instances.values()) i.resume(); }
  endpoints(): PlaneEndpoint[] { return [...this.eps.values()]; }

  action(resource: Resource, actionId: string, objects: readonly ModelObject[], input?: ActionInput): ActionDef | undefined {
    const inst = this.instances.get(resource.endpoint);
    return inst && resource.kind === POOL_KIND ? poolAction(inst, resource, actionId, objects, input) : undefined;
  }

  /** A view that may show pools (its scope names no other plane, endpoint or group): they are read while it lasts. */
  look(scope: ViewScope): () => void {
    if (scope.planes && !scope.planes.includes('airflow')) return () => {};
    const releases: Array<() => void> = [];
    for (const inst of this.instances.values()) {
      if (scope.endpoints && !scope.endpoints.includes(inst.endpointId)) continue;
      if (scope.groups && !scope.groups.includes(inst.settings.name)) continue;
      if (scope.ids && !scope.ids.some((id) => id.startsWith(`${inst.endpointId}/${POOL_KIND}/`))) continue;
      releases.push(inst.look());
    }
    return () => releases.splice(0).forEach((f) => f());
  }

  /** A pool open in the detail: its tasks are listed and its instance refreshes every few seconds. */
  watch(resource: Resource): () => void {
    const inst = this.instances.get(resource.endpoint);
    return inst && resource.kind === POOL_KIND ? inst.watch(resource.name) : () => {};
  }
}

/** A channel to `via.host:via.port` through the SSH plane's shared connection to `via.ssh`. */
function sshDial(env: PlaneEnv, via: AirflowVia): () => Promise<Duplex> {
  return async () => {
    const client = await sshConnectionsFor(env).get(via.ssh).ready(15_000);
    return new Promise<Duplex>((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, via.host, via.port, (err, ch) => (err ? reject(new Error(`ssh ${via.ssh} could not open ${via.host}:${via.port}: ${err.message}`)) : resolve(ch)));
    });
  };
}

export const airflowPlaneFactory: PlaneFactory = { name: 'airflow', create: (env) => new AirflowPlane(env) };
