import type { LogLine } from '../../shared/contract/domain';

/** A line before the buffer numbers it. */
export type RawLine = Omit<LogLine, 'seq'>;
