import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActionDef } from '../../core/actions/action';
import { ActionRunner } from '../../core/actions/runner';
import { AuditLog } from '../../core/audit/audit-log';
import { Model } from '../../core/model/store';

// The step log an action's run writes (a compose command's output, the ordered start's steps): live as
// the resource's update reason, returned with the result, made safe, bounded.
function setup(run: ActionDef['run']) {
  const model = new Model({ now: Date.now, schedule: () => {} });
  model.registerRules('docker', {
    bind: (o) => [`${o.endpoint}/${o.name}`],
    derive: (id, objs) => ({ resource: { id, name: 'p', kind: 'compose-project', plane: 'docker', endpoint: objs[0].endpoint, group: { kind: 'compose-project', name: 'p' }, runtime: 'not_applicable', reasons: [], facts: {}, actions: [{ id: 'go', label: 'Go', destructive: false, confirm: 'confirm' }] } }),
  });
  model.upsert({ plane: 'docker', endpoint: 'docker/h', kind: 'x', ns: '', name: 'p', data: {} });
  model.flush();
  const reasons: string[] = [];
  model.subscribe((c) => c.upsert.forEach((r) => r.update === 'in_progress' && reasons.push(r.reasons.map((x) => x.text).join(' | '))));
  const def: ActionDef = { spec: { id: 'go', label: 'Go', destructive: false, confirm: 'confirm' }, summary: 's', steps: [], verifyText: 'v', run, verify: () => true, verifyTimeoutMs: 1000, auditName: 't.go' };
  const runner = new ActionRunner({ model, audit: new AuditLog(path.join(mkdtempSync(path.join(tmpdir(), 'ph-steplog-')), 'audit.jsonl')), resolve: () => def });
  return { runner, resource: model.get('docker/h/p')!, model, reasons };
}

describe('an action\'s step log', () => {
  it('is returned with the result, one entry a line, escape sequences made inert, colour removed', async () => {
    const { runner, resource } = setup(async (log) => {
      log('$ ssh kraken-workers: ./compose.sh --profile dbs up -d');
      log('Starting alphakraken_postgres-service_1 ... \x1b[32mdone\x1b[0m\nStarting x\x1b[2J');
    });
    const res = await runner.run(resource, 'go', { confirmed: true });
    expect(res.log).toEqual(['$ ssh kraken-workers: ./compose.sh --profile dbs up -d', 'Starting alphakraken_postgres-service_1 ... done', 'Starting x␛[2J']);
  });

  it('is also there when the run fails, so the report comes with what led to it', async () => {
    const { runner, resource } = setup(async (log) => { log('step 1 of 3 (dbs): up -d'); throw new Error('stopped at step 1 of 3 (dbs): …'); });
    const res = await runner.run(resource, 'go', { confirmed: true });
    expect(res).toMatchObject({ outcome: 'failed', log: ['step 1 of 3 (dbs): up -d'] });
  });

  it('keeps its last 2,000 lines', async () => {
    const { runner, resource } = setup(async (log) => { for (let i = 0; i < 2500; i++) log(`line ${i}`); });
    const res = await runner.run(resource, 'go', { confirmed: true });
    expect(res.log).toHaveLength(2000);
    expect(res.log![0]).toBe('line 500');
  });
});
