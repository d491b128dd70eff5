import { createHash } from 'node:crypto';
import * as path from 'node:path';

/** Where a Docker engine might be, and why we think so: the message for an operator names both. */
export interface DockerCandidate {
  target: string;           // unix:///var/run/docker.sock, tcp://127.0.0.1:2375
  source: string;           // "DOCKER_HOST", "docker context 'colima' (~/.docker/contexts/meta/…/meta.json)"
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https' | 'ssh';
  username?: string;
}

export class DockerConfigError extends Error {
  constructor(message: string, readonly file: string) { super(message); this.name = 'DockerConfigError'; }
}

export interface DiscoverDeps {
  env: Record<string, string | undefined>;
  home: string;
  readFile(p: string): string | undefined;   // undefined when missing
  exists(p: string): boolean;
}

export function parseDockerHost(value: string, source: string): DockerCandidate {
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

function parseJsonFile(deps: DiscoverDeps, file: string): unknown | undefined {
  const text = deps.readFile(file);
  if (text === undefined) return undefined;
  try { return JSON.parse(text); } catch (e) {
    throw new DockerConfigError(`${file}: not valid JSON (${(e as Error).message})`, file);
  }
}

/**
 * Finds the engine the way the docker CLI does: DOCKER_HOST, then DOCKER_CONTEXT or the current context
 * in ~/.docker/config.json, then the usual sockets. Returns the choice and every place looked at.
 */
export function discoverDocker(deps: DiscoverDeps): { chosen: DockerCandidate; tried: DockerCandidate[] } {
  const { env, home } = deps;
  if (env.DOCKER_HOST) {
    const c = parseDockerHost(env.DOCKER_HOST, 'DOCKER_HOST');
    return { chosen: c, tried: [c] };
  }
  const configDir = env.DOCKER_CONFIG || path.join(home, '.docker');
  const configFile = path.join(configDir, 'config.json');
  let context = env.DOCKER_CONTEXT;
  if (!context) {
    const cfg = parseJsonFile(deps, configFile) as { currentContext?: unknown } | undefined;
    if (cfg && typeof cfg.currentContext === 'string') context = cfg.currentContext;
  }
  if (context && context !== 'default') {
    const metaFile = path.join(configDir, 'contexts', 'meta', createHash('sha256').update(context).digest('hex'), 'meta.json');
    const meta = parseJsonFile(deps, metaFile) as { Endpoints?: { docker?: { Host?: unknown } } } | undefined;
    const via = env.DOCKER_CONTEXT ? 'DOCKER_CONTEXT' : configFile;
    if (!meta) throw new DockerConfigError(`docker context '${context}' (from ${via}) has no metadata at ${metaFile}; run 'docker context ls' or 'docker context use default'`, metaFile);
    const host = meta.Endpoints?.docker?.Host;
    if (typeof host !== 'string') throw new DockerConfigError(`${metaFile}: field Endpoints.docker.Host is missing or not a string`, metaFile);
    const c = parseDockerHost(host, `docker context '${context}' (${metaFile})`);
    return { chosen: c, tried: [c] };
  }
  const sockets: Array<[string, string]> = [
    ['/var/run/docker.sock', 'default socket'],
    ...(env.XDG_RUNTIME_DIR ? [[path.join(env.XDG_RUNTIME_DIR, 'docker.sock'), 'rootless Docker socket'] as [string, string]] : []),
    [path.join(home, '.docker', 'run', 'docker.sock'), 'Docker Desktop socket'],
    [path.join(home, '.colima', 'default', 'docker.sock'), 'Colima socket'],
  ];
  const tried = sockets.map(([p, why]) => ({ target: `unix://${p}`, source: why, socketPath: p }));
  const chosen = tried.find((c) => deps.exists(c.socketPath!)) ?? tried[0];
  return { chosen, tried };
}

/** A hint an operator can act on, for the error Docker gave us. */
export function dockerHint(c: DockerCandidate, errCode?: string): string {
  if (errCode === 'ENOENT') return `No Docker engine socket at ${c.socketPath}. Start Docker (e.g. 'sudo systemctl start docker' or 'sudo dockerd &'), or set DOCKER_HOST.`;
  if (errCode === 'EACCES') return `Permission denied on ${c.socketPath}. Add your user to the 'docker' group ('sudo usermod -aG docker $USER', then log in again) or set DOCKER_HOST.`;
  if (errCode === 'ECONNREFUSED') return `Nothing listens at ${c.target}. Is the Docker engine running there?`;
  return `Check that the Docker engine at ${c.target} (${c.source}) is running.`;
}
