// `npm start`: the Electron window where Electron can start; otherwise one line saying why, and the same
// console through the web host.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from './build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await buildAll({ quiet: true });

function electronBinary() {
  const dir = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(dir, 'path.txt');
  const bin = () => (existsSync(pathFile) ? path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()) : undefined);
  if (bin() && existsSync(bin())) return { bin: bin() };
  if (!existsSync(dir)) return { why: 'the electron package is not installed (run npm install)' };
  // Electron fetches its binary lazily; try once, briefly, then give up.
  const r = spawnSync(process.execPath, [path.join(dir, 'install.js')], { stdio: 'ignore', timeout: 30_000 });
  if (r.status === 0 && bin() && existsSync(bin())) return { bin: bin() };
  return { why: "Electron's binary is not installed and its download cannot be reached from this machine" };
}

const headlessLinux = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const found = headlessLinux ? { why: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' } : electronBinary();

if (found.bin) {
  const child = spawn(found.bin, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(`Pilothouse: Electron cannot start here (${found.why}); serving the console through the web host instead.`);
  const child = spawn(process.execPath, [path.join(root, 'bin/pilothouse.mjs'), 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
