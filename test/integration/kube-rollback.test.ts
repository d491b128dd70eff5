// Roll back a Deployment through the one action mechanism and compare with `kubectl rollout undo` on a
// twin Deployment with the same history: the same template and the same annotations must result. Creates,
// then deletes, its own namespace pilothouse-itest-rollback-<run>; the seed's objects are not touched.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { KubePlane } from '../../core/planes/kube/plane';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const skip = existsSync(ADMIN) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;
const EP = 'kube/kwok-pilothouse';
// One name per run: a namespace an earlier run deleted may still be terminating on a busy cluster.
const NS = `pilothouse-itest-rollback-${Date.now().toString(36)}`;

const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', ADMIN, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
interface Live { metadata: { annotations: Record<string, string> }; spec: { template: unknown } }
const live = async (name: string) => JSON.parse(await kubectl('get', 'deployment', '-n', NS, name, '-o', 'json')) as Live;

const twin = (name: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${NS}
  annotations: {kubernetes.io/change-cause: "deploy v1", team.example/owner: "payments"}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}}
      annotations: {team.example/build: "101"}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: web, image: "registry.example/web:1", env: [{name: MODE, value: "one"}]}]
`;
// Revision 2 changes the image, drops the env var, adds an arg and a template annotation, and changes the
// Deployment's own annotations: everything a rollback must put back.
const v2 = JSON.stringify({
  metadata: { annotations: { 'kubernetes.io/change-cause': 'deploy v2', 'team.example/canary': 'yes', 'team.example/owner': null } },
  spec: { template: { metadata: { annotations: { 'team.example/build': '102' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:2', args: ['--fast'], env: null }] } } },
});

/** One twin's state with its name taken out, so the two can be compared. */
const neutral = (name: string, d: Live) => {
  const a = { ...d.metadata.annotations };
  const text = JSON.stringify({ template: d.spec.template, annotations: a });
  return JSON.parse(text.split(name).join('<twin>')) as { template: unknown; annotations: Record<string, string> };
};

describe.skipIf(!!skip)(`roll back a Deployment as kubectl rollout undo does, on the rig${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-kube-rollback-'));
    await kubectl('create', 'namespace', NS);
    // Made here, not left to the controller-manager (slow to reach a new namespace after an apiserver restart).
    await kubectl('create', 'serviceaccount', 'default', '-n', NS).catch((e: Error) => { if (!/already ?exists/i.test(e.message)) throw e; });
    for (const name of ['by-kubectl', 'by-console']) {
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(file, twin(name));
      await kubectl('apply', '-f', file);
      await kubectl('rollout', 'status', '-n', NS, `deployment/${name}`, '--timeout=60s');
      await kubectl('patch', 'deployment', '-n', NS, name, '--type=strategic', '-p', v2);
      await kubectl('rollout', 'status', '-n', NS, `deployment/${name}`, '--timeout=60s');
    }
    const env = { KUBECONFIG: ADMIN, PATH: process.env.PATH, HOME: dir };
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [new KubePlane({ env, home: dir, now: Date.now }, { watchConfig: false })] });
    await engine.start();
  }, 180_000);

  afterAll(async () => {
    engine?.stop();
    await kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=false').catch(() => undefined);
  });

  it('gives the same template and annotations as kubectl rollout undo on a twin with the same history', async () => {
    const rid = `${EP}/${NS}/deployment/by-console`;
    const r = await until('the rollback offered', () => engine.model.get(rid)?.actions.some((a) => a.id === 'rollback' && a.label === 'Roll back to revision 1') && engine.model.get(rid), 60_000);
    const preview = await engine.actions.previewChecked(r, 'rollback');
    expect(preview.dryRun?.outcome, preview.dryRun?.text).toBe('ok');
    // The dry run kept nothing.
    expect((await live('by-console')).metadata.annotations['kubernetes.io/change-cause']).toBe('deploy v2');

    await kubectl('rollout', 'undo', '-n', NS, 'deployment/by-kubectl');
    const result = await engine.actions.run(r, 'rollback', { confirmed: true });
    expect(result.outcome, result.message).toBe('ok');
    expect(JSON.parse(result.audit)).toMatchObject({ action: 'kube.rollback', outcome: 'ok', resource: rid });

    const ours = neutral('by-console', await live('by-console'));
    const theirs = neutral('by-kubectl', await live('by-kubectl'));
    expect(ours.template).toEqual(theirs.template);
    expect(ours.annotations).toEqual(theirs.annotations);
    // What that means for the operator: revision 1's pod and revision 1's change-cause, and the annotation
    // revision 2 removed is back, the one it added gone.
    expect(JSON.stringify(ours.template)).toContain('registry.example/web:1');
    expect(JSON.stringify(ours.template)).not.toContain('--fast');
    expect(ours.annotations).toMatchObject({ 'kubernetes.io/change-cause': 'deploy v1', 'team.example/owner': 'payments', 'deployment.kubernetes.io/revision': '3' });
    expect(ours.annotations).not.toHaveProperty('team.example/canary');
  });

  it('a second rollback goes back to revision 2 (the one just left), as kubectl would', async () => {
    const rid = `${EP}/${NS}/deployment/by-console`;
    const r = await until('the rollback to revision 2 offered', () => engine.model.get(rid)?.actions.some((a) => a.id === 'rollback' && a.label === 'Roll back to revision 2') && engine.model.get(rid), 60_000);
    const result = await engine.actions.run(r, 'rollback', { confirmed: true });
    expect(result.outcome, result.message).toBe('ok');
    const d = await live('by-console');
    expect(JSON.stringify(d.spec.template)).toContain('registry.example/web:2');
    expect(d.metadata.annotations).toMatchObject({ 'kubernetes.io/change-cause': 'deploy v2', 'team.example/canary': 'yes' });
  });
});
