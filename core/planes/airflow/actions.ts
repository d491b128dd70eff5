import type { Resource } from '../../../shared/contract/domain';
import type { ActionDef, ActionInput } from '../../actions/action';
import type { ModelObject } from '../../model/object';
import type { ApiPool } from './api';
import type { AirflowInstance } from './instance';
import { DRAIN, holderLine, poolActions, poolDataOf, RESTORE, SET_SLOTS, type Holder } from './rules';

/** How often a drain asks which tasks still hold the pool's slots. */
export const DRAIN_POLL_MS = 3_000;

function patchText(inst: AirflowInstance, pool: ApiPool, slots: number): string {
  const p = inst.api.slotsPatch(pool, slots);
  return `${p.method} ${inst.settings.url}${p.path} ${JSON.stringify(p.body)}`;
}

/** The slots now in the model's objects, for `verify`. */
function slotsOf(objects: readonly ModelObject[]): { slots: number; occupied: number } | undefined {
  const d = poolDataOf(objects);
  return d && { slots: d.pool.slots, occupied: d.pool.occupied_slots };
}

/**
 * Set slots, Drain and Restore size on a pool. Each reads the pool again right before its PATCH, so the
 * Airflow 3 body (which must carry description and include_deferred) holds what the pool has now, not
 * what the model last saw.
 */
export function poolAction(inst: AirflowInstance, r: Resource, actionId: string, objects: readonly ModelObject[], input?: ActionInput): ActionDef | undefined {
  const d = poolDataOf(objects);
  if (!d || !poolActions(d).some((a) => a.id === actionId)) return undefined;
  const spec = poolActions(d).find((a) => a.id === actionId)!;
  const name = d.pool.name;
  const ep = inst.endpointId;
  const where = `pool ${name} on ${ep}`;
  const sizeKey = inst.sizeKey(name);

  const setTo = async (slots: number, log: (l: string) => void): Promise<ApiPool> => {
    const now = await inst.api.pool(name);
    log(`${patchText(inst, now, slots)}`);
    await inst.api.setSlots(now, slots);
    const after = await inst.api.pool(name);
    inst.publishPool(after);
    log(`${name}: ${after.slots} slots, ${after.open_slots} open, ${after.occupied_slots} held`);
    return after;
  };

  if (actionId === SET_SLOTS) {
    const slots = input?.value ?? d.pool.slots;
    return {
      spec,
      summary: `Set the slots of ${where} from ${d.pool.slots} to ${slots}`,
      steps: [{ endpoint: ep, call: patchText(inst, d.pool, slots) }],
      verifyText: `${name} has ${slots} slots`,
      async run(log) { await setTo(slots, log); },
      verify: (objs) => slotsOf(objs)?.slots === slots,
      verifyTimeoutMs: 30_000,
      auditName: 'airflow.set-slots',
    };
  }

  if (actionId === RESTORE) {
    const slots = d.remembered!;
    return {
      spec,
      summary: `Restore ${where} to the ${slots} slots it had before it was drained (now ${d.pool.slots})`,
      steps: [{ endpoint: ep, call: patchText(inst, d.pool, slots) }],
      verifyText: `${name} has ${slots} slots`,
      async run(log) {
        await setTo(slots, log);
        inst.forget(sizeKey);
        await inst.refreshNow();
      },
      verify: (objs) => slotsOf(objs)?.slots === slots,
      verifyTimeoutMs: 30_000,
      auditName: 'airflow.restore-slots',
    };
  }

  if (actionId === DRAIN) {
    const timeoutMs = inst.settings.drainTimeoutMs;
    const keep = d.pool.slots > 0 ? d.pool.slots : d.remembered;
    const holdersCall = `GET ${inst.settings.url}${inst.api.prefix}/dags/~/dagRuns/~/taskInstances?pool=${encodeURIComponent(name)}&state=running&state=queued${d.pool.include_deferred ? '&state=deferred' : ''}`;
    return {
      spec,
      summary: `Drain ${where}: remember its size (${keep ?? 'none'}), set it to 0 slots, and wait up to ${Math.round(timeoutMs / 60_000 * 10) / 10} min for the ${d.pool.occupied_slots} task(s) holding slots to finish`,
      steps: [
        { endpoint: ep, call: `remember ${name} = ${keep ?? '(nothing: it is already at 0)'} slots in ${inst.sizesFile ?? 'memory'}` },
        { endpoint: ep, call: patchText(inst, d.pool, 0) },
        { endpoint: ep, call: `${holdersCall} every ${DRAIN_POLL_MS / 1000} s until none is left (at most ${Math.round(timeoutMs / 1000)} s)` },
      ],
      verifyText: `${name} has 0 slots and no task holds one`,
      async run(log) {
        const first = await inst.api.pool(name);
        if (first.slots > 0) {
          inst.remember(sizeKey, first.slots);
          log(`remembered ${name} = ${first.slots} slots`);
        }
        await setTo(0, log);
        const deadline = Date.now() + timeoutMs;
        const seen = new Map<string, Holder>();
        let finished = 0;
        let lastWaiting = '';
        for (;;) {
          const pool = await inst.api.pool(name);
          const holders = inst.publishHolders(name, await inst.api.holders(pool));
          inst.publishPool(pool);
          const now = new Set(holders.map(holderKey));
          for (const [k, h] of seen) if (!now.has(k)) { finished++; seen.delete(k); log(`finished: ${h.dag_id} / ${h.run_id} / ${h.task_id}`); }
          for (const h of holders) if (!seen.has(holderKey(h))) { seen.set(holderKey(h), h); log(`holds a slot: ${holderLine(h)}`); }
          if (pool.occupied_slots === 0 && holders.length === 0) {
            const w = pool.scheduled_slots;
            log(`${pool.open_slots} open slots, ${finished} task${finished === 1 ? '' : 's'} finished${w ? `; ${w} task${w === 1 ? '' : 's'} wait for a slot` : ''}`);
            return;
          }
          if (Date.now() >= deadline) {
            const list = holders.map(holderLine).join('; ') || `${pool.occupied_slots} task(s) the API did not list`;
            throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s: ${pool.occupied_slots} task(s) still hold slots of ${name} (${list}); ${finished} finished meanwhile. `
              + `The pool stays at 0 slots${keep !== undefined ? `; Restore size sets it back to ${keep}` : ''}`);
          }
          // Said when it changes, not every round: a long drain's step log stays readable.
          const waitingLine = `waiting for ${holders.length || pool.occupied_slots} task(s) holding slots; ${finished} finished so far`;
          if (waitingLine !== lastWaiting) log(waitingLine);
          lastWaiting = waitingLine;
          await new Promise((res) => setTimeout(res, Math.min(DRAIN_POLL_MS, Math.max(0, deadline - Date.now()))));
        }
      },
      verify: (objs) => { const s = slotsOf(objs); return s?.slots === 0 && s.occupied === 0; },
      verifyTimeoutMs: 30_000,
      auditName: 'airflow.drain',
    };
  }
  return undefined;
}

function holderKey(h: Holder): string {
  return `${h.dag_id}\n${h.run_id}\n${h.task_id}\n${h.map_index ?? -1}`;
}
