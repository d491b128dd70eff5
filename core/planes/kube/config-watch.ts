import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Calls `onChange` (debounced) when any of the kubeconfig files is written, created, replaced or
 * removed. Editors and `kubectl config` replace files by rename, and a file's directory may not exist
 * yet (~/.kube on a new machine), so the nearest existing directory on each file's path is watched too,
 * filtered to the name that leads to the file. Watches are event-driven (inotify, FSEvents); nothing
 * is polled.
 */
export class ConfigWatch {
  private watchers: fs.FSWatcher[] = [];
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly onChange: () => void, private readonly debounceMs = 200) {}

  /** Watches these files now (call again after each reload: a directory may have appeared). */
  watch(files: readonly string[]): void {
    this.close();
    const dirs = new Map<string, Set<string>>();
    for (const f of files) {
      const abs = path.resolve(f);
      if (fs.existsSync(abs)) this.add(abs, () => true);
      // The nearest existing ancestor, and the name under it on the way to the file.
      let child = abs, dir = path.dirname(abs);
      while (!fs.existsSync(dir) && path.dirname(dir) !== dir) { child = dir; dir = path.dirname(dir); }
      let names = dirs.get(dir);
      if (!names) dirs.set(dir, (names = new Set()));
      names.add(path.basename(child));
    }
    for (const [dir, names] of dirs) this.add(dir, (name) => name === null || names.has(name));
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private add(p: string, relevant: (name: string | null) => boolean): void {
    try {
      const w = fs.watch(p, { persistent: false }, (_event, name) => { if (relevant(name === null ? null : String(name))) this.kick(); });
      // A watched file or directory removed: the reload notices, and the next watch() re-arms.
      w.on('error', () => this.kick());
      this.watchers.push(w);
    } catch { /* gone between the check and the watch: the directory's watch covers it */ }
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; this.onChange(); }, this.debounceMs);
    this.timer.unref?.();
  }
}
