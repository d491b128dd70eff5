import { readFileSync } from 'node:fs';
import type { Document, Node } from 'yaml';

/** The yaml module's type guards, passed in: each settings module loads yaml lazily, on first read. */
export interface YamlGuards {
  isMap: typeof import('yaml').isMap;
  isScalar: typeof import('yaml').isScalar;
  isSeq: typeof import('yaml').isSeq;
}

/** Where a node starts in the source text. */
export function nodeStart(node: Node | null | undefined): number | undefined {
  return node?.range?.[0];
}

/**
 * Where the deepest node on `path` that exists starts: the key of a mapping entry (the line the operator
 * looks for when its value is wrong), the item of a list. Shared by the planes' settings files, whose
 * errors name file, line and field.
 */
export function yamlPathOffset(doc: Document, path: readonly string[], { isMap, isScalar, isSeq }: YamlGuards): number | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) break;
      best = nodeStart(pair.key as Node) ?? best;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) break;
      best = nodeStart(item) ?? best;
      node = item;
    } else break;
  }
  return best;
}

/** A settings file's text, or undefined when there is none (any other error is the operator's to see). */
export function readSettingsText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
