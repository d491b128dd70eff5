/**
 * SLURM's command output to plain records: pure functions, tested with fixtures from slurm 22.05 and
 * the later OpenAPI shapes. `squeue --json` where the version has it (21.08+); otherwise columns from
 * `squeue -o` with the unit separator (0x1F) between fields and the job name, the one free-text field,
 * last, so even a name holding the separator cannot shift the others. Nodes, partitions and job detail
 * come from `scontrol show … -o` (one record per line, Key=Value), which every version prints the same.
 */

export const US = '\x1f';

export interface SlurmJob {
  /** `123`, or `123_4` for a task of an array job: what scancel and scontrol take. */
  id: string;
  /** The job's own number (an array task has one besides `<array>_<task>`), where squeue gives it. */
  jobId?: string;
  name: string;
  user: string;
  /** One partition, or several (`a,b`) for a pending job that may run in either. */
  partition: string;
  /** Base state in capitals: PENDING, RUNNING, COMPLETING, FAILED, TIMEOUT, OUT_OF_MEMORY ... */
  state: string;
  /** Why it is pending or ended ('' for None). `ReqNodeNotAvail, UnavailableNodes:n[1-2]` kept whole. */
  reason: string;
  /** Allocated nodes ('' while pending). */
  nodes: string;
  cpus?: number;
  nodeCount?: number;
  /** Seconds since the epoch (JSON) or the head's local time as text (columns). */
  submitted?: string;
  started?: string;
  /** Minutes, `UNLIMITED`, or squeue's text (`1-00:00:00`). */
  timeLimit?: string;
  /** The output file as squeue has it (JSON only; may hold %j-style patterns: see expandOutputPath). */
  stdout?: string;
  workDir?: string;
  exitCode?: number;
}

export class SlurmParseError extends Error {}

// ---- squeue --json (OpenAPI v0.0.37 … v0.0.40+) ----

/** A number as the OpenAPI versions write it: plain, or `{set, infinite, number}` from v0.0.39 on. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v && typeof v === 'object') {
    const o = v as { set?: boolean; infinite?: boolean; number?: number };
    if (o.infinite) return Infinity;
    if (o.set === false) return undefined;
    if (typeof o.number === 'number') return o.number;
  }
  return undefined;
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.filter((x) => typeof x === 'string').join(',');
  return '';
}

/** v0.0.40 gives job_state as a list (`["PENDING","REQUEUED"]`); the first is the base state. */
function baseState(v: unknown): string {
  const s = Array.isArray(v) ? str(v[0]) : str(v);
  return s.split(/[+ ,]/)[0]!.toUpperCase();
}

function exitOf(v: unknown): number | undefined {
  // v0.0.40: {status: [...], return_code: {number}}; before: a number.
  if (v && typeof v === 'object' && 'return_code' in (v as object)) return num((v as { return_code: unknown }).return_code);
  // Before v0.0.40 it is the raw wait status: `exit 3` is 768, the code in the high byte.
  const n = num(v);
  return n === undefined ? undefined : n >> 8;
}

function timeLimit(v: unknown): string | undefined {
  const n = num(v);
  if (n === Infinity) return 'UNLIMITED';
  return n === undefined ? undefined : String(n);
}

export function parseSqueueJson(text: string): SlurmJob[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SlurmParseError(`squeue --json: not JSON (${(err as Error).message})`);
  }
  const d = doc as { jobs?: unknown; errors?: unknown };
  const errors = Array.isArray(d.errors) ? d.errors : [];
  const firstError = errors[0] as { error?: string; description?: string } | undefined;
  if (!Array.isArray(d.jobs)) {
    throw new SlurmParseError(`squeue --json: no "jobs" list${firstError ? ` (${firstError.description || firstError.error})` : ''}`);
  }
  const out: SlurmJob[] = [];
  for (const raw of d.jobs as Record<string, unknown>[]) {
    const jobId = num(raw.job_id);
    if (jobId === undefined) continue;
    const arrayJob = num(raw.array_job_id);
    const arrayTask = num(raw.array_task_id);
    const id = arrayJob && arrayTask !== undefined && arrayTask !== Infinity ? `${arrayJob}_${arrayTask}` : String(jobId);
    const reason = str(raw.state_reason);
    const desc = str(raw.state_description);
    const job: SlurmJob = {
      id,
      ...(id !== String(jobId) ? { jobId: String(jobId) } : {}),
      name: str(raw.name),
      user: str(raw.user_name) || String(num(raw.user_id) ?? ''),
      partition: str(raw.partition),
      state: baseState(raw.job_state),
      reason: reason === 'None' ? '' : desc && !desc.startsWith(reason) ? `${reason}, ${desc}` : desc || reason,
      nodes: str(raw.nodes),
    };
    const cpus = num(raw.cpus);
    if (cpus !== undefined) job.cpus = cpus;
    const nodeCount = num(raw.node_count);
    if (nodeCount !== undefined) job.nodeCount = nodeCount;
    const submitted = num(raw.submit_time);
    if (submitted) job.submitted = String(submitted);
    const started = num(raw.start_time);
    if (started && job.state !== 'PENDING') job.started = String(started);
    const tl = timeLimit(raw.time_limit);
    if (tl !== undefined) job.timeLimit = tl;
    const so = str(raw.standard_output);
    if (so) job.stdout = so;
    const wd = str(raw.current_working_directory);
    if (wd) job.workDir = wd;
    const ec = exitOf(raw.exit_code);
    if (ec !== undefined) job.exitCode = ec;
    out.push(job);
  }
  return out;
}

// ---- squeue -o (columns) ----

/** The fields, in order; the name (free text) last. `%r` is the reason alone, `%N` the node list. */
const SQUEUE_FIELDS = ['%i', '%u', '%P', '%T', '%r', '%D', '%C', '%l', '%V', '%S', '%N', '%j'] as const;

/** The argument list for squeue in columns: every job of every user, any state still in memory. */
export function squeueColumnsArgs(): string[] {
  return ['squeue', '--noheader', '--all', '--states=all', `--format=${SQUEUE_FIELDS.join(US)}`];
}

const unset = (s: string) => (s === 'N/A' || s === '(null)' || s === 'n/a' ? '' : s);

export function parseSqueueColumns(text: string): SlurmJob[] {
  const out: SlurmJob[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parts = line.split(US);
    if (parts.length < SQUEUE_FIELDS.length) {
      throw new SlurmParseError(`squeue line ${i + 1}: ${parts.length} fields, expected ${SQUEUE_FIELDS.length} (is this squeue's --format output?): ${JSON.stringify(line.slice(0, 120))}`);
    }
    const [id, user, partition, state, reason, nodeCount, cpus, limit, submitted, started, nodes] = parts as string[];
    const job: SlurmJob = {
      id: id!.trim(),
      // A name holding the separator: the fields after the 11th are all the name.
      name: parts.slice(SQUEUE_FIELDS.length - 1).join(US),
      user: user!,
      partition: partition!,
      state: baseState(state),
      reason: reason === 'None' ? '' : unset(reason!),
      nodes: unset(nodes!),
    };
    const n = Number(nodeCount);
    if (nodeCount && Number.isFinite(n)) job.nodeCount = n;
    const c = Number(cpus);
    if (cpus && Number.isFinite(c)) job.cpus = c;
    if (unset(limit!)) job.timeLimit = limit!;
    if (unset(submitted!)) job.submitted = submitted!;
    if (unset(started!) && job.state !== 'PENDING') job.started = started!;
    out.push(job);
  });
  return out;
}

/** squeue says it has no --json (older than 21.08, or built without the JSON plugin). */
export function noJsonSupport(stderr: string): boolean {
  return /unrecognized option|invalid option|unknown option|json|serializer|plugin/i.test(stderr);
}

// ---- scontrol show … -o ----

/**
 * One `-o` line to its fields. A value may hold blanks (`Reason=Not responding [slurm@…]`, `OS=Linux
 * 6.1 #1 SMP`), so a field ends only where a blank is followed by the next `Key=` (keys are letters,
 * digits and `_:/.`, as in `AllocNode:Sid=` and `CPUs/Task=`).
 */
export function parseKeyValueLine(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const text = line.trim();
  if (!text) return out;
  for (const field of text.split(/\s+(?=[A-Za-z][A-Za-z0-9_:/.]*=)/)) {
    const eq = field.indexOf('=');
    if (eq <= 0) continue;
    const key = field.slice(0, eq);
    if (!(key in out)) out[key] = field.slice(eq + 1).trim();
  }
  return out;
}

/** Every record of an `scontrol show <thing> -o` output, one per non-empty line. */
export function parseScontrolRecords(text: string, key: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    if (line.startsWith('No ') || /not found/i.test(line)) return;
    const rec = parseKeyValueLine(line);
    if (!(key in rec)) throw new SlurmParseError(`scontrol output line ${i + 1}: no ${key}= (is this scontrol show … -o?): ${JSON.stringify(line.slice(0, 120))}`);
    out.push(rec);
  });
  return out;
}

export interface SlurmNode {
  name: string;
  /** Base state (IDLE, MIXED, ALLOCATED, DOWN, …) and its flags (DRAIN, NOT_RESPONDING, …). */
  state: string;
  flags: string[];
  partitions: string[];
  reason: string;
  cpus?: number;
  cpusAllocated?: number;
  cpuLoad?: string;
  memoryMb?: number;
}

export function parseNodes(text: string): SlurmNode[] {
  return parseScontrolRecords(text, 'NodeName').map((r) => {
    const [base, ...flags] = (r.State ?? 'UNKNOWN').split('+');
    const node: SlurmNode = {
      name: r.NodeName!,
      state: base!.replace(/[*~#!%$@^-]+$/, '').toUpperCase(),
      flags: flags.map((f) => f.toUpperCase()),
      partitions: unset(r.Partitions ?? '') ? r.Partitions!.split(',') : [],
      reason: unset(r.Reason ?? ''),
    };
    const cpus = Number(r.CPUTot);
    if (r.CPUTot && Number.isFinite(cpus)) node.cpus = cpus;
    const alloc = Number(r.CPUAlloc);
    if (r.CPUAlloc && Number.isFinite(alloc)) node.cpusAllocated = alloc;
    if (unset(r.CPULoad ?? '')) node.cpuLoad = r.CPULoad!;
    const mem = Number(r.RealMemory);
    if (r.RealMemory && Number.isFinite(mem)) node.memoryMb = mem;
    return node;
  });
}

export interface SlurmPartition {
  name: string;
  /** UP, DOWN, DRAIN, INACTIVE. */
  state: string;
  isDefault: boolean;
  nodes: string;
  totalCpus?: number;
  totalNodes?: number;
  maxTime: string;
}

export function parsePartitions(text: string): SlurmPartition[] {
  return parseScontrolRecords(text, 'PartitionName').map((r) => {
    const p: SlurmPartition = {
      name: r.PartitionName!,
      state: (r.State ?? 'UNKNOWN').toUpperCase(),
      isDefault: r.Default === 'YES',
      nodes: unset(r.Nodes ?? ''),
      maxTime: r.MaxTime ?? '',
    };
    const cpus = Number(r.TotalCPUs);
    if (r.TotalCPUs && Number.isFinite(cpus)) p.totalCpus = cpus;
    const n = Number(r.TotalNodes);
    if (r.TotalNodes && Number.isFinite(n)) p.totalNodes = n;
    return p;
  });
}

/** The fields of `scontrol show job -o <id>` worth a line in the detail pane, in this order. */
export const JOB_DETAIL_FIELDS = [
  'JobState', 'Reason', 'ExitCode', 'UserId', 'Account', 'QOS', 'Priority', 'SubmitTime', 'StartTime', 'EndTime',
  'RunTime', 'TimeLimit', 'NodeList', 'BatchHost', 'NumNodes', 'NumCPUs', 'TRES', 'MinMemoryNode', 'MinMemoryCPU',
  'WorkDir', 'Command', 'StdOut', 'StdErr', 'Dependency',
] as const;

/** `scontrol show job -o <id>`: the detail fields that are set. */
export function parseJobDetail(text: string): Record<string, string> | undefined {
  const rec = parseScontrolRecords(text, 'JobId')[0];
  if (!rec) return undefined;
  const out: Record<string, string> = {};
  for (const k of JOB_DETAIL_FIELDS) {
    const v = rec[k];
    if (v !== undefined && unset(v) !== '' && v !== 'None' && v !== 'Unknown') out[k] = v;
  }
  return out;
}

/** squeue's output path patterns (`%j` job id, `%x` name …) filled in as slurmd does. */
export function expandOutputPath(pattern: string, job: Pick<SlurmJob, 'id' | 'jobId' | 'name' | 'user' | 'nodes'>): string {
  const [master, task] = job.id.split('_');
  return pattern.replace(/%(%|[0-9]*[AajJxuNn])/g, (m, spec: string) => {
    if (spec === '%') return '%';
    const pad = Number(spec.slice(0, -1)) || 0;
    const z = (s: string) => s.padStart(pad, '0');
    switch (spec.slice(-1)) {
      case 'A': return z(master!);
      case 'a': return z(task ?? '4294967294');
      case 'j':
      case 'J': return z(job.jobId ?? (task ? master! : job.id));
      case 'x': return job.name;
      case 'u': return job.user;
      case 'N': return job.nodes.split(',')[0] ?? '';
      case 'n': return z('0');
      default: return m;
    }
  });
}
