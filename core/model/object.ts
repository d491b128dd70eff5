import type { PlaneName, Reason, Resource, RuntimeStatus } from '../../shared/contract/domain';

/**
 * A normalized object as a plane publishes it: only the fields its rules need (never a whole inspect or
 * managedFields). `endpoint` is the PlaneEndpoint id (`docker/default`), which already names the plane.
 */
export interface ModelObject<T = unknown> {
  plane: PlaneName;
  endpoint: string;
  kind: string;
  /** Namespace, compose project, host: whatever scopes the name within the endpoint ('' when nothing does). */
  ns: string;
  name: string;
  data: T;
}

/** The plane a resource id belongs to: ids begin `<plane>/<endpoint name>/`. */
export const planeOf = (resourceId: string): string => resourceId.slice(0, resourceId.indexOf('/'));

export function objectKey(o: Pick<ModelObject, 'endpoint' | 'kind' | 'ns' | 'name'>): string {
  return `${o.endpoint}/${o.kind}/${o.ns}/${o.name}`;
}

/** An update under way or failed (a remediation, a deploy): the action runner sets it, the model shows it. */
export interface UpdateState { status: Resource['update']; reason?: string }

export interface DeriveContext { now: number }

/** A resource as a plane's rules derive it; the model adds the update state, endpoint state and `since`. */
export type DerivedResource = Omit<Resource, 'update' | 'since'> & {
  /**
   * When the current state began, where the plane knows it (a container's start or exit): the `since`
   * of a resource seen for the first time, so that an engine just started does not report every
   * resource as changed a moment ago.
   */
  stateSince?: number;
  /**
   * A change the plane itself sees under way (a Deployment's rollout): `in_progress` while it runs. An
   * update state set by the action runner wins over it.
   */
  update?: Resource['update'];
};

export interface Derived {
  resource: DerivedResource;
  /** The time at which a time-based reason's wording changes ("last start 30s ago"): derive again then. */
  recheckAt?: number;
}

/** What one plane's objects add to another plane's resource (a firing Prometheus alert on a container). */
export interface Annotation {
  reasons: Reason[];
  /** The resource looks at least this bad (a critical alert turns an ok container red). */
  runtime?: RuntimeStatus;
}

/** The pure rules of one plane: which resources an object belongs to, and what a resource is. */
export interface PlaneRules {
  /**
   * Resource ids the object is part of (a claim may belong to its StatefulSet and be one of its own).
   * An id of another plane is allowed: that plane derives the resource from its own objects alone, and
   * `annotate` of this plane adds to it; an id no plane derives (a guessed workload name) costs nothing.
   */
  bind(obj: ModelObject): readonly string[];
  /** The resource from its objects now; undefined when these objects make no resource. */
  derive(id: string, objects: readonly ModelObject[], ctx: DeriveContext): Derived | undefined;
  /** This plane's objects bound to another plane's resource `id`: the reasons they add there. */
  annotate?(id: string, objects: readonly ModelObject[], ctx: DeriveContext): Annotation | undefined;
}
