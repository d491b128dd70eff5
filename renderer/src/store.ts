import type { EngineEndpoint, Resource, StackPatch } from '../../shared/contract/domain';

export interface StackState { resources: Map<string, Resource>; endpoints: EngineEndpoint[]; loaded: boolean }

/** Applies a batch of patches at once: one render per batch, whatever the number of changes in it. */
export function applyPatches(s: StackState, patches: StackPatch[]): StackState {
  let resources = s.resources;
  let endpoints = s.endpoints;
  for (const p of patches) {
    if (p.kind === 'snapshot') {
      resources = new Map(p.resources.map((r) => [r.id, r]));
      endpoints = p.endpoints;
      continue;
    }
    if (resources === s.resources) resources = new Map(resources);
    for (const id of p.remove) resources.delete(id);
    for (const r of p.upsert) resources.set(r.id, r);
    if (p.endpoints) endpoints = p.endpoints;
  }
  return { resources, endpoints, loaded: true };
}

export interface Group { name: string; resources: Resource[]; counts: Record<Resource['runtime'], number> }

const SEVERITY: Record<Resource['runtime'], number> = { error: 0, warning: 1, pending: 2, unknown: 3, ok: 4 };

/** Groups for the sidebar; groups with trouble first, then by name. */
export function groupResources(resources: Iterable<Resource>): Group[] {
  const by = new Map<string, Resource[]>();
  for (const r of resources) { const g = by.get(r.group); if (g) g.push(r); else by.set(r.group, [r]); }
  const groups = [...by].map(([name, rs]) => {
    rs.sort((a, b) => a.name.localeCompare(b.name));
    const counts = { error: 0, warning: 0, pending: 0, unknown: 0, ok: 0 };
    for (const r of rs) counts[displayStatus(r)]++;
    return { name, resources: rs, counts };
  });
  return groups.sort((a, b) => worst(a) - worst(b) || a.name.localeCompare(b.name));
}

function worst(g: Group): number {
  return Math.min(...g.resources.map((r) => SEVERITY[displayStatus(r)]));
}

/** Tilt's rule: a non-healthy update status wins over the runtime status. */
export function displayStatus(r: Resource): Resource['runtime'] {
  if (r.update === 'error') return 'error';
  if (r.update === 'in_progress' || r.update === 'pending') return 'pending';
  return r.runtime;
}
