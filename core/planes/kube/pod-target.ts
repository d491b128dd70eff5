import type { ModelObject } from '../../model/object';
import type { KubeEndpointSlice, KubePod, KubeService } from './objects';

/**
 * Which pod a terminal or a port-forward on a resource reaches, as pure rules over the resource's
 * objects: a pod is itself; a workload is its first Ready pod (by name, so the choice is stable), else
 * its first pod with a running container (a shell is most wanted on a pod that is not Ready); a Service
 * is a Ready pod behind it, read from its EndpointSlices.
 */

const pods = (objects: readonly ModelObject[]) =>
  (objects.filter((o) => o.kind === 'Pod') as ModelObject<KubePod>[])
    .filter((p) => !p.data.meta.deletionTimestamp)
    .sort((a, b) => a.name.localeCompare(b.name));

const isReady = (p: KubePod) => p.phase === 'Running' && p.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
const runningContainer = (p: KubePod, name?: string) =>
  p.containerStatuses.find((c) => c.state.kind === 'running' && (name === undefined || c.name === name));

/** The pod a resource's terminal or port-forward goes to now; undefined when it has none running. */
export function podOf(objects: readonly ModelObject[]): KubePod | undefined {
  const all = pods(objects);
  return (all.find((p) => isReady(p.data) && runningContainer(p.data)) ?? all.find((p) => p.data.phase === 'Running' && runningContainer(p.data)))?.data;
}

/** A pod-bearing resource with a running container: the resource offers a terminal. */
export function hasTerminal(objects: readonly ModelObject[]): boolean {
  return podOf(objects) !== undefined;
}

/**
 * The container an exec goes into: the one asked for, else the pod's default-container annotation,
 * else its first container. An error in words when it does not exist or is not running.
 */
export function execContainer(pod: KubePod, asked?: string): { container: string } | { error: string } {
  const names = pod.containers.map((c) => c.name);
  const name = asked ?? pod.meta.annotations['kubectl.kubernetes.io/default-container'] ?? names[0];
  if (!name || !names.includes(name)) return { error: `pod ${pod.meta.name} has no container "${asked}" (it has ${names.join(', ') || 'none'})` };
  const st = pod.containerStatuses.find((c) => c.name === name);
  if (st?.state.kind !== 'running') return { error: `container ${name} of pod ${pod.meta.name} is ${st ? st.state.reason ?? st.state.kind : 'not started'}, not running` };
  return { container: name };
}

/** A port an operator may forward, as the resource declares it. */
export interface DeclaredPort {
  /** The port on the pod (a Service's is resolved to its target when it is forwarded). */
  port: number;
  name?: string;
  /** For a Service: the port the Service exposes (its `port`), which the action is named by. */
  servicePort?: number;
}

/** TCP ports a pod's containers declare, each once. */
export function podPorts(pod: KubePod): DeclaredPort[] {
  const seen = new Map<number, DeclaredPort>();
  for (const c of pod.containers) for (const p of c.ports) if (p.protocol === 'TCP' && p.containerPort > 0 && !seen.has(p.containerPort)) seen.set(p.containerPort, { port: p.containerPort, name: p.name });
  return [...seen.values()].sort((a, b) => a.port - b.port);
}

/** The ports a resource offers to forward: a Service's TCP ports, else those of the pod a forward would reach. */
export function declaredPorts(objects: readonly ModelObject[]): DeclaredPort[] {
  const svc = objects.find((o) => o.kind === 'Service') as ModelObject<KubeService> | undefined;
  if (svc) return svc.data.ports.filter((p) => p.protocol === 'TCP').map((p) => ({ port: p.port, name: p.name, servicePort: p.port }));
  const anyPod = podOf(objects) ?? pods(objects)[0]?.data;
  return anyPod ? podPorts(anyPod) : [];
}

export type PortTarget = { pod: string; ns: string; port: number } | { error: string };

/**
 * A Service's port resolved to one Ready pod behind it and that pod's port, as kubectl port-forward
 * svc/… does: the EndpointSlices of the Service name the pods (targetRef) and carry the target port as
 * a number under the Service port's name, which also resolves a named targetPort ("tcp-postgresql").
 */
export function resolveServicePort(objects: readonly ModelObject[], servicePort: number): PortTarget {
  const svc = objects.find((o) => o.kind === 'Service') as ModelObject<KubeService> | undefined;
  if (!svc) return { error: 'the service is gone' };
  const sp = svc.data.ports.find((p) => p.port === servicePort);
  if (!sp) return { error: `service ${svc.name} has no port ${servicePort}` };
  if (!svc.data.selector) return { error: `service ${svc.name} has no selector: no pod to forward to` };
  const slices = objects.filter((o) => o.kind === 'EndpointSlice') as ModelObject<KubeEndpointSlice>[];
  const candidates: Array<{ pod: string; port: number }> = [];
  for (const s of slices) {
    const port = s.data.ports.find((p) => (p.name ?? '') === (sp.name ?? ''))?.port ?? (sp.targetPort && /^\d+$/.test(sp.targetPort) ? Number(sp.targetPort) : undefined);
    if (!port) continue;
    for (const e of s.data.endpoints) {
      if (e.ready === false || e.targetRef?.kind !== 'Pod') continue;
      candidates.push({ pod: e.targetRef.name, port });
    }
  }
  candidates.sort((a, b) => a.pod.localeCompare(b.pod));
  const c = candidates[0];
  if (!c) return { error: `service ${svc.name} has no ready pod behind port ${servicePort}` };
  return { pod: c.pod, ns: svc.ns, port: c.port };
}

/** A pod, or a workload's pod, and one of its ports. */
export function resolvePodPort(objects: readonly ModelObject[], port: number): PortTarget {
  const pod = podOf(objects);
  if (!pod) return { error: 'no running pod' };
  return { pod: pod.meta.name, ns: pod.meta.ns, port };
}

/** Where a forward of `port` on this resource goes now (a Service re-resolves after its pod is replaced). */
export function resolvePortTarget(objects: readonly ModelObject[], port: number): PortTarget {
  return objects.some((o) => o.kind === 'Service') ? resolveServicePort(objects, port) : resolvePodPort(objects, port);
}
