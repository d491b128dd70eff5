import { afterAll, describe, expect, it, vi } from 'vitest';

// core/host/utility.ts is Electron's engine process: it runs at import, talking to `process.parentPort`.
// Here the port is a fake and the engine's start fails, as a plane that throws on start would make it.
const fake = vi.hoisted(() => ({ posted: [] as unknown[], started: 0 }));

vi.mock('../../core/engine/engine', () => ({
  defaultDataDir: () => '/tmp/pilothouse-utility-test',
  Engine: class {
    async start() { fake.started++; throw new Error('the docker plane exploded'); }
    handlers() { return { requests: {}, streams: {} }; }
    suspend() {} resume() {} stop() {}
  },
}));

const parent = { on: vi.fn(), postMessage: (m: unknown) => fake.posted.push(m) };
(process as unknown as { parentPort?: unknown }).parentPort = parent;
afterAll(() => { delete (process as unknown as { parentPort?: unknown }).parentPort; });

describe("Electron's engine process", () => {
  it('reports a failed engine start on stderr and stays up for the page', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    await import('../../core/host/utility');
    await new Promise((r) => setTimeout(r, 0));
    expect(fake.started).toBe(1);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('pilothouse engine: the engine did not start fully: Error: the docker plane exploded'));
    expect(fake.posted).toEqual([{ type: 'ready' }]);
    expect(parent.on).toHaveBeenCalledWith('message', expect.any(Function));
  });
});
