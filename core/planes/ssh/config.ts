import { posix } from 'node:path';
import { LineType, parse, type Line } from 'ssh-config';
import { hasWildcard, matchPattern, matchPatternList } from './pattern';

/**
 * Hosts from ~/.ssh/config, read as OpenSSH reads them. ssh-config parses the text; evaluation is done
 * here, not with its `compute`, because `compute` ignores Include, runs `Match exec` through a shell, and
 * matches `?` as "zero or one". Pure: every file comes through the injected ConfigFs.
 */

export interface ConfigFs {
  /** The file's text; undefined when there is no such file. Throws when it exists but cannot be read. */
  read(path: string): string | undefined;
  /** Names in a directory; undefined when it is not one. */
  list(dir: string): string[] | undefined;
}

export interface ConfigContext {
  fs: ConfigFs;
  home: string;
  /** The local login name: the default remote user, and what `Match localuser` compares. */
  localUser?: string;
  /** Default ~/.ssh/config. */
  path?: string;
}

export class SshConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    reason: string,
  ) {
    super(`${file} line ${line}: ${field}: ${reason}`);
    this.name = 'SshConfigError';
  }
}

export interface JumpHost {
  user?: string;
  host: string;
  port?: number;
}

export interface NotEvaluated {
  file: string;
  line: number;
  /** The criteria this module cannot decide (`exec`, `canonical`, `localnetwork` ...). */
  criteria: string[];
}

export interface HostAlias {
  alias: string;
  file: string;
  line: number;
}

export interface ResolvedHost {
  alias: string;
  hostName: string;
  /** As configured; undefined means the local user. */
  user?: string;
  port: number;
  identityFiles: string[];
  /** Hops in order, first one dialled first; each hop is itself an alias to resolve. Empty: direct. */
  proxyJump: JumpHost[];
  /** Seconds; 0 is OpenSSH's default (no keepalives). */
  serverAliveInterval: number;
  serverAliveCountMax: number;
  /** Every option that applied, first values, keys in lowercase. */
  options: Record<string, string[]>;
  /**
   * Match blocks whose outcome hung on criteria not evaluated here. Their settings were NOT applied: a
   * connection made with a guessed config would be worse than one that says what it left out.
   */
  notEvaluated: NotEvaluated[];
}

// OpenSSH's READCONF_MAX_DEPTH: an Include loop ends with an error instead of recursing forever.
const MAX_INCLUDE_DEPTH = 16;
// Options that accumulate instead of the first value winning.
const MULTI = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv', 'setenv']);

type Item =
  | { kind: 'host'; patterns: string[]; file: string; line: number }
  | { kind: 'match'; criteria: [string, string][]; file: string; line: number }
  | { kind: 'include'; files: LoadedFile[]; file: string; line: number }
  | { kind: 'option'; key: string; args: string[]; file: string; line: number };

interface LoadedFile {
  path: string;
  items: Item[];
}

function tokens(value: string | { val: string }[]): string[] {
  return typeof value === 'string' ? (value === '' ? [] : [value]) : value.map((v) => v.val);
}

/** ssh-config throws without a line number; the culprit is the first line that fails on its own. */
function parseWithLines(text: string, file: string): ReturnType<typeof parse> {
  try {
    return parse(text);
  } catch (err) {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      try {
        parse(lines[i]!);
      } catch {
        const field = lines[i]!.trim().split(/[\s=]+/)[0] || '(line)';
        throw new SshConfigError(file, i + 1, field, (err as Error).message);
      }
    }
    throw new SshConfigError(file, 1, '(file)', (err as Error).message);
  }
}

function expandTilde(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? posix.join(home, path.slice(2)) : path;
}

/** glob(3) over the injected fs: wildcards in any component, hidden names only for a pattern with a dot. */
function globPaths(fs: ConfigFs, pattern: string): string[] {
  let bases = ['/'];
  for (const seg of pattern.split('/').filter(Boolean)) {
    if (!hasWildcard(seg)) {
      bases = bases.map((b) => posix.join(b, seg));
      continue;
    }
    bases = bases.flatMap((b) =>
      (fs.list(b) ?? [])
        .filter((name) => matchPattern(seg, name) && (!name.startsWith('.') || seg.startsWith('.')))
        .sort()
        .map((name) => posix.join(b, name)),
    );
  }
  return bases;
}

function checkNumber(value: string | undefined, it: { file: string; line: number }, field: string, min: number, max: number): number {
  const n = value !== undefined && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    throw new SshConfigError(it.file, it.line, field, `${JSON.stringify(value ?? '')} is not a number from ${min} to ${max}`);
  }
  return n;
}

/** `[user@]host[:port]` hops, comma-separated, also as `ssh://` URIs; `none` means no jump. */
export function parseProxyJump(value: string, at: { file: string; line: number } = { file: '(argument)', line: 0 }): JumpHost[] {
  if (value.toLowerCase() === 'none') return [];
  return value.split(',').map((raw) => {
    let rest = raw.trim().replace(/^ssh:\/\//i, '');
    let user: string | undefined;
    const atSign = rest.lastIndexOf('@');
    if (atSign >= 0) {
      user = rest.slice(0, atSign);
      rest = rest.slice(atSign + 1);
    }
    // A bracketed host is an IPv6 address whose own colons are not a port.
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(rest) ?? /^([^:]*)(?::(.*))?$/.exec(rest)!;
    const host = m[1]!;
    if (!host || user === '' || /\s/.test(host)) throw new SshConfigError(at.file, at.line, 'ProxyJump', `bad hop ${JSON.stringify(raw)}`);
    const port = m[2] === undefined ? undefined : checkNumber(m[2], at, 'ProxyJump', 1, 65535);
    return { ...(user !== undefined ? { user } : {}), host, ...(port !== undefined ? { port } : {}) };
  });
}

/** OpenSSH refuses these anywhere in a file, whether or not their block applies; so do we. */
function validate(key: string, args: string[], at: { file: string; line: number }, param: string): void {
  if (key === 'port') checkNumber(args[0], at, param, 1, 65535);
  else if (key === 'serveraliveinterval' || key === 'serveralivecountmax') checkNumber(args[0], at, param, 0, 2 ** 31 - 1);
  else if (key === 'proxyjump') parseProxyJump(args[0] ?? '', at);
  else if (key === 'hostname' && /%[^h%]/.test(args[0] ?? '')) {
    throw new SshConfigError(at.file, at.line, param, `only %h and %% may be used in ${JSON.stringify(args[0])}`);
  }
}

function loadFile(ctx: ConfigContext, path: string, text: string, depth: number): LoadedFile {
  const items: Item[] = [];
  let line = 1;
  const visit = (nodes: Iterable<Line>) => {
    for (const node of nodes) {
      line += (node.before.match(/\n/g) ?? []).length;
      const at = { file: path, line };
      if (node.type === LineType.DIRECTIVE) {
        const key = node.param.toLowerCase();
        const args = tokens(node.value);
        if (key === 'host') items.push({ kind: 'host', patterns: args, ...at });
        else if (key === 'match') {
          const criteria = Object.entries('criteria' in node ? node.criteria : {}).map(
            ([k, v]) => [k, typeof v === 'string' ? v : v.map((x) => x.val).join(',')] as [string, string],
          );
          items.push({ kind: 'match', criteria, ...at });
        } else if (key === 'include') {
          items.push({ kind: 'include', files: includeFiles(ctx, args, at, node.param, depth), ...at });
        } else {
          validate(key, args, at, node.param);
          items.push({ kind: 'option', key, args, ...at });
        }
      }
      line += (node.after.match(/\n/g) ?? []).length;
      if ('config' in node) visit(node.config);
    }
  };
  visit(parseWithLines(text, path));
  return { path, items };
}

function includeFiles(ctx: ConfigContext, args: string[], at: { file: string; line: number }, param: string, depth: number): LoadedFile[] {
  if (depth >= MAX_INCLUDE_DEPTH) throw new SshConfigError(at.file, at.line, param, `nested more than ${MAX_INCLUDE_DEPTH} deep (an Include loop?)`);
  const out: LoadedFile[] = [];
  for (const arg of args) {
    const expanded = expandTilde(arg, ctx.home);
    // Relative to ~/.ssh for the user's config, as ssh_config(5) says.
    const pattern = posix.isAbsolute(expanded) ? expanded : posix.join(ctx.home, '.ssh', expanded);
    for (const path of globPaths(ctx.fs, pattern)) {
      let text: string | undefined;
      try {
        text = ctx.fs.read(path);
      } catch (err) {
        throw new SshConfigError(at.file, at.line, param, `cannot read ${path}: ${(err as Error).message}`);
      }
      // A path matching nothing is skipped silently, as OpenSSH does.
      if (text !== undefined) out.push(loadFile(ctx, path, text, depth + 1));
    }
  }
  return out;
}

function load(ctx: ConfigContext): LoadedFile {
  const path = ctx.path ?? posix.join(ctx.home, '.ssh', 'config');
  let text: string | undefined;
  try {
    text = ctx.fs.read(path);
  } catch (err) {
    throw new SshConfigError(path, 0, '(file)', `cannot read: ${(err as Error).message}`);
  }
  return loadFile(ctx, path, text ?? '', 0);
}

/** The names an operator can type: Host entries that are not patterns, in file order, each once. */
export function listHostAliases(ctx: ConfigContext): HostAlias[] {
  const seen = new Map<string, HostAlias>();
  const walk = (f: LoadedFile) => {
    for (const it of f.items) {
      if (it.kind === 'include') it.files.forEach(walk);
      if (it.kind !== 'host') continue;
      for (const p of it.patterns) {
        if (p.startsWith('!') || hasWildcard(p) || seen.has(p)) continue;
        seen.set(p, { alias: p, file: it.file, line: it.line });
      }
    }
  };
  walk(load(ctx));
  return [...seen.values()];
}

const EVALUATED = new Set(['all', 'host', 'originalhost', 'user', 'localuser']);

/** The settings OpenSSH would use for `ssh <alias>`: the first value of each option wins. */
export function resolveHost(ctx: ConfigContext, alias: string): ResolvedHost {
  const original = alias.toLowerCase();
  const options = new Map<string, string[]>();
  const notEvaluated: NotEvaluated[] = [];
  const currentHost = () => {
    const h = options.get('hostname')?.[0];
    return h === undefined ? original : expandHostName(h, original);
  };

  const matchBlock = (it: Extract<Item, { kind: 'match' }>): boolean => {
    const unknown: string[] = [];
    for (const [rawKey, value] of it.criteria) {
      const negated = rawKey.startsWith('!');
      const key = rawKey.slice(negated ? 1 : 0).toLowerCase();
      const subject =
        key === 'host' ? currentHost()
        : key === 'originalhost' ? original
        : key === 'user' ? (options.get('user')?.[0] ?? ctx.localUser)
        : key === 'localuser' ? ctx.localUser
        : undefined;
      if (key === 'all') {
        if (negated) return false;
        continue;
      }
      if (!EVALUATED.has(key) || subject === undefined) {
        unknown.push(rawKey);
        continue;
      }
      if (matchPatternList(value.split(','), subject) === negated) return false;
    }
    if (unknown.length) notEvaluated.push({ file: it.file, line: it.line, criteria: unknown });
    return unknown.length === 0;
  };

  // `never`: inside an Include under an inactive block; its Host lines cannot switch anything on.
  const walk = (f: LoadedFile, startActive: boolean, never: boolean) => {
    let active = startActive;
    for (const it of f.items) {
      if (it.kind === 'host') active = !never && matchPatternList(it.patterns, original);
      else if (it.kind === 'match') active = !never && matchBlock(it);
      else if (it.kind === 'include') for (const child of it.files) walk(child, active, never || !active);
      else if (active) {
        if (MULTI.has(it.key)) options.set(it.key, [...(options.get(it.key) ?? []), ...it.args]);
        else if (!options.has(it.key)) options.set(it.key, it.args);
      }
    }
  };
  walk(load(ctx), true, false);

  const hostName = currentHost();
  const user = options.get('user')?.[0];
  const tokensFor = (s: string) =>
    expandTilde(s, ctx.home).replace(/%([%dhru])/g, (_, t: string) =>
      t === '%' ? '%' : t === 'd' ? ctx.home : t === 'h' ? hostName : t === 'r' ? (user ?? ctx.localUser ?? '%r') : (ctx.localUser ?? '%u'),
    );
  const num = (key: string, dflt: number) => {
    const v = options.get(key)?.[0];
    return v === undefined ? dflt : Number(v);
  };
  const jump = options.get('proxyjump')?.[0];
  return {
    alias,
    hostName,
    ...(user !== undefined ? { user } : {}),
    port: num('port', 22),
    identityFiles: (options.get('identityfile') ?? []).filter((f) => f.toLowerCase() !== 'none').map(tokensFor),
    proxyJump: jump === undefined ? [] : parseProxyJump(jump),
    serverAliveInterval: num('serveraliveinterval', 0),
    serverAliveCountMax: num('serveralivecountmax', 3),
    options: Object.fromEntries(options),
    notEvaluated,
  };
}

/** HostName's tokens: %h is the name typed, %% a percent sign (validated at load). */
function expandHostName(value: string, original: string): string {
  return value.replace(/%([h%])/g, (_, t: string) => (t === 'h' ? original : '%'));
}
