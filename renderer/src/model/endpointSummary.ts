import type { PlaneEndpoint } from '../../../shared/contract/domain';

/**
 * What the topbar says about the endpoints. A handful is shown one by one; more than that (every kube
 * context, every SSH host and its engine) would wrap the bar into a wall of "connected", so it becomes
 * one line of counts with only the endpoints that need a look named (the overview's table has them all).
 */
export interface EndpointSummary {
  /** Shown one by one: all of them when few, else only those not connected or idle (worst first). */
  shown: PlaneEndpoint[];
  /** "9 endpoints: 8 connected · 1 idle" when they are many; undefined when each is shown. */
  counts?: string;
  /** Endpoints that need a look but did not fit. */
  more: number;
}

export const TOPBAR_ALL_UP_TO = 4;
const NAMED_AT_MOST = 3;
const ORDER: PlaneEndpoint['state'][] = ['unavailable', 'connecting', 'suspended', 'idle', 'connected'];

export function endpointSummary(endpoints: readonly PlaneEndpoint[]): EndpointSummary {
  if (endpoints.length <= TOPBAR_ALL_UP_TO) return { shown: [...endpoints], more: 0 };
  const by = new Map<string, number>();
  for (const e of endpoints) by.set(e.state, (by.get(e.state) ?? 0) + 1);
  const counts = `${endpoints.length} endpoints: ${ORDER.filter((s) => by.get(s)).map((s) => `${by.get(s)} ${s}`).join(' · ')}`;
  const look = endpoints.filter((e) => e.state !== 'connected' && e.state !== 'idle')
    .sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state));
  return { shown: look.slice(0, NAMED_AT_MOST), counts, more: Math.max(0, look.length - NAMED_AT_MOST) };
}

/** "connected as Airflow 2.10.5 …" rather than "connected: connected as …"; the state alone when the message only repeats it. */
export function stateText(e: Pick<PlaneEndpoint, 'state' | 'message'>): string {
  const m = e.message?.trim();
  if (!m || m === e.state) return e.state;
  return m.toLowerCase().startsWith(e.state) ? m : `${e.state}: ${m}`;
}
