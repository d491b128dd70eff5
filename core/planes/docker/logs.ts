import type { Entry } from '../../logs/partials';
import { tsParts } from '../../logs/resume';
import type { LogSource } from '../../logs/source';
import type { ModelObject } from '../../model/object';
import type { ContainerView } from './container';
import { primaryContainer } from './rules';

/** What a log source needs of the engine: whether it is reachable, the container now, and its log. */
export interface LogTarget {
  id: string;
  readonly connected: boolean;
  get(containerId: string): ContainerView | undefined;
  logs(containerId: string, opts: { follow: boolean; tail?: number; since?: string }, onRecord: (e: Entry) => void, onEnd: (err?: Error) => void): Promise<() => void>;
  whyLogEnded?(containerId: string, err?: Error): Promise<string>;
}

/** Docker's `since`: unix seconds with nanoseconds ("1764000000.123456789"), exact to the source's digits. */
export function dockerSince(iso: string): string {
  if (/^\d+(\.\d+)?$/.test(iso)) return iso;   // already unix seconds, as Docker takes them
  const p = tsParts(iso);
  if (!p) throw new Error(`not a timestamp: '${iso}'`);
  return `${p.seconds}.${p.nanos}`;
}

/** Why a container's log cannot be streamed now, or undefined when it can. */
export function notStreamable(engineId: string, connected: boolean, c: ContainerView | undefined): string | undefined {
  if (!connected) return `Docker engine ${engineId} unreachable`;
  if (!c) return 'container no longer exists';
  const s = c.state;
  if (s.status === 'running') return undefined;
  if (s.status === 'exited') return `container exited with code ${s.exitCode}`;
  return `container ${s.status}`;
}

/**
 * The log of the container a resource stands for now. Bound to that one container: after a break the
 * follow engine asks the plane again, so a compose service that came back as a new container is followed.
 */
export function containerLogSource(engine: LogTarget, objects: readonly ModelObject[]): LogSource | undefined {
  const o = primaryContainer(objects);
  if (!o) return undefined;
  const id = o.data.id;
  const name = o.data.name;
  return {
    describe: () => `container ${name} on ${engine.id}`,
    state() {
      // The connection's copy is newer than the objects this source was bound with.
      const why = notStreamable(engine.id, engine.connected, engine.get(id));
      return why ? { ready: false, why } : { ready: true };
    },
    // Records as Docker stores them (partials.ts: dockerEntry); the follow engine joins long lines.
    open(from, onRecord, onEnd) {
      return engine.logs(id, { follow: from.follow, tail: from.tail, since: from.since ? dockerSince(from.since) : undefined }, onRecord, onEnd);
    },
    // Docker before 23 (moby#37646, fixed by moby#43294) can stop sending a followed json-file log at a
    // rotation and never end the stream: seen here on 20.10, a follow stuck 120,000 lines short.
    mayStall: "Docker's follow can stop at a log file rotation",
    explain: async (err) => engine.whyLogEnded?.(id, err) ?? notStreamable(engine.id, engine.connected, engine.get(id)) ?? (err ? `log stream broke: ${err.message}` : 'log stream ended'),
  };
}
