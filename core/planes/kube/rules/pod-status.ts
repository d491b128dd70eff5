import type { ContainerStatus, KubePod } from '../objects';

/**
 * The STATUS column of `kubectl get pods`, as kubectl's printer (printPod) computes it, so that the
 * console and the operator's terminal never disagree: `Init:0/1`, `Init:CrashLoopBackOff`,
 * `CrashLoopBackOff`, `Completed`, `Terminating`, `NotReady`, `SchedulingGated` ...
 */
export function podStatusText(pod: KubePod): string {
  let reason = pod.reason || pod.phase;
  if (pod.conditions.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  let initializing = false;
  const inits = pod.initContainerStatuses;
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i], s = c.state;
    if (s.kind === 'terminated' && s.exitCode === 0) continue;
    // A restartable init container (a sidecar) that has started counts as done initializing.
    if (s.kind === 'running' && c.started) continue;
    if (s.kind === 'terminated') {
      reason = s.reason ? `Init:${s.reason}` : s.signal ? `Init:Signal:${s.signal}` : `Init:ExitCode:${s.exitCode ?? 0}`;
    } else if (s.kind === 'waiting' && s.reason && s.reason !== 'PodInitializing') {
      reason = `Init:${s.reason}`;
    } else {
      reason = `Init:${i}/${pod.initContainers.length || inits.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = pod.conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    let hasRunning = false;
    const cs = pod.containerStatuses;
    for (let i = cs.length - 1; i >= 0; i--) {
      const s = cs[i].state;
      if (s.kind === 'waiting' && s.reason) reason = s.reason;
      else if (s.kind === 'terminated' && s.reason) reason = s.reason;
      else if (s.kind === 'terminated') reason = s.signal ? `Signal:${s.signal}` : `ExitCode:${s.exitCode ?? 0}`;
      else if (s.kind === 'running' && cs[i].ready) hasRunning = true;
    }
    // A pod whose other containers still run is Running (or NotReady), not Completed.
    if (reason === 'Completed' && hasRunning) reason = isReady(pod) ? 'Running' : 'NotReady';
  }

  if (pod.meta.deletionTimestamp && pod.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.meta.deletionTimestamp && pod.phase !== 'Succeeded' && pod.phase !== 'Failed') reason = 'Terminating';
  return reason;
}

export const isReady = (pod: KubePod) => pod.conditions.some((c) => c.type === 'Ready' && c.status === 'True');

/** kubectl's READY column: ready containers / containers. */
export function readyText(pod: KubePod): string {
  const total = pod.containers.length || pod.containerStatuses.length;
  return `${pod.containerStatuses.filter((c) => c.ready).length}/${total}`;
}

export const totalRestarts = (pod: KubePod) => sumRestarts(pod.containerStatuses) + sumRestarts(pod.initContainerStatuses);
const sumRestarts = (cs: ContainerStatus[]) => cs.reduce((n, c) => n + c.restartCount, 0);
