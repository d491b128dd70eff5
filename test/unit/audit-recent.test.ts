import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../shared/contract/domain';
import { AuditLog, readRecent, RECENT_READ_BYTES } from '../../core/audit/audit-log';
import { main } from '../../core/host/cli';

const rec = (i: number, resource = 'docker/env/alphakraken/webapp', outcome: AuditRecord['outcome'] = 'ok'): AuditRecord => ({
  ts: new Date(Date.UTC(2026, 11, 7, 1, 0, i)).toISOString(), actor: 'alice', action: 'docker.restart', target: `Restart webapp (${i})`, resource, outcome,
});

function logWith(lines: string[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ph-audit-')), 'audit.jsonl');
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return file;
}

describe('reading the audit log back', () => {
  it('newest first, as many as asked, only the resource asked for', async () => {
    const file = logWith([rec(1), rec(2, 'docker/env/alphakraken/redis'), rec(3), rec(4)].map((r) => JSON.stringify(r)));
    const all = await readRecent(file, { limit: 2 });
    expect(all.entries.map((e) => e.target)).toEqual(['Restart webapp (4)', 'Restart webapp (3)']);
    const one = await readRecent(file, { limit: 10, resource: 'docker/env/alphakraken/redis' });
    expect(one.entries.map((e) => e.target)).toEqual(['Restart webapp (2)']);
  });

  it('a torn last line or a line someone edited is counted, never fatal; no file yet is no history', async () => {
    const file = logWith([JSON.stringify(rec(1)), 'not json at all', '{"ts": 3}', JSON.stringify(rec(2)).slice(0, 30)]);
    expect(await readRecent(file, { limit: 10 })).toEqual({ entries: [rec(1)], unreadable: 3 });
    expect(await readRecent(path.join(tmpdir(), 'ph-no-such-dir', 'audit.jsonl'), { limit: 10 })).toEqual({ entries: [], unreadable: 0 });
  });

  it('reads only the end of a large log, leaving out the line the window cuts', async () => {
    const file = logWith([]);
    const line = JSON.stringify({ ...rec(0), detail: 'x'.repeat(1000) });
    const n = Math.ceil((RECENT_READ_BYTES * 1.5) / (line.length + 1));
    appendFileSync(file, `${line}\n`.repeat(n));
    appendFileSync(file, `${JSON.stringify(rec(9))}\n`);
    const r = await readRecent(file, { limit: 100_000 });
    expect(r.unreadable).toBe(0);
    expect(r.entries[0].target).toBe('Restart webapp (9)');
    expect(r.entries.length).toBeLessThan(n);
    expect(r.entries.length).toBeGreaterThan(RECENT_READ_BYTES / (line.length + 1) - 2);
  });

  it('what the engine appends reads back as it was written', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ph-audit-')), 'audit.jsonl');
    const log = new AuditLog(file);
    const written = { ...rec(5), steps: [{ endpoint: 'docker/env', call: 'POST /containers/3f/restart?t=10' }], durationMs: 812 };
    await log.append(written);
    expect((await readRecent(file, { limit: 1 })).entries).toEqual([written]);
  });
});

describe('pilothouse audit', () => {
  const run = async (args: string[], dataDir: string) => {
    let out = '', err = '';
    const code = await main(['audit', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; } }, { PILOTHOUSE_DATA_DIR: dataDir, HOME: '/nonexistent' });
    return { code, out, err };
  };

  it('prints the newest records, newest last, with outcome, action, target and who; a name picks one resource', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-audit-cli-'));
    writeFileSync(path.join(dir, 'audit.jsonl'), [rec(1), rec(2, 'docker/env/alphakraken/redis', 'failed'), rec(3, undefined, 'unverified')].map((r) => `${JSON.stringify(r)}\n`).join(''));
    const all = await run([], dir);
    expect(all.code).toBe(0);
    expect(all.out.trim().split('\n')).toEqual([
      '2026-12-07 01:00:01 UTC  ok         docker.restart             Restart webapp (1)  (alice)',
      '2026-12-07 01:00:02 UTC  failed     docker.restart             Restart webapp (2)  (alice)',
      '2026-12-07 01:00:03 UTC  unverified docker.restart             Restart webapp (3)  (alice)',
    ]);
    expect((await run(['alphakraken/redis'], dir)).out).toContain('Restart webapp (2)');
    expect((await run(['redis'], dir)).out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse((await run(['--json', '--limit', '1'], dir)).out)).toMatchObject({ file: path.join(dir, 'audit.jsonl'), entries: [{ target: 'Restart webapp (3)' }], unreadable: 0 });
  });

  it('a target carrying terminal escapes (a name from a cluster) is printed safe; bad input is a usage error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-audit-cli-'));
    writeFileSync(path.join(dir, 'audit.jsonl'), `${JSON.stringify({ ...rec(1), target: 'Delete pod \x1b]0;pwned\x07\x1b[2J' })}\ngarbage\n`);
    const r = await run([], dir);
    expect(r.out).not.toContain('\x1b');
    expect(r.out).toContain('Delete pod ␛]0;pwned␇␛[2J');
    expect(r.err).toContain('1 line of');
    expect((await run(['--limit', '0'], dir)).code).toBe(2);
    expect((await run(['--since'], dir)).code).toBe(2);
    expect((await run([], path.join(dir, 'empty'))).out).toBe(`no action recorded in ${path.join(dir, 'empty', 'audit.jsonl')}\n`);
  });
});
