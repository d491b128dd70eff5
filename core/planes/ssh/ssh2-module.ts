import { createRequire } from 'node:module';

/**
 * ssh2, loaded when the engine first dials a host or reads a key: importing it costs ~20 MB of RSS (its
 * crypto and cipher tables), which an engine with no SSH host (a kube-only laptop) would carry for nothing.
 */
const lazy = createRequire(import.meta.url);
let mod: typeof import('ssh2') | undefined;
export function ssh2(): typeof import('ssh2') {
  mod ??= lazy('ssh2') as typeof import('ssh2');
  return mod;
}
