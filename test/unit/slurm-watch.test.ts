import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelObject } from '../../core/model/object';
import type { PlaneSink } from '../../core/planes/plane';
import type { RemoteCommandResult } from '../../core/planes/ssh/command';
import type { SshConnection, SshConnectionState } from '../../core/planes/ssh/connection';
import type { HostSettings } from '../../core/planes/ssh/settings';
import { US } from '../../core/planes/ssh/slurm/parse';
import type { ClusterData, JobData } from '../../core/planes/ssh/slurm/rules';
import { SlurmWatch } from '../../core/planes/ssh/slurm/watch';

// The watch against scripted command output (the rig test runs it against the real cluster-head).
const fixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../fixtures/slurm', name), 'utf8');
const EP = 'ssh/cluster-head';

class FakeConnection {
  state: SshConnectionState = { state: 'connected', since: 0, via: ['kraken-infra'] };
  private fns = new Set<(s: SshConnectionState) => void>();
  subscribe(fn: (s: SshConnectionState) => void) { this.fns.add(fn); return () => this.fns.delete(fn); }
  set(s: SshConnectionState) { this.state = s; for (const f of this.fns) f(s); }
}

const result = (stdout: string, exitCode = 0, stderr = ''): RemoteCommandResult => ({
  command: '', exitCode, timedOut: false, aborted: false, lost: false, durationMs: 1, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr),
  mayStillRun: false, truncated: { stdout: 0, stderr: 0 },
});

function setup(outputs: Record<string, () => RemoteCommandResult>) {
  const calls: string[] = [];
  const events: Array<{ op: 'upsert' | 'remove' | 'reconcile'; key: string; kinds?: readonly string[] }> = [];
  const sink = {
    upsert: (o: ModelObject) => events.push({ op: 'upsert', key: `${o.kind}/${o.name}` }),
    remove: (k: string) => events.push({ op: 'remove', key: k }),
    reconcile: (_ep: string, objs: Iterable<ModelObject>, kinds?: readonly string[]) => events.push({ op: 'reconcile', key: [...objs].map((o) => `${o.kind}/${o.name}`).join(' '), kinds }),
  } as unknown as PlaneSink;
  const objects = new Map<string, ModelObject>();
  const origUpsert = sink.upsert;
  const origReconcile = sink.reconcile;
  sink.upsert = (o) => { objects.set(`${o.kind}/${o.name}`, o); origUpsert(o); };
  sink.reconcile = (ep, objs, kinds) => { const list = [...objs]; for (const o of list) objects.set(`${o.kind}/${o.name}`, o); origReconcile(ep, list, kinds); };
  const conn = new FakeConnection();
  const settings = { alias: 'cluster-head', slurm: true } as HostSettings;
  const run = async (_h: unknown, args: readonly string[]) => {
    const key = args.slice(0, 3).join(' ');
    calls.push(args.join(' '));
    const f = outputs[key] ?? outputs[args.slice(0, 2).join(' ')];
    if (!f) throw new Error(`no scripted output for ${key}`);
    return f();
  };
  const watch = new SlurmWatch({ alias: 'cluster-head', endpoint: EP, connection: conn as unknown as SshConnection, settings, sink, now: () => 0 }, { run, intervalMs: 3_600_000 });
  cleanup.push(() => watch.stop());
  return { watch, conn, calls, events, objects };
}

const cleanup: Array<() => void> = [];
afterEach(() => { for (const f of cleanup.splice(0)) f(); });

const base = {
  'squeue --version': () => result('slurm-wlm 22.05.8\n'),
  'scontrol show node': () => result(fixture('scontrol-node-22.05.txt')),
  'scontrol show partition': () => result(fixture('scontrol-partition-22.05.txt')),
  'scontrol show job': () => result(fixture('scontrol-job-22.05.txt').split('\n')[0]!),
};

describe('the SLURM watch', () => {
  it('reconciles on the first read, then upserts only what changed and removes what left', async () => {
    let squeue = fixture('squeue-22.05.json');
    const w = setup({ ...base, 'squeue --json': () => result(squeue) });
    await w.watch.firstRead;
    expect(w.events).toEqual([{ op: 'reconcile', key: 'slurm-cluster/cluster-head slurm-node/node1 slurm-partition/p.node1 slurm-job/1 slurm-job/2 slurm-job/3', kinds: ['slurm-job', 'slurm-node', 'slurm-partition', 'slurm-cluster'] }]);
    // Detail once per job seen.
    expect(w.calls.filter((c) => c.startsWith('scontrol show job'))).toEqual(['scontrol show job --oneliner 1', 'scontrol show job --oneliner 2', 'scontrol show job --oneliner 3']);

    // The same queue again: nothing sent, no detail read again.
    w.events.length = 0;
    w.calls.length = 0;
    await w.watch.refresh();
    expect(w.events).toEqual([]);
    expect(w.calls.some((c) => c.startsWith('scontrol show job'))).toBe(false);

    // Job 2 leaves the queue, job 1 changes state: one upsert, one removal, one detail read.
    const doc = JSON.parse(squeue) as { jobs: Array<{ job_id: number; job_state: string }> };
    doc.jobs = doc.jobs.filter((j) => j.job_id !== 2);
    doc.jobs.find((j) => j.job_id === 1)!.job_state = 'COMPLETING';
    squeue = JSON.stringify(doc);
    w.events.length = 0;
    w.calls.length = 0;
    await w.watch.refresh();
    expect(w.events).toEqual([{ op: 'upsert', key: 'slurm-job/1' }, { op: 'remove', key: `${EP}/slurm-job//2` }]);
    expect(w.calls.filter((c) => c.startsWith('scontrol show job'))).toEqual(['scontrol show job --oneliner 1']);
    expect((w.objects.get('slurm-job/1')!.data as JobData).job.state).toBe('COMPLETING');
  });

  it('reads nothing while lost and reconciles again after the reconnect', async () => {
    const w = setup({ ...base, 'squeue --json': () => result(fixture('squeue-22.05.json')) });
    await w.watch.firstRead;
    w.conn.set({ state: 'lost', why: 'cluster-head: Keepalive timeout', since: 0, attempt: 1, retryAt: 1 });
    w.events.length = 0;
    w.calls.length = 0;
    await w.watch.refresh();
    expect(w.calls).toEqual([]);
    w.conn.set({ state: 'connected', since: 0, via: [] });
    await new Promise((r) => setImmediate(r));
    await w.watch.refresh();
    expect(w.events[0]).toMatchObject({ op: 'reconcile' });
  });

  it('falls back to columns where squeue has no --json, and says so', async () => {
    const line = ['5', 'alice', 'p.node1', 'PENDING', 'Priority', '1', '1', 'UNLIMITED', '2026-12-06T10:00:00', 'N/A', '', 'train'].join(US);
    const w = setup({ ...base, 'squeue --json': () => result('', 1, "squeue: unrecognized option '--json'\n"), 'squeue --noheader': () => result(`${line}\n`) });
    await w.watch.firstRead;
    const cluster = w.objects.get('slurm-cluster/cluster-head')?.data as ClusterData | undefined;
    expect(w.events[0]!.key).toContain('slurm-job/5');
    expect(w.calls).toContain(`squeue --noheader --all --states=all --format=${['%i', '%u', '%P', '%T', '%r', '%D', '%C', '%l', '%V', '%S', '%N', '%j'].join(US)}`);
    expect(cluster).toEqual({ alias: 'cluster-head', mode: 'columns', version: 'slurm-wlm 22.05.8' });
    expect((w.objects.get('slurm-job/5')!.data as JobData).job).toMatchObject({ user: 'alice', state: 'PENDING', reason: 'Priority', name: 'train' });
    w.events.length = 0;
    w.calls.length = 0;
    await w.watch.refresh();
    expect(w.calls.some((c) => c === 'squeue --json')).toBe(false);
  });

  it('a queue that cannot be read is an error on the cluster row, with the command and its stderr', async () => {
    const w = setup({ ...base, 'squeue --json': () => result('', 1, 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n') });
    await w.watch.firstRead;
    const cluster = w.objects.get('slurm-cluster/cluster-head')!.data as ClusterData;
    expect(cluster.error).toBe('squeue --json failed (exit code 1): slurm_load_jobs error: Unable to contact slurm controller (connect failure)');
  });
});
