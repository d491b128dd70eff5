import { describe, expect, it } from 'vitest';
import type { ApiPool } from '../../core/planes/airflow/api';
import { detailOf } from '../../core/planes/airflow/api';
import { airflowRules, failureWords, holderLine, poolActions, poolHealth, type PoolData } from '../../core/planes/airflow/rules';

const pool = (p: Partial<ApiPool>): ApiPool => ({
  name: 'file_copy_pool', slots: 3, occupied_slots: 0, running_slots: 0, queued_slots: 0, scheduled_slots: 0, open_slots: 3, deferred_slots: 0,
  description: 'Copying raw files', include_deferred: false, ...p,
});

describe('a pool\'s health', () => {
  it('is ok with its occupancy in words while a slot is free', () => {
    expect(poolHealth(pool({ occupied_slots: 2, running_slots: 2, open_slots: 1 }))).toEqual({ runtime: 'ok', reasons: [{ text: '2 of 3 slots in use', severity: 'info' }] });
  });
  it('is ok when full with nothing waiting: full is what a pool is for', () => {
    expect(poolHealth(pool({ occupied_slots: 3, running_slots: 3, open_slots: 0 })).runtime).toBe('ok');
  });
  it('warns when full with tasks waiting for a slot', () => {
    expect(poolHealth(pool({ occupied_slots: 3, running_slots: 3, open_slots: 0, scheduled_slots: 2 }))).toEqual({
      runtime: 'warning', reasons: [{ text: 'full: 3 of 3 slots in use, 2 tasks waiting for a slot', severity: 'warning' }],
    });
  });
  it('warns when more tasks hold slots than the pool has (made smaller under them)', () => {
    const h = poolHealth(pool({ slots: 1, occupied_slots: 3, running_slots: 3, open_slots: -2 }));
    expect(h.runtime).toBe('warning');
    expect(h.reasons[0]!.text).toBe('over its size: 3 tasks hold slots of 1 (it was made smaller while they ran)');
  });
  it('a drained pool: draining while tasks hold slots, then a quiet 0 that names the remembered size', () => {
    expect(poolHealth(pool({ slots: 0, occupied_slots: 2, running_slots: 2, open_slots: -2 }), 3).reasons[0]).toEqual({ text: 'draining: 0 slots (drained from 3; Restore size brings it back), 2 tasks still holding slots', severity: 'warning' });
    expect(poolHealth(pool({ slots: 0, open_slots: 0 }), 3)).toEqual({ runtime: 'ok', reasons: [{ text: '0 slots (drained from 3; Restore size brings it back): no task can start in this pool', severity: 'info' }] });
  });
  it('warns when a pool of 0 slots has tasks waiting that can never start', () => {
    expect(poolHealth(pool({ slots: 0, open_slots: 0, scheduled_slots: 1 }))).toEqual({ runtime: 'warning', reasons: [{ text: '0 slots: 1 task wait for a slot that will not open', severity: 'warning' }] });
  });
});

describe('a pool\'s actions', () => {
  const data = (p: Partial<ApiPool>, remembered?: number): PoolData => ({ pool: pool(p), api: 'v1', version: '2.10.5', at: 0, ...(remembered !== undefined ? { remembered } : {}) });
  it('Set slots takes a number from 0 with the current size as default; Drain while it has slots', () => {
    const a = poolActions(data({}));
    expect(a.map((x) => x.id)).toEqual(['airflow-set-slots', 'airflow-drain']);
    expect(a[0]!.input).toEqual({ kind: 'number', label: 'Slots', min: 0, max: 10_000, default: 3 });
  });
  it('Restore size is offered only while the pool is not at the remembered size', () => {
    expect(poolActions(data({ slots: 0, open_slots: 0 }, 3)).map((x) => x.label)).toEqual(['Set slots', 'Restore size (3)']);
    expect(poolActions(data({}, 3)).map((x) => x.id)).not.toContain('airflow-restore');
  });
});

describe('the pool resource', () => {
  it('binds the pool and its holders to one id and shows the tasks holding slots as facts', () => {
    const objs = [
      { plane: 'airflow' as const, endpoint: 'airflow/rig', kind: 'pool', ns: '', name: 'file_copy_pool', data: { pool: pool({ occupied_slots: 1, running_slots: 1, open_slots: 2 }), api: 'v2', version: '3.1.0', at: 0 } },
      { plane: 'airflow' as const, endpoint: 'airflow/rig', kind: 'pool-holders', ns: '', name: 'file_copy_pool', data: { holders: [{ dag_id: 'd', run_id: 'r1', task_id: 'copy', state: 'running', start: '2026-12-06T17:30:02.123Z' }], more: 0, at: 0 } },
    ];
    expect(objs.map((o) => airflowRules.bind(o))).toEqual([['airflow/rig/pool/file_copy_pool'], ['airflow/rig/pool/file_copy_pool']]);
    const r = airflowRules.derive('airflow/rig/pool/file_copy_pool', objs, { now: 0 })!.resource;
    expect(r).toMatchObject({ name: 'file_copy_pool', kind: 'pool', plane: 'airflow', group: { kind: 'airflow', name: 'rig' }, runtime: 'ok' });
    expect(r.facts).toMatchObject({ occupancy: '1 of 3 slots', open: '2', airflow: 'Airflow 3.1.0 via /api/v2', 'holding slots': 'd / r1 / copy · running since 2026-12-06 17:30:02 UTC' });
  });
  it('without a look, says how many hold slots and that they are listed in the detail', () => {
    const r = airflowRules.derive('x', [{ plane: 'airflow', endpoint: 'airflow/rig', kind: 'pool', ns: '', name: 'p', data: { pool: pool({ occupied_slots: 2 }), api: 'v1', version: '2', at: 0 } }], { now: 0 })!.resource;
    expect(r.facts['holding slots']).toBe('2 tasks (listed while this pool is open in the detail)');
  });
  it('a mapped task shows its index', () => {
    expect(holderLine({ dag_id: 'd', run_id: 'r', task_id: 't', state: 'queued', map_index: 4 })).toBe('d / r / t[4] · queued');
  });
});

describe('the endpoint\'s words', () => {
  it('tells a refused login from a server that is away, each with the retry time', () => {
    const at = Date.parse('2026-12-06T17:40:01Z');
    expect(failureWords('rig', 'http://h:8080', { kind: 'unauthorized', text: 'POST /auth/token: 401 Unauthorized (user admin refused)' }, at).message)
      .toBe('airflow/rig unauthorized: POST /auth/token: 401 Unauthorized (user admin refused); trying again at 17:40:01 UTC');
    expect(failureWords('rig', 'http://h:8080', { kind: 'unreachable', text: 'GET http://h:8080/api/v2/version: ECONNREFUSED connect 127.0.0.1:8080' }, at).message)
      .toBe('airflow/rig unreachable at http://h:8080: GET http://h:8080/api/v2/version: ECONNREFUSED connect 127.0.0.1:8080; retrying at 17:40:01 UTC');
  });
  it('with nobody looking, promises no retry time: the next look tries again', () => {
    expect(failureWords('rig', 'http://h:8080', { kind: 'unreachable', text: 'ECONNREFUSED' }, undefined).message)
      .toBe('airflow/rig unreachable at http://h:8080: ECONNREFUSED; tried again when someone looks at its pools');
  });
  it('takes the detail of an Airflow 2 problem+json and of an Airflow 3 FastAPI error', () => {
    expect(detailOf('{"detail": null, "status": 401, "title": "Unauthorized"}')).toBe('Unauthorized');
    expect(detailOf('{"detail":"Invalid credentials"}')).toBe('Invalid credentials');
    expect(detailOf('<html>Bad gateway</html>')).toBe('<html>Bad gateway</html>');
  });
});

describe('an action\'s typed input, checked by the engine', () => {
  // Imported here: the check is the runner's, shared by every plane that declares an input.
  it('takes a whole number within the bounds, refuses none given (the default only fills the form) and the rest, naming the action', async () => {
    const { checkInput } = await import('../../core/actions/runner');
    const r = { group: { kind: 'airflow', name: 'rig' }, name: 'file_copy_pool' } as Parameters<typeof checkInput>[0];
    const spec = poolActions({ pool: pool({}), api: 'v1', version: '2', at: 0 })[0]!;
    expect(checkInput(r, spec, 5)).toEqual({ value: 5 });
    expect(() => checkInput(r, spec, undefined)).toThrow('Set slots rig/file_copy_pool: slots is required: a whole number from 0 to 10000; now 3');
    expect(() => checkInput(r, spec, 2.5)).toThrow('Set slots rig/file_copy_pool: slots must be a whole number from 0 to 10000 (got 2.5)');
    expect(() => checkInput(r, spec, 10_001)).toThrow(/from 0 to 10000 \(got 10001\)/);
    const drain = poolActions({ pool: pool({}), api: 'v1', version: '2', at: 0 })[1]!;
    expect(() => checkInput(r, drain, 1)).toThrow('Drain rig/file_copy_pool takes no value (got 1)');
  });
});
