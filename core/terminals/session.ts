/**
 * One interactive session (an SSH shell, a docker exec, a kube exec) as every plane hands it to the
 * engine. The engine carries it over the `terminal:session` stream: output at once (no batching),
 * the operator's keys and resizes as messages into the open stream.
 */

export interface TerminalSize { cols: number; rows: number }

export interface TerminalRequest extends TerminalSize {
  /** For exec: the program and its arguments (default: the plane's shell). Never joined into a string here. */
  command?: string[];
  /** The container, where a resource has several (a pod). */
  container?: string;
}

export interface TerminalEnd {
  /** The program exited by itself. */
  exitCode?: number | null;
  signal?: string;
  /** The connection dropped under the session (not an exit): the page offers to reconnect. */
  lost?: boolean;
  /** In words, for the operator: "exited with code 0", "connection to kraken-dbs lost: timed out". */
  reason: string;
}

export interface TerminalSession {
  /** Keys and pastes from the operator (UTF-8 text as xterm gives it). */
  write(data: string): void;
  resize(size: TerminalSize): void;
  /** Output as it arrives; bytes, because a UTF-8 character may be split across chunks. */
  onData(fn: (chunk: Buffer) => void): void;
  /** Called once, however the session ends. */
  onEnd(fn: (end: TerminalEnd) => void): void;
  /** Ends the session (the page closed its tab); idempotent. */
  close(): void;
  /**
   * Stop reading output until `resume` (the page is behind). A session over a flow-controlled stream
   * (an SSH channel, a hijacked socket) pauses that stream, so the program itself blocks on its writes
   * and nothing is dropped. Optional: a session without it is never paused.
   */
  pause?(): void;
  resume?(): void;
}
