import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { discoverDocker, DockerConfigError, dockerHint } from '../../core/planes/docker/discover';

function deps(files: Record<string, string>, env: Record<string, string> = {}, sockets: string[] = []) {
  return { env, home: '/home/op', readFile: (p: string) => files[p], exists: (p: string) => sockets.includes(p) };
}
const meta = (name: string) => `/home/op/.docker/contexts/meta/${createHash('sha256').update(name).digest('hex')}/meta.json`;

describe('finding the Docker engine', () => {
  it('DOCKER_HOST wins', () => {
    const r = discoverDocker(deps({}, { DOCKER_HOST: 'tcp://127.0.0.1:2375' }));
    expect(r.chosen).toMatchObject({ target: 'tcp://127.0.0.1:2375', source: 'DOCKER_HOST', host: '127.0.0.1', port: 2375 });
  });

  it('uses the current docker context from ~/.docker/config.json', () => {
    const r = discoverDocker(deps({
      '/home/op/.docker/config.json': JSON.stringify({ currentContext: 'colima' }),
      [meta('colima')]: JSON.stringify({ Name: 'colima', Endpoints: { docker: { Host: 'unix:///home/op/.colima/default/docker.sock' } } }),
    }));
    expect(r.chosen.socketPath).toBe('/home/op/.colima/default/docker.sock');
    expect(r.chosen.source).toContain("docker context 'colima'");
  });

  it('a malformed context file is an error naming the file', () => {
    const files = { '/home/op/.docker/config.json': JSON.stringify({ currentContext: 'broken' }), [meta('broken')]: '{"Endpoints": {' };
    expect(() => discoverDocker(deps(files))).toThrow(DockerConfigError);
    expect(() => discoverDocker(deps(files))).toThrow(meta('broken'));
    const noHost = { '/home/op/.docker/config.json': JSON.stringify({ currentContext: 'x' }), [meta('x')]: '{"Endpoints": {}}' };
    expect(() => discoverDocker(deps(noHost))).toThrow(/Endpoints\.docker\.Host is missing/);
  });

  it('a malformed config.json is an error naming the file; a missing context names the context', () => {
    expect(() => discoverDocker(deps({ '/home/op/.docker/config.json': 'nope' }))).toThrow(/\/home\/op\/\.docker\/config\.json: not valid JSON/);
    expect(() => discoverDocker(deps({}, { DOCKER_CONTEXT: 'gone' }))).toThrow(/docker context 'gone' \(from DOCKER_CONTEXT\) has no metadata/);
  });

  it('falls back to the sockets that exist, and lists every one it tried', () => {
    const r = discoverDocker(deps({}, { XDG_RUNTIME_DIR: '/run/user/1000' }, ['/run/user/1000/docker.sock']));
    expect(r.chosen.socketPath).toBe('/run/user/1000/docker.sock');
    expect(r.tried.map((t) => t.socketPath)).toContain('/var/run/docker.sock');
    const none = discoverDocker(deps({}));
    expect(none.chosen.target).toBe('unix:///var/run/docker.sock');
  });

  it('rejects a DOCKER_HOST it cannot use, saying what it expected', () => {
    expect(() => discoverDocker(deps({}, { DOCKER_HOST: 'ftp://x' }))).toThrow(/unsupported scheme 'ftp:'/);
    expect(() => discoverDocker(deps({}, { DOCKER_HOST: 'not a url' }))).toThrow(/not a URL like unix:\/\//);
  });

  it('hints say what to do for the common failures', () => {
    const c = { target: 'unix:///var/run/docker.sock', source: 'default socket', socketPath: '/var/run/docker.sock' };
    expect(dockerHint(c, 'EACCES')).toMatch(/docker' group/);
    expect(dockerHint(c, 'ENOENT')).toMatch(/Start Docker/);
  });
});
