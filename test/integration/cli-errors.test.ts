import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, no types
import { buildCli, CLI_ENTRY } from '../../scripts/build.mjs';

const REPO = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(REPO, 'bin/pilothouse.mjs');

// The bin runs the built bundle; build it from these sources first, so the tests see them and the bin
// does not build on its own in the middle of a test.
beforeAll(() => buildCli({ quiet: true }), 60_000);

function cli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err as { code?: number }).code ?? -1 : 0, stdout, stderr });
    });
  });
}

describe('the CLI when something is wrong', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'ph-home-'));
  const data = mkdtempSync(path.join(tmpdir(), 'ph-data-'));

  it('Docker not running: names the socket it tried and how to fix it, exit 1', async () => {
    const sock = path.join(home, 'no-such-docker.sock');
    const r = await cli(['status'], { HOME: home, DOCKER_HOST: `unix://${sock}`, PILOTHOUSE_DATA_DIR: data });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Docker engine docker/env at unix://${sock} (DOCKER_HOST): socket not found`);
    expect(r.stderr).toMatch(/Start Docker/);
  });

  it('a malformed docker context file: names the file, exit 2', async () => {
    const name = 'broken-ctx';
    const meta = path.join(home, '.docker/contexts/meta', createHash('sha256').update(name).digest('hex'));
    mkdirSync(meta, { recursive: true });
    writeFileSync(path.join(home, '.docker/config.json'), JSON.stringify({ currentContext: name }));
    writeFileSync(path.join(meta, 'meta.json'), '{"Name": "broken-ctx", "Endpoints": {');
    const r = await cli(['status', '--json'], { HOME: home, PILOTHOUSE_DATA_DIR: data });
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.resources).toEqual([]);
    const broken = out.endpoints.find((e: { name: string }) => e.name === name);
    expect(broken.configError).toBe(true);
    expect(broken.message).toContain(path.join(meta, 'meta.json'));
    expect(broken.message).toContain('not valid JSON');
  });

  it('usage errors exit 2 and say what was wrong', async () => {
    const r1 = await cli(['logs'], { HOME: home, DOCKER_HOST: 'unix:///nonexistent.sock' });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('logs needs exactly one resource');
    const r2 = await cli(['status', '--bogus'], { HOME: home });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/Unknown option '--bogus'/);
    const r3 = await cli(['serve', '--port', 'eighty'], { HOME: home });
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain("--port must be an integer ≥ 0, got 'eighty'");
  });

  it('--help, <command> --help and --version answer on stdout with exit 0; no arguments is exit 2', async () => {
    const help = await cli(['--help'], { HOME: home });
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage:\n  pilothouse serve/);
    const statusHelp = await cli(['status', '--help'], { HOME: home });
    expect(statusHelp).toMatchObject({ code: 0, stderr: '' });
    expect(statusHelp.stdout).toMatch(/^usage: pilothouse status/);
    const version = await cli(['--version'], { HOME: home });
    expect(version).toEqual({ code: 0, stdout: `pilothouse ${JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version}\n`, stderr: '' });
    const none = await cli([], { HOME: home });
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toMatch(/^usage:/);
  });

  it('the bundle finds the built renderer from its own location', async () => {
    const { RENDERER_DIR } = await import(pathToFileURL(CLI_ENTRY).href);
    expect(RENDERER_DIR).toBe(path.join(REPO, 'dist/renderer'));
  });

  it('`serve` prints the one line with a loopback URL and token', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { env: { PATH: process.env.PATH, HOME: home, DOCKER_HOST: 'unix:///nonexistent.sock', PILOTHOUSE_DATA_DIR: data } });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(out.split('\n')[0]); });
      child.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
    });
    child.kill('SIGTERM');
    expect(line).toMatch(/^Pilothouse is serving on http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+$/);
  });
});
