import { describe, expect, it } from 'vitest';
import { fail, ok, PilothouseError, unwrap } from '../../shared/contract/envelope';
import { connectInProcess } from '../../core/engine/in-process';
import type { Handlers } from '../../core/engine/dispatch';
import { nextBackoff } from '../../core/engine/backoff';

function handlers(over: Partial<Handlers['requests']> = {}, streams: Partial<Handlers['streams']> = {}): Handlers {
  const notUsed = async () => { throw new Error('not used'); };
  return {
    requests: { 'engine:info': async () => ({ version: 't', dataDir: '/d', endpoints: [] }), 'stack:overview': notUsed, 'logs:tail': notUsed, 'resource:action': notUsed, 'engine:power': notUsed, ...over } as Handlers['requests'],
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
    const c = connectInProcess(handlers({ 'resource:action': async () => { called = true; return {} as never; } }));
    const err = await c.request('resource:action', { resource: 'web', action: 'restart', confirmed: false as never }).catch((e) => e);
    expect(err).toBeInstanceOf(PilothouseError);
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^resource:action: confirmed: the operator must confirm this action/);
    const bad = await c.request('logs:tail', { resource: '', tail: -1 }).catch((e) => e);
    expect(bad.message).toMatch(/resource: .*; tail: /);
    expect(called).toBe(false);
  });

  it('refuses unknown channels with a typed error', async () => {
    const c = connectInProcess(handlers());
    const err = await c.request('nope:nope' as never, {} as never).catch((e) => e);
    expect(err.code).toBe('unknown-channel');
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
