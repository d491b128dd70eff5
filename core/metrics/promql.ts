/** PromQL text built from data: values go inside double-quoted strings, escaped. Pure. */

/** A value inside a PromQL double-quoted string. */
export function promString(s: string): string { return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n'); }

/** Fills {{name}}, {{namespace}}, {{id}}; an unknown placeholder is left as written (Prometheus will say). */
export function fillQuery(query: string, vars: Record<string, string>): string {
  return query.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k: string) => (Object.hasOwn(vars, k) ? promString(vars[k]) : m));
}
