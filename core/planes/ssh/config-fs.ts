import { readdirSync, readFileSync } from 'node:fs';
import type { ConfigFs } from './config';

/** The real disk behind config.ts's ConfigFs: absent is undefined, anything else that fails throws. */
export const diskConfigFs: ConfigFs = {
  read(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  list(dir) {
    try {
      return readdirSync(dir);
    } catch {
      // Not a directory, gone, or unreadable: a glob over it matches nothing, as glob(3) does.
      return undefined;
    }
  },
};
