import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { SyntheticPlane } from '../../bench/synthetic-plane';
import type { Client } from '../../shared/contract/client';

// The action mechanism, end to end through the contract, on the synthetic plane (no server needed).
let engine: Engine | undefined;
afterEach(() => engine?.stop());

async function setup(): Promise<{ client: Client; plane: SyntheticPlane; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ph-actions-'));
  const plane = new SyntheticPlane({ count: 20, groupSize: 10, badFraction: 0 });
  engine = new Engine({ dataDir, env: {}, planes: [plane] });
  await engine.start();
  return { client: connectInProcess(engine.handlers()), plane, dataDir };
}

const audit = (dir: string) => readFileSync(path.join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const ID = 'synthetic/sim-0/group-000/svc-00003';

describe('the action mechanism', () => {
  it('previews the exact calls against the endpoint, without changing anything', async () => {
    const { client, dataDir } = await setup();
    const p = await client.request('action:preview', { resource: ID, action: 'bump' });
    expect(p).toMatchObject({ summary: 'Bump svc-00003 on synthetic/sim-0', steps: [{ endpoint: 'synthetic/sim-0', call: 'bump synthetic/sim-0/item/group-000/svc-00003' }], verify: 'revision above 0' });
    expect(() => readFileSync(path.join(dataDir, 'audit.jsonl'))).toThrow();
  });

  it('runs, verifies and audits; the resource comes back in its new state', async () => {
    const { client, dataDir } = await setup();
    const res = await client.request('action:run', { resource: ID, action: 'bump', confirmed: true });
    expect(res.outcome).toBe('ok');
    expect(res.resource?.facts.rev).toBe('1');
    expect(res.resource?.update).toBe('idle');
    const [line] = audit(dataDir);
    expect(line).toMatchObject({ action: 'synthetic.bump', resource: ID, outcome: 'ok', steps: [{ endpoint: 'synthetic/sim-0' }] });
    expect(JSON.parse(res.audit)).toEqual(line);
  });

  it('refuses an action the resource does not offer, and one not confirmed', async () => {
    const { client } = await setup();
    await expect(client.request('action:run', { resource: ID, action: 'explode', confirmed: true })).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/does not offer 'explode'.*offered: bump, wipe/) });
    await expect(client.request('action:run', { resource: ID, action: 'bump' } as never)).rejects.toMatchObject({ code: 'invalid-input' });
  });

  it('asks for the typed name before anything that deletes data', async () => {
    const { client, dataDir } = await setup();
    const p = await client.request('action:preview', { resource: ID, action: 'wipe' });
    expect(p.typeToConfirm).toBe('svc-00003');
    await expect(client.request('action:run', { resource: ID, action: 'wipe', confirmed: true, typed: 'svc-0000' })).rejects.toMatchObject({ code: 'not-confirmed' });
    const res = await client.request('action:run', { resource: ID, action: 'wipe', confirmed: true, typed: 'svc-00003' });
    expect(res.outcome).toBe('ok');
    expect(res.resource).toBeUndefined();
    expect(audit(dataDir).map((l) => l.action)).toEqual(['synthetic.wipe']);
  });

  it('runs one action at a time per resource', async () => {
    const { client, plane } = await setup();
    plane.actionDelayMs = 200;
    const first = client.request('action:run', { resource: ID, action: 'bump', confirmed: true });
    await new Promise((r) => setTimeout(r, 30));
    await expect(client.request('action:run', { resource: ID, action: 'bump', confirmed: true })).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('bump is still running') });
    // Another resource is not held up by it.
    const other = await client.request('action:run', { resource: 'synthetic/sim-0/group-001/svc-00011', action: 'bump', confirmed: true });
    expect(other.outcome).toBe('ok');
    expect((await first).outcome).toBe('ok');
  });

  it('reports a run that worked but whose goal never held as unverified, in the answer and the audit alike', async () => {
    const { client, plane, dataDir } = await setup();
    const realAction = plane.action.bind(plane);
    plane.action = (r, id, objs) => { const d = realAction(r, id, objs)!; return { ...d, verifyTimeoutMs: 100, run: async () => {} }; };
    const res = await client.request('action:run', { resource: ID, action: 'bump', confirmed: true });
    expect(res.outcome).toBe('unverified');
    expect(res.message).toMatch(/revision above 0 did not hold within 0 s/);
    expect(res.resource?.update).toBe('error');
    expect(audit(dataDir)[0]).toMatchObject({ outcome: 'unverified' });
  });

  it('reports a failed run as failed, with the reason on the resource', async () => {
    const { client, plane, dataDir } = await setup();
    const realAction = plane.action.bind(plane);
    plane.action = (r, id, objs) => ({ ...realAction(r, id, objs)!, run: async () => { throw new Error('permission denied by the server'); } });
    const res = await client.request('action:run', { resource: ID, action: 'bump', confirmed: true });
    expect(res).toMatchObject({ outcome: 'failed', message: 'Bump failed: permission denied by the server' });
    expect(res.resource?.reasons[0]).toMatchObject({ text: 'Bump failed: permission denied by the server', severity: 'error' });
    expect(audit(dataDir)[0]).toMatchObject({ outcome: 'failed', detail: 'permission denied by the server' });
  });
});
