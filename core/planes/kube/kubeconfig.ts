import * as path from 'node:path';
import type { KubeAuthConfig } from './auth-options';
import { LineCounter, isMap, isSeq, parseDocument, type Document } from 'yaml';

/**
 * The user's kubeconfig files merged as kubectl merges them (clientcmd's rules): KUBECONFIG is a list
 * of files (':' separated; ';' on Windows), files that do not exist are skipped, and for clusters, users
 * and contexts the first file that defines a name wins; so does the first current-context. Without
 * KUBECONFIG it is ~/.kube/config. Relative paths inside a file are relative to that file.
 *
 * Unlike kubectl, one broken file or context does not fail the rest: each context is checked on its
 * own, and a problem is kept beside it, naming the file, the context and what is wrong.
 */

export interface ExecConfig {
  command: string;
  args: string[];
  env: Array<{ name: string; value: string }>;
  apiVersion: string;
  installHint?: string;
  provideClusterInfo: boolean;
}

export interface KubeContext {
  /** The context's name; its endpoint is `kube/<name>`. */
  name: string;
  id: string;
  /** The file that defines the context. */
  file: string;
  cluster: string;
  user?: string;
  server?: string;
  /** The context's default namespace (only a default: the console still lists every namespace it may). */
  namespace?: string;
  /** Ready for client-node's applyToHTTPSOptions; its user has no `exec` (ExecCredentials runs plugins). */
  config?: KubeAuthConfig;
  exec?: ExecConfig;
  /**
   * The user's token-file, read by the transport (trimmed, again every minute as client-go does): client-node
   * reads it once, with its trailing newline, which Node refuses in a header.
   */
  tokenFile?: string;
  /** Why this context cannot be used, naming the file and what failed. */
  error?: string;
  /** Changes whenever anything the connection depends on changes: a reload re-connects only those. */
  fingerprint: string;
}

/** A kubeconfig file that cannot be read or parsed at all (its contexts are unknown). */
export interface FileProblem { file: string; message: string }

export interface MergedKubeconfig {
  files: string[];
  /** "KUBECONFIG" or "~/.kube/config (default)", for the endpoint's `source`. */
  source: string;
  contexts: KubeContext[];
  problems: FileProblem[];
  currentContext?: string;
}

export interface KubeconfigDeps {
  /** The file's text; undefined when it does not exist. Throws for other errors (permissions ...). */
  readFile(p: string): string | undefined;
  exists(p: string): boolean;
  /**
   * The class that applies a context's auth: LeanKubeConfig (auth-options.ts) in the engine, client-node's
   * KubeConfig in some tests. Passed in rather than imported, so this module stays pure.
   */
  KubeConfig: new () => KubeAuthConfig;
}

export function kubeconfigPaths(env: Record<string, string | undefined>, home: string, platform = process.platform): { files: string[]; source: string } {
  const list = env.KUBECONFIG;
  if (list && list.trim()) {
    const sep = platform === 'win32' ? ';' : ':';
    const files = [...new Set(list.split(sep).map((s) => s.trim()).filter(Boolean))];
    return { files, source: 'KUBECONFIG' };
  }
  return { files: [path.join(home, '.kube', 'config')], source: '~/.kube/config (default)' };
}

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

interface Entry { name: string; body: Raw; file: string; where: string }

interface ParsedFile {
  file: string;
  clusters: Entry[];
  users: Entry[];
  contexts: Entry[];
  currentContext?: string;
  /** Entries without a name or body: reported, the rest of the file still used. */
  entryProblems: string[];
}

function lineOf(doc: Document, lc: LineCounter, keyPath: Array<string | number>): string {
  const node = doc.getIn(keyPath, true) as { range?: [number, number, number] } | undefined;
  const at = node?.range ? lc.linePos(node.range[0]) : undefined;
  return at ? `line ${at.line}` : '';
}

function parseFile(file: string, text: string): ParsedFile | FileProblem {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const at = e.linePos?.[0];
    return { file, message: `${file}${at ? `, line ${at.line} column ${at.col}` : ''}: not valid YAML (${e.message.split('\n')[0]})` };
  }
  const root = doc.toJS() as unknown;
  // An empty file is an empty config to kubectl, not an error.
  if (root === null || root === undefined) return { file, clusters: [], users: [], contexts: [], entryProblems: [] };
  if (!isObj(root)) return { file, message: `${file}: not a kubeconfig (the top level is a ${Array.isArray(root) ? 'list' : typeof root}, not a mapping)` };
  const out: ParsedFile = { file, clusters: [], users: [], contexts: [], entryProblems: [] };
  const sections = [['clusters', 'cluster', out.clusters], ['users', 'user', out.users], ['contexts', 'context', out.contexts]] as const;
  for (const [list, field, into] of sections) {
    const v = root[list];
    if (v === undefined || v === null) continue;
    const seqNode = doc.get(list, true);
    if (!isSeq(seqNode)) { out.entryProblems.push(`${file}, ${lineOf(doc, lc, [list])}: ${list} must be a list`); continue; }
    (v as unknown[]).forEach((e, i) => {
      const where = `${file}, ${lineOf(doc, lc, [list, i])}`;
      const node = doc.getIn([list, i], true);
      if (!isMap(node) || !isObj(e)) { out.entryProblems.push(`${where}: ${list}[${i}] must be a mapping with name and ${field}`); return; }
      const name = e.name;
      if (typeof name !== 'string' || !name) { out.entryProblems.push(`${where}: ${list}[${i}].name is missing`); return; }
      const body = e[field];
      // A user entry may be empty (anonymous); clusters and contexts need a body.
      if (!isObj(body) && (field !== 'user' || (body !== undefined && body !== null))) {
        out.entryProblems.push(`${where}: ${list}[${i}] (${name}): ${field} is missing or not a mapping`);
        if (field !== 'context') return;
      }
      into.push({ name, body: isObj(body) ? body : {}, file, where });
    });
  }
  if (typeof root['current-context'] === 'string' && root['current-context']) out.currentContext = root['current-context'];
  return out;
}

const PATH_FIELDS: Record<'cluster' | 'user', readonly string[]> = {
  cluster: ['certificate-authority'],
  user: ['client-certificate', 'client-key', 'token-file'],
};

/** Relative file references resolved against the file that holds them (kubectl's rule). */
function absolutize(kind: 'cluster' | 'user', e: Entry): Raw {
  const body: Raw = { ...e.body };
  const dir = path.dirname(e.file);
  for (const f of PATH_FIELDS[kind]) {
    const v = body[f];
    if (typeof v === 'string' && v && !path.isAbsolute(v)) body[f] = path.join(dir, v);
  }
  if (kind === 'user' && isObj(body.exec)) {
    const cmd = body.exec.command;
    // kubectl: a command with a path separator is relative to the kubeconfig; a bare name is found on PATH.
    if (typeof cmd === 'string' && cmd.includes('/') && !path.isAbsolute(cmd)) body.exec = { ...body.exec, command: path.join(dir, cmd) };
  }
  return body;
}

function execConfig(raw: unknown, where: string): ExecConfig | string {
  if (!isObj(raw)) return `${where}: exec must be a mapping`;
  if (typeof raw.command !== 'string' || !raw.command) return `${where}: exec.command is missing`;
  const args = Array.isArray(raw.args) ? raw.args.map(String) : [];
  const env = Array.isArray(raw.env)
    ? raw.env.filter(isObj).map((e) => ({ name: String(e.name ?? ''), value: String(e.value ?? '') })).filter((e) => e.name)
    : [];
  return {
    command: raw.command,
    args,
    env,
    apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : 'client.authentication.k8s.io/v1',
    installHint: typeof raw.installHint === 'string' ? raw.installHint : undefined,
    provideClusterInfo: raw.provideClusterInfo === true,
  };
}

/** Reads, parses and merges the files. Pure apart from `deps`; never throws. */
export function loadKubeconfig(files: string[], source: string, deps: KubeconfigDeps): MergedKubeconfig {
  const merged: MergedKubeconfig = { files, source, contexts: [], problems: [] };
  const clusters = new Map<string, Entry>(), users = new Map<string, Entry>(), contexts = new Map<string, Entry>();
  const entryProblems: string[] = [];
  for (const file of files) {
    let text: string | undefined;
    try {
      text = deps.readFile(file);
    } catch (e) {
      merged.problems.push({ file, message: `${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      continue;
    }
    if (text === undefined) continue;
    const parsed = parseFile(file, text);
    if ('message' in parsed) { merged.problems.push(parsed); continue; }
    for (const [from, into] of [[parsed.clusters, clusters], [parsed.users, users], [parsed.contexts, contexts]] as const) {
      for (const e of from) if (!into.has(e.name)) into.set(e.name, e);
    }
    merged.currentContext ??= parsed.currentContext;
    entryProblems.push(...parsed.entryProblems);
  }
  if (entryProblems.length) {
    // Nameless or malformed entries belong to no context; they are shown once per file.
    const byFile = new Map<string, string[]>();
    for (const p of entryProblems) {
      const f = files.find((x) => p.startsWith(`${x},`)) ?? '';
      byFile.set(f, [...(byFile.get(f) ?? []), p]);
    }
    for (const [file, msgs] of byFile) merged.problems.push({ file, message: msgs.join('; ') });
  }
  for (const ctx of contexts.values()) merged.contexts.push(resolveContext(ctx, clusters, users, deps));
  return merged;
}

function resolveContext(ctx: Entry, clusters: Map<string, Entry>, users: Map<string, Entry>, deps: KubeconfigDeps): KubeContext {
  const name = ctx.name;
  const clusterName = typeof ctx.body.cluster === 'string' ? ctx.body.cluster : '';
  const userName = typeof ctx.body.user === 'string' && ctx.body.user ? ctx.body.user : undefined;
  const namespace = typeof ctx.body.namespace === 'string' && ctx.body.namespace ? ctx.body.namespace : undefined;
  const base = { name, id: `kube/${name}`, file: ctx.file, cluster: clusterName, user: userName, namespace };
  const fail = (what: string, fp = ''): KubeContext => ({ ...base, error: `context "${name}" (${ctx.where}): ${what}`, fingerprint: `error:${what}:${fp}` });
  if (!clusterName) return fail('context.cluster is missing');
  const c = clusters.get(clusterName);
  if (!c) return fail(`cluster "${clusterName}" is not defined in any kubeconfig file`);
  const u = userName ? users.get(userName) : undefined;
  if (userName && !u) return fail(`user "${userName}" is not defined in any kubeconfig file`);
  const cluster = absolutize('cluster', c);
  const user = u ? absolutize('user', u) : {};
  const fingerprint = JSON.stringify([ctx.body, cluster, user]);
  const server = typeof cluster.server === 'string' ? cluster.server : undefined;
  if (!server) return fail(`cluster "${clusterName}" (${c.where}): server is missing`, fingerprint);
  try { new URL(server); } catch { return fail(`cluster "${clusterName}" (${c.where}): server "${server}" is not a URL`, fingerprint); }
  const refs: Array<[Entry, Raw, string]> = [[c, cluster, 'certificate-authority'], [u!, user, 'client-certificate'], [u!, user, 'client-key'], [u!, user, 'token-file']];
  for (const [entry, body, field] of refs) {
    const p = body[field];
    if (typeof p === 'string' && p && !deps.exists(p)) return fail(`${field} ${p} (${entry.where}) does not exist`, fingerprint);
  }
  let exec: ExecConfig | undefined;
  if (user.exec !== undefined) {
    const e = execConfig(user.exec, u!.where);
    if (typeof e === 'string') return fail(e, fingerprint);
    exec = e;
  }
  const { exec: _exec, 'token-file': tokenFile, ...userForClientNode } = user;
  void _exec;
  const kc = new deps.KubeConfig();
  try {
    // JSON is YAML: client-node maps the kubeconfig field names (certificate-authority-data, token ...) itself.
    kc.loadFromString(JSON.stringify({
      clusters: [{ name: clusterName, cluster }],
      users: userName ? [{ name: userName, user: userForClientNode }] : [],
      contexts: [{ name, context: { cluster: clusterName, user: userName ?? '', namespace } }],
      'current-context': name,
    }));
  } catch (e) {
    return fail((e as Error).message, fingerprint);
  }
  return { ...base, server, config: kc, exec, tokenFile: typeof tokenFile === 'string' && tokenFile && !user.token ? tokenFile : undefined, fingerprint };
}
