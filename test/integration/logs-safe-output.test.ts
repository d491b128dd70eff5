import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../core/host/cli';
import { dockerClient, ensureTestImage, runContainer, testDockerHost } from '../support/docker-fixtures';
// @ts-expect-error: a plain .mjs build script, no types
import { buildCli } from '../../scripts/build.mjs';

// `pilothouse logs` on a container that prints what takes over a terminal: the real engine, the real
// CLI through a pipe (stdout is then not a terminal), and main() told that stdout is one.

const REPO = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(REPO, 'bin/pilothouse.mjs');
const NAME = 'pilothouse-itest-safe-escapes';
const host = testDockerHost();
const MARKER = `MARKER-${process.pid}-${Date.now()}`;
// A 2 MB line of numbered cells (over Docker's 16 KB: it is stored as ~128 records, each with its own
// timestamp), made in the container by awk: a shell argument cannot be that long.
const CELLS = 300_000;
const LONG = Array.from({ length: CELLS }, (_, i) => String(i).padStart(7, '0')).join('');
const LONG_CMD = `awk 'BEGIN { for (i = 0; i < ${CELLS}; i++) printf "%07d", i; print "" }'`;

/** Deterministic "random" bytes without a newline, so the line count is known. */
function garbage(n: number, seed = 12345): Buffer {
  let s = seed;
  return Buffer.from(Array.from({ length: n }, () => { s = (s * 1103515245 + 12345) >>> 0; const b = s >>> 24; return b === 0x0a ? 0x0b : b; }));
}

const E = '\x1b';
/** Stands for the long line in LINES; the script prints it with awk. */
const LONG_LINE = Buffer.from('(the 2 MB line)');
const LINES: Buffer[] = [
  Buffer.from(`clear${E}[2Jscreen`, 'latin1'),
  Buffer.from(`move${E}[10;10Hcursor`, 'latin1'),
  Buffer.from(`up${E}[5A${E}[Kerase`, 'latin1'),
  Buffer.from(`title${E}]0;pwned\x07after`, 'latin1'),
  Buffer.from(`unterminated${E}]0;swallow everything`, 'latin1'),
  Buffer.from([...Buffer.from('csi8'), 0xc2, 0x9b, ...Buffer.from('2Jbit')]), // U+009B in UTF-8
  Buffer.concat([Buffer.from('random '), garbage(300)]),
  Buffer.from([...Buffer.from('invalid '), 0xff, 0xfe, 0xc3, 0x28, ...Buffer.from(' utf8')]),
  Buffer.from(`colour ${E}[32mGREEN${E}[0m word`, 'latin1'),
  LONG_LINE,
  Buffer.from(MARKER),
  Buffer.from('after the marker'),
];

/** One printf per line, every byte but letters, digits and space as an octal escape: any byte gets through sh. */
function script(lines: Buffer[]): string {
  const fmt = (b: Buffer) => [...b].map((c) => (/[A-Za-z0-9 ]/.test(String.fromCharCode(c)) ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`)).join('');
  return lines.map((l) => (l === LONG_LINE ? LONG_CMD : `printf '${fmt(l)}\\n'`)).join('; ');
}

let docker: Docker;
const home = mkdtempSync(path.join(tmpdir(), 'ph-home-'));
const data = mkdtempSync(path.join(tmpdir(), 'ph-data-'));
const env = { PATH: process.env.PATH, HOME: home, DOCKER_HOST: host, PILOTHOUSE_DATA_DIR: data };

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err as { code?: number }).code ?? -1 : 0, stdout, stderr });
    });
  });
}

/** Every ESC in `s` that does not start an SGR sequence, and every C0 (but TAB and LF), DEL or C1. */
function nonSgrControls(s: string): string[] {
  return [...s.replace(/\x1b\[[0-9:;]*m/g, '').matchAll(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g)].map((m) => JSON.stringify(m[0]));
}

beforeAll(async () => {
  docker = dockerClient(host);
  await docker.ping().catch((e) => { throw new Error(`no Docker engine at ${host} (${e.message}): start one with 'npm run rig -- up docker'`); });
  await ensureTestImage(docker);
  const c = await runContainer(docker, { name: NAME, cmd: ['sh', '-c', script(LINES)] });
  await c.wait();
  await buildCli({ quiet: true });
});

afterAll(async () => {
  await docker?.getContainer(NAME).remove({ force: true }).catch(() => undefined);
});

describe('pilothouse logs on a hostile container', () => {
  it('into a pipe: no escape sequence or control at all, hostile ones shown as text, the marker on its own line', async () => {
    const r = await cli(['logs', NAME, '--tail', '100']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(E);
    expect(nonSgrControls(r.stdout)).toEqual([]);
    const lines = r.stdout.split('\n');
    expect(lines.at(-1)).toBe(''); // ends with a newline
    expect(lines).toContain(MARKER);
    expect(lines[lines.indexOf(MARKER) + 1]).toBe('after the marker');
    expect(lines).toEqual(expect.arrayContaining([
      'clear␛[2Jscreen', 'move␛[10;10Hcursor', 'up␛[5A␛[Kerase', 'title␛]0;pwned␇after',
      'unterminated␛]0;swallow everything', 'csi8⟨9B⟩2Jbit', 'colour GREEN word',
    ]));
    expect(lines).toContain('invalid \uFFFD\uFFFD\uFFFD( utf8'); // shown, not dropped
    // 300 bytes on one line, whatever the decoder made of them (several bytes may become one character).
    expect(lines.find((l) => l.startsWith('random '))!.length).toBeGreaterThan(150);
    // The 2 MB line: its pieces glued on one output line, byte for byte what the container printed, no
    // timestamp inside, and not glued to the marker.
    const long = lines[lines.indexOf(MARKER) - 1];
    expect(long.length).toBe(LONG.length);
    expect(long === LONG).toBe(true);
    // No timestamps unless asked; with -t every line starts with one.
    expect(lines[0]).toBe('clear␛[2Jscreen');
    const t = await cli(['logs', NAME, '--tail', '100', '-t']);
    expect(t.stdout.split('\n').filter(Boolean).every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z /.test(l))).toBe(true);
    expect(t.stdout).toMatch(new RegExp(`\\n\\S+Z ${MARKER}\\n`));
  });

  it('--color into the pipe (as for less -R): SGR is the only escape left', async () => {
    const r = await cli(['logs', NAME, '--tail', '100', '--color']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`colour ${E}[32mGREEN${E}[0m word${E}[0m\n`);
    expect(nonSgrControls(r.stdout)).toEqual([]);
    expect(r.stdout).toContain('clear␛[2Jscreen\n');
  });

  it('main() with a stdout that is a terminal: SGR passes, nothing else; NO_COLOR turns it off', async () => {
    const run = async (extra: Record<string, string> = {}) => {
      let out = '';
      let err = '';
      const code = await main(['logs', NAME, '--tail', '100'], { out: (s) => { out += s; }, err: (s) => { err += s; }, tty: { out: true, err: true } }, { ...env, ...extra });
      return { code, out, err };
    };
    const r = await run();
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(`${E}[32mGREEN${E}[0m`);
    expect(nonSgrControls(r.out)).toEqual([]);
    expect(r.out.split('\n')).toContain(MARKER);
    expect((await run({ NO_COLOR: '1' })).out).not.toContain(E);
  });
});
