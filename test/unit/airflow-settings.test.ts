import { describe, expect, it } from 'vitest';
import { envInstance, formatAirflowSettingsError, loadAirflowSettings, parseAirflowSettings, readPassword } from '../../core/planes/airflow/settings';

const F = '/cfg/airflow.yaml';

describe('airflow.yaml', () => {
  it('reads instances with a password source, via an ssh host, and a drain timeout', () => {
    const { instances, errors } = parseAirflowSettings([
      'airflows:',
      '  kraken:',
      '    url: http://127.0.0.1:8080/',
      '    username: admin',
      '    passwordFile: ~/.config/pilothouse/kraken.password',
      '  remote:',
      '    username: ops',
      '    passwordEnv: REMOTE_AIRFLOW_PASSWORD',
      '    via: {ssh: kraken-infra, port: 8080}',
      '    drainTimeoutSeconds: 60',
    ].join('\n'), F);
    expect(errors).toEqual([]);
    expect(instances).toEqual([
      { name: 'kraken', url: 'http://127.0.0.1:8080', username: 'admin', password: { file: '~/.config/pilothouse/kraken.password' }, drainTimeoutMs: 900_000, source: 'airflow.yaml line 2' },
      { name: 'remote', url: 'http://127.0.0.1:8080', username: 'ops', password: { env: 'REMOTE_AIRFLOW_PASSWORD' }, via: { ssh: 'kraken-infra', host: '127.0.0.1', port: 8080 }, drainTimeoutMs: 60_000, source: 'airflow.yaml line 6' },
    ]);
  });

  it('refuses a password written in the file, naming file, line and field; the other instances load', () => {
    const { instances, errors } = parseAirflowSettings([
      'airflows:',
      '  a:',
      '    url: http://a:8080',
      '    username: admin',
      '    password: hunter2',
      '  b:',
      '    url: http://b:8080',
      '    username: admin',
      '    passwordEnv: B_PW',
    ].join('\n'), F);
    expect(instances.map((i) => i.name)).toEqual(['b']);
    expect(errors.map(formatAirflowSettingsError)).toEqual(['/cfg/airflow.yaml line 5: airflows.a.password: a password is not kept in this file: name an environment variable (passwordEnv) or a file (passwordFile) that holds it']);
  });

  it('names the line of a wrong field, an unknown key, a missing password source and broken YAML', () => {
    const bad = parseAirflowSettings('airflows:\n  a:\n    url: ftp://x\n    username: u\n    passwordEnv: P\n  b:\n    url: http://b\n    username: u\n    passwordEnv: P\n    slots: 3\n  c:\n    url: http://c\n    username: u\n', F);
    expect(bad.errors.map(formatAirflowSettingsError)).toEqual([
      '/cfg/airflow.yaml line 3: airflows.a.url: an http:// or https:// URL (no query)',
      expect.stringMatching(/^\/cfg\/airflow\.yaml line 10: airflows\.b\.slots: /),
      '/cfg/airflow.yaml line 11: airflows.c: no password source: add passwordEnv (an environment variable) or passwordFile (a file holding it)',
    ]);
    expect(parseAirflowSettings('airflows: [\n', F).errors[0]).toMatchObject({ file: F, field: '(yaml)' });
    expect(parseAirflowSettings('pools: {}\n', F).errors[0]).toMatchObject({ line: 1, field: 'pools', message: 'unknown key (the file holds `airflows:` only)' });
  });

  it('the environment shortcut is one more instance, the file wins on a shared name', () => {
    const env = { PILOTHOUSE_AIRFLOW_URL: 'http://127.0.0.1:58080', PILOTHOUSE_AIRFLOW_PASSWORD_FILE: '/rig/password' };
    expect(envInstance(env)).toEqual({ name: 'env', url: 'http://127.0.0.1:58080', username: 'admin', password: { file: '/rig/password' }, drainTimeoutMs: 900_000, source: 'PILOTHOUSE_AIRFLOW_URL' });
    const r = loadAirflowSettings({ env: { ...env, PILOTHOUSE_CONFIG_DIR: '/cfg' }, home: '/h', now: Date.now }, () => undefined);
    expect(r.instances.map((i) => i.name)).toEqual(['env']);
    expect(r.file).toBe('/cfg/airflow.yaml');
  });

  it('reads the password at login: a missing variable or file is said plainly', () => {
    const s = parseAirflowSettings('airflows:\n  a:\n    url: http://a\n    username: u\n    passwordFile: ~/pw\n', F).instances[0]!;
    expect(readPassword(s, {}, '/home/op', (p) => (p === '/home/op/pw' ? 'secret\n' : ''))).toBe('secret');
    expect(() => readPassword(s, {}, '/home/op', () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); })).toThrow('cannot read the password file /home/op/pw: ENOENT');
    const e = parseAirflowSettings('airflows:\n  a:\n    url: http://a\n    username: u\n    passwordEnv: PW\n', F).instances[0]!;
    expect(() => readPassword(e, {}, '/h')).toThrow('the password variable PW is not set');
  });
});
