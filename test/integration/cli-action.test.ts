// `pilothouse action` and `pilothouse actions` through the CLI against the rig's cluster: the preview,
// the refusals (no terminal and no --yes; --yes without the typed name), the live step log, the audit
// line, the exit codes. Creates, then deletes, its own namespace pilothouse-itest-cli-action-<run>; nothing of
// the seed is touched.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../core/host/cli';
import type { ActionIo } from '../../core/host/cli-action';
// @ts-expect-error: a plain .mjs build script, no types
import { buildCli } from '../../scripts/build.mjs';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(REPO, 'bin/pilothouse.mjs');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const skip = existsSync(ADMIN) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;
// One name per run: a namespace an earlier run deleted may still be terminating on a busy cluster.
const NS = `pilothouse-itest-cli-action-${Date.now().toString(36)}`;
const EP = 'kube/kwok-pilothouse';

const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', ADMIN, ...args])).stdout;
/** The Deployment's pods as the server has them, not yet terminating. */
const podNames = async () => (JSON.parse(await kubectl('get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'json')) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> })
  .items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name).sort();
const generation = async () => Number(await kubectl('get', 'deployment', '-n', NS, 'web', '-o', 'jsonpath={.metadata.generation}'));

const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: web, image: "nginx:1.27"}]
`;

describe.skipIf(!!skip)(`pilothouse action / actions against the rig's cluster${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const home = mkdtempSync(path.join(tmpdir(), 'ph-cli-action-'));
  const data = path.join(home, 'data');
  // Only the rig's cluster: no Docker engine, no ssh config (HOME is empty).
  const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: ADMIN, PILOTHOUSE_DATA_DIR: data, DOCKER_HOST: `unix://${home}/no-docker.sock` };
  const cli = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    // stdin is not a terminal here: the command must not wait for an answer.
    const p = execFile(process.execPath, [BIN, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? -1 : 0, stdout, stderr }));
    p.stdin?.end();
  });
  const audit = () => (existsSync(path.join(data, 'audit.jsonl')) ? readFileSync(path.join(data, 'audit.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []);

  beforeAll(async () => {
    await buildCli({ quiet: true });
    await kubectl('create', 'namespace', NS);
    await kubectl('create', 'serviceaccount', 'default', '-n', NS).catch((e: Error) => { if (!/already ?exists/i.test(e.message)) throw e; });
    const file = path.join(home, 'web.yaml');
    writeFileSync(file, MANIFEST);
    await kubectl('apply', '-f', file);
    await kubectl('rollout', 'status', '-n', NS, 'deployment/web', '--timeout=60s');
  }, 120_000);

  afterAll(async () => {
    await kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=false').catch(() => undefined);
  });

  it('actions lists what the Deployment offers, with how each is confirmed', async () => {
    const r = await cli('actions', `${NS}/web`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ACTION\s+LABEL\s+CONFIRM/);
    expect(r.stdout).toMatch(/rollout-restart\s+Rollout restart\s+ask/);
    expect(r.stdout).toMatch(/scale-down\s+Scale to 1\s+ask/);
    const json = JSON.parse((await cli('actions', `${NS}/web`, '--json')).stdout) as { resource: string; actions: Array<{ id: string }> };
    expect(json.resource).toBe(`${EP}/${NS}/deployment/web`);
    expect(json.actions.map((a) => a.id)).toContain('scale-up');
  });

  it('without a terminal and without --yes it prints the preview, changes nothing and exits 2', async () => {
    const before = await generation();
    const r = await cli('action', `${NS}/web`, 'rollout-restart');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`Rollout restart on ${NS}/web`);
    expect(r.stdout).toContain(`[${EP}] PATCH /apis/apps/v1/namespaces/${NS}/deployments/web strategic-merge-patch+json`);
    expect(r.stdout).toMatch(/dry run: dry run \(dryRun=All\) accepted/);
    expect(r.stderr).toContain('not confirmed: stdin is not a terminal, so nobody can be asked; pass --yes to run it; nothing was changed');
    expect(await generation()).toBe(before);
    expect(audit()).toEqual([]);
  });

  it('delete pod: --yes alone is refused (it asks for the typed name); with --confirm <name> it deletes, logs the steps live and audits', async () => {
    const victim = (await podNames())[0]!;
    const refused = await cli('action', victim, 'delete-pod', '--yes');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`'Delete pod' asks for the resource's name: with --yes, also pass --confirm ${victim}; nothing was changed`);
    const wrong = await cli('action', victim, 'delete-pod', '--yes', '--confirm', 'web');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`--confirm 'web' is not the resource's name '${victim}'`);
    expect(await podNames()).toContain(victim);

    const r = await cli('action', victim, 'delete-pod', '--yes', '--confirm', victim);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`  | DELETE /api/v1/namespaces/${NS}/pods/${victim}: accepted`);
    expect(r.stdout).toMatch(new RegExp(`ok: Delete pod done: pod ${victim} with uid \\S+ is gone`));
    await expect(kubectl('get', 'pod', '-n', NS, victim)).rejects.toThrow(/NotFound/);
    const line = audit().find((a) => a.action === 'kube.delete-pod');
    expect(line).toMatchObject({ resource: `${EP}/${NS}/pod/${victim}`, outcome: 'ok' });
  });

  it('on a terminal it asks: "n" cancels (exit 1, nothing changed), "y" runs the rollout restart and exits 0', async () => {
    await until('two pods again', async () => (await podNames()).length === 2, 60_000);
    const before = await generation();
    const asked: string[] = [];
    const out: string[] = [];
    const io = (answer: string): ActionIo => ({ out: (s) => out.push(s), err: (s) => out.push(s), ask: async (q) => { asked.push(q); return answer; } });
    expect(await main(['action', `${NS}/web`, 'rollout-restart'], io('n'), env)).toBe(1);
    expect(asked).toEqual([`Run 'Rollout restart' on ${NS}/web? [y/N] `]);
    expect(out.join('')).toContain('cancelled: nothing was changed');
    expect(await generation()).toBe(before);

    out.length = 0;
    expect(await main(['action', `${NS}/web`, 'rollout-restart'], io('y'), env), out.join('')).toBe(0);
    expect(await generation()).toBe(before + 1);
    expect(out.join('')).toContain('ok: Rollout restart done: the deployment controller took the new template');
  }, 120_000);

  it('a typed-name action on a terminal asks for the name; a wrong one cancels (exit 1, nothing deleted)', async () => {
    const victim = (await podNames())[0]!;
    const asked: string[] = [];
    const out: string[] = [];
    const io: ActionIo = { out: (s) => out.push(s), err: (s) => out.push(s), ask: async (q) => { asked.push(q); return 'not-the-name'; } };
    const code = await main(['action', victim, 'delete-pod'], io, env);
    expect(code).toBe(1);
    expect(asked).toEqual([`Type ${victim} to confirm: `]);
    expect(out.join('')).toContain(`'not-the-name' is not '${victim}': cancelled, nothing was changed`);
    expect(await podNames()).toContain(victim);
  }, 120_000);
});
