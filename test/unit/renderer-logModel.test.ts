import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/contract/domain';
import { appendLines, emptyLog, lineLevel, makeFilter } from '../../renderer/src/logModel';

const line = (seq: number, text: string): LogLine => ({ seq, stream: 'stdout', text });

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
