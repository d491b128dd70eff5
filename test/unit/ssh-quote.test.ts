import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../core/planes/ssh/quote';

const HOSTILE = [
  '$(rm -rf /)',
  '`touch pwned`',
  'a; touch pwned',
  'a && touch pwned || touch pwned',
  'line one\nline two\n',
  "it's",
  "'",
  "''",
  '"double" \\"escaped\\"',
  '\\',
  'trailing\\',
  '*',
  '~',
  '~root/x',
  '$HOME ${HOME} $1 $@ $$',
  '-n',
  '--version',
  '-',
  '',
  ' ',
  '\t',
  '> out < in | cat &',
  '# not a comment',
  'a=b',
  '!!',
  'unicode: é ü 日本語 🚀 \u200b',
  '\x01\x1b[31mred\x7f',
  '\r\n',
  '%s %d %%',
];

/** Runs the quoted line through a real POSIX shell and reads each argument back, NUL-separated. */
function roundTrip(shell: string, args: readonly string[], cwd: string): string[] {
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${shellQuote(args)}`], { cwd });
  const parts = out.toString('utf8').split('\0');
  parts.pop(); // the last argument's terminator
  return parts;
}

describe('shellQuote', () => {
  it('quotes every argument in single quotes, embedded quotes as \'\\\'\'', () => {
    expect(shellQuote(['ls', '-l', "it's"])).toBe(`'ls' '-l' 'it'\\''s'`);
    expect(shellQuote(['echo', ''])).toBe(`'echo' ''`);
    expect(shellQuote([])).toBe('');
  });

  it('nothing a shell expands stays outside quotes', () => {
    const line = shellQuote(['$(rm -rf /)', '`id`', 'a;b', 'x\ny']);
    expect(line).toBe(`'$(rm -rf /)' '\`id\`' 'a;b' 'x\ny'`);
  });

  it('refuses a NUL byte and says which argument', () => {
    expect(() => shellQuote(['ok', 'bad\0tail'])).toThrow(/argument 2 contains a NUL byte/);
  });

  for (const shell of ['/bin/sh', '/bin/bash', '/bin/dash'].filter((s) => existsSync(s))) {
    it(`${shell} -c gets every hostile argument back byte for byte, and runs none of them`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'ssh-quote-'));
      try {
        expect(roundTrip(shell, HOSTILE, dir)).toEqual(HOSTILE);
        for (const one of HOSTILE) expect(roundTrip(shell, [one], dir)).toEqual([one]);
        // Had any argument been run, `touch pwned` would have left a file here.
        expect(readdirSync(dir)).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000); // some thirty shells started one after another: seconds on a loaded 2-core runner
  }
});
