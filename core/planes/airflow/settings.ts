import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { posix } from 'node:path';
import type { Node } from 'yaml';
import type { PlaneEnv } from '../plane';
import { configDir } from '../ssh/settings';
import { nodeStart, readSettingsText, yamlPathOffset } from '../settings-yaml';

/**
 * Where the Airflows are: `$PILOTHOUSE_CONFIG_DIR/airflow.yaml`, plus one instance from the environment
 * (PILOTHOUSE_AIRFLOW_URL, _USERNAME, _PASSWORD_FILE) for a dev machine or the rig. A password is never
 * written in the file: it comes from an environment variable or a file the operator names. Each instance
 * is checked on its own: one bad entry is reported with its file, line and field, the others load.
 *
 * ```yaml
 * airflows:
 *   kraken:
 *     url: http://127.0.0.1:8080        # as seen from here, or from the ssh host with `via`
 *     username: admin
 *     passwordFile: ~/.config/pilothouse/kraken-airflow.password   # or passwordEnv: KRAKEN_AIRFLOW_PASSWORD
 *     via: { ssh: kraken-infra, port: 8080 }                        # optional: through the SSH plane
 *     drainTimeoutSeconds: 900                                      # optional: how long a drain waits
 * ```
 */

const lazy = createRequire(import.meta.url);
let parsers: { yaml: typeof import('yaml'); schemas: ReturnType<typeof makeSchemas> } | undefined;
function load(): NonNullable<typeof parsers> {
  parsers ??= { yaml: lazy('yaml') as typeof import('yaml'), schemas: makeSchemas(lazy('zod') as typeof import('zod')) };
  return parsers;
}

function makeSchemas({ z }: typeof import('zod')) {
  const port = z.number().int('a port is a whole number').min(1).max(65535);
  const url = z.string().regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'an http:// or https:// URL (no query)');
  return {
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a name is letters, digits, dot, dash and underscore'),
    instance: z.strictObject({
      url: url.optional(),
      username: z.string().min(1, 'username is empty'),
      passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name').optional(),
      passwordFile: z.string().regex(/^(\/|~\/)[^\n]*$/, 'an absolute path (or one under ~/)').optional(),
      // Refused with a message of its own below: the schema must know the key to say why.
      password: z.unknown().optional(),
      via: z.strictObject({
        ssh: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an ssh host alias'),
        port,
        host: z.string().regex(/^[A-Za-z0-9._:-]+$/, 'not a host name or address').default('127.0.0.1'),
      }).optional(),
      drainTimeoutSeconds: z.number().int().min(10).max(86_400).optional(),
    }),
  };
}

export interface AirflowVia {
  /** The SSH plane's host alias whose shared connection carries the requests. */
  ssh: string;
  /** Where Airflow listens, as that host sees it. */
  host: string;
  port: number;
}

export interface AirflowSettings {
  name: string;
  /** Base URL (no trailing slash). With `via`, the URL as the ssh host sees it (its Host header, its path). */
  url: string;
  username: string;
  password: { env: string } | { file: string };
  via?: AirflowVia;
  drainTimeoutMs: number;
  /** `airflow.yaml line 3` or `PILOTHOUSE_AIRFLOW_URL`. */
  source: string;
}

export interface AirflowSettingsError {
  file: string;
  line: number;
  field: string;
  name?: string;
  message: string;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 15 * 60_000;

export function airflowFilePath(env: PlaneEnv): string {
  return posix.join(configDir(env), 'airflow.yaml');
}

export function formatAirflowSettingsError(e: AirflowSettingsError): string {
  return `${e.file}${e.line ? ` line ${e.line}` : ''}: ${e.field}: ${e.message}`;
}

/** The file's instances and the environment's, with every problem found. A missing file is no instances. */
export function loadAirflowSettings(env: PlaneEnv, read: (path: string) => string | undefined = readSettingsText): { file: string; instances: AirflowSettings[]; errors: AirflowSettingsError[] } {
  const file = airflowFilePath(env);
  const out = { file, instances: [] as AirflowSettings[], errors: [] as AirflowSettingsError[] };
  let text: string | undefined;
  try {
    text = read(file);
  } catch (err) {
    out.errors.push({ file, line: 0, field: '(file)', message: `cannot read: ${(err as Error).message}` });
  }
  if (text !== undefined) {
    const r = parseAirflowSettings(text, file);
    out.instances.push(...r.instances);
    out.errors.push(...r.errors);
  }
  const fromEnv = envInstance(env.env);
  if (fromEnv && !out.instances.some((i) => i.name === fromEnv.name)) out.instances.push(fromEnv);
  return out;
}

/**
 * The rig/dev shortcut: PILOTHOUSE_AIRFLOW_URL (+ _USERNAME, default admin; + _PASSWORD_FILE) is one
 * instance named PILOTHOUSE_AIRFLOW_NAME or `env`.
 */
export function envInstance(e: Record<string, string | undefined>): AirflowSettings | undefined {
  const url = e.PILOTHOUSE_AIRFLOW_URL?.trim();
  if (!url) return undefined;
  return {
    name: e.PILOTHOUSE_AIRFLOW_NAME?.trim() || 'env',
    url: url.replace(/\/+$/, ''),
    username: e.PILOTHOUSE_AIRFLOW_USERNAME?.trim() || 'admin',
    password: e.PILOTHOUSE_AIRFLOW_PASSWORD_FILE ? { file: e.PILOTHOUSE_AIRFLOW_PASSWORD_FILE } : { env: 'PILOTHOUSE_AIRFLOW_PASSWORD' },
    drainTimeoutMs: DEFAULT_DRAIN_TIMEOUT_MS,
    source: 'PILOTHOUSE_AIRFLOW_URL',
  };
}

/** Pure: an airflow.yaml's text to instances and errors, each error with its line and field. */
export function parseAirflowSettings(text: string, file: string): { instances: AirflowSettings[]; errors: AirflowSettingsError[] } {
  if (text.trim() === '') return { instances: [], errors: [] };
  const { yaml: { LineCounter, parseDocument, isMap, isScalar }, schemas } = load();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lc.linePos(offset).line);
  const errors: AirflowSettingsError[] = [];
  if (doc.errors.length) {
    for (const e of doc.errors) errors.push({ file, line: e.linePos?.[0]?.line ?? lineOf(e.pos[0]), field: '(yaml)', message: e.message.split('\n')[0]! });
    return { instances: [], errors };
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { instances: [], errors };
  if (!isMap(root)) return { instances: [], errors: [{ file, line: lineOf(nodeStart(root)), field: '(top)', message: 'expected a mapping with an `airflows:` key' }] };
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (key !== 'airflows') errors.push({ file, line: lineOf(nodeStart(pair.key as Node)), field: key, message: 'unknown key (the file holds `airflows:` only)' });
  }
  const listNode = root.get('airflows', true) as Node | undefined;
  if (listNode === undefined || (isScalar(listNode) && listNode.value === null)) return { instances: [], errors };
  if (!isMap(listNode)) return { instances: [], errors: [...errors, { file, line: lineOf(nodeStart(listNode)), field: 'airflows', message: 'expected a mapping of a name to its settings' }] };

  const instances: AirflowSettings[] = [];
  for (const pair of listNode.items) {
    const keyNode = pair.key as Node;
    const name = isScalar(keyNode) ? String(keyNode.value) : '';
    const line = lineOf(nodeStart(keyNode));
    const fail = (path: string[], message: string) => {
      const full = ['airflows', name, ...path];
      errors.push({ file, line: lineOf(yamlPathOffset(doc, full, load().yaml) ?? nodeStart(keyNode)), field: full.join('.'), name, message });
    };
    const n = schemas.name.safeParse(name);
    if (!n.success) { errors.push({ file, line, field: `airflows.${name || '?'}`, name, message: n.error.issues[0]!.message }); continue; }
    const valueNode = pair.value as Node | null;
    const value = valueNode && !(isScalar(valueNode) && valueNode.value === null) ? valueNode.toJSON() : {};
    const parsed = schemas.instance.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const extra = issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [];
      fail([...issue.path.map(String), ...extra], issue.message);
      continue;
    }
    const v = parsed.data;
    if (v.password !== undefined) { fail(['password'], 'a password is not kept in this file: name an environment variable (passwordEnv) or a file (passwordFile) that holds it'); continue; }
    if (v.passwordEnv && v.passwordFile) { fail(['passwordFile'], 'give passwordEnv or passwordFile, not both'); continue; }
    if (!v.passwordEnv && !v.passwordFile) { fail([], 'no password source: add passwordEnv (an environment variable) or passwordFile (a file holding it)'); continue; }
    if (!v.url && !v.via) { fail([], 'no url: add url (and via, to reach it through an ssh host)'); continue; }
    const via = v.via ? { ssh: v.via.ssh, host: v.via.host, port: v.via.port } : undefined;
    instances.push({
      name,
      url: (v.url ?? `http://${via!.host}:${via!.port}`).replace(/\/+$/, ''),
      username: v.username,
      password: v.passwordEnv ? { env: v.passwordEnv } : { file: v.passwordFile! },
      ...(via ? { via } : {}),
      drainTimeoutMs: (v.drainTimeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_MS / 1000) * 1000,
      source: `${posix.basename(file)} line ${line}`,
    });
  }
  return { instances, errors };
}

/** The password now (read at each login, so an edited file or a rotated secret is used at the next). */
export function readPassword(s: AirflowSettings, env: Record<string, string | undefined>, home: string, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): string {
  if ('env' in s.password) {
    const v = env[s.password.env];
    if (v === undefined || v === '') throw new Error(`the password variable ${s.password.env} is not set`);
    return v;
  }
  const p = s.password.file.startsWith('~/') ? posix.join(home, s.password.file.slice(2)) : s.password.file;
  try {
    return read(p).replace(/\r?\n$/, '');
  } catch (e) {
    throw new Error(`cannot read the password file ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}



