import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlaneEndpoint } from '../../shared/contract/domain';
import { ExecCredentials, FAILURE_HOLD_MS, nodePluginRun, type PluginRun } from '../../core/planes/kube/exec-credential';
import { kubeconfigPaths, loadKubeconfig, type ExecConfig } from '../../core/planes/kube/kubeconfig';
import { WATCHED_KINDS } from '../../core/planes/kube/kinds';
import { mergePaths } from '../../core/planes/kube/login-shell';
import { KubePlane, nodeKubeconfigDeps } from '../../core/planes/kube/plane';

const deps = await nodeKubeconfigDeps();
import type { PlaneSink } from '../../core/planes/plane';
import { until } from '../support/wait';

const cleanups: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'ph-kcfg-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
function write(dir: string, name: string, text: string): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}
const load = (files: string[]) => loadKubeconfig(files, 'KUBECONFIG', deps);

const A = `apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster: {server: "https://prod.example:6443", certificate-authority: certs/ca.crt}
- name: shared
  cluster: {server: "https://from-a.example"}
users:
- name: alice
  user: {token: aaa}
contexts:
- name: prod
  context: {cluster: prod-cluster, user: alice, namespace: shop}
- name: both
  context: {cluster: shared, user: alice}
`;
const B = `apiVersion: v1
current-context: dev
clusters:
- name: shared
  cluster: {server: "https://from-b.example"}
- name: dev-cluster
  cluster: {server: "https://dev.example", insecure-skip-tls-verify: true}
users:
- name: alice
  user: {token: bbb}
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, dev]
      env: [{name: AWS_PROFILE, value: dev}]
      installHint: install the AWS CLI
contexts:
- name: both
  context: {cluster: dev-cluster, user: eks}
- name: dev
  context: {cluster: dev-cluster, user: eks}
`;

describe('kubeconfig files merged as kubectl merges them', () => {
  it('KUBECONFIG lists files in order; without it ~/.kube/config', () => {
    expect(kubeconfigPaths({ KUBECONFIG: '/a:/b::/a' }, '/home/u', 'linux')).toEqual({ files: ['/a', '/b'], source: 'KUBECONFIG' });
    expect(kubeconfigPaths({ KUBECONFIG: 'C:\\a;C:\\b' }, 'C:\\u', 'win32').files).toEqual(['C:\\a', 'C:\\b']);
    expect(kubeconfigPaths({}, '/home/u', 'linux')).toEqual({ files: ['/home/u/.kube/config'], source: '~/.kube/config (default)' });
  });

  it('the first file that defines a name wins, for clusters, users, contexts and current-context; missing files are skipped', () => {
    const dir = tempDir();
    write(dir, 'certs/ca.crt', 'x');
    const a = write(dir, 'a.yaml', A), b = write(dir, 'b.yaml', B);
    const m = load([a, path.join(dir, 'absent.yaml'), b]);
    expect(m.problems).toEqual([]);
    expect(m.currentContext).toBe('prod');
    expect(m.contexts.map((c) => [c.id, c.server, c.user, c.namespace, c.file])).toEqual([
      ['kube/prod', 'https://prod.example:6443', 'alice', 'shop', a],
      // `both` is a's (cluster shared from a, user alice from a), not b's.
      ['kube/both', 'https://from-a.example', 'alice', undefined, a],
      ['kube/dev', 'https://dev.example', 'eks', undefined, b],
    ]);
    // alice's token is a's; the relative CA path is relative to a.yaml.
    const prod = m.contexts[0].config!;
    expect(prod.getCurrentUser()?.token).toBe('aaa');
    expect(prod.getCurrentCluster()?.caFile).toBe(path.join(dir, 'certs/ca.crt'));
    expect(m.contexts[2].exec).toEqual<ExecConfig>({
      command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'dev'], env: [{ name: 'AWS_PROFILE', value: 'dev' }],
      apiVersion: 'client.authentication.k8s.io/v1beta1', installHint: 'install the AWS CLI', provideClusterInfo: false,
    });
    // client-node never sees the exec section: the plane's ExecCredentials runs plugins (cached, login PATH).
    expect(m.contexts[2].config!.getCurrentUser()?.exec).toBeFalsy();
  });

  it('a file that is not YAML is its own problem naming the file and line; the other files still work', () => {
    const dir = tempDir();
    const bad = write(dir, 'bad.yaml', 'apiVersion: v1\nclusters:\n- name: x\n  cluster: {server: "https://x"\ncontexts: []\n');
    const good = write(dir, 'b.yaml', B);
    const m = load([bad, good]);
    expect(m.problems).toHaveLength(1);
    expect(m.problems[0].file).toBe(bad);
    expect(m.problems[0].message).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line \\d+ column \\d+: not valid YAML`));
    expect(m.contexts.map((c) => c.name)).toEqual(['both', 'dev']);
  });

  it('a context that names a missing cluster, user or file says which, in which file and line; the others are fine', () => {
    const dir = tempDir();
    const f = write(dir, 'c.yaml', `clusters:
- name: ok
  cluster: {server: "https://ok.example"}
- name: nocert
  cluster: {server: "https://x.example", certificate-authority: missing-ca.crt}
- name: noserver
  cluster: {insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: t}
contexts:
- name: fine
  context: {cluster: ok, user: u}
- name: lost-cluster
  context: {cluster: gone, user: u}
- name: lost-user
  context: {cluster: ok, user: nobody}
- name: lost-ca
  context: {cluster: nocert, user: u}
- name: no-server
  context: {cluster: noserver, user: u}
- context: {cluster: ok}
`);
    const m = load([f]);
    const byName = Object.fromEntries(m.contexts.map((c) => [c.name, c.error]));
    expect(byName.fine).toBeUndefined();
    expect(byName['lost-cluster']).toBe(`context "lost-cluster" (${f}, line 14): cluster "gone" is not defined in any kubeconfig file`);
    expect(byName['lost-user']).toBe(`context "lost-user" (${f}, line 16): user "nobody" is not defined in any kubeconfig file`);
    expect(byName['lost-ca']).toBe(`context "lost-ca" (${f}, line 18): certificate-authority ${path.join(dir, 'missing-ca.crt')} (${f}, line 4) does not exist`);
    expect(byName['no-server']).toBe(`context "no-server" (${f}, line 20): cluster "noserver" (${f}, line 6): server is missing`);
    expect(m.problems).toEqual([{ file: f, message: `${f}, line 22: contexts[5].name is missing` }]);
  });

  it('a file whose top level is not a mapping is a problem; an empty file is an empty config', () => {
    const dir = tempDir();
    const list = write(dir, 'list.yaml', '- a\n- b\n'), empty = write(dir, 'empty.yaml', '');
    const m = load([list, empty]);
    expect(m.problems).toEqual([{ file: list, message: `${list}: not a kubeconfig (the top level is a list, not a mapping)` }]);
    expect(m.contexts).toEqual([]);
  });
});

describe('exec credential plugins', () => {
  const exec: ExecConfig = { command: 'get-token', args: ['--cluster', 'dev'], env: [{ name: 'PROFILE', value: 'dev' }], apiVersion: 'client.authentication.k8s.io/v1', provideClusterInfo: false };
  function plugin(outputs: Array<Partial<PluginRun>>) {
    const runs: Array<{ command: string; args: string[]; env: Record<string, string> }> = [];
    let now = Date.parse('2026-12-06T12:00:00Z');
    const creds = new ExecCredentials({
      run: async (command, args, env) => { runs.push({ command, args, env }); const o = outputs[Math.min(runs.length - 1, outputs.length - 1)]; return { code: 0, stdout: '', stderr: '', ...o }; },
      env: async () => ({ PATH: '/login/bin:/usr/bin', HOME: '/home/u' }),
      now: () => now,
    });
    return { creds, runs, advance: (ms: number) => { now += ms; } };
  }
  const cred = (token: string, exp?: string) => JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token, expirationTimestamp: exp } });
  const cluster = { server: 'https://dev.example' };

  it('runs once for many requests at once, and again only when the credential expires', async () => {
    const { creds, runs, advance } = plugin([{ stdout: cred('t1', '2026-12-06T12:10:00Z') }, { stdout: cred('t2', '2026-12-06T12:20:00Z') }]);
    const got = await Promise.all([1, 2, 3, 4].map(() => creds.get(exec, cluster)));
    expect(got.map((c) => c.token)).toEqual(['t1', 't1', 't1', 't1']);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ command: 'get-token', args: ['--cluster', 'dev'] });
    expect(runs[0].env).toMatchObject({ PATH: '/login/bin:/usr/bin', PROFILE: 'dev' });
    expect(JSON.parse(runs[0].env.KUBERNETES_EXEC_INFO)).toEqual({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } });
    advance(5 * 60_000);
    expect((await creds.get(exec, cluster)).token).toBe('t1');
    advance(5 * 60_000);
    expect((await creds.get(exec, cluster)).token).toBe('t2');
    expect(runs).toHaveLength(2);
  });

  it('a credential without expiry is kept until the server refuses it', async () => {
    const { creds, runs } = plugin([{ stdout: cred('t1') }, { stdout: cred('t2') }]);
    await creds.get(exec, cluster);
    await creds.get(exec, cluster);
    expect(runs).toHaveLength(1);
    creds.invalidate(exec);
    expect((await creds.get(exec, cluster)).token).toBe('t2');
  });

  it('says plainly why a plugin failed; a failure is the answer for a while, so retrying kinds do not run it each', async () => {
    const notFound = plugin([{ code: null, error: Object.assign(new Error('spawn get-token ENOENT'), { code: 'ENOENT' }) }]);
    await expect(notFound.creds.get({ ...exec, installHint: 'brew install get-token\n' }, cluster)).rejects.toThrow('exec plugin "get-token" not found on PATH (/login/bin:/usr/bin): brew install get-token');
    const failing = plugin([{ code: 1, stderr: 'warming up\nerror: SSO session expired, run aws sso login\n' }, { stdout: cred('ok') }]);
    await expect(failing.creds.get(exec, cluster)).rejects.toThrow('exec plugin "get-token" exited with 1: warming up error: SSO session expired, run aws sso login');
    await expect(failing.creds.get(exec, cluster)).rejects.toThrow('SSO session expired');
    expect(failing.runs).toHaveLength(1);
    failing.advance(FAILURE_HOLD_MS);
    expect((await failing.creds.get(exec, cluster)).token).toBe('ok');
    expect(failing.runs).toHaveLength(2);
    const garbage = plugin([{ stdout: 'Please log in' }]);
    await expect(garbage.creds.get(exec, cluster)).rejects.toThrow('exec plugin "get-token" printed no ExecCredential JSON');
  });

  it('runs a real process as an argument list: its exit code, its output, and a missing command as ENOENT', async () => {
    const ok = await nodePluginRun('sh', ['-c', 'printf %s "$1"; echo oops >&2; exit 3', 'sh', 'a b;c'], { PATH: process.env.PATH ?? '' });
    expect(ok).toMatchObject({ code: 3, stdout: 'a b;c', stderr: 'oops\n' });
    expect(ok.error).toBeUndefined();
    const missing = await nodePluginRun('ph-no-such-plugin', [], { PATH: '/nonexistent' });
    expect(missing.error?.code).toBe('ENOENT');
  });

  it("the login shell's PATH comes first, the app's own PATH after it, without repeats", () => {
    expect(mergePaths('/opt/homebrew/bin:/usr/bin', '/usr/bin:/bin')).toBe('/opt/homebrew/bin:/usr/bin:/bin');
  });
});

const PODS_ONLY = WATCHED_KINDS.filter((k) => k.kind === 'Pod');

function recordingSink() {
  const endpoints = new Map<string, PlaneEndpoint>();
  const dropped: string[] = [];
  const sink: PlaneSink = {
    upsert: () => {}, remove: () => {}, reconcile: () => {},
    endpoint: (ep) => endpoints.set(ep.id, ep),
    dropEndpoint: (id) => { dropped.push(id); endpoints.delete(id); },
    objectsOf: () => [],
  };
  return { sink, endpoints, dropped };
}

describe('the kube plane over the kubeconfig', () => {
  const deadServer = (name: string) => `clusters: [{name: ${name}, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: ${name}, context: {cluster: ${name}, user: u}}]
`;

  it('a broken file and a broken context are endpoints of their own with configError; a good context still connects', async () => {
    const dir = tempDir();
    const bad = write(dir, 'bad.yaml', 'clusters: [\n');
    const good = write(dir, 'good.yaml', deadServer('alive'));
    const broken = write(dir, 'broken.yaml', 'contexts: [{name: broken, context: {cluster: nowhere}}]\n');
    const plane = new KubePlane({ env: { KUBECONFIG: [bad, good, broken].join(':') }, home: dir, now: Date.now }, { watchConfig: false, kinds: PODS_ONLY, backoff: { baseMs: 50, maxMs: 100 } });
    cleanups.push(() => plane.stop());
    const { sink, endpoints } = recordingSink();
    await plane.start(sink);
    const eps = plane.endpoints();
    expect(eps.find((e) => e.id === `kube/kubeconfig:${bad}`)).toMatchObject({ state: 'unavailable', configError: true, message: expect.stringContaining(`${bad}, line 2 column 1: not valid YAML`) });
    expect(eps.find((e) => e.id === 'kube/broken')).toMatchObject({ state: 'unavailable', configError: true, message: `context "broken" (${broken}, line 1): cluster "nowhere" is not defined in any kubeconfig file` });
    expect(eps.find((e) => e.id === 'kube/alive')).toMatchObject({ source: `context alive in ${good} (KUBECONFIG)`, target: 'https://127.0.0.1:9' });
    expect(eps.find((e) => e.id === 'kube/alive')?.configError).toBeUndefined();
    expect([...endpoints.keys()].sort()).toEqual(eps.map((e) => e.id).sort());
    expect(eps).toHaveLength(3);
    // The good context's own trouble is the server's, said with its address; not a config error.
    await until('the first attempt', () => plane.endpoints().find((e) => e.id === 'kube/alive')?.state === 'unavailable');
    expect(plane.endpoints().find((e) => e.id === 'kube/alive')?.message).toBe('cannot reach https://127.0.0.1:9: connection refused (is the API server running, the tunnel or VPN up?)');
  });

  it('PILOTHOUSE_KUBE_CONTEXTS limits the contexts and names one that does not exist', async () => {
    const dir = tempDir();
    const f = write(dir, 'config', `clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
contexts: [{name: one, context: {cluster: c}}, {name: two, context: {cluster: c}}]
`);
    const plane = new KubePlane({ env: { KUBECONFIG: f, PILOTHOUSE_KUBE_CONTEXTS: 'two, three' }, home: dir, now: Date.now }, { watchConfig: false, kinds: PODS_ONLY });
    cleanups.push(() => plane.stop());
    await plane.start(recordingSink().sink);
    expect(plane.endpoints().map((e) => `${e.id} ${e.configError ? e.message : ''}`).sort()).toEqual([
      `kube/three context "three" (from PILOTHOUSE_KUBE_CONTEXTS) is not in ${f}`,
      'kube/two ',
    ]);
  });

  it('picks up a kubeconfig file created, changed and removed while it runs', async () => {
    const dir = tempDir();
    const home = path.join(dir, 'home');
    fs.mkdirSync(home);
    const extra = path.join(dir, 'later', 'extra.yaml');
    const main = write(dir, 'main.yaml', deadServer('first'));
    const plane = new KubePlane({ env: { KUBECONFIG: `${main}:${extra}` }, home, now: Date.now }, { kinds: PODS_ONLY });
    cleanups.push(() => plane.stop());
    const { sink, dropped } = recordingSink();
    await plane.start(sink);
    const ids = () => plane.endpoints().map((e) => e.id).sort().join(' ');
    expect(ids()).toBe('kube/first');
    // A new file in a directory that did not exist when the plane started.
    write(dir, 'later/extra.yaml', deadServer('second'));
    await until('the new context', () => ids() === 'kube/first kube/second');
    // A context's server changed: the connection is made again.
    fs.writeFileSync(main, deadServer('first').replace('127.0.0.1:9', '127.0.0.1:10'));
    await until('the changed server', () => plane.endpoints().find((e) => e.id === 'kube/first')?.target === 'https://127.0.0.1:10');
    expect(dropped).toEqual(['kube/first']);
    fs.rmSync(extra);
    await until('the removed context', () => ids() === 'kube/first');
    expect(dropped).toEqual(['kube/first', 'kube/second']);
  });
});
