import { fork, type ChildProcess } from 'node:child_process';
import { ENGINE_EXEC_ARGV } from '../../core/host/engine-flags';
import * as path from 'node:path';

// The driver's side of engine-child.ts: one request at a time or several, each answered by id.

export interface EngineLink {
  call<T = any>(cmd: string, args?: unknown): Promise<T>;
  pid: number;
  close(): Promise<void>;
}

/**
 * `file`: the child to run (the kube bench has its own; default this folder's engine-child.ts). `tsx:
 * false` for a child already bundled to JavaScript (the kube bench's, so its memory is the shipped kind).
 */
export async function startEngineChild(file = path.join(import.meta.dirname, 'engine-child.ts'), opts: { tsx?: boolean; v8Flags?: readonly string[] } = {}): Promise<EngineLink> {
  // --expose-gc: memory figures are taken after a full collection, not whenever V8 felt like one. The
  // engine's own flags as Electron gives them, unless the bench is told otherwise (--v8-flags).
  const flags = [...(opts.v8Flags ?? ENGINE_EXEC_ARGV), '--expose-gc'];
  const child: ChildProcess = fork(file, [], {
    execArgv: opts.tsx === false ? flags : [...flags, '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 1;
  let exited: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    waiting.set(0, { resolve: () => resolve(), reject });
  });
  child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w?.resolve(m.value); else w?.reject(new Error(`engine child: ${m.error}`));
  });
  child.on('exit', (code) => {
    exited = new Error(`the engine child exited (code ${code})`);
    waiting.forEach((w) => w.reject(exited!));
    waiting.clear();
  });
  await ready;
  const link: EngineLink = {
    pid: child.pid!,
    call(cmd, args) {
      if (exited) return Promise.reject(exited);
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, cmd, args });
      });
    },
    async close() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      await link.call('quit').catch(() => {});
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
      if (!exited) child.kill();
    },
  };
  return link;
}
