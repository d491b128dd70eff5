import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The boot time last seen per host, kept in the engine's data directory so that a host that rebooted
 * while the app was closed is said to have rebooted at the next look. A missing or unreadable file is
 * a first look at every host (no reboot claimed), never an error that stops the plane.
 */
export class BootTimes {
  private seen: Record<string, number> | undefined;

  constructor(private readonly file: string | undefined) {}

  get(alias: string): number | undefined {
    return this.load()[alias];
  }

  set(alias: string, bootAt: number): void {
    const all = this.load();
    if (all[alias] === bootAt) return;
    all[alias] = bootAt;
    if (!this.file) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      // Write then rename: a crash mid-write leaves the old file, not half a JSON.
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(all, null, 1) + '\n');
      renameSync(tmp, this.file);
    } catch {
      // Not being able to remember only means a reboot while closed goes unsaid; the plane goes on.
    }
  }

  private load(): Record<string, number> {
    if (this.seen) return this.seen;
    this.seen = {};
    if (!this.file) return this.seen;
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      if (parsed && typeof parsed === 'object') {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number' && Number.isFinite(v)) this.seen[k] = v;
      }
    } catch {
      // absent or damaged: every host is looked at for the first time
    }
    return this.seen;
  }
}
