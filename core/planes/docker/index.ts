import * as fs from 'node:fs';
import type { PlaneEndpoint, Resource } from '../../../shared/contract/domain';
import type { ActionDef } from '../../actions/action';
import type { LogSource } from '../../logs/source';
import type { TerminalRequest, TerminalSession } from '../../terminals/session';
import type { ModelObject } from '../../model/object';
import type { Plane, PlaneEnv, PlaneFactory, PlaneSink } from '../plane';
import { containerAction } from './actions';
import { discoverDocker, type DiscoverDeps, type DockerCandidate } from './discover';
import { EngineConnection } from './engine-connection';
import { containerLogSource } from './logs';
import { containerTerminal } from './exec';
import { dockerRules } from './rules';

/**
 * How long start() waits for the engines' first answers. A local socket answers in milliseconds; a
 * remote engine behind a dead VPN can hang for minutes, and must not hold up `status` or the page:
 * it stays "connecting" and shows up when it answers.
 */
export const FIRST_ATTEMPT_MS = 5_000;

export function nodeDiscoverDeps(env: PlaneEnv): DiscoverDeps {
  return {
    env: env.env,
    home: env.home,
    readFile: (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
    exists: (p) => fs.existsSync(p),
    listDir: (p) => { try { return fs.readdirSync(p); } catch { return []; } },
    realpath: (p) => fs.realpathSync(p),
  };
}

function problemEndpoint(c: DockerCandidate): PlaneEndpoint {
  return {
    id: `docker/${c.name}`, plane: 'docker', name: c.name, target: c.target, source: c.source,
    state: 'unavailable', message: c.error!.message, hint: c.error!.hint, configError: true,
  };
}

/**
 * Every Docker engine the user has, side by side: one connection per endpoint, found again on wake so
 * a context added or removed meanwhile shows up or goes.
 */
export class DockerPlane implements Plane {
  readonly name = 'docker' as const;
  readonly rules = dockerRules;
  private sink?: PlaneSink;
  private readonly conns = new Map<string, EngineConnection>();
  private readonly problems = new Map<string, PlaneEndpoint>();
  private stopped = false;

  constructor(private readonly env: PlaneEnv, private readonly deps: DiscoverDeps = nodeDiscoverDeps(env)) {}

  async start(sink: PlaneSink): Promise<void> {
    this.sink = sink;
    await this.sync();
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.conns.values()) c.stop();
  }

  suspend(): void { for (const c of this.conns.values()) c.suspend(); }

  resume(): void {
    if (this.stopped || !this.sink) return;
    void this.sync();
    for (const c of this.conns.values()) c.resume();
  }

  endpoints(): PlaneEndpoint[] {
    return [...[...this.conns.values()].map((c) => c.endpoint), ...this.problems.values()];
  }

  action(resource: Resource, actionId: string, objects: readonly ModelObject[]): ActionDef | undefined {
    const conn = this.conns.get(resource.endpoint);
    return conn && containerAction(conn, resource, actionId, objects);
  }

  logSource(resource: Resource, objects: readonly ModelObject[]): LogSource | undefined {
    const conn = this.conns.get(resource.endpoint);
    return conn && containerLogSource(conn, objects);
  }

  terminal(resource: Resource, objects: readonly ModelObject[], req: TerminalRequest): Promise<TerminalSession> | undefined {
    const conn = this.conns.get(resource.endpoint);
    return conn && containerTerminal(conn, objects, req);
  }

  /** Discovers the engines and makes the connections match: new ones connect, gone ones are dropped. */
  private async sync(): Promise<void> {
    if (this.stopped) return;
    const sink = this.sink!;
    const found = discoverDocker(this.deps);
    const ids = new Set(found.map((c) => `docker/${c.name}`));
    const drop = (id: string) => {
      this.conns.get(id)?.stop();
      this.conns.delete(id);
      this.problems.delete(id);
      sink.dropEndpoint(id);
    };
    for (const id of [...this.conns.keys(), ...this.problems.keys()]) if (!ids.has(id)) drop(id);
    const firsts: Array<Promise<void>> = [];
    for (const c of found) {
      const id = `docker/${c.name}`;
      if (c.error) {
        if (this.conns.has(id)) drop(id);
        const ep = problemEndpoint(c);
        this.problems.set(id, ep);
        sink.endpoint(ep);
        continue;
      }
      this.problems.delete(id);
      const had = this.conns.get(id);
      if (had?.target === c.target) continue;
      // A context now pointing elsewhere: what the old engine held is not on the new one.
      if (had) drop(id);
      const conn = new EngineConnection(c, sink, this.env.now);
      this.conns.set(id, conn);
      firsts.push(conn.start());
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((r) => { timer = setTimeout(r, FIRST_ATTEMPT_MS); timer.unref?.(); });
    await Promise.race([Promise.all(firsts), deadline]);
    clearTimeout(timer);
  }
}

export const dockerPlaneFactory: PlaneFactory = {
  name: 'docker',
  create: (env) => new DockerPlane(env),
};
