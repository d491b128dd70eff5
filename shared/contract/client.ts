import type { ZodType } from 'zod';
import { PilothouseError, unwrap, type Envelope } from './envelope';
import type { ClientMessage, Duplex, EngineMessage } from './wire';
import type { RequestChannel, RequestInput, RequestOutput, StreamChannel, StreamInput, StreamItem, StreamMessage } from './channels';

export interface Subscription<M = unknown> {
  close(): void;
  /** A message into the open stream (a view's new scope, a terminal's input). */
  send(data: M): void;
}
export interface StreamHandlers<T> {
  onBatch(items: T[]): void;
  onEnd?(error?: PilothouseError): void;
}

/** The typed side of the contract that the page, the CLI and the tests use, whatever the transport. */
export interface Client {
  request<C extends RequestChannel>(ch: C, input: RequestInput<C>): Promise<RequestOutput<C>>;
  subscribe<C extends StreamChannel>(ch: C, input: StreamInput<C>, h: StreamHandlers<StreamItem<C>>): Subscription<StreamMessage<C>>;
  onNotice(fn: (n: { level: string; message: string }) => void): void;
  close(): void;
}

export function createClient(link: Duplex<EngineMessage, ClientMessage>): Client {
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const subs = new Map<number, StreamHandlers<unknown>>();
  const noticeFns: Array<(n: { level: string; message: string }) => void> = [];

  link.onMessage((msg) => {
    switch (msg.t) {
      case 'res': {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        try { p.resolve(unwrap(msg.reply as Envelope<unknown>)); } catch (e) { p.reject(e as Error); }
        return;
      }
      case 'batch': subs.get(msg.id)?.onBatch(msg.items); return;
      case 'end': {
        const s = subs.get(msg.id);
        subs.delete(msg.id);
        s?.onEnd?.(msg.error ? new PilothouseError(msg.error.code as never, msg.error.message, msg.error.detail) : undefined);
        return;
      }
      case 'notice': noticeFns.forEach((f) => f(msg)); return;
    }
  });
  link.onClose(() => {
    closed = true;
    const err = new PilothouseError('unavailable', 'the connection to the Pilothouse engine closed');
    pending.forEach((p) => p.reject(err));
    pending.clear();
    subs.forEach((s) => s.onEnd?.(err));
    subs.clear();
  });

  return {
    request(ch, input) {
      if (closed) return Promise.reject(new PilothouseError('unavailable', 'the connection to the Pilothouse engine is closed'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        link.send({ t: 'req', id, ch, input });
      });
    },
    subscribe(ch, input, h) {
      const id = nextId++;
      subs.set(id, h as StreamHandlers<unknown>);
      link.send({ t: 'sub', id, ch, input });
      return {
        close() {
          if (!subs.delete(id)) return;
          if (!closed) link.send({ t: 'unsub', id });
        },
        send(data) {
          if (subs.has(id) && !closed) link.send({ t: 'msg', id, data });
        },
      };
    },
    onNotice(fn) { noticeFns.push(fn); },
    close() { link.close(); },
  };
}

/** Validates with a schema and throws the contract's error, naming the channel and the field. */
export function parseWith<T>(schema: ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`);
  throw new PilothouseError('invalid-input', `${where}: ${issues.join('; ')}`, r.error.issues);
}
