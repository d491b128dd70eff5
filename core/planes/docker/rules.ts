import type { ActionSpec, Reason } from '../../../shared/contract/domain';
import { objectKey, type Derived, type ModelObject, type PlaneRules } from '../../model/object';
import type { ContainerView } from './container';
import type { ContainerStats } from './engine-connection';
import { containerHealth } from './health';
import { deriveProject, projectId, COMPOSE_CONFIG, type ComposeConfigData } from '../compose/project';

export const STANDALONE = 'standalone';
export const CONTAINER = 'container';
/** A container's latest stats sample, kept in the model only while someone looks at its resource. */
export const STATS = 'stats';

export interface StatsData { resource: string; container: string; stats: ContainerStats }
export type StatsObject = ModelObject<StatsData>;

export function statsObject(endpoint: string, resource: string, c: ContainerView, stats: ContainerStats): StatsObject {
  return { plane: 'docker', endpoint, kind: STATS, ns: c.labels.project ?? '', name: c.id, data: { resource, container: c.id, stats } };
}

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

const MIB = 1024 * 1024;
export function formatBytes(n: number): string {
  if (n >= 1024 * MIB) return `${(n / (1024 * MIB)).toFixed(2)} GiB`;
  if (n >= MIB) return `${(n / MIB).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(0)} KiB`;
}

/** `cpu` and `memory` facts from a stats sample of this container (not of a replaced one). */
export function statsFacts(objects: readonly ModelObject[], containerId: string): Record<string, string> {
  const f: Record<string, string> = {};
  for (const o of objects) {
    if (o.kind !== STATS || o.name !== containerId) continue;
    const s = (o as StatsObject).data.stats;
    if (s.cpuPercent !== undefined) f.cpu = `${s.cpuPercent.toFixed(1)} %`;
    if (s.memUsed !== undefined) f.memory = s.memLimit ? `${formatBytes(s.memUsed)} of ${formatBytes(s.memLimit)}` : formatBytes(s.memUsed);
  }
  return f;
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
    if (obj.kind === STATS) return [(obj.data as StatsData).resource];
    if (obj.kind === COMPOSE_CONFIG) return [projectId(obj.endpoint, (obj.data as ComposeConfigData).project)];
    if (obj.kind !== CONTAINER) return [];
    const c = obj.data as ContainerView;
    // A compose container is also part of its project's resource, where the project's actions live.
    return c.labels.project ? [resourceId(obj.endpoint, c), projectId(obj.endpoint, c.labels.project)] : [resourceId(obj.endpoint, c)];
  },

  derive(id, objects, ctx): Derived | undefined {
    // `docker/<engine>/<project>`: one segment fewer than a service.
    if (id.split('/').length === 3) return deriveProject(id, objects);
    const { now } = ctx;
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
        facts: { ...facts(c), ...statsFacts(objects, c.id) },
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
