import { memo } from 'react';
import { Ansi } from '../components/Ansi';
import { continues, type Row } from './kept';

export function pieceLabel(part: NonNullable<Row['line']['part']>): string {
  return `piece ${part.index + 1} of a long line${part.more ? '' : ', its last'}`;
}

interface Props {
  row: Row;
  index: number;
  start: number;
  selected: boolean;
  showTs: boolean;
  /** The virtualizer's measuring ref while rows wrap; unwrapped rows all have the one height. */
  measure?: (el: HTMLElement | null) => void;
  onPick(abs: number, extend: boolean): void;
}

/**
 * One row of the log: a gutter with the line number (↪ on a long line's later pieces) that selects it, the
 * piece it is of a long line, and a line the engine cut, said in words so neither passes for a whole line.
 * Memoised: a batch re-renders only the rows that moved or changed.
 */
export const LogRow = memo(function LogRow({ row, index, start, selected, showTs, measure, onPick }: Props) {
  const l = row.line;
  const level = l.stream === 'system' ? 'system' : row.level;
  const cont = continues(l);
  const cls = ['line', level && `line-${level}`, l.stream === 'stderr' && 'line-stderr', l.part && 'line-part', selected && 'line-selected']
    .filter(Boolean).join(' ');
  return (
    <div ref={measure} data-index={index} className={cls} style={{ transform: `translateY(${start}px)` }} data-seq={l.seq} title={l.part ? pieceLabel(l.part) : undefined}>
      {/* The number is drawn from data-no by CSS: out of the row's text, so copying or reading the text never picks it up. */}
      <span
        className="gutter"
        data-no={cont ? '↪' : row.no}
        role="button"
        aria-label={cont ? `select ${pieceLabel(l.part!)} (line ${row.no})` : `select line ${row.no}`}
        onMouseDown={(e) => { if (e.shiftKey) e.preventDefault(); }}
        onClick={(e) => onPick(row.abs, e.shiftKey)}
      />
      <span className="text">
        {showTs && l.ts && !cont && <span className="ts">{l.ts.replace('T', ' ').slice(0, 23)}</span>}
        {l.part && <span className="piece-tag">{pieceLabel(l.part)}</span>}
        <Ansi text={l.text} />
        {l.truncated && <span className="trunc-tag">✂ {l.truncated.toLocaleString('en')} more characters cut by the engine</span>}
      </span>
    </div>
  );
});
