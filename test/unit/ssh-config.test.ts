import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  listHostAliases,
  parseProxyJump,
  resolveHost,
  SshConfigError,
  type ConfigContext,
  type ConfigFs,
} from '../../core/planes/ssh/config';
import { diskConfigFs } from '../../core/planes/ssh/config-fs';

const HOME = '/home/op';

/** An in-memory tree: a string is a file's text, an Error a file that exists but cannot be read. */
function memFs(files: Record<string, string | Error>): ConfigFs {
  return {
    read(path) {
      const f = files[path];
      if (f instanceof Error) throw f;
      return f;
    },
    list(dir) {
      const prefix = dir.endsWith('/') ? dir : dir + '/';
      const names = new Set<string>();
      for (const p of Object.keys(files)) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
      return names.size ? [...names] : undefined;
    },
  };
}

const ctxOf = (config: string, more: Record<string, string | Error> = {}): ConfigContext => ({
  fs: memFs({ [`${HOME}/.ssh/config`]: config, ...more }),
  home: HOME,
  localUser: 'op',
});

function configError(fn: () => unknown): SshConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SshConfigError) return err;
    throw err;
  }
  throw new Error('expected an SshConfigError');
}

const BASIC = `
# the lab
Host web web.lab
  HostName 10.0.0.5
  User deploy
  Port 2222
  IdentityFile ~/.ssh/id_web
  IdentityFile "/keys/with space"
  ServerAliveInterval 15

Host *.lab !bastion.lab
  User labuser
  ProxyJump bastion.lab

Host node?
  HostName %h.cluster.example.com

Host *
  Port 22
  User fallback
  IdentityFile %d/.ssh/id_%r@%h
  ServerAliveCountMax 5
`;

describe('resolveHost', () => {
  it('applies every matching block, the first value of each option winning, IdentityFile accumulating', () => {
    const r = resolveHost(ctxOf(BASIC), 'web');
    expect(r).toMatchObject({
      alias: 'web',
      hostName: '10.0.0.5',
      user: 'deploy',
      port: 2222,
      identityFiles: [`${HOME}/.ssh/id_web`, '/keys/with space', `${HOME}/.ssh/id_deploy@10.0.0.5`],
      proxyJump: [],
      serverAliveInterval: 15,
      serverAliveCountMax: 5,
      notEvaluated: [],
    });
  });

  it('wildcards and negation in Host patterns', () => {
    const ctx = ctxOf(BASIC);
    expect(resolveHost(ctx, 'db.lab')).toMatchObject({ hostName: 'db.lab', user: 'labuser', port: 22, proxyJump: [{ host: 'bastion.lab' }] });
    expect(resolveHost(ctx, 'bastion.lab')).toMatchObject({ user: 'fallback', proxyJump: [] });
    // `web.lab` is named before `*.lab`: its own block's values win.
    expect(resolveHost(ctx, 'web.lab')).toMatchObject({ user: 'deploy', proxyJump: [{ host: 'bastion.lab' }] });
  });

  it('HostName %h is the name typed; `?` is exactly one character', () => {
    const ctx = ctxOf(BASIC);
    expect(resolveHost(ctx, 'node7').hostName).toBe('node7.cluster.example.com');
    expect(resolveHost(ctx, 'node').hostName).toBe('node');
    expect(resolveHost(ctx, 'node12').hostName).toBe('node12');
  });

  it('a host no block names still gets the Host * defaults', () => {
    expect(resolveHost(ctxOf(BASIC), 'elsewhere')).toMatchObject({ hostName: 'elsewhere', user: 'fallback', port: 22 });
    expect(resolveHost(ctxOf(''), 'x')).toMatchObject({ hostName: 'x', port: 22, identityFiles: [], serverAliveInterval: 0, serverAliveCountMax: 3 });
    expect(resolveHost(ctxOf(''), 'x').user).toBeUndefined();
  });

  it('a missing ~/.ssh/config is an empty one', () => {
    expect(resolveHost({ fs: memFs({}), home: HOME }, 'h').hostName).toBe('h');
  });
});

describe('ProxyJump', () => {
  it('parses chains of user@host:port, ssh:// URIs, IPv6 and none', () => {
    expect(parseProxyJump('op@bastion:2222,jump2,ssh://root@[fe80::1]:2200,[::1]')).toEqual([
      { user: 'op', host: 'bastion', port: 2222 },
      { host: 'jump2' },
      { user: 'root', host: 'fe80::1', port: 2200 },
      { host: '::1' },
    ]);
    expect(parseProxyJump('none')).toEqual([]);
  });

  it('the first ProxyJump wins, also when it is none', () => {
    const cfg = 'Host inner\n  ProxyJump none\nHost *\n  ProxyJump a@b:1,c\n';
    expect(resolveHost(ctxOf(cfg), 'inner').proxyJump).toEqual([]);
    expect(resolveHost(ctxOf(cfg), 'outer').proxyJump).toEqual([{ user: 'a', host: 'b', port: 1 }, { host: 'c' }]);
  });

  it('a bad hop names the file, line and field', () => {
    const e = configError(() => resolveHost(ctxOf('Host a\n  ProxyJump ok,bad:99999\n'), 'a'));
    expect([e.file, e.line, e.field]).toEqual([`${HOME}/.ssh/config`, 2, 'ProxyJump']);
  });
});

describe('Include', () => {
  const files = {
    [`${HOME}/.ssh/conf.d/20-b.conf`]: 'Host bee\n  HostName b.example\n',
    [`${HOME}/.ssh/conf.d/10-a.conf`]: 'Host ant\n  HostName a.example\n  Port 2001\n',
    [`${HOME}/.ssh/conf.d/.hidden`]: 'Host hidden\n',
    [`${HOME}/.ssh/conf.d/notes.txt`]: 'Host txt\n',
    '/etc/ssh/extra.conf': 'Host *\n  User fromextra\n',
    [`${HOME}/.ssh/cond.conf`]: 'User conditional\nHost inner\n  Port 7\n',
  };

  it('resolves relative to ~/.ssh, expands globs in name order, skips hidden names and missing files', () => {
    const cfg = 'Include conf.d/*.conf missing.conf ~/.ssh/nothing/* /etc/ssh/extra.conf\nHost ant\n  Port 9\n';
    const ctx = ctxOf(cfg, files);
    expect(listHostAliases(ctx).map((h) => [h.alias, h.file, h.line])).toEqual([
      ['ant', `${HOME}/.ssh/conf.d/10-a.conf`, 1],
      ['bee', `${HOME}/.ssh/conf.d/20-b.conf`, 1],
    ]);
    // The included block comes first, so its Port wins over the one after the Include.
    expect(resolveHost(ctx, 'ant')).toMatchObject({ hostName: 'a.example', port: 2001, user: 'fromextra' });
    expect(resolveHost(ctx, 'bee')).toMatchObject({ hostName: 'b.example', port: 22 });
  });

  it('inside a Host block it applies only to that host, and the block goes on after it', () => {
    const cfg = 'Host box\n  Include cond.conf\n  Port 5\nHost other\n  Include cond.conf\n';
    const ctx = ctxOf(cfg, files);
    expect(resolveHost(ctx, 'box')).toMatchObject({ user: 'conditional', port: 5 });
    expect(resolveHost(ctx, 'nobox').user).toBeUndefined();
    // A Host line inside a file included under an inactive block cannot switch itself on.
    expect(resolveHost(ctx, 'inner').port).toBe(22);
    expect(resolveHost(ctxOf('Include cond.conf\n', files), 'inner').port).toBe(7);
  });

  it('an unreadable include is an error naming the including file, line and field', () => {
    const e = configError(() => listHostAliases(ctxOf('\nHost a\n  Include conf.d/*\n', { [`${HOME}/.ssh/conf.d/x`]: new Error('EACCES: permission denied') })));
    expect([e.file, e.line, e.field]).toEqual([`${HOME}/.ssh/config`, 3, 'Include']);
    expect(e.message).toContain(`${HOME}/.ssh/conf.d/x`);
    expect(e.message).toContain('EACCES');
  });

  it('an include loop ends in an error, not a stack overflow', () => {
    const e = configError(() => listHostAliases(ctxOf('Include config\n')));
    expect(e.field).toBe('Include');
    expect(e.message).toMatch(/Include loop/);
  });
});

describe('Match', () => {
  it('evaluates host (the HostName so far), originalhost, user, all and negation', () => {
    const cfg = [
      'Host short',
      '  HostName long.example.com',
      'Match host long.example.com',
      '  Port 1001',
      'Match originalhost short user op',
      '  ServerAliveInterval 30',
      'Match !host *.example.com',
      '  User outsider',
      'Match all',
      '  ServerAliveCountMax 9',
      '',
    ].join('\n');
    expect(resolveHost(ctxOf(cfg), 'short')).toMatchObject({ port: 1001, serverAliveInterval: 30, serverAliveCountMax: 9, notEvaluated: [] });
    expect(resolveHost(ctxOf(cfg), 'long.example.com')).toMatchObject({ port: 1001, serverAliveInterval: 0 });
    expect(resolveHost(ctxOf(cfg), 'elsewhere')).toMatchObject({ port: 22, user: 'outsider', serverAliveCountMax: 9 });
  });

  it('`Match user` sees a User set earlier, not only the local one', () => {
    const cfg = 'Host a\n  User admin\nMatch user admin\n  Port 2\n';
    expect(resolveHost(ctxOf(cfg), 'a').port).toBe(2);
    expect(resolveHost(ctxOf(cfg), 'b').port).toBe(22);
  });

  it('criteria it cannot evaluate are named, and their block is not applied', () => {
    const cfg = 'Match host a exec "test -e /tmp/x"\n  Port 3\nMatch host zzz exec true\n  Port 4\n';
    const r = resolveHost(ctxOf(cfg), 'a');
    expect(r.port).toBe(22);
    expect(r.notEvaluated).toEqual([{ file: `${HOME}/.ssh/config`, line: 1, criteria: ['exec'] }]);
  });
});

describe('listHostAliases', () => {
  it('lists concrete names only, once each, in file order', () => {
    expect(listHostAliases(ctxOf(BASIC)).map((h) => h.alias)).toEqual(['web', 'web.lab']);
    expect(listHostAliases(ctxOf('Host b a\nHost a c *.x !d\nMatch host q\n')).map((h) => `${h.alias}:${h.line}`)).toEqual(['b:1', 'a:1', 'c:2']);
  });
});

describe('bad input', () => {
  it('a bad Port names file, line and field, counting blank, comment and CRLF lines', () => {
    const cfg = '# c\r\n\r\nHost a\r\n   \r\n\t\r\n  User x # trailing\r\n  Port 70000\r\n';
    const e = configError(() => resolveHost(ctxOf(cfg), 'a'));
    expect([e.file, e.line, e.field]).toEqual([`${HOME}/.ssh/config`, 7, 'Port']);
    expect(e.message).toBe(`${HOME}/.ssh/config line 7: Port: "70000" is not a number from 1 to 65535`);
  });

  it('is refused even in a block that does not apply, as OpenSSH does', () => {
    expect(configError(() => resolveHost(ctxOf('Host other\n  Port x\n'), 'a')).line).toBe(2);
    expect(configError(() => resolveHost(ctxOf('Host a\n  ServerAliveInterval -1\n'), 'a')).field).toBe('ServerAliveInterval');
    expect(configError(() => resolveHost(ctxOf('Host a\n  HostName %u.x\n'), 'a')).field).toBe('HostName');
  });

  it('a parse error names its line', () => {
    const e = configError(() => listHostAliases(ctxOf('Host a\n  User ok\n  IdentityFile "unterminated\n')));
    expect([e.line, e.field]).toEqual([3, 'IdentityFile']);
  });

  it('an unreadable ~/.ssh/config says so', () => {
    const e = configError(() => listHostAliases(ctxOf('', { [`${HOME}/.ssh/config`]: new Error('EACCES') })));
    expect(e.file).toBe(`${HOME}/.ssh/config`);
  });
});

const hasSsh = spawnSync('ssh', ['-V'], { stdio: 'ignore' }).error === undefined;

describe.skipIf(!hasSsh)('agrees with `ssh -G`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssh-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'd'));
  writeFileSync(join(dir, 'd', 'b.conf'), 'Host *.lab !gw.lab\n  ProxyJump jumper@gw.lab:2222,gw2\n  User labber\n');
  writeFileSync(join(dir, 'd', 'a.conf'), 'Host db.lab\n  Port 5022\n');
  const config = join(dir, 'config');
  writeFileSync(
    config,
    [
      `Include ${dir}/d/*.conf`,
      'Host web n?',
      '  HostName %h.example.com',
      '  IdentityFile ~/.ssh/one',
      'Match host web.example.com',
      '  User webuser',
      '  Port 2200',
      'Match originalhost n1',
      '  ServerAliveInterval 20',
      'Host *',
      '  IdentityFile ~/.ssh/two',
      '  ServerAliveCountMax 7',
      '  Port 2',
      '',
    ].join('\n'),
  );
  const ctx: ConfigContext = {
    fs: diskConfigFs,
    home: homedir(),
    localUser: userInfo().username,
    path: config,
  };

  it('reads the same files from disk as from memory', () => {
    const mem = memFs(Object.fromEntries(['config', 'd/a.conf', 'd/b.conf'].map((f) => [posix.join(dir, f), readFileSync(join(dir, f), 'utf8')])));
    expect(listHostAliases({ ...ctx, fs: mem })).toEqual(listHostAliases(ctx));
    expect(listHostAliases(ctx).map((h) => h.alias)).toEqual(['db.lab', 'web']);
    expect(diskConfigFs.read(join(dir, 'nope'))).toBeUndefined();
    expect(() => diskConfigFs.read(join(dir, 'd'))).toThrow();
  });

  for (const alias of ['web', 'n1', 'n12', 'db.lab', 'gw.lab', 'x.lab', 'plain']) {
    it(alias, () => {
      const g = new Map<string, string[]>();
      for (const line of execFileSync('ssh', ['-G', '-F', config, alias], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')) {
        const [k, ...rest] = line.split(' ');
        if (k) g.set(k, [...(g.get(k) ?? []), rest.join(' ')]);
      }
      const r = resolveHost(ctx, alias);
      const tilde = (p: string) => (p.startsWith(homedir() + '/') ? '~' + p.slice(homedir().length) : p);
      expect({
        hostname: r.hostName,
        user: r.user ?? ctx.localUser,
        port: String(r.port),
        proxyjump: r.proxyJump.map((j) => `${j.user ? j.user + '@' : ''}${j.host}${j.port ? ':' + j.port : ''}`).join(',') || undefined,
        serveraliveinterval: String(r.serverAliveInterval),
        serveralivecountmax: String(r.serverAliveCountMax),
        identityfile: r.identityFiles.map(tilde),
      }).toEqual({
        hostname: g.get('hostname')![0],
        user: g.get('user')![0],
        port: g.get('port')![0],
        proxyjump: g.get('proxyjump')?.[0],
        serveraliveinterval: g.get('serveraliveinterval')![0],
        serveralivecountmax: g.get('serveralivecountmax')![0],
        identityfile: g.get('identityfile') ?? [],
      });
    });
  }
});
