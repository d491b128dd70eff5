import { z } from 'zod';

// What the operator silenced: single resources (until unmuted) and everything (until a moment). Kept
// by the page in the browser and by the desktop shell in its settings file; one schema for both.

export const Mutes = z.object({
  /** Resource ids, muted until the operator unmutes them. */
  resources: z.array(z.string().min(1).max(2000)).max(10_000),
  /** Everything is muted until this moment (ms since epoch). */
  allUntil: z.number().int().nonnegative().optional(),
}).strict();
export type Mutes = z.infer<typeof Mutes>;

export const NO_MUTES: Mutes = { resources: [] };
export const HOUR_MS = 60 * 60_000;

export function isMuted(m: Mutes, resource: string, now: number): boolean {
  return allMuted(m, now) || m.resources.includes(resource);
}

export function allMuted(m: Mutes, now: number): boolean {
  return m.allUntil !== undefined && now < m.allUntil;
}

export function muteResource(m: Mutes, resource: string): Mutes {
  return m.resources.includes(resource) ? m : { ...m, resources: [...m.resources, resource] };
}

export function unmuteResource(m: Mutes, resource: string): Mutes {
  return m.resources.includes(resource) ? { ...m, resources: m.resources.filter((r) => r !== resource) } : m;
}

export function muteAllFor(m: Mutes, now: number, ms = HOUR_MS): Mutes {
  return { ...m, allUntil: now + ms };
}

export function unmuteAll(m: Mutes): Mutes {
  const { allUntil: _gone, ...rest } = m;
  return rest;
}

/** "muted for 47 min more", for the control that shows it. */
export function muteLeft(m: Mutes, now: number): string | undefined {
  if (!allMuted(m, now)) return undefined;
  const min = Math.ceil((m.allUntil! - now) / 60_000);
  if (min < 60) return `${min} min`;
  return min % 60 ? `${Math.floor(min / 60)} h ${min % 60} min` : `${min / 60} h`;
}

/**
 * Reads stored mutes, saying what is wrong and where (`where` names the file or storage key): a broken
 * store is reported, never silently replaced by nothing muted.
 */
export function parseMutes(value: unknown, where: string, at: string[] = []): { mutes: Mutes } | { error: string } {
  const r = Mutes.safeParse(value);
  if (r.success) return { mutes: r.data };
  const i = r.error.issues[0];
  const path = [...at, ...i.path.map(String)];
  const field = path.length ? path.join('.') : '(the whole value)';
  return { error: `${where}: field ${field}: ${i.message}` };
}
