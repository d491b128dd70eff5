import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');

describe('the engine boundary', () => {
  it("no code outside electron/ imports 'electron' (the engine runs in plain Node too)", () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx', '*.mjs'], { cwd: REPO }).toString().split('\n').filter(Boolean);
    const offenders = files.filter((f) => !f.startsWith('electron/') && !f.startsWith('test/'))
      .filter((f) => /from\s+['"]electron['"]|require\(\s*['"]electron['"]\s*\)|import\(\s*['"]electron['"]\s*\)/.test(readFileSync(path.join(REPO, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
