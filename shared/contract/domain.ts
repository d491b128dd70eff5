import { z } from 'zod';

// Health follows Tilt: an update status (deploys and remediations) and a runtime status, each with
// human reasons. A non-healthy update status wins over runtime when the two are summarized.
export const RuntimeStatus = z.enum(['unknown', 'pending', 'ok', 'warning', 'error']);
export type RuntimeStatus = z.infer<typeof RuntimeStatus>;
export const UpdateStatus = z.enum(['idle', 'in_progress', 'pending', 'error', 'ok']);
export type UpdateStatus = z.infer<typeof UpdateStatus>;
export const Plane = z.enum(['docker', 'kube', 'ssh', 'http', 'airflow', 'prometheus']);
export type Plane = z.infer<typeof Plane>;

export const Resource = z.object({
  /** Stable key, e.g. `docker/<engine>/<project>/<service>`. */
  id: z.string(),
  /** What an operator calls it: the compose service, or the container name. */
  name: z.string(),
  /** The compose project, or `standalone`. */
  group: z.string(),
  plane: Plane,
  runtime: RuntimeStatus,
  update: UpdateStatus,
  reasons: z.array(z.string()),
  /** Plane-specific facts for the detail pane (image, state, ports, container id ...). */
  facts: z.record(z.string(), z.string()),
  /** Actions the plane offers for this resource right now. */
  actions: z.array(z.enum(['start', 'stop', 'restart'])),
});
export type Resource = z.infer<typeof Resource>;

export const EngineEndpoint = z.object({
  plane: Plane,
  /** What was tried, in words an operator can act on: "unix:///var/run/docker.sock (default socket)". */
  target: z.string(),
  source: z.string(),
  state: z.enum(['connecting', 'connected', 'unavailable']),
  message: z.string().optional(),
  hint: z.string().optional(),
});
export type EngineEndpoint = z.infer<typeof EngineEndpoint>;

export const LogLine = z.object({
  seq: z.number(),
  /** ISO timestamp from the engine, when it gave one. */
  ts: z.string().optional(),
  stream: z.enum(['stdout', 'stderr', 'system']),
  text: z.string(),
  /** Set on the continuation pieces of a line longer than the piece size. */
  cont: z.boolean().optional(),
});
export type LogLine = z.infer<typeof LogLine>;

export const StackPatch = z.union([
  z.object({ kind: z.literal('snapshot'), resources: z.array(Resource), endpoints: z.array(EngineEndpoint) }),
  z.object({ kind: z.literal('patch'), upsert: z.array(Resource), remove: z.array(z.string()), endpoints: z.array(EngineEndpoint).optional() }),
]);
export type StackPatch = z.infer<typeof StackPatch>;
