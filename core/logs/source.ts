import type { Entry } from './partials';

/**
 * A log as one plane reads it: records as the source stores them (partials.ts has each kind's rule for
 * a line split into several records). The follow engine (core/logs/follow.ts, shared through hub.ts) owns
 * everything else: joining long lines, resuming after a break without duplicates, one stream per follow,
 * bounded buffers, saying why a stream broke. Kube and SSH planes provide a LogSource and nothing more.
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
   * Opens the log from a position: the last `tail` records (all when undefined), or every record since a
   * timestamp (inclusive; ISO as a record carried it, nanoseconds kept: the source converts it exactly).
   * Records of one stream arrive in the source's order. Calls onEnd once, with an error when the stream
   * broke rather than ended; the returned function closes the stream and is safe to call at any time.
   */
  open(from: { tail?: number; since?: string; follow: boolean }, onRecord: (e: Entry) => void, onEnd: (err?: Error) => void): Promise<() => void>;
  /**
   * Why the last stream ended, asked once after it did, in the operator's words: "Docker engine docker/x
   * went away", "container exited with code 3", "container removed", a network error. May ask the source.
   */
  explain?(err?: Error): Promise<string>;
  /**
   * Set, with the reason in a few words, when the source's follow can go quiet while its log still grows
   * (Docker before 23 stops a json-file follow at a rotation). The follow engine then checks a quiet
   * stream against the log's newest record and reopens it from the last record delivered.
   */
  mayStall?: string;
}
