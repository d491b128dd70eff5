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
