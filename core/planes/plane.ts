import type { PlaneEndpoint, PlaneName, Resource, ViewScope } from '../../shared/contract/domain';
import type { ActionDef, ActionInput } from '../actions/action';
import type { LogOptions, MergedLogSource } from '../logs/merge';
import type { LogSource } from '../logs/source';
import type { ModelObject, PlaneRules } from '../model/object';
import type { TerminalRequest, TerminalSession } from '../terminals/session';

/** Where a plane writes what it sees. The model behind it derives resources and tells the views. */
export interface PlaneSink {
  upsert(obj: ModelObject): void;
  remove(key: string): void;
  /** A full list from one endpoint (limited to `kinds`): anything of it not in the list is gone. */
  reconcile(endpoint: string, objs: Iterable<ModelObject>, kinds?: readonly string[]): void;
  endpoint(ep: PlaneEndpoint): void;
  /** The endpoint no longer exists (its context or host was removed from the config). */
  dropEndpoint(id: string): void;
  /** Objects the model holds for a resource now (a plane's actions and logs look up their targets here). */
  objectsOf(resourceId: string): ModelObject[];
  /** Every plane's endpoints now (the prometheus plane attaches alerts to the engines and hosts there are). */
  allEndpoints?(): PlaneEndpoint[];
}

/**
 * One outside system (Docker engines, kube contexts, SSH hosts ...): it owns its connections and
 * reconnects them, publishes normalized objects, and declares its rules, actions and log sources. The
 * engine composes planes and holds nothing plane-specific.
 */
export interface Plane {
  readonly name: PlaneName;
  readonly rules: PlaneRules;
  /** Connects every endpoint; resolves once each has made its first attempt (listed, or said why not). */
  start(sink: PlaneSink): Promise<void>;
  stop(): void;
  /** The laptop sleeps: close connections, no retries. */
  suspend(): void;
  /** The laptop woke: reconnect at once and list again, fresh. */
  resume(): void;
  endpoints(): PlaneEndpoint[];
  /**
   * The action `actionId` on a resource of this plane, bound to its objects now; undefined if not offered.
   * `input`: the operator's value, for an action whose spec declares one (checked against its bounds).
   */
  action(resource: Resource, actionId: string, objects: readonly ModelObject[], input?: ActionInput): ActionDef | undefined;
  /**
   * Where a resource's log comes from. Every plane's logs go through the one follow engine
   * (core/logs/follow.ts, shared per resource by core/logs/hub.ts) by way of a LogSource, and nothing
   * else: a plane never streams logs to a page or the CLI by itself, never joins long lines, resumes,
   * deduplicates or buffers. It hands over its records as the source stores them, each parsed by its
   * kind's rule in core/logs/partials.ts (Docker: `dockerEntry`; Kubernetes: `criEntry` for the
   * kubelet's "<ts> <stream> P|F <text>"; an SSH plane's plain lines are whole records), and says in
   * `explain` why a stream ended. A resource whose log is several logs (a Deployment's pods and
   * containers) returns a MergedLogSource: each part is followed on its own (core/logs/merge.ts).
   * `options` (a container, the previous instance, a start time) are for planes that have them.
   */
  logSource?(resource: Resource, objects: readonly ModelObject[], options?: LogOptions): LogSource | MergedLogSource | undefined;
  /**
   * An interactive session on a resource (a shell on a host, an exec into a container); undefined when
   * the resource has none. Rejects with a PilothouseError that says why it could not open.
   */
  terminal?(resource: Resource, objects: readonly ModelObject[], request: TerminalRequest): Promise<TerminalSession> | undefined;
  /**
   * Someone looks at this resource in detail (a `full` view names it): a plane may stream extras for it
   * while that lasts (container stats), written into the model as objects of the resource. Returns the
   * release; the plane stops when every look is released.
   */
  watch?(resource: Resource, objects: readonly ModelObject[]): () => void;
  /**
   * A view is open on the model with this scope (a list, the overview): a plane whose data is only read
   * on demand (Airflow pools) reads it while some view may show it, and not at all when none does.
   * Returns the release. Planes fed by watches (Docker events, kube informers) need not implement it.
   */
  look?(scope: ViewScope): () => void;
  /**
   * The operator's reply to the question an endpoint's login asks (`PlaneEndpoint.asks`: a passphrase, a
   * password). Secrets: the plane keeps them only as long as the login needs them. Throws a
   * PilothouseError when the endpoint asks nothing or asks something newer.
   */
  answerAsk?(endpoint: string, reply: AskReply): void;
}

export type AskReply = { ask: number; answers: string[]; remember: boolean } | { ask: number; cancel: true };

/** How a plane is made from the user's environment; the registry lists them. */
export interface PlaneFactory {
  name: PlaneName;
  create(env: PlaneEnv): Plane;
}

/**
 * One object for every plane the engine makes, so that planes can share what must exist once per engine
 * (the SSH connection to a host is shared by the ssh plane's commands, shells and tunnels and by the docker
 * plane's engine on that host: see core/planes/ssh/shared.ts, which memoizes on this object).
 */
export interface PlaneEnv {
  env: Record<string, string | undefined>;
  home: string;
  now: () => number;
  /** The engine's data directory, for what a plane keeps between runs (the SSH plane's last boot times). */
  dataDir?: string;
}
