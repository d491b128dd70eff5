import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { MetricUnit } from '../../shared/contract/channels';
import { PlaneName } from '../../shared/contract/domain';
import type { PlaneEnv } from '../planes/plane';
import { configDir } from '../planes/ssh/settings';

/**
 * `$PILOTHOUSE_CONFIG_DIR/metrics.yaml`: where Prometheus is, and the PromQL charts each resource gets.
 *
 *   prometheus: http://127.0.0.1:9090        # optional
 *   resources:
 *     "docker/*\/text-to-image/app":           # a resource id pattern: * is any run within one /-part, ** any run
 *       - title: Search latency p95
 *         query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))
 *         unit: seconds
 *
 * A query may name the resource: {{name}}, {{namespace}} (its group), {{id}}, as PromQL string contents.
 * Each chart is checked on its own: a bad one is reported with file, line and field, the others load.
 */

export const ChartDecl = z.strictObject({
  title: z.string().min(1, 'a chart needs a title').max(200),
  query: z.string().min(1, 'a chart needs a PromQL query').max(10_000),
  unit: MetricUnit,
});
export type ChartDecl = z.infer<typeof ChartDecl>;

export interface ChartRule { pattern: string; match: RegExp; charts: ChartDecl[] }
export interface MetricsConfigError { file: string; line: number; field: string; message: string }
export interface MetricsConfig {
  file: string;
  prometheus?: string;
  rules: ChartRule[];
  errors: MetricsConfigError[];
}

export function metricsFilePath(env: PlaneEnv): string { return posix.join(configDir(env), 'metrics.yaml'); }

export function formatMetricsError(e: MetricsConfigError): string {
  return `${e.file}${e.line ? ` line ${e.line}` : ''}: ${e.field}: ${e.message}`;
}

/** Reads metrics.yaml; a missing file is no charts and no error. */
export function loadMetricsConfig(env: PlaneEnv): MetricsConfig {
  const file = metricsFilePath(env);
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { file, rules: [], errors: [] };
    return { file, rules: [], errors: [{ file, line: 0, field: '(file)', message: `cannot read: ${(e as Error).message}` }] };
  }
  return parseMetricsConfig(text, file);
}

/** `*` any run within one `/`-separated part, `**` any run at all; everything else literal. */
export function patternToRegExp(pattern: string): RegExp {
  const body = pattern.split(/(\*\*|\*)/).map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** Pure: the text of metrics.yaml to its settings and errors, each error with its line and field. */
export function parseMetricsConfig(text: string, file: string): MetricsConfig {
  const out: MetricsConfig = { file, rules: [], errors: [] };
  if (text.trim() === '') return out;
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lc.linePos(node.range[0]).line : 1);
  const err = (node: Node | null | undefined, field: string, message: string) => out.errors.push({ file, line: lineOf(node), field, message });
  if (doc.errors.length) {
    // Without prettyErrors the parser gives offsets only: the line comes from the counter.
    for (const e of doc.errors) out.errors.push({ file, line: e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line, field: '(yaml)', message: e.message.split('\n')[0]! });
    return out;
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return out;
  if (!isMap(root)) { err(root, '(top)', 'expected a mapping with `prometheus:` and `resources:`'); return out; }
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    const value = pair.value as Node | null;
    if (key === 'prometheus') {
      const url = isScalar(value) ? value.value : undefined;
      if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url) || !URL.canParse(url)) err(value ?? (pair.key as Node), 'prometheus', 'expected an http:// or https:// URL');
      else out.prometheus = url.replace(/\/+$/, '');
    } else if (key === 'resources') {
      parseResources(doc, value, out, err);
    } else {
      err(pair.key as Node, key, 'unknown key (the file holds `prometheus:` and `resources:`)');
    }
  }
  return out;
}

function parseResources(doc: Document, node: Node | null, out: MetricsConfig, err: (n: Node | null | undefined, field: string, message: string) => void): void {
  if (node === null || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) { err(node, 'resources', 'expected a mapping of resource id pattern to a list of charts'); return; }
  for (const pair of node.items) {
    const keyNode = pair.key as Node;
    const pattern = isScalar(keyNode) ? String(keyNode.value) : '';
    const field = `resources.${pattern || '?'}`;
    if (!pattern.trim()) { err(keyNode, field, 'a resource id pattern is empty'); continue; }
    // Ids start with their plane: a pattern written as the page shows a resource (group/name) matches nothing, silently.
    const first = pattern.split('/')[0]!;
    if (!first.includes('*') && !PlaneName.safeParse(first).success) {
      err(keyNode, field, `matches no resource: a resource id starts with its plane (${PlaneName.options.filter((p) => p !== 'synthetic').join(', ')}), e.g. "docker/*/${pattern}" or "kube/**/${pattern}"`);
      continue;
    }
    const list = pair.value as Node | null;
    if (!isSeq(list)) { err(list ?? keyNode, field, 'expected a list of charts ({title, query, unit})'); continue; }
    const charts: ChartDecl[] = [];
    list.items.forEach((item, i) => {
      const parsed = ChartDecl.safeParse((item as Node).toJSON());
      if (parsed.success) { charts.push(parsed.data); return; }
      const issue = parsed.error.issues[0]!;
      const sub = issue.code === 'unrecognized_keys' ? issue.keys[0]! : String(issue.path[0] ?? '');
      const at = sub && isMap(item) ? ((item.items.find((p) => isScalar(p.key) && String(p.key.value) === sub)?.key as Node | undefined) ?? (item as Node)) : (item as Node);
      const message = issue.code === 'unrecognized_keys' ? `unknown field (a chart has title, query and unit)`
        : sub === 'unit' ? `expected one of ${MetricUnit.options.join(', ')}` : issue.message;
      err(at, `${field}.${i}${sub ? `.${sub}` : ''}`, message);
    });
    if (charts.length) out.rules.push({ pattern, match: patternToRegExp(pattern), charts });
  }
  void doc;
}

/** The declared charts for a resource, in file order (every matching pattern contributes). */
export function chartsFor(config: MetricsConfig, resourceId: string): ChartDecl[] {
  return config.rules.filter((r) => r.match.test(resourceId)).flatMap((r) => r.charts);
}
