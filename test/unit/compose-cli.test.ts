import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CD_SCRIPT, composeArgs, composeConfigArgs, displayArgs, inDir, parseComposeVersion, pickComposeCli, withEnv } from '../../core/planes/compose/cli';
import { ComposeDetector, type CommandHost } from '../../core/planes/compose/host';
import { parseComposeConfig, servicesFor, unknownProfiles } from '../../core/planes/compose/profiles';
import { shellQuote } from '../../core/planes/ssh/quote';

describe('compose CLI detection', () => {
  it('reads the v2 plugin and v1 version lines', () => {
    expect(parseComposeVersion('Docker Compose version v2.29.1\n')).toBe('2.29.1');
    expect(parseComposeVersion('Docker Compose version 2.20.2+ds1-0+deb12u1\n')).toBe('2.20.2+ds1-0+deb12u1');
    expect(parseComposeVersion('docker-compose version 1.29.2, build unknown\ndocker-py version: 5.0.3\n')).toBe('1.29.2');
    expect(parseComposeVersion("docker: 'compose' is not a docker command.\nSee 'docker --help'")).toBeUndefined();
    expect(parseComposeVersion('')).toBeUndefined();
  });

  it('takes `docker compose` when it answers, else `docker-compose`, else says what each said', () => {
    expect(pickComposeCli([{ exitCode: 0, stdout: 'Docker Compose version v2.29.1' }])).toEqual({ argv: ['docker', 'compose'], version: '2.29.1', kind: 'plugin' });
    // Debian's docker.io 20.10 without the plugin: exit 1 and a complaint on stderr (the rig's hosts).
    const old = { exitCode: 1, stdout: '', stderr: "docker: 'compose' is not a docker command.\nSee 'docker --help'" };
    expect(pickComposeCli([old, { exitCode: 0, stdout: 'docker-compose version 1.29.2, build unknown' }])).toEqual({ argv: ['docker-compose'], version: '1.29.2', kind: 'standalone' });
    expect(pickComposeCli([old, { exitCode: 127, stdout: '', stderr: 'sh: 1: docker-compose: not found' }])).toEqual({
      error: "no compose CLI found (docker compose version: docker: 'compose' is not a docker command.; docker-compose version: sh: 1: docker-compose: not found)",
    });
  });

  it('asks a host once, and again only after a failure', async () => {
    const asked: string[] = [];
    let installed = false;
    const host: CommandHost = {
      where: 'h',
      async run(argv) {
        asked.push(argv.join(' '));
        if (argv[0] === 'docker') return { exitCode: 1, stdout: '', stderr: "docker: 'compose' is not a docker command." };
        return installed ? { exitCode: 0, stdout: 'docker-compose version 1.29.2, build unknown', stderr: '' } : { exitCode: 127, stdout: '', stderr: 'not found' };
      },
    };
    const d = new ComposeDetector();
    await expect(d.detect(host)).rejects.toThrow(/^h: no compose CLI found/);
    installed = true;
    expect((await d.detect(host)).argv).toEqual(['docker-compose']);
    expect((await d.detect(host)).argv).toEqual(['docker-compose']);
    expect(d.peek(host)?.version).toBe('1.29.2');
    expect(asked).toEqual(['docker compose version', 'docker-compose version', 'docker compose version', 'docker-compose version']);
  });
});

describe('compose argument lists', () => {
  it('global options before the operation: env files, files, project, profiles; up is detached', () => {
    expect(composeArgs(['docker', 'compose'], { op: 'up', profiles: ['dbs', 'workers'], envFiles: ['envs/.env-airflow', 'envs/production.env'], project: 'alphakraken' }))
      .toEqual(['docker', 'compose', '--env-file', 'envs/.env-airflow', '--env-file', 'envs/production.env', '-p', 'alphakraken', '--profile', 'dbs', '--profile', 'workers', 'up', '-d']);
    expect(composeArgs(['./compose.sh'], { op: 'down' })).toEqual(['./compose.sh', 'down']);
    expect(composeArgs(['docker-compose'], { op: 'restart', files: ['/srv/a/compose.yml', '/srv/a/override.yml'], services: ['web'] }))
      .toEqual(['docker-compose', '-f', '/srv/a/compose.yml', '-f', '/srv/a/override.yml', 'restart', 'web']);
    expect(composeConfigArgs(['./compose.sh'], { envFiles: ['x.env'] })).toEqual(['./compose.sh', '--env-file', 'x.env', 'config']);
  });

  it('environment through env(1) as arguments; a bad name is refused', () => {
    expect(withEnv({ ENV: 'production', X: 'a b $(c)' }, ['./compose.sh', 'up'])).toEqual(['env', 'ENV=production', 'X=a b $(c)', './compose.sh', 'up']);
    expect(withEnv(undefined, ['a'])).toEqual(['a']);
    expect(() => withEnv({ 'A;rm': 'x' }, ['a'])).toThrow("'A;rm' is not an environment variable name");
  });

  it('the directory goes to a fixed script as $1: ~/x relative to the SSH login directory', () => {
    expect(inDir('~/alphakraken', ['./compose.sh', 'up'])).toEqual(['sh', '-c', CD_SCRIPT, 'sh', 'alphakraken', './compose.sh', 'up']);
    expect(inDir('~', ['ls'])).toEqual(['sh', '-c', CD_SCRIPT, 'sh', '.', 'ls']);
    expect(inDir('/srv/my app', ['ls'])).toEqual(['sh', '-c', CD_SCRIPT, 'sh', '/srv/my app', 'ls']);
  });

  it('a hostile directory and environment value reach the program literally through a real shell', () => {
    const dir = execFileSync('mktemp', ['-d', '/tmp/ph dir $(touch x) \'q\'.XXXX']).toString().trim();
    const argv = inDir(dir, withEnv({ V: "it's `id` $(nope)\nline2" }, ['sh', '-c', 'pwd; printf %s "$V"']));
    // What the remote login shell receives: one string, made by shellQuote alone.
    const out = execFileSync('sh', ['-c', shellQuote(argv)]).toString();
    expect(out).toBe(`${dir}\nit's \`id\` $(nope)\nline2`);
  });

  it('previews read as typed: plain words bare, the rest single-quoted', () => {
    expect(displayArgs(['sh', '-c', CD_SCRIPT, 'sh', 'alphakraken', 'env', 'ENV=production', './compose.sh', '--profile', 'dbs', 'up', '-d']))
      .toBe(`sh -c 'cd "$1" && shift && exec "$@"' sh alphakraken env ENV=production ./compose.sh --profile dbs up -d`);
    expect(displayArgs(["it's"])).toBe(`'it'\\''s'`);
  });
});

describe('services of a profile, from compose config', () => {
  const config = `
services:
  postgres-service: {image: x, profiles: [dbs, local]}
  monitoring: {image: x, profiles: [dbs, infrastructure, workers, local]}
  webapp: {image: x, profiles: [infrastructure, local]}
  worker: {image: x, profiles: [workers]}
  always: {image: x}
`;
  const p = parseComposeConfig(config, 'test');

  it('a profile starts its own services and those without profiles', () => {
    expect(servicesFor(p, ['dbs'])).toEqual(['always', 'monitoring', 'postgres-service']);
    expect(servicesFor(p, ['infrastructure'])).toEqual(['always', 'monitoring', 'webapp']);
    expect(servicesFor(p, ['dbs', 'workers'])).toEqual(['always', 'monitoring', 'postgres-service', 'worker']);
  });

  it('names a profile no service has, and says where a config is not what compose prints', () => {
    expect(unknownProfiles(p, ['dbs', 'infrastucture'])).toEqual(['infrastucture']);
    expect(() => parseComposeConfig('services: [a, b]', 'alphakraken on kraken-workers')).toThrow('alphakraken on kraken-workers: compose config has no services');
    expect(() => parseComposeConfig('services: {a: [}', 'x')).toThrow(/^x: compose config is not YAML/);
  });
});
