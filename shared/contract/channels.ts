import { z } from 'zod';
import { ActionPreview, ActionResult, AuditRecord, LogLine, PlaneEndpoint, Resource, ViewItem, ViewLevel, ViewScope } from './domain';

// The single map of everything the page (or CLI, or a test) can ask the engine. Request channels answer
// once; stream channels deliver batches until the subscriber leaves.

const ref = z.string().min(1).max(1000);
const terminalCols = z.number().int().min(1).max(1000);
const terminalRows = z.number().int().min(1).max(500);

/** A terminal's output, decoded from UTF-8 on the engine (a character split across chunks is joined there). */
export const TerminalItem = z.discriminatedUnion('t', [
  /** The session is open (first, before any output): the program runs. */
  z.object({ t: z.literal('open') }),
  z.object({ t: z.literal('data'), data: z.string() }),
  z.object({
    t: z.literal('end'),
    exitCode: z.number().int().nullable().optional(),
    signal: z.string().optional(),
    /** The connection dropped (not an exit): the page offers to reconnect. */
    lost: z.boolean().optional(),
    reason: z.string(),
  }),
]);
export type TerminalItem = z.infer<typeof TerminalItem>;

/** Into an open terminal: keys or a paste (a long paste in pieces), a new size, or characters shown. */
export const TerminalMessage = z.union([
  z.object({ input: z.string().min(1).max(65_536) }).strict(),
  z.object({ resize: z.object({ cols: terminalCols, rows: terminalRows }) }).strict(),
  z.object({ ack: z.number().int().min(1) }).strict(),
]);
export type TerminalMessage = z.infer<typeof TerminalMessage>;
/** Characters the engine sends a terminal's client before it waits for an ack. */
export const TERMINAL_WINDOW = 256 * 1024;
/**
 * What a log read may narrow (planes that have it: kube): one container of the resource's pods, and
 * records from an RFC 3339 time on. `previous` (logs:tail only): the last terminated instance's log.
 */
const logOptions = { container: z.string().min(1).max(253).optional(), since: z.string().min(1).max(64).optional() };
/** `value`: the operator's input for an action that takes one (`ActionSpec.input`); checked on the engine. */
const actionRef = z.object({ resource: ref, action: z.string().min(1).max(100), value: z.number().finite().optional() });

/** What a chart's numbers are: the page formats axes by it (bytes as KiB/MiB/GiB, seconds as ms/s ...). */
export const MetricUnit = z.enum(['bytes', 'cores', 'percent', 'seconds', 'ratio', 'per-second', 'count']);
export type MetricUnit = z.infer<typeof MetricUnit>;
export const MetricRange = z.enum(['15m', '1h', '6h', '24h']);
export type MetricRange = z.infer<typeof MetricRange>;
/** Where a chart's numbers come from. */
export const MetricSource = z.enum(['prometheus', 'metrics.k8s.io', 'docker', 'none']);
/** `[ms since epoch, value]`. */
const MetricPoint = z.tuple([z.number(), z.number()]);
const MetricSeries = z.object({ name: z.string(), points: z.array(MetricPoint) });
/**
 * Why a chart shows nothing (or stopped updating), in words: `no-prometheus` (none configured or found),
 * `query-error` (Prometheus's own message), `config-error` (metrics.yaml: file, line, field), `empty` (the query matched no series in the range),
 * `not-served` (metrics.k8s.io absent from the cluster), `unavailable` (the source is away: a stopped
 * container, an unreachable server), `waiting` (a live source's first sample is still to come).
 */
export const MetricProblem = z.object({
  kind: z.enum(['no-prometheus', 'query-error', 'config-error', 'empty', 'not-served', 'unavailable', 'waiting']),
  message: z.string(),
});
export type MetricProblem = z.infer<typeof MetricProblem>;
/**
 * A `metrics:series` item. `chart` comes first for each chart and carries the whole range; `points`
 * carries only new points (a series not seen before is new); `problem` says a live chart stopped or
 * failed, its points kept. The page drops points older than the range itself.
 */
export const MetricItem = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('chart'),
    /** Stable within the stream: `cpu`, `memory`, `q0`, `q1` ... */
    key: z.string(),
    title: z.string(),
    unit: MetricUnit,
    source: MetricSource,
    /** The PromQL, when the source is Prometheus. */
    query: z.string().optional(),
    start: z.number(),
    end: z.number(),
    stepSeconds: z.number(),
    series: z.array(MetricSeries),
    problem: MetricProblem.optional(),
  }),
  z.object({ t: z.literal('points'), key: z.string(), end: z.number(), series: z.array(MetricSeries) }),
  z.object({ t: z.literal('problem'), key: z.string(), problem: MetricProblem }),
]);
export type MetricItem = z.infer<typeof MetricItem>;

export const requests = {
  'engine:info': {
    input: z.object({}),
    output: z.object({ version: z.string(), dataDir: z.string(), endpoints: z.array(PlaneEndpoint) }),
  },
  /** Every resource in scope at the full level, at once: for the CLI and scripts, not for a page. */
  'stack:overview': {
    input: z.object({ scope: ViewScope.default({}) }),
    output: z.object({ resources: z.array(Resource), endpoints: z.array(PlaneEndpoint) }),
  },
  'logs:tail': {
    input: z.object({ resource: ref, tail: z.number().int().min(0).max(100_000).default(200), ...logOptions, previous: z.boolean().optional() }),
    output: z.object({ lines: z.array(LogLine) }),
  },
  /**
   * Lines of a resource's kept log that match a text or `/regex/` (shared/text/filter.ts), newest last.
   * Searches what the engine keeps for the resource's open follow; without one, reads the last `tail` lines.
   */
  'logs:search': {
    input: z.object({ resource: ref, query: z.string().min(1).max(1000), limit: z.number().int().min(1).max(10_000).default(1000), tail: z.number().int().min(0).max(1_000_000).default(100_000) }),
    output: z.object({ lines: z.array(LogLine), scanned: z.number(), more: z.boolean() }),
  },
  /** What an action would do, against which endpoint, and how it will be checked. Changes nothing. */
  'action:preview': {
    input: actionRef,
    output: ActionPreview,
  },
  /**
   * The newest records of the audit log, newest first (what was done, by whom, with what outcome): all,
   * or those on one resource. `unreadable`: lines in the window read that are not records.
   */
  'audit:recent': {
    input: z.object({ resource: ref.optional(), limit: z.number().int().min(1).max(500).default(20) }),
    output: z.object({ entries: z.array(AuditRecord), file: z.string(), unreadable: z.number().int() }),
  },
  /** Runs an action the operator confirmed: run → verify → audit, one at a time per resource. */
  'action:run': {
    input: actionRef.extend({
      // The engine refuses a change the operator did not confirm; the UI asks first.
      confirmed: z.literal(true, { message: 'the operator must confirm this action' }),
      /** The resource's name as the operator typed it, for actions that delete data. */
      typed: z.string().max(1000).optional(),
    }),
    output: ActionResult,
  },
  /**
   * The operator's answer to an endpoint's login question (`PlaneEndpoint.asks`), or its cancel. The
   * answers are secrets: never logged, audited, put into the model or written anywhere; the engine holds
   * them only as long as the login needs them. Answers `{}`; what follows shows on the endpoint.
   */
  'ssh:answer': {
    input: z.union([
      z.object({
        endpoint: ref,
        ask: z.number().int().min(1),
        answers: z.array(z.string().max(8192, { message: 'an answer is at most 8192 characters' })).min(1).max(32),
        /** "remember until Pilothouse quits" (a password only). */
        remember: z.boolean().default(false),
      }).strict(),
      z.object({ endpoint: ref, ask: z.number().int().min(1), cancel: z.literal(true) }).strict(),
    ]),
    output: z.object({}),
  },
  'engine:power': {
    input: z.object({ state: z.enum(['suspend', 'resume']) }),
    output: z.object({}),
  },
} as const;

/**
 * `batchMs`: how long items wait to travel together. Lists coalesce in their own view (latest value per
 * id wins), so their stream sends at once; a log batches 50 ms; a terminal needs 0.
 * `message`: what the client may send into the open stream (a view's new scope, a terminal's keys).
 */
export const streams = {
  'stack:watch': {
    input: z.object({ scope: ViewScope.default({}), level: ViewLevel.default('rows') }),
    item: ViewItem,
    batchMs: 0,
    message: z.object({ scope: ViewScope.optional(), level: ViewLevel.optional() }),
  },
  'logs:follow': {
    input: z.object({ resource: ref, tail: z.number().int().min(0).max(100_000).default(500), ...logOptions }),
    item: LogLine,
    batchMs: 50,
    message: undefined,
  },
  /**
   * An interactive session on a resource that has one (`Resource.terminal`): `open` once it runs, its
   * output as text, then one `end` item, then the stream ends. Closing the stream closes the session. The client acks the
   * characters it has shown (`{ack}`); past TERMINAL_WINDOW unacked characters the engine stops reading
   * the session until acks come (core/terminals/stream.ts), so a slow page slows the program, never
   * loses output. A client that never acks sees at most TERMINAL_WINDOW characters.
   */
  'terminal:session': {
    input: z.object({
      resource: ref,
      cols: terminalCols,
      rows: terminalRows,
      /** The program and its arguments, as a list (default: the plane's shell). */
      command: z.array(z.string().max(10_000)).min(1).max(1000).optional(),
      container: z.string().min(1).max(253).optional(),
    }),
    item: TerminalItem,
    batchMs: 0,
    message: TerminalMessage,
  },
  /**
   * CPU, memory and the PromQL charts declared for one resource (metrics.yaml) over a time range, from
   * the best source there is (core/metrics/service.ts); with `live`, new points as they come.
   */
  'metrics:series': {
    input: z.object({ resource: ref, range: MetricRange.default('1h'), live: z.boolean().default(true) }),
    item: MetricItem,
    batchMs: 50,
    message: undefined,
  },
} as const;

export type RequestChannel = keyof typeof requests;
export type StreamChannel = keyof typeof streams;
export type RequestInput<C extends RequestChannel> = z.input<(typeof requests)[C]['input']>;
export type RequestOutput<C extends RequestChannel> = z.output<(typeof requests)[C]['output']>;
export type StreamInput<C extends StreamChannel> = z.input<(typeof streams)[C]['input']>;
export type StreamItem<C extends StreamChannel> = z.output<(typeof streams)[C]['item']>;
export type StreamMessage<C extends StreamChannel> = (typeof streams)[C]['message'] extends z.ZodType ? z.input<NonNullable<(typeof streams)[C]['message']>> : never;

/** Own properties only: `__proto__` or `toString` is not a channel. */
export function requestSpec(ch: string) { return Object.hasOwn(requests, ch) ? requests[ch as RequestChannel] : undefined; }
export function streamSpec(ch: string) { return Object.hasOwn(streams, ch) ? streams[ch as StreamChannel] : undefined; }
