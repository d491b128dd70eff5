import type { RuntimeStatus } from '../../../../shared/contract/domain';
import type { ContainerState, ContainerStatus, KubeEvent, KubePod } from '../objects';
import { ago, bySeverity, clip, earliest, err, info, parseTime, plural, warn, worse, type Finding, type Health } from './common';
import { isReady } from './pod-status';

/** Restarts closer together than this count as "restarting repeatedly" even while the container runs. */
export const FLAPPING_WINDOW_MS = 5 * 60_000;
const FLAPPING_RESTARTS = 3;
/** A container that started this recently and is not ready yet is starting, not failing its probe. */
export const READINESS_GRACE_MS = 60_000;
/** A pod still terminating this long after deletion is stuck (finalizers, an unreachable node). */
export const STUCK_TERMINATING_MS = 5 * 60_000;

const PULL_ERRORS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);
const START_ERRORS = new Set(['RunContainerError', 'CreateContainerError', 'StartError', 'PreStartHookError', 'PostStartHookError', 'ContainerCannotRun']);
const STARTING = new Set(['ContainerCreating', 'PodInitializing']);

/** Kubernetes reports a kill by signal as 128 + the signal number. */
function exitText(s: ContainerState): string {
  const names: Record<number, string> = { 137: 'SIGKILL', 143: 'SIGTERM', 139: 'SIGSEGV', 134: 'SIGABRT', 130: 'SIGINT' };
  const code = s.exitCode ?? 0;
  const parts = [`exit code ${code}${names[code] ? ` (${names[code]})` : ''}`];
  if (s.reason && !['Error', 'Completed', 'OOMKilled'].includes(s.reason)) parts.push(s.reason);
  return parts.join(', ');
}

const withMessage = (text: string, m: string | undefined) => (m ? `${text}: ${clip(m)}` : text);

interface ContainerFinding { finding?: Finding; runtime: RuntimeStatus; recheckAt?: number }

/**
 * One container's state in words: the Tilt pod rules (CrashLoopBackOff, ErrImagePull, ImagePullBackOff,
 * RunContainerError, CreateContainerConfigError, OOMKilled, Error), with what the operator can do next.
 */
function containerFinding(c: ContainerStatus, init: boolean, job: boolean, ref: string, now: number): ContainerFinding {
  const who = `${init ? 'init container' : 'container'} ${c.name}`;
  const s = c.state, last = c.lastState;
  if (s.kind === 'waiting') {
    const r = s.reason ?? '';
    if (r === 'CrashLoopBackOff') {
      const ended = parseTime(last?.finishedAt);
      const lastRun = last?.kind === 'terminated'
        ? `; last run ended${ended !== undefined ? ` ${ago(ended, now).text}` : ''} with ${last.reason === 'OOMKilled' ? 'out of memory (OOMKilled)' : exitText(last)}${last.message ? `: ${clip(last.message)}` : ''}`
        : '';
      const changesAt = ended !== undefined ? ago(ended, now).changesAt : undefined;
      return {
        runtime: 'error', recheckAt: changesAt,
        finding: err(`${who} keeps crashing (CrashLoopBackOff): restarted ${plural(c.restartCount, 'time')}${lastRun}. Read its previous log for why it exits`, ref),
      };
    }
    if (PULL_ERRORS.has(r)) return { runtime: 'error', finding: err(withMessage(`${who} cannot pull image ${c.image} (${r}); check the image name, tag and registry credentials`, s.message), ref) };
    if (r === 'CreateContainerConfigError') return { runtime: 'error', finding: err(withMessage(`${who} cannot be created from its configuration (CreateContainerConfigError); a secret, config map or key it names is missing`, s.message), ref) };
    if (START_ERRORS.has(r)) return { runtime: 'error', finding: err(withMessage(`${who} fails to start (${r})`, s.message), ref) };
    if (STARTING.has(r) || !r) return { runtime: 'pending', finding: info(r ? `${who} is being created` : `${who} is waiting to start`, ref) };
    return { runtime: 'pending', finding: info(withMessage(`${who} is waiting (${r})`, s.message), ref) };
  }
  if (s.kind === 'terminated') {
    if (s.reason === 'OOMKilled') return { runtime: 'error', finding: err(`${who} was killed for running out of memory (OOMKilled, ${exitText(s)}); raise its memory limit or find the leak`, ref) };
    if (s.exitCode === 0) {
      // Init containers and job pods are meant to finish; a long-running container that exits 0 restarts.
      if (init || job) return { runtime: 'ok', finding: init ? undefined : info(`${who} completed`, ref) };
      return { runtime: 'warning', finding: warn(`${who} exited with code 0 (it stopped although it should keep running)`, ref) };
    }
    return { runtime: 'error', finding: err(withMessage(`${who} ${init ? 'failed' : 'exited'} with ${exitText(s)}`, s.message), ref) };
  }
  if (s.kind === 'running') {
    // Restarting but up right now: a warning while the restarts are recent, then it ages out.
    const lastEnd = parseTime(last?.kind === 'terminated' ? last.finishedAt : undefined) ?? parseTime(s.startedAt);
    if (c.restartCount >= FLAPPING_RESTARTS && lastEnd !== undefined && now - lastEnd < FLAPPING_WINDOW_MS) {
      const a = ago(lastEnd, now);
      const why = last?.kind === 'terminated' ? ` after ${last.reason === 'OOMKilled' ? 'running out of memory (OOMKilled)' : exitText(last)}` : '';
      return {
        runtime: 'warning', recheckAt: Math.min(a.changesAt, lastEnd + FLAPPING_WINDOW_MS),
        finding: warn(`${who} restarted ${plural(c.restartCount, 'time')}, last ${a.text}${why}`, ref),
      };
    }
    return { runtime: 'ok' };
  }
  return { runtime: 'unknown', finding: warn(`${who}: state not reported`, ref) };
}

/** The probe output an Unhealthy event carries ("Readiness probe failed: HTTP probe failed with statuscode: 500"). */
function probeOutput(events: readonly KubeEvent[], container?: string): string | undefined {
  let best: KubeEvent | undefined;
  for (const e of events) {
    if (e.reason !== 'Unhealthy' || !/readiness/i.test(e.message)) continue;
    if (container && e.involved.fieldPath && !e.involved.fieldPath.includes(`{${container}}`)) continue;
    if (!best || (e.lastTime ?? '') > (best.lastTime ?? '')) best = e;
  }
  return best ? clip(best.message) : undefined;
}

export interface PodHealthInput {
  pod: KubePod;
  /** The pod's store key, for `ref`. */
  ref: string;
  /** Events about this pod (any age; the caller does not filter). */
  events: readonly KubeEvent[];
  now: number;
}

/**
 * A pod's runtime status and reasons as a pure function of its status, its events and the time. Errors
 * are what is broken; warnings never turn a resource red by themselves (Tilt keeps them apart).
 */
export function podHealth({ pod, ref, events, now }: PodHealthInput): Health {
  const reasons: Finding[] = [];
  let runtime: RuntimeStatus = 'ok';
  let recheckAt: number | undefined;
  const job = pod.meta.owners.some((o) => o.kind === 'Job') || pod.restartPolicy === 'Never' || pod.restartPolicy === 'OnFailure';

  const deleted = parseTime(pod.meta.deletionTimestamp);
  if (deleted !== undefined && pod.phase !== 'Succeeded' && pod.phase !== 'Failed') {
    if (now - deleted >= STUCK_TERMINATING_MS) {
      return { runtime: 'warning', reasons: [warn(`stuck terminating: deleted ${ago(deleted, now).text}; a finalizer or an unreachable node holds it`, ref)] };
    }
    return { runtime: 'pending', reasons: [info('terminating', ref)], recheckAt: deleted + STUCK_TERMINATING_MS };
  }

  if (pod.phase === 'Failed') {
    runtime = 'error';
    if (pod.reason === 'Evicted') reasons.push(err(withMessage('evicted by the kubelet', pod.message), ref));
    else if (pod.reason || pod.message) reasons.push(err(withMessage(`failed${pod.reason ? ` (${pod.reason})` : ''}`, pod.message), ref));
  }
  if (pod.phase === 'Unknown') { runtime = 'unknown'; reasons.push(warn('its node stopped reporting this pod (phase Unknown)', ref)); }

  const scheduled = pod.conditions.find((c) => c.type === 'PodScheduled');
  if (pod.phase === 'Pending' && scheduled?.status === 'False') {
    if (scheduled.reason === 'SchedulingGated') { runtime = worse(runtime, 'pending'); reasons.push(info('waiting for its scheduling gates to be removed', ref)); }
    else {
      runtime = 'error';
      const event = latestEvent(events, 'FailedScheduling');
      reasons.push(err(withMessage('cannot be scheduled', scheduled.message || event?.message), ref));
    }
  }

  for (const [list, init] of [[pod.initContainerStatuses, true], [pod.containerStatuses, false]] as const) {
    for (const c of list) {
      const f = containerFinding(c, init, job, ref, now);
      runtime = worse(runtime, f.runtime);
      if (f.finding) reasons.push(f.finding);
      recheckAt = earliest(recheckAt, f.recheckAt);
    }
  }

  // Readiness: running containers whose readiness probe fails. The grace keeps a starting pod pending.
  if (pod.phase === 'Running' && !isReady(pod)) {
    for (const c of pod.containerStatuses) {
      if (c.ready || c.state.kind !== 'running') continue;
      const started = parseTime(c.state.startedAt);
      const probe = probeOutput(events, c.name);
      if (started !== undefined && now - started < READINESS_GRACE_MS && !probe) {
        runtime = worse(runtime, 'pending');
        reasons.push(info(`container ${c.name} started, not ready yet`, ref));
        recheckAt = earliest(recheckAt, started + READINESS_GRACE_MS);
        continue;
      }
      runtime = 'error';
      const cond = pod.conditions.find((x) => x.type === 'Ready' || x.type === 'ContainersReady');
      const text = `not ready: container ${c.name} is running but fails its readiness check, so its Service sends it no traffic`;
      reasons.push(err(probe ? `${text}; last probe: ${probe}` : cond?.message ? `${text} (${clip(cond.message)})` : text, ref));
    }
  }

  if (pod.phase === 'Pending' && !reasons.length) { runtime = worse(runtime, 'pending'); reasons.push(info('pending', ref)); }
  if (pod.phase === 'Succeeded') { runtime = 'ok'; if (!reasons.some((r) => /completed/.test(r.text))) reasons.push(info('completed', ref)); }
  return { runtime, reasons: bySeverity(reasons), recheckAt };
}

function latestEvent(events: readonly KubeEvent[], reason: string): KubeEvent | undefined {
  let best: KubeEvent | undefined;
  for (const e of events) if (e.reason === reason && (!best || (e.lastTime ?? '') > (best.lastTime ?? ''))) best = e;
  return best;
}
