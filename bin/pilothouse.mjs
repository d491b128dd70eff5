#!/usr/bin/env node
// Runs the built CLI (dist/cli/, made by scripts/build.mjs): plain JavaScript starts several times faster
// than a TypeScript loader. A fresh clone has no build yet, and a checkout or an edit makes it stale; then
// it is rebuilt here (esbuild is a dev dependency; a fraction of a second), so `node bin/pilothouse.mjs`
// and `npm run web` always run the sources as they are. `serve` on a fresh clone also builds the page
// once; after that the page is rebuilt by `npm run build` or `npm start`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist/cli/cli.mjs');
const args = process.argv.slice(2);

/** Why the bundle must be built, or undefined when it is current: one stat per source file. */
function staleness() {
  let built;
  try { built = statSync(entry).mtimeMs; } catch { return 'it has not been built yet'; }
  let inputs;
  try { inputs = JSON.parse(readFileSync(join(root, 'dist/cli/inputs.json'), 'utf8')); } catch { return 'its list of sources is missing'; }
  for (const f of inputs) {
    let m;
    try { m = statSync(join(root, f)).mtimeMs; } catch { return `${f} is gone`; }
    if (m > built) return `${f} changed`;
  }
  return undefined;
}

/** scripts/build.mjs, or undefined where it cannot load (an install without dev dependencies). */
async function builder() {
  try { return await import('../scripts/build.mjs'); } catch { return undefined; }
}

async function step(what, fn) {
  process.stderr.write(`pilothouse: building ${what}\n`);
  // esbuild and vite print what is wrong in the sources; running an older build instead would hide it.
  try { await fn(); } catch { process.stderr.write(`pilothouse: building ${what} failed; see above\n`); process.exit(1); }
}

const why = process.env.PILOTHOUSE_NO_BUILD ? undefined : staleness();
if (why) {
  const b = await builder();
  if (b) await step(`the CLI into dist/cli (${why})`, () => b.buildCli({ quiet: true }));
  else if (!existsSync(entry)) {
    process.stderr.write(`pilothouse: the CLI is not built and cannot be built here (esbuild is missing).\n  Run 'npm install' and then 'npm run build' in ${root}.\n`);
    process.exit(2);
  }
  // else: a stale bundle still beats none.
}

if (args[0] === 'serve' && !args.some((a) => a === '--help' || a === '-h') && !process.env.PILOTHOUSE_RENDERER_DIR && !existsSync(join(root, 'dist/renderer/index.html'))) {
  // Without it the web host answers every page load with "not built"; it says so itself if we cannot build.
  const b = await builder();
  if (b) await step('the page into dist/renderer (first run)', () => b.buildRenderer({ quiet: true }));
}

// V8's compile cache (Node 22): the bundle's code is compiled once and kept on disk, which takes a third
// off every later start of a short command such as `status`.
module.enableCompileCache?.();
const { main } = await import(pathToFileURL(entry).href);
const code = await main(args);
// Into a pipe, stdout is written asynchronously: exiting at once would cut a long log (a 2 MB line) at
// the pipe's 64 KB. An empty write's callback runs once everything written before it is out.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((r) => s.write('', r))));
process.exit(code);
