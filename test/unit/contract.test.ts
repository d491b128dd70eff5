import { describe, expect, it } from 'vitest';
import { fail, ok, PilothouseError, unwrap } from '../../shared/contract/envelope';
import { connectInProcess } from '../../core/engine/in-process';
import type { Handlers } from '../../core/engine/dispatch';
import { nextBackoff } from '../../core/engine/backoff';

function handlers(over: Partial<Handlers['requests']> = {}, streams: Partial<Handlers['streams']> = {}): Handlers {
  const notUsed = async () => { throw new Error('not used'); };
  return {
    requests: { 'engine:info': async () => ({ version: 't', dataDir: '/d', endpoints: [] }), 'stack:overview': notUsed, 'logs:tail': notUsed, 'action:preview': notUsed, 'action:run': notUsed, 'engine:power': notUsed, ...over } as Handlers['requests'],
    streams: { 'stack:watch': () => () => {}, 'logs:follow': () => () => {}, ...streams } as Handlers['streams'],
  };
}

describe('envelopes', () => {
  it('carry values and typed errors across a boundary', () => {
    expect(unwrap(structuredClone(ok(42)))).toBe(42);
    const env = structuredClone(fail(new PilothouseError('not-found', 'no resource named x', { near: ['y'] })));
    expect(env).toEqual({ ok: false, error: { code: 'not-found', message: 'no resource named x', detail: { near: ['y'] } } });
    try { unwrap(env); expect.unreachable(); } catch (e) {
      expect(e).toBeInstanceOf(PilothouseError);
      expect((e as PilothouseError).code).toBe('not-found');
    }
    expect(fail(new Error('plain'))).toEqual({ ok: false, error: { code: 'internal', message: 'plain' } });
  });
});

describe('the dispatcher', () => {
  it('answers a request through the in-process transport', async () => {
    const c = connectInProcess(handlers());
    await expect(c.request('engine:info', {})).resolves.toEqual({ version: 't', dataDir: '/d', endpoints: [] });
  });

  it('validates input before any work, naming the channel and the field', async () => {
    let called = false;
    const c = connectInProcess(handlers({ 'action:run': async () => { called = true; return {} as never; } }));
    const err = await c.request('action:run', { resource: 'web', action: 'restart', confirmed: false as never }).catch((e) => e);
    expect(err).toBeInstanceOf(PilothouseError);
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^action:run: confirmed: the operator must confirm this action/);
    const bad = await c.request('logs:tail', { resource: '', tail: -1 }).catch((e) => e);
    expect(bad.message).toMatch(/resource: .*; tail: /);
    expect(called).toBe(false);
  });

  it('refuses unknown channels with a typed error', async () => {
    const c = connectInProcess(handlers());
    const err = await c.request('nope:nope' as never, {} as never).catch((e) => e);
    expect(err.code).toBe('unknown-channel');
  });

  it('does not take names inherited from Object.prototype for channels', async () => {
    const c = connectInProcess(handlers());
    for (const ch of ['__proto__', 'toString', 'constructor', 'hasOwnProperty']) {
      await expect(c.request(ch as never, {} as never)).rejects.toMatchObject({ code: 'unknown-channel', message: `no request channel named '${ch}'` });
      const ended = await new Promise<PilothouseError | undefined>((resolve) => c.subscribe(ch as never, {} as never, { onBatch: () => {}, onEnd: (e) => resolve(e) }));
      expect(ended).toMatchObject({ code: 'unknown-channel' });
    }
  });

  it('a stream that fails ends with its error code and detail', async () => {
    const c = connectInProcess(handlers({}, {
      'logs:follow': (_i, sink) => { sink.end(new PilothouseError('not-found', 'no resource named web', { near: ['web-2'] })); return () => {}; },
    }));
    const ended = await new Promise<PilothouseError | undefined>((resolve) => c.subscribe('logs:follow', { resource: 'web' }, { onBatch: () => {}, onEnd: (e) => resolve(e) }));
    expect(ended).toMatchObject({ code: 'not-found', message: 'no resource named web', detail: { near: ['web-2'] } });
  });

  it('carries messages from the client into an open stream, validated by the channel', async () => {
    const got: unknown[] = [];
    const notices: string[] = [];
    const c = connectInProcess(handlers({}, {
      'stack:watch': (input, sink) => {
        sink.push({ kind: 'patch', upsert: [], remove: [JSON.stringify(input.scope)] });
        return { close: () => {}, message: (m) => { got.push(m); sink.push({ kind: 'patch', upsert: [], remove: [JSON.stringify(m.scope)] }); } };
      },
    }));
    c.onNotice((n) => notices.push(n.message));
    const removes: string[] = [];
    const sub = c.subscribe('stack:watch', { scope: { text: 'web' } }, { onBatch: (items) => items.forEach((i) => i.kind === 'patch' && removes.push(...i.remove)) });
    sub.send({ scope: { groups: ['shop'] } });
    sub.send({ scope: { planes: ['nonsense'] } } as never);
    await new Promise((r) => setTimeout(r, 30));
    expect(removes).toEqual(['{"text":"web"}', '{"groups":["shop"]}']);
    expect(got).toEqual([{ scope: { groups: ['shop'] } }]);
    expect(notices[0]).toMatch(/^stack:watch message: scope.planes.0: /);
  });

  it('handler errors come back as typed errors', async () => {
    const c = connectInProcess(handlers({ 'engine:info': async () => { throw new PilothouseError('unavailable', 'docker went away'); } }));
    await expect(c.request('engine:info', {})).rejects.toMatchObject({ code: 'unavailable', message: 'docker went away' });
  });

  it('delivers stream items in batches, and stops the producer when the subscriber leaves', async () => {
    let disposed = false;
    const c = connectInProcess(handlers({}, {
      'logs:follow': (_i, sink) => {
        for (let i = 0; i < 1000; i++) sink.push({ seq: i + 1, stream: 'stdout', text: `l${i}` });
        return () => { disposed = true; };
      },
    }));
    const batches: number[] = [];
    const sub = c.subscribe('logs:follow', { resource: 'web' }, { onBatch: (items) => batches.push(items.length) });
    await new Promise((r) => setTimeout(r, 120));
    expect(batches).toEqual([1000]);
    sub.close();
    await new Promise((r) => setTimeout(r, 10));
    expect(disposed).toBe(true);
  });

  it('a stream with bad input ends with the validation error', async () => {
    const c = connectInProcess(handlers());
    const ended = await new Promise<Error | undefined>((resolve) => c.subscribe('logs:follow', { resource: '' }, { onBatch: () => {}, onEnd: resolve }));
    expect(ended?.message).toMatch(/logs:follow: resource/);
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter and stays under the cap', () => {
    const mid = () => 0.5;
    expect(nextBackoff(0, { baseMs: 500, maxMs: 15_000 }, mid)).toBe(375);
    expect(nextBackoff(3, { baseMs: 500, maxMs: 15_000 }, mid)).toBe(3000);
    expect(nextBackoff(50, { baseMs: 500, maxMs: 15_000 }, () => 1)).toBe(15_000);
    expect(nextBackoff(50, { baseMs: 500, maxMs: 15_000 }, () => 0)).toBe(7_500);
  });
});
