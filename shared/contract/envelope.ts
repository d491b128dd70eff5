// Replies cross a process or socket boundary as plain data; Error objects do not survive that, so every
// reply is an envelope and the client turns a failure back into a typed PilothouseError.

export type ErrorCode =
  | 'invalid-input'      // the caller sent something the schema refuses
  | 'unknown-channel'
  | 'not-found'          // a resource or container that does not exist (any more)
  | 'unavailable'        // an engine or server cannot be reached right now
  | 'permission-denied'
  | 'not-confirmed'      // a change was asked for without the operator's confirmation
  | 'conflict'
  | 'internal';

export interface ErrorBody { code: ErrorCode; message: string; detail?: unknown }
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

export class PilothouseError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly detail?: unknown) {
    super(message);
    this.name = 'PilothouseError';
  }
}

export function ok<T>(value: T): Envelope<T> { return { ok: true, value }; }

export function fail(err: unknown): Envelope<never> {
  if (err instanceof PilothouseError) return { ok: false, error: { code: err.code, message: err.message, detail: err.detail } };
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, error: { code: 'internal', message } };
}

export function unwrap<T>(env: Envelope<T>): T {
  if (env.ok) return env.value;
  throw new PilothouseError(env.error.code, env.error.message, env.error.detail);
}
