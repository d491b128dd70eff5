import { describe, expect, it } from 'vitest';
import type { LogLine, Resource } from '../../shared/contract/domain';
import { appendLines, emptyLog, lineLevel, makeFilter } from '../../renderer/src/logModel';
import { applyPatches, displayStatus, groupResources } from '../../renderer/src/store';

const line = (seq: number, text: string): LogLine => ({ seq, stream: 'stdout', text });
const res = (id: string, group: string, runtime: Resource['runtime'], update: Resource['update'] = 'idle'): Resource =>
  ({ id, name: id.split('/').pop()!, group, plane: 'docker', runtime, update, reasons: [], facts: {}, actions: [] });

describe('page log model', () => {
  it('drops the oldest lines past the cap and reports them, so the view can keep its place', () => {
    let s = emptyLog;
    ({ state: s } = appendLines(s, [line(1, 'aaaa'), line(2, 'bbbb')], 10));
    const r = appendLines(s, [line(3, 'cccc')], 10);
    expect(r.dropped.map((l) => l.seq)).toEqual([1]);
    expect(r.state.lines.map((l) => l.seq)).toEqual([2, 3]);
    expect(r.state.droppedTotal).toBe(1);
  });

  it('marks warn and error lines, also behind ANSI colour codes', () => {
    expect(lineLevel('2026 ERROR connection refused')).toBe('error');
    expect(lineLevel('\x1b[33mWARNING\x1b[0m disk almost full')).toBe('warn');
    expect(lineLevel('INFO all fine')).toBeUndefined();
    expect(lineLevel('no errors here: terrorist')).toBeUndefined();
  });

  it('filters by text or /regex/, and says when a regex is invalid', () => {
    expect(makeFilter('timeout').test('ERROR Timeout after 30s')).toBe(true);
    expect(makeFilter('/after \\d+s$/').test('ERROR Timeout after 30s')).toBe(true);
    expect(makeFilter('/after \\d+s$/').test('after many s')).toBe(false);
    expect(makeFilter('/(/').error).toMatch(/invalid regular expression/);
  });
});

describe('stack store', () => {
  it('applies a snapshot then patches in one pass', () => {
    const s = applyPatches({ resources: new Map(), endpoints: [], loaded: false }, [
      { kind: 'snapshot', resources: [res('a/web', 'a', 'ok'), res('a/db', 'a', 'ok')], endpoints: [] },
      { kind: 'patch', upsert: [res('a/web', 'a', 'error')], remove: ['a/db'] },
    ]);
    expect([...s.resources.keys()]).toEqual(['a/web']);
    expect(s.resources.get('a/web')!.runtime).toBe('error');
    expect(s.loaded).toBe(true);
  });

  it('groups put trouble first and count statuses; a failed update wins over runtime', () => {
    const g = groupResources([res('b/x', 'b', 'ok'), res('a/y', 'a', 'ok'), res('b/z', 'b', 'ok', 'error')]);
    expect(g.map((x) => x.name)).toEqual(['b', 'a']);
    expect(g[0].counts).toMatchObject({ error: 1, ok: 1 });
    expect(displayStatus(res('c/w', 'c', 'ok', 'in_progress'))).toBe('pending');
  });
});
