import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  blobKeyType,
  fingerprint,
  hashHostName,
  knownHostsAppend,
  knownHostsLine,
  verifyHostKey,
  type KnownHostsFile,
} from '../../core/planes/ssh/known-hosts';

// Public keys made with ssh-keygen for these tests; fingerprints as `ssh-keygen -lf -E sha256` printed them.
const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIMrH4RnBzGQDFiBtrNyrXgACPCzQXdnG/s/qzB6zSlbN';
const ED_FP = 'SHA256:L5Ho1ajAJ8ZhFkAen+IxFpkEmszXB5JZ5XddXipLQqw';
const OTHER = 'AAAAC3NzaC1lZDI1NTE5AAAAIGCKMQm7buWN2L0YsBJeKMEHcZXDvxWw+UYXyyFFZ/Na';
const OTHER_FP = 'SHA256:AAKBKvAXC9uFgYraER5uHGcc+a/HcGCp3BLRa9HFbuU';
const EC =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMhkgOPmZuarYJfGnT807860w7EAbUOGRz1PYefhXOOt/VUVaSMTpqnYB2WiSIX/RlHTJztGofX4YFgMtYIG+Ag=';
const EC_FP = 'SHA256:HC7AtKpZTYrASIequ8SHmrufoiOD3jQ+9rlcB2TI/eY';
const RSA =
  'AAAAB3NzaC1yc2EAAAADAQABAAAAgQCnr2rsnkAQ4jiMIRSNbXx1K5APQz5Fj9El/7xAPbOiHl3a13UeRomMVcMMO4rjnjX+vfiHvcYOiY6VW42epSfPnJ/a3IaUosLezsD7K1A1j/7+6oIhcCSwIHrGezMEqbLcLNr2WLn5atCupnTlgqBM5mldv5PeWPwTsRi/FFQbLQ==';
const RSA_FP = 'SHA256:hmcV+qbwDWH7oKp56P2po8CGM6/aXNeRUIciJzDQ4Fo';
// `ssh-keygen -H` of "web.example.com ssh-ed25519 ED" and "[jump.example.com]:2222 ecdsa-sha2-nistp256 EC".
const HASHED_WEB = `|1|HvoVL95Rl7E7JmFEVebROH+lWIU=|OJUqy5h3/oWoA8JxANMHaPyRhpg= ssh-ed25519 ${ED}`;
const HASHED_JUMP = `|1|7pYuBbU5weSG36Pz+xiEhS38pVM=|P5Sop+ZqPs6BL+2eKPiM3IOInNY= ecdsa-sha2-nistp256 ${EC}`;

const b = (base64: string) => Buffer.from(base64, 'base64');
const file = (text: string, path = '/home/op/.ssh/known_hosts'): KnownHostsFile => ({ path, text });
const check = (host: string, key: string, text: string, port?: number) =>
  verifyHostKey({ host, port, key: b(key) }, [file(text)]);

describe('fingerprint', () => {
  it('prints SHA256 like OpenSSH, without base64 padding', () => {
    expect(fingerprint(b(ED))).toBe(ED_FP);
    expect(fingerprint(b(EC))).toBe(EC_FP);
    expect(fingerprint(b(RSA))).toBe(RSA_FP);
  });
  it('reads the key type from the blob', () => {
    expect([ED, EC, RSA].map((k) => blobKeyType(b(k)))).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa']);
    expect(() => verifyHostKey({ host: 'x', key: Buffer.from('nonsense') }, [])).toThrow(/not an SSH public key/);
  });
});

describe('verifyHostKey', () => {
  it('trusts the key on record and says where it is recorded', () => {
    const v = check('web.example.com', ED, `# comment\n\nweb.example.com ssh-ed25519 ${ED}\n`);
    expect(v).toEqual({
      status: 'trusted',
      fingerprint: ED_FP,
      keyType: 'ssh-ed25519',
      known: { fingerprint: ED_FP, file: '/home/op/.ssh/known_hosts', line: 3, keyType: 'ssh-ed25519' },
    });
  });

  it('an unknown host is unknown, with its fingerprint to show', () => {
    const v = check('new.example.com', ED, `web.example.com ssh-ed25519 ${ED}\n`);
    expect(v).toEqual({ status: 'unknown', fingerprint: ED_FP, keyType: 'ssh-ed25519' });
  });

  it('another key of the same type is changed, and names both fingerprints', () => {
    const v = check('web.example.com', OTHER, `web.example.com ssh-ed25519 ${ED}\n`);
    expect(v.status).toBe('changed');
    expect(v.fingerprint).toBe(OTHER_FP);
    expect(v.known).toMatchObject({ fingerprint: ED_FP, line: 1 });
  });

  it('several key types per host: each is checked against its own type only', () => {
    const text = `web ssh-rsa ${RSA}\nweb ecdsa-sha2-nistp256 ${EC}\nweb ssh-ed25519 ${ED}\n`;
    expect(check('web', ED, text).known?.line).toBe(3);
    expect(check('web', EC, text).known?.line).toBe(2);
    expect(check('web', RSA, text).status).toBe('trusted');
    expect(check('web', OTHER, text).status).toBe('changed');
    // A type never seen for this host is not a change (OpenSSH asks), but the prompt can say what is known.
    const fresh = check('web', ED, `web ssh-rsa ${RSA}\nweb ecdsa-sha2-nistp256 ${EC}\n`);
    expect(fresh).toMatchObject({ status: 'unknown', otherKeyTypes: ['ssh-rsa', 'ecdsa-sha2-nistp256'] });
  });

  it('comma-separated host lists, wildcards and case', () => {
    const text = `alpha,beta.example.com,10.0.0.7 ssh-ed25519 ${ED}\n*.lab ssh-ed25519 ${ED}\nnode? ssh-ed25519 ${ED}\n`;
    for (const host of ['alpha', 'BETA.example.com', '10.0.0.7', 'x.lab', 'a.b.lab', 'node1']) {
      expect(check(host, ED, text).status, host).toBe('trusted');
    }
    // `?` is exactly one character, `*` does not make "lab" match "*.lab".
    for (const host of ['node', 'node12', 'lab', 'alpha.example.com', 'beta']) {
      expect(check(host, ED, text).status, host).toBe('unknown');
    }
  });

  it('a negated pattern excludes a host even when a wildcard on the line includes it', () => {
    const text = `*.example.com,!bastion.example.com ssh-ed25519 ${ED}\n`;
    expect(check('web.example.com', ED, text).status).toBe('trusted');
    expect(check('bastion.example.com', ED, text).status).toBe('unknown');
    expect(check('bastion.example.com', OTHER, text).status).toBe('unknown');
  });

  it('a port other than 22 is looked up only as [host]:port', () => {
    const text = `[web.example.com]:2222 ssh-ed25519 ${ED}\nplain.example.com ssh-ed25519 ${ED}\n[*.lab]:* ssh-ed25519 ${ED}\n`;
    expect(check('web.example.com', ED, text, 2222).status).toBe('trusted');
    expect(check('web.example.com', ED, text).status).toBe('unknown');
    expect(check('web.example.com', ED, text, 22).status).toBe('unknown');
    expect(check('plain.example.com', ED, text, 2222).status).toBe('unknown');
    expect(check('x.lab', ED, text, 8022).status).toBe('trusted');
  });

  it('hashed entries written by ssh-keygen -H match their host and port only', () => {
    const text = `${HASHED_WEB}\n${HASHED_JUMP}\n`;
    expect(check('web.example.com', ED, text)).toMatchObject({ status: 'trusted', known: { line: 1 } });
    expect(check('Web.Example.COM', ED, text).status).toBe('trusted');
    expect(check('jump.example.com', EC, text, 2222)).toMatchObject({ status: 'trusted', known: { line: 2 } });
    expect(check('jump.example.com', EC, text).status).toBe('unknown');
    expect(check('web.example.org', ED, text).status).toBe('unknown');
    expect(check('web.example.com', OTHER, text)).toMatchObject({ status: 'changed', known: { fingerprint: ED_FP } });
  });

  it('@revoked refuses the key always, even where another line trusts it', () => {
    const text = `web ssh-ed25519 ${ED}\n@revoked * ssh-ed25519 ${ED}\n`;
    expect(check('web', ED, text)).toMatchObject({ status: 'revoked', known: { line: 2 } });
    // Under an unrelated host pattern too: a revoked key is never accepted.
    expect(check('web', ED, `web ssh-ed25519 ${ED}\n@revoked other.host ssh-ed25519 ${ED}\n`).status).toBe('revoked');
    expect(check('web', OTHER, text).status).toBe('changed');
  });

  it('@cert-authority does not trust a host presenting the CA key itself, nor make it changed', () => {
    expect(check('web.lab', ED, `@cert-authority *.lab ssh-ed25519 ${ED}\n`).status).toBe('unknown');
    expect(check('web.lab', OTHER, `@cert-authority *.lab ssh-ed25519 ${ED}\n`).status).toBe('unknown');
  });

  it('reads files in order and names the file a verdict came from', () => {
    const v = verifyHostKey({ host: 'web', key: b(ED) }, [
      file(`other ssh-ed25519 ${ED}\n`, '/home/op/.ssh/known_hosts'),
      file(`web ssh-ed25519 ${ED}\n`, '/etc/ssh/ssh_known_hosts'),
    ]);
    expect(v.known).toMatchObject({ file: '/etc/ssh/ssh_known_hosts', line: 1 });
  });

  it('skips damaged lines instead of reading them as keys', () => {
    const text = [
      `web ssh-rsa ${ED}`, // type on the line disagrees with the blob
      `web ssh-ed25519 ${ED.slice(0, 20)}!!`,
      `@unknown-marker web ssh-ed25519 ${OTHER}`,
      'web ssh-ed25519',
      `web ssh-ed25519 ${ED}\r`, // CRLF file
    ].join('\n');
    expect(check('web', ED, text)).toMatchObject({ status: 'trusted', known: { line: 5 } });
    expect(check('web', OTHER, text).known?.line).toBe(5);
  });
});

describe('knownHostsLine and knownHostsAppend', () => {
  const salt = Buffer.from('HvoVL95Rl7E7JmFEVebROH+lWIU=', 'base64');

  it('writes a plain line, [host]:port off 22, and a line that verifies', () => {
    expect(knownHostsLine({ host: 'Web.Example.com', key: b(ED) })).toBe(`web.example.com ssh-ed25519 ${ED}`);
    const line = knownHostsLine({ host: 'jump', port: 2222, key: b(EC) });
    expect(line).toBe(`[jump]:2222 ecdsa-sha2-nistp256 ${EC}`);
    expect(check('jump', EC, line + '\n', 2222).status).toBe('trusted');
    expect(knownHostsLine({ host: '::1', port: 2200, key: b(ED) })).toBe(`[::1]:2200 ssh-ed25519 ${ED}`);
  });

  it('hashes like ssh-keygen -H (same salt, same line)', () => {
    expect(hashHostName('web.example.com', salt)).toBe(HASHED_WEB.split(' ')[0]);
    expect(knownHostsLine({ host: 'web.example.com', key: b(ED), hashSalt: salt })).toBe(HASHED_WEB);
  });

  it('refuses a host name that would be written as a pattern or a second field', () => {
    for (const host of ['*', 'a,b', 'a b', '!a', '|1|x', '@revoked', 'a\nb', '']) {
      expect(() => knownHostsLine({ host, key: b(ED) }), JSON.stringify(host)).toThrow(/cannot record/);
    }
    expect(() => knownHostsLine({ host: 'a', port: 70000, key: b(ED) })).toThrow(/bad port/);
  });

  it('appends after the last line, adding the newline a file without one lacks', () => {
    expect(knownHostsAppend('', 'L')).toBe('L\n');
    expect(knownHostsAppend('a x y\n', 'L')).toBe('L\n');
    expect(knownHostsAppend('a x y', 'L')).toBe('\nL\n');
    expect(() => knownHostsAppend('', 'L\nM')).toThrow(/newline/);
  });
});

const hasKeygen = spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error === undefined;

describe.skipIf(!hasKeygen)('against ssh-keygen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssh-kh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keygen = (...args: string[]) => execFileSync('ssh-keygen', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const keys = ['ed25519', 'ecdsa', 'rsa'].map((t) => {
    keygen('-q', '-t', t, ...(t === 'rsa' ? ['-b', '1024'] : []), '-N', '', '-C', '', '-f', join(dir, t));
    const [type, base64] = readFileSync(join(dir, `${t}.pub`), 'utf8').trim().split(' ') as [string, string];
    return { t, type, blob: b(base64), pub: join(dir, `${t}.pub`) };
  });

  it('fingerprints equal ssh-keygen -l', () => {
    for (const k of keys) expect(keygen('-l', '-E', 'sha256', '-f', k.pub).split(' ')[1]).toBe(fingerprint(k.blob));
  });

  it('our hashed lines are found by ssh-keygen -F, for port 22 and others', () => {
    const path = join(dir, 'ours');
    const salt = Buffer.alloc(20, 7);
    const lines = [
      knownHostsLine({ host: 'hashed.example.com', key: keys[0]!.blob, hashSalt: salt }),
      knownHostsLine({ host: 'hashed.example.com', port: 2022, key: keys[1]!.blob, hashSalt: salt }),
    ];
    writeFileSync(path, lines.join('\n') + '\n');
    expect(keygen('-F', 'hashed.example.com', '-f', path)).toContain(lines[0]);
    expect(keygen('-F', '[hashed.example.com]:2022', '-f', path)).toContain(lines[1]);
    expect(spawnSync('ssh-keygen', ['-F', 'other.example.com', '-f', path]).status).not.toBe(0);
  });

  it('entries ssh-keygen -H hashed are trusted for their host, changed for another key', () => {
    const path = join(dir, 'theirs');
    writeFileSync(path, keys.map((k) => `theirs.example.com,[theirs.example.com]:2200 ${k.type} ${k.blob.toString('base64')}`).join('\n') + '\n');
    keygen('-H', '-f', path);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('theirs.example.com');
    for (const k of keys) {
      expect(verifyHostKey({ host: 'theirs.example.com', key: k.blob }, [{ path, text }]).status).toBe('trusted');
      expect(verifyHostKey({ host: 'theirs.example.com', port: 2200, key: k.blob }, [{ path, text }]).status).toBe('trusted');
      expect(verifyHostKey({ host: 'theirs.example.com', port: 2201, key: k.blob }, [{ path, text }]).status).toBe('unknown');
    }
    const other = b(OTHER);
    expect(verifyHostKey({ host: 'theirs.example.com', key: other }, [{ path, text }]).status).toBe('changed');
  });
});
