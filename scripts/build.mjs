// Builds what Electron, the CLI and the packaged app load: the renderer (Vite), the shell (main, preload),
// the engine's utility-process entry (esbuild, CommonJS) and the CLI (esbuild, ESM); dependencies stay
// in node_modules.
import { build as esbuild } from 'esbuild';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { dockerodePlugin, REQUIRE_BANNER } from './bundle/dockerode-plugin.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The CLI's entry; bin/pilothouse.mjs imports it. */
export const CLI_ENTRY = path.join(root, 'dist/cli/cli.mjs');
/** The source files the CLI bundle was built from, for bin/pilothouse.mjs to tell when it is stale. */
export const CLI_INPUTS = path.join(root, 'dist/cli/inputs.json');

/** The page the web host and Electron serve. */
export const RENDERER_INDEX = path.join(root, 'dist/renderer/index.html');

export async function buildRenderer({ quiet = false } = {}) {
  // Vite is loaded only here: bin/pilothouse.mjs imports this file to rebuild the CLI alone.
  const { build: viteBuild } = await import('vite');
  await viteBuild({ root: path.join(root, 'renderer'), configFile: path.join(root, 'vite.config.ts'), logLevel: quiet ? 'warn' : 'info' });
}

export async function buildAll({ quiet = false } = {}) {
  await buildRenderer({ quiet });
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node22', sourcemap: true, packages: 'external', logLevel: quiet ? 'warning' : 'info' };
  await esbuild({ ...common, entryPoints: [path.join(root, 'electron/main.ts')], outfile: path.join(root, 'dist/electron/main.cjs'), external: ['electron'] });
  // A sandboxed preload may require only 'electron': bundle everything else in.
  await esbuild({ ...common, packages: undefined, entryPoints: [path.join(root, 'electron/preload.ts')], outfile: path.join(root, 'dist/electron/preload.cjs'), external: ['electron'] });
  await buildEngine();
  await buildCli({ quiet });
}

/** The engine's entry for Electron's utilityProcess (CommonJS, its packages bundled in). */
export async function buildEngine() {
  // The planes' settings load yaml and zod lazily through createRequire(import.meta.url), which CommonJS
  // output leaves empty (the engine then died on load): give it the bundle's own file URL.
  await esbuild({
    bundle: true, platform: 'node', format: 'cjs', target: 'node22', sourcemap: true, logLevel: 'warning', plugins: [dockerodePlugin], entryPoints: [path.join(root, 'core/host/utility.ts')], outfile: path.join(root, 'dist/engine/utility.cjs'),
    define: { 'import.meta.url': '__pilothouse_import_meta_url' },
    banner: { js: 'const __pilothouse_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  });
}

/**
 * The CLI as ESM with code splitting, so that the commands' dynamic imports (the engine, the web host)
 * stay separate chunks and `--help` or `status` load only what they use. Chunks sit beside the entry:
 * cli.ts finds dist/renderer by a path relative to its own file. Built into a fresh folder and swapped
 * in, so no stale chunk survives and a CLI starting meanwhile never sees half a build.
 */
export async function buildCli({ quiet = false } = {}) {
  const out = path.dirname(CLI_ENTRY);
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: { cli: path.join(root, 'core/host/cli.ts') },
    outdir: tmp,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    plugins: [dockerodePlugin],
    banner: { js: REQUIRE_BANNER },
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    sourcemap: true,
    metafile: true,
    logLevel: quiet ? 'warning' : 'info',
  });
  // The build's own scripts too: a change to how the bundle is made makes it stale like a source change.
  const inputs = [...Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules')), 'scripts/build.mjs', 'scripts/bundle/dockerode-plugin.mjs'];
  writeFileSync(path.join(tmp, 'inputs.json'), JSON.stringify(inputs) + '\n');
  mkdirSync(path.dirname(out), { recursive: true });
  const old = `${out}.old-${process.pid}`;
  try { renameSync(out, old); } catch (e) { if (e.code !== 'ENOENT') throw e; }
  try {
    renameSync(tmp, out);
  } catch (e) {
    // Another build swapped its own in between our two renames: same sources, so keep that one.
    if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAll();
