import type { ActionSpec } from '../../shared/contract/domain';
import type { ModelObject } from '../model/object';

/** The operator's value for an action whose spec declares an `input`, already checked against its bounds. */
export interface ActionInput { value: number }

/**
 * `unverified`: the run cannot tell whether the change was made (a request cut after it was sent) and
 * the system could not be asked since; the outcome is `unverified` with these words unless the goal holds.
 */
export interface RunOutcome { revealed?: { name: string; value: string }; unverified?: string }

/**
 * One change a plane can make, bound to a resource's objects at the moment it is asked for. The engine
 * runs every action the same way (core/actions/runner.ts): preview → confirm → run → verify → audit.
 */
export interface ActionDef {
  spec: ActionSpec;
  /** "Restart container web-1 (3f2a9c…) on docker/default". */
  summary: string;
  /** The exact calls or commands, each against its endpoint: what the preview shows and the audit keeps. */
  steps: Array<{ endpoint: string; call: string }>;
  /** The condition that says it worked, in words. */
  verifyText: string;
  /** What the run produced for the operator's eyes only (a revealed value): returned once, never logged or audited. */
  run(log: (line: string) => void): Promise<void | RunOutcome>;
  /**
   * The server's own answer to the change without making it (Kubernetes dryRun=All), shown in the
   * preview; absent where the system has no such thing.
   */
  dryRun?(): Promise<{ outcome: 'ok' | 'refused' | 'unavailable'; text: string }>;
  /** True once the goal holds, judged on the resource's objects in the model (re-checked on every change). */
  verify(objects: readonly ModelObject[]): boolean;
  /** How long the goal may take to hold before the outcome is `unverified`. */
  verifyTimeoutMs: number;
  /** Dotted name for the audit log: `docker.restart`, `kube.delete-pod`, `airflow.set-slots`. */
  auditName: string;
}
