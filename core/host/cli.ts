import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Client } from '../../shared/contract/client';
import { PilothouseError } from '../../shared/contract/envelope';
import type { LogLine, Resource } from '../../shared/contract/domain';
import { Engine, defaultDataDir } from '../engine/engine';
import { connectInProcess } from '../engine/in-process';
import { startWebHost } from './web-host';

export const USAGE = `usage:
  pilothouse serve [--port N]                       serve the console on 127.0.0.1 (port 0: any free port)
  pilothouse status [--json]                        list resources and health; exit 0 healthy, 1 not, 2 usage/config error
  pilothouse logs <resource> [--follow] [--tail N]  print a resource's log (resource: name, group/name or id)`;

export const RENDERER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/renderer');

export interface Io { out(s: string): void; err(s: string): void }
const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

class UsageError extends Error {}

/** Runs the CLI; resolves to the process exit code. `serve` resolves only when the server stops. */
export async function main(argv: string[], io: Io = stdio, env = process.env): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'serve': return await serve(rest, io, env);
      case 'status': return await status(rest, io, env);
      case 'logs': return await logs(rest, io, env);
      case undefined: case '-h': case '--help': case 'help':
        io.out(USAGE + '\n'); return cmd ? 0 : 2;
      default: throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) { io.err(`pilothouse: ${(e as Error).message}\n${USAGE}\n`); return 2; }
    if (e instanceof PilothouseError) { io.err(`pilothouse: ${e.message}\n`); return e.code === 'not-found' || e.code === 'conflict' || e.code === 'invalid-input' ? 2 : 1; }
    throw e;
  }
}

function intArg(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

async function withEngine<T>(env: NodeJS.ProcessEnv, fn: (client: Client, engine: Engine) => Promise<T>): Promise<T> {
  const engine = new Engine({ dataDir: defaultDataDir(env), env });
  await engine.start();
  const client = connectInProcess(engine.handlers());
  try { return await fn(client, engine); } finally { client.close(); engine.stop(); }
}

async function serve(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: env.PILOTHOUSE_PORT ?? '0' } }, strict: true });
  const port = intArg(values.port, 'port', 0)!;
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const engine = new Engine({ dataDir: defaultDataDir(env), env });
  void engine.start();
  const host = await startWebHost({ handlers: engine.handlers(), staticDir: env.PILOTHOUSE_RENDERER_DIR ?? RENDERER_DIR, port });
  io.out(`Pilothouse is serving on ${host.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { void host.close().then(() => { engine.stop(); resolve(); }); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

async function status(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true });
  return withEngine(env, async (client, engine) => {
    const { resources, endpoints } = await client.request('stack:overview', {});
    const problems = endpoints.filter((e) => e.state !== 'connected');
    if (values.json) {
      io.out(JSON.stringify({
        resources: resources.map((r) => ({ name: r.name, group: r.group, plane: r.plane, runtime: r.runtime, update: r.update, reasons: r.reasons })),
        endpoints: endpoints.map((e) => ({ plane: e.plane, target: e.target, source: e.source, state: e.state, message: e.message, hint: e.hint })),
      }, null, 2) + '\n');
    } else {
      for (const e of problems) io.err(`${e.plane}: ${e.message ?? e.state}${e.hint ? `\n  ${e.hint}` : ''}\n`);
      printTable(resources, io);
      if (!resources.length && !problems.length) io.out('No resources found.\n');
    }
    if (engine.hasConfigError()) return 2;
    return problems.length || resources.some((r) => !healthy(r)) ? 1 : 0;
  });
}

export function healthy(r: Resource): boolean {
  return r.runtime === 'ok' && r.update !== 'error';
}

function printTable(rs: Resource[], io: Io): void {
  const rows = rs.map((r) => [r.group, r.name, r.plane, r.runtime, r.update, r.reasons.join('; ')]);
  const head = ['GROUP', 'NAME', 'PLANE', 'RUNTIME', 'UPDATE', 'REASONS'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) io.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd() + '\n');
}

async function logs(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { follow: { type: 'boolean', short: 'f', default: false }, tail: { type: 'string' } }, strict: true });
  if (positionals.length !== 1) throw new UsageError('logs needs exactly one resource');
  const tail = intArg(values.tail, 'tail', 0) ?? (values.follow ? 50 : 200);
  const print = (l: LogLine) => {
    const text = l.stream === 'system' ? `[pilothouse] ${l.text}` : l.text;
    (l.stream === 'stderr' ? io.err : io.out)(`${l.ts ? l.ts + ' ' : ''}${text}${l.cont ? '' : '\n'}`);
  };
  return withEngine(env, async (client) => {
    if (!values.follow) {
      const { lines } = await client.request('logs:tail', { resource: positionals[0], tail });
      lines.forEach(print);
      return 0;
    }
    return new Promise<number>((resolve) => {
      const sub = client.subscribe('logs:follow', { resource: positionals[0], tail }, {
        onBatch: (ls) => ls.forEach(print),
        onEnd: (e) => { if (e) io.err(`pilothouse: ${e.message}\n`); resolve(e ? 1 : 0); },
      });
      const stop = () => { sub.close(); resolve(0); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}
