import type { ModelObject } from '../../../model/object';
import { runRemoteCommand, type RemoteCommandHost, type RemoteCommandResult } from '../command';
import type { SshConnectionState } from '../connection';
import type { SshFeatureContext } from '../feature';
import { noJsonSupport, parseJobDetail, parseNodes, parsePartitions, parseSqueueColumns, parseSqueueJson, squeueColumnsArgs, type SlurmJob } from './parse';
import { CLUSTER, JOB, NODE, PARTITION, SLURM_KINDS, type ClusterData, type JobData, type NodeData, type PartitionData } from './rules';

/**
 * Reads one head node's queue, nodes and partitions every `intervalMs` while its connection is up (SLURM
 * has no event stream to watch). Only objects whose data changed are upserted, a job that left the queue
 * is removed, and the first read after each (re)connect is a full reconcile, so nothing stale stays.
 * A job's `scontrol show job` detail is read when the job is first seen and when its state changes, not
 * on every round.
 */

export const SLURM_REFRESH_MS = 10_000;
/** A queue bigger than this in JSON (~4 KB a job) is read in columns instead. */
const JSON_MAX_BYTES = 16 * 1024 * 1024;
const COMMAND_TIMEOUT_MS = 30_000;
/** Detail reads per round: a burst of new jobs gets its detail over the next rounds, not all at once. */
const DETAILS_PER_ROUND = 20;

export type RunCommand = (host: RemoteCommandHost, args: readonly string[], opts?: { timeoutMs?: number; keepBytes?: number }) => Promise<RemoteCommandResult>;

export interface SlurmWatchOptions {
  intervalMs?: number;
  run?: RunCommand;
}

function failure(args: readonly string[], r: RemoteCommandResult): string {
  const err = r.stderr.toString('utf8').trim().split('\n').slice(-3).join(' / ');
  const how = r.timedOut ? 'timed out' : r.lost ? 'lost with the connection' : `exit code ${r.exitCode}`;
  return `${args.slice(0, 2).join(' ')} failed (${how})${err ? `: ${err}` : ''}`;
}

export class SlurmWatch {
  private readonly intervalMs: number;
  private readonly run: RunCommand;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly off: () => void;
  private stopped = false;
  private inFlight: Promise<void> | undefined;
  private again = false;
  /** Whether the next round must reconcile (first after a connect). */
  private fresh = true;
  private mode: 'json' | 'columns' = 'json';
  /** What was last sent per object key, as JSON: the change test. */
  private readonly sent = new Map<string, string>();
  private readonly jobs = new Map<string, JobData>();
  private version: string | undefined;
  /** Settles after the first round, or when the connection's first attempt ends elsewhere than connected. */
  readonly firstRead: Promise<void>;
  private firstReadDone!: () => void;

  constructor(private readonly ctx: SshFeatureContext, opts: SlurmWatchOptions = {}) {
    this.firstRead = new Promise((r) => { this.firstReadDone = r; });
    this.intervalMs = opts.intervalMs ?? SLURM_REFRESH_MS;
    this.run = opts.run ?? runRemoteCommand;
    this.off = ctx.connection.subscribe((s) => this.onConnection(s));
    if (ctx.connection.state.state === 'connected') void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.firstReadDone();
    this.off();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads everything now (after an action, or on the timer); concurrent calls share one round. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight = this.round()
      .catch(() => {})
      .finally(() => {
        this.inFlight = undefined;
        this.firstReadDone();
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          void this.refresh();
        } else if (this.ctx.connection.state.state === 'connected') {
          this.timer = setTimeout(() => void this.refresh(), this.intervalMs);
        }
      });
    return this.inFlight;
  }

  private onConnection(s: SshConnectionState): void {
    if (this.stopped) return;
    if (s.state === 'connected') {
      this.fresh = true;
      void this.refresh();
    } else {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (s.state !== 'connecting' && s.state !== 'idle') this.firstReadDone();
    }
  }

  private exec(args: readonly string[], keepBytes?: number): Promise<RemoteCommandResult> {
    return this.run(this.ctx.connection, args, { timeoutMs: COMMAND_TIMEOUT_MS, ...(keepBytes ? { keepBytes } : {}) });
  }

  private async round(): Promise<void> {
    const conn = this.ctx.connection;
    if (conn.state.state !== 'connected') return;
    let jobs: SlurmJob[];
    let error: string | undefined;
    try {
      jobs = await this.readJobs();
    } catch (err) {
      if (conn.state.state !== 'connected') return;   // the connection's own state says why
      this.cluster((err as Error).message);
      return;
    }
    const nodesArgs = ['scontrol', 'show', 'node', '--oneliner'];
    const partsArgs = ['scontrol', 'show', 'partition', '--oneliner'];
    const [nodesR, partsR] = await Promise.all([this.exec(nodesArgs), this.exec(partsArgs)]);
    if (this.stopped) return;
    const objs: ModelObject[] = [];
    const alias = this.ctx.alias;
    try {
      if (nodesR.exitCode !== 0) throw new Error(failure(nodesArgs, nodesR));
      for (const node of parseNodes(nodesR.stdout.toString('utf8'))) objs.push(this.obj<NodeData>(NODE, node.name, { alias, node }));
      if (partsR.exitCode !== 0) throw new Error(failure(partsArgs, partsR));
      for (const partition of parsePartitions(partsR.stdout.toString('utf8'))) objs.push(this.obj<PartitionData>(PARTITION, partition.name, { alias, partition }));
    } catch (err) {
      error = (err as Error).message;
    }
    const seen = new Set<string>();
    let details = 0;
    for (const job of jobs) {
      seen.add(job.id);
      const before = this.jobs.get(job.id);
      let detail = before?.job.state === job.state ? before.detail : undefined;
      if (!detail && details < DETAILS_PER_ROUND) {
        details++;
        detail = await this.readDetail(job.id);
        if (this.stopped) return;
      }
      const data: JobData = { alias, job, ...(detail ? { detail } : {}) };
      this.jobs.set(job.id, data);
      objs.push(this.obj(JOB, job.id, data));
    }
    for (const id of [...this.jobs.keys()]) if (!seen.has(id)) this.jobs.delete(id);
    this.cluster(error, objs);
  }

  private async readJobs(): Promise<SlurmJob[]> {
    if (this.version === undefined) {
      const v = await this.exec(['squeue', '--version']);
      if (v.exitCode === 0) this.version = v.stdout.toString('utf8').trim();
    }
    if (this.mode === 'json') {
      const args = ['squeue', '--json'];
      const r = await this.exec(args, JSON_MAX_BYTES);
      if (r.exitCode === 0 && r.truncated.stdout === 0) return parseSqueueJson(r.stdout.toString('utf8'));
      // No JSON in this SLURM (or a queue too big for it): columns from now on.
      if ((r.exitCode !== 0 && noJsonSupport(r.stderr.toString('utf8'))) || r.truncated.stdout > 0) this.mode = 'columns';
      else throw new Error(failure(args, r));
    }
    const args = squeueColumnsArgs();
    const r = await this.exec(args);
    if (r.exitCode !== 0) throw new Error(failure(args, r));
    return parseSqueueColumns(r.stdout.toString('utf8'));
  }

  private async readDetail(id: string): Promise<Record<string, string> | undefined> {
    const r = await this.exec(['scontrol', 'show', 'job', '--oneliner', id]);
    if (r.exitCode !== 0) return undefined;   // the job just left slurmctld's memory: the next round drops it
    try {
      return parseJobDetail(r.stdout.toString('utf8'));
    } catch {
      return undefined;
    }
  }

  private obj<T>(kind: string, name: string, data: T): ModelObject<T> {
    return { plane: 'ssh', endpoint: this.ctx.endpoint, kind, ns: '', name, data };
  }

  /** Publishes the cluster object and, when the round read them, the rest: changed objects only. */
  private cluster(error: string | undefined, objs?: ModelObject[]): void {
    const sink = this.ctx.sink;
    const all: ModelObject[] = [this.obj<ClusterData>(CLUSTER, this.ctx.alias, { alias: this.ctx.alias, mode: this.mode, ...(error ? { error } : {}), ...(this.version ? { version: this.version } : {}) })];
    if (objs) all.push(...objs);
    const key = (o: ModelObject) => `${o.kind}/${o.name}`;
    if (objs && this.fresh) {
      this.fresh = false;
      // A full list after a (re)connect: whatever was there before and is gone now goes.
      this.sent.clear();
      for (const o of all) this.sent.set(key(o), JSON.stringify(o.data));
      sink.reconcile(this.ctx.endpoint, all, error ? [JOB, CLUSTER] : SLURM_KINDS);
      return;
    }
    const keep = new Set<string>();
    for (const o of all) {
      const k = key(o);
      keep.add(k);
      const text = JSON.stringify(o.data);
      if (this.sent.get(k) === text) continue;
      this.sent.set(k, text);
      sink.upsert(o);
    }
    if (!objs) return;
    for (const k of [...this.sent.keys()]) {
      if (keep.has(k)) continue;
      const kind = k.slice(0, k.indexOf('/'));
      // Nodes and partitions stay as last read when only their read failed.
      if (error && kind !== JOB) continue;
      this.sent.delete(k);
      sink.remove(`${this.ctx.endpoint}/${kind}//${k.slice(kind.length + 1)}`);
    }
  }

  /** The job as last read (the log source and the cancel action look here). */
  job(id: string): JobData | undefined {
    return this.jobs.get(id);
  }
}
