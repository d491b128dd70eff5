// Builds what Electron and the packaged app load: the renderer (Vite), the shell (main, preload) and the
// engine's utility-process entry (esbuild, CommonJS, dependencies left in node_modules).
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildAll({ quiet = false } = {}) {
  await viteBuild({ root: path.join(root, 'renderer'), configFile: path.join(root, 'vite.config.ts'), logLevel: quiet ? 'warn' : 'info' });
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node22', sourcemap: true, packages: 'external', logLevel: quiet ? 'warning' : 'info' };
  await esbuild({ ...common, entryPoints: [path.join(root, 'electron/main.ts')], outfile: path.join(root, 'dist/electron/main.cjs'), external: ['electron'] });
  // A sandboxed preload may require only 'electron': bundle everything else in.
  await esbuild({ ...common, packages: undefined, entryPoints: [path.join(root, 'electron/preload.ts')], outfile: path.join(root, 'dist/electron/preload.cjs'), external: ['electron'] });
  await esbuild({ ...common, entryPoints: [path.join(root, 'core/host/utility.ts')], outfile: path.join(root, 'dist/engine/utility.cjs') });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAll();
