import type { RawLine } from './lines';

/**
 * A log as one plane reads it. The follow engine (core/logs/follow.ts) owns everything else: resuming
 * after a break without duplicates, bounded buffers, saying why a stream broke. Kube and SSH planes
 * provide a LogSource and nothing more.
 */
export interface LogSource {
  /** What it reads, for messages: "container web-1 on docker/default". */
  describe(): string;
  /**
   * Whether a stream can be opened now (the container runs, the endpoint is connected). When not, `why`
   * says what the follow waits for.
   */
  state(): { ready: boolean; why?: string };
  /**
   * Opens the log from a position: the last `tail` lines, or everything since a timestamp (ISO). Calls
   * onEnd once, with an error when the stream broke rather than ended.
   */
  open(from: { tail?: number; since?: string; follow: boolean }, onLine: (l: RawLine) => void, onEnd: (err?: Error) => void): Promise<() => void>;
}
