import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/contract/client';
import type { Resource } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { until } from '../support/wait';
// @ts-expect-error: a plain .mjs build script, no types
import { buildCli } from '../../scripts/build.mjs';

// Run under `flock /tmp/ph-scenario.lock`: it applies the rig's pool-busy scenario and triggers runs of
// the rig DAG, which fill file_copy_pool for everyone. Every Airflow of the rig that is up runs the same
// cases (.rig/airflow: 2.10, /api/v1; .rig/airflow3: 3.x, /api/v2). afterAll puts the pools back to their
// rig sizes (3, 30, 2), fails the runs it started and pauses the DAG, whatever happened.
const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const DAG = 'acquisition_handler.rig_instrument1';
const RIG_SIZES: Record<string, number> = { file_copy_pool: 3, cluster_slots_pool: 30, s3_upload_pool: 2 };
const EXTRA_POOLS = 101;   // with the rig's 4 pools: more than one page of 100

const INSTANCES = [
  { dir: 'airflow', api: 'v1' as const, auth: 'basic auth' },
  { dir: 'airflow3', api: 'v2' as const, auth: 'token from /auth/token' },
].map((i) => {
  const d = path.join(REPO, '.rig', i.dir);
  const skip = existsSync(path.join(d, 'url')) ? undefined : `no ${d}/url: start it (npm run rig -- up ${i.dir})`;
  return { ...i, path: d, skip, title: `${i.dir}${skip ? ` (skipped: ${skip})` : ''}` };
});

/** The test's own hands on the Airflow (plain fetch), to set the stage and check the outcome independently. */
class RigAirflow {
  readonly url: string;
  private readonly user: string;
  private readonly pw: string;
  private token?: string;
  constructor(readonly dir: string, readonly api: 'v1' | 'v2') {
    this.url = readFileSync(path.join(dir, 'url'), 'utf8').trim();
    this.user = readFileSync(path.join(dir, 'username'), 'utf8').trim();
    this.pw = readFileSync(path.join(dir, 'password'), 'utf8').trim();
  }
  private async auth(): Promise<string> {
    if (this.api === 'v1') return `Basic ${Buffer.from(`${this.user}:${this.pw}`).toString('base64')}`;
    if (!this.token) {
      const r = await fetch(`${this.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: this.user, password: this.pw }), signal: AbortSignal.timeout(20_000) });
      this.token = ((await r.json()) as { access_token: string }).access_token;
    }
    return `Bearer ${this.token}`;
  }
  async req<T = any>(method: string, p: string, body?: unknown): Promise<T> {
    const r = await fetch(`${this.url}/api/${this.api}${p}`, {
      // No content-type without a body: Airflow 2 answers a DELETE that has one with 400.
      method, headers: { authorization: await this.auth(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(30_000),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }
  pool(name: string) { return this.req<{ slots: number; occupied_slots: number; running_slots: number; open_slots: number; include_deferred: boolean; description: string | null }>('GET', `/pools/${name}`); }
  async setSlots(name: string, slots: number): Promise<void> {
    const p = await this.pool(name);
    if (p.slots !== slots) await this.req('PATCH', `/pools/${name}`, { name, slots, description: p.description, include_deferred: p.include_deferred });
  }
  pause(paused: boolean) { return this.req('PATCH', `/dags/${DAG}?update_mask=is_paused`, { is_paused: paused }); }
  async trigger(id: string, copySeconds: number): Promise<void> {
    await this.req('POST', `/dags/${DAG}/dagRuns`, { dag_run_id: id, conf: { copy_seconds: copySeconds, raw_file: `${id}.raw` }, ...(this.api === 'v2' ? { logical_date: null } : {}) });
  }
  /** Fails the DAG's runs whose id starts with `prefix` that are still running or queued. */
  async failRuns(prefix: string): Promise<void> {
    const { dag_runs } = await this.req<{ dag_runs: Array<{ dag_run_id: string }> }>('GET', `/dags/${DAG}/dagRuns?limit=100&state=running&state=queued`);
    for (const r of dag_runs) if (r.dag_run_id.startsWith(prefix)) await this.req('PATCH', `/dags/${DAG}/dagRuns/${r.dag_run_id}`, { state: 'failed' }).catch(() => {});
  }
}

async function scenario(target: string, undo = false): Promise<void> {
  await run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', 'pool-busy', ...(undo ? ['--undo'] : [])], { cwd: REPO, env: { ...process.env, RIG_POOL_TARGET: target }, timeout: 300_000 });
}

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO, 'bin/pilothouse.mjs'), ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err as { code?: number }).code ?? -1 : 0, stdout, stderr });
    });
  });
}

// One suite per rig Airflow; one that is not up is skipped, its title saying why.
for (const inst of INSTANCES) describe.skipIf(!!inst.skip)(`Airflow pools on the rig ${inst.title}`, () => {
  const name = 'rig';
  const poolRid = (p: string) => `airflow/${name}/pool/${p}`;
  let rig: RigAirflow;
  let configDir: string;
  let dataDir: string;
  let engine: Engine;
  let client: Client;
  const runPrefix = `ph-test-${Date.now()}`;
  const created = new Set<string>();
  const extra = Array.from({ length: EXTRA_POOLS }, (_, i) => `ph-page-${String(i).padStart(3, '0')}`);
  const pool = (p: string): Resource | undefined => engine.list().find((r) => r.id === poolRid(p));
  const env = () => ({ PILOTHOUSE_CONFIG_DIR: configDir, PILOTHOUSE_DATA_DIR: dataDir, DOCKER_HOST: 'unix:///nonexistent.sock', KUBECONFIG: '/nonexistent', PILOTHOUSE_SSH_CONFIG: '/nonexistent' });
  const newEngine = async () => {
    const e = new Engine({ dataDir, home: mkdtempSync(path.join(tmpdir(), 'ph-home-')), env: env(), planes: undefined });
    await e.start();
    return e;
  };

  beforeAll(async () => {
    rig = new RigAirflow(inst.path, inst.api);
    configDir = mkdtempSync(path.join(tmpdir(), 'ph-config-'));
    dataDir = mkdtempSync(path.join(tmpdir(), 'ph-data-'));
    // airflow.yaml as an operator writes it: the password in a file of its own, a short bounded drain wait.
    writeFileSync(path.join(configDir, 'airflow.yaml'), [
      'airflows:',
      `  ${name}:`,
      `    url: ${rig.url}`,
      `    username: ${readFileSync(path.join(inst.path, 'username'), 'utf8').trim()}`,
      `    passwordFile: ${path.join(inst.path, 'password')}`,
      '    drainTimeoutSeconds: 90',
      '',
    ].join('\n'));
    for (const [p, n] of Object.entries(RIG_SIZES)) await rig.setSlots(p, n);
    engine = await newEngine();
    client = connectInProcess(engine.handlers());
  });

  afterAll(async () => {
    client?.close();
    engine?.stop();
    if (!rig) return;
    await rig.pause(true).catch(() => {});
    await rig.failRuns(runPrefix).catch(() => {});
    for (const p of [...created]) await rig.req('DELETE', `/pools/${p}`).catch(() => {});
    for (const [p, n] of Object.entries(RIG_SIZES)) await rig.setSlots(p, n).catch(() => {});
  });

  it(`connects with the ${inst.api} API and says so in words`, () => {
    const ep = engine.endpoints().find((e) => e.id === `airflow/${name}`)!;
    expect(ep.state).toBe('connected');
    // Nobody has looked yet: the first read is all, and the endpoint says when it was.
    expect(ep.message).toMatch(new RegExp(`^connected as Airflow \\d+\\.\\d+\\.\\d+ via /api/${inst.api} \\(${inst.auth}\\); pools last read at \\d\\d:\\d\\d:\\d\\d UTC, read again when someone looks at them$`));
    expect(ep.source).toBe('airflow.yaml line 2');
    expect(pool('file_copy_pool')!.facts).toMatchObject({ slots: '3', occupancy: expect.stringMatching(/^\d of 3 slots$/) });
  });

  it('reads the pools only while someone looks: not in the background, every few seconds while a list is open', async () => {
    const slots = () => pool('s3_upload_pool')?.facts.slots;
    expect(slots()).toBe('2');
    try {
      // Nobody looks: a change made in Airflow is not read (no polling in the background).
      await rig.setSlots('s3_upload_pool', 5);
      await new Promise((r) => setTimeout(r, 8_000));
      expect(slots()).toBe('2');
      // A list that shows the Airflow plane opens (as the page's overview does): read at once, then every few seconds.
      const sub = client.subscribe('stack:watch', { scope: { planes: ['airflow'] }, level: 'rows' }, { onBatch: () => {} });
      try {
        await until('s3_upload_pool read when the list opens', () => slots() === '5', 10_000);
        expect(engine.endpoints().find((e) => e.id === `airflow/${name}`)!.message).not.toMatch(/last read/);
        await rig.setSlots('s3_upload_pool', 6);
        await until('s3_upload_pool read again while the list is open', () => slots() === '6', 10_000);
        // A list of another plane is not a look at the pools.
        sub.send({ scope: { planes: ['docker'] } });
        await until('the endpoint says when the pools were last read', () => /last read at/.test(engine.endpoints().find((e) => e.id === `airflow/${name}`)!.message ?? ''), 10_000);
        await rig.setSlots('s3_upload_pool', 7);
        await new Promise((r) => setTimeout(r, 8_000));
        expect(slots()).toBe('6');
      } finally { sub.close(); }
    } finally { await rig.setSlots('s3_upload_pool', RIG_SIZES.s3_upload_pool!); }
  });

  it('lists every pool when there are more than one page of them', async () => {
    for (const p of extra) {
      created.add(p);
      await rig.req('POST', '/pools', { name: p, slots: 1, ...(inst.api === 'v2' ? { include_deferred: false } : {}) }).catch(() => {});
    }
    const { total_entries } = await rig.req<{ total_entries: number }>('GET', '/pools?limit=1');
    expect(total_entries).toBeGreaterThan(100);
    const e = await newEngine();
    try {
      const pools = e.list({ planes: ['airflow'] }).filter((r) => r.kind === 'pool');
      expect(pools.length).toBe(total_entries);
      expect(pools.map((r) => r.name)).toEqual(expect.arrayContaining([...extra, 'file_copy_pool', 'default_pool']));
    } finally { e.stop(); }
    for (const p of extra) { await rig.req('DELETE', `/pools/${p}`); created.delete(p); }
    expect((await rig.req<{ total_entries: number }>('GET', '/pools?limit=1')).total_entries).toBe(total_entries - EXTRA_POOLS);
  });

  it('shows the occupancy pool-busy creates, the tasks holding the slots while looked at, and a drain that times out says what still holds them', async () => {
    let short: Engine | undefined;
    try {
      await scenario(inst.dir);
      // Someone opens the pool in the detail: it refreshes every few seconds and lists its tasks.
      const release = engine.watchDetail({ ids: [poolRid('file_copy_pool')] }, 'full');
      try {
        const full = await until('file_copy_pool full with tasks waiting', () => {
          const r = pool('file_copy_pool');
          // The scenario's "full" counts queued tasks too; the executor starts them a few seconds later.
          const holders = r?.facts['holding slots']?.split('\n') ?? [];
          return r?.runtime === 'warning' && /^full: 3 of 3 slots in use, \d+ tasks? waiting for a slot$/.test(r.reason?.text ?? '')
            && r.facts.running === '3' && holders.length === 3 && holders.every((h) => h.includes('· running')) ? r : undefined;
        }, 90_000);
        expect(full.facts).toMatchObject({ slots: '3', running: '3', open: '0', occupancy: '3 of 3 slots' });
        for (const line of full.facts['holding slots']!.split('\n')) expect(line).toMatch(new RegExp(`^${DAG.replace('.', '\\.')} / pool-busy-\\S+ / copy_raw_file · running since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC$`));
      } finally { release(); }
      await until('the holders leave the model when nobody looks', () => !pool('file_copy_pool')!.facts['holding slots']?.includes(' / '), 10_000);

      // The CLI's status lists the pools with their occupancy.
      await buildCli({ quiet: true });
      const st = await cli(['status', '--json', '--plane', 'airflow'], env());
      const out = JSON.parse(st.stdout) as { resources: Array<{ name: string; runtime: string; reasons: Array<{ text: string }>; facts: Record<string, string> }> };
      const fc = out.resources.find((r) => r.name === 'file_copy_pool')!;
      expect(fc.runtime).toBe('warning');
      expect(fc.facts).toMatchObject({ slots: '3', running: '3', occupancy: '3 of 3 slots' });
      expect(fc.reasons[0]!.text).toMatch(/^full: 3 of 3 slots in use/);
      expect(st.code).toBe(1);   // a warning is not healthy
      const table = await cli(['status', '--plane', 'airflow'], env());
      expect(table.stdout).toMatch(/rig\s+file_copy_pool\s+pool\s+airflow\s+.*warning\s+idle\s+full: 3 of 3 slots in use/);

      // A drain of tasks that run for an hour gives up after its bounded wait, naming what holds the slots.
      writeFileSync(path.join(configDir, 'airflow.yaml'), readFileSync(path.join(configDir, 'airflow.yaml'), 'utf8').replace('drainTimeoutSeconds: 90', 'drainTimeoutSeconds: 10'));
      short = await newEngine();
      const sc = connectInProcess(short.handlers());
      const res = await sc.request('action:run', { resource: poolRid('file_copy_pool'), action: 'airflow-drain', confirmed: true });
      sc.close();
      expect(res.outcome).toBe('failed');
      expect(res.message).toMatch(/^Drain failed: timed out after 10 s: 3 task\(s\) still hold slots of file_copy_pool \(.*copy_raw_file · running.*\); 0 finished meanwhile\. The pool stays at 0 slots; Restore size sets it back to 3$/);
      expect((await rig.pool('file_copy_pool')).slots).toBe(0);
      expect(JSON.parse(res.audit)).toMatchObject({ action: 'airflow.drain', outcome: 'failed' });
    } finally {
      writeFileSync(path.join(configDir, 'airflow.yaml'), readFileSync(path.join(configDir, 'airflow.yaml'), 'utf8').replace('drainTimeoutSeconds: 10', 'drainTimeoutSeconds: 90'));
      try { await scenario(inst.dir, true); } finally {
        // The size the drain remembered is what Restore brings back.
        if (short) {
          const sc = connectInProcess(short.handlers());
          try {
            const restore = await sc.request('action:run', { resource: poolRid('file_copy_pool'), action: 'airflow-restore', confirmed: true });
            expect(restore.outcome, restore.message).toBe('ok');
          } finally { sc.close(); short.stop(); }
        }
      }
    }
    expect((await rig.pool('file_copy_pool')).slots).toBe(3);
  });

  it('drains file_copy_pool: waits for the running copy tasks, reports 0 open slots, and Restore size (kept across a restart) brings back 3', async () => {
    const release = engine.watchDetail({ ids: [poolRid('file_copy_pool')] }, 'full');
    try {
      // Looking at the pool reads it afresh (unwatched, what the engine holds may be a minute old).
      await until('the pool read afresh: 3 slots, none held', () => pool('file_copy_pool')?.facts.slots === '3' && pool('file_copy_pool')?.facts.occupancy === '0 of 3 slots', 30_000, 250);
      await rig.pause(false);
      for (let i = 1; i <= 3; i++) await rig.trigger(`${runPrefix}-${i}`, 30);
      await until('three copy tasks running', () => pool('file_copy_pool')?.facts.running === '3', 90_000, 250);
    } finally { release(); }

    const preview = await client.request('action:preview', { resource: poolRid('file_copy_pool'), action: 'airflow-drain' });
    const patch = inst.api === 'v2'
      ? `PATCH ${rig.url}/api/v2/pools/file_copy_pool {"name":"file_copy_pool","slots":0,"description":`
      : `PATCH ${rig.url}/api/v1/pools/file_copy_pool?update_mask=slots {"slots":0}`;
    expect(preview.steps.map((s) => s.call)).toEqual([
      `remember file_copy_pool = 3 slots in ${path.join(dataDir, 'airflow-pool-sizes.json')}`,
      expect.stringContaining(patch),
      expect.stringMatching(/^GET .*\/taskInstances\?pool=file_copy_pool&state=running&state=queued every 3 s until none is left \(at most 90 s\)$/),
    ]);

    const res = await client.request('action:run', { resource: poolRid('file_copy_pool'), action: 'airflow-drain', confirmed: true });
    expect(res.outcome, res.message).toBe('ok');
    const log = res.log!;
    expect(log.filter((l) => /^holds a slot: .* \/ ph-test-\d+-\d \/ copy_raw_file · running/.test(l))).toHaveLength(3);
    expect(log.filter((l) => /^finished: .* \/ ph-test-\d+-\d \/ copy_raw_file$/.test(l))).toHaveLength(3);
    expect(log[log.length - 1]).toBe('0 open slots, 3 tasks finished');
    const after = await rig.pool('file_copy_pool');
    expect(after).toMatchObject({ slots: 0, occupied_slots: 0, open_slots: 0 });
    expect(pool('file_copy_pool')!.reasons[0]!.text).toBe('0 slots (drained from 3; Restore size brings it back): no task can start in this pool');

    // The remembered size survives a restart of the app: a new engine on the same data directory offers it.
    engine.stop();
    client.close();
    engine = await newEngine();
    client = connectInProcess(engine.handlers());
    expect(pool('file_copy_pool')!.actions.map((a) => a.label)).toContain('Restore size (3)');
    const restore = await client.request('action:run', { resource: poolRid('file_copy_pool'), action: 'airflow-restore', confirmed: true });
    expect(restore.outcome, restore.message).toBe('ok');
    expect((await rig.pool('file_copy_pool')).slots).toBe(3);
    expect(pool('file_copy_pool')!.actions.map((a) => a.id)).not.toContain('airflow-restore');
  });

  it('sets slots to a typed value, refusing one out of bounds before anything is sent', async () => {
    await expect(client.request('action:preview', { resource: poolRid('s3_upload_pool'), action: 'airflow-set-slots', value: -1 })).rejects.toThrow(/Set slots rig\/s3_upload_pool: slots must be a whole number from 0 to 10000 \(got -1\)/);
    const res = await client.request('action:run', { resource: poolRid('s3_upload_pool'), action: 'airflow-set-slots', confirmed: true, value: 5 });
    expect(res.outcome, res.message).toBe('ok');
    expect((await rig.pool('s3_upload_pool')).slots).toBe(5);
    expect(JSON.parse(res.audit)).toMatchObject({ action: 'airflow.set-slots', outcome: 'ok', resource: poolRid('s3_upload_pool') });
    const back = await client.request('action:run', { resource: poolRid('s3_upload_pool'), action: 'airflow-set-slots', confirmed: true, value: 2 });
    expect(back.outcome).toBe('ok');
    expect((await rig.pool('s3_upload_pool')).slots).toBe(2);
  });
});
