import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/contract/client';
import type { LogLine } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { dockerClient, ensureTestImage, openLogFiles, rigDockerdPid, runContainer, testDockerHost } from '../support/docker-fixtures';
import { until } from '../support/wait';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const host = testDockerHost();
const rigDocker = existsSync(path.join(REPO, '.rig/docker/DOCKER_HOST')) && readFileSync(path.join(REPO, '.rig/docker/DOCKER_HOST'), 'utf8').trim() === host;
const NAME = 'pilothouse-itest-logs-restart';
const RID = `docker/env/standalone/${NAME}`;
// Numbered lines that go on counting across restarts (the count lives in the container's /tmp, replaced
// by a rename: a kill between `>`'s truncation and its write once made the count start again at 1, and the
// container itself printed 225 numbers twice), every 7th on stderr, every 10th 24 KB long (two records in
// Docker's log).
const SCRIPT = `i=$(cat /tmp/n 2>/dev/null || echo 0); while true; do i=$((i+1)); echo $i > /tmp/n.new; mv /tmp/n.new /tmp/n;
  if [ $((i % 10)) -eq 0 ]; then awk -v i=$i 'BEGIN { printf "%d long ", i; for (k = 0; k < 3000; k++) printf "%07d,", k; print "" }';
  elif [ $((i % 7)) -eq 0 ]; then echo "$i short" >&2; else echo "$i short"; fi; sleep 0.05; done`;
const LONG = Array.from({ length: 3000 }, (_, k) => `${String(k).padStart(7, '0')},`).join('');

let docker: Docker;
let engine: Engine;
let client: Client;

beforeAll(async () => {
  docker = dockerClient(host);
  await docker.ping();
  await ensureTestImage(docker);
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')), env: { DOCKER_HOST: host }, home: mkdtempSync(path.join(tmpdir(), 'ph-home-')) });
  await engine.start();
  client = connectInProcess(engine.handlers());
});

afterAll(async () => {
  client?.close();
  engine?.stop();
  await docker?.getContainer(NAME).remove({ force: true }).catch(() => undefined);
});

/** Whole lines from a follow's items: pieces joined, system lines apart. */
function wholeLines(items: LogLine[]): Array<{ text: string; stream: string }> {
  const out: Array<{ text: string; stream: string }> = [];
  const open: Record<string, string> = {};
  for (const l of items) {
    if (l.stream === 'system') continue;
    if (l.part?.more) { open[l.stream] = (open[l.stream] ?? '') + l.text; continue; }
    out.push({ text: (open[l.stream] ?? '') + l.text, stream: l.stream });
    delete open[l.stream];
  }
  return out;
}

/** The numbers the daemon itself stored, read from its json log files (records joined as Docker cut them). */
function capturedNumbers(logPath: string): number[] {
  const nums: number[] = [];
  const open: Record<string, string> = {};
  for (const f of [`${logPath}.1`, logPath].filter((p) => existsSync(p))) {
    for (const row of readFileSync(f, 'utf8').split('\n')) {
      if (!row) continue;
      const r = JSON.parse(row) as { log: string; stream: string };
      const text = (open[r.stream] ?? '') + r.log;
      if (!r.log.endsWith('\n')) { open[r.stream] = text; continue; }
      delete open[r.stream];
      const m = /^(\d+) /.exec(text);
      if (m) nums.push(Number(m[1]));
    }
  }
  return nums;
}

describe('a follow across a dockerd restart (real Docker)', () => {
  it.skipIf(!rigDocker)('one stream afterwards, no duplicate, gaps only where the daemon captured nothing, the cause named', async () => {
    await ensureTestImage(docker);
    const c = await runContainer(docker, { name: NAME, restart: 'always', cmd: ['sh', '-c', SCRIPT] });
    const logPath = (await c.inspect()).LogPath;
    await until('the container in the model', () => engine.list().find((r) => r.id === RID)?.runtime === 'ok', 20_000);
    const got: LogLine[] = [];
    const sub = client.subscribe('logs:follow', { resource: RID, tail: 0 }, { onBatch: (b) => got.push(...b) });
    try {
      await until('30 numbered lines', () => wholeLines(got).length >= 30, 30_000);
      const pid1 = rigDockerdPid()!;
      expect(openLogFiles(pid1, logPath)).toBe(2);   // the container's logger and our one reader

      const scenario = (...undo: string[]) => run('bash', [path.join(REPO, 'test/rig/rig.sh'), 'scenario', 'docker-daemon-restart', ...undo], { env: { ...process.env }, timeout: 300_000 });
      try {
        await scenario();
        const mark = got.length;
        await until('the follow to resume', () => got.some((l) => l.text === '— log stream resumed —'), 90_000, 250);
        await until('40 more lines after the restart', () => wholeLines(got.slice(mark)).length >= 40, 60_000, 250);
        const pid2 = rigDockerdPid()!;
        expect(pid2).not.toBe(pid1);
        // Exactly one stream: the daemon has the log open for its logger and for one reader, ours.
        await new Promise((r) => setTimeout(r, 2_000));
        expect(openLogFiles(pid2, logPath)).toBe(2);
      } finally {
        // The rig's engine is shared: the projects the stop took down come back whatever happened above.
        await scenario('--undo');
      }
      const system = got.filter((l) => l.stream === 'system').map((l) => l.text);
      // The restart breaks the stream at least once; on a loaded runner the daemon's first minutes (its
      // restart-policy starts, then the undo's compose ups) can break it again. Every break is named
      // before its resume; what matters is below: no line twice, none the daemon stored lost.
      const resumes = system.filter((t) => t === '— log stream resumed —').length;
      expect(resumes, system.join(' / ')).toBeGreaterThanOrEqual(1);
      expect(system.filter((t) => /; waiting to resume —$/.test(t)).length, system.join(' / ')).toBeGreaterThanOrEqual(resumes);
      expect(system[0]).toMatch(/^— (Docker engine docker\/env went away|container exited with code \d+); waiting to resume —$/);
      expect(system.join('\n')).not.toMatch(/aborted/);

      const lines = wholeLines(got);
      const nums = lines.map((l) => Number(/^(\d+) (short|long )/.exec(l.text)?.[1]));
      expect(nums.every((n) => Number.isInteger(n))).toBe(true);
      expect(new Set(nums).size).toBe(nums.length);                       // no duplicate
      // In order within each stream (Docker's stdout and stderr copiers timestamp and write apart).
      for (const s of ['stdout', 'stderr']) {
        const mine = nums.filter((_, i) => lines[i].stream === s);
        expect(mine.every((n, i) => i === 0 || n > mine[i - 1]), `${s} out of order: ${mine.join(' ')}`).toBe(true);
      }
      for (const l of lines) {
        const n = Number(/^\d+/.exec(l.text)![0]);
        expect(l.text).toBe(n % 10 === 0 ? `${n} long ${LONG}` : `${n} short`);
        expect(l.stream).toBe(n % 10 !== 0 && n % 7 === 0 ? 'stderr' : 'stdout');
      }
      // Gaps only where the daemon captured nothing: what it stored in the followed range, we delivered.
      const first = Math.min(...nums), last = Math.max(...nums);
      const stored = capturedNumbers(logPath).filter((n) => n >= first && n <= last);
      expect([...nums].sort((a, b) => a - b)).toEqual([...stored].sort((a, b) => a - b));
      const resumedAt = got.findIndex((l) => l.text === '— log stream resumed —');
      console.log(`logs-restart: ${nums.length} lines ${first}..${last}, the daemon stored ${stored.length}; around the break: ${wholeLines(got.slice(Math.max(0, resumedAt - 12), resumedAt + 12)).map((l) => l.text.slice(0, 12)).join(' | ')}; system: ${system.join(' / ')}`);
    } finally {
      sub.close();
    }
    await until('no reader left once unsubscribed', () => openLogFiles(rigDockerdPid()!, logPath) === 1, 10_000, 100);
    expect(engine.logs.size).toBe(0);
  }, 600_000);
});
