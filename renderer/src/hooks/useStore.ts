import { useSyncExternalStore } from 'react';
import type { StackStore } from '../model/stackStore';

/** Re-renders on every batch, filter or collapse change. */
export const useStackVersion = (s: StackStore): number => useSyncExternalStore(s.subscribe, s.getVersion);
/** Re-renders only when endpoints or loading progress change. */
export const useStackMeta = (s: StackStore): number => useSyncExternalStore(s.subscribe, s.getMetaVersion);
