import { fail, ok, PilothouseError } from '../../shared/contract/envelope';
import { requestSpec, streamSpec, type RequestChannel, type RequestOutput, type StreamChannel, type StreamItem, type StreamMessage, type streams, type requests } from '../../shared/contract/channels';
import { ClientMessage, type Duplex, type EngineMessage, type WireError } from '../../shared/contract/wire';
import { parseWith } from '../../shared/contract/client';
import type { z } from 'zod';

export interface StreamSink<T> {
  push(item: T): void;
  end(error?: PilothouseError): void;
  /** True while the transport has a backlog: a coalescing producer holds its items a little longer. */
  congested(): boolean;
}

/** What a stream handler returns: how to close it, and, for streams that take them, the client's messages. */
export type StreamHandle<M = never> = (() => void) | { close(): void; message?(data: M): void };

export type RequestHandlers = {
  [C in RequestChannel]: (input: z.output<(typeof requests)[C]['input']>) => Promise<RequestOutput<C>>;
};
export type StreamHandlers = {
  [C in StreamChannel]: (input: z.output<(typeof streams)[C]['input']>, sink: StreamSink<StreamItem<C>>) => StreamHandle<StreamMessage<C>>;
};
export interface Handlers { requests: RequestHandlers; streams: StreamHandlers }

const BATCH_MAX = 5000;
/** Above this many unsent bytes a connection counts as congested. */
export const CONGESTED_BYTES = 1 << 20;

function wireError(e: unknown): WireError {
  if (e instanceof PilothouseError) return { code: e.code, message: e.message, detail: e.detail };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

interface OpenStream { close(): void; message?(data: unknown): void; messageSchema?: z.ZodType; ch: string }

/**
 * Serves one connection (a page, a CLI, a test) over any transport. Every message is validated here,
 * before any work, because the page is untrusted.
 */
export function serveConnection(h: Handlers, link: Duplex<unknown, EngineMessage>): () => void {
  const open = new Map<number, OpenStream>();
  let closed = false;
  const send = (m: EngineMessage) => { if (!closed) link.send(m); };
  const congested = () => (link.backlog?.() ?? 0) > CONGESTED_BYTES;

  link.onMessage(async (raw) => {
    let msg: ClientMessage;
    try {
      msg = parseWith(ClientMessage, typeof raw === 'string' ? JSON.parse(raw) : raw, 'message');
    } catch (e) {
      send({ t: 'notice', level: 'error', message: `refused a malformed message: ${(e as Error).message}` });
      return;
    }
    if (msg.t === 'req') {
      const spec = requestSpec(msg.ch);
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
      const spec = streamSpec(msg.ch);
      const id = msg.id;
      if (open.has(id)) { send({ t: 'end', id, error: { code: 'conflict', message: `stream id ${id} is already open` } }); return; }
      if (!spec) { send({ t: 'end', id, error: { code: 'unknown-channel', message: `no stream channel named '${msg.ch}'` } }); return; }
      let input: unknown;
      try { input = parseWith(spec.input as z.ZodType, msg.input ?? {}, msg.ch); } catch (e) {
        send({ t: 'end', id, error: wireError(e) });
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
      const entry: OpenStream = { ch: msg.ch, close: () => { if (timer) clearTimeout(timer); }, messageSchema: spec.message as z.ZodType | undefined };
      const sink: StreamSink<unknown> = {
        push(item) {
          if (open.get(id) !== entry) return;
          queue.push(item);
          if (spec.batchMs === 0 || queue.length >= BATCH_MAX) flush();
          else timer ??= setTimeout(flush, spec.batchMs);
        },
        end(error) {
          if (open.get(id) !== entry) return;
          if (timer) clearTimeout(timer);
          flush();
          open.delete(id);
          send({ t: 'end', id, error: error ? wireError(error) : undefined });
        },
        congested,
      };
      open.set(id, entry);
      try {
        const handle = (h.streams as Record<string, (i: unknown, s: StreamSink<unknown>) => StreamHandle<unknown>>)[msg.ch](input, sink);
        const dispose = typeof handle === 'function' ? handle : () => handle.close();
        if (typeof handle !== 'function' && handle.message) entry.message = handle.message.bind(handle);
        const stopTimer = entry.close;
        entry.close = () => { stopTimer(); dispose(); };
        // The handler may have ended the stream synchronously; then it is already gone.
        if (open.get(id) !== entry) dispose();
      } catch (e) {
        sink.end(e instanceof PilothouseError ? e : new PilothouseError('internal', (e as Error).message));
      }
      return;
    }
    if (msg.t === 'msg') {
      const s = open.get(msg.id);
      if (!s) return; // the stream ended meanwhile: nothing to deliver to
      if (!s.message || !s.messageSchema) { send({ t: 'notice', level: 'error', message: `stream ${s.ch} takes no messages` }); return; }
      try { s.message(parseWith(s.messageSchema, msg.data, `${s.ch} message`)); } catch (e) {
        send({ t: 'notice', level: 'error', message: (e as Error).message });
      }
      return;
    }
    if (msg.t === 'unsub') {
      const s = open.get(msg.id);
      open.delete(msg.id);
      s?.close();
    }
  });
  const closeAll = () => {
    closed = true;
    const all = [...open.values()];
    open.clear();
    all.forEach((s) => s.close());
  };
  link.onClose(closeAll);
  return closeAll;
}
