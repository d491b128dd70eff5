/**
 * The one reading of a filter box, for the engine and the page alike: `/re/flags` is a regular expression
 * (flags i, m, s, u; case-insensitive unless flags are given), anything else a case-insensitive substring,
 * empty matches everything. Flag `g` is refused on purpose: a global regex's `test` is stateful and would
 * skip every other matching line.
 */
export interface TextFilter {
  test(text: string): boolean;
  /** Set when the query looks like a regex but is not one; `test` then matches everything. */
  error?: string;
}

const REGEX_QUERY = /^\/(.+)\/([imsu]*)$/;

/**
 * How a query reads, for every matcher built on it: a regular expression with its flags (case-insensitive
 * unless flags are given), or a literal text; undefined for an empty query.
 */
export function readQuery(query: string): { regex: RegExpExecArray; flags: string } | { literal: string } | undefined {
  const q = query.trim();
  if (!q) return undefined;
  const m = REGEX_QUERY.exec(q);
  return m ? { regex: m, flags: m[2] || 'i' } : { literal: q };
}

export function parseFilter(query: string): TextFilter {
  const r = readQuery(query);
  if (!r) return { test: () => true };
  if ('regex' in r) {
    try {
      const re = new RegExp(r.regex[1], r.flags);
      return { test: (t) => re.test(t) };
    } catch (e) {
      // Matching everything keeps the lines on screen while the operator is still typing the pattern.
      return { test: () => true, error: `invalid regular expression: ${(e as Error).message}` };
    }
  }
  const low = r.literal.toLowerCase();
  return { test: (t) => t.toLowerCase().includes(low) };
}
