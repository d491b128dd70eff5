import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pkg from '../../package.json' with { type: 'json' };
import type { Client } from '../../shared/contract/client';
import type { PlaneEndpoint, Resource, ViewScope } from '../../shared/contract/domain';
import { PilothouseError } from '../../shared/contract/envelope';
import { isHealthy } from '../../shared/health/summary';
import { logPrinter } from '../../shared/text/log-printer';
import type { Engine } from '../engine/engine';

// The engine, the web host and their packages (dockerode, ws, zod) are imported only by the commands
// that need them: `--help` and `--version` load none of them, `status` neither the web host nor zod.

interface Command {
  synopsis: string;
  summary: string;
  options: string[];
  run(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  serve: {
    synopsis: 'serve [--port N]',
    summary: 'serve the console on 127.0.0.1 (port 0: any free port)',
    options: ['--port N   port to listen on (default: $PILOTHOUSE_PORT, else 0 = any free port)'],
    run: serve,
  },
  status: {
    synopsis: 'status [--json] [--plane|--endpoint|--group|--context|--namespace X]',
    summary: 'list resources and health; exit 0 healthy, 1 not, 2 usage/config error',
    options: [
      '--json         resources and endpoints as JSON',
      '--plane P      only this plane (docker, kube ...); repeatable',
      '--endpoint E   only this endpoint, by id (docker/default) or name; repeatable',
      '--group G      only this group (compose project, namespace, host); repeatable',
      '--context C    only this kube context (a name from your kubeconfig); repeatable',
      '--namespace N  only this kube namespace; repeatable',
    ],
    run: status,
  },
  logs: {
    synopsis: 'logs <resource> [-f] [-t] [--tail N] [--container C] [--previous] [--since T]',
    summary: "print a resource's log (resource: id, group/name, name or kind/name)",
    options: [
      '-f, --follow       keep printing new lines until interrupted',
      '--tail N           lines from the end to start with (default 200; 50 with --follow)',
      '-t, --timestamps   start each line with the time the source gave it',
      '--container C      kube: only this container of the pods (default: all, each line prefixed pod/container)',
      '--previous         kube: the log of the last terminated container (after a restart); not with -f',
      '--since T          only lines from T on: a duration back from now (30s, 10m, 2h, 1h30m) or an RFC 3339 time',
      '--no-color         no colour (also NO_COLOR=1, and whenever the output is not a terminal)',
      '--color            colour even into a pipe, e.g. for less -R',
      'Escape sequences other than colour, and control characters, are shown as text (␛[2J, ␇), never run.',
    ],
    run: logs,
  },
  action: {
    synopsis: 'action <resource> <action> [--yes] [--confirm NAME] [--value N] [--json]',
    summary: 'preview, confirm and run one of a resource\'s actions (as the console\'s buttons); exit 0 when verified',
    options: [
      '--yes, -y       run without asking (scripts); the preview is still printed',
      '--confirm NAME  the resource\'s name, for actions that ask for it typed (deleting data); needed with --yes',
      '--value N       the number an action takes (a pool\'s slots)',
      '--json          the outcome, message, audit record and step log as JSON',
      'On a terminal it asks before running (the typed name where the action says so); without one and without',
      '--yes it refuses. Exit 0 ok, 1 failed or not verified or cancelled, 2 not offered / not confirmed / usage.',
    ],
    run: async (a, io, env) => { const m = await import('./cli-action'); return m.actionCommand(a, { ...io, ask: 'ask' in io ? (io as import('./cli-action').ActionIo).ask : m.terminalAsk() }, env); },
  },
  audit: {
    synopsis: 'audit [<resource>] [--limit N] [--json]',
    summary: 'what was done, by whom, with what outcome: the newest records of the audit log (newest last)',
    options: [
      '<resource>   only the actions on this resource (its id, or the end of it: alphakraken/webapp)',
      '--limit N    how many records (1-500, default 20)',
      '--json       the records as JSON, newest first, with the log file and how many lines could not be read',
    ],
    run: async (a, io, env) => (await import('./cli-audit')).auditCommand(a, io, env),
  },
  actions: {
    synopsis: 'actions <resource> [--json]',
    summary: 'list the actions a resource offers now, and why any is unavailable',
    options: ['--json   the resource id and its actions as JSON'],
    run: async (a, io, env) => (await import('./cli-action')).actionsCommand(a, io, env),
  },
};

const width = Math.max(...Object.values(COMMANDS).map((c) => c.synopsis.length)) + 2;
export const USAGE = 'usage:\n' + Object.values(COMMANDS).map((c) => `  pilothouse ${c.synopsis.padEnd(width)}${c.summary}`).join('\n')
  + '\n  pilothouse <command> --help | --help | --version';

function commandHelp(name: string): string {
  const c = COMMANDS[name];
  return `usage: pilothouse ${c.synopsis}\n\n${c.summary}\n\noptions:\n${c.options.map((o) => `  ${o}`).join('\n')}\n`;
}

// Two levels below the repository root both as source (core/host/cli.ts) and as the bundle
// (dist/cli/cli.mjs, chunks beside it: scripts/build.mjs), so one relative path serves both.
export const RENDERER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/renderer');

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** Which of the two is a terminal (decides colour); absent: neither. */
  tty?: { out: boolean; err: boolean };
}
const stdio: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  get tty() { return { out: process.stdout.isTTY === true, err: process.stderr.isTTY === true }; },
};

class UsageError extends Error {}

const isHelp = (a: string) => a === '--help' || a === '-h';

/** Runs the CLI; resolves to the process exit code. `serve` resolves only when the server stops. */
export async function main(argv: string[], io: Io = stdio, env = process.env): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined) { io.err(USAGE + '\n'); return 2; }
    if (cmd === '--version') { io.out(`pilothouse ${pkg.version}\n`); return 0; }
    if (isHelp(cmd) || cmd === 'help') {
      const topic = cmd === 'help' ? rest[0] : undefined;
      if (topic !== undefined && !Object.hasOwn(COMMANDS, topic)) throw new UsageError(`unknown command '${topic}'`);
      io.out(topic ? commandHelp(topic) : USAGE + '\n');
      return 0;
    }
    if (!Object.hasOwn(COMMANDS, cmd)) throw new UsageError(`unknown command '${cmd}'`);
    // `--help` anywhere before a `--` asks for help, whatever else is on the line.
    const end = rest.indexOf('--');
    if ((end < 0 ? rest : rest.slice(0, end)).some(isHelp)) { io.out(commandHelp(cmd)); return 0; }
    return await COMMANDS[cmd].run(rest, io, env);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) { io.err(`pilothouse: ${(e as Error).message}\n${USAGE}\n`); return 2; }
    if (e instanceof PilothouseError) { io.err(`pilothouse: ${e.message}\n`); return e.code === 'not-found' || e.code === 'conflict' || e.code === 'invalid-input' ? 2 : 1; }
    // A bug or an unexpected failure: one plain line; the stack only when asked for.
    io.err(`pilothouse: ${env.PILOTHOUSE_DEBUG ? (e as Error)?.stack ?? String(e) : errorText(e)}\n`);
    return 1;
  }
}

function errorText(e: unknown): string { return e instanceof Error ? e.message : String(e); }

function intArg(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

async function newEngine(env: NodeJS.ProcessEnv): Promise<Engine> {
  const { Engine, defaultDataDir } = await import('../engine/engine');
  return new Engine({ dataDir: defaultDataDir(env), env, home: env.HOME || undefined });
}

/**
 * Starts the engine, reporting a failed start on stderr instead of giving up: whatever planes did start
 * still answer. `started` is false when the start failed.
 */
async function startEngine(engine: Engine, io: Io): Promise<boolean> {
  try { await engine.start(); return true; } catch (e) { io.err(`pilothouse: the engine did not start fully: ${errorText(e)}\n`); return false; }
}

async function withClient<T>(env: NodeJS.ProcessEnv, io: Io, fn: (client: Client) => Promise<T>): Promise<T> {
  const [engine, { connectInProcess }] = await Promise.all([newEngine(env), import('../engine/in-process')]);
  try {
    await startEngine(engine, io);
    const client = connectInProcess(engine.handlers());
    try { return await fn(client); } finally { client.close(); }
  } finally { engine.stop(); }
}

async function serve(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: env.PILOTHOUSE_PORT ?? '0' } }, strict: true });
  const port = intArg(values.port, 'port', 0)!;
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const [engine, { startWebHost }] = await Promise.all([newEngine(env), import('./web-host')]);
  // The page shows each endpoint's state as it comes; the host does not wait for the planes.
  void startEngine(engine, io);
  const host = await startWebHost({ handlers: engine.handlers(), staticDir: env.PILOTHOUSE_RENDERER_DIR ?? RENDERER_DIR, port });
  io.out(`Pilothouse is serving on ${host.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { void host.close().finally(() => { engine.stop(); resolve(); }); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

async function status(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      plane: { type: 'string', multiple: true },
      endpoint: { type: 'string', multiple: true },
      group: { type: 'string', multiple: true },
      context: { type: 'string', multiple: true },
      namespace: { type: 'string', multiple: true },
    },
    strict: true,
  });
  // Straight to the engine's handler, not through the in-process client: the dispatch's schema checks
  // guard untrusted pages, and loading zod for them is a fifth of this command's time.
  const engine = await newEngine(env);
  try {
    const started = await startEngine(engine, io);
    const scope = statusScope(values, engine.endpoints(), (engine.planes ?? []).map((p) => p.name));
    const overview = await engine.handlers().requests['stack:overview']({ scope });
    const { resources } = overview;
    const endpoints = overview.endpoints.filter((e) => endpointInScope(e, scope));
    const problems = endpoints.filter((e) => e.state !== 'connected' && e.state !== 'idle');
    if (values.json) {
      io.out(JSON.stringify({
        // parent and children tie a pod to its Deployment (or a job to its CronJob) as the page nests them.
        resources: resources.map((r) => ({ id: r.id, name: r.name, kind: r.kind, plane: r.plane, endpoint: r.endpoint, group: r.group, runtime: r.runtime, update: r.update, reasons: r.reasons, facts: r.facts, parent: r.parent, children: r.children })),
        endpoints,
      }, null, 2) + '\n');
    } else {
      for (const e of problems) io.err(`${problemLine(e)}${e.hint ? `\n  ${e.hint}` : ''}\n`);
      if (resources.length) printTable(resources, overview.endpoints, io);
      else if (!problems.length) io.out('No resources found.\n');
    }
    if (engine.hasConfigError()) return 2;
    return !started || problems.length || resources.some((r) => !isHealthy(r)) ? 1 : 0;
  } finally { engine.stop(); }
}

/**
 * The filters as a view scope; an endpoint may be named by id or by its short name. `--context` names a
 * kube endpoint by its context, `--namespace` a kube group: both keep the view to the kube plane.
 */
export function statusScope(v: { plane?: string[]; endpoint?: string[]; group?: string[]; context?: string[]; namespace?: string[] }, known: PlaneEndpoint[], running: readonly string[] = []): ViewScope {
  const scope: ViewScope = {};
  if (v.plane) {
    // A plane that runs but found nothing (no SSH host configured) is still a plane: it has no rows.
    const planes = [...new Set([...running, ...known.map((e) => e.plane)])];
    for (const p of v.plane) if (!planes.includes(p as PlaneEndpoint['plane'])) throw new UsageError(`no plane '${p}' here (planes: ${planes.join(', ') || 'none'})`);
    scope.planes = v.plane as ViewScope['planes'];
  }
  if (v.endpoint) {
    scope.endpoints = v.endpoint.flatMap((ref) => {
      const ids = known.filter((e) => e.id === ref || e.name === ref).map((e) => e.id);
      if (!ids.length) throw new UsageError(`no endpoint '${ref}' (endpoints: ${known.map((e) => e.id).join(', ') || 'none'})`);
      return ids;
    });
  }
  if (v.group) scope.groups = v.group;
  if (v.context) {
    const kube = known.filter((e) => e.plane === 'kube' && !e.name.startsWith('kubeconfig:'));
    const ids = v.context.map((c) => {
      const e = kube.find((k) => k.name === c);
      if (!e) throw new UsageError(`no kube context '${c}' (contexts: ${kube.map((k) => k.name).join(', ') || 'none found in the kubeconfig'})`);
      return e.id;
    });
    scope.endpoints = scope.endpoints ? scope.endpoints.filter((id) => ids.includes(id)) : ids;
  }
  if (v.namespace) scope.groups = [...(scope.groups ?? []), ...v.namespace];
  if ((v.context || v.namespace) && !scope.planes) scope.planes = ['kube'];
  return scope;
}

/** Planes write messages that name their endpoint; one that does not gets the endpoint's id in front. */
function problemLine(e: PlaneEndpoint): string {
  const m = e.message ?? e.state;
  return m.includes(e.id) ? m : `${e.id}: ${m}`;
}

function endpointInScope(e: PlaneEndpoint, s: ViewScope): boolean {
  return (!s.planes || s.planes.includes(e.plane)) && (!s.endpoints || s.endpoints.includes(e.id));
}

/**
 * KIND tells apart what shares a name (a Deployment and its Service, both `argilla-server`). The ENDPOINT
 * column appears only when there is more than one endpoint to tell apart.
 */
export function statusTable(rs: Resource[], endpoints: PlaneEndpoint[]): string[][] {
  const many = endpoints.length > 1;
  const nameOf = new Map(endpoints.map((e) => [e.id, e.name]));
  const head = ['GROUP', 'NAME', 'KIND', 'PLANE', ...(many ? ['ENDPOINT'] : []), 'RUNTIME', 'UPDATE', 'REASONS'];
  const rows = rs.map((r) => [r.group.name, r.name, r.kind, r.plane, ...(many ? [nameOf.get(r.endpoint) ?? r.endpoint] : []), r.runtime, r.update, r.reasons.map((x) => x.text).join('; ')]);
  return [head, ...rows];
}

function printTable(rs: Resource[], endpoints: PlaneEndpoint[], io: Io): void {
  const table = statusTable(rs, endpoints);
  const w = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) io.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd() + '\n');
}

async function logs(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    allowNegative: true,
    options: {
      follow: { type: 'boolean', short: 'f', default: false },
      tail: { type: 'string' },
      timestamps: { type: 'boolean', short: 't', default: false },
      color: { type: 'boolean' },
      container: { type: 'string' },
      previous: { type: 'boolean', default: false },
      since: { type: 'string' },
    },
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('logs needs exactly one resource');
  if (values.previous && values.follow) throw new UsageError("--previous is the log of a container that ended: it cannot be followed (drop -f)");
  const since = values.since === undefined ? undefined : sinceArg(values.since, Date.now());
  // --since without --tail: every line since then (up to the engine's limit), as kubectl does.
  const tail = intArg(values.tail, 'tail', 0) ?? (since ? 100_000 : values.follow ? 50 : 200);
  const opts = { ...(values.container ? { container: values.container } : {}), ...(since ? { since } : {}) };
  const printer = logPrinter(
    { write: (s) => io.out(s), color: wantsColor(values.color, env, io.tty?.out) },
    { write: (s) => io.err(s), color: wantsColor(values.color, env, io.tty?.err) },
    { timestamps: values.timestamps },
  );
  return withClient(env, io, async (client) => {
    if (!values.follow) {
      const { lines } = await client.request('logs:tail', { resource: positionals[0], tail, ...opts, ...(values.previous ? { previous: true } : {}) });
      lines.forEach(printer.print);
      printer.end();
      return 0;
    }
    return new Promise<number>((resolve) => {
      const sub = client.subscribe('logs:follow', { resource: positionals[0], tail, ...opts }, {
        onBatch: (ls) => ls.forEach(printer.print),
        onEnd: (e) => { printer.end(); if (e) io.err(`pilothouse: ${e.message}\n`); resolve(e ? 1 : 0); },
      });
      const stop = () => { sub.close(); printer.end(); resolve(0); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}

/**
 * `--since`: a duration back from `now` (30s, 10m, 2h, 1d, 1h30m) or an RFC 3339 time (kept as written,
 * nanoseconds and all), as an RFC 3339 time.
 */
export function sinceArg(v: string, now: number): string {
  const d = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v.trim());
  if (d && v.trim() !== '') {
    const [dd, hh, mm, ss] = d.slice(1).map((x) => Number(x ?? 0));
    return new Date(now - (((dd * 24 + hh) * 60 + mm) * 60 + ss) * 1000).toISOString();
  }
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(v) && !Number.isNaN(Date.parse(v))) return v;
  throw new UsageError(`--since must be a duration (30s, 10m, 2h, 1h30m) or an RFC 3339 time (2026-12-06T14:00:00Z), got '${v}'`);
}

/**
 * Colour only where it is rendered: the flag decides if given (--color for `| less -R`), then NO_COLOR
 * (no-color.org: set and not empty), then whether that stream is a terminal. Decided per stream, so
 * `logs x > file` keeps the file plain while stderr lines still show colour on the screen.
 */
export function wantsColor(flag: boolean | undefined, env: NodeJS.ProcessEnv, tty: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR) return false;
  return tty === true;
}
