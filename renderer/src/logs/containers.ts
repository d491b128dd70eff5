/** One container of a pod or workload, as its `containers` fact names it. */
export interface ContainerChoice { name: string; init: boolean }

/**
 * The kube rules' `containers` fact read back (core/planes/kube/rules/containers.ts): "init migrate,
 * web, sidecar" → init containers marked. Absent for resources without pods (and other planes).
 */
export function parseContainers(fact: string | undefined): ContainerChoice[] {
  if (!fact) return [];
  return fact.split(', ').filter(Boolean).map((x) => (x.startsWith('init ') ? { name: x.slice(5), init: true } : { name: x, init: false }));
}

/** A picker is worth showing only when there is a choice to make. */
export const hasChoice = (cs: readonly ContainerChoice[]) => cs.length > 1;

/** The picked container, if it still exists (a new rollout may have renamed it): else "all". */
export function stillThere(picked: string | undefined, cs: readonly ContainerChoice[]): string | undefined {
  return picked !== undefined && cs.some((c) => c.name === picked) ? picked : undefined;
}

/** The containers an exec can go into: not the init containers, which have finished. */
export const execChoices = (cs: readonly ContainerChoice[]) => cs.filter((c) => !c.init);
