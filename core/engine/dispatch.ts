import { fail, ok, PilothouseError } from '../../shared/contract/envelope';
import { requests, streams, type RequestChannel, type RequestOutput, type StreamChannel, type StreamItem } from '../../shared/contract/channels';
import { ClientMessage, type Duplex, type EngineMessage } from '../../shared/contract/wire';
import { parseWith } from '../../shared/contract/client';
import type { z } from 'zod';

export interface StreamSink<T> { push(item: T): void; end(error?: PilothouseError): void }

export type RequestHandlers = {
  [C in RequestChannel]: (input: z.output<(typeof requests)[C]['input']>) => Promise<RequestOutput<C>>;
};
export type StreamHandlers = {
  [C in StreamChannel]: (input: z.output<(typeof streams)[C]['input']>, sink: StreamSink<StreamItem<C>>) => () => void;
};
export interface Handlers { requests: RequestHandlers; streams: StreamHandlers }

/** How long stream items wait to be sent together: the page repaints once per batch, not per item. */
export const BATCH_MS = 50;
const BATCH_MAX = 5000;

/**
 * Serves one connection (a page, a CLI, a test) over any transport. Every message is validated here,
 * before any work, because the page is untrusted.
 */
export function serveConnection(h: Handlers, link: Duplex<unknown, EngineMessage>): () => void {
  const open = new Map<number, () => void>();
  let closed = false;
  const send = (m: EngineMessage) => { if (!closed) link.send(m); };

  link.onMessage(async (raw) => {
    let msg: ClientMessage;
    try {
      msg = parseWith(ClientMessage, typeof raw === 'string' ? JSON.parse(raw) : raw, 'message');
    } catch (e) {
      send({ t: 'notice', level: 'error', message: `refused a malformed message: ${(e as Error).message}` });
      return;
    }
    if (msg.t === 'req') {
      const spec = (requests as Record<string, (typeof requests)[RequestChannel]>)[msg.ch];
      if (!spec) { send({ t: 'res', id: msg.id, reply: fail(new PilothouseError('unknown-channel', `no request channel named '${msg.ch}'`)) }); return; }
      try {
        const input = parseWith(spec.input as z.ZodType, msg.input ?? {}, msg.ch);
        const value = await (h.requests as Record<string, (i: unknown) => Promise<unknown>>)[msg.ch](input);
        send({ t: 'res', id: msg.id, reply: ok(value) });
      } catch (e) {
        send({ t: 'res', id: msg.id, reply: fail(e) });
      }
      return;
    }
    if (msg.t === 'sub') {
      const spec = (streams as Record<string, (typeof streams)[StreamChannel]>)[msg.ch];
      const id = msg.id;
      if (!spec) { send({ t: 'end', id, error: { code: 'unknown-channel', message: `no stream channel named '${msg.ch}'` } }); return; }
      let input: unknown;
      try { input = parseWith(spec.input as z.ZodType, msg.input ?? {}, msg.ch); } catch (e) {
        const err = e as PilothouseError;
        send({ t: 'end', id, error: { code: err.code, message: err.message } });
        return;
      }
      let queue: unknown[] = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const flush = () => {
        timer = undefined;
        if (!queue.length) return;
        const items = queue; queue = [];
        send({ t: 'batch', id, items });
      };
      const sink: StreamSink<unknown> = {
        push(item) {
          if (!open.has(id)) return;
          queue.push(item);
          if (queue.length >= BATCH_MAX) flush();
          else timer ??= setTimeout(flush, BATCH_MS);
        },
        end(error) {
          if (!open.has(id)) return;
          if (timer) clearTimeout(timer);
          flush();
          open.delete(id);
          send({ t: 'end', id, error: error ? { code: error.code, message: error.message } : undefined });
        },
      };
      open.set(id, () => { if (timer) clearTimeout(timer); });
      try {
        const dispose = (h.streams as Record<string, (i: unknown, s: StreamSink<unknown>) => () => void>)[msg.ch](input, sink);
        const stopTimer = open.get(id);
        if (stopTimer) open.set(id, () => { stopTimer(); dispose(); });
        else dispose();
      } catch (e) {
        sink.end(e instanceof PilothouseError ? e : new PilothouseError('internal', (e as Error).message));
      }
      return;
    }
    if (msg.t === 'unsub') {
      open.get(msg.id)?.();
      open.delete(msg.id);
    }
  });
  const closeAll = () => {
    closed = true;
    open.forEach((dispose) => dispose());
    open.clear();
  };
  link.onClose(closeAll);
  return closeAll;
}
