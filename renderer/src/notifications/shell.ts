import type { Mutes } from '../../../shared/notify/mutes';

/** What electron/preload.ts exposes to the page; absent in a browser. */
export interface ShellBridge {
  notify(title: string, body: string, resource: string): void;
  loadMutes(): Promise<{ mutes: unknown; error?: string }>;
  saveMutes(mutes: Mutes): void;
  onSelect(fn: (id: string) => void): void;
}

export function shellBridge(): ShellBridge | undefined {
  return (window as unknown as { pilothouseShell?: ShellBridge }).pilothouseShell;
}
