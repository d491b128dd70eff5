import { type Kept, rowAt } from './kept';
import { type View, viewAbs } from './view';

/**
 * The next (dir 1) or previous (dir -1) shown row strictly beyond index `from` whose own level is error,
 * or undefined. A scan from the cursor: run on a key press, not per batch, so a linear walk is fine.
 */
export function nextError(view: View, kept: Kept, count: number, from: number, dir: 1 | -1): number | undefined {
  for (let i = from + dir; i >= 0 && i < count; i += dir) {
    if (rowAt(kept, viewAbs(view, kept, i)).level === 'error') return i;
  }
  return undefined;
}
