import Anser from 'anser';
import { memo } from 'react';

/** Renders ANSI colour codes as styled spans; other escape sequences are dropped, never shown raw. */
export const Ansi = memo(function Ansi({ text }: { text: string }) {
  if (!text.includes('\x1b')) return <>{text}</>;
  const parts = Anser.ansiToJson(text, { use_classes: false, remove_empty: true });
  return (
    <>
      {parts.map((p, i) => {
        const style: React.CSSProperties = {};
        if (p.fg) style.color = `rgb(${p.fg})`;
        if (p.bg) style.backgroundColor = `rgb(${p.bg})`;
        const deco = p.decorations ?? [];
        if (deco.includes('bold')) style.fontWeight = 'bold';
        if (deco.includes('italic')) style.fontStyle = 'italic';
        if (deco.includes('underline')) style.textDecoration = 'underline';
        if (deco.includes('dim')) style.opacity = 0.7;
        return <span key={i} style={style}>{p.content}</span>;
      })}
    </>
  );
});
