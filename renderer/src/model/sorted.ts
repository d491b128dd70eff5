/** Something kept in a sorted array: `key` orders it, compared with `<` (no collation per comparison). */
export interface Keyed { readonly key: string }

/** First index whose key is not below `key`. */
export function lowerBound(arr: readonly Keyed[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid].key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts or replaces the entry with the same key: one binary search and one memmove, no sort. */
export function sortedUpsert<T extends Keyed>(arr: T[], item: T): void {
  const i = lowerBound(arr, item.key);
  if (i < arr.length && arr[i].key === item.key) arr[i] = item;
  else arr.splice(i, 0, item);
}

export function sortedRemove(arr: Keyed[], key: string): boolean {
  const i = lowerBound(arr, key);
  if (i >= arr.length || arr[i].key !== key) return false;
  arr.splice(i, 1);
  return true;
}

export function sortedIndexOf(arr: readonly Keyed[], key: string): number {
  const i = lowerBound(arr, key);
  return i < arr.length && arr[i].key === key ? i : -1;
}
