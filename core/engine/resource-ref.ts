/**
 * The shortest end of each id (whole `/` segments, at least two: `statefulset/main-db`) that no other id
 * in `all` ends with, so an operator told that a name is ambiguous can type something short that is not.
 * Falls back to the whole id. `all` is scanned once per candidate: only used when a lookup failed.
 */
export function shortestTails(ids: readonly string[], every: readonly string[]): string[] {
  return ids.map((id) => {
    const parts = id.split('/');
    for (let n = Math.min(2, parts.length); n < parts.length; n++) {
      const tail = parts.slice(-n).join('/');
      if (!every.some((other) => other !== id && (other === tail || other.endsWith(`/${tail}`)))) return tail;
    }
    return id;
  });
}
