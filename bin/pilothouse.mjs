#!/usr/bin/env node
// Runs the built CLI (dist/cli/, made by scripts/build.mjs): plain JavaScript starts several times faster
// than a TypeScript loader. A fresh clone has no build yet, and a checkout or an edit makes it stale; then
// it is rebuilt here once (esbuild is a dev dependency, a fraction of a second), so `npm run web` and
// `node bin/pilothouse.mjs` always run the sources as they are.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist/cli/cli.mjs');

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

const why = process.env.PILOTHOUSE_NO_BUILD ? undefined : staleness();
if (why) {
  let build;
  try { build = await import('../scripts/build.mjs'); } catch (e) {
    // An install without dev dependencies cannot build; a stale bundle still beats none.
    if (statOk(entry)) build = undefined;
    else {
      process.stderr.write(`pilothouse: the CLI is not built (${why}) and cannot be built here: ${e.message}\n  Run 'npm install' and then 'npm run build' in ${root}.\n`);
      process.exit(2);
    }
  }
  if (build) {
    process.stderr.write(`pilothouse: building the CLI into dist/cli (${why})\n`);
    // esbuild has printed what is wrong in the sources; running an older build instead would hide it.
    try { await build.buildCli({ quiet: true }); } catch { process.stderr.write('pilothouse: the CLI did not build; see above\n'); process.exit(1); }
  }
}

function statOk(p) { try { statSync(p); return true; } catch { return false; } }

const { main } = await import(pathToFileURL(entry).href);
process.exit(await main(process.argv.slice(2)));
