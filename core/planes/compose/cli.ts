/**
 * The compose command lines Pilothouse runs, as argument lists: which compose CLI a host has, how an
 * operation with its profiles and env files becomes argv, and how a working directory and environment
 * are put in front of it without ever pasting a string into a shell.
 */

/** The compose program on a host: the v2 plugin (`docker compose`), v1 (`docker-compose`), or the project's wrapper. */
export interface ComposeCli {
  /** The words before compose's own arguments: ['docker', 'compose'], ['docker-compose'], ['./compose.sh']. */
  argv: string[];
  /** What it said about itself (`Docker Compose version v2.29.1`, `docker-compose version 1.29.2`), or the wrapper. */
  version: string;
  kind: 'plugin' | 'standalone' | 'wrapper';
}

export type ComposeOp = 'up' | 'down' | 'stop' | 'restart';

/** One way to ask for the compose CLI, in the order they are tried. */
export const COMPOSE_PROBES: ReadonlyArray<{ argv: string[]; kind: ComposeCli['kind'] }> = [
  { argv: ['docker', 'compose'], kind: 'plugin' },
  { argv: ['docker-compose'], kind: 'standalone' },
];

/**
 * Reads the answer to `<probe> version`. The v2 plugin prints `Docker Compose version v2.x`; v1 prints
 * `docker-compose version 1.29.2, build …`. An old docker CLI without the plugin answers
 * `docker: 'compose' is not a docker command.` (exit 1), which is not a version and must not count.
 */
export function parseComposeVersion(stdout: string): string | undefined {
  const first = stdout.split('\n').map((l) => l.trim()).find((l) => l.length > 0);
  if (!first) return undefined;
  const m = /^(?:Docker Compose|docker-compose) version:? v?(\d+\.\d+[^\s,]*)/i.exec(first);
  return m ? m[1] : undefined;
}

/** The first probe that answered with a version, from `[exit code, stdout]` per probe in COMPOSE_PROBES order. */
export function pickComposeCli(answers: ReadonlyArray<{ exitCode: number | null; stdout: string; stderr?: string }>): ComposeCli | { error: string } {
  const tried: string[] = [];
  for (let i = 0; i < COMPOSE_PROBES.length; i++) {
    const probe = COMPOSE_PROBES[i];
    const a = answers[i];
    const cmd = [...probe.argv, 'version'].join(' ');
    if (!a) { tried.push(`${cmd}: not tried`); continue; }
    const v = a.exitCode === 0 ? parseComposeVersion(a.stdout) : undefined;
    if (v) return { argv: probe.argv, version: v, kind: probe.kind };
    const said = (a.stderr || a.stdout).trim().split('\n')[0] || `exit ${a.exitCode}`;
    tried.push(`${cmd}: ${said}`);
  }
  return { error: `no compose CLI found (${tried.join('; ')})` };
}

export interface ComposeCall {
  op: ComposeOp;
  profiles?: readonly string[];
  envFiles?: readonly string[];
  /** Compose files (-f), for local projects found through their containers' labels. */
  files?: readonly string[];
  /** The project name (-p), when the files alone would not give it. */
  project?: string;
  /** Only these services (up/stop/restart). */
  services?: readonly string[];
}

/** Global options first (env files, files, project, profiles), then the operation and its own flags. */
export function composeArgs(cli: readonly string[], call: ComposeCall): string[] {
  const out = [...cli];
  for (const f of call.envFiles ?? []) out.push('--env-file', f);
  for (const f of call.files ?? []) out.push('-f', f);
  if (call.project) out.push('-p', call.project);
  for (const p of call.profiles ?? []) out.push('--profile', p);
  out.push(call.op);
  if (call.op === 'up') out.push('-d');
  out.push(...(call.services ?? []));
  return out;
}

/** `config`: the resolved project, from which the services of each profile are read. */
export function composeConfigArgs(cli: readonly string[], call: Omit<ComposeCall, 'op' | 'services' | 'profiles'>): string[] {
  const out = [...cli];
  for (const f of call.envFiles ?? []) out.push('--env-file', f);
  for (const f of call.files ?? []) out.push('-f', f);
  if (call.project) out.push('-p', call.project);
  out.push('config');
  return out;
}

/** `env K=V … argv`: the environment as arguments of env(1), so no value is ever read by a shell. */
export function withEnv(env: Readonly<Record<string, string>> | undefined, argv: readonly string[]): string[] {
  const pairs = Object.entries(env ?? {});
  if (!pairs.length) return [...argv];
  for (const [k] of pairs) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`'${k}' is not an environment variable name`);
  return ['env', ...pairs.map(([k, v]) => `${k}=${v}`), ...argv];
}

/** The script that changes directory: fixed text; the directory and the command reach it as $1 and $@. */
export const CD_SCRIPT = 'cd "$1" && shift && exec "$@"';

/**
 * `sh -c 'cd "$1" && shift && exec "$@"' sh <dir> <argv…>`: a working directory for a remote command
 * built as an argument list. A `~/x` directory is given relative (`x`): an SSH command starts in the
 * user's home, and `~` inside quotes would not be expanded.
 */
export function inDir(dir: string, argv: readonly string[]): string[] {
  const d = dir === '~' ? '.' : dir.startsWith('~/') ? dir.slice(2) || '.' : dir;
  return ['sh', '-c', CD_SCRIPT, 'sh', d, ...argv];
}

/** An argument list as an operator would type it, for previews and the audit (never executed). */
export function displayArgs(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./~-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}
