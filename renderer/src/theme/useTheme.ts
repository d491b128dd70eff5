import { useSyncExternalStore } from 'react';
import { currentChoice, currentTheme, subscribeTheme, type Theme, type ThemeChoice } from './theme';

/** The resolved theme; a component that computes colours in script re-renders when it changes. */
export const useTheme = (): Theme => useSyncExternalStore(subscribeTheme, currentTheme, currentTheme);
export const useThemeChoice = (): ThemeChoice => useSyncExternalStore(subscribeTheme, currentChoice, currentChoice);
