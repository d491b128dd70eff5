import type { ActionSpec, Reason, RuntimeStatus } from '../../../shared/contract/domain';
import type { Derived, ModelObject, PlaneRules } from '../../model/object';
import type { ApiGeneration, ApiPool } from './api';
import { utcClock, utcText } from '../../../shared/text/utc';

/**
 * Pure rules for Airflow pools: a pool object (the API's counts) and, while someone looks at the pool,
 * the task instances holding its slots, make one resource `airflow/<instance>/pool/<name>`.
 */

export const POOL_KIND = 'pool';
export const HOLDERS_KIND = 'pool-holders';
/** The most slots "Set slots" accepts: Airflow has no limit, a typo of 30000 for 3 should not pass. */
export const MAX_SLOTS = 10_000;

export interface PoolData {
  pool: ApiPool;
  api: ApiGeneration;
  version: string;
  /** The size "Drain" remembered (kept in the data directory), while the pool is not back to it. */
  remembered?: number;
  /** When the counts were read (ms). */
  at: number;
}

export interface Holder {
  dag_id: string;
  run_id: string;
  task_id: string;
  state: string;
  start?: string;
  map_index?: number;
}

export interface HoldersData {
  holders: Holder[];
  /** More held the slots than were listed (the list is bounded). */
  more: number;
  at: number;
}

export function poolId(endpoint: string, name: string): string {
  return `${endpoint}/${POOL_KIND}/${name}`;
}

export const SET_SLOTS = 'airflow-set-slots';
export const DRAIN = 'airflow-drain';
export const RESTORE = 'airflow-restore';

/** Occupancy as the operator reads it: "2 of 3 slots". */
export function occupancy(p: ApiPool): string {
  return `${p.occupied_slots} of ${p.slots} slot${p.slots === 1 ? '' : 's'}`;
}

/** Tasks that wait for a slot of this pool (scheduled: ready to run, no slot free). */
export function waiting(p: ApiPool): number {
  return p.scheduled_slots;
}

/**
 * The pool's runtime and reasons. A full pool with tasks waiting is a warning (work is queueing up);
 * a pool set to 0 with tasks waiting is a warning that names the cause; more tasks holding slots than the
 * pool has (it was made smaller under them) is a warning until they finish; anything else is ok.
 */
export function poolHealth(p: ApiPool, remembered?: number): { runtime: RuntimeStatus; reasons: Reason[] } {
  const w = waiting(p);
  const reasons: Reason[] = [];
  const waits = w ? `, ${w} task${w === 1 ? '' : 's'} waiting for a slot` : '';
  if (p.slots === 0) {
    const was = remembered !== undefined ? ` (drained from ${remembered}; Restore size brings it back)` : '';
    if (p.occupied_slots > 0) reasons.push({ text: `draining: 0 slots${was}, ${p.occupied_slots} task${p.occupied_slots === 1 ? '' : 's'} still holding slots${waits}`, severity: 'warning' });
    else if (w) reasons.push({ text: `0 slots${was}: ${w} task${w === 1 ? '' : 's'} wait for a slot that will not open`, severity: 'warning' });
    else reasons.push({ text: `0 slots${was}: no task can start in this pool`, severity: 'info' });
    return { runtime: reasons[0]!.severity === 'warning' ? 'warning' : 'ok', reasons };
  }
  if (p.occupied_slots > p.slots) {
    reasons.push({ text: `over its size: ${p.occupied_slots} tasks hold slots of ${p.slots}${waits} (it was made smaller while they ran)`, severity: 'warning' });
    return { runtime: 'warning', reasons };
  }
  if (p.open_slots <= 0 && w > 0) {
    reasons.push({ text: `full: ${occupancy(p)} in use${waits}`, severity: 'warning' });
    return { runtime: 'warning', reasons };
  }
  reasons.push({ text: `${occupancy(p)} in use${waits}`, severity: 'info' });
  if (remembered !== undefined && remembered !== p.slots) reasons.push({ text: `remembered size ${remembered} (from a drain); Restore size sets it back`, severity: 'info' });
  return { runtime: 'ok', reasons };
}

function clock(iso: string | undefined): string {
  if (!iso) return 'not started';
  return utcText(iso, 'second');
}

/** One line per task holding a slot: "acquisition_handler.rig_instrument1 / run-1 / copy_raw_file · running since 17:30:02". */
export function holderLine(h: Holder): string {
  const task = h.map_index !== undefined && h.map_index >= 0 ? `${h.task_id}[${h.map_index}]` : h.task_id;
  return `${h.dag_id} / ${h.run_id} / ${task} · ${h.state}${h.start ? ` since ${clock(h.start)}` : ''}`;
}

export function poolActions(d: PoolData): ActionSpec[] {
  const p = d.pool;
  const out: ActionSpec[] = [
    { id: SET_SLOTS, label: 'Set slots', destructive: false, confirm: 'confirm', input: { kind: 'number', label: 'Slots', min: 0, max: MAX_SLOTS, default: p.slots } },
  ];
  if (p.slots > 0 || p.occupied_slots > 0) out.push({ id: DRAIN, label: 'Drain', destructive: true, confirm: 'confirm' });
  if (d.remembered !== undefined && d.remembered !== p.slots) out.push({ id: RESTORE, label: `Restore size (${d.remembered})`, destructive: false, confirm: 'confirm' });
  return out;
}

export function derivePool(id: string, pool: ModelObject<PoolData>, holders?: ModelObject<HoldersData>): Derived {
  const d = pool.data;
  const p = d.pool;
  const { runtime, reasons } = poolHealth(p, d.remembered);
  const facts: Record<string, string> = {
    occupancy: occupancy(p),
    slots: String(p.slots),
    open: String(p.open_slots),
    running: String(p.running_slots),
    queued: String(p.queued_slots),
    scheduled: String(p.scheduled_slots),
    deferred: `${p.deferred_slots}${p.include_deferred ? ' (count against the slots)' : ' (do not count against the slots)'}`,
    airflow: `Airflow ${d.version} via /api/${d.api}`,
  };
  if (p.description) facts.description = p.description;
  if (d.remembered !== undefined) facts['remembered size'] = String(d.remembered);
  if (holders) {
    const h = holders.data;
    facts['holding slots'] = h.holders.length
      ? h.holders.map(holderLine).join('\n') + (h.more ? `\n… and ${h.more} more` : '')
      : 'no task holds a slot';
  } else if (p.occupied_slots > 0) {
    facts['holding slots'] = `${p.occupied_slots} task${p.occupied_slots === 1 ? '' : 's'} (listed while this pool is open in the detail)`;
  }
  return {
    resource: {
      id,
      name: p.name,
      kind: POOL_KIND,
      plane: 'airflow',
      endpoint: pool.endpoint,
      group: { kind: 'airflow', name: pool.endpoint.slice(pool.endpoint.indexOf('/') + 1) },
      runtime,
      reason: reasons[0],
      reasons,
      facts,
      actions: poolActions(d),
    },
  };
}

export const airflowRules: PlaneRules = {
  bind(obj) {
    if (obj.kind === POOL_KIND || obj.kind === HOLDERS_KIND) return [poolId(obj.endpoint, obj.name)];
    return [];
  },
  derive(id, objects) {
    const pool = objects.find((o) => o.kind === POOL_KIND) as ModelObject<PoolData> | undefined;
    if (!pool) return undefined;
    const holders = objects.find((o) => o.kind === HOLDERS_KIND) as ModelObject<HoldersData> | undefined;
    return derivePool(id, pool, holders);
  },
};

export function poolDataOf(objects: readonly ModelObject[]): PoolData | undefined {
  return (objects.find((o) => o.kind === POOL_KIND) as ModelObject<PoolData> | undefined)?.data;
}

export function holdersOf(objects: readonly ModelObject[]): HoldersData | undefined {
  return (objects.find((o) => o.kind === HOLDERS_KIND) as ModelObject<HoldersData> | undefined)?.data;
}

/** The endpoint's words for a failed attempt: a refused login is not a server being away. */
export function failureWords(name: string, url: string, err: { kind: 'unauthorized' | 'unreachable' | 'error'; text: string }, retryAt: number | undefined): { message: string; hint?: string } {
  // Nobody looking: nothing is retried in the background; the next look tries again.
  const again = retryAt === undefined ? 'tried again when someone looks at its pools'
    : `${err.kind === 'unauthorized' ? 'trying again' : 'retrying'} at ${utcClock(retryAt)}`;
  switch (err.kind) {
    case 'unauthorized': return {
      message: `airflow/${name} unauthorized: ${err.text}; ${again}`,
      hint: 'Check the username and the password source (passwordEnv / passwordFile) in airflow.yaml.',
    };
    case 'unreachable': return { message: `airflow/${name} unreachable at ${url}: ${err.text}; ${again}` };
    default: return { message: `airflow/${name}: ${err.text}; ${again}` };
  }
}
