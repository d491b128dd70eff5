import type { Resource } from '../../shared/contract/domain';

// Structural equality of two derived resources, field by field: cheaper than serializing both, and it
// is what decides whether a resource is sent to anyone at all.

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

function sameList<T>(a: readonly T[] | undefined, b: readonly T[] | undefined, eq: (x: T, y: T) => boolean): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!eq(a[i], b[i])) return false;
  return true;
}

export function sameResource(a: Resource, b: Resource): boolean {
  return a.id === b.id && a.name === b.name && a.kind === b.kind && a.plane === b.plane && a.endpoint === b.endpoint
    && a.group.kind === b.group.kind && a.group.name === b.group.name
    && a.runtime === b.runtime && a.update === b.update && a.since === b.since && a.parent === b.parent
    && sameList(a.reasons, b.reasons, (x, y) => x.text === y.text && x.severity === y.severity && x.ref === y.ref)
    && sameRecord(a.facts, b.facts)
    && sameList(a.actions, b.actions, (x, y) => x.id === y.id && x.label === y.label && x.destructive === y.destructive && x.confirm === y.confirm && x.unavailable === y.unavailable
      && x.input?.min === y.input?.min && x.input?.max === y.input?.max && x.input?.default === y.input?.default && x.input?.label === y.input?.label)
    && sameList(a.children, b.children, (x, y) => x === y)
    && a.terminal === b.terminal;
}
