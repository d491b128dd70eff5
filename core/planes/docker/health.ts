import type { RuntimeStatus } from '../../../shared/contract/domain';
import type { ContainerView } from './container';

/** Restarts closer together than this count as "restarting repeatedly" even while the container runs. */
const FLAPPING_WINDOW_MS = 5 * 60_000;
const FLAPPING_RESTARTS = 3;
const MAX_OUTPUT = 300;

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_OUTPUT ? one.slice(0, MAX_OUTPUT) + '…' : one;
}

/**
 * A container's runtime status and the reasons an operator reads, as a pure function of its inspected
 * state and the current time. The most severe finding comes first.
 */
export function containerHealth(c: ContainerView, now: number): { runtime: RuntimeStatus; reasons: string[] } {
  const s = c.state;
  const restarts = s.restartCount;
  switch (s.status) {
    case 'restarting':
      return { runtime: 'error', reasons: [`restarting repeatedly (${restarts} restart${restarts === 1 ? '' : 's'})${s.exitCode ? `, last exit code ${s.exitCode}` : ''}`] };
    case 'dead':
      return { runtime: 'error', reasons: [`dead${s.error ? `: ${clip(s.error)}` : ' (the engine could not remove or stop it cleanly)'}`] };
    case 'removing':
      return { runtime: 'pending', reasons: ['being removed'] };
    case 'created':
      return { runtime: s.error ? 'error' : 'pending', reasons: [s.error ? `failed to start: ${clip(s.error)}` : 'created, not started'] };
    case 'paused':
      return { runtime: 'warning', reasons: ['paused (processes frozen; unpause to resume)'] };
    case 'exited': {
      if (s.oomKilled) return { runtime: 'error', reasons: [`OOM-killed: out of memory (exit code ${s.exitCode})`] };
      if (s.exitCode === 0) {
        // Compose one-off jobs (migrations, init) are meant to finish.
        if (c.labels.oneoff) return { runtime: 'ok', reasons: ['completed (exit code 0)'] };
        return { runtime: 'warning', reasons: ['exited with code 0 (stopped)'] };
      }
      const reasons = [`exited with code ${s.exitCode}${signalName(s.exitCode)}`];
      if (s.error) reasons.push(clip(s.error));
      return { runtime: 'error', reasons };
    }
    case 'running': {
      const reasons: string[] = [];
      let runtime: RuntimeStatus = 'ok';
      const h = s.health;
      if (h?.status === 'unhealthy') {
        runtime = 'error';
        reasons.push(`unhealthy: ${h.failingStreak} failing health check${h.failingStreak === 1 ? '' : 's'}${h.lastOutput ? `; last output: ${clip(h.lastOutput)}` : h.lastExitCode !== undefined ? `; last exit code ${h.lastExitCode}` : ''}`);
      } else if (h?.status === 'starting') {
        runtime = 'pending';
        reasons.push(h.failingStreak > 0 ? `health check starting (${h.failingStreak} failed so far${h.lastOutput ? `: ${clip(h.lastOutput)}` : ''})` : 'health check starting');
      }
      if (restarts >= FLAPPING_RESTARTS && s.startedAt && now - Date.parse(s.startedAt) < FLAPPING_WINDOW_MS) {
        if (runtime === 'ok') runtime = 'warning';
        reasons.push(`restarting repeatedly (${restarts} restarts; last start ${Math.round((now - Date.parse(s.startedAt)) / 1000)}s ago)`);
      }
      return { runtime, reasons };
    }
    default:
      return { runtime: 'unknown', reasons: [`state '${s.status}' reported by the engine`] };
  }
}

function signalName(code: number): string {
  const names: Record<number, string> = { 137: 'SIGKILL', 143: 'SIGTERM', 139: 'SIGSEGV', 134: 'SIGABRT', 130: 'SIGINT' };
  return names[code] ? ` (${names[code]})` : '';
}
