import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/contract/client';
import type { LogLine } from '../../shared/contract/domain';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { dockerClient, ensureTestImage, openLogFiles, rigDockerdPid, runContainer, testDockerHost } from '../support/docker-fixtures';
import { until } from '../support/wait';

const host = testDockerHost();
const NAME = 'pilothouse-itest-logs-big';
const RID = `docker/env/standalone/${NAME}`;
// 2 MB on one line, every 8 bytes numbered, so a piece in the wrong place or a timestamp left inside shows.
const bigLine = (tag: string) => tag + Array.from({ length: 262_144 }, (_, i) => `${String(i).padStart(7, '0')},`).join('');
const BIG = `awk -v t=$T 'BEGIN { printf "%s", t; for (i = 0; i < 262144; i++) printf "%07d,", i; print "" }'`;
const SCRIPT = [
  `printf 'garbage \\000\\001\\377\\376\\033[2J\\033]0;title\\007 end\\n'`,
  `printf 'bad utf8 \\303\\050 \\355\\240\\200 here\\n'`,
  `T=first; ${BIG}`,
  'echo MARKER-1',
  'sleep 4',
  `T=second; ${BIG}`,
  'echo MARKER-2',
  'exec sleep 3600',
].join('; ');

let docker: Docker;
let engine: Engine;
let client: Client;
let container: Docker.Container;

beforeAll(async () => {
  docker = dockerClient(host);
  await docker.ping().catch((e) => { throw new Error(`no Docker engine at ${host} (${e.message}): start one with 'npm run rig -- up docker'`); });
  await ensureTestImage(docker);
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')), env: { DOCKER_HOST: host }, home: mkdtempSync(path.join(tmpdir(), 'ph-home-')) });
  await engine.start();
  client = connectInProcess(engine.handlers());
  container = await runContainer(docker, { name: NAME, cmd: ['sh', '-c', SCRIPT] });
  await until('the container in the model', () => engine.list().some((r) => r.id === RID), 20_000);
});

afterAll(async () => {
  client?.close();
  engine?.stop();
  await container?.remove({ force: true }).catch(() => undefined);
});

/** The pieces of the line that starts with `tag`, and the lines around it. */
function pieces(lines: LogLine[], tag: string) {
  const i = lines.findIndex((l) => l.text.startsWith(tag));
  expect(i).toBeGreaterThanOrEqual(0);
  const j = lines.findIndex((l, k) => k >= i && !l.part?.more);
  return { before: lines[i - 1], parts: lines.slice(i, j + 1), after: lines[j + 1] };
}

describe('long lines, garbage and markers through the engine (real Docker)', () => {
  it('logs:tail: the 2 MB line joins byte for byte from marked pieces, the marker on its own line', async () => {
    await until('MARKER-1 in the log', async () => (await client.request('logs:tail', { resource: RID, tail: 50 })).lines.some((l) => l.text === 'MARKER-1'), 30_000, 250);
    const { lines } = await client.request('logs:tail', { resource: RID, tail: 50 });
    const { before, parts, after } = pieces(lines, 'first');
    expect(parts.map((p) => p.text).join('')).toBe(bigLine('first'));
    expect(parts.length).toBe(Math.ceil(bigLine('first').length / 16384));
    expect(parts.map((p) => p.part)).toEqual(parts.map((_, i) => ({ index: i, more: i < parts.length - 1 })));
    expect(new Set(parts.map((p) => p.ts)).size).toBe(1);
    expect(parts.some((p) => /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z/.test(p.text))).toBe(false);
    expect(after).toMatchObject({ text: 'MARKER-1', stream: 'stdout' });
    expect(after.part).toBeUndefined();
    expect(before.text).toMatch(/^bad utf8 .* here$/);
    expect(lines[0].text).toMatch(/^garbage .* end$/);
    expect(lines).toHaveLength(3 + parts.length);
  });

  it('logs:tail of fewer lines than the long line has records still gives whole lines', async () => {
    const { lines } = await client.request('logs:tail', { resource: RID, tail: 2 });
    const { parts, after } = pieces(lines, 'first');
    expect(parts.map((p) => p.text).join('')).toBe(bigLine('first'));
    expect(after.text).toBe('MARKER-1');
  });

  it('logs:follow: the tail, then a 2 MB line written live, whole; one log reader while followed, none after', async () => {
    const info = await container.inspect();
    const pid = rigDockerdPid();
    const readers = () => (pid ? openLogFiles(pid, info.LogPath) : NaN);
    const idle = readers();
    const got: LogLine[] = [];
    const sub = client.subscribe('logs:follow', { resource: RID, tail: 100 }, { onBatch: (b) => got.push(...b) });
    try {
      await until('MARKER-2 followed', () => got.some((l) => l.text === 'MARKER-2'), 40_000, 100);
      for (const tag of ['first', 'second']) {
        const { parts, after } = pieces(got, tag);
        expect(parts.map((p) => p.text).join('')).toBe(bigLine(tag));
        expect(parts.every((p) => p.part)).toBe(true);
        expect(after.text).toBe(`MARKER-${tag === 'first' ? 1 : 2}`);
      }
      expect(got.filter((l) => l.text === 'MARKER-1')).toHaveLength(1);
      // A search while the follow is open reads the kept lines.
      const s = await client.request('logs:search', { resource: RID, query: '/^MARKER-\\d$/' });
      expect(s.lines.map((l) => l.text)).toEqual(['MARKER-1', 'MARKER-2']);
      expect(s.lines.map((l) => l.seq)).toEqual(got.filter((l) => /^MARKER/.test(l.text)).map((l) => l.seq));
      if (pid) expect(readers()).toBe(idle + 1);
      expect(engine.logs.size).toBe(1);
    } finally {
      sub.close();
    }
    await until('the follow released', () => engine.logs.size === 0, 5_000, 50);
    if (pid) await until('the daemon to close our log reader', () => readers() === idle, 5_000, 100);
  });

  it('two subscribers share one daemon stream', async () => {
    const info = await container.inspect();
    const pid = rigDockerdPid();
    const a: LogLine[] = [], b: LogLine[] = [];
    const idle = pid ? openLogFiles(pid, info.LogPath) : 0;
    const s1 = client.subscribe('logs:follow', { resource: RID, tail: 1 }, { onBatch: (x) => a.push(...x) });
    await until('first subscriber has the tail', () => a.some((l) => l.text === 'MARKER-2'), 20_000);
    const other = connectInProcess(engine.handlers());
    const s2 = other.subscribe('logs:follow', { resource: RID, tail: 1 }, { onBatch: (x) => b.push(...x) });
    await until('second subscriber has the tail', () => b.some((l) => l.text === 'MARKER-2'), 20_000);
    expect(engine.logs.size).toBe(1);
    if (pid) expect(openLogFiles(pid, info.LogPath)).toBe(idle + 1);
    s1.close(); s2.close(); other.close();
    await until('released', () => engine.logs.size === 0, 5_000, 50);
  });
});
