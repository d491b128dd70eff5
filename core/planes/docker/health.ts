import type { RuntimeStatus, Severity } from '../../../shared/contract/domain';
import type { ContainerView } from './container';

/** Restarts closer together than this count as "restarting repeatedly" even while the container runs. */
export const FLAPPING_WINDOW_MS = 5 * 60_000;
const FLAPPING_RESTARTS = 3;
const MAX_OUTPUT = 300;
const MINUTE = 60_000;

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_OUTPUT ? one.slice(0, MAX_OUTPUT) + '…' : one;
}

export interface Finding { text: string; severity: Severity }

export interface ContainerHealth {
  runtime: RuntimeStatus;
  /** Most severe first. */
  reasons: Finding[];
  /** When the wording or the status changes by itself (a time-based reason ages or expires). */
  recheckAt?: number;
}

const err = (text: string): Finding => ({ text, severity: 'error' });
const warn = (text: string): Finding => ({ text, severity: 'warning' });
const info = (text: string): Finding => ({ text, severity: 'info' });

/**
 * "less than a minute ago", "3 min ago": minute buckets, because a list re-sent every second for a
 * wording change nobody reads is noise. Returns the wording and when it next changes.
 */
export function agoMinutes(since: number, now: number): { text: string; changesAt: number } {
  const minutes = Math.max(0, Math.floor((now - since) / MINUTE));
  return { text: minutes === 0 ? 'less than a minute ago' : `${minutes} min ago`, changesAt: since + (minutes + 1) * MINUTE };
}

/**
 * A container's runtime status and the reasons an operator reads, as a pure function of its inspected
 * state and the current time. Errors are what is broken; warnings (Tilt keeps them apart) never turn a
 * resource red by themselves.
 */
export function containerHealth(c: ContainerView, now: number): ContainerHealth {
  const s = c.state;
  const restarts = s.restartCount;
  switch (s.status) {
    case 'restarting':
      return { runtime: 'error', reasons: [err(`restarting repeatedly (${restarts} restart${restarts === 1 ? '' : 's'})${s.exitCode ? `, last exit code ${s.exitCode}` : ''}`)] };
    case 'dead':
      return { runtime: 'error', reasons: [err(`dead${s.error ? `: ${clip(s.error)}` : ' (the engine could not remove or stop it cleanly)'}`)] };
    case 'removing':
      return { runtime: 'pending', reasons: [info('being removed')] };
    case 'created':
      return s.error ? { runtime: 'error', reasons: [err(`failed to start: ${clip(s.error)}`)] } : { runtime: 'pending', reasons: [info('created, not started')] };
    case 'paused':
      return { runtime: 'warning', reasons: [warn('paused (processes frozen; unpause to resume)')] };
    case 'exited': {
      if (s.oomKilled) return { runtime: 'error', reasons: [err(`OOM-killed: out of memory (exit code ${s.exitCode})`)] };
      if (s.exitCode === 0) {
        // Compose one-off jobs (migrations, init) are meant to finish.
        if (c.labels.oneoff) return { runtime: 'ok', reasons: [info('completed (exit code 0)')] };
        return { runtime: 'warning', reasons: [warn('exited with code 0 (stopped)')] };
      }
      const reasons = [err(`exited with code ${s.exitCode}${signalName(s.exitCode)}`)];
      if (s.error) reasons.push(err(clip(s.error)));
      return { runtime: 'error', reasons };
    }
    case 'running': {
      const reasons: Finding[] = [];
      let runtime: RuntimeStatus = 'ok';
      let recheckAt: number | undefined;
      const h = s.health;
      if (h?.status === 'unhealthy') {
        runtime = 'error';
        reasons.push(err(`unhealthy: ${h.failingStreak} failing health check${h.failingStreak === 1 ? '' : 's'}${h.lastOutput ? `; last output: ${clip(h.lastOutput)}` : h.lastExitCode !== undefined ? `; last exit code ${h.lastExitCode}` : ''}`));
      } else if (h?.status === 'starting') {
        runtime = 'pending';
        reasons.push(info(h.failingStreak > 0 ? `health check starting (${h.failingStreak} failed so far${h.lastOutput ? `: ${clip(h.lastOutput)}` : ''})` : 'health check starting'));
      }
      const started = s.startedAt ? Date.parse(s.startedAt) : NaN;
      if (restarts >= FLAPPING_RESTARTS && now - started < FLAPPING_WINDOW_MS) {
        if (runtime === 'ok') runtime = 'warning';
        const ago = agoMinutes(started, now);
        reasons.push(warn(`restarting repeatedly (${restarts} restarts; last start ${ago.text})`));
        // The last bucket ends with the window, so the reason disappears on time rather than saying "5 min ago".
        recheckAt = Math.min(ago.changesAt, started + FLAPPING_WINDOW_MS);
      }
      return { runtime, reasons: bySeverity(reasons), recheckAt };
    }
    default:
      return { runtime: 'unknown', reasons: [warn(`state '${s.status}' reported by the engine`)] };
  }
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
function bySeverity(rs: Finding[]): Finding[] { return rs.sort((a, b) => RANK[a.severity] - RANK[b.severity]); }

function signalName(code: number): string {
  const names: Record<number, string> = { 137: 'SIGKILL', 143: 'SIGTERM', 139: 'SIGSEGV', 134: 'SIGABRT', 130: 'SIGINT' };
  return names[code] ? ` (${names[code]})` : '';
}
