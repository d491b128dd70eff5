/**
 * OpenSSH's patterns (ssh_config(5) PATTERNS), shared by ssh_config Host/Match and known_hosts: `*` is
 * any run of characters, `?` exactly one, everything else literal. Written here rather than taken from
 * ssh-config's `glob` because that one turns `?` into "zero or one" (so `web?` also matches `web`), and a
 * Host or known_hosts pattern that matches more than OpenSSH would is a trust decision made wrongly.
 */
export function matchPattern(pattern: string, text: string): boolean {
  // Iterative wildcard match with one backtrack point: linear enough, no regex built from user text.
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * A pattern list as OpenSSH reads it: matched when some positive pattern matches and no negated one
 * (`!pattern`) does; a negated match wins whatever else matches. Case-insensitive, as OpenSSH lowercases
 * both host names and patterns before comparing.
 */
export function matchPatternList(patterns: readonly string[], text: string): boolean {
  const subject = text.toLowerCase();
  let positive = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!matchPattern(pattern, subject)) continue;
    if (negated) return false;
    positive = true;
  }
  return positive;
}

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}
