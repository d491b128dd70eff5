// Run under `flock /tmp/ph-scenario.lock`: it applies the rig's crashloop and api-server-restart scenarios
// (each undone in a finally), deletes an argilla-server pod (its Deployment makes a new one) and appends
// one long line to the minio container's log file, against the rig's control plane (npm run rig -- status kube).
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { tsKey } from '../../core/logs/resume';
import type { KubePod } from '../../core/planes/kube/objects';
import { KubePlane } from '../../core/planes/kube/plane';
import type { LogLine } from '../../shared/contract/domain';
import { until } from '../support/wait';
// @ts-expect-error: a plain .mjs build script, no types
import { buildCli } from '../../scripts/build.mjs';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const LOGS = path.join(REPO, '.rig/kube/logs');
const BIN = path.join(REPO, 'bin/pilothouse.mjs');
const skip = existsSync(ADMIN) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;

const EP = 'kube/kwok-pilothouse';
const ARGILLA = `${EP}/extralit/deployment/argilla-server`;
const LANGFUSE = `${EP}/extralit/deployment/langfuse`;
const MINIO = `${EP}/extralit/pod/minio`;

const kubectl = async (...args: string[]) => (await run('kubectl', ['--kubeconfig', ADMIN, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
const scenario = (name: string, ...undo: string[]) =>
  run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', name, ...undo], { cwd: REPO, timeout: 240_000 });

/** A merged line as "pod/container", and its text without the coloured prefix. */
function split(l: LogLine): { label: string; text: string } {
  const m = /^\x1b\[\d+m([^\x1b]+)\x1b\[0m (.*)$/s.exec(l.text);
  return m ? { label: m[1], text: m[2] } : { label: '', text: l.text };
}
/** kubectl's `--timestamps` lines as "ts text", with the timestamp as a sortable key. */
const kubectlLines = (out: string) => out.split('\n').filter(Boolean).map((s) => { const i = s.indexOf(' '); return { ts: s.slice(0, i), text: s.slice(i + 1) }; });
/** The CRI file's whole records (F) as the kubelet (kwok) serves them. */
const fileLines = (file: string) => readFileSync(path.join(LOGS, file), 'utf8').split('\n').filter(Boolean)
  .map((s) => /^(\S+) (?:stdout|stderr) F (.*)$/.exec(s)).filter((m): m is RegExpExecArray => !!m).map((m) => ({ ts: m[1], text: m[2] }));
const key = (x: { ts?: string; text: string }) => `${x.ts} ${x.text}`;

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err as { code?: number }).code ?? -1 : 0, stdout, stderr });
    });
  });
}

describe.skipIf(!!skip)(`kube logs against the rig's control plane${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let home: string;

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'ph-kube-logs-'));
    const env = { KUBECONFIG: ADMIN, PATH: process.env.PATH, HOME: home };
    engine = new Engine({ dataDir: path.join(home, 'data'), env, home, planes: [new KubePlane({ env, home, now: Date.now })] });
    await engine.start();
    await until('argilla-server in the model', () => engine.model.get(ARGILLA) && engine.objectsOf(ARGILLA).some((o) => o.kind === 'Pod'));
  }, 60_000);
  afterAll(() => engine?.stop());

  const podsOf = (rid: string) => engine.objectsOf(rid).filter((o) => o.kind === 'Pod').map((o) => o.data as KubePod);

  it('logs of argilla-server: its start-up line, each line labelled pod/container, the same lines as kubectl logs', async () => {
    const lines = await engine.tailLogs(ARGILLA, 100_000);
    const pod = podsOf(ARGILLA)[0].meta.name;
    const ours = lines.map(split);
    expect(ours.every((l) => l.label === `${pod}/argilla-server`)).toBe(true);
    expect(ours.map((l) => l.text)).toContain('INFO:     Uvicorn running on http://0.0.0.0:6900 (Press CTRL+C to quit)');
    // The driver writes a line every few seconds: compare up to the last line both have.
    const theirs = kubectlLines(await kubectl('-n', 'extralit', 'logs', pod, '--timestamps'));
    const upTo = tsKey(lines.at(-1)!.ts!) < tsKey(theirs.at(-1)!.ts) ? lines.at(-1)!.ts! : theirs.at(-1)!.ts;
    const mine = lines.map((l, i) => ({ ts: l.ts, text: ours[i].text })).filter((l) => tsKey(l.ts!) <= tsKey(upTo)).map(key);
    expect(mine).toEqual(theirs.filter((l) => tsKey(l.ts) <= tsKey(upTo)).map(key));
  });

  it('a 20 KB line the runtime wrote in two CRI records arrives as one line with its first timestamp', async () => {
    const ts = new Date().toISOString().replace('Z', '123456Z');
    const ts2 = ts.replace('123456Z', '123457Z');
    const mark = `LONG-${Date.now()}`;
    appendFileSync(path.join(LOGS, 'minio.log'), `${ts} stdout P ${mark}${'a'.repeat(16_374)}\n${ts2} stdout F ${'b'.repeat(4_000)}LONG-END\n`);
    const lines = await until('the long line', async () => { const ls = await engine.tailLogs(MINIO, 20); return ls.some((l) => l.text.startsWith(mark)) && ls; });
    const first = lines.findIndex((l) => l.text.startsWith(mark));
    const pieces: LogLine[] = [];
    for (let i = first; i < lines.length; i++) { pieces.push(lines[i]); if (!lines[i].part?.more) break; }
    const whole = pieces.map((p) => p.text).join('');
    // A bare pod with one container: no prefix.
    expect(whole).toBe(`${mark}${'a'.repeat(16_374)}${'b'.repeat(4_000)}LONG-END`);
    expect(pieces.every((p) => p.ts === ts)).toBe(true);
  });

  it('--container names what is wrong: a container the pods do not have, with the ones they have', async () => {
    await expect(engine.tailLogs(ARGILLA, 5, { container: 'sidecar' }))
      .rejects.toThrow("no container 'sidecar' in deployment extralit/argilla-server (containers: argilla-server)");
    const lines = await engine.tailLogs(ARGILLA, 5, { container: 'argilla-server' });
    expect(lines).toHaveLength(5);
  });

  it('a follow of the Deployment outlives its pod: the old pod until it ended, the new one from its first line, none twice or lost', async () => {
    const got: LogLine[] = [];
    const [old] = podsOf(ARGILLA).map((p) => p.meta.name);
    const startedAt = new Date().toISOString();
    const close = engine.followLogs(ARGILLA, 0, { push: (l) => { got.push(l); }, end: () => {}, congested: () => false });
    try {
      await until('a live line of the old pod', () => got.some((l) => split(l).label === `${old}/argilla-server`), 20_000);
      await kubectl('-n', 'extralit', 'delete', 'pod', old, '--wait=false');
      const fresh = await until('the new pod', () => podsOf(ARGILLA).map((p) => p.meta.name).find((n) => n !== old), 60_000);
      await until('lines of the new pod', () => got.filter((l) => split(l).label === `${fresh}/argilla-server` && l.stream !== 'system').length >= 3, 60_000);
    } finally { close(); }
    const of = (pod: string) => got.filter((l) => l.stream !== 'system' && split(l).label === `${pod}/argilla-server`).map((l) => ({ ts: l.ts, text: split(l).text }));
    const oldLines = of(old);
    const fresh = podsOf(ARGILLA).map((p) => p.meta.name).find((n) => n !== old)!;
    const newLines = of(fresh);
    for (const ls of [oldLines, newLines]) expect(new Set(ls.map(key)).size).toBe(ls.length);
    // kwok serves every argilla-server container from one CRI file: the old pod's lines are that file's,
    // contiguous from its first live line to its last; the new pod's are kubectl's since the follow began.
    const file = fileLines('argilla-server.log').map(key);
    const at = file.indexOf(key(oldLines[0]));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(oldLines.map(key)).toEqual(file.slice(at, at + oldLines.length));
    const theirs = kubectlLines(await kubectl('-n', 'extralit', 'logs', fresh, '--timestamps', `--since-time=${startedAt}`))
      .filter((l) => tsKey(l.ts) >= tsKey(startedAt) && tsKey(l.ts) <= tsKey(newLines.at(-1)!.ts!));
    expect(newLines.map(key)).toEqual(theirs.map(key));
  }, 180_000);

  it('--previous during the crashloop scenario: the last terminated container\'s log, as kubectl logs --previous has it', async () => {
    try {
      await scenario('crashloop');
      const crashing = await until('a langfuse pod with a restart', async () => {
        const pods = JSON.parse(await kubectl('-n', 'extralit', 'get', 'pods', '-l', 'rig.pilothouse.dev/crashloop=true', '-o', 'json')) as { items: Array<{ metadata: { name: string }; status?: { containerStatuses?: Array<{ restartCount: number }> } }> };
        return pods.items.find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1)?.metadata.name;
      }, 90_000);
      await until('the crashing pod in the model', () => podsOf(LANGFUSE).some((p) => p.meta.name === crashing), 30_000);
      const lines = (await engine.tailLogs(LANGFUSE, 100_000, { previous: true })).map((l) => ({ ts: l.ts, ...split(l) })).filter((l) => l.label === `${crashing}/langfuse`);
      expect(lines.map((l) => l.text)).toContain("Error: P1001: Can't reach database server at `langfuse-db:5432`");
      const theirs = kubectlLines(await kubectl('-n', 'extralit', 'logs', crashing, '--previous', '--timestamps'));
      expect(lines.map(key)).toEqual(theirs.map(key));
      await expect(new Promise((_, reject) => { try { engine.followLogs(LANGFUSE, 10, { push: () => {}, end: () => {}, congested: () => false }, { previous: true }); } catch (e) { reject(e); } }))
        .rejects.toThrow("a previous container's log has ended: read it without following");
    } finally {
      await scenario('crashloop', '--undo');
    }
  }, 300_000);

  it('api-server-restart: the break names the server, the follow resumes by itself, no line twice or lost', async () => {
    const got: LogLine[] = [];
    const close = engine.followLogs(ARGILLA, 0, { push: (l) => { got.push(l); }, end: () => {}, congested: () => false });
    const lines = () => got.filter((l) => l.stream !== 'system');
    try {
      await until('a live line', () => lines().length >= 1, 20_000);
      try { await scenario('api-server-restart'); } finally { await scenario('api-server-restart', '--undo'); }
      await until('the follow resumed', () => got.some((l) => l.stream === 'system' && l.text.includes('log stream resumed')), 90_000);
      const resumedAt = got.length;
      await until('two lines after the resume', () => got.slice(resumedAt).filter((l) => l.stream !== 'system').length >= 2, 60_000);
    } finally { close(); }
    const said = got.filter((l) => l.stream === 'system').map((l) => split(l).text);
    expect(said.find((t) => t.includes('waiting to resume'))).toMatch(/cannot reach https:\/\/127\.0\.0\.1:56443|API server of kube\/kwok-pilothouse unreachable/);
    const ours = lines().map((l) => key({ ts: l.ts, text: split(l).text }));
    expect(new Set(ours).size).toBe(ours.length);
    const file = fileLines('argilla-server.log').map(key);
    const at = file.indexOf(ours[0]);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(ours).toEqual(file.slice(at, at + ours.length));
  }, 300_000);

  describe('the built CLI', () => {
    beforeAll(() => buildCli({ quiet: true }), 90_000);
    const env = () => ({ KUBECONFIG: ADMIN, HOME: home, PILOTHOUSE_DATA_DIR: path.join(home, 'cli-data'), DOCKER_HOST: 'unix:///nonexistent.sock' });

    it('logs <name> --container C --tail N: the Deployment (not its Service of the same name), N labelled lines', async () => {
      const r = await cli(['logs', 'extralit/argilla-server', '--container', 'argilla-server', '--tail', '4', '--no-color'], env());
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = r.stdout.trimEnd().split('\n');
      expect(out).toHaveLength(4);
      for (const l of out) expect(l).toMatch(/^argilla-server-[a-z0-9]+-[a-z0-9]+\/argilla-server /);
    }, 120_000);

    it('logs --container of a container that is not there, and --previous with -f: exit 2 naming the problem', async () => {
      const r = await cli(['logs', ARGILLA, '--container', 'sidecar'], env());
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("no container 'sidecar' in deployment extralit/argilla-server (containers: argilla-server)");
      const f = await cli(['logs', ARGILLA, '--previous', '-f'], env());
      expect(f.code).toBe(2);
      expect(f.stderr).toContain('--previous is the log of a container that ended: it cannot be followed (drop -f)');
    }, 120_000);

    it('status --context --namespace: only that context\'s namespace; an unknown context lists the real ones', async () => {
      const r = await cli(['status', '--context', 'kwok-pilothouse', '--namespace', 'pdf-chatbot', '--json'], env());
      const { resources } = JSON.parse(r.stdout) as { resources: Array<{ id: string; plane: string; group: { name: string } }> };
      expect(resources.length).toBeGreaterThan(0);
      expect(resources.every((x) => x.plane === 'kube' && x.group.name === 'pdf-chatbot' && x.id.startsWith(`${EP}/`))).toBe(true);
      expect(resources.map((x) => x.id)).toContain(`${EP}/pdf-chatbot/deployment/pdf-chatbot`);
      const bad = await cli(['status', '--context', 'prod'], env());
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("no kube context 'prod' (contexts: kwok-pilothouse)");
    }, 120_000);
  });
});
