import { describe, expect, it } from 'vitest';
import { resolveHost, listHostAliases, type ConfigFs } from '../../core/planes/ssh/config';
import { formatSettingsError, hostsFilePath, loadHostSettings, parseHostSettings } from '../../core/planes/ssh/settings';
import { hostsYamlAsSshConfig, sshConfigContext, sshConnectionsFor } from '../../core/planes/ssh/shared';

const FILE = '/home/op/.config/pilothouse/hosts.yaml';
const env = (vars: Record<string, string> = {}) => ({ env: vars, home: '/home/op', now: () => 0 });

const SEED = `hosts:
  kraken-workers:              # an alias from ~/.ssh/config
    mounts: [/fs/pool/pool-backup, /fs/pool/pool-output]
    units: [docker]
    docker: true
    compose:
      - project: alphakraken
        dir: ~/alphakraken
        command: [./compose.sh]
        env: {ENV: production}
        envFiles: []
        order: [dbs, infrastructure, workers]
    tunnels:
      - {name: airflow, localPort: 18080, remoteHost: 127.0.0.1, remotePort: 8080}
    slurm: false
  lab-box:
    hostName: 10.177.0.99
    user: kraken
    port: 2222
`;

describe('hosts.yaml', () => {
  it('reads every field of the documented example', () => {
    const { hosts, errors } = parseHostSettings(SEED, FILE);
    expect(errors).toEqual([]);
    expect(hosts.map((h) => h.alias)).toEqual(['kraken-workers', 'lab-box']);
    const w = hosts[0]!;
    expect(w).toMatchObject({
      mounts: ['/fs/pool/pool-backup', '/fs/pool/pool-output'], units: ['docker'], docker: true, slurm: false, line: 2, file: FILE,
      compose: [{ project: 'alphakraken', dir: '~/alphakraken', command: ['./compose.sh'], env: { ENV: 'production' }, envFiles: [], order: ['dbs', 'infrastructure', 'workers'] }],
      tunnels: [{ name: 'airflow', localPort: 18080, remoteHost: '127.0.0.1', remotePort: 8080 }],
    });
    expect(hosts[1]).toMatchObject({ alias: 'lab-box', hostName: '10.177.0.99', user: 'kraken', port: 2222, mounts: [], docker: false, line: 16 });
  });

  it('names the file, line and field of a wrong value, and keeps the other hosts', () => {
    const text = `hosts:
  good-one:
    mounts: [/data]
  bad-port:
    port: "twenty-two"
  bad-mount:
    mounts:
      - /fs/ok
      - relative/path
  also-good: {docker: true}
`;
    const { hosts, errors } = parseHostSettings(text, FILE);
    expect(hosts.map((h) => h.alias)).toEqual(['good-one', 'also-good']);
    expect(errors).toEqual([
      expect.objectContaining({ file: FILE, line: 5, field: 'hosts.bad-port.port', alias: 'bad-port' }),
      expect.objectContaining({ file: FILE, line: 9, field: 'hosts.bad-mount.mounts.1', alias: 'bad-mount' }),
    ]);
    expect(formatSettingsError(errors[1]!)).toBe(`${FILE} line 9: hosts.bad-mount.mounts.1: a mount point is an absolute path without blanks`);
  });

  it('points at an unknown key (a typo) by its own line', () => {
    const { hosts, errors } = parseHostSettings('hosts:\n  kraken-dbs:\n    mounts: [/a]\n    dokcer: true\n', FILE);
    expect(hosts).toEqual([]);
    expect(errors).toEqual([expect.objectContaining({ line: 4, field: 'hosts.kraken-dbs.dokcer', message: expect.stringContaining('dokcer') })]);
  });

  it('refuses a value that would be read as more than one ssh setting', () => {
    const { errors } = parseHostSettings('hosts:\n  x:\n    hostName: "10.0.0.1\\n  ProxyCommand touch /tmp/p"\n', FILE);
    expect(errors).toEqual([expect.objectContaining({ line: 3, field: 'hosts.x.hostName', message: 'not a host name or address' })]);
    const alias = parseHostSettings('hosts:\n  "web*":\n    docker: true\n', FILE);
    expect(alias.errors).toEqual([expect.objectContaining({ line: 2, field: 'hosts.web*', message: expect.stringContaining('no patterns') })]);
  });

  it('reports YAML that does not parse with its line, and loads nothing from it', () => {
    const { hosts, errors } = parseHostSettings('hosts:\n  a: {docker: true}\n  b: [unclosed\n  c: {}\n', FILE);
    expect(hosts).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ file: FILE, field: '(yaml)' });
    expect(errors[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('says what the top of the file should be', () => {
    expect(parseHostSettings('- a\n- b\n', FILE).errors).toEqual([expect.objectContaining({ line: 1, field: '(top)' })]);
    expect(parseHostSettings('hosts: [a, b]\n', FILE).errors).toEqual([expect.objectContaining({ line: 1, field: 'hosts' })]);
    expect(parseHostSettings('host:\n  a: {}\n', FILE).errors).toEqual([expect.objectContaining({ line: 1, field: 'host', message: expect.stringContaining('unknown key') })]);
  });

  it('takes an empty file, an empty hosts key and a host without settings', () => {
    expect(parseHostSettings('', FILE)).toEqual({ hosts: [], errors: [] });
    expect(parseHostSettings('hosts:\n', FILE)).toEqual({ hosts: [], errors: [] });
    expect(parseHostSettings('hosts:\n  kraken-dbs:\n', FILE).hosts).toMatchObject([{ alias: 'kraken-dbs', mounts: [], units: [], docker: false }]);
  });

  it('lives in PILOTHOUSE_CONFIG_DIR, else XDG_CONFIG_HOME/pilothouse, else ~/.config/pilothouse', () => {
    expect(hostsFilePath(env({ PILOTHOUSE_CONFIG_DIR: '/etc/ph' }))).toBe('/etc/ph/hosts.yaml');
    expect(hostsFilePath(env({ XDG_CONFIG_HOME: '/x' }))).toBe('/x/pilothouse/hosts.yaml');
    expect(hostsFilePath(env())).toBe(FILE);
  });

  it('treats a missing file as no hosts, and an unreadable one as an error naming it', () => {
    expect(loadHostSettings(env(), () => undefined)).toEqual({ file: FILE, hosts: [], errors: [] });
    const r = loadHostSettings(env(), () => { throw new Error('EACCES: permission denied'); });
    expect(r.errors).toEqual([{ file: FILE, line: 0, field: '(file)', message: 'cannot read: EACCES: permission denied' }]);
  });
});

describe("hosts.yaml's connection fields as ssh settings", () => {
  const memFs = (files: Record<string, string>): ConfigFs => ({ read: (p) => files[p], list: () => undefined });

  it('puts hostName/user/port in front of ~/.ssh/config and keeps the rest of it', () => {
    const { hosts } = parseHostSettings(SEED, FILE);
    const text = hostsYamlAsSshConfig(hosts, '/home/op/.ssh/config');
    expect(text).toBe('Host lab-box\n  HostName 10.177.0.99\n  User kraken\n  Port 2222\nMatch all\nInclude "/home/op/.ssh/config"\n');
  });

  it('resolves a host only hosts.yaml knows, and the ssh config hosts as before', () => {
    const sshConfig = 'Host *\n  ServerAliveInterval 10\nHost kraken-dbs\n  HostName 10.177.0.11\n  User kraken\n';
    const files = { '/home/op/.ssh/config': sshConfig, [FILE]: 'hosts:\n  lab-box: {hostName: 10.177.0.99, port: 2222}\n  kraken-dbs: {docker: true}\n' };
    const e = env({ USER: 'op' });
    const ctx2 = sshConfigContext(e, memFs(files), () => parseHostSettings(files[FILE]!, FILE).hosts);
    expect(resolveHost(ctx2, 'lab-box')).toMatchObject({ hostName: '10.177.0.99', port: 2222, serverAliveInterval: 10 });
    expect(resolveHost(ctx2, 'kraken-dbs')).toMatchObject({ hostName: '10.177.0.11', user: 'kraken', port: 22 });
    expect(listHostAliases(ctx2).map((a) => a.alias)).toEqual(['lab-box', 'kraken-dbs']);
  });

  it('gives every plane of one engine the same connections', () => {
    const e = env();
    expect(sshConnectionsFor(e)).toBe(sshConnectionsFor(e));
    expect(sshConnectionsFor(e).get('a')).toBe(sshConnectionsFor(e).get('a'));
    expect(sshConnectionsFor(env())).not.toBe(sshConnectionsFor(e));
  });
});
