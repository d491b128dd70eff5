import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/contract/domain';
import { emptyModel, ingest, type LogModel } from '../../renderer/src/logModel';
import { downloadName, rowsToText } from '../../renderer/src/logs/export';
import { keptRows } from '../../renderer/src/logs/kept';
import { nextError } from '../../renderer/src/logs/navigate';
import { clickRow, isSelected, selectedRows, type Selection } from '../../renderer/src/logs/selection';
import { viewCount } from '../../renderer/src/logs/view';

let seq = 0;
const line = (text: string, extra: Partial<LogLine> = {}): LogLine => ({ seq: ++seq, stream: 'stdout', text, ...extra });
const piece = (text: string, index: number, more: boolean) => line(text, { part: { index, more } });
const model = (lines: LogLine[], query = '', cap?: number): LogModel => ingest(emptyModel(query), lines, cap).model;
const copy = (m: LogModel, sel: Selection) => rowsToText(selectedRows(sel, m.view, m.kept, viewCount(m.view, m.kept)));

describe('selecting rows by their line numbers', () => {
  it('a click selects one row, a shift-click extends from the first click either way', () => {
    let s = clickRow(undefined, 5, false);
    expect(s).toEqual({ anchor: 5, head: 5 });
    s = clickRow(s, 9, true);
    s = clickRow(s, 2, true);
    expect(s).toEqual({ anchor: 5, head: 2 });
    expect([1, 2, 5, 6].map((a) => isSelected(s, a))).toEqual([false, true, true, false]);
    expect(clickRow(s, 7, false)).toEqual({ anchor: 7, head: 7 });
  });
});

describe('text for copy', () => {
  const big = 'x'.repeat(40);
  const lines = () => [line('\x1b[32mstart\x1b[0m'), piece(big, 0, true), piece('yy', 1, true), piece('zz', 2, false), line('after'), line('cut', { truncated: 12 })];

  it('joins the pieces of a long line back into one line, without the colour codes', () => {
    const m = model(lines());
    expect(copy(m, { anchor: 0, head: 4 })).toBe(`start\n${big}yyzz\nafter\n`);
  });

  it('copies what the filter shows in the range, and marks a cut line and a line whose start is not included', () => {
    expect(copy(model(lines(), '/^(start|after)$/'), { anchor: 0, head: 5 })).toBe('start\nafter\n');
    expect(copy(model(lines()), { anchor: 2, head: 5 })).toBe('[… piece 2 of a long line; the pieces before it are not included] yyzz\nafter\ncut [… 12 more characters cut by the engine]\n');
  });

  it('leaves out selected rows that were dropped since', () => {
    const m = model([line('aaaa'), line('bbbb'), line('cccc')], '', 8);
    expect(copy(m, { anchor: 0, head: 2 })).toBe('bbbb\ncccc\n');
  });
});

describe('download', () => {
  it('is every kept line, pieces joined, timestamps when asked', () => {
    const m = model([line('one', { ts: '2026-01-02T03:04:05.000000001Z' }), piece('lo', 0, true), piece('ng', 1, false)]);
    expect(rowsToText(keptRows(m.kept))).toBe('one\nlong\n');
    expect(rowsToText(keptRows(m.kept), { timestamps: true })).toBe('2026-01-02T03:04:05.000000001Z one\nlong\n');
  });

  it('two long lines in a row stay two lines', () => {
    const m = model([piece('a', 0, true), piece('b', 1, false), piece('c', 0, true), piece('d', 1, false)]);
    expect(rowsToText(keptRows(m.kept))).toBe('ab\ncd\n');
  });

  it('is named for the resource and the time, with characters every file system takes', () => {
    expect(downloadName('docker/local/shop/web:1', new Date(2026, 0, 2, 3, 4, 5))).toBe('docker_local_shop_web_1-20260102-030405.log');
  });
});

describe('jumping between errors', () => {
  it('finds the next and previous error row among those shown, and nothing past the ends', () => {
    const m = model([line('ERROR a'), line('ok'), line('ok'), line('ERROR b'), line('ok')]);
    const n = viewCount(m.view, m.kept);
    expect(nextError(m.view, m.kept, n, -1, 1)).toBe(0);
    expect(nextError(m.view, m.kept, n, 0, 1)).toBe(3);
    expect(nextError(m.view, m.kept, n, 3, 1)).toBeUndefined();
    expect(nextError(m.view, m.kept, n, 3, -1)).toBe(0);
    const f = model([line('ERROR a'), line('ok'), line('ERROR b')], '/b$/');
    expect(nextError(f.view, f.kept, viewCount(f.view, f.kept), -1, 1)).toBe(0);
  });
});
