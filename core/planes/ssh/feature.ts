import type { Resource } from '../../../shared/contract/domain';
import type { ActionDef } from '../../actions/action';
import type { LogSource } from '../../logs/source';
import type { ModelObject, PlaneRules } from '../../model/object';
import type { PlaneSink } from '../plane';
import type { SshConnection } from './connection';
import type { HostSettings } from './settings';

/**
 * The composition point between the SSH plane (plane.ts) and what runs on a host through its one shared
 * connection: tunnels (tunnels.ts) and SLURM (slurm/). Each feature is self-contained: it owns its kinds,
 * their pure rules, the work it does while attached to a host, its actions and log sources. The plane
 * makes each feature once, attaches it to every host it serves (a feature decides from the host's
 * settings whether it has anything to do there) and hands it the resources of its kinds:
 *
 *   rules:      bind → the feature whose `kinds` has obj.kind; derive → the feature whose kind is in the id
 *               (`ssh/<alias>/<kind>/<name>`, see `featureFor`).
 *   action():   plane.action(resource, …) → featureFor(resource)?.action(resource, …).
 *   logSource(): likewise.
 *   stop():     on plane stop, and when a host leaves hosts.yaml (then the plane also drops its endpoint).
 *
 * A feature never opens an ssh2 client of its own and never changes the connection's state: it reads
 * `connection.state`, subscribes to it, and runs commands with runRemoteCommand on it.
 */

/** What a feature gets for one host. */
export interface SshFeatureContext {
  alias: string;
  /** The plane endpoint id of the host, `ssh/<alias>`: the prefix of the feature's resource ids. */
  endpoint: string;
  connection: SshConnection;
  settings: HostSettings;
  sink: PlaneSink;
  now(): number;
}

export interface SshFeatureAttachment {
  /** Frees everything the feature holds for that host (listening ports, timers, subscriptions). */
  stop(): void;
  /**
   * Settles once the feature has published what it first found (SLURM: the first queue read; tunnels:
   * the first listen), or the connection's first attempt ended elsewhere than connected. A plane's
   * start() can wait for it (bounded by its own deadline) so that a one-shot `status` shows it.
   */
  firstRead?: Promise<void>;
}

export interface SshFeature {
  /** Object kinds it publishes; its resource ids are `ssh/<alias>/<kind>/<name>` for these kinds. */
  readonly kinds: readonly string[];
  readonly rules: PlaneRules;
  /** Starts its work on one host; undefined when the host's settings give it nothing to do. */
  attach(ctx: SshFeatureContext): SshFeatureAttachment | undefined;
  action(resource: Resource, actionId: string, objects: readonly ModelObject[]): ActionDef | undefined;
  logSource?(resource: Resource, objects: readonly ModelObject[]): LogSource | undefined;
}

/** The kind in a resource id of the shape `ssh/<alias>/<kind>/<name…>`. */
export function kindOfId(id: string): string | undefined {
  const parts = id.split('/');
  return parts.length >= 4 && parts[0] === 'ssh' ? parts[2] : undefined;
}

/** The feature that owns a resource id or an object kind. */
export function featureFor(features: readonly SshFeature[], idOrKind: { id: string } | { kind: string }): SshFeature | undefined {
  const kind = 'id' in idOrKind ? kindOfId(idOrKind.id) : idOrKind.kind;
  return kind === undefined ? undefined : features.find((f) => f.kinds.includes(kind));
}
