// Against the rig's control plane (npm run rig -- status kube); no scenario: it makes its own namespace
// and removes it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaneEndpoint, Resource } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { ContextTransport, type KubeTransport } from '../../core/planes/kube/client';
import { ExecCredentials, nodePluginRun } from '../../core/planes/kube/exec-credential';
import { KubePlane } from '../../core/planes/kube/plane';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const skip = existsSync(ADMIN) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;

const ADMIN_EP = 'kube/kwok-pilothouse';
const DEAD_EP = 'kube/dead';
const NS = `ph-kube-wake-${process.pid}`;
const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', ADMIN, ...args], { timeout: 90_000 });

/** One GET the plane made through a context's transport. */
interface Call { endpoint: string; path: string; query: URLSearchParams }
const isList = (c: Call) => c.path !== '/version' && c.query.get('watch') !== '1';
const isWatch = (c: Call) => c.query.get('watch') === '1';

describe.skipIf(!!skip)(`a sleep and a wake of the kube plane against the rig's control plane${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let plane: KubePlane;
  const calls: Call[] = [];
  /** Every model change of the admin context's resources, with the endpoint's state at that moment. */
  const changes: Array<{ resources: Resource[]; endpoint?: PlaneEndpoint }> = [];

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-kube-wake-'));
    // A second kubeconfig file whose context's server is not there (nothing listens on port 1).
    const dead = path.join(dir, 'dead.yaml');
    writeFileSync(dead, `apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: dead, user: {token: nothing}}]
contexts: [{name: dead, context: {cluster: dead, user: dead}}]
`);
    const env = { KUBECONFIG: [ADMIN, dead].join(':'), PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
    const creds = new ExecCredentials({ run: nodePluginRun, env: async () => env, now: Date.now });
    // The real transport of each context, every GET it starts written down: what the plane asks the server.
    const transport = (ctx: ConstructorParameters<typeof ContextTransport>[0]): KubeTransport => {
      const real = new ContextTransport(ctx, creds);
      return {
        get: (p, o) => {
          const u = new URL(p, 'http://x');
          calls.push({ endpoint: ctx.id, path: u.pathname, query: u.searchParams });
          return real.get(p, o);
        },
        send: real.send.bind(real),
      };
    };
    await kubectl('create', 'namespace', NS);
    // Made here, not left to the controller-manager (it can lag after an apiserver restart scenario).
    await kubectl('create', 'serviceaccount', 'default', '-n', NS).catch((e: Error) => { if (!/already ?exists/i.test(e.message)) throw e; });
    for (const p of ['stays', 'goes']) await kubectl('-n', NS, 'run', p, '--image=busybox', '--restart=Never');
    // A shorter backoff than the product's (1 s doubling to 30 s), so the dead context's probes come quickly.
    plane = new KubePlane({ env, home: dir, now: Date.now }, { transport, watchConfig: false, backoff: { baseMs: 250, maxMs: 2_000 } });
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [plane] });
    engine.model.subscribe((c) => {
      const resources = c.upsert.filter((r) => r.endpoint === ADMIN_EP);
      if (resources.length) changes.push({ resources, endpoint: engine.model.endpoint(ADMIN_EP) });
    });
    await engine.start();
  }, 120_000);
  afterAll(async () => {
    engine?.stop();
    await kubectl('delete', 'namespace', NS, '--wait=false').catch(() => undefined);
  });

  const ep = (id: string) => engine.endpoints().find((e) => e.id === id);
  const pod = (name: string) => engine.model.object(`${ADMIN_EP}/Pod/${NS}/${name}`);

  it('a pod deleted and a pod created while asleep show after the wake, with no kind listed again; until then the old ones say they are last known', async () => {
    await until('the admin context connected with both pods', () => ep(ADMIN_EP)?.state === 'connected' && pod('stays') && pod('goes'));
    // Let every kind reach its watch (the overview is complete once all are listed).
    await until('every kind watching or said why not', () => plane.connection(ADMIN_EP)!.kindStatuses().every((k) => k.status.state === 'watching'));

    engine.suspend(); // what the Electron shell's powerMonitor 'suspend' reaches (core/host/utility.ts)
    expect(ep(ADMIN_EP)).toMatchObject({ state: 'suspended', message: 'the computer went to sleep: the watches go on from where they were on wake' });
    const asleepFrom = calls.length;
    const resourceVersions = new Map(plane.connection(ADMIN_EP)!.kindStatuses().map((k) => [k.kind, k.resourceVersion]));

    // "Asleep": the cluster goes on without the console.
    await kubectl('-n', NS, 'delete', 'pod', 'goes', '--grace-period=0', '--force');
    await kubectl('-n', NS, 'run', 'new', '--image=busybox', '--restart=Never');
    expect(calls.length).toBe(asleepFrom); // nothing asked while asleep

    const changesFrom = changes.length;
    engine.resume();
    await until('the deleted pod gone and the new one there', () => !pod('goes') && pod('new'));
    await until('the admin context connected again', () => ep(ADMIN_EP)?.state === 'connected');

    const woke = calls.slice(asleepFrom).filter((c) => c.endpoint === ADMIN_EP);
    // One probe of the server, then each kind's watch from the version it had when the computer slept.
    expect(woke.filter((c) => c.path === '/version')).toHaveLength(1);
    expect(woke.filter(isList).map((c) => c.path)).toEqual([]);
    const podWatch = woke.find((c) => isWatch(c) && c.path === '/api/v1/pods')!;
    expect(podWatch.query.get('resourceVersion')).toBe(resourceVersions.get('Pod'));
    expect(podWatch.query.get('allowWatchBookmarks')).toBe('true');
    expect(plane.connection(ADMIN_EP)!.kindStatuses().every((k) => k.status.state === 'watching')).toBe(true);

    // Between the wake and the watches' return, the pod deleted meanwhile was still shown, marked as
    // last known (its endpoint connecting), never as live.
    const goesId = `${ADMIN_EP}/${NS}/pod/goes`;
    const seenWaking = changes.slice(changesFrom).filter((c) => c.endpoint?.state === 'connecting');
    expect(seenWaking.length).toBeGreaterThan(0);
    expect(seenWaking[0].endpoint!.message).toMatch(/^waking up/);
    const goes = seenWaking.flatMap((c) => c.resources).find((r) => r.id === goesId);
    expect(goes?.reasons[0]?.text).toBe('kwok-pilothouse connecting: last known state shown');
    expect(goes?.runtime).toBe('unknown');

    // And now the namespace's pods are kubectl's.
    const { stdout } = await kubectl('-n', NS, 'get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}');
    const names = engine.list().filter((r) => r.endpoint === ADMIN_EP && r.kind === 'pod' && r.group.name === NS).map((r) => r.name).sort();
    expect(names).toEqual(stdout.split(' ').sort());
  });

  it('a context whose server is dead is probed alone (GET /version with backoff): none of its kinds is asked, and it says why and when it tries again', async () => {
    await until('the dead context unavailable', () => ep(DEAD_EP)?.state === 'unavailable');
    // Two more probes at least, so the backoff has run a while.
    const probes = () => calls.filter((c) => c.endpoint === DEAD_EP).length;
    const n = probes();
    await until('two more probes', () => probes() >= n + 2, 20_000);
    const dead = calls.filter((c) => c.endpoint === DEAD_EP);
    expect(new Set(dead.map((c) => c.path))).toEqual(new Set(['/version']));
    expect(ep(DEAD_EP)).toMatchObject({
      state: 'unavailable',
      message: 'cannot reach https://127.0.0.1:1: connection refused (is the API server running, the tunnel or VPN up?)',
      hint: 'check with: kubectl --context dead get --raw /version',
    });
    expect(ep(DEAD_EP)!.retryAt).toBeGreaterThan(Date.now() - 1_000);
    expect(plane.connection(DEAD_EP)!.kindStatuses().every((k) => k.status.state === 'waiting')).toBe(true);
    expect(ep(ADMIN_EP)!.state).toBe('connected');
  });
});
