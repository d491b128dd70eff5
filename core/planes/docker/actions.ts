import type { Resource } from '../../../shared/contract/domain';
import type { ActionDef } from '../../actions/action';
import type { ModelObject } from '../../model/object';
import type { ContainerView } from './container';
import { EngineConnection, type DockerAction } from './engine-connection';
import { ACTIONS, CONTAINER, isUp, primaryContainer } from './rules';

/** What an action needs of the engine it acts on: the call, and a refresh so the model does not wait for the event. */
export interface ActionTarget {
  id: string;
  target: string;
  act(containerId: string, action: DockerAction): Promise<'done' | 'already'>;
  refresh(containerId: string, timeoutMs?: number): Promise<unknown>;
}

const VERIFY_TIMEOUT_MS = 30_000;
/** After a cut request, how long the engine may take to answer an inspect before the outcome is left open. */
export const CUT_CHECK_MS = 5_000;

const isAction = (id: string): id is DockerAction => id === 'start' || id === 'stop' || id === 'restart';

function container(objects: readonly ModelObject[], id: string): ContainerView | undefined {
  for (const o of objects) if (o.kind === CONTAINER && o.name === id) return o.data as ContainerView;
  return undefined;
}

/**
 * Whether the goal of an action holds, judged on the resource's objects: a pure predicate, so the
 * runner can ask it on every model change. Restart wants proof of a new start, not merely "running"
 * (which held before the action too): a start later than the one seen when the action was bound.
 */
export function goalHolds(action: DockerAction, containerId: string, startedBefore: string | undefined, objects: readonly ModelObject[]): boolean {
  const c = container(objects, containerId);
  if (action === 'stop') return !c || !isUp(c);   // a container removed on stop (--rm) is stopped too
  if (!c || c.state.status !== 'running') return false;
  if (action === 'start') return true;
  return !!c.state.startedAt && (!startedBefore || Date.parse(c.state.startedAt) > Date.parse(startedBefore));
}

/**
 * Start, stop or restart, bound to the container the resource stands for now, on the engine it lives
 * on. The preview shows the exact Docker API call against that endpoint.
 */
export function containerAction(engine: ActionTarget, resource: Resource, actionId: string, objects: readonly ModelObject[]): ActionDef | undefined {
  if (!isAction(actionId)) return undefined;
  const o = primaryContainer(objects);
  if (!o) return undefined;
  const c = o.data;
  const startedBefore = c.state.startedAt;
  const spec = ACTIONS[actionId];
  const call = EngineConnection.call(actionId, c.id);
  const where = `${engine.id} (${engine.target})`;
  const verifyText = actionId === 'stop' ? `container ${c.name} is not running`
    : actionId === 'start' ? `container ${c.name} is running`
    : `container ${c.name} is running, started after ${startedBefore ?? 'the restart was asked for'}`;
  return {
    spec,
    summary: `${spec.label} ${resource.group.name}/${resource.name}: container ${c.name} (${c.id.slice(0, 12)}) on ${where}`,
    steps: [{ endpoint: engine.id, call }],
    verifyText,
    async run(log) {
      let r: 'done' | 'already';
      try {
        r = await engine.act(c.id, actionId);
      } catch (e) {
        if (!(e as { mayHaveHappened?: boolean }).mayHaveHappened) throw e;
        // The engine may have done it before the connection went: ask it what the container is now; the
        // runner's check then judges that answer. No answer soon: the outcome stays open, said as such.
        log(`${call}: ${(e as Error).message}`);
        const seen = await engine.refresh(c.id, CUT_CHECK_MS).then(() => true, () => false);
        if (seen) { log(`inspected ${c.name} after the cut`); return; }
        return { unverified: `the request to ${where} was cut after it was sent: the ${actionId} may have happened; check ${c.name}` };
      }
      log(r === 'already' ? `${call}: 304, ${actionId === 'stop' ? 'already stopped' : 'already running'}` : `${call}: done`);
      // A refresh that fails (the engine went away just now) does not undo a change that was made;
      // verification waits for the event stream instead.
      await engine.refresh(c.id, CUT_CHECK_MS).catch(() => undefined);
    },
    verify: (objs) => goalHolds(actionId, c.id, startedBefore, objs),
    verifyTimeoutMs: VERIFY_TIMEOUT_MS,
    auditName: `docker.${actionId}`,
  };
}
