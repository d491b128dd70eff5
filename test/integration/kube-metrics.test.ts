// metrics.k8s.io in the kube plane against the rig: metrics-server scraping kwok's simulated usage
// (test/rig/docs/kube.md "Metrics"). Run under `flock /tmp/ph-scenario.lock`: it applies the rig's
// metrics-server-down scenario (undone in a finally).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { KubePlane } from '../../core/planes/kube/plane';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const EP = 'kube/kwok-pilothouse';
const id = (ns: string, kind: string, name: string) => `${EP}/${ns}/${kind}/${name}`;
const DEP = id('pdf-chatbot', 'deployment', 'pdf-chatbot');

/** metrics.k8s.io answers for the pdf-chatbot pods (the rig's kube component runs metrics-server). */
async function metricsServed(): Promise<string | undefined> {
  if (!existsSync(ADMIN)) return `no ${ADMIN}: start the rig (npm run rig -- up kube)`;
  try {
    await run('kubectl', ['--kubeconfig', ADMIN, 'get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/pdf-chatbot/pods'], { timeout: 15_000 });
    return undefined;
  } catch (e) {
    return `metrics.k8s.io does not answer on the rig (${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}): npm run rig -- up kube starts metrics-server`;
  }
}
const skip = await metricsServed();

const scenario = (...args: string[]) => run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', 'metrics-server-down', ...args], { cwd: REPO, timeout: 180_000 });

describe.skipIf(!!skip)(`kube HPA and CPU/memory from metrics.k8s.io on the rig${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  const get = (rid: string): Resource | undefined => engine.model.get(rid);
  const factOf = (rid: string, key: string, re: RegExp, ms = 90_000) =>
    until(`${rid}: fact "${key}" matching ${re}`, () => { const v = get(rid)?.facts[key]; return v !== undefined && re.test(v) ? v : undefined; }, ms)
      .catch((e) => { throw new Error(`${(e as Error).message}; facts: ${JSON.stringify(get(rid)?.facts)}`); });

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-kube-metrics-'));
    const env = { KUBECONFIG: ADMIN, PATH: process.env.PATH, HOME: dir };
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [new KubePlane({ env, home: dir, now: Date.now }, { watchConfig: false })] });
    await engine.start();
    await until('the pdf-chatbot deployment', () => get(DEP)?.children?.length, 60_000);
  });
  afterAll(() => engine?.stop());

  it('the pdf-chatbot HPA on its Deployment: replicas now and wanted within 1–5, and CPU against the 70% target', async () => {
    // kwok's simulated usage is 105m of the 250m request: 42%, so the HPA keeps 1 replica.
    await factOf(DEP, 'autoscaler metrics', /^CPU 42% of 70% target$/);
    expect(get(DEP)!.facts.autoscaler).toBe('pdf-chatbot: 1–5 replicas, now 1, wants 1');
    expect(get(DEP)!.facts['autoscaler unknown']).toBeUndefined();
    expect(get(DEP)!.reasons.filter((r) => r.text.startsWith('autoscaler'))).toEqual([]);
  });

  it('CPU and memory of a pod, its Deployment and a node while someone looks at them, gone when they look away', async () => {
    const podId = get(DEP)!.children!.find((c) => c.includes('/pod/'))!;
    const release = engine.watchDetail({ ids: [podId, DEP, id('', 'node', 'kind-control-plane')] }, 'full');
    try {
      // 105m simulated; metrics-server's rate over two scrapes wobbles by a millicore or two.
      await factOf(podId, 'cpu used', /^10[3-7]m \(4[1-3]% of 250m requested\)$/, 60_000);
      expect(get(podId)!.facts['memory used']).toBe('300Mi (59% of 512Mi requested)');
      await factOf(DEP, 'cpu used', /^10[3-7]m over 1 pod \(4[1-3]% of 250m requested\)$/, 60_000);
      // The node's figure is the sum of its pods' simulated usage: some of it, out of what kwok says it can allocate.
      await factOf(id('', 'node', 'kind-control-plane'), 'cpu used', /^\d+m of \d+(\.\d+)? cores? allocatable \(\d+%\)$/, 60_000);
    } finally { release(); }
    await until('usage facts gone after the look', () => get(podId)!.facts['cpu used'] === undefined, 10_000);
  });

  it('metrics-server down: the HPA says its CPU figure is unknown and why; a looked-at pod says why it has no figures', async () => {
    const podId = get(DEP)!.children!.find((c) => c.includes('/pod/'))!;
    try {
      await scenario();
      const release = engine.watchDetail({ ids: [podId] }, 'full');
      try {
        await factOf(podId, 'usage', /^unavailable: metrics-server is registered but not answering/, 60_000);
      } finally { release(); }
      // The HPA controller reads every 15 s; its condition then carries the aggregator's 503.
      const why = await factOf(DEP, 'autoscaler unknown', /^metrics-server is registered but not answering/, 90_000);
      expect(get(DEP)!.facts['autoscaler metrics']).toBe('CPU unknown of 70% target');
      expect(get(DEP)!.reasons.map((r) => r.text)).toContain(`autoscaler pdf-chatbot cannot read CPU unknown of 70% target: ${why}; it does not scale on it`);
    } finally {
      await scenario('--undo');
    }
    await factOf(DEP, 'autoscaler metrics', /^CPU 42% of 70% target$/, 90_000);
  });
});
