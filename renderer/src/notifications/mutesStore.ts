import { NO_MUTES, parseMutes, type Mutes } from '../../../shared/notify/mutes';
import type { ShellBridge } from './shell';

export const MUTES_KEY = 'pilothouse.notify.mutes';

/** Where mutes are kept: the browser's localStorage, or the desktop shell's settings file. */
export interface MuteBackend {
  load(): Promise<{ mutes: Mutes; error?: string }>;
  save(m: Mutes): void;
}

export function localStorageBackend(storage: Storage = localStorage): MuteBackend {
  return {
    async load() {
      const text = storage.getItem(MUTES_KEY);
      if (text === null) return { mutes: NO_MUTES };
      // A value that cannot be read is set aside under its own key before anything overwrites it.
      const broken = (error: string) => { storage.setItem(`${MUTES_KEY}.broken`, text); return { mutes: NO_MUTES, error: `${error} (kept as ${MUTES_KEY}.broken)` }; };
      let json: unknown;
      try { json = JSON.parse(text); } catch (e) { return broken(`localStorage ${MUTES_KEY}: not valid JSON: ${(e as Error).message}`); }
      const r = parseMutes(json, `localStorage ${MUTES_KEY}`);
      return 'mutes' in r ? { mutes: r.mutes } : broken(r.error);
    },
    save(m) { storage.setItem(MUTES_KEY, JSON.stringify(m)); },
  };
}

export function shellBackend(shell: ShellBridge): MuteBackend {
  return {
    async load() {
      const r = await shell.loadMutes();
      const p = parseMutes(r.mutes, 'the shell\'s settings');
      return 'mutes' in p ? { mutes: p.mutes, error: r.error } : { mutes: NO_MUTES, error: r.error ?? p.error };
    },
    save(m) { shell.saveMutes(m); },
  };
}

/**
 * The operator's mutes as the page holds them, for `useSyncExternalStore`. A change made before the
 * stored mutes were read is applied on top of them, so an early click is not lost.
 */
export class MuteStore {
  private mutes: Mutes = NO_MUTES;
  /** Why the stored mutes could not be read (named file or key, and field), shown beside the control. */
  error: string | undefined;
  private loaded = false;
  private readonly early: Array<(m: Mutes) => Mutes> = [];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly backend: MuteBackend) {
    void backend.load().then(({ mutes, error }) => {
      this.loaded = true;
      this.error = error;
      const early = this.early.splice(0);
      this.mutes = early.reduce((m, f) => f(m), mutes);
      this.emit(early.length > 0);
    });
  }

  subscribe = (fn: () => void): (() => void) => { this.listeners.add(fn); return () => { this.listeners.delete(fn); }; };
  get = (): Mutes => this.mutes;

  update(f: (m: Mutes) => Mutes): void {
    if (!this.loaded) this.early.push(f);
    this.mutes = f(this.mutes);
    this.emit(this.loaded);
  }

  private emit(save: boolean): void {
    if (save) this.backend.save(this.mutes);
    for (const fn of this.listeners) fn();
  }
}
