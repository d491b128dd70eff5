import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface AuditEntry {
  ts: string;
  actor: string;
  /** What was done, e.g. `docker.restart`. */
  action: string;
  /** What it was done to, in words: `Restart container backend-1 (3f2a…) on docker/default`. */
  target: string;
  /** The resource id, when the action was on one. */
  resource?: string;
  /** The exact calls or commands, each against its endpoint, as the preview showed them. */
  steps?: Array<{ endpoint: string; call: string }>;
  /** `unverified`: it ran, but the condition that says it worked did not hold in time. */
  outcome: 'ok' | 'failed' | 'unverified';
  detail?: string;
  durationMs?: number;
}

/**
 * The audit log: JSON lines, appended and fsynced, never rewritten. A change is not reported done
 * before its line is on disk.
 */
export class AuditLog {
  constructor(readonly file: string) {}

  async append(entry: AuditEntry): Promise<string> {
    const line = JSON.stringify(entry) + '\n';
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const fh = await fs.open(this.file, 'a', 0o600);
    try {
      await fh.write(line);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return line.trimEnd();
  }
}

export function actorName(): string {
  return process.env.USER || process.env.USERNAME || 'unknown';
}
