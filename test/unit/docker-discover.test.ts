import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextDir, discoverDocker, dockerHint } from '../../core/planes/docker/discover';

const META_ROOT = '/home/op/.docker/contexts/meta';
const meta = (name: string) => `${META_ROOT}/${contextDir(name)}/meta.json`;
const context = (name: string, host: string) => ({ [meta(name)]: JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }) });

function deps(files: Record<string, string>, env: Record<string, string> = {}, sockets: string[] = [], links: Record<string, string> = {}) {
  return {
    env,
    home: '/home/op',
    readFile: (p: string) => files[p],
    exists: (p: string) => sockets.includes(p),
    listDir: (p: string) => [...new Set(Object.keys(files).filter((f) => path.dirname(path.dirname(f)) === p).map((f) => path.basename(path.dirname(f))))],
    realpath: (p: string) => links[p] ?? p,
  };
}
const names = (cs: Array<{ name: string }>) => cs.map((c) => c.name);

describe('finding every Docker engine', () => {
  it('DOCKER_HOST is one engine, named env', () => {
    const r = discoverDocker(deps({}, { DOCKER_HOST: 'tcp://127.0.0.1:2375' }));
    expect(r).toEqual([expect.objectContaining({ name: 'env', target: 'tcp://127.0.0.1:2375', source: 'DOCKER_HOST', host: '127.0.0.1', port: 2375 })]);
  });

  it('every context, the current one first, plus DOCKER_HOST and the sockets that exist, all at once', () => {
    const r = discoverDocker(deps({
      '/home/op/.docker/config.json': JSON.stringify({ currentContext: 'colima' }),
      ...context('colima', 'unix:///home/op/.colima/default/docker.sock'),
      ...context('build-box', 'ssh://ops@build.example:2222'),
    }, { DOCKER_HOST: 'tcp://10.0.0.5:2375' }, ['/var/run/docker.sock']));
    expect(names(r)).toEqual(['env', 'colima', 'build-box', 'default']);
    expect(r[1].source).toMatch(/^docker context 'colima' \(current, from \/home\/op\/\.docker\/config\.json; /);
    expect(r[2]).toMatchObject({ protocol: 'ssh', host: 'build.example', port: 2222, username: 'ops' });
    expect(r[3]).toMatchObject({ target: 'unix:///var/run/docker.sock', source: 'default socket' });
    expect(r.every((c) => !c.error)).toBe(true);
  });

  it('one engine reached several ways is one candidate, named after the context', () => {
    // DOCKER_HOST and a context both name the rig's socket; the Colima socket is a symlink to the same one.
    const sock = '/work/rig/docker.sock';
    const r = discoverDocker(deps(
      { ...context('rig', `unix://${sock}`) },
      { DOCKER_HOST: `unix://${sock}` },
      ['/home/op/.colima/default/docker.sock'],
      { '/home/op/.colima/default/docker.sock': sock },
    ));
    expect(names(r)).toEqual(['rig']);
    expect(r[0].source).toContain('DOCKER_HOST');
    expect(r[0].source).toContain("docker context 'rig'");
    expect(r[0].source).toContain('Colima socket');
  });

  it('DOCKER_HOST on the default socket is the default engine; tcp hosts compare by host and port', () => {
    expect(names(discoverDocker(deps({}, { DOCKER_HOST: 'unix:///var/run/docker.sock' }, ['/var/run/docker.sock'])))).toEqual(['default']);
    const r = discoverDocker(deps({ ...context('lab', 'tcp://LAB:2375') }, { DOCKER_HOST: 'tcp://lab:2375' }));
    expect(names(r)).toEqual(['lab']);
  });

  it('names never clash: a context called env keeps its name and DOCKER_HOST gets another', () => {
    const r = discoverDocker(deps({ ...context('env', 'tcp://a:2375') }, { DOCKER_HOST: 'tcp://b:2375' }));
    expect(names(r).sort()).toEqual(['env', 'env-2']);
    expect(r.find((c) => c.name === 'env')!.target).toBe('tcp://a:2375');
  });

  it('a broken context is a config problem naming the file and field; the other engines still count', () => {
    const r = discoverDocker(deps({
      '/home/op/.docker/config.json': JSON.stringify({ currentContext: 'broken' }),
      [meta('broken')]: '{"Endpoints": {',
      [meta('nohost')]: JSON.stringify({ Name: 'nohost', Endpoints: {} }),
      ...context('good', 'tcp://good:2375'),
    }));
    const broken = r.find((c) => c.name === 'broken')!;
    expect(broken.error!.message).toContain(meta('broken'));
    expect(broken.error!.message).toMatch(/not valid JSON .*Endpoints\.docker\.Host cannot be read/);
    expect(broken.error!.hint).toMatch(/docker context rm broken/);
    expect(r.find((c) => c.name === 'nohost')!.error!.message).toBe(`${meta('nohost')}: field Endpoints.docker.Host is missing or not a string`);
    expect(r.find((c) => c.name === 'good')).toMatchObject({ target: 'tcp://good:2375' });
    expect(r.find((c) => c.name === 'good')!.error).toBeUndefined();
  });

  it('a broken config.json is a problem of its own; contexts are still found', () => {
    const r = discoverDocker(deps({ '/home/op/.docker/config.json': 'nope', ...context('good', 'tcp://good:2375') }));
    expect(r.find((c) => c.name === 'config')!.error!.message).toMatch(/^\/home\/op\/\.docker\/config\.json: not valid JSON .*currentContext cannot be read/);
    expect(r.find((c) => c.name === 'good')!.error).toBeUndefined();
  });

  it('a current context without metadata names the context and where it came from', () => {
    const r = discoverDocker(deps({}, { DOCKER_CONTEXT: 'gone' }));
    expect(r.find((c) => c.name === 'gone')!.error!.message).toMatch(/docker context 'gone' \(from DOCKER_CONTEXT\) has no metadata/);
  });

  it('a DOCKER_HOST it cannot use is a config problem saying what it expected', () => {
    expect(discoverDocker(deps({}, { DOCKER_HOST: 'ftp://x' })).find((c) => c.name === 'env')!.error!.message).toMatch(/unsupported scheme 'ftp:'/);
    expect(discoverDocker(deps({}, { DOCKER_HOST: 'not a url' })).find((c) => c.name === 'env')!.error!.message).toMatch(/not a URL like unix:\/\//);
  });

  it('the rootless, Desktop and Colima sockets count when they exist', () => {
    const r = discoverDocker(deps({}, { XDG_RUNTIME_DIR: '/run/user/1000' }, ['/run/user/1000/docker.sock', '/home/op/.docker/run/docker.sock']));
    expect(r.map((c) => [c.name, c.socketPath])).toEqual([['rootless', '/run/user/1000/docker.sock'], ['desktop', '/home/op/.docker/run/docker.sock']]);
  });

  it('when nothing at all is found, one default candidate says everything that was tried', () => {
    const r = discoverDocker(deps({}));
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ name: 'default', target: 'unix:///var/run/docker.sock' });
    expect(r[0].source).toMatch(/^no Docker engine found; tried DOCKER_HOST \(unset\), docker contexts in \/home\/op\/\.docker\/contexts\/meta \(none\), \/var\/run\/docker\.sock, .*\.colima/);
  });

  it('hints say what to do for the common failures', () => {
    const c = { target: 'unix:///var/run/docker.sock', source: 'default socket', socketPath: '/var/run/docker.sock' };
    expect(dockerHint(c, 'EACCES')).toMatch(/docker' group/);
    expect(dockerHint(c, 'ENOENT')).toMatch(/Start Docker/);
  });
});
