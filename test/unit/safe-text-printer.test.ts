import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/contract/domain';
import { logPrinter, truncationMarker } from '../../shared/text/log-printer';

const ESC = '\x1b';
const TS = '2026-11-24T06:00:00.123456789Z';

function setup(opts: { color?: boolean; timestamps?: boolean } = {}) {
  const w = { out: '', err: '' };
  const p = logPrinter(
    { write: (s) => { w.out += s; }, color: opts.color ?? false },
    { write: (s) => { w.err += s; }, color: opts.color ?? false },
    { timestamps: opts.timestamps ?? false },
  );
  let seq = 0;
  const print = (l: Omit<LogLine, 'seq'>) => p.print({ seq: ++seq, ...l });
  return { w, print, end: p.end };
}

describe('the log printer', () => {
  it('pieces of a long line: one output line, one prefix, a newline after the last; the next line starts fresh', () => {
    const { w, print } = setup({ timestamps: true });
    print({ stream: 'stdout', ts: TS, text: 'aaa', part: { index: 0, more: true } });
    print({ stream: 'stdout', ts: TS, text: 'bbb', part: { index: 1, more: true } });
    print({ stream: 'stdout', ts: TS, text: 'ccc', part: { index: 2, more: false } });
    print({ stream: 'stdout', ts: TS, text: 'MARKER' });
    expect(w.out).toBe(`${TS} aaabbbccc\n${TS} MARKER\n`);
  });

  it('a line that arrives while a long line is open ends it first; a stray continuation is marked …', () => {
    const { w, print, end } = setup();
    print({ stream: 'stdout', text: 'head', part: { index: 0, more: true } });
    print({ stream: 'stdout', text: 'next line' });
    print({ stream: 'stdout', text: 'tail', part: { index: 1, more: true } });
    end();
    expect(w.out).toBe('head\nnext line\n… tail\n');
  });

  it('a stderr line between the pieces of a stdout line: each stream still gets whole lines', () => {
    const { w, print } = setup();
    print({ stream: 'stdout', text: 'a', part: { index: 0, more: true } });
    print({ stream: 'stderr', text: 'oops' });
    print({ stream: 'stdout', text: 'b', part: { index: 1, more: false } });
    expect(w).toEqual({ out: 'a\n… b\n', err: 'oops\n' });
  });

  it('the stream ending mid-line: end() closes it, once', () => {
    const { w, print, end } = setup();
    print({ stream: 'stdout', text: 'cut off', part: { index: 0, more: true } });
    end();
    end();
    expect(w.out).toBe('cut off\n');
  });

  it('a truncated line says how much was cut', () => {
    const { w, print } = setup();
    print({ stream: 'stdout', text: 'start of it', truncated: 1_900_000 });
    expect(w.out).toBe('start of it [… 1,900,000 characters cut]\n');
    expect(truncationMarker(1)).toBe(' [… 1 character cut]');
  });

  it('no timestamps unless asked; system lines are labelled', () => {
    const { w, print } = setup();
    print({ stream: 'stdout', ts: TS, text: 'x' });
    print({ stream: 'system', ts: TS, text: 'log stream resumed' });
    expect(w.out).toBe('x\n[pilothouse] log stream resumed\n');
  });

  it('without colour: no escape at all; hostile sequences shown as text even if the engine let them by', () => {
    const { w, print } = setup();
    print({ stream: 'stdout', text: `${ESC}[31mred${ESC}[0m ${ESC}[2J${ESC}]0;t\x07` });
    expect(w.out).toBe('red ␛[2J␛]0;t␇\n');
  });

  it('with colour: SGR passes, a coloured line is reset at its end (after all its pieces), before the marker', () => {
    const { w, print } = setup({ color: true });
    print({ stream: 'stdout', text: `${ESC}[31mred ${ESC}[2J`, part: { index: 0, more: true } });
    print({ stream: 'stdout', text: 'still red', part: { index: 1, more: false }, truncated: 5 });
    print({ stream: 'stdout', text: 'plain' });
    expect(w.out).toBe(`${ESC}[31mred ␛[2Jstill red${ESC}[0m [… 5 characters cut]\nplain\n`);
  });
});
