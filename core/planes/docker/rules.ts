import type { ActionSpec, Reason } from '../../../shared/contract/domain';
import { objectKey, type Derived, type ModelObject, type PlaneRules } from '../../model/object';
import type { ContainerView } from './container';
import { containerHealth } from './health';

export const STANDALONE = 'standalone';
export const CONTAINER = 'container';

export type ContainerObject = ModelObject<ContainerView>;

/** A container as the model holds it: keyed by its engine, compose project and id. */
export function containerObject(endpoint: string, c: ContainerView): ContainerObject {
  return { plane: 'docker', endpoint, kind: CONTAINER, ns: c.labels.project ?? '', name: c.id, data: c };
}

/** The name an operator uses: the compose service (with its replica number past the first), else the container name. */
export function resourceName(c: ContainerView): string {
  const { service, number, oneoff } = c.labels;
  if (!service || oneoff) return c.name;
  return number && number !== '1' ? `${service}-${number}` : service;
}

/** `docker/<engine>/<project or standalone>/<name>`: the engine is part of it, so one project on two engines is two resources. */
export function resourceId(endpoint: string, c: ContainerView): string {
  return `${endpoint}/${c.labels.project ?? STANDALONE}/${resourceName(c)}`;
}

export const isUp = (c: ContainerView) => c.state.status === 'running' || c.state.status === 'restarting';

// Stop and restart interrupt a service the operator may depend on; none deletes data, so none asks for the name.
export const ACTIONS = {
  start: { id: 'start', label: 'Start', destructive: false, confirm: 'confirm' },
  stop: { id: 'stop', label: 'Stop', destructive: true, confirm: 'confirm' },
  restart: { id: 'restart', label: 'Restart', destructive: true, confirm: 'confirm' },
} as const satisfies Record<string, ActionSpec>;
export type DockerActionId = keyof typeof ACTIONS;

/**
 * The container a resource stands for now. Two can share a resource for a moment (compose recreating a
 * service keeps the old one until the new one runs): the running one, then the latest started, wins.
 */
export function primaryContainer(objects: readonly ModelObject[]): ContainerObject | undefined {
  let best: ContainerObject | undefined;
  for (const o of objects) {
    if (o.plane !== 'docker' || o.kind !== CONTAINER) continue;
    const c = o as ContainerObject;
    if (!best) { best = c; continue; }
    const a = best.data, b = c.data;
    if (isUp(a) !== isUp(b)) { if (isUp(b)) best = c; continue; }
    const sa = a.state.startedAt ?? '', sb = b.state.startedAt ?? '';
    if (sb > sa || (sb === sa && b.id > a.id)) best = c;
  }
  return best;
}

function facts(c: ContainerView): Record<string, string> {
  const f: Record<string, string> = {
    container: c.name,
    id: c.id.slice(0, 12),
    image: c.image,
    state: c.state.status + (c.state.health ? ` (${c.state.health.status})` : ''),
  };
  if (c.state.startedAt) f.started = c.state.startedAt;
  if (c.state.status === 'exited' && c.state.finishedAt) f.finished = c.state.finishedAt;
  if (c.state.restartCount) f.restarts = String(c.state.restartCount);
  if (c.restartPolicy && c.restartPolicy !== 'no') f['restart policy'] = c.restartPolicy;
  if (c.ports.length) f.ports = c.ports.join(', ');
  return f;
}

/**
 * The Docker plane's rules: a container is one resource (a compose service's replica, or a standalone
 * container), derived as a pure function of what the engine reported and the time.
 */
export const dockerRules: PlaneRules = {
  bind(obj) {
    if (obj.kind !== CONTAINER) return [];
    return [resourceId(obj.endpoint, obj.data as ContainerView)];
  },

  derive(id, objects, { now }): Derived | undefined {
    const o = primaryContainer(objects);
    if (!o) return undefined;
    const c = o.data;
    const h = containerHealth(c, now);
    const ref = objectKey(o);
    const reasons: Reason[] = h.reasons.map((r) => ({ text: r.text, severity: r.severity, ref }));
    const project = c.labels.project;
    const d: Derived = {
      resource: {
        id,
        name: resourceName(c),
        kind: project ? 'compose-service' : 'container',
        plane: 'docker',
        endpoint: o.endpoint,
        group: project ? { kind: 'compose-project', name: project } : { kind: STANDALONE, name: STANDALONE },
        runtime: h.runtime,
        reasons,
        facts: facts(c),
        actions: isUp(c) ? [ACTIONS.restart, ACTIONS.stop] : [ACTIONS.start],
        // An exec needs a running process to join (a restarting or paused container has none to give).
        ...(c.state.status === 'running' && { terminal: true }),
      },
    };
    if (h.recheckAt !== undefined) d.recheckAt = h.recheckAt;
    const began = Date.parse((isUp(c) ? c.state.startedAt : c.state.finishedAt) ?? '');
    if (!Number.isNaN(began)) d.resource.stateSince = began;
    return d;
  },
};
