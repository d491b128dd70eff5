import { type Kept, type Row, rowAt } from './kept';
import { type View, viewAbs, viewIndexFrom } from './view';

/**
 * A range of rows picked by their line numbers: a click sets both ends, a shift-click moves the far end.
 * Ends are ordinals, so a selection stays on its rows while older rows drop off the top.
 */
export interface Selection { anchor: number; head: number }

export function clickRow(sel: Selection | undefined, abs: number, extend: boolean): Selection {
  return extend && sel ? { anchor: sel.anchor, head: abs } : { anchor: abs, head: abs };
}

export function selectedBounds(sel: Selection): [number, number] {
  return sel.anchor <= sel.head ? [sel.anchor, sel.head] : [sel.head, sel.anchor];
}

export function isSelected(sel: Selection | undefined, abs: number): boolean {
  if (!sel) return false;
  const [lo, hi] = selectedBounds(sel);
  return abs >= lo && abs <= hi;
}

/** The selected rows that are still kept and shown under the current filter, oldest first. */
export function* selectedRows(sel: Selection, view: View, kept: Kept, count: number): Generator<Row> {
  const [lo, hi] = selectedBounds(sel);
  for (let i = viewIndexFrom(view, kept, lo); i < count; i++) {
    const abs = viewAbs(view, kept, i);
    if (abs > hi) return;
    if (abs >= kept.first) yield rowAt(kept, abs);
  }
}
