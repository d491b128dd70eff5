/** PromQL text built from data: values go inside quoted strings, escaped for the quote they are in. Pure. */

/** A value inside a PromQL double-quoted string. */
export function promString(s: string): string { return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n'); }

/** A value inside a PromQL single-quoted string (`\"` is no escape there, `\'` is). */
function promSingle(s: string): string { return s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n'); }

/** A placeholder that cannot be filled safely where it stands; the message says where and how to write it. */
export class PlaceholderError extends Error {}

const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/y;

/**
 * Fills {{name}}, {{namespace}}, {{id}}; an unknown placeholder is left as written (Prometheus will say).
 * A value is data, never PromQL: the query is scanned for its strings, and each placeholder is escaped
 * for the quote around it. A known placeholder outside a string, or a value with a backtick inside a raw
 * `…` string (which has no escapes), is refused: names such as Airflow pools may hold any character, and
 * `up{pool={{name}}}` would let one rewrite the query.
 */
export function fillQuery(query: string, vars: Record<string, string>): string {
  let out = '';
  let quote: '"' | "'" | '`' | undefined;
  for (let i = 0; i < query.length;) {
    const ch = query[i]!;
    if (ch === '{' && query[i + 1] === '{') {
      PLACEHOLDER.lastIndex = i;
      const m = PLACEHOLDER.exec(query);
      if (m && Object.hasOwn(vars, m[1]!)) {
        const k = m[1]!, v = vars[k]!;
        if (quote === '"') out += promString(v);
        else if (quote === "'") out += promSingle(v);
        else if (quote === '`') {
          if (v.includes('`')) throw new PlaceholderError(`{{${k}}} is inside a raw \`…\` string, which cannot hold this ${k} (it has a backtick): write "{{${k}}}"`);
          out += v;
        } else {
          throw new PlaceholderError(`{{${k}}} is outside a quoted string: write it as a label value, "{{${k}}}" (e.g. {pod="{{${k}}}"})`);
        }
        i += m[0].length;
        continue;
      }
    }
    if (quote) {
      if (ch === '\\' && quote !== '`') { out += query.slice(i, i + 2); i += 2; continue; }
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      quote = ch;
    } else if (ch === '#') {
      // A comment runs to the end of the line; nothing in it is filled.
      const nl = query.indexOf('\n', i);
      const end = nl < 0 ? query.length : nl;
      out += query.slice(i, end);
      i = end;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}
