import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/contract/domain';
import { LogRow } from '../../renderer/src/logs/LogRow';
import type { Row } from '../../renderer/src/logs/kept';

const row = (line: Partial<LogLine>, extra: Partial<Row> = {}): Row => ({ line: { seq: 7, stream: 'stdout', text: 'x', ...line }, abs: 6, level: undefined, no: 3, ...extra });
const html = (r: Row, showTs = false) => renderToStaticMarkup(<LogRow row={r} index={0} start={0} selected={false} showTs={showTs} onPick={() => undefined} />);

describe('a log row', () => {
  it('a plain line: its number in the gutter (drawn by CSS, so not part of the text), no marks', () => {
    const h = html(row({ text: 'hello' }));
    expect(h).toMatch(/<span class="gutter"[^>]*><\/span>/);
    expect(h).toContain('data-no="3"');
    expect(h).not.toMatch(/piece-tag|trunc-tag|line-part/);
  });

  it('a long line\'s pieces: the first numbered, the others ↪, each saying which piece it is', () => {
    const first = html(row({ part: { index: 0, more: true } }));
    expect(first).toContain('class="line line-part"');
    expect(first).toContain('data-no="3"');
    expect(first).toContain('piece 1 of a long line</span>');
    const third = html(row({ part: { index: 2, more: true }, ts: '2026-01-01T00:00:00Z' }), true);
    expect(third).toContain('data-no="↪"');
    expect(third).toContain('piece 3 of a long line</span>');
    expect(third).not.toContain('class="ts"'); // the timestamp is the line's, shown once on its first piece
    expect(html(row({ part: { index: 4, more: false } }))).toContain('piece 5 of a long line, its last</span>');
  });

  it('a cut line says how much was cut', () => {
    expect(html(row({ truncated: 1234567 }))).toContain('<span class="trunc-tag">✂ 1,234,567 more characters cut by the engine</span>');
  });

  it('levels and streams become classes', () => {
    expect(html(row({ stream: 'stderr' }, { level: 'error' }))).toContain('class="line line-error line-stderr"');
    expect(html(row({ stream: 'system' }, { level: 'error' }))).toContain('class="line line-system"');
  });
});
