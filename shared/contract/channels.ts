import { z } from 'zod';
import { EngineEndpoint, LogLine, Resource, StackPatch } from './domain';

// The single map of everything the page (or CLI, or a test) can ask the engine. Request channels answer
// once; stream channels deliver batches until the subscriber leaves.

export const requests = {
  'engine:info': {
    input: z.object({}),
    output: z.object({ version: z.string(), dataDir: z.string(), endpoints: z.array(EngineEndpoint) }),
  },
  'stack:overview': {
    input: z.object({}),
    output: z.object({ resources: z.array(Resource), endpoints: z.array(EngineEndpoint) }),
  },
  'logs:tail': {
    input: z.object({ resource: z.string().min(1), tail: z.number().int().min(0).max(100_000).default(200) }),
    output: z.object({ lines: z.array(LogLine) }),
  },
  'resource:action': {
    input: z.object({
      resource: z.string().min(1),
      action: z.enum(['start', 'stop', 'restart']),
      // The engine refuses a change the operator did not confirm; the UI asks first.
      confirmed: z.literal(true, { message: 'the operator must confirm this action' }),
    }),
    output: z.object({ resource: Resource, audit: z.string() }),
  },
  'engine:power': {
    input: z.object({ state: z.enum(['suspend', 'resume']) }),
    output: z.object({}),
  },
} as const;

export const streams = {
  'stack:watch': { input: z.object({}), item: StackPatch },
  'logs:follow': {
    input: z.object({ resource: z.string().min(1), tail: z.number().int().min(0).max(100_000).default(500) }),
    item: LogLine,
  },
} as const;

export type RequestChannel = keyof typeof requests;
export type StreamChannel = keyof typeof streams;
export type RequestInput<C extends RequestChannel> = z.input<(typeof requests)[C]['input']>;
export type RequestOutput<C extends RequestChannel> = z.output<(typeof requests)[C]['output']>;
export type StreamInput<C extends StreamChannel> = z.input<(typeof streams)[C]['input']>;
export type StreamItem<C extends StreamChannel> = z.output<(typeof streams)[C]['item']>;
