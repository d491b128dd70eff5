import { z } from 'zod';
import type { Envelope } from './envelope';

// One message format for every transport (MessagePort, WebSocket, in-process), so the engine has one
// dispatcher and the page one client.
export const ClientMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('req'), id: z.number().int(), ch: z.string(), input: z.unknown() }),
  z.object({ t: z.literal('sub'), id: z.number().int(), ch: z.string(), input: z.unknown() }),
  z.object({ t: z.literal('unsub'), id: z.number().int() }),
  /** Into an open stream: a view's new scope, a terminal's input or size. */
  z.object({ t: z.literal('msg'), id: z.number().int(), data: z.unknown() }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export interface WireError { code: string; message: string; detail?: unknown }

export type EngineMessage =
  | { t: 'res'; id: number; reply: Envelope<unknown> }
  /** A batch of stream items: streams never send one message per item unless they ask for immediacy. */
  | { t: 'batch'; id: number; items: unknown[] }
  | { t: 'end'; id: number; error?: WireError }
  /** Pushed without a request: the engine restarted, the socket is going away ... */
  | { t: 'notice'; level: 'info' | 'warning' | 'error'; message: string };

/** The least a transport must offer: send a message, hear messages, hear the other side go. */
export interface Duplex<In, Out> {
  send(msg: Out): void;
  onMessage(fn: (msg: In) => void): void;
  onClose(fn: () => void): void;
  close(): void;
  /**
   * Bytes sent but not yet taken by the other side (a WebSocket's bufferedAmount), where the transport
   * can tell. A view holds its patches while this is high, so a slow page never builds a backlog.
   */
  backlog?(): number;
}
