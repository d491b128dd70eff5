import { readinessPatch, type RigApi } from './api';

// Pod updates at a steady rate, as a cluster's kubelets send them: each one flips a pod's readiness (so
// every update changes what its row says, and reaches the page), on pods round-robin. Open-loop: requests
// go out on schedule whether or not the last ones are answered, up to a bound on those in flight.

export interface Pod { ns: string; name: string }

export interface LoadResult { sent: number; ok: number; failed: number; skipped: number; seconds: number; firstError?: string }

export const STRATEGIC = 'application/strategic-merge-patch+json';

export function patchStatus(api: RigApi, pod: Pod, ready: boolean, message: string) {
  return api.request('PATCH', `/api/v1/namespaces/${pod.ns}/pods/${pod.name}/status`, readinessPatch(ready, message), STRATEGIC);
}

/** `maxInFlight`: the client's sockets, so that nothing waits in the client's queue (it is the server's pace that is measured). */
export function startLoad(api: RigApi, pods: readonly Pod[], perSecond: number, maxInFlight: number): { stop(): Promise<LoadResult> } {
  const notReady = new Set<number>();
  let next = 0, sent = 0, ok = 0, failed = 0, skipped = 0, inFlight = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const done: Array<Promise<unknown>> = [];
  const tick = () => {
    const due = Math.floor(((performance.now() - t0) / 1000) * perSecond) - sent - skipped;
    for (let i = 0; i < due; i++) {
      if (inFlight >= maxInFlight) { skipped++; continue; }
      const k = next++ % pods.length;
      const ready = notReady.has(k);
      if (ready) notReady.delete(k); else notReady.add(k);
      sent++; inFlight++;
      const p = patchStatus(api, pods[k], ready, ready ? '' : `bench load ${sent}`).then(
        (r) => { if (r.status === 200) ok++; else { failed++; firstError ??= `HTTP ${r.status}: ${r.text.slice(0, 200)}`; } },
        (e: Error) => { failed++; firstError ??= e.message; },
      ).finally(() => { inFlight--; });
      done.push(p);
      if (done.length > 4096) done.splice(0, 2048);
    }
  };
  const timer = setInterval(tick, 10);
  return {
    async stop() {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      await Promise.allSettled(done);
      return { sent, ok, failed, skipped, seconds, firstError };
    },
  };
}
