import { describe, expect, it, vi } from 'vitest';
import type { LogLine } from '../../shared/contract/domain';
import * as filterModule from '../../shared/text/filter';
import { emptyModel, ingest, lineLevel, makeFilter, refilter, type LogModel } from '../../renderer/src/logModel';
import { appendRows, emptyKept, keptRows, rowAt } from '../../renderer/src/logs/kept';
import { viewAbs, viewCount, viewIndexFrom } from '../../renderer/src/logs/view';

let seq = 0;
const line = (text: string, extra: Partial<LogLine> = {}): LogLine => ({ seq: ++seq, stream: 'stdout', text, ...extra });
const shown = (m: LogModel) => Array.from({ length: viewCount(m.view, m.kept) }, (_, i) => rowAt(m.kept, viewAbs(m.view, m.kept, i)).line.text);
const feed = (m: LogModel, batch: LogLine[], cap?: number) => ingest(m, batch, cap).model;

describe('kept rows', () => {
  it('drops the oldest rows past the cap and reports how many, keeping ordinals and line numbers', () => {
    let { kept } = appendRows(emptyKept, [line('aaaa'), line('bbbb')], 10);
    const r = appendRows(kept, [line('cccc')], 10);
    expect(r.dropped).toBe(1);
    kept = r.kept;
    expect([...keptRows(kept)].map((x) => [x.abs, x.no, x.line.text])).toEqual([[1, 2, 'bbbb'], [2, 3, 'cccc']]);
    expect(kept.first).toBe(1);
  });

  it('the pieces of a long line share one line number', () => {
    const { kept } = appendRows(emptyKept, [line('x'), line('p0', { part: { index: 0, more: true } }), line('p1', { part: { index: 1, more: false } }), line('y')], 1e6);
    expect([...keptRows(kept)].map((x) => x.no)).toEqual([1, 2, 2, 3]);
  });

  it('an older state stays what it was after a newer one appended to the shared buffer', () => {
    const a = appendRows(emptyKept, [line('one')], 1e6).kept;
    const b = appendRows(a, [line('two')], 1e6).kept;
    const c = appendRows(a, [line('other')], 1e6).kept;
    expect([...keptRows(a)].map((x) => x.line.text)).toEqual(['one']);
    expect([...keptRows(b)].map((x) => x.line.text)).toEqual(['one', 'two']);
    expect([...keptRows(c)].map((x) => x.line.text)).toEqual(['one', 'other']);
  });

  it('stays correct across buffer compaction while a long stream passes through', () => {
    let m = emptyModel('keep');
    for (let b = 0; b < 300; b++) m = feed(m, Array.from({ length: 100 }, (_, i) => line(`${b * 100 + i} ${i % 10 === 0 ? 'keep' : 'skip'}`)), 20_000);
    const texts = shown(m);
    expect(m.kept.first).toBeGreaterThan(20_000);
    expect(m.view.start).toBeLessThan(4097 + 1); // the index let go of dropped entries
    expect(texts.length).toBe([...keptRows(m.kept)].filter((r) => r.line.text.endsWith('keep')).length);
    expect(texts.every((t) => t.endsWith('keep'))).toBe(true);
    expect(Number(texts[0].split(' ')[0])).toBeGreaterThanOrEqual(m.kept.first);
    expect(Number(texts.at(-1)!.split(' ')[0])).toBe(29_990);
  });
});

describe('the filtered view is extended, not rebuilt', () => {
  it('tests only the new rows on each batch; all of them again only when the query changes', () => {
    const test = vi.fn((t: string) => t.includes('err'));
    const spy = vi.spyOn(filterModule, 'parseFilter').mockReturnValue({ test });
    try {
      let m = refilter(emptyModel(), 'x', 'all');
      m = feed(m, [line('ok'), line('err 1')]);
      m = feed(m, [line('err 2'), line('fine'), line('err 3')]);
      expect(test).toHaveBeenCalledTimes(5);
      expect(shown(m)).toEqual(['err 1', 'err 2', 'err 3']);
      m = refilter(m, 'y', 'all');
      expect(test).toHaveBeenCalledTimes(10);
    } finally { spy.mockRestore(); }
  });

  it('follows drops at the top and finds rows by ordinal', () => {
    let m = emptyModel('/^e/');
    m = feed(m, [line('e1'), line('x'), line('e2')], 100);
    m = feed(m, [line('x'.repeat(97)), line('e3')], 100);
    expect(shown(m)).toEqual(['e3']);
    expect(m.kept.first).toBe(3);
    expect(viewIndexFrom(m.view, m.kept, 0)).toBe(0);
    expect(viewIndexFrom(m.view, m.kept, 5)).toBe(1);
  });

  it('matches a long line as a whole: a match across two pieces shows every piece, once the last arrives', () => {
    let m = emptyModel('needle');
    m = feed(m, [line('before'), line('xxnee', { part: { index: 0, more: true } })]);
    expect(shown(m)).toEqual([]);
    m = feed(m, [line('dlexx', { part: { index: 1, more: true } }), line('tail', { part: { index: 2, more: false } }), line('needle alone')]);
    expect(shown(m)).toEqual(['xxnee', 'dlexx', 'tail', 'needle alone']);
  });

  it('a long line whose last piece never came is decided when the next line starts', () => {
    let m = emptyModel('abc');
    m = feed(m, [line('ab', { part: { index: 0, more: true } }), line('c', { part: { index: 1, more: true } })]);
    m = feed(m, [line('next abc')]);
    expect(shown(m)).toEqual(['ab', 'c', 'next abc']);
  });

  it('unfiltered, every row shows at once, pieces included', () => {
    const m = feed(emptyModel(), [line('a'), line('p', { part: { index: 0, more: true } })]);
    expect(shown(m)).toEqual(['a', 'p']);
  });
});

describe('severity filter', () => {
  const batch = () => [line('INFO up'), line('WARN slow'), line('ERROR down'), line('\x1b[31mFATAL\x1b[0m gone'), line('warning: x', { stream: 'system' })];
  it('warn lets warnings and errors through, error only errors, together with the text filter', () => {
    expect(shown(feed(emptyModel('', 'warn'), batch()))).toEqual(['WARN slow', 'ERROR down', '\x1b[31mFATAL\x1b[0m gone']);
    expect(shown(feed(emptyModel('', 'error'), batch()))).toEqual(['ERROR down', '\x1b[31mFATAL\x1b[0m gone']);
    expect(shown(feed(emptyModel('down', 'error'), batch()))).toEqual(['ERROR down']);
    expect(shown(refilter(feed(emptyModel('', 'error'), batch()), '', 'all'))).toHaveLength(5);
  });

  it('a long line is as severe as its worst piece', () => {
    const m = feed(emptyModel('', 'error'), [line('ERROR at', { part: { index: 0, more: true } }), line(' the end', { part: { index: 1, more: false } }), line('INFO')]);
    expect(shown(m)).toEqual(['ERROR at', ' the end']);
  });

  it('reads levels from words, also behind colour codes', () => {
    expect(lineLevel('2026 ERROR connection refused')).toBe('error');
    expect(lineLevel('\x1b[33mWARNING\x1b[0m disk almost full')).toBe('warn');
    expect(lineLevel('INFO all fine')).toBeUndefined();
    expect(lineLevel('no errors here: terrorist')).toBeUndefined();
  });
});

describe('text filter', () => {
  it('filters by text or /regex/ on what is shown, and says when a regex is invalid', () => {
    expect(makeFilter('timeout').test('ERROR Timeout after 30s')).toBe(true);
    expect(makeFilter('/after \\d+s$/').test('ERROR Timeout after 30s')).toBe(true);
    expect(makeFilter('/after \\d+s$/').test('after many s')).toBe(false);
    expect(makeFilter('/^ERROR/').test('\x1b[31mERROR\x1b[0m x')).toBe(true);
    expect(makeFilter('/(/').error).toMatch(/invalid regular expression/);
  });
});

describe('at the page cap', () => {
  it('a fast stream through 100,000 kept lines with a filter costs per new line, not per kept line', () => {
    // 400 batches of 500 short lines: re-filtering everything kept on each batch would be ~30M tests.
    let m = emptyModel('/ 7\\d$/', 'all');
    // Count the filter's work instead of timing it: the view keeps its query across batches.
    const query = m.view.query as { text: { test(t: string): boolean } };
    const test = query.text.test;
    let tests = 0;
    query.text = { ...query.text, test: (t: string) => { tests++; return test(t); } };
    for (let b = 0; b < 400; b++) m = feed(m, Array.from({ length: 500 }, (_, i) => line(`2026-11-24 INFO request ${b} ${i % 100}`)), 3_500_000);
    expect(m.kept.end - m.kept.first).toBeGreaterThan(100_000);
    expect(shown(m)).toEqual([...keptRows(m.kept)].map((r) => r.line.text).filter((t) => / 7\d$/.test(t)));
    expect(tests).toBe(200_000);   // each line once, however many are kept
  });
});
