import type { ActionSpec } from '../../../shared/contract/domain';
import type { Derived, ModelObject } from '../../model/object';
import type { ContainerView } from '../docker/container';
import { CONTAINER, resourceId } from '../docker/rules';

/**
 * A compose project on one engine is a resource of its own, `docker/<engine>/<project>` (kind
 * `compose-project`), whose children are its services: the compose operations (up, down, stop, restart,
 * the ordered start) act on a project, not on one of its containers, and a project configured in
 * hosts.yaml exists even while none of its containers do (after `down`, after a reboot), which is exactly
 * when the operator needs its `up`. Its runtime is `not_applicable`: its services carry the health, so the
 * overview does not count a broken service twice.
 */

export const COMPOSE_CONFIG = 'compose-config';

/** A project as hosts.yaml declares it for a host, published by the docker plane on that host's endpoint. */
export interface ComposeConfigData {
  project: string;
  /** The host alias (remote engine) or 'this machine'. */
  host: string;
  dir: string;
  command?: string[];
  env?: Record<string, string>;
  envFiles?: string[];
  order?: string[];
  /** Where it was written, for messages. */
  file: string;
  line: number;
}

export function composeConfigObject(endpoint: string, d: ComposeConfigData): ModelObject<ComposeConfigData> {
  return { plane: 'docker', endpoint, kind: COMPOSE_CONFIG, ns: d.project, name: d.project, data: d };
}

export const projectId = (endpoint: string, project: string) => `${endpoint}/${project}`;

export const PROJECT_ACTIONS = {
  up: { id: 'compose-up', label: 'Up', destructive: false, confirm: 'confirm' },
  stop: { id: 'compose-stop', label: 'Stop', destructive: true, confirm: 'confirm' },
  restart: { id: 'compose-restart', label: 'Restart', destructive: true, confirm: 'confirm' },
  // Removes the containers (and their anonymous state): the operator types the project's name.
  down: { id: 'compose-down', label: 'Down', destructive: true, confirm: 'type-name' },
} as const satisfies Record<string, ActionSpec>;
export const START_IN_ORDER_ID = 'compose-start-in-order';

export function startInOrderSpec(order: readonly string[]): ActionSpec {
  return { id: START_IN_ORDER_ID, label: `Start in order (${order.join(' → ')})`, destructive: false, confirm: 'confirm' };
}

/** How compose is run for this project: from hosts.yaml, else from its containers' compose labels. */
export interface ProjectPlace {
  project: string;
  config?: ComposeConfigData;
  /** From the labels of a local project's containers. */
  workingDir?: string;
  configFiles?: string[];
}

export function projectContainers(objects: readonly ModelObject[]): ContainerView[] {
  const out: ContainerView[] = [];
  for (const o of objects) if (o.kind === CONTAINER) out.push(o.data as ContainerView);
  return out;
}

export function projectPlace(project: string, objects: readonly ModelObject[]): ProjectPlace {
  const config = objects.find((o) => o.kind === COMPOSE_CONFIG)?.data as ComposeConfigData | undefined;
  const place: ProjectPlace = { project };
  if (config) place.config = config;
  // The newest container's labels: a project moved to another folder is run from where it was last started.
  let best: ContainerView | undefined;
  for (const c of projectContainers(objects)) if (c.labels.workingDir && (!best || (c.state.startedAt ?? '') > (best.state.startedAt ?? ''))) best = c;
  if (best?.labels.workingDir) {
    place.workingDir = best.labels.workingDir;
    if (best.labels.configFiles) place.configFiles = best.labels.configFiles.split(',').filter(Boolean);
  }
  return place;
}

export function projectActions(place: ProjectPlace): ActionSpec[] {
  if (!place.config && !place.workingDir) return [];
  const out: ActionSpec[] = [];
  if (place.config?.order?.length) out.push(startInOrderSpec(place.config.order));
  out.push(PROJECT_ACTIONS.up, PROJECT_ACTIONS.restart, PROJECT_ACTIONS.stop, PROJECT_ACTIONS.down);
  return out;
}

export function deriveProject(id: string, objects: readonly ModelObject[]): Derived | undefined {
  if (!objects.length) return undefined;
  const endpoint = objects[0].endpoint;
  const project = id.slice(endpoint.length + 1);
  const containers = projectContainers(objects).filter((c) => !c.labels.oneoff);
  const place = projectPlace(project, objects);
  if (!containers.length && !place.config) return undefined;
  const services = new Map<string, boolean>();
  const children = new Set<string>();
  for (const c of containers) {
    const s = c.labels.service ?? c.name;
    services.set(s, (services.get(s) ?? false) || c.state.status === 'running');
    children.add(resourceId(endpoint, c));
  }
  const running = [...services.values()].filter(Boolean).length;
  const facts: Record<string, string> = { services: `${running} of ${services.size} running` };
  const cfg = place.config;
  if (cfg) {
    facts.host = cfg.host;
    facts.dir = cfg.dir;
    if (cfg.command) facts['compose command'] = cfg.command.join(' ');
    // Names only: values in an environment are often secrets, and the facts go to every page.
    if (cfg.env && Object.keys(cfg.env).length) facts.environment = Object.keys(cfg.env).join(', ');
    if (cfg.envFiles?.length) facts['env files'] = cfg.envFiles.join(', ');
    if (cfg.order?.length) facts['start order'] = cfg.order.join(' → ');
    facts.configured = `${cfg.file} line ${cfg.line}`;
  } else if (place.workingDir) {
    facts.dir = place.workingDir;
    if (place.configFiles?.length) facts['compose files'] = place.configFiles.join(', ');
  }
  return {
    resource: {
      id,
      name: project,
      kind: 'compose-project',
      plane: 'docker',
      endpoint,
      group: { kind: 'compose-project', name: project },
      runtime: 'not_applicable',
      reasons: [],
      facts,
      actions: projectActions(place),
      children: [...children].sort(),
    },
  };
}
