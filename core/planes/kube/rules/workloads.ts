import type { RuntimeStatus } from '../../../../shared/contract/domain';
import type { Condition, KubeCronJob, KubeDaemonSet, KubeDeployment, KubeJob, KubeStatefulSet } from '../objects';
import { ago, clip, err, info, plural, warn, type Finding } from './common';

/** A workload's own status (pods' reasons are added by the caller) and whether a rollout is under way. */
export interface Rollout {
  runtime: RuntimeStatus;
  reasons: Finding[];
  /** A rollout is under way: the resource's update status is in_progress. */
  rolling: boolean;
  recheckAt?: number;
}

const cond = (cs: Condition[], type: string) => cs.find((c) => c.type === type);

/**
 * A Deployment's rollout as `kubectl rollout status` reads it: the controller has seen the spec, then
 * updated, then available replicas against the desired count; ProgressDeadlineExceeded is a stuck rollout.
 */
export function deploymentRollout(d: KubeDeployment, ref: string): Rollout {
  const s = d.status, want = d.replicas;
  const reasons: Finding[] = [];
  if (d.meta.generation !== undefined && (s.observedGeneration ?? 0) < d.meta.generation) {
    return { runtime: 'pending', rolling: true, reasons: [info('rollout starting: the controller has not seen the new spec yet', ref)] };
  }
  const progressing = cond(s.conditions, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    reasons.push(err(`rollout stuck (ProgressDeadlineExceeded): ${plural(s.updatedReplicas, 'replica')} of ${want} updated, ${s.availableReplicas} available${progressing.message ? `; ${clip(progressing.message).replace(/\.$/, '')}` : ''}. Fix the new pods or roll back`, ref));
    return { runtime: 'error', rolling: false, reasons };
  }
  const failure = cond(s.conditions, 'ReplicaFailure');
  if (failure?.status === 'True') reasons.push(err(`cannot create pods (${failure.reason ?? 'ReplicaFailure'})${failure.message ? `: ${clip(failure.message)}` : ''}`, ref));
  if (d.paused) reasons.push(warn('rollout paused (kubectl rollout resume to continue)', ref));
  if (want === 0) return { runtime: failure?.status === 'True' ? 'error' : 'ok', rolling: false, reasons: [...reasons, info('scaled to 0 replicas', ref)] };

  let rolling = false;
  if (s.updatedReplicas < want) { rolling = true; reasons.push(info(`rolling out: ${s.updatedReplicas} of ${plural(want, 'replica')} updated`, ref)); }
  else if (s.replicas > s.updatedReplicas) { rolling = true; reasons.push(info(`rolling out: ${plural(s.replicas - s.updatedReplicas, 'old replica')} still to be removed`, ref)); }
  // Once the new ReplicaSet was available (NewReplicaSetAvailable), a replica lost later is not a rollout.
  else if (s.availableReplicas < s.updatedReplicas && progressing?.reason !== 'NewReplicaSetAvailable') { rolling = true; reasons.push(info(`rolling out: ${s.availableReplicas} of ${s.updatedReplicas} updated replicas available`, ref)); }

  let runtime: RuntimeStatus = 'ok';
  if (failure?.status === 'True') runtime = 'error';
  else if (s.availableReplicas === 0) { runtime = rolling ? 'pending' : 'error'; if (!rolling) reasons.push(err(`no replica available (0 of ${want})`, ref)); }
  else if (s.availableReplicas < want && !rolling) { runtime = 'warning'; reasons.push(warn(`${s.availableReplicas} of ${plural(want, 'replica')} available`, ref)); }
  if (d.paused && runtime === 'ok') runtime = 'warning';
  return { runtime, reasons, rolling: rolling && !d.paused };
}

/** A StatefulSet's rollout: pods on the update revision and ready pods against the desired count. */
export function statefulSetRollout(st: KubeStatefulSet, ref: string): Rollout {
  const s = st.status, want = st.replicas;
  if (st.meta.generation !== undefined && (s.observedGeneration ?? 0) < st.meta.generation) {
    return { runtime: 'pending', rolling: true, reasons: [info('rollout starting: the controller has not seen the new spec yet', ref)] };
  }
  if (want === 0) return { runtime: 'ok', rolling: false, reasons: [info('scaled to 0 replicas', ref)] };
  const reasons: Finding[] = [];
  const revisionChanging = !!s.updateRevision && !!s.currentRevision && s.updateRevision !== s.currentRevision;
  const rolling = (revisionChanging && st.updateStrategy !== 'OnDelete') || s.replicas !== want;
  if (revisionChanging) reasons.push(info(`rolling out: ${s.updatedReplicas} of ${plural(want, 'pod')} updated${st.updateStrategy === 'OnDelete' ? ' (OnDelete: pods update only when deleted)' : ''}`, ref));
  else if (s.replicas < want) reasons.push(info(`scaling up: ${s.replicas} of ${plural(want, 'pod')} created`, ref));
  else if (s.replicas > want) reasons.push(info(`scaling down: ${s.replicas} pods, ${want} wanted`, ref));
  let runtime: RuntimeStatus = 'ok';
  if (s.readyReplicas === 0) { runtime = rolling ? 'pending' : 'error'; if (!rolling) reasons.push(err(`no pod ready (0 of ${want})`, ref)); }
  else if (s.readyReplicas < want) { runtime = 'warning'; reasons.push(warn(`${s.readyReplicas} of ${plural(want, 'pod')} ready`, ref)); }
  return { runtime, reasons, rolling };
}

export function daemonSetRollout(ds: KubeDaemonSet, ref: string): Rollout {
  const s = ds.status, want = s.desiredNumberScheduled;
  if (ds.meta.generation !== undefined && (s.observedGeneration ?? 0) < ds.meta.generation) {
    return { runtime: 'pending', rolling: true, reasons: [info('rollout starting: the controller has not seen the new spec yet', ref)] };
  }
  if (want === 0) return { runtime: 'ok', rolling: false, reasons: [info('no node matches its node selector (0 pods scheduled)', ref)] };
  const reasons: Finding[] = [];
  const rolling = s.updatedNumberScheduled < want;
  if (rolling) reasons.push(info(`rolling out: ${s.updatedNumberScheduled} of ${plural(want, 'node')} updated`, ref));
  if (s.numberMisscheduled > 0) reasons.push(warn(`${plural(s.numberMisscheduled, 'pod')} running on nodes where it should not`, ref));
  let runtime: RuntimeStatus = s.numberMisscheduled > 0 ? 'warning' : 'ok';
  if (s.numberAvailable === 0) { runtime = rolling ? 'pending' : 'error'; if (!rolling) reasons.push(err(`no pod available (0 of ${want} nodes)`, ref)); }
  else if (s.numberAvailable < want) { runtime = 'warning'; reasons.push(warn(`${s.numberAvailable} of ${plural(want, 'node')} have an available pod`, ref)); }
  return { runtime, reasons, rolling };
}

/** A Job: complete, failed (BackoffLimitExceeded, DeadlineExceeded) or running. */
export function jobStatus(j: KubeJob, ref: string): Rollout {
  const s = j.status;
  const failed = cond(s.conditions, 'Failed');
  if (failed?.status === 'True') {
    return { runtime: 'error', rolling: false, reasons: [err(`failed (${failed.reason ?? 'Failed'})${failed.message ? `: ${clip(failed.message)}` : ''}; ${plural(s.failed, 'failed pod')}`, ref)] };
  }
  if (cond(s.conditions, 'Complete')?.status === 'True') {
    return { runtime: 'ok', rolling: false, reasons: [info(`completed${s.completionTime ? ` at ${s.completionTime}` : ''} (${s.succeeded} succeeded)`, ref)] };
  }
  if (j.suspend) return { runtime: 'ok', rolling: false, reasons: [info('suspended', ref)] };
  const reasons: Finding[] = [info(`running: ${s.active} active, ${s.succeeded}${j.completions !== undefined ? ` of ${j.completions}` : ''} succeeded`, ref)];
  if (s.failed > 0) reasons.unshift(warn(`${plural(s.failed, 'pod')} failed so far${j.backoffLimit !== undefined ? ` (back-off limit ${j.backoffLimit})` : ''}`, ref));
  return { runtime: s.failed > 0 ? 'warning' : 'pending', rolling: true, reasons };
}

/** A CronJob is as healthy as its latest Job (the caller adds that); its own reasons are about scheduling. */
export function cronJobStatus(c: KubeCronJob, ref: string, now: number): Rollout {
  const reasons: Finding[] = [];
  if (c.suspend) reasons.push(info('suspended: no new runs are scheduled', ref));
  const last = c.status.lastScheduleTime ? Date.parse(c.status.lastScheduleTime) : NaN;
  let recheckAt: number | undefined;
  if (!Number.isNaN(last)) { const a = ago(last, now); reasons.push(info(`last scheduled ${a.text} (${c.schedule})`, ref)); recheckAt = a.changesAt; }
  else reasons.push(info(`never scheduled yet (${c.schedule})`, ref));
  return { runtime: 'ok', rolling: c.status.active.length > 0, reasons, recheckAt };
}
