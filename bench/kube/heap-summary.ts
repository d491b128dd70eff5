import { readFileSync } from 'node:fs';

// What a heap snapshot (v8.writeHeapSnapshot) holds, by what made it: self sizes summed per constructor
// (objects, closures) or per V8 type (strings, compiled code, arrays...). Read in the bench's process,
// after the figures, so the engine's own memory is not disturbed by the parse.

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] }; node_count: number };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup { what: string; bytes: number; count: number }

export function summarizeHeap(file: string, top = 15): { total: number; groups: HeapGroup[] } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = snap.snapshot.meta.node_fields;
  const width = f.length, T = f.indexOf('type'), N = f.indexOf('name'), S = f.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const groups = new Map<string, HeapGroup>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + T]];
    const size = snap.nodes[i + S];
    total += size;
    // Objects and closures by their constructor or function name; everything else by V8's type.
    const name = type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + N]]}` : type;
    const g = groups.get(name) ?? { what: name, bytes: 0, count: 0 };
    g.bytes += size;
    g.count++;
    groups.set(name, g);
  }
  return { total, groups: [...groups.values()].sort((a, b) => b.bytes - a.bytes).slice(0, top) };
}
