import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootMoved, factsCommand, FactsParseError, parseBootTime, parseDfLine, parseFacts } from '../../core/planes/ssh/facts';

const REQ = { mounts: ['/fs/pool/pool-backup', '/fs/pool/pool-output', '/fs/pool/pool-logs'], units: ['docker', 'nginx'] };

// What the facts script printed on the rig's kraken-workers (healthy), and after its host-reboot scenario.
const HEALTHY = [
  'now\t1796566591',
  'tz\t+0000',
  'boot\t2026-12-06 14:09:06',
  'procuptime\t567.10',
  'load\t5.28 5.85 3.13 11/1066 28171',
  'mount\t0\tyes\t/dev/vda         264212084 18368512  77132752      20% /fs/pool/pool-backup',
  'mount\t1\tyes\t/dev/vda         264212084 18368512  77132752      20% /fs/pool/pool-output',
  'mount\t2\tyes\t/dev/vda         264212084 18368512  77132752      20% /fs/pool/pool-logs',
  'unit\t0\tactive',
  'unit\t1\t',
  '',
].join('\n');

const REBOOTED = [
  'now\t1796567000',
  'tz\t+0000',
  'boot\t2026-12-06 14:22:50',
  'procuptime\t976.00',
  'load\t0.10 0.20 0.30 1/100 5',
  'mount\t0\tno',
  'mount\t1\tno',
  'mount\t2\tno',
  'unit\t0\tinactive',
  'unit\t1\t',
  '',
].join('\n');

describe('host facts', () => {
  it('reads a healthy host: boot time, load, mounts with their disk use, units', () => {
    const f = parseFacts(HEALTHY, REQ);
    expect(f.at).toBe(1796566591_000);
    expect(f.bootAt).toBe(Date.UTC(2026, 11, 6, 14, 9, 6));
    expect(f.load).toEqual([5.28, 5.85, 3.13]);
    expect(f.mounts[0]).toEqual({ path: '/fs/pool/pool-backup', mounted: true, sizeKb: 264212084, usedKb: 18368512, availKb: 77132752, usePercent: 20 });
    expect(f.units).toEqual([{ name: 'docker', state: 'active' }, { name: 'nginx', state: '' }]);
  });

  it('reads a rebooted host: every pool unmounted, docker inactive', () => {
    const f = parseFacts(REBOOTED, REQ);
    expect(f.mounts.map((m) => m.mounted)).toEqual([false, false, false]);
    expect(f.units[0]).toEqual({ name: 'docker', state: 'inactive' });
    expect(bootMoved(parseFacts(HEALTHY, REQ).bootAt, f.bootAt)).toBe(true);
  });

  it('reads the boot time in the host zone', () => {
    expect(parseBootTime('2026-12-06 15:09:06', '+0100')).toBe(Date.UTC(2026, 11, 6, 14, 9, 6));
    expect(parseBootTime('2026-12-06 09:09:06', '-0500')).toBe(Date.UTC(2026, 11, 6, 14, 9, 6));
    expect(parseBootTime('', '+0000')).toBeUndefined();
  });

  it('falls back to /proc/uptime where uptime -s is missing (busybox)', () => {
    const f = parseFacts('now\t1000\ntz\t+0000\nboot\t\nprocuptime\t400.7\n', { mounts: [], units: [] });
    expect(f.bootAt).toBe(599_000);
    expect(f.load).toBeUndefined();
  });

  it('reads df lines whose filesystem name has blanks or is long', () => {
    expect(parseDfLine('//nas/pool share 1000 250 750 25% /fs/pool/pool-backup')).toEqual({ sizeKb: 1000, usedKb: 250, availKb: 750, usePercent: 25 });
    expect(parseDfLine('garbage')).toBeUndefined();
  });

  it('refuses output that is not the script\'s (a login banner, a shell that failed)', () => {
    expect(() => parseFacts('sh: 1: Syntax error\n', REQ)).toThrow(FactsParseError);
  });

  it('a reboot is a boot time that moved on; the first look and clock wobble are not', () => {
    expect(bootMoved(undefined, 5_000_000)).toBe(false);
    expect(bootMoved(5_000_000, 5_001_000)).toBe(false);
    expect(bootMoved(5_000_000, 5_002_000)).toBe(false);
    expect(bootMoved(5_000_000, 5_000_000 + 30_000)).toBe(true);
    expect(bootMoved(5_000_000, 5_000_000 + 10 * 60_000)).toBe(true);
    expect(bootMoved(5_000_000, undefined)).toBe(false);
  });

  it('finds mounts through /proc/mounts on a host without findmnt', () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'ph-facts-bin-'));
    for (const tool of ['sh', 'date', 'uptime', 'cut', 'cat', 'awk', 'df', 'tail', 'head']) {
      const where = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { encoding: 'utf8' }).stdout.trim();
      if (where) symlinkSync(where, path.join(bin, tool));
    }
    const req = { mounts: ['/', '/no/such/mount'], units: [] };
    const [cmd, ...args] = factsCommand(req);
    const r = spawnSync(path.join(bin, cmd!), args, { encoding: 'utf8', env: { PATH: bin } });
    const f = parseFacts(r.stdout, req);
    expect(f.mounts.map((m) => m.mounted)).toEqual([true, false]);
    expect(f.mounts[0]!.usePercent).toBeGreaterThanOrEqual(0);
  });

  it('passes mounts and units as arguments: a hostile name reaches findmnt as one word, and nothing runs', () => {
    // The script against this machine's sh, with a mount path that would run a command if pasted.
    const evil = '/tmp/x$(touch /tmp/pilothouse-facts-pwned)';
    const req = { mounts: ['/', evil], units: ['no-such-unit;touch /tmp/pilothouse-facts-pwned'] };
    const [cmd, ...args] = factsCommand(req);
    const r = spawnSync(cmd!, args, { encoding: 'utf8' });
    const f = parseFacts(r.stdout, req);
    expect(f.mounts[0]).toMatchObject({ path: '/', mounted: true });
    expect(f.mounts[1]).toMatchObject({ path: evil, mounted: false });
    expect(spawnSync('test', ['-e', '/tmp/pilothouse-facts-pwned']).status).toBe(1);
  });
});
