import type { ActionSpec, Reason, Resource, RuntimeStatus, Severity } from '../../../../shared/contract/domain';
import type { Derived, ModelObject, PlaneRules } from '../../../model/object';
import type { SlurmJob, SlurmNode, SlurmPartition } from './parse';

/**
 * The pure rules of the SLURM resources on a head node: jobs, nodes and partitions of one host, grouped
 * as `{kind: 'slurm', name: <alias>}`, plus one `slurm-cluster` resource that says whether the queue can
 * be read at all. A job is bound to its own resource and to its partition's, so a partition counts its
 * running and pending jobs; a node likewise to its partitions, so a partition says which nodes are out.
 */

export const JOB = 'slurm-job';
export const NODE = 'slurm-node';
export const PARTITION = 'slurm-partition';
export const CLUSTER = 'slurm-cluster';
export const SLURM_KINDS = [JOB, NODE, PARTITION, CLUSTER] as const;

export interface JobData {
  alias: string;
  job: SlurmJob;
  /** `scontrol show job -o` fields, read when the job was first seen and whenever its state changed. */
  detail?: Record<string, string>;
}
export interface NodeData { alias: string; node: SlurmNode }
export interface PartitionData { alias: string; partition: SlurmPartition }
export interface ClusterData {
  alias: string;
  /** How the queue is read: `squeue --json`, or columns where this SLURM has no JSON output. */
  mode: 'json' | 'columns';
  /** Why the last read failed (the command and its stderr); absent when it worked. */
  error?: string;
  version?: string;
}

export const CANCEL: ActionSpec = { id: 'slurm-cancel', label: 'Cancel job', destructive: true, confirm: 'confirm' };

/** States in which a job still holds or waits for resources: scancel has something to do. */
export const ACTIVE_STATES = new Set(['PENDING', 'RUNNING', 'SUSPENDED', 'CONFIGURING', 'COMPLETING', 'REQUEUED', 'RESIZING', 'STOPPED', 'SIGNALING', 'STAGE_OUT', 'REQUEUE_HOLD', 'REQUEUE_FED', 'SPECIAL_EXIT']);

export const resourceId = (endpoint: string, kind: string, name: string) => `${endpoint}/${kind}/${name}`;

// ---- pending reasons in words ----

const PENDING_WORDS: Record<string, { text: string; severity: Severity }> = {
  Resources: { text: 'waiting for resources: the CPUs, memory or nodes it asks for are in use', severity: 'info' },
  Priority: { text: 'waiting behind jobs of higher priority', severity: 'info' },
  Dependency: { text: 'waiting for the jobs it depends on to finish', severity: 'info' },
  DependencyNeverSatisfied: { text: 'will never start: a job it depends on ended in a way its dependency does not allow', severity: 'error' },
  BeginTime: { text: 'not to start before its begin time', severity: 'info' },
  JobHeldUser: { text: 'held by its user (scontrol release <id> lets it run)', severity: 'warning' },
  JobHeldAdmin: { text: 'held by an administrator', severity: 'warning' },
  PartitionDown: { text: 'its partition is down: nothing in it starts', severity: 'error' },
  PartitionInactive: { text: 'its partition is inactive: nothing in it starts', severity: 'error' },
  PartitionNodeLimit: { text: 'asks for more nodes than its partition allows', severity: 'error' },
  PartitionTimeLimit: { text: 'asks for more time than its partition allows', severity: 'error' },
  PartitionConfig: { text: 'asks for more than its partition offers (CPUs, memory or nodes)', severity: 'error' },
  BadConstraints: { text: 'asks for resources no node can satisfy', severity: 'error' },
  InvalidAccount: { text: 'its account is not valid', severity: 'error' },
  InvalidQOS: { text: 'its QOS is not valid', severity: 'error' },
  Reservation: { text: 'waiting for its reservation to start', severity: 'info' },
  NodeDown: { text: 'a node it needs is down', severity: 'warning' },
  Licenses: { text: 'waiting for licenses', severity: 'info' },
  JobArrayTaskLimit: { text: 'its array is at its limit of tasks running at once', severity: 'info' },
  launch_failed_requeued_held: { text: 'failed to launch and was held: look at the node, then scontrol release it', severity: 'error' },
  ReqNodeNotAvail: { text: 'a node it requires is not available (down, drained or reserved)', severity: 'warning' },
};

/** A pending job's reason code in words: known codes explained, limits named, anything else as SLURM says it. */
export function pendingWords(reason: string): { text: string; severity: Severity } {
  if (!reason) return { text: 'pending (SLURM gives no reason yet)', severity: 'info' };
  // `ReqNodeNotAvail, UnavailableNodes:node[1-2]`: the code, then SLURM's own detail.
  const comma = reason.indexOf(',');
  const code = (comma < 0 ? reason : reason.slice(0, comma)).trim().replace(/^\(|\)$/g, '');
  const rest = comma < 0 ? '' : reason.slice(comma + 1).trim();
  const known = PENDING_WORDS[code];
  if (known) return { text: `pending: ${known.text}${rest ? ` (${rest})` : ''}`, severity: known.severity };
  if (/Max.*(PerUser|PerAccount|Limit)|Limit$/.test(code)) return { text: `pending: a limit of its user, account or QOS is reached (${code})`, severity: 'info' };
  return { text: `pending: ${reason}`, severity: 'info' };
}

// ---- jobs ----

function when(v: string | undefined): string | undefined {
  if (!v) return undefined;
  return /^\d+$/.test(v) ? new Date(Number(v) * 1000).toISOString() : v;
}

function stateSinceOf(job: SlurmJob): number | undefined {
  const t = job.started ?? job.submitted;
  return t && /^\d+$/.test(t) ? Number(t) * 1000 : undefined;
}

export function jobHealth(job: SlurmJob, detail?: Record<string, string>): { runtime: RuntimeStatus; reasons: Reason[] } {
  const exit = job.exitCode ?? (detail?.ExitCode ? Number(detail.ExitCode.split(':')[0]) : undefined);
  const limit = job.timeLimit ?? detail?.TimeLimit;
  switch (job.state) {
    case 'PENDING': {
      const w = pendingWords(job.reason);
      return { runtime: w.severity === 'error' ? 'error' : 'pending', reasons: [{ text: w.text, severity: w.severity }] };
    }
    case 'RUNNING':
    case 'CONFIGURING':
      return { runtime: 'ok', reasons: [{ text: `running on ${job.nodes || '?'}`, severity: 'info' }] };
    case 'COMPLETING':
      return { runtime: 'ok', reasons: [{ text: 'completing: its processes are ending', severity: 'info' }] };
    case 'COMPLETED':
      return { runtime: 'ok', reasons: [{ text: 'completed (exit code 0)', severity: 'info' }] };
    case 'CANCELLED':
      return { runtime: 'not_applicable', reasons: [{ text: 'cancelled', severity: 'info' }] };
    case 'FAILED':
      return { runtime: 'error', reasons: [{ text: `failed${exit !== undefined && Number.isFinite(exit) ? ` with exit code ${exit}` : ''}${job.reason && job.reason !== 'NonZeroExitCode' ? ` (${job.reason})` : ''}`, severity: 'error' }] };
    case 'TIMEOUT':
      return { runtime: 'error', reasons: [{ text: `killed at its time limit${limit ? ` (${limit === 'UNLIMITED' || /\D/.test(limit) ? limit : `${limit} min`})` : ''}`, severity: 'error' }] };
    case 'OUT_OF_MEMORY':
      return { runtime: 'error', reasons: [{ text: 'killed: out of memory (it used more than it asked for)', severity: 'error' }] };
    case 'NODE_FAIL':
      return { runtime: 'error', reasons: [{ text: `ended because a node it ran on failed${job.nodes ? ` (${job.nodes})` : ''}`, severity: 'error' }] };
    case 'BOOT_FAIL':
      return { runtime: 'error', reasons: [{ text: 'a node it was given failed to boot', severity: 'error' }] };
    case 'DEADLINE':
      return { runtime: 'error', reasons: [{ text: 'ended at its deadline', severity: 'error' }] };
    case 'PREEMPTED':
      return { runtime: 'warning', reasons: [{ text: 'preempted by a job of higher priority', severity: 'warning' }] };
    case 'SUSPENDED':
    case 'STOPPED':
      return { runtime: 'warning', reasons: [{ text: `${job.state.toLowerCase()}${job.reason ? ` (${job.reason})` : ''}`, severity: 'warning' }] };
    default:
      return { runtime: 'unknown', reasons: [{ text: `state ${job.state}${job.reason ? ` (${job.reason})` : ''}`, severity: 'info' }] };
  }
}

function deriveJob(id: string, endpoint: string, d: JobData): Derived {
  const { job, detail } = d;
  const h = jobHealth(job, detail);
  const facts: Record<string, string> = { job: job.id, user: job.user, partition: job.partition, state: job.state };
  const add = (k: string, v: string | number | undefined) => { if (v !== undefined && v !== '') facts[k] = String(v); };
  add('reason', job.reason);
  add('nodes', job.nodes);
  add('cpus', job.cpus);
  add('submitted', when(job.submitted));
  add('started', when(job.started));
  add('time limit', job.timeLimit);
  add('exit code', job.exitCode);
  for (const [k, v] of Object.entries(detail ?? {})) if (!(k in facts)) facts[k] = v;
  const partition = job.partition.split(',')[0];
  return {
    resource: {
      id,
      name: `${job.id} ${job.name}`,
      kind: JOB,
      plane: 'ssh',
      endpoint,
      group: { kind: 'slurm', name: d.alias },
      runtime: h.runtime,
      reason: h.reasons[0],
      reasons: h.reasons,
      facts,
      actions: ACTIVE_STATES.has(job.state) ? [CANCEL] : [],
      ...(partition ? { parent: resourceId(endpoint, PARTITION, partition) } : {}),
      ...(stateSinceOf(job) !== undefined ? { stateSince: stateSinceOf(job) } : {}),
    },
  };
}

// ---- nodes ----

export function nodeHealth(n: SlurmNode): { runtime: RuntimeStatus; reasons: Reason[] } {
  const why = n.reason ? `: ${n.reason}` : '';
  const flags = new Set(n.flags);
  const busy = n.state === 'ALLOCATED' || n.state === 'MIXED' || n.state === 'COMPLETING';
  if (n.state === 'DOWN') return { runtime: 'error', reasons: [{ text: `down${why}`, severity: 'error' }] };
  if (flags.has('NOT_RESPONDING')) return { runtime: 'error', reasons: [{ text: `not responding to slurmctld${why}`, severity: 'error' }] };
  if (n.state === 'FAIL' || flags.has('FAIL')) return { runtime: 'error', reasons: [{ text: `failed${why}`, severity: 'error' }] };
  if (n.state === 'DRAINED' || flags.has('DRAIN') || n.state === 'DRAINING') {
    const draining = n.state === 'DRAINING' || (flags.has('DRAIN') && busy);
    return { runtime: 'warning', reasons: [{ text: `${draining ? 'draining (finishes its jobs, takes no new ones)' : 'drained (takes no jobs)'}${why}`, severity: 'warning' }] };
  }
  if (n.state === 'UNKNOWN') return { runtime: 'unknown', reasons: [{ text: 'state unknown to slurmctld', severity: 'warning' }] };
  if (n.state === 'FUTURE' || flags.has('POWERED_DOWN') || flags.has('POWER_DOWN')) return { runtime: 'not_applicable', reasons: [{ text: 'powered down or not yet in service', severity: 'info' }] };
  const cpus = n.cpus !== undefined ? `, ${n.cpusAllocated ?? 0}/${n.cpus} CPUs allocated` : '';
  return { runtime: 'ok', reasons: [{ text: `${n.state.toLowerCase()}${cpus}`, severity: 'info' }] };
}

function deriveNode(id: string, endpoint: string, d: NodeData): Derived {
  const n = d.node;
  const h = nodeHealth(n);
  const facts: Record<string, string> = { state: [n.state, ...n.flags].join('+'), partitions: n.partitions.join(', ') };
  if (n.reason) facts.reason = n.reason;
  if (n.cpus !== undefined) facts.cpus = `${n.cpusAllocated ?? 0}/${n.cpus} allocated`;
  if (n.cpuLoad) facts.load = n.cpuLoad;
  if (n.memoryMb !== undefined) facts.memory = `${n.memoryMb} MB`;
  return {
    resource: {
      id, name: n.name, kind: NODE, plane: 'ssh', endpoint, group: { kind: 'slurm', name: d.alias },
      runtime: h.runtime, reason: h.reasons[0], reasons: h.reasons, facts, actions: [],
      ...(n.partitions[0] ? { parent: resourceId(endpoint, PARTITION, n.partitions[0]) } : {}),
    },
  };
}

// ---- partitions ----

function derivePartition(id: string, endpoint: string, d: PartitionData, objects: readonly ModelObject[]): Derived {
  const p = d.partition;
  const states = new Map<string, number>();
  const out: string[] = [];
  let nodes = 0;
  for (const o of objects) {
    if (o.kind === JOB) {
      const s = (o.data as JobData).job.state;
      states.set(s, (states.get(s) ?? 0) + 1);
    } else if (o.kind === NODE) {
      nodes++;
      const h = nodeHealth((o.data as NodeData).node);
      if (h.runtime === 'error' || h.runtime === 'warning') out.push(`${o.name} ${h.reasons[0]!.text}`);
    }
  }
  const reasons: Reason[] = [];
  let runtime: RuntimeStatus = 'ok';
  if (p.state === 'DOWN' || p.state === 'INACTIVE') {
    runtime = 'error';
    reasons.push({ text: `partition ${p.state.toLowerCase()}: its queued jobs do not start`, severity: 'error' });
  } else if (p.state === 'DRAIN') {
    runtime = 'warning';
    reasons.push({ text: 'partition draining: takes no new jobs', severity: 'warning' });
  }
  if (out.length) {
    const all = out.length === nodes;
    if (all) runtime = 'error';
    else if (runtime === 'ok') runtime = 'warning';
    reasons.push({ text: `${all ? 'every node' : `${out.length} of ${nodes} nodes`} out: ${out.slice(0, 3).join('; ')}${out.length > 3 ? ` and ${out.length - 3} more` : ''}`, severity: all ? 'error' : 'warning' });
  }
  const running = states.get('RUNNING') ?? 0;
  const pending = states.get('PENDING') ?? 0;
  const failed = (states.get('FAILED') ?? 0) + (states.get('TIMEOUT') ?? 0) + (states.get('OUT_OF_MEMORY') ?? 0) + (states.get('NODE_FAIL') ?? 0);
  reasons.push({ text: `${running} running, ${pending} pending${failed ? `, ${failed} failed recently` : ''}`, severity: 'info' });
  const facts: Record<string, string> = { state: p.state, default: p.isDefault ? 'yes' : 'no', nodes: p.nodes, 'max time': p.maxTime, running: String(running), pending: String(pending) };
  if (p.totalCpus !== undefined) facts.cpus = String(p.totalCpus);
  return {
    resource: {
      id, name: p.name, kind: PARTITION, plane: 'ssh', endpoint, group: { kind: 'slurm', name: d.alias },
      runtime, reason: reasons[0], reasons, facts, actions: [],
    },
  };
}

function deriveCluster(id: string, endpoint: string, d: ClusterData): Derived {
  const reasons: Reason[] = d.error
    ? [{ text: d.error, severity: 'error' }]
    : [{ text: `queue read with ${d.mode === 'json' ? 'squeue --json' : 'squeue columns (this SLURM has no JSON output)'}`, severity: 'info' }];
  const facts: Record<string, string> = { mode: d.mode };
  if (d.version) facts.version = d.version;
  return {
    resource: {
      id, name: d.alias, kind: CLUSTER, plane: 'ssh', endpoint, group: { kind: 'slurm', name: d.alias },
      runtime: d.error ? 'error' : 'ok', reason: reasons[0], reasons, facts, actions: [],
    },
  };
}

export const slurmRules: PlaneRules = {
  bind(o) {
    const own = resourceId(o.endpoint, o.kind, o.name);
    if (o.kind === JOB) {
      const parts = (o.data as JobData).job.partition.split(',').filter(Boolean);
      return [own, ...parts.map((p) => resourceId(o.endpoint, PARTITION, p))];
    }
    if (o.kind === NODE) return [own, ...(o.data as NodeData).node.partitions.map((p) => resourceId(o.endpoint, PARTITION, p))];
    if (o.kind === PARTITION || o.kind === CLUSTER) return [own];
    return [];
  },
  derive(id, objects) {
    const parts = id.split('/');
    const kind = parts[2];
    const name = parts.slice(3).join('/');
    const endpoint = parts.slice(0, 2).join('/');
    const own = objects.find((o) => o.kind === kind && o.name === name);
    if (!own) return undefined;
    switch (kind) {
      case JOB: return deriveJob(id, endpoint, own.data as JobData);
      case NODE: return deriveNode(id, endpoint, own.data as NodeData);
      case PARTITION: return derivePartition(id, endpoint, own.data as PartitionData, objects);
      case CLUSTER: return deriveCluster(id, endpoint, own.data as ClusterData);
      default: return undefined;
    }
  },
};

/** The job a resource stands for, from the model's objects. */
export function jobDataOf(resource: Pick<Resource, 'id'>, objects: readonly ModelObject[]): JobData | undefined {
  const name = resource.id.split('/').slice(3).join('/');
  return objects.find((o) => o.kind === JOB && o.name === name)?.data as JobData | undefined;
}
