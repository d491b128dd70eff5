import { setThemeChoice, type ThemeChoice } from './theme';
import { useThemeChoice } from './useTheme';

const LABELS: Record<ThemeChoice, string> = { auto: 'Auto', light: 'Light', dark: 'Dark' };

/** Auto / Light / Dark in the topbar; Auto follows the system's setting. */
export function ThemeToggle() {
  const choice = useThemeChoice();
  return (
    <span className="theme-toggle" role="group" aria-label="Theme">
      {(Object.keys(LABELS) as ThemeChoice[]).map((c) => (
        <button key={c} type="button" className="small" aria-pressed={choice === c} onClick={() => setThemeChoice(c)}
          title={c === 'auto' ? 'Follow the system setting' : `${LABELS[c]} theme`}>{LABELS[c]}</button>
      ))}
    </span>
  );
}
