import { memo, type CSSProperties } from 'react';
import { parseSgr, type Style } from '../logs/sgr';
import { useTheme } from '../theme/useTheme';

function cssOf(s: Style): CSSProperties {
  const c: CSSProperties = {};
  if (s.color) c.color = s.color;
  if (s.background) c.backgroundColor = s.background;
  if (s.bold) c.fontWeight = 'bold';
  if (s.italic) c.fontStyle = 'italic';
  if (s.underline || s.strike) c.textDecoration = [s.underline && 'underline', s.strike && 'line-through'].filter(Boolean).join(' ');
  if (s.dim) c.opacity = 0.75;
  return c;
}

/** A log line's text: SGR colours styled (logs/sgr.ts), every other escape and control shown, never obeyed. */
export const Ansi = memo(function Ansi({ text }: { text: string }) {
  const parts = parseSgr(text, useTheme());
  if (parts.length === 1 && !parts[0].style && !parts[0].control) return <>{text}</>;
  return (
    <>
      {parts.map((p, i) => (p.style || p.control
        ? <span key={i} className={p.control ? 'ctl' : undefined} title={p.control ? `control character ${p.text}, shown, not obeyed` : undefined} style={p.style ? cssOf(p.style) : undefined}>{p.text}</span>
        : <span key={i}>{p.text}</span>))}
    </>
  );
});
