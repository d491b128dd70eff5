import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, no types
import { buildEngine } from '../../scripts/build.mjs';

// The engine as Electron runs it: the built dist/engine/utility.cjs in a process of its own, given
// Electron's `process.parentPort` and one MessagePortMain by a preload (both fakes over stdio, since
// Electron's binary cannot start here). Unit tests import the TypeScript; only this catches what the
// bundling does to it (CommonJS output once left `import.meta.url` empty and the engine died on load).
const REPO = path.resolve(import.meta.dirname, '../..');
const BUNDLE = path.join(REPO, 'dist/engine/utility.cjs');

const FAKE_ELECTRON = `
const { EventEmitter } = require('node:events');
const port = new EventEmitter();
port.start = () => {};
port.close = () => {};
port.postMessage = (m) => process.stdout.write('PORT ' + JSON.stringify(m) + '\\n');
const parent = new EventEmitter();
parent.postMessage = (m) => {
  process.stdout.write('PARENT ' + JSON.stringify(m) + '\\n');
  if (m && m.type === 'ready') parent.emit('message', { data: { type: 'connect' }, ports: [port] });
};
process.parentPort = parent;
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => port.emit('message', { data: JSON.parse(l) }));
`;

describe("Electron's engine bundle", () => {
  it('loads in a process of its own, reads the settings files with its lazily loaded parsers, and answers the page', async () => {
    await buildEngine();
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-bundle-'));
    writeFileSync(path.join(dir, 'fake-electron.cjs'), FAKE_ELECTRON);
    const config = path.join(dir, 'config');
    // A broken airflow.yaml: reading it needs yaml and zod, which the settings load on first use.
    await import('node:fs/promises').then((fs) => fs.mkdir(config)).then(() => writeFileSync(path.join(config, 'airflow.yaml'), 'airflows:\n  lab:\n    url: 12\n'));
    const child = spawn(process.execPath, ['-r', path.join(dir, 'fake-electron.cjs'), BUNDLE], {
      cwd: dir,
      env: {
        PATH: process.env.PATH, HOME: dir, PILOTHOUSE_DATA_DIR: path.join(dir, 'data'), PILOTHOUSE_CONFIG_DIR: config,
        DOCKER_HOST: 'unix:///nonexistent.sock', KUBECONFIG: '/nonexistent', PILOTHOUSE_SSH_CONFIG: '/nonexistent',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += String(d); });
    const replies = new Map<number, any>();
    let ready = false;
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (l === 'PARENT {"type":"ready"}') ready = true;
      else if (l.startsWith('PORT ')) { const m = JSON.parse(l.slice(5)); if (m.t === 'res') replies.set(m.id, m.reply); }
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const ask = async (id: number, ch: string): Promise<any> => {
      child.stdin.write(`${JSON.stringify({ t: 'req', id, ch, input: {} })}\n`);
      const t0 = Date.now();
      while (!replies.has(id)) {
        if (child.exitCode !== null) throw new Error(`the engine exited (${child.exitCode}): ${stderr}`);
        if (Date.now() - t0 > 20_000) throw new Error(`no answer to ${ch} in 20 s; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return replies.get(id);
    };
    try {
      const info = await ask(1, 'engine:info');
      expect(ready).toBe(true);
      expect(info.ok).toBe(true);
      expect(info.value.dataDir).toBe(path.join(dir, 'data'));
      const ep = info.value.endpoints.find((e: { id: string }) => e.id === 'airflow/lab');
      expect(ep, `endpoints: ${JSON.stringify(info.value.endpoints.map((e: { id: string }) => e.id))}; stderr: ${stderr}`).toBeDefined();
      expect(ep.configError).toBe(true);
      expect(ep.message).toMatch(/airflow\.yaml.*line 3/);
      expect(stderr).not.toMatch(/TypeError|ERR_INVALID_ARG_VALUE/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
