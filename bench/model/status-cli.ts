import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { median, ms, type Figure } from './figures';

// `pilothouse status --json` against the rig's Docker engine, against `docker ps -a` on the same engine:
// both are "one process asks one engine for its containers", so the ratio says what the CLI adds on top.

const ROOT = path.resolve(import.meta.dirname, '../..');
const BUDGET_RATIO = 3;

function rigDockerHost(): string {
  if (process.env.PILOTHOUSE_BENCH_DOCKER_HOST) return process.env.PILOTHOUSE_BENCH_DOCKER_HOST;
  const f = path.join(ROOT, '.rig/docker/DOCKER_HOST');
  return existsSync(f) ? readFileSync(f, 'utf8').trim() : `unix://${path.join(ROOT, '.rig/docker/docker.sock')}`;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): { ms: number; status: number | null; stdout: string; stderr: string } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  return { ms: performance.now() - t, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

/** What bin/pilothouse.mjs runs today: TypeScript through tsx's loader, or built JavaScript. */
function cliKind(): string {
  const src = readFileSync(path.join(ROOT, 'bin/pilothouse.mjs'), 'utf8');
  return /tsx/.test(src) ? 'bin/pilothouse.mjs loads TypeScript through tsx' : 'bin/pilothouse.mjs runs built JavaScript';
}

export function statusFigure(runs = 5): Figure {
  const name = 'status --json vs docker ps -a';
  const budget = `≤ ${BUDGET_RATIO}× docker ps -a`;
  const host = rigDockerHost();
  const env = { ...process.env, DOCKER_HOST: host, PILOTHOUSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'ph-bench-cli-')) };
  const probe = timed('docker', ['ps', '-a'], env);
  if (probe.status !== 0) return { name, value: 'skipped', budget, note: `no Docker engine answers at ${host} (${probe.stderr.trim().split('\n')[0] || `exit ${probe.status}`})` };
  const cli = ['bin/pilothouse.mjs', 'status', '--json'];
  const first = timed(process.execPath, cli, env); // warms the disk cache (and tsx's, if it is used) for both
  let parsed: { resources?: unknown[] } | undefined;
  try { parsed = JSON.parse(first.stdout); } catch { /* reported below */ }
  if (!parsed) return { name, value: 'failed', budget, pass: false, note: `status --json printed no JSON (exit ${first.status}): ${first.stderr.trim().split('\n').slice(0, 3).join(' / ')}` };
  const ph: number[] = [];
  const dk: number[] = [];
  let rebuilt = 0;
  for (let i = 0; i < runs; i++) {
    const r = timed(process.execPath, cli, env);
    // Someone edited a source meanwhile and the CLI rebuilt itself: that run measures esbuild, not the CLI.
    if (/pilothouse: building/.test(r.stderr)) { rebuilt++; i--; if (rebuilt > runs) break; continue; }
    ph.push(r.ms);
    dk.push(timed('docker', ['ps', '-a'], env).ms);
  }
  const ratio = median(ph) / median(dk);
  const containers = probe.stdout.trim().split('\n').length - 1;
  return {
    name, budget, pass: ratio <= BUDGET_RATIO,
    value: `${ms(median(ph))} vs ${ms(median(dk))}, ${ratio.toFixed(1)}×`,
    note: `median of ${runs} runs each, ${containers} containers, ${Array.isArray(parsed.resources) ? parsed.resources.length : '?'} resources in the JSON, exit ${first.status}; ${cliKind()}${rebuilt ? `; ${rebuilt} runs that rebuilt the CLI first were left out` : ''}; runs: [${ph.map((x) => Math.round(x)).join(', ')}] vs [${dk.map((x) => Math.round(x)).join(', ')}] ms`,
  };
}
