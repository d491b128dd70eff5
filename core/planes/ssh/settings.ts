import { createRequire } from 'node:module';
import { posix } from 'node:path';
import type { Node } from 'yaml';
import type { PlaneEnv } from '../plane';
import { nodeStart, readSettingsText, yamlPathOffset } from '../settings-yaml';

/**
 * The operator's hosts file, `$PILOTHOUSE_CONFIG_DIR/hosts.yaml`: what Pilothouse should know about a
 * host beyond ~/.ssh/config (mounts that matter, units, its Docker engine, compose projects, tunnels,
 * SLURM), plus hosts ~/.ssh/config lacks. Each host is checked on its own: one bad host is reported with
 * its file, line and field and the others load as usual.
 *
 * `yaml` and `zod` are loaded only when there is a file to read: together they cost more than the rest
 * of `pilothouse status` on a machine without one (the CLI's start-up is budgeted, see bench/README.md).
 */

const lazy = createRequire(import.meta.url);
let parsers: { yaml: typeof import('yaml'); schemas: ReturnType<typeof makeSchemas> } | undefined;
function load(): NonNullable<typeof parsers> {
  parsers ??= { yaml: lazy('yaml') as typeof import('yaml'), schemas: makeSchemas(lazy('zod') as typeof import('zod')) };
  return parsers;
}

function makeSchemas({ z }: typeof import('zod')) {
  /** A word for ~/.ssh/config or a remote path: no blanks, no quotes, nothing a config line would split on. */
  const word = (what: string) => z.string().min(1, `${what} is empty`).regex(/^[^\s"'#]+$/, `${what} may not hold blanks, quotes or #`);
  // A host name goes into the ssh settings as written: letters, digits and what DNS, IPv4 and IPv6 use.
  const hostName = z.string().regex(/^[A-Za-z0-9._:-]+$/, 'not a host name or address');
  const port = z.number().int('a port is a whole number').min(1).max(65535);
  const absPath = z.string().regex(/^(\/|~\/|~$)[^\n]*$/, 'an absolute path (or one under ~/)');
  const compose = z.strictObject({
    project: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a compose project name is lowercase letters, digits, - and _'),
    dir: absPath,
    command: z.array(z.string().min(1)).min(1).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name'), z.string()).optional(),
    envFiles: z.array(z.string().min(1)).optional(),
    order: z.array(z.string().min(1)).optional(),
  });
  const tunnel = z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a tunnel name is letters, digits, dot, dash and underscore'),
    localPort: port,
    remoteHost: hostName.default('127.0.0.1'),
    remotePort: port,
  });
  return {
    alias: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an alias is letters, digits, dot, dash and underscore (no patterns)'),
    host: z.strictObject({
      hostName: hostName.optional(),
      user: word('user').optional(),
      port: port.optional(),
      mounts: z.array(z.string().regex(/^\/[^\s]*$/, 'a mount point is an absolute path without blanks')).optional(),
      units: z.array(z.string().regex(/^[A-Za-z0-9@._:-]+$/, 'not a systemd unit name')).optional(),
      docker: z.boolean().optional(),
      compose: z.array(compose).optional(),
      tunnels: z.array(tunnel).optional(),
      slurm: z.boolean().optional(),
    }),
  };
}

export interface ComposeSettings {
  /** The compose project name (`-p`). */
  project: string;
  /** Where the compose files are, on the host (`~/` is the remote user's home). */
  dir: string;
  /** A wrapper to run instead of the detected compose CLI, as an argument list (`[./compose.sh]`). */
  command?: string[];
  env?: Record<string, string>;
  envFiles?: string[];
  /** Profiles, started in this order. */
  order?: string[];
}

/** A local forward: 127.0.0.1:localPort here → remoteHost:remotePort as the host sees it. */
export interface TunnelSettings {
  name: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
}

export interface HostSettings {
  alias: string;
  hostName?: string;
  user?: string;
  port?: number;
  mounts: string[];
  units: string[];
  docker: boolean;
  compose: ComposeSettings[];
  tunnels: TunnelSettings[];
  slurm: boolean;
  /** Where it was written, for messages. */
  file: string;
  line: number;
}

export interface HostSettingsError {
  file: string;
  /** 1-based; 0 when the problem is the file as a whole (cannot be read). */
  line: number;
  /** Dotted path to the field: `hosts.kraken-workers.mounts.1`. */
  field: string;
  /** The host it takes out, when it is one host's entry. */
  alias?: string;
  message: string;
}

export interface HostSettingsResult {
  /** The file read (or that would be read: it need not exist). */
  file: string;
  hosts: HostSettings[];
  errors: HostSettingsError[];
}

export function configDir(env: PlaneEnv): string {
  const e = env.env;
  if (e.PILOTHOUSE_CONFIG_DIR) return e.PILOTHOUSE_CONFIG_DIR;
  return posix.join(e.XDG_CONFIG_HOME || posix.join(env.home, '.config'), 'pilothouse');
}

export function hostsFilePath(env: PlaneEnv): string {
  return posix.join(configDir(env), 'hosts.yaml');
}

export function formatSettingsError(e: HostSettingsError): string {
  return `${e.file}${e.line ? ` line ${e.line}` : ''}: ${e.field}: ${e.message}`;
}

/** Reads and checks hosts.yaml; a missing file is no hosts and no error. */
export function loadHostSettings(env: PlaneEnv, read: (path: string) => string | undefined = readSettingsText): HostSettingsResult {
  const file = hostsFilePath(env);
  let text: string | undefined;
  try {
    text = read(file);
  } catch (err) {
    return { file, hosts: [], errors: [{ file, line: 0, field: '(file)', message: `cannot read: ${(err as Error).message}` }] };
  }
  return { file, ...parseHostSettings(text ?? '', file) };
}

/** Pure: the text of a hosts file to hosts and errors, each error with its line and field. */
export function parseHostSettings(text: string, file: string): { hosts: HostSettings[]; errors: HostSettingsError[] } {
  if (text.trim() === '') return { hosts: [], errors: [] };
  const { yaml: { LineCounter, parseDocument, isMap, isScalar }, schemas } = load();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lc.linePos(offset).line);
  const errors: HostSettingsError[] = [];
  if (doc.errors.length) {
    // YAML that does not parse: nothing in it can be trusted to be what the operator meant.
    for (const e of doc.errors) errors.push({ file, line: e.linePos?.[0]?.line ?? lineOf(e.pos[0]), field: '(yaml)', message: e.message.split('\n')[0]! });
    return { hosts: [], errors };
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { hosts: [], errors };
  if (!isMap(root)) return { hosts: [], errors: [{ file, line: lineOf(nodeStart(root)), field: '(top)', message: 'expected a mapping with a `hosts:` key' }] };
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (key !== 'hosts') errors.push({ file, line: lineOf(nodeStart(pair.key as Node)), field: key, message: 'unknown key (the file holds `hosts:` only)' });
  }
  const hostsNode = root.get('hosts', true) as Node | undefined;
  if (hostsNode === undefined || (isScalar(hostsNode) && hostsNode.value === null)) return { hosts: [], errors };
  if (!isMap(hostsNode)) return { hosts: [], errors: [...errors, { file, line: lineOf(nodeStart(hostsNode)), field: 'hosts', message: 'expected a mapping of host alias to its settings' }] };

  const hosts: HostSettings[] = [];
  for (const pair of hostsNode.items) {
    const keyNode = pair.key as Node;
    const name = isScalar(keyNode) ? String(keyNode.value) : '';
    const line = lineOf(nodeStart(keyNode));
    const a = schemas.alias.safeParse(name);
    if (!a.success) {
      errors.push({ file, line, field: `hosts.${name || '?'}`, alias: name, message: a.error.issues[0]!.message });
      continue;
    }
    const valueNode = pair.value as Node | null;
    const value = valueNode && !(isScalar(valueNode) && valueNode.value === null) ? (valueNode as Node).toJSON() : {};
    const parsed = schemas.host.safeParse(value);
    if (!parsed.success) {
      // One error per host (the first), at the line of the field that is wrong.
      const issue = parsed.error.issues[0]!;
      const extra = issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [];
      const path = ['hosts', name, ...issue.path.map(String), ...extra];
      errors.push({ file, line: lineOf(yamlPathOffset(doc, path, load().yaml) ?? nodeStart(keyNode)), field: path.join('.'), alias: name, message: issue.message });
      continue;
    }
    const h = parsed.data;
    hosts.push({
      alias: name,
      ...(h.hostName !== undefined ? { hostName: h.hostName } : {}),
      ...(h.user !== undefined ? { user: h.user } : {}),
      ...(h.port !== undefined ? { port: h.port } : {}),
      mounts: h.mounts ?? [],
      units: h.units ?? [],
      docker: h.docker ?? false,
      compose: h.compose ?? [],
      tunnels: h.tunnels ?? [],
      slurm: h.slurm ?? false,
      file,
      line,
    });
  }
  return { hosts, errors };
}



