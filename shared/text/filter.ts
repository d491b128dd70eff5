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

export function parseFilter(query: string): TextFilter {
  const q = query.trim();
  if (!q) return { test: () => true };
  const m = REGEX_QUERY.exec(q);
  if (m) {
    try {
      const re = new RegExp(m[1], m[2] || 'i');
      return { test: (t) => re.test(t) };
    } catch (e) {
      // Matching everything keeps the lines on screen while the operator is still typing the pattern.
      return { test: () => true, error: `invalid regular expression: ${(e as Error).message}` };
    }
  }
  const low = q.toLowerCase();
  return { test: (t) => t.toLowerCase().includes(low) };
}
