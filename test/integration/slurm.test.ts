import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/contract/client';
import type { LogLine, Resource } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { runRemoteCommand } from '../../core/planes/ssh/command';
import { diskConfigFs } from '../../core/planes/ssh/config-fs';
import { SshConnection } from '../../core/planes/ssh/connection';
import { ACTIVE_STATES } from '../../core/planes/ssh/slurm/rules';
import { until } from '../support/wait';

// Run under `flock /tmp/ph-scenario.lock`: it needs the rig's ssh hosts (cluster-head through its
// ProxyJump kraken-infra) and submits jobs to the rig's SLURM (test/rig/docs/slurm.md).
const REPO = path.resolve(import.meta.dirname, '../..');
const SSH_CONFIG = path.join(REPO, '.rig/ssh/ssh_config');
const SLURM_HOST = path.join(REPO, '.rig/slurm/host');
const skip = !existsSync(SSH_CONFIG) ? `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)`
  : !existsSync(SLURM_HOST) ? `no ${SLURM_HOST}: start the rig's SLURM (npm run rig -- up slurm)` : undefined;

const HOST = 'cluster-head';
const EP = `ssh/${HOST}`;
const jobId = (id: string) => `${EP}/slurm-job/${id}`;

describe.skipIf(!!skip)(`SLURM on ${HOST} over SSH${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let client: Client;
  // The operator's own shell on the head node, apart from the console's connection: it submits the jobs.
  let shell: SshConnection;
  const submitted: string[] = [];
  const get = (id: string): Resource | undefined => engine.list().find((r) => r.id === id);

  async function sbatch(...args: string[]): Promise<string> {
    const r = await runRemoteCommand(shell, ['sbatch', '--parsable', ...args]);
    expect(r.stderr.toString(), 'sbatch stderr').toBe('');
    expect(r.exitCode).toBe(0);
    const id = r.stdout.toString().trim().split(';')[0]!;
    submitted.push(id);
    return id;
  }

  beforeAll(async () => {
    const configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
    writeFileSync(path.join(configDir, 'hosts.yaml'), `hosts:\n  ${HOST}:\n    slurm: true\n`);
    const home = mkdtempSync(path.join(tmpdir(), 'ph-home-'));
    engine = new Engine({
      dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')),
      home,
      env: { PILOTHOUSE_SSH_CONFIG: SSH_CONFIG, PILOTHOUSE_CONFIG_DIR: configDir, PATH: process.env.PATH },
    });
    await engine.start();
    client = connectInProcess(engine.handlers());
    shell = new SshConnection({ alias: HOST, config: { fs: diskConfigFs, home, localUser: 'pilothouse-test', path: SSH_CONFIG } });
  });

  afterAll(async () => {
    // Whatever a failed check left queued goes; the rig's own alphakraken job stays.
    if (submitted.length) await runRemoteCommand(shell, ['scancel', ...submitted]).catch(() => {});
    shell?.close();
    client?.close();
    engine?.stop();
  });

  it('reads nodes, partitions and the queue through the ProxyJump, with squeue --json', async () => {
    await until('the rig job in the queue', () => engine.list({ groups: [HOST] }).some((r) => r.kind === 'slurm-job' && r.name.endsWith(' alphakraken') && r.facts.state === 'RUNNING'), 40_000);
    const cluster = get(`${EP}/slurm-cluster/${HOST}`)!;
    expect(cluster).toMatchObject({ runtime: 'ok', facts: { mode: 'json' }, group: { kind: 'slurm', name: HOST } });
    expect(cluster.facts.version).toMatch(/^slurm(-wlm)? 22\.05/);
    expect(get(`${EP}/slurm-node/node1`)).toMatchObject({ kind: 'slurm-node', runtime: 'ok', facts: { partitions: 'p.node1' } });
    const part = get(`${EP}/slurm-partition/p.node1`)!;
    expect(part).toMatchObject({ kind: 'slurm-partition', runtime: 'ok', facts: { state: 'UP', default: 'yes' } });
    expect(Number(part.facts.running)).toBeGreaterThanOrEqual(1);
    const rigJob = engine.list({ groups: [HOST] }).find((r) => r.kind === 'slurm-job' && r.name.endsWith(' alphakraken') && r.facts.state === 'RUNNING')!;
    expect(rigJob).toMatchObject({ runtime: 'ok', parent: `${EP}/slurm-partition/p.node1`, facts: { user: 'kraken-read', partition: 'p.node1' } });
    // scontrol's detail, read once for the job.
    expect(rigJob.facts.StdOut).toMatch(/^\/.+\.out$/);
    expect(rigJob.facts.TimeLimit).toBe('UNLIMITED');
  });

  it('a job submitted with sbatch appears in the queue, its output tail is readable, and Cancel job removes it', async () => {
    const out = `/tmp/ph-slurm-test-%j.out`;
    const id = await sbatch('--job-name', 'ph test $(job)', '--output', out, '--wrap', 'echo "line one"; echo \'line two\'; sleep 600');
    const running = await until(`job ${id} running in the console's queue`, () => (get(jobId(id))?.facts.state === 'RUNNING' ? get(jobId(id)) : undefined), 40_000);
    expect(running).toMatchObject({ name: `${id} ph test $(job)`, runtime: 'ok', facts: { user: 'kraken-read', StdOut: `/tmp/ph-slurm-test-${id}.out` } });
    expect(running.actions.map((a) => a.id)).toEqual(['slurm-cancel']);

    const lines = await until('the output written', async () => {
      const l = (await engine.tailLogs(jobId(id), 10)).map((x) => x.text);
      return l.length >= 2 ? l : undefined;
    }, 20_000);
    expect(lines).toEqual(['line one', 'line two']);

    const preview = await client.request('action:preview', { resource: jobId(id), action: 'slurm-cancel' });
    expect(preview).toMatchObject({ action: { confirm: 'confirm', destructive: true }, steps: [{ endpoint: EP, call: `'scancel' '${id}'` }] });
    const res = await client.request('action:run', { resource: jobId(id), action: 'slurm-cancel', confirmed: true });
    expect(res.outcome).toBe('ok');
    expect(JSON.parse(res.audit)).toMatchObject({ action: 'slurm.cancel', resource: jobId(id), outcome: 'ok', steps: [{ call: `'scancel' '${id}'` }] });
    // Through COMPLETING (still active, still cancellable) to CANCELLED or out of the queue.
    await until('the job no longer active', () => { const st = get(jobId(id))?.facts.state; return st === undefined || !ACTIVE_STATES.has(st); }, 30_000);
    const after = get(jobId(id));
    if (after) expect(after.actions).toEqual([]);
    const check = await runRemoteCommand(shell, ['squeue', '--noheader', '--states=PENDING,RUNNING', '--jobs', id]);
    expect(check.stdout.toString().trim()).toBe('');
  });

  it('follows a job’s output through the follow engine: the tail, then live lines, none twice and none skipped', async () => {
    // A line every 0.2 s: a gap between the tail read and the follow (or a repeat) would show in the numbers.
    const id = await sbatch('--job-name', 'ph-ticks', '--output', '/tmp/ph-slurm-ticks-%j.out', '--wrap', 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo "tick $i"; sleep 0.2; done');
    await until(`job ${id} running`, () => get(jobId(id))?.facts.state === 'RUNNING' && get(jobId(id))?.facts.StdOut, 40_000);
    await until('some output', async () => (await engine.tailLogs(jobId(id), 3)).length >= 3, 20_000);
    const got: LogLine[] = [];
    const sub = client.subscribe('logs:follow', { resource: jobId(id), tail: 3 }, { onBatch: (b) => got.push(...b) });
    try {
      await until('twenty lines followed', () => got.filter((l) => l.stream === 'stdout').length >= 20, 30_000);
    } finally {
      sub.close();
      // The rig's node has two CPUs and the rig's own job holds one: free the other for the next test.
      await runRemoteCommand(shell, ['scancel', id]);
    }
    const ticks = got.filter((l) => l.stream === 'stdout').map((l) => Number(/^tick (\d+)$/.exec(l.text)?.[1]));
    expect(ticks.every((n) => Number.isInteger(n))).toBe(true);
    expect(ticks.slice(1).map((n, i) => n - ticks[i]!)).toEqual(ticks.slice(1).map(() => 1));
    expect(got.filter((l) => l.stream === 'system')).toEqual([]);
  });

  it('a held job says why it waits, and a failed one is an error with its exit code', async () => {
    const held = await sbatch('--hold', '--job-name', 'ph-held', '--output', '/dev/null', '--wrap', 'true');
    const failed = await sbatch('--job-name', 'ph-fails', '--output', '/dev/null', '--wrap', 'exit 3');
    const h = await until(`job ${held} held`, () => (get(jobId(held))?.facts.state === 'PENDING' ? get(jobId(held)) : undefined), 40_000);
    expect(h).toMatchObject({ runtime: 'pending', reason: { text: 'pending: held by its user (scontrol release <id> lets it run)' } });
    const f = await until(`job ${failed} failed`, () => (get(jobId(failed))?.facts.state === 'FAILED' ? get(jobId(failed)) : undefined), 40_000);
    expect(f).toMatchObject({ runtime: 'error', reason: { text: 'failed with exit code 3', severity: 'error' } });
  });
});
