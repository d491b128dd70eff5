import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Model } from '../../core/model/store';
import type { ModelObject } from '../../core/model/object';
import { parseNodes, parsePartitions, parseSqueueJson, type SlurmJob } from '../../core/planes/ssh/slurm/parse';
import { CANCEL, JOB, jobHealth, NODE, nodeHealth, PARTITION, pendingWords, slurmRules, type JobData } from '../../core/planes/ssh/slurm/rules';
import { outputPathOf } from '../../core/planes/ssh/slurm';

const fixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../fixtures/slurm', name), 'utf8');
const EP = 'ssh/cluster-head';
const obj = (kind: string, name: string, data: unknown): ModelObject => ({ plane: 'ssh', endpoint: EP, kind, ns: '', name, data });
const job = (j: Partial<SlurmJob>): SlurmJob => ({ id: '7', name: 'j', user: 'u', partition: 'cpu', state: 'RUNNING', reason: '', nodes: 'n1', ...j });

function model(objs: ModelObject[]): Model {
  const m = new Model({ schedule: () => {} });
  m.registerRules('ssh', slurmRules);
  for (const o of objs) m.upsert(o);
  m.flush();
  return m;
}

describe('slurm rules: jobs', () => {
  it('says why a job is pending, in words, keeping SLURM’s detail', () => {
    expect(pendingWords('Resources').text).toBe('pending: waiting for resources: the CPUs, memory or nodes it asks for are in use');
    expect(pendingWords('Priority').text).toMatch(/higher priority/);
    const rn = pendingWords('ReqNodeNotAvail, UnavailableNodes:node[3-4]');
    expect(rn.text).toBe('pending: a node it requires is not available (down, drained or reserved) (UnavailableNodes:node[3-4])');
    expect(rn.severity).toBe('warning');
    expect(pendingWords('QOSMaxJobsPerUserLimit').text).toMatch(/limit .* reached \(QOSMaxJobsPerUserLimit\)/);
    expect(pendingWords('SomethingNew').text).toBe('pending: SomethingNew');
    // A pending job that can never run is an error, not a wait.
    expect(jobHealth(job({ state: 'PENDING', reason: 'DependencyNeverSatisfied' })).runtime).toBe('error');
    expect(jobHealth(job({ state: 'PENDING', reason: 'Resources' })).runtime).toBe('pending');
  });

  it('makes FAILED, TIMEOUT and OUT_OF_MEMORY errors that say how they ended', () => {
    expect(jobHealth(job({ state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3 })).reasons[0]!.text).toBe('failed with exit code 3');
    expect(jobHealth(job({ state: 'TIMEOUT', timeLimit: '30' })).reasons[0]).toEqual({ text: 'killed at its time limit (30 min)', severity: 'error' });
    expect(jobHealth(job({ state: 'OUT_OF_MEMORY' }))).toMatchObject({ runtime: 'error', reasons: [{ text: expect.stringMatching(/out of memory/) }] });
    expect(jobHealth(job({ state: 'CANCELLED' })).runtime).toBe('not_applicable');
    expect(jobHealth(job({ state: 'COMPLETED' })).runtime).toBe('ok');
  });

  it('derives the rig’s queue: grouped by host, parented by partition, detail as facts, cancel only while active', () => {
    const jobs = parseSqueueJson(fixture('squeue-22.05.json'));
    const detail = { StdOut: '/tmp/alphakraken-1.out', WorkDir: '/tmp' };
    const m = model([
      ...jobs.map((j) => obj(JOB, j.id, { alias: 'cluster-head', job: j, ...(j.id === '1' ? { detail } : {}) })),
      ...parsePartitions(fixture('scontrol-partition-22.05.txt')).map((p) => obj(PARTITION, p.name, { alias: 'cluster-head', partition: p })),
      ...parseNodes(fixture('scontrol-node-22.05.txt')).map((n) => obj(NODE, n.name, { alias: 'cluster-head', node: n })),
    ]);
    const running = m.get(`${EP}/${JOB}/1`)!;
    expect(running).toMatchObject({ name: '1 alphakraken', kind: 'slurm-job', group: { kind: 'slurm', name: 'cluster-head' }, runtime: 'ok', parent: `${EP}/${PARTITION}/p.node1` });
    expect(running.facts).toMatchObject({ user: 'kraken-read', partition: 'p.node1', state: 'RUNNING', StdOut: '/tmp/alphakraken-1.out' });
    expect(running.actions).toEqual([CANCEL]);
    const failed = m.get(`${EP}/${JOB}/2`)!;
    expect(failed.runtime).toBe('error');
    expect(failed.reason!.text).toBe('failed with exit code 3');
    expect(failed.actions).toEqual([]);
    const part = m.get(`${EP}/${PARTITION}/p.node1`)!;
    expect(part.runtime).toBe('ok');
    expect(part.reasons.map((r) => r.text)).toContain('1 running, 0 pending, 1 failed recently');
    expect(m.get(`${EP}/${NODE}/node1`)).toMatchObject({ runtime: 'ok', reason: { text: 'mixed, 1/2 CPUs allocated' } });
  });

  it('finds a job’s output file: scontrol’s StdOut, else squeue’s pattern under the work dir', () => {
    const j = job({ id: '42', name: 'x', stdout: 'slurm-%j.out', workDir: '/home/u' });
    expect(outputPathOf({ alias: 'h', job: j })).toBe('/home/u/slurm-42.out');
    expect(outputPathOf({ alias: 'h', job: j, detail: { StdOut: '/tmp/x-42.out' } })).toBe('/tmp/x-42.out');
    expect(outputPathOf({ alias: 'h', job: job({}) } as JobData)).toBeUndefined();
  });
});

describe('slurm rules: nodes and partitions', () => {
  const nodes = parseNodes(fixture('scontrol-node-states.txt'));

  it('says down, not responding, drained and draining with the admin’s reason', () => {
    expect(nodes.map((n) => nodeHealth(n))).toEqual([
      { runtime: 'ok', reasons: [{ text: 'mixed, 4/8 CPUs allocated', severity: 'info' }] },
      { runtime: 'warning', reasons: [{ text: 'drained (takes no jobs): disk replacement, ticket 4411 [root@2026-12-06T09:12:00]', severity: 'warning' }] },
      { runtime: 'error', reasons: [{ text: 'down: Not responding [slurm@2026-12-06T11:05:00]', severity: 'error' }] },
      { runtime: 'warning', reasons: [{ text: 'draining (finishes its jobs, takes no new ones): kernel update [admin@2026-12-06T13:00:00]', severity: 'warning' }] },
    ]);
  });

  it('a partition whose every node is out is an error; one with some out a warning naming them', () => {
    const part = (name: string) => ({ alias: 'h', partition: { name, state: 'UP', isDefault: false, nodes: '', maxTime: 'UNLIMITED' } });
    const m = model([
      obj(PARTITION, 'cpu', part('cpu')), obj(PARTITION, 'gpu', part('gpu')),
      ...nodes.map((n) => obj(NODE, n.name, { alias: 'h', node: n })),
      obj(JOB, '9', { alias: 'h', job: job({ id: '9', partition: 'gpu', state: 'PENDING', reason: 'Resources' }) }),
    ]);
    const cpu = m.get(`${EP}/${PARTITION}/cpu`)!;
    expect(cpu.runtime).toBe('warning');
    expect(cpu.reason!.text).toBe('1 of 2 nodes out: node2 drained (takes no jobs): disk replacement, ticket 4411 [root@2026-12-06T09:12:00]');
    const gpu = m.get(`${EP}/${PARTITION}/gpu`)!;
    expect(gpu.runtime).toBe('warning');
    expect(gpu.reasons.map((r) => r.text)).toEqual([expect.stringMatching(/^2 of 3 nodes out: node3 down/), '0 running, 1 pending']);
    const down = model([obj(PARTITION, 'x', { alias: 'h', partition: { ...part('x').partition, state: 'DOWN' } })]).get(`${EP}/${PARTITION}/x`)!;
    expect(down).toMatchObject({ runtime: 'error', reason: { text: 'partition down: its queued jobs do not start' } });
  });
});
