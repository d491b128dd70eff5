import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  expandOutputPath, noJsonSupport, parseJobDetail, parseKeyValueLine, parseNodes, parsePartitions, parseSqueueColumns,
  parseSqueueJson, SlurmParseError, squeueColumnsArgs, US,
} from '../../core/planes/ssh/slurm/parse';
import { countArgs, followArgs, LineRecords, linesArgs, parseCount } from '../../core/planes/ssh/slurm/log';
import type { Entry } from '../../core/logs/partials';

// Fixtures named *-22.05.* are what the rig's cluster-head (slurm-wlm 22.05.8) printed; the others are
// written after SLURM's documented output (OpenAPI v0.0.40 of 23.11, scontrol of 23.02).
const fixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../fixtures/slurm', name), 'utf8');

describe('squeue --json', () => {
  it('reads slurm 22.05 (OpenAPI v0.0.38): running, failed with its exit code, cancelled', () => {
    const jobs = parseSqueueJson(fixture('squeue-22.05.json'));
    expect(jobs.map((j) => [j.id, j.name, j.user, j.partition, j.state])).toEqual([
      ['1', 'alphakraken', 'kraken-read', 'p.node1', 'RUNNING'],
      ['2', 'ph-fail', 'kraken-read', 'p.node1', 'FAILED'],
      ['3', 'ph-pend', 'kraken-read', 'p.node1', 'CANCELLED'],
    ]);
    const [running, failed] = jobs;
    expect(running).toMatchObject({ nodes: 'node1', cpus: 1, reason: '', stdout: '/tmp/alphakraken-%j.out', workDir: '/tmp' });
    // 22.05 writes an unlimited time limit as null, like an unset one: scontrol's TimeLimit says which.
    expect(running!.timeLimit).toBeUndefined();
    expect(running!.started).toMatch(/^\d{10}$/);
    // 22.05 gives the wait status (768): `exit 3` is code 3.
    expect(failed).toMatchObject({ exitCode: 3, reason: 'NonZeroExitCode' });
  });

  it('reads the later shapes: numbers as {set, infinite, number}, job_state as a list, array tasks', () => {
    const [task, oom] = parseSqueueJson(fixture('squeue-v0.0.40.json'));
    expect(task).toMatchObject({ id: '2000_3', jobId: '2001', state: 'PENDING', reason: 'Priority', cpus: 4, timeLimit: '120', nodes: '' });
    expect(task!.started).toBeUndefined();
    expect(oom).toMatchObject({ id: '2010', state: 'OUT_OF_MEMORY', timeLimit: 'UNLIMITED', exitCode: 0 });
  });

  it('says what is wrong with output that is not squeue JSON', () => {
    expect(() => parseSqueueJson('squeue: error: slurm_load_jobs error: Unable to contact slurm controller')).toThrow(/squeue --json: not JSON/);
    expect(() => parseSqueueJson('{"errors":[{"error":"x","description":"Unable to contact slurm controller"}]}')).toThrow(/no "jobs" list \(Unable to contact slurm controller\)/);
  });

  it('knows an squeue without JSON by its complaint', () => {
    expect(noJsonSupport("squeue: unrecognized option '--json'")).toBe(true);
    expect(noJsonSupport('slurm_load_jobs error: Unable to contact slurm controller (connect failure)')).toBe(false);
  });
});

describe('squeue columns', () => {
  it('asks for every state with the unit separator and the name last', () => {
    const args = squeueColumnsArgs();
    expect(args).toContain('--states=all');
    const format = args.find((a) => a.startsWith('--format='))!;
    expect(format.split(US).at(-1)).toBe('%j');
  });

  it('parses the fields; a name holding | or even the separator stays whole', () => {
    const jobs = parseSqueueColumns(fixture('squeue-columns.txt'));
    expect(jobs).toHaveLength(3);
    expect(jobs[0]).toMatchObject({ id: '1001', user: 'alice', partition: 'gpu,cpu', state: 'PENDING', reason: 'ReqNodeNotAvail, UnavailableNodes:node[3-4]', nodeCount: 2, cpus: 8, timeLimit: '1-00:00:00', nodes: '', name: 'train|resnet' });
    expect(jobs[0]!.started).toBeUndefined();
    expect(jobs[1]).toMatchObject({ id: '1002_7', state: 'RUNNING', reason: '', nodes: 'node1', name: `name with ${US} separator`, started: '2026-12-06T09:01:00' });
    expect(jobs[2]).toMatchObject({ id: '1003', state: 'TIMEOUT', timeLimit: '30:00' });
  });

  it('names the line that does not have the fields', () => {
    expect(() => parseSqueueColumns(`1${US}alice\n`)).toThrow(SlurmParseError);
    expect(() => parseSqueueColumns(`JOBID PARTITION NAME\n`)).toThrow(/line 1: 1 fields, expected 12/);
  });
});

describe('scontrol show … --oneliner', () => {
  it('splits Key=Value where values hold blanks, colons and slashes', () => {
    const r = parseKeyValueLine('NodeName=n1 OS=Linux 6.1 #1 SMP AllocNode:Sid=head:12 CPUs/Task=1 Reason=Not responding [slurm@2026-12-06T11:05:00]');
    expect(r).toEqual({ NodeName: 'n1', OS: 'Linux 6.1 #1 SMP', 'AllocNode:Sid': 'head:12', 'CPUs/Task': '1', Reason: 'Not responding [slurm@2026-12-06T11:05:00]' });
  });

  it('reads the rig node and partition', () => {
    expect(parseNodes(fixture('scontrol-node-22.05.txt'))).toEqual([
      { name: 'node1', state: 'MIXED', flags: [], partitions: ['p.node1'], reason: '', cpus: 2, cpusAllocated: 1, cpuLoad: expect.any(String), memoryMb: 12052 },
    ]);
    expect(parsePartitions(fixture('scontrol-partition-22.05.txt'))).toEqual([
      { name: 'p.node1', state: 'UP', isDefault: true, nodes: 'node1', totalCpus: 2, totalNodes: 1, maxTime: 'UNLIMITED' },
    ]);
  });

  it('reads drained, down and draining nodes with their reasons', () => {
    const nodes = parseNodes(fixture('scontrol-node-states.txt'));
    expect(nodes.map((n) => [n.name, n.state, n.flags, n.partitions, n.reason])).toEqual([
      ['node1', 'MIXED', [], ['cpu', 'gpu'], ''],
      ['node2', 'IDLE', ['DRAIN'], ['cpu'], 'disk replacement, ticket 4411 [root@2026-12-06T09:12:00]'],
      ['node3', 'DOWN', ['NOT_RESPONDING'], ['gpu'], 'Not responding [slurm@2026-12-06T11:05:00]'],
      ['node4', 'ALLOCATED', ['DRAIN'], ['gpu'], 'kernel update [admin@2026-12-06T13:00:00]'],
    ]);
    expect(nodes[2]!.cpuLoad).toBeUndefined();
  });

  it('keeps the job detail fields that are set', () => {
    const [first, second] = fixture('scontrol-job-22.05.txt').trim().split('\n');
    const d = parseJobDetail(first!)!;
    expect(d).toMatchObject({ JobState: 'RUNNING', StdOut: '/tmp/alphakraken-1.out', WorkDir: '/tmp', NodeList: 'node1', TimeLimit: 'UNLIMITED', TRES: 'cpu=1,node=1,billing=1' });
    // (null), None and Unknown are not facts.
    expect(d).not.toHaveProperty('Command');
    expect(d).not.toHaveProperty('Reason');
    expect(d).not.toHaveProperty('EndTime');
    expect(parseJobDetail(second!)).toMatchObject({ JobState: 'FAILED', Reason: 'NonZeroExitCode', ExitCode: '3:0', StdOut: '/tmp/ph-fail-2.out' });
    expect(() => parseJobDetail('slurm_load_jobs error: Invalid job id specified')).toThrow(/no JobId=/);
  });
});

describe('output paths and reading them', () => {
  it('fills in squeue patterns as slurmd does', () => {
    const job = { id: '2000_3', jobId: '2001', name: 'sweep', user: 'dana', nodes: 'n1,n2' };
    expect(expandOutputPath('/scratch/%x-%A_%a.out', job)).toBe('/scratch/sweep-2000_3.out');
    expect(expandOutputPath('slurm-%j.out', { id: '42', name: 'x', user: 'u', nodes: '' })).toBe('slurm-42.out');
    expect(expandOutputPath('%u/%N/%5j-100%%.log', { id: '42', name: 'x', user: 'u', nodes: 'n1,n2' })).toBe('u/n1/00042-100%.log');
  });

  it('reads by line number from argument lists: count, print a range, follow from the line after', () => {
    expect(countArgs('/tmp/a b.out')).toEqual(['wc', '-l', '--', '/tmp/a b.out']);
    expect(parseCount('  42 /tmp/a b.out\n')).toBe(42);
    expect(parseCount('wc: /tmp/x: No such file or directory')).toBeUndefined();
    expect(linesArgs('/tmp/x', 33, 42)).toEqual(['sed', '-n', '-e', '33,42p', '-e', '42q', '--', '/tmp/x']);
    // After a tail read up to line 42, the follow starts at 43: nothing twice, nothing skipped.
    expect(followArgs('/tmp/x', { afterLine: 42 })).toEqual(['tail', '-F', '-n', '+43', '--', '/tmp/x']);
    expect(followArgs('/tmp/x', { tail: 0 })).toEqual(['tail', '-F', '-n', '0', '--', '/tmp/x']);
    expect(followArgs('-rf', {})).toEqual(['tail', '-F', '-n', '0', '--', '-rf']);
  });

  it('cuts output into whole-line records, and an over-long line into partial pieces', () => {
    const got: Entry[] = [];
    const r = new LineRecords((e) => got.push(e), 8);
    r.write(Buffer.from('one\r\ntw'));
    r.write(Buffer.from('o\n0123456789abcdefXY\nlast'));
    r.end();
    expect(got.map((e) => [e.text.toString(), e.partial])).toEqual([
      ['one', false], ['two', false], ['01234567', true], ['89abcdef', true], ['XY', false], ['last', false],
    ]);
    expect(got.every((e) => e.stream === 'stdout' && e.ts === undefined)).toBe(true);
  });
});
