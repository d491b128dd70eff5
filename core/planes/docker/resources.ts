import type { Resource, UpdateStatus } from '../../../shared/contract/domain';
import type { ContainerView } from './container';
import { containerHealth } from './health';

export const STANDALONE = 'standalone';

/** The name an operator uses: the compose service (with its replica number past the first), else the container name. */
export function resourceName(c: ContainerView): string {
  const { service, number, oneoff } = c.labels;
  if (!service || oneoff) return c.name;
  return number && number !== '1' ? `${service}-${number}` : service;
}

export function resourceId(c: ContainerView): string {
  return `docker/${c.labels.project ?? STANDALONE}/${resourceName(c)}`;
}

export interface UpdateState { status: UpdateStatus; reason?: string }

/** A container as a Resource: a pure function of what the engine reported, the time, and any action under way. */
export function containerResource(c: ContainerView, now: number, update: UpdateState = { status: 'idle' }, engineReachable = true): Resource {
  const h = containerHealth(c, now);
  let runtime = h.runtime;
  const reasons = [...h.reasons];
  if (!engineReachable) {
    runtime = 'unknown';
    reasons.unshift('Docker engine unreachable: last known state shown');
  }
  if (update.reason) reasons.unshift(update.reason);
  const running = c.state.status === 'running' || c.state.status === 'restarting';
  const facts: Record<string, string> = {
    container: c.name,
    id: c.id.slice(0, 12),
    image: c.image,
    state: c.state.status + (c.state.health ? ` (${c.state.health.status})` : ''),
  };
  if (c.state.startedAt) facts.started = c.state.startedAt;
  if (c.state.status === 'exited' && c.state.finishedAt) facts.finished = c.state.finishedAt;
  if (c.state.restartCount) facts.restarts = String(c.state.restartCount);
  if (c.restartPolicy && c.restartPolicy !== 'no') facts['restart policy'] = c.restartPolicy;
  if (c.ports.length) facts.ports = c.ports.join(', ');
  return {
    id: resourceId(c),
    name: resourceName(c),
    group: c.labels.project ?? STANDALONE,
    plane: 'docker',
    runtime,
    update: update.status,
    reasons,
    facts,
    actions: running ? ['restart', 'stop'] : ['start'],
  };
}
