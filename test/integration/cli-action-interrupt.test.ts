// `pilothouse action` stopped while the change runs (Ctrl-C, a closed terminal, a kill): the request may
// already be with the server, so the audit log gets its line before the command exits 130. Against the
// rig's Docker: a container of its own that ignores SIGTERM, so `restart?t=10` is still running when the
// CLI is interrupted.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, no types
import { buildCli } from '../../scripts/build.mjs';
import { dockerClient, ensureTestImage, runContainer, testDockerHost } from '../support/docker-fixtures';

const REPO = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(REPO, 'bin/pilothouse.mjs');
const RIG = path.join(REPO, '.rig/docker/DOCKER_HOST');
const host = testDockerHost();
const skip = existsSync(RIG) && readFileSync(RIG, 'utf8').trim() === host ? undefined : `no rig Docker (${RIG}): start the rig (npm run rig -- up docker)`;
const NAME = 'pilothouse-itest-cli-interrupt';

describe.skipIf(!!skip)(`pilothouse action interrupted mid-run${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let docker: Docker;
  const home = mkdtempSync(path.join(tmpdir(), 'ph-cli-int-'));
  const data = path.join(home, 'data');

  beforeAll(async () => {
    docker = dockerClient(host);
    await ensureTestImage(docker);
    await runContainer(docker, { name: NAME, cmd: ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done'] });
    await buildCli({ quiet: true });
  }, 60_000);

  afterAll(async () => { await docker?.getContainer(NAME).remove({ force: true }).catch(() => undefined); });

  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    it(`${signal} while Restart runs: exit 130, the operator told it may have happened, the audit line written`, async () => {
      const env = { PATH: process.env.PATH, HOME: home, PILOTHOUSE_DATA_DIR: data, DOCKER_HOST: host, KUBECONFIG: path.join(home, 'none') };
      const p = spawn(process.execPath, [BIN, 'action', NAME, 'restart', '--yes'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      p.stdout.on('data', (d) => { out += d; if (out.includes('Restart: running') && !p.killed) p.kill(signal); });
      p.stderr.on('data', (d) => { err += d; });
      const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
      expect(out).toContain('Restart: running');
      expect(code, err).toBe(130);
      expect(err).toMatch(new RegExp(`Restart interrupted by ${signal} before it finished: the change may have been made; check standalone/${NAME}.*recorded in .*audit\\.jsonl`));
      const lines = readFileSync(path.join(data, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.at(-1)).toMatchObject({ action: 'docker.restart', resource: `docker/env/standalone/${NAME}`, outcome: 'unverified', detail: expect.stringContaining(`interrupted by ${signal}`) });
      expect((lines.at(-1)!.steps as Array<{ call: string }>)[0].call).toMatch(/^POST \/containers\/[0-9a-f]{64}\/restart\?t=10$/);
    }, 60_000);
  }
});
