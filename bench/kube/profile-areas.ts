import { readFileSync } from 'node:fs';

// A CPU profile's self time summed by where the code lives: a package, an engine source file, Node's
// own modules, or V8's pseudo-frames (idle, GC, program). Says which part of the process a miss is in
// before one looks at single functions.

interface Node { id: number; callFrame: { functionName: string; url: string }; }
interface Profile { nodes: Node[]; samples?: number[]; timeDeltas?: number[] }

export function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const u = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (pkg) return pkg[1];
  if (u.startsWith('node:')) return 'node: (Node\'s own modules)';
  const src = /\/((?:core|shared|bench|renderer)\/.*)$/.exec(u);
  return src ? src[1].replace(/\?.*$/, '') : u;
}

export function profileAreas(file: string, top = 12): Array<{ area: string; ms: number; share: number }> {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const samples = p.samples ?? [], deltas = p.timeDeltas ?? [];
  const out = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const n = byId.get(samples[i]);
    const us = deltas[i + 1] ?? 0;
    if (!n) continue;
    total += us;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    out.set(a, (out.get(a) ?? 0) + us);
  }
  return [...out].sort((a, b) => b[1] - a[1]).slice(0, top).map(([a, us]) => ({ area: a, ms: us / 1000, share: total ? us / total : 0 }));
}
