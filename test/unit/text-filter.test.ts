import { describe, expect, it } from 'vitest';
import { parseFilter } from '../../shared/text/filter';
import { makeFilter } from '../../renderer/src/logModel';

const lines = ['INFO ok', 'WARN disk 91%', 'ERROR timeout after 30s', 'info again', 'see http://x//y'];
const matching = (q: string) => lines.filter(parseFilter(q).test);

describe('the shared filter parser', () => {
  it('empty (or blank) matches every line', () => {
    expect(matching('')).toEqual(lines);
    expect(matching('   ')).toEqual(lines);
  });
  it('plain text is a case-insensitive substring, trimmed', () => {
    expect(matching('info')).toEqual(['INFO ok', 'info again']);
    expect(matching(' Disk ')).toEqual(['WARN disk 91%']);
  });
  it('/re/ is a case-insensitive regular expression unless flags are given', () => {
    expect(matching('/timeout after \\d+s$/')).toEqual(['ERROR timeout after 30s']);
    expect(matching('/^info/')).toEqual(['INFO ok', 'info again']);
    expect(matching('/^info/u')).toEqual(['info again']);
  });
  it('a global flag is not a regex (its test would skip every other match): searched as text', () => {
    expect(matching('/ok/g')).toEqual([]);
  });
  it('// and a lone / are text, not an empty regex that matches everything', () => {
    expect(matching('//')).toEqual(['see http://x//y']);
    expect(matching('/')).toEqual(['see http://x//y']);
  });
  it('an invalid regex says why and hides nothing', () => {
    const f = parseFilter('/(unclosed/');
    expect(f.error).toMatch(/^invalid regular expression: /);
    expect(lines.filter(f.test)).toEqual(lines);
  });
  it('a regex keeps matching on repeated calls (no lastIndex state)', () => {
    const f = parseFilter('/ok/');
    expect([f.test('ok'), f.test('ok'), f.test('ok')]).toEqual([true, true, true]);
  });
});

describe("the page's log filter", () => {
  it('matches what the operator sees: ANSI colour codes do not split words', () => {
    expect(makeFilter('timeout').test('\x1b[31mTime\x1b[0mout after 30s')).toBe(true);
    expect(makeFilter('/^ERROR/').test('\x1b[1mERROR\x1b[0m boom')).toBe(true);
  });
  it('passes the parser error through', () => {
    expect(makeFilter('/[/').error).toMatch(/invalid regular expression/);
  });
});
