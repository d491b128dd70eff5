import { z } from 'zod';

// Health follows Tilt: an update status (deploys and remediations) and a runtime status, each with
// human reasons. A non-healthy update status wins over runtime when the two are summarized
// (shared/health/summary.ts). `not_applicable` is for things that have no runtime (secrets, claims, pools).
export const RuntimeStatus = z.enum(['unknown', 'pending', 'ok', 'warning', 'error', 'not_applicable']);
export type RuntimeStatus = z.infer<typeof RuntimeStatus>;
export const UpdateStatus = z.enum(['idle', 'in_progress', 'pending', 'error', 'ok']);
export type UpdateStatus = z.infer<typeof UpdateStatus>;
export const PlaneName = z.enum(['docker', 'kube', 'ssh', 'http', 'airflow', 'prometheus', 'synthetic']);
export type PlaneName = z.infer<typeof PlaneName>;

/** Warnings are kept apart from errors (Tilt): a warning never turns a resource red by itself. */
export const Severity = z.enum(['error', 'warning', 'info']);
export type Severity = z.infer<typeof Severity>;

export const Reason = z.object({
  text: z.string(),
  severity: Severity,
  /** The object the reason comes from (a store key, e.g. `docker/default/container//<id>`), when there is one. */
  ref: z.string().optional(),
});
export type Reason = z.infer<typeof Reason>;

/**
 * How sure the operator must be: `none` runs at once, `confirm` asks, `type-name` makes them type the
 * resource's name (anything that deletes data).
 */
export const ConfirmLevel = z.enum(['none', 'confirm', 'type-name']);
export type ConfirmLevel = z.infer<typeof ConfirmLevel>;

/** An action a plane offers on a resource right now. The plane declares it; the engine runs it. */
export const ActionSpec = z.object({
  id: z.string(),
  label: z.string(),
  destructive: z.boolean(),
  confirm: ConfirmLevel,
  /**
   * Why the server would refuse it for this user (an access review said no): the page shows it disabled
   * with this reason, and the engine refuses to run it.
   */
  unavailable: z.string().optional(),
  /**
   * A value the operator gives with the action (a pool's slots): the page shows a field, the preview and
   * the run carry it as `value`, and the engine refuses one outside these bounds before the plane sees it.
   */
  input: z.object({
    kind: z.literal('number'),
    /** "Slots". */
    label: z.string(),
    min: z.number().int(),
    max: z.number().int(),
    /** What the field starts with (the current value). */
    default: z.number().int().optional(),
  }).optional(),
});
export type ActionSpec = z.infer<typeof ActionSpec>;

/** One line of the audit log as the page and the CLI read it back (core/audit/audit-log.ts writes it). */
export const AuditRecord = z.object({
  ts: z.string(),
  actor: z.string(),
  /** What was done, e.g. `docker.restart`. */
  action: z.string(),
  /** What it was done to, in words: `Restart container backend-1 (3f2a…) on docker/default`. */
  target: z.string(),
  /** The resource id, when the action was on one. */
  resource: z.string().optional(),
  /** The exact calls or commands, each against its endpoint, as the preview showed them. */
  steps: z.array(z.object({ endpoint: z.string(), call: z.string() })).optional(),
  /** `unverified`: it ran, but whether it worked could not be told (the goal did not hold in time, or a request was cut). */
  outcome: z.enum(['ok', 'failed', 'unverified']),
  detail: z.string().optional(),
  durationMs: z.number().optional(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

/** What a resource belongs to in the operator's head: a compose project, a namespace, a host. */
export const ResourceGroup = z.object({ kind: z.string(), name: z.string() });
export type ResourceGroup = z.infer<typeof ResourceGroup>;

/** The fields of a resource that a list needs: small, so 50,000 of them cross the wire cheaply. */
export const ResourceRow = z.object({
  /** Stable key with plane and endpoint: `docker/<engine>/<project>/<service>`, `kube/<context>/<ns>/<kind>/<name>`. */
  id: z.string(),
  name: z.string(),
  /** What it is in its plane: `compose-service`, `container`, `deployment`, `pvc`, `pool`, `host` ... */
  kind: z.string(),
  plane: PlaneName,
  /** The PlaneEndpoint id it was found through. */
  endpoint: z.string(),
  group: ResourceGroup,
  runtime: RuntimeStatus,
  update: UpdateStatus,
  /** The most severe reason, for the list; the full list is on the full level. */
  reason: Reason.optional(),
  /** When the summarized status last changed (ms since epoch), as far as this engine has seen. */
  since: z.number().optional(),
  parent: z.string().optional(),
});
export type ResourceRow = z.infer<typeof ResourceRow>;

export const Resource = ResourceRow.extend({
  reasons: z.array(Reason),
  /** Plane-specific facts for the detail pane (image, state, ports, container id ...). */
  facts: z.record(z.string(), z.string()),
  /** Actions the plane offers for this resource right now. */
  actions: z.array(ActionSpec),
  children: z.array(z.string()).optional(),
  /** An interactive session can be opened on it now (`terminal:session`): a running container, a host. */
  terminal: z.boolean().optional(),
});
export type Resource = z.infer<typeof Resource>;

/**
 * A question an endpoint's login puts to the operator (an SSH key's passphrase, a password, the server's
 * keyboard-interactive prompts). Answered through `ssh:answer`; the answer never comes back this way.
 */
export const EndpointAsk = z.object({
  /** Quoted by the answer: an answer to a question already replaced is refused. */
  id: z.number().int(),
  kind: z.enum(['passphrase', 'password', 'keyboard-interactive']),
  title: z.string(),
  /** The server's own instructions (keyboard-interactive). */
  instructions: z.string().optional(),
  /** Why it asks again: "wrong passphrase for ~/.ssh/id_ed25519". */
  retry: z.string().optional(),
  /** One field each; `echo: false` is a password field. */
  prompts: z.array(z.object({ label: z.string(), echo: z.boolean() })),
  /** `key-kept`: the decrypted key stays in memory for this run; `offer`: a "remember until Pilothouse quits" box; `never`. */
  remember: z.enum(['key-kept', 'offer', 'never']),
});
export type EndpointAsk = z.infer<typeof EndpointAsk>;

/** One place a plane reaches: a Docker engine, a kube context, an SSH host. */
export const PlaneEndpoint = z.object({
  /** `<plane>/<name>`: the prefix of every resource id found through it. */
  id: z.string(),
  plane: PlaneName,
  /** Short name the operator knows it by: the docker context, the kube context, the host alias. */
  name: z.string(),
  /** What was tried, in words an operator can act on: "unix:///var/run/docker.sock (default socket)". */
  target: z.string(),
  source: z.string(),
  /** `idle`: known but deliberately not connected (an ssh alias not named in hosts.yaml): no problem. */
  state: z.enum(['connecting', 'connected', 'unavailable', 'suspended', 'idle']),
  message: z.string().optional(),
  hint: z.string().optional(),
  /** When the next attempt is due (ms since epoch), while unavailable. */
  retryAt: z.number().optional(),
  /** A configuration file is wrong (not merely a server being away): the CLI exits 2 for it. */
  configError: z.boolean().optional(),
  /** Nothing will change until the operator acts (an unknown host key to trust, a changed one refused): no retry. */
  waitsForOperator: z.boolean().optional(),
  /** The resource whose actions settle this endpoint's problem (the host that offers "Trust host key"). */
  actOn: z.string().optional(),
  /** The login waits for the operator to answer this (with `waitsForOperator`). */
  asks: EndpointAsk.optional(),
});
export type PlaneEndpoint = z.infer<typeof PlaneEndpoint>;

export const LogLine = z.object({
  seq: z.number(),
  /** ISO timestamp from the source, when it gave one (nanoseconds kept as the source wrote them). */
  ts: z.string().optional(),
  stream: z.enum(['stdout', 'stderr', 'system']),
  /**
   * Safe to show anywhere: SGR colour sequences are the only escapes left; every other escape sequence
   * and control character is made visible and inert (shared/text/safe-text.ts).
   */
  text: z.string(),
  /**
   * A piece of a line too long for one row: `index` counts from 0, `more` is true on every piece but
   * the last. The pieces of one line follow each other by `seq` and share its `ts`.
   */
  part: z.object({ index: z.number().int().min(0), more: z.boolean() }).optional(),
  /** The line was cut at the engine's limit: this many characters of it were not kept. */
  truncated: z.number().int().positive().optional(),
});
export type LogLine = z.infer<typeof LogLine>;

/** What a `stack:watch` view shows: which resources (scope) and how much of each (level). */
export const ViewScope = z.object({
  planes: z.array(PlaneName).optional(),
  endpoints: z.array(z.string()).optional(),
  /** Group names (namespaces, compose projects, hosts). */
  groups: z.array(z.string()).optional(),
  /** Exactly these resource ids (the detail pane's full view of the selection). */
  ids: z.array(z.string()).max(1000).optional(),
  /** Case-insensitive substring of the name or group. */
  text: z.string().max(500).optional(),
});
export type ViewScope = z.infer<typeof ViewScope>;
export const ViewLevel = z.enum(['rows', 'full']);
export type ViewLevel = z.infer<typeof ViewLevel>;

/**
 * A view's stream: a snapshot in chunks (the first has `first`, the last `done`), then patches. Rows at
 * the `rows` level, whole resources at `full`. Endpoints come with the first chunk and whenever one changes.
 */
export const ViewItem = z.union([
  z.object({
    kind: z.literal('snapshot'),
    first: z.boolean(),
    done: z.boolean(),
    /** Resources in scope in the whole snapshot, so a page can show progress. */
    total: z.number(),
    upsert: z.array(z.union([Resource, ResourceRow])),
    endpoints: z.array(PlaneEndpoint).optional(),
  }),
  z.object({
    kind: z.literal('patch'),
    upsert: z.array(z.union([Resource, ResourceRow])),
    remove: z.array(z.string()),
    endpoints: z.array(PlaneEndpoint).optional(),
  }),
]);
export type ViewItem = z.infer<typeof ViewItem>;

/** What an action will do, shown before the operator confirms it. */
export const ActionPreview = z.object({
  resource: z.string(),
  action: ActionSpec,
  /** "Restart container web-1 (3f2a…) on docker/default". */
  summary: z.string(),
  /** The exact calls or commands, each against its endpoint. */
  steps: z.array(z.object({ endpoint: z.string(), call: z.string() })),
  /** The condition that says it worked. */
  verify: z.string(),
  /** What the operator types when the level is `type-name`. */
  typeToConfirm: z.string().optional(),
  /**
   * The server's own answer to the change, tried without keeping it (Kubernetes `dryRun=All`): `refused`
   * when the server would refuse it; `unavailable` when no dry run could be made, with why.
   */
  dryRun: z.object({ outcome: z.enum(['ok', 'refused', 'unavailable']), text: z.string() }).optional(),
});
export type ActionPreview = z.infer<typeof ActionPreview>;

export const ActionOutcome = z.enum(['ok', 'failed', 'unverified']);
export type ActionOutcome = z.infer<typeof ActionOutcome>;

export const ActionResult = z.object({
  outcome: ActionOutcome,
  /** In words: what happened, and for `unverified`, which condition did not hold in time. */
  message: z.string(),
  resource: Resource.optional(),
  /** The audit record's JSON line, as written. */
  audit: z.string(),
  /** The run's step log (a command's output, the steps of an ordered start), its last lines. */
  log: z.array(z.string()).optional(),
  /**
   * A value the action revealed (a secret's key) for this one answer only: never in the model, the step
   * log or the audit, which records only that it was revealed.
   */
  revealed: z.object({ name: z.string(), value: z.string() }).optional(),
});
export type ActionResult = z.infer<typeof ActionResult>;
