import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { shortestTails } from '../../core/engine/resource-ref';
import { SyntheticPlane } from '../../bench/synthetic-plane';

// How an operator names a resource on the CLI (`logs main-db`, `action statefulset/main-db restart`).

describe('shortestTails', () => {
  it('offers the shortest end of each id that no other id ends with, at least kind/name', () => {
    const all = [
      'kube/rig/extralit/statefulset/main-db', 'kube/rig/extralit/service/main-db', 'kube/rig/extralit/secret/main-db',
      'kube/prod/extralit/statefulset/main-db', 'docker/default/shop/web', 'docker/rig/shop/web',
    ];
    expect(shortestTails(['kube/rig/extralit/service/main-db', 'kube/rig/extralit/statefulset/main-db'], all))
      .toEqual(['service/main-db', 'rig/extralit/statefulset/main-db']);
    expect(shortestTails(['docker/default/shop/web', 'docker/rig/shop/web'], all)).toEqual(['default/shop/web', 'rig/shop/web']);
    // A tail that is another id whole is not unique either; nothing shorter than the id is left here.
    expect(shortestTails(['a/b/c'], ['a/b/c', 'b/c'])).toEqual(['a/b/c']);
  });
});

describe('Engine.find', () => {
  let engine: Engine | undefined;
  afterEach(() => engine?.stop());

  it('a name two endpoints share is refused with every id and a short end of each that does resolve', async () => {
    const plane = new SyntheticPlane({ count: 4, endpoints: 2, groupSize: 10, badFraction: 0 });
    engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-find-')), env: {}, planes: [plane] });
    await engine.start();
    // The same group and name on the second endpoint (svc-00000 was made on sim-0).
    (plane as unknown as { sink: { upsert(o: unknown): void } }).sink.upsert({ plane: 'synthetic', endpoint: 'synthetic/sim-1', kind: 'item', ns: 'group-000', name: 'svc-00000', data: { status: 'ok', rev: 0, stamp: 0 } });
    const a = 'synthetic/sim-0/group-000/svc-00000', b = 'synthetic/sim-1/group-000/svc-00000';
    // group/name is read before an id's end, so `group-000/svc-00000` is ambiguous too and not offered.
    for (const ref of ['svc-00000', 'group-000/svc-00000']) {
      expect(() => engine!.find(ref)).toThrow(`'${ref}' names 2 resources: ${a}, ${b}; say which by id, or by its end: sim-0/group-000/svc-00000, sim-1/group-000/svc-00000`);
    }
    expect(engine.find('sim-1/group-000/svc-00000').id).toBe(b);
    expect(engine.find('svc-00001').id).toBe('synthetic/sim-1/group-000/svc-00001');
    expect(() => engine!.find('svc-9')).toThrow(/^no resource named 'svc-9'/);
  });
});
