import type { KubePod } from '../objects';

/**
 * The `containers` fact of a pod or a workload: every container name its pods declare, init containers
 * first (in the order they run) each marked `init `, then the others, joined by ", ". Container names are
 * DNS labels (no spaces or commas), so the page reads the list back without ambiguity
 * (renderer/src/logs/containers.ts) to offer a container picker for logs and exec.
 */
export function containersFact(pods: readonly Pick<KubePod, 'containers' | 'initContainers'>[]): string | undefined {
  const init = new Set<string>();
  const main = new Set<string>();
  for (const p of pods) {
    for (const c of p.initContainers) init.add(c.name);
    for (const c of p.containers) main.add(c.name);
  }
  const names = [...[...init].map((n) => `init ${n}`), ...[...main].filter((n) => !init.has(n))];
  return names.length ? names.join(', ') : undefined;
}
