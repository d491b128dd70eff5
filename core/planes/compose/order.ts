import type { ContainerView } from '../docker/container';

/**
 * The ordered start (dbs, then infrastructure, then workers): each profile `up -d`, then wait until its
 * services run and are healthy before the next one starts. Whether a step is done is judged on the
 * containers as the engine's events keep them (the model's copy), never by asking the compose CLI again.
 */

export const DEFAULT_STEP_TIMEOUT_MS = 120_000;

export type ServiceVerdict =
  | { state: 'ready'; service: string; detail: string }
  | { state: 'waiting'; service: string; detail: string }
  | { state: 'failed'; service: string; detail: string; lastOutput?: string };

/**
 * One service of a step, from its containers (all replicas). Ready: running and healthy (or running with
 * no health check, or finished with exit 0, like an init job). Failed at once: a health check that has
 * already failed its retries (`unhealthy`), or an exit with a non-zero code and no restart coming.
 */
export function judgeService(service: string, containers: readonly ContainerView[], since?: number): ServiceVerdict {
  const mine = containers.filter((c) => c.labels.service === service && !c.labels.oneoff);
  if (!mine.length) return { state: 'waiting', service, detail: 'no container yet' };
  let worst: ServiceVerdict | undefined;
  for (const c of mine) {
    const v = judgeContainer(service, c, since);
    if (v.state === 'failed') return v;
    if (v.state === 'waiting') worst ??= v;
  }
  return worst ?? { state: 'ready', service, detail: mine.length > 1 ? `${mine.length} containers running` : judgeContainer(service, mine[0]).detail };
}

function judgeContainer(service: string, c: ContainerView, since?: number): ServiceVerdict {
  const s = c.state;
  // An exit from before this step began is the state `up` is about to change, not its outcome.
  const stale = since !== undefined && s.status !== 'running' && s.status !== 'restarting' && Date.parse(s.finishedAt ?? '') < since;
  if (stale) return { state: 'waiting', service, detail: `${s.status} since before this step, not started yet` };
  const h = s.health;
  if (s.status === 'running') {
    if (!h || h.status === 'none') return { state: 'ready', service, detail: 'running (no health check)' };
    if (h.status === 'healthy') return { state: 'ready', service, detail: 'running, healthy' };
    if (h.status === 'unhealthy') {
      return { state: 'failed', service, detail: `unhealthy after ${h.failingStreak} failed health check${h.failingStreak === 1 ? '' : 's'}${h.lastExitCode !== undefined ? ` (last exit ${h.lastExitCode})` : ''}`, lastOutput: h.lastOutput };
    }
    return { state: 'waiting', service, detail: `running, health ${h.status}${h.lastOutput ? ` (last check: ${h.lastOutput})` : ''}` };
  }
  if (s.status === 'exited' && s.exitCode === 0 && !isRestarting(c)) return { state: 'ready', service, detail: 'completed (exit 0)' };
  if ((s.status === 'exited' || s.status === 'dead') && !isRestarting(c)) {
    return { state: 'failed', service, detail: `exited with code ${s.exitCode}${s.oomKilled ? ' (killed: out of memory)' : ''}${s.error ? `: ${s.error}` : ''}` };
  }
  return { state: 'waiting', service, detail: s.status };
}

// `always` and `unless-stopped` bring an exited container back by themselves; `on-failure` only after a failure.
function isRestarting(c: ContainerView): boolean {
  const p = c.restartPolicy;
  return p === 'always' || p === 'unless-stopped' || (p === 'on-failure' && c.state.exitCode !== 0);
}

export type StepVerdict =
  | { state: 'ready'; services: ServiceVerdict[] }
  | { state: 'waiting'; services: ServiceVerdict[]; waitingFor: ServiceVerdict[] }
  | { state: 'failed'; services: ServiceVerdict[]; failed: ServiceVerdict & { state: 'failed' } };

/** A step: failed as soon as one service failed, ready when every one is, waiting otherwise. */
export function judgeStep(services: readonly string[], containers: readonly ContainerView[], since?: number): StepVerdict {
  const all = services.map((s) => judgeService(s, containers, since));
  const failed = all.find((v): v is ServiceVerdict & { state: 'failed' } => v.state === 'failed');
  if (failed) return { state: 'failed', services: all, failed };
  const waitingFor = all.filter((v) => v.state === 'waiting');
  return waitingFor.length ? { state: 'waiting', services: all, waitingFor } : { state: 'ready', services: all };
}

export interface OrderStep { profile: string; services: string[] }

export interface OrderDeps {
  steps: readonly OrderStep[];
  /** `<compose> --profile <p> up -d`; rejects when the command fails. */
  up(step: OrderStep): Promise<void>;
  /** The project's containers on this engine now, as the engine's events keep them. */
  containers(): readonly ContainerView[];
  /** Called on every change of the project's containers; returns the unsubscribe. */
  watch(fn: () => void): () => void;
  log(line: string): void;
  stepTimeoutMs?: number;
  setTimer?: (fn: () => void, ms: number) => () => void;
  now?: () => number;
}

/** Why the ordered start stopped: the step, the service and what its health check last said. */
export class OrderedStartError extends Error {
  constructor(message: string, readonly step: OrderStep, readonly service?: string, readonly lastOutput?: string) {
    super(message);
    this.name = 'OrderedStartError';
  }
}

const defaultTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

/** Runs the steps in order; resolves when the last one is healthy, rejects with an OrderedStartError otherwise. */
export async function runOrderedStart(d: OrderDeps): Promise<void> {
  const timeout = d.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const n = d.steps.length;
  for (let i = 0; i < n; i++) {
    const step = d.steps[i];
    const label = `step ${i + 1} of ${n} (${step.profile})`;
    const done = d.steps.slice(0, i).map((s) => s.profile);
    const rest = d.steps.slice(i + 1).map((s) => s.profile);
    const tail = `${done.length ? ` Done: ${done.join(', ')}.` : ''}${rest.length ? ` Not started: ${rest.join(', ')}.` : ''}`;
    d.log(`${label}: up -d (${step.services.join(', ') || 'no services'})`);
    // A little before now: the engine's clock and ours may differ by the odd second.
    const since = (d.now ?? Date.now)() - 2_000;
    try {
      await d.up(step);
    } catch (e) {
      const err = new OrderedStartError(`stopped at ${label}: up failed: ${(e as Error).message}.${tail}`, step);
      err.cause = e;   // a cut command makes the whole start unverified, not failed (actions.ts)
      throw err;
    }
    d.log(`${label}: waiting until ${step.services.length} service${step.services.length === 1 ? ' is' : 's are'} running and healthy (at most ${Math.round(timeout / 1000)} s)`);
    const v = await waitStep(d, step, timeout, since);
    if (v.state === 'ready') {
      d.log(`${label}: healthy: ${v.services.map((s) => `${s.service} ${s.detail}`).join('; ')}`);
      continue;
    }
    const bad = v.state === 'failed' ? v.failed : v.waitingFor[0];
    const last = v.state === 'failed' ? v.failed.lastOutput : undefined;
    const why = v.state === 'failed'
      ? `${bad.service} did not get healthy: ${bad.detail}${last ? `; last health check said: ${last}` : ''}`
      : `${v.waitingFor.map((s) => s.service).join(', ')} did not get healthy within ${Math.round(timeout / 1000)} s: ${v.waitingFor.map((s) => `${s.service} ${s.detail}`).join('; ')}`;
    d.log(`${label}: stopped: ${why}`);
    throw new OrderedStartError(`stopped at ${label}: ${why}.${tail}`, step, bad.service, last);
  }
}

function waitStep(d: OrderDeps, step: OrderStep, timeoutMs: number, since: number): Promise<StepVerdict> {
  const judge = () => judgeStep(step.services, d.containers(), since);
  const first = judge();
  if (first.state !== 'waiting') return Promise.resolve(first);
  return new Promise((resolve) => {
    let settled = false;
    let said = '';
    const finish = (v: StepVerdict) => { if (settled) return; settled = true; off(); cancel(); resolve(v); };
    const off = d.watch(() => {
      const v = judge();
      if (v.state !== 'waiting') { finish(v); return; }
      // Say what is still awaited when that changes, so the step log shows progress, not one line per event.
      const now = v.waitingFor.map((s) => `${s.service} ${s.detail}`).join('; ');
      if (now !== said) { said = now; d.log(`  waiting for ${now}`); }
    });
    const cancel = (d.setTimer ?? defaultTimer)(() => finish(judge()), timeoutMs);
  });
}
