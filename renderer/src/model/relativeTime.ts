/** "just now", "40 s ago", "2 min ago", "3 h ago", "2 d ago": coarse on purpose, it is re-rendered every few seconds. */
export function relativeTime(at: number, now: number): string {
  const s = Math.round((now - at) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** "in 12 s" for a retry that is due; "now" once it is. */
export function untilTime(at: number, now: number): string {
  const s = Math.ceil((at - now) / 1000);
  if (s <= 0) return 'now';
  if (s < 60) return `in ${s} s`;
  return `in ${Math.ceil(s / 60)} min`;
}

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/**
 * A fact's value as the page shows it: a plain UTC timestamp (what the engine stamps, e.g. a host's
 * "looked at") becomes "40 s ago" with the timestamp kept for a hover; anything else is shown as it is.
 */
export function factDisplay(value: string, now: number): { text: string; at?: string } {
  if (!isUtcTimestamp(value)) return { text: value };
  const at = Date.parse(value);
  if (Number.isNaN(at)) return { text: value };
  return { text: at > now + 5_000 ? value : relativeTime(at, now), at: value };
}

export const isUtcTimestamp = (value: string): boolean => ISO_UTC.test(value);
