import { createHash } from 'node:crypto';
import * as path from 'node:path';

/**
 * One place a Docker engine might be, with the name the operator will see (`docker/<name>`) and why we
 * think it is there. A candidate with `error` is a configuration file we could not read: it becomes an
 * unavailable endpoint, never a connection.
 */
export interface DockerCandidate {
  name: string;
  target: string;           // unix:///var/run/docker.sock, tcp://127.0.0.1:2375
  source: string;           // "DOCKER_HOST", "docker context 'colima' (current; ~/.docker/contexts/meta/…/meta.json)"
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https' | 'ssh';
  username?: string;
  error?: { message: string; file: string; hint: string };
}

export class DockerConfigError extends Error {
  constructor(message: string, readonly file: string) { super(message); this.name = 'DockerConfigError'; }
}

export interface DiscoverDeps {
  env: Record<string, string | undefined>;
  home: string;
  readFile(p: string): string | undefined;   // undefined when missing
  exists(p: string): boolean;
  /** Entries of a directory; [] when it is missing. */
  listDir(p: string): string[];
  /** Resolves symlinks, so one socket reached by two paths is one engine; identity when absent. */
  realpath?(p: string): string;
}

type Where = Omit<DockerCandidate, 'name' | 'error'>;

export function parseDockerHost(value: string, source: string): Where {
  let u: URL;
  try { u = new URL(value); } catch {
    throw new DockerConfigError(`${source}: '${value}' is not a URL like unix:///var/run/docker.sock or tcp://host:2375`, source);
  }
  switch (u.protocol) {
    case 'unix:': return { target: value, source, socketPath: decodeURIComponent(u.pathname) };
    case 'npipe:': return { target: value, source, socketPath: value.replace(/^npipe:\/\//, '') };
    case 'tcp:':
    case 'http:':
    case 'https:':
      return { target: value, source, host: u.hostname, port: Number(u.port || 2375), protocol: u.protocol === 'https:' ? 'https' : 'http' };
    case 'ssh:':
      return { target: value, source, host: u.hostname, port: Number(u.port || 22), protocol: 'ssh', username: u.username || undefined };
    default:
      throw new DockerConfigError(`${source}: unsupported scheme '${u.protocol}' in '${value}' (use unix://, tcp:// or ssh://)`, source);
  }
}

function parseJsonFile(deps: DiscoverDeps, file: string, field: string): unknown | undefined {
  const text = deps.readFile(file);
  if (text === undefined) return undefined;
  try { return JSON.parse(text); } catch (e) {
    throw new DockerConfigError(`${file}: not valid JSON (${(e as Error).message}), so ${field} cannot be read`, file);
  }
}

export const contextDir = (name: string) => createHash('sha256').update(name).digest('hex');

/** The engine behind a candidate, for deduplication: the same socket by two paths, or one host:port spelled twice, is one engine. */
function identity(c: Where, deps: DiscoverDeps): string {
  if (c.socketPath) {
    let p = c.socketPath;
    try { p = deps.realpath?.(p) ?? p; } catch { /* a socket that does not exist yet keeps its own path */ }
    return `unix:${path.resolve(p)}`;
  }
  return `${c.protocol}://${c.username ? c.username + '@' : ''}${(c.host ?? '').toLowerCase()}:${c.port}`;
}

interface Found { where: Where; names: string[]; sources: string[]; rank: number }

// Which name an engine found several ways goes by: the docker context the operator chose, then the
// socket's own name, then `env` for DOCKER_HOST.
const RANK = { context: 0, socket: 1, env: 2 } as const;

/**
 * Every Docker engine the user has, all at once: DOCKER_HOST, every docker context in the config dir
 * (the current one first), and the usual sockets that exist; one candidate per engine. A config file
 * that cannot be read becomes a candidate with `error`, and the others still count. When nothing at all
 * is found, one candidate `default` for the default socket says everything that was tried.
 */
export function discoverDocker(deps: DiscoverDeps): DockerCandidate[] {
  const { env, home } = deps;
  const engines = new Map<string, Found>();
  const problems: Array<{ name: string; error: DockerCandidate['error'] & object }> = [];
  const add = (where: Where, name: string, rank: number) => {
    const key = identity(where, deps);
    const f = engines.get(key);
    if (!f) { engines.set(key, { where, names: [name], sources: [where.source], rank }); return; }
    f.sources.push(where.source);
    if (rank < f.rank) { f.names.unshift(name); f.rank = rank; f.where = { ...where, source: f.where.source }; } else f.names.push(name);
  };
  const problem = (name: string, e: unknown, hint: string) => {
    if (!(e instanceof DockerConfigError)) throw e;
    problems.push({ name, error: { message: e.message, file: e.file, hint } });
  };

  if (env.DOCKER_HOST) {
    try { add(parseDockerHost(env.DOCKER_HOST, 'DOCKER_HOST'), 'env', RANK.env); } catch (e) {
      problem('env', e, "Set DOCKER_HOST to a URL like unix:///var/run/docker.sock or tcp://host:2375, or unset it.");
    }
  }

  const configDir = env.DOCKER_CONFIG || path.join(home, '.docker');
  const configFile = path.join(configDir, 'config.json');
  let current = env.DOCKER_CONTEXT;
  const currentFrom = env.DOCKER_CONTEXT ? 'DOCKER_CONTEXT' : configFile;
  try {
    const cfg = parseJsonFile(deps, configFile, 'currentContext') as { currentContext?: unknown } | undefined;
    if (!current && cfg && typeof cfg.currentContext === 'string') current = cfg.currentContext;
  } catch (e) {
    problem('config', e, `Fix or remove ${configFile}; the docker CLI reads it too.`);
  }

  const metaRoot = path.join(configDir, 'contexts', 'meta');
  const dirs = deps.listDir(metaRoot).sort();
  const currentDir = current && current !== 'default' ? contextDir(current) : undefined;
  // The current context first: it is the one the operator's docker CLI talks to.
  if (currentDir && dirs.includes(currentDir)) dirs.unshift(...dirs.splice(dirs.indexOf(currentDir), 1));
  for (const dir of dirs) {
    const metaFile = path.join(metaRoot, dir, 'meta.json');
    const known = dir === currentDir ? current! : undefined;
    let meta: { Name?: unknown; Endpoints?: { docker?: { Host?: unknown } } } | undefined;
    try {
      meta = parseJsonFile(deps, metaFile, 'Name and Endpoints.docker.Host') as typeof meta;
    } catch (e) {
      problem(known ?? `context-${dir.slice(0, 8)}`, e, `Fix ${metaFile}, or remove the context with 'docker context rm${known ? ' ' + known : ''}'.`);
      continue;
    }
    if (!meta) continue; // a directory without meta.json: the docker CLI ignores it too
    const name = typeof meta.Name === 'string' && meta.Name ? meta.Name : known ?? `context-${dir.slice(0, 8)}`;
    const source = `docker context '${name}' (${dir === currentDir ? `current, from ${currentFrom}; ` : ''}${metaFile})`;
    const host = meta.Endpoints?.docker?.Host;
    try {
      if (typeof host !== 'string') throw new DockerConfigError(`${metaFile}: field Endpoints.docker.Host is missing or not a string`, metaFile);
      add(parseDockerHost(host, source), name, RANK.context);
    } catch (e) {
      problem(name, e, `Fix ${metaFile} ('docker context update ${name} --docker host=...'), or remove it with 'docker context rm ${name}'.`);
    }
  }
  if (currentDir && !dirs.includes(currentDir)) {
    problems.push({ name: current!, error: {
      message: `docker context '${current}' (from ${currentFrom}) has no metadata at ${path.join(metaRoot, currentDir, 'meta.json')}`,
      file: path.join(metaRoot, currentDir, 'meta.json'),
      hint: "Run 'docker context ls' to see the contexts there are, or 'docker context use default'.",
    } });
  }

  const sockets: Array<[string, string, string]> = [
    ['/var/run/docker.sock', 'default socket', 'default'],
    ...(env.XDG_RUNTIME_DIR ? [[path.join(env.XDG_RUNTIME_DIR, 'docker.sock'), 'rootless Docker socket', 'rootless'] as [string, string, string]] : []),
    [path.join(home, '.docker', 'run', 'docker.sock'), 'Docker Desktop socket', 'desktop'],
    [path.join(home, '.colima', 'default', 'docker.sock'), 'Colima socket', 'colima'],
  ];
  for (const [p, why, name] of sockets) if (deps.exists(p)) add({ target: `unix://${p}`, source: why, socketPath: p }, name, RANK.socket);

  const out: DockerCandidate[] = [];
  const taken = new Set<string>();
  const unique = (name: string) => {
    let n = name;
    for (let i = 2; taken.has(n); i++) n = `${name}-${i}`;
    taken.add(n);
    return n;
  };
  // Names the operator chose (contexts) are claimed first, so a generated one never displaces them.
  const found = [...engines.values()];
  const order = [...found].sort((a, b) => a.rank - b.rank);
  const names = new Map<Found, string>();
  for (const f of order) names.set(f, unique(f.names[0]));
  for (const f of found) out.push({ ...f.where, name: names.get(f)!, source: f.sources.join('; ') });
  for (const p of problems) out.push({ name: unique(p.name), target: p.error.file, source: p.error.file, error: p.error });

  if (!found.length) {
    const tried = [
      `DOCKER_HOST (${env.DOCKER_HOST ? 'unusable' : 'unset'})`,
      `docker contexts in ${metaRoot} (${dirs.length ? 'none usable' : 'none'})`,
      ...sockets.map(([p]) => p),
    ];
    const p = sockets[0][0];
    out.unshift({ name: unique('default'), target: `unix://${p}`, source: `no Docker engine found; tried ${tried.join(', ')}`, socketPath: p });
  }
  return out;
}

/** A hint an operator can act on, for the error Docker gave us. */
export function dockerHint(c: Pick<DockerCandidate, 'target' | 'source' | 'socketPath'>, errCode?: string): string {
  if (errCode === 'ENOENT') return `No Docker engine socket at ${c.socketPath}. Start Docker (e.g. 'sudo systemctl start docker' or 'sudo dockerd &'), or set DOCKER_HOST.`;
  if (errCode === 'EACCES') return `Permission denied on ${c.socketPath}. Add your user to the 'docker' group ('sudo usermod -aG docker $USER', then log in again) or set DOCKER_HOST.`;
  if (errCode === 'ECONNREFUSED') return `Nothing listens at ${c.target}. Is the Docker engine running there?`;
  return `Check that the Docker engine at ${c.target} (${c.source}) is running.`;
}
