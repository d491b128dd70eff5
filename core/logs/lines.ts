import type { LogLine } from '../../shared/contract/domain';
import { safeLogText } from '../../shared/text/safe-text';

/** A line before the buffer numbers it. */
export type RawLine = Omit<LogLine, 'seq'>;

/** Kept as the name the engine uses; the rule lives in shared/text/safe-text.ts for the CLI and page too. */
export const sanitize = safeLogText;
