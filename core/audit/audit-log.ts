import { promises as fs } from 'node:fs';
import { userInfo } from 'node:os';
import type { AuditRecord } from '../../shared/contract/domain';
import * as path from 'node:path';

/** How much of the log's end is read for the recent records: thousands of lines, never the whole file. */
export const RECENT_READ_BYTES = 1024 * 1024;

/** A record is on a resource named by its id, or by the end of one (`alphakraken/webapp`, `webapp`). */
export function onResource(r: AuditRecord, want: string): boolean {
  return !!r.resource && (r.resource === want || r.resource.endsWith(`/${want}`));
}

/**
 * The newest records of an audit log, newest first, optionally only those on one resource (`onResource`).
 * Reads the file's last RECENT_READ_BYTES (a line cut by that window is left out); a line that is not a
 * record (a torn write, someone's edit) is counted in `unreadable`, never fatal. No file yet: nothing done yet.
 */
export async function readRecent(file: string, opts: { limit: number; resource?: string }): Promise<{ entries: AuditRecord[]; unreadable: number }> {
  let fh: fs.FileHandle;
  try { fh = await fs.open(file, 'r'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], unreadable: 0 };
    throw e;
  }
  let text: string;
  let cut: boolean;
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - RECENT_READ_BYTES);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    text = buf.toString('utf8');
    cut = start > 0;
  } finally {
    await fh.close();
  }
  // The schema (zod and the whole contract) only when records are read back: the engine imports this
  // module at start, and loading zod there cost the CLI's `status` a fifth of its time.
  const { AuditRecord } = await import('../../shared/contract/domain');
  const lines = text.split('\n');
  if (cut) lines.shift();
  const entries: AuditRecord[] = [];
  let unreadable = 0;
  for (let i = lines.length - 1; i >= 0 && entries.length < opts.limit; i--) {
    const l = lines[i]!.trim();
    if (!l) continue;
    let json: unknown;
    try { json = JSON.parse(l); } catch { unreadable++; continue; }
    const e = AuditRecord.safeParse(json);
    if (!e.success) { unreadable++; continue; }
    if (opts.resource && !onResource(e.data, opts.resource)) continue;
    entries.push(e.data);
  }
  return { entries, unreadable };
}

/** What the engine appends: one record per action run (its fields: AuditRecord in shared/contract). */
export type AuditEntry = AuditRecord;

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

export function actorName(env: Record<string, string | undefined> = process.env): string {
  const user = env.USER || env.USERNAME;
  if (user) return user;
  // A shell or a service without USER set (root over some sshd configs, a systemd unit): ask the OS.
  try { return userInfo().username || 'unknown'; } catch { return 'unknown'; }
}
