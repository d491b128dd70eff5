import { parse } from 'yaml';

/**
 * Which services a profile starts, read from `compose config` (the project as compose resolved it, with
 * the env files and the wrapper applied). compose 1.29's `config --services` lists every service whatever
 * `--profile` says, so the profiles are read from the services' own `profiles:` keys instead.
 */
export interface ProjectServices {
  /** Service → its profiles ([] when it has none: such a service starts with every profile). */
  services: Map<string, string[]>;
}

export function parseComposeConfig(text: string, where: string): ProjectServices {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`${where}: compose config is not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const services = (doc as { services?: unknown } | null)?.services;
  if (!services || typeof services !== 'object' || Array.isArray(services)) throw new Error(`${where}: compose config has no services`);
  const out = new Map<string, string[]>();
  for (const [name, def] of Object.entries(services as Record<string, unknown>)) {
    const p = (def as { profiles?: unknown } | null)?.profiles;
    out.set(name, Array.isArray(p) ? p.map(String) : []);
  }
  return { services: out };
}

/** The services `--profile <p>…` starts: those in one of the profiles, and those in none (compose starts them always). */
export function servicesFor(project: ProjectServices, profiles: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name, ps] of project.services) if (!ps.length || ps.some((p) => profiles.includes(p))) out.push(name);
  return out.sort();
}

/** A profile named in the order that no service has: almost certainly a typo in hosts.yaml. */
export function unknownProfiles(project: ProjectServices, profiles: readonly string[]): string[] {
  const known = new Set<string>();
  for (const ps of project.services.values()) ps.forEach((p) => known.add(p));
  return profiles.filter((p) => !known.has(p));
}
