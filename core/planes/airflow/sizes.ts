import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The sizes "Drain" remembered, per pool (`airflow/<instance>/<pool>` → slots), in
 * `$PILOTHOUSE_DATA_DIR/airflow-pool-sizes.json`, so "Restore size" still knows the size after the app
 * restarts. Written whole on each change (a handful of entries) through a temporary file and a rename,
 * so a crash leaves the old file or the new one, never half of one. Without a data directory: memory only.
 */
export class RememberedSizes {
  private readonly sizes = new Map<string, { slots: number; at: string }>();

  constructor(readonly file?: string) {
    if (!file) return;
    try {
      const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { slots?: unknown; at?: unknown }>;
      for (const [k, v] of Object.entries(j)) {
        if (typeof v?.slots === 'number' && Number.isInteger(v.slots) && v.slots >= 0) this.sizes.set(k, { slots: v.slots, at: String(v.at ?? '') });
      }
    } catch { /* none kept yet, or unreadable: nothing remembered (a drain writes it anew) */ }
  }

  static in(dataDir: string | undefined): RememberedSizes {
    return new RememberedSizes(dataDir ? path.join(dataDir, 'airflow-pool-sizes.json') : undefined);
  }

  get(key: string): number | undefined { return this.sizes.get(key)?.slots; }

  set(key: string, slots: number, now = Date.now()): void {
    this.sizes.set(key, { slots, at: new Date(now).toISOString() });
    this.save();
  }

  delete(key: string): void {
    if (this.sizes.delete(key)) this.save();
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.sizes), null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
