import { createRequire } from 'node:module';
import { posix } from 'node:path';
import type { Node } from 'yaml';
import type { PlaneEnv } from '../plane';
import { configDir } from '../ssh/settings';
import { readSettingsText } from '../settings-yaml';

/**
 * Where Prometheus (and Alertmanager) are: `$PILOTHOUSE_CONFIG_DIR/prometheus.yaml`, plus
 * PILOTHOUSE_PROMETHEUS_URL / PILOTHOUSE_ALERTMANAGER_URL for the simple case (endpoint `prometheus/env`).
 *
 *   prometheus:
 *     main:                                    # endpoint prometheus/main
 *       url: http://prometheus.lab:9090
 *       alertmanager: http://alertmanager.lab:9093   # else the one Prometheus sends to; `false`: none
 *     lab:                                     # through an SSH host (a tunnel on it, ssh/<host>/tunnel/prometheus-lab)
 *       ssh: {host: kraken-infra, remotePort: 9090}
 *     cluster:                                 # a Service, port-forwarded through the kube plane
 *       kube: {context: prod, namespace: monitoring, service: prometheus-server, port: 9090}
 *   discover:
 *     kube: true        # Services labelled app.kubernetes.io/name=prometheus or app=prometheus, every context
 *   refreshSeconds: 15  # how often the alerts are read
 *
 * Each entry is checked on its own: a bad one is reported on its endpoint with file, line and field; the
 * others load. yaml and zod are loaded only when there is a file (the CLI's start-up budget).
 */

const lazy = createRequire(import.meta.url);
let parsers: { yaml: typeof import('yaml'); schemas: ReturnType<typeof makeSchemas> } | undefined;
function load(): NonNullable<typeof parsers> {
  parsers ??= { yaml: lazy('yaml') as typeof import('yaml'), schemas: makeSchemas(lazy('zod') as typeof import('zod')) };
  return parsers;
}

const httpUrl = (v: string) => { try { const u = new URL(v); return u.protocol === 'http:' || u.protocol === 'https:'; } catch { return false; } };

function makeSchemas({ z }: typeof import('zod')) {
  const url = z.string().refine(httpUrl, 'an http:// or https:// URL');
  const port = z.number().int('a port is a whole number').min(1).max(65535);
  const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a name is letters, digits, dot, dash and underscore');
  const ssh = z.strictObject({
    host: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an ssh alias (letters, digits, dot, dash, underscore)'),
    remotePort: port.default(9090),
    remoteHost: z.string().regex(/^[A-Za-z0-9._:-]+$/, 'not a host name or address').default('127.0.0.1'),
    /** 0: any free port. */
    localPort: z.number().int().min(0).max(65535).default(0),
  });
  const kube = z.strictObject({
    context: z.string().min(1),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'not a namespace name'),
    service: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'not a Service name'),
    port: port.default(9090),
  });
  const entry = z.strictObject({
    url: url.optional(),
    ssh: ssh.optional(),
    kube: kube.optional(),
    alertmanager: z.union([url, z.literal(false)]).optional(),
    /** Seconds per request. */
    timeoutSeconds: z.number().positive().max(300).optional(),
  }).refine((e) => [e.url, e.ssh, e.kube].filter((x) => x !== undefined).length === 1, 'give exactly one of url, ssh, kube');
  const top = z.strictObject({
    prometheus: z.unknown().optional(),
    discover: z.strictObject({ kube: z.boolean().default(true) }).optional(),
    refreshSeconds: z.number().min(5, 'at least 5 s (Prometheus evaluates rules every 15-30 s anyway)').max(600).optional(),
  });
  return { name, entry, top };
}

export type PromVia =
  | { kind: 'url'; url: string }
  | { kind: 'ssh'; host: string; remotePort: number; remoteHost: string; localPort: number }
  | { kind: 'kube'; context: string; namespace: string; service: string; port: number };

export interface PromSettings {
  name: string;
  via: PromVia;
  /** A URL, `false` for none, undefined: the one Prometheus reports (`/api/v1/alertmanagers`). */
  alertmanager?: string | false;
  timeoutMs?: number;
  /** Where it was written, for messages: `prometheus.yaml line 4`, `PILOTHOUSE_PROMETHEUS_URL`. */
  source: string;
}

export interface PromSettingsError { file: string; line: number; field: string; name?: string; message: string }

export interface PromConfig {
  file: string;
  entries: PromSettings[];
  errors: PromSettingsError[];
  discoverKube: boolean;
  refreshMs: number;
}

export const DEFAULT_REFRESH_MS = 15_000;

export const prometheusFilePath = (env: PlaneEnv): string => posix.join(configDir(env), 'prometheus.yaml');

export function formatPromError(e: PromSettingsError): string {
  return `${e.file}${e.line ? ` line ${e.line}` : ''}: ${e.field}: ${e.message}`;
}

/** prometheus.yaml and the environment; a missing file is no entries (kube discovery still on). */
export function loadPromConfig(env: PlaneEnv, read: (path: string) => string | undefined = readSettingsText): PromConfig {
  const file = prometheusFilePath(env);
  let text: string | undefined;
  let cfg: PromConfig;
  try {
    text = read(file);
    cfg = parsePromConfig(text ?? '', file);
  } catch (err) {
    cfg = { file, entries: [], errors: [{ file, line: 0, field: '(file)', message: `cannot read: ${(err as Error).message}` }], discoverKube: true, refreshMs: DEFAULT_REFRESH_MS };
  }
  const url = env.env.PILOTHOUSE_PROMETHEUS_URL?.trim();
  const am = env.env.PILOTHOUSE_ALERTMANAGER_URL?.trim();
  if (am && !url) cfg.errors.push({ file: 'PILOTHOUSE_ALERTMANAGER_URL', line: 0, field: 'PILOTHOUSE_ALERTMANAGER_URL', name: 'env', message: 'is set without PILOTHOUSE_PROMETHEUS_URL (alerts are read from a Prometheus; give both, or use prometheus.yaml)' });
  if (url) {
    if (!httpUrl(url)) cfg.errors.push({ file: 'PILOTHOUSE_PROMETHEUS_URL', line: 0, field: 'PILOTHOUSE_PROMETHEUS_URL', name: 'env', message: `${JSON.stringify(url)} is not an http:// or https:// URL` });
    else if (am && !httpUrl(am)) cfg.errors.push({ file: 'PILOTHOUSE_ALERTMANAGER_URL', line: 0, field: 'PILOTHOUSE_ALERTMANAGER_URL', name: 'env', message: `${JSON.stringify(am)} is not an http:// or https:// URL` });
    else if (!cfg.entries.some((e) => e.name === 'env')) {
      cfg.entries.unshift({ name: 'env', via: { kind: 'url', url: url.replace(/\/+$/, '') }, ...(am ? { alertmanager: am.replace(/\/+$/, '') } : {}), source: 'PILOTHOUSE_PROMETHEUS_URL' });
    }
  }
  return cfg;
}

/** Pure: prometheus.yaml's text to entries and errors, each error with its line and field. */
export function parsePromConfig(text: string, file: string): PromConfig {
  const out: PromConfig = { file, entries: [], errors: [], discoverKube: true, refreshMs: DEFAULT_REFRESH_MS };
  if (text.trim() === '') return out;
  const { yaml: { LineCounter, parseDocument, isMap, isScalar, isSeq }, schemas } = load();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const lineOf = (n: Node | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : 1);
  /** The line of the deepest node on `path` that exists. */
  const lineAt = (path: (string | number)[]): number => {
    let node: unknown = doc.contents;
    let best = 1;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        best = lineOf(pair.key as Node);
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)] as Node | undefined;
        if (!item) break;
        best = lineOf(item);
        node = item;
      } else break;
    }
    return best;
  };
  if (doc.errors.length) {
    for (const e of doc.errors) out.errors.push({ file, line: e.linePos?.[0]?.line ?? 1, field: '(yaml)', message: e.message.split('\n')[0]! });
    return out;
  }
  const root = doc.toJSON() as unknown;
  if (root === null || root === undefined) return out;
  const top = schemas.top.safeParse(root);
  if (!top.success) {
    const issue = top.error.issues[0]!;
    const path = [...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])];
    out.errors.push({ file, line: lineAt(path), field: path.join('.') || '(top)', message: issue.code === 'unrecognized_keys' ? 'unknown key (the file holds prometheus, discover, refreshSeconds)' : issue.message });
    return out;
  }
  out.discoverKube = top.data.discover?.kube ?? true;
  if (top.data.refreshSeconds !== undefined) out.refreshMs = top.data.refreshSeconds * 1000;
  const proms = top.data.prometheus;
  if (proms === undefined || proms === null) return out;
  if (typeof proms !== 'object' || Array.isArray(proms)) {
    out.errors.push({ file, line: lineAt(['prometheus']), field: 'prometheus', message: 'expected a mapping of name to its settings (url, ssh or kube)' });
    return out;
  }
  for (const [name, value] of Object.entries(proms as Record<string, unknown>)) {
    const n = schemas.name.safeParse(name);
    if (!n.success) { out.errors.push({ file, line: lineAt(['prometheus', name]), field: `prometheus.${name}`, name, message: n.error.issues[0]!.message }); continue; }
    const p = schemas.entry.safeParse(value ?? {});
    if (!p.success) {
      const issue = p.error.issues[0]!;
      const path = ['prometheus', name, ...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])];
      out.errors.push({ file, line: lineAt(path), field: path.join('.'), name, message: issue.message });
      continue;
    }
    const e = p.data;
    const via: PromVia = e.url ? { kind: 'url', url: e.url.replace(/\/+$/, '') } : e.ssh ? { kind: 'ssh', ...e.ssh } : { kind: 'kube', ...e.kube! };
    out.entries.push({
      name, via, source: `${file} line ${lineAt(['prometheus', name])}`,
      ...(e.alertmanager !== undefined ? { alertmanager: typeof e.alertmanager === 'string' ? e.alertmanager.replace(/\/+$/, '') : false } : {}),
      ...(e.timeoutSeconds !== undefined ? { timeoutMs: e.timeoutSeconds * 1000 } : {}),
    });
  }
  return out;
}

