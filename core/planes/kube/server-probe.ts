import { nextBackoff } from '../../../shared/time/backoff';
import { UnreachableError, type KubeTransport } from './client';

export type ProbeState =
  | { state: 'probing' }
  | { state: 'answered' }
  /** `unreachable`: no HTTP answer at all (network, DNS, TLS); otherwise the server answered but not usably. */
  | { state: 'failed'; message: string; retryAt: number; unreachable: boolean };

export interface ServerProbeOptions {
  transport: KubeTransport;
  onState(s: ProbeState): void;
  now?: () => number;
  random?: () => number;
  backoff?: { baseMs: number; maxMs: number };
}

/** What one answer to GET /version means for the watches: go, or wait and say why. */
export function probeVerdict(status: number): { ok: true } | { ok: false; message: string } {
  if (status === 401) return { ok: false, message: 'the API server refused the credentials (401: expired token or certificate?)' };
  if (status >= 500) return { ok: false, message: `the API server answered HTTP ${status} (starting, or a proxy in front of it cannot reach it)` };
  // 200, or a 403/404 of a server that hides /version from this user: it is there, the kinds say the rest.
  return { ok: true };
}

/**
 * One question per context, "is the API server there?" (GET /version, what `kubectl version` asks), asked
 * with capped, jittered backoff until it answers. The context's watches start only after an answer, and a
 * watch that loses the server waits for this probe instead of retrying its own kind: a dead server costs
 * one small request per backoff step, not one list per kind.
 */
export class ServerProbe {
  private running?: { gen: number; done: Promise<boolean> };
  private gen = 0;
  private abort?: AbortController;
  private timer?: ReturnType<typeof setTimeout>;
  private cancelWait?: () => void;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly backoff: { baseMs: number; maxMs: number };
  /** GET /version requests made (tests and the bench read it). */
  requests = 0;

  constructor(private readonly o: ServerProbeOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    // A probe is one GET /version: cheap enough that a server back from a restart is seen within 15 s.
    this.backoff = o.backoff ?? { baseMs: 1_000, maxMs: 15_000 };
  }

  /** Resolves true once the server answered, false when stopped first. Callers while probing share it. */
  reach(): Promise<boolean> {
    if (this.running?.gen !== this.gen) {
      const run = { gen: this.gen, done: this.loop(this.gen) };
      this.running = run;
      void run.done.finally(() => { if (this.running === run) this.running = undefined; });
    }
    return this.running.done;
  }

  /** Cuts the backoff wait short (the computer woke, the network changed): asks again now. */
  retryNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.cancelWait?.();
  }

  stop(): void {
    this.gen++;
    this.abort?.abort();
    this.retryNow();
  }

  private async loop(gen: number): Promise<boolean> {
    this.o.onState({ state: 'probing' });
    for (let attempt = 0; gen === this.gen; attempt++) {
      let failure: { message: string; unreachable: boolean };
      try {
        const ac = new AbortController();
        this.abort = ac;
        this.requests++;
        const res = await this.o.transport.get('/version', { accept: 'application/json', signal: ac.signal, idleTimeoutMs: 15_000 });
        res.resume();
        const v = probeVerdict(res.statusCode ?? 0);
        if (gen !== this.gen) return false;
        if (v.ok) { this.o.onState({ state: 'answered' }); return true; }
        failure = { message: v.message, unreachable: false };
      } catch (e) {
        if (gen !== this.gen) return false;
        // UnreachableError says the address and what failed; anything else is the credential's own
        // failure (an exec plugin, an unreadable token file), which names its file or plugin.
        failure = { message: (e as Error).message, unreachable: e instanceof UnreachableError };
      }
      const delay = nextBackoff(attempt, this.backoff, this.random);
      this.o.onState({ state: 'failed', ...failure, retryAt: this.now() + delay });
      await new Promise<void>((resolve) => {
        this.cancelWait = resolve;
        this.timer = setTimeout(resolve, delay);
      });
      this.cancelWait = undefined;
      this.timer = undefined;
    }
    return false;
  }
}
