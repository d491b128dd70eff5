import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { plainLogText as plainText } from '../../shared/text/plain-text';
import { utcText } from '../../shared/text/utc';
import { readRecent } from '../audit/audit-log';
import { defaultDataDir } from '../engine/engine';
import type { Io } from './cli';

// `pilothouse audit`: what was done, by whom, with what outcome, read from the audit log the console and
// the CLI append to. It starts no engine and reaches no system: the log is a file on this machine.

export async function auditCommand(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { limit: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    io.err(`pilothouse: --limit must be a whole number from 1 to 500, got '${values.limit}'\n`);
    return 2;
  }
  if (positionals.length > 1) { io.err(`pilothouse: audit takes at most one resource, got ${positionals.length}\n`); return 2; }
  const want = positionals[0];
  const file = path.join(defaultDataDir(env), 'audit.jsonl');
  const { entries: shown, unreadable } = await readRecent(file, { limit, resource: want });
  if (values.json) {
    io.out(JSON.stringify({ file, entries: shown, unreadable }, null, 2) + '\n');
    return 0;
  }
  if (!shown.length) {
    io.out(`no action recorded${want ? ` on ${want}` : ''} in ${file}\n`);
  } else {
    // Newest last, as a terminal reads down; every field is written by us, but a target may quote cluster data.
    for (const e of [...shown].reverse()) {
      io.out(`${utcText(e.ts, 'second')}  ${e.outcome.padEnd(10)} ${e.action.padEnd(26)} ${plainText(e.target)}  (${plainText(e.actor)})\n`);
      if (e.detail) io.out(`${' '.repeat(36)}${plainText(e.detail)}\n`);
    }
  }
  if (unreadable) io.err(`pilothouse: ${unreadable} line${unreadable === 1 ? '' : 's'} of ${file} could not be read as records and were left out\n`);
  return 0;
}
