import * as os from 'node:os';
import type { Resource } from '../../../shared/contract/domain';
import type { ActionDef } from '../../actions/action';
import type { ModelObject } from '../../model/object';
import type { ContainerView } from '../docker/container';
import { composeArgs, composeConfigArgs, displayArgs, inDir, withEnv, type ComposeCall, type ComposeOp } from './cli';
import type { CommandHost, ComposeDetector } from './host';
import { DEFAULT_STEP_TIMEOUT_MS, judgeStep, runOrderedStart } from './order';
import { parseComposeConfig, servicesFor, unknownProfiles } from './profiles';
import { PROJECT_ACTIONS, projectContainers, projectPlace, START_IN_ORDER_ID, startInOrderSpec, type ProjectPlace } from './project';

/** What a project's compose actions need of the engine and host it lives on. */
export interface ComposeTarget {
  /** The engine's endpoint id (`docker/kraken-workers`). */
  endpoint: string;
  host: CommandHost;
  /** True when `host` is an SSH host: directory and environment then go into the argument list. */
  remote: boolean;
  /** For a local compose CLI: the engine it must talk to (the endpoint's DOCKER_HOST). */
  dockerHost?: string;
  detector: ComposeDetector;
  /** The project's containers now, as the engine's events keep them. */
  containers(project: string): readonly ContainerView[];
  /** Called on every change the engine applies; returns the unsubscribe. */
  onChange(fn: () => void): () => void;
  /** Why the engine's view of the containers cannot be trusted now (not connected), or undefined. */
  unreachable?(): string | undefined;
  stepTimeoutMs?: number;
  home?: string;
}

const COMMAND_TIMEOUT_MS = 10 * 60_000;
const VERIFY_MS = 60_000;

/** One compose invocation for this project on this host: the exact argv, and how it reads in a preview. */
export interface PlannedCommand { argv: string[]; cwd?: string; env?: Record<string, string>; display: string }

/**
 * The command for `call` on this project: the wrapper from hosts.yaml or the host's compose CLI, in the
 * project's directory, with its environment. Remote: `sh -c 'cd "$1" && shift && exec "$@"' sh <dir>
 * env K=V <compose…>`, an argument list quoted by shellQuote alone. Local: spawned in the directory.
 */
export function planCommand(t: Pick<ComposeTarget, 'remote' | 'dockerHost' | 'host' | 'home'>, place: ProjectPlace, cli: readonly string[], call: ComposeCall | 'config'): PlannedCommand {
  const cfg = place.config;
  const wrapper = !!cfg?.command;
  const base = {
    envFiles: cfg?.envFiles,
    files: cfg ? undefined : place.configFiles,
    // A wrapper names the project itself (alphakraken's compose.sh does); the bare CLI is told.
    project: wrapper ? undefined : place.project,
  };
  const args = call === 'config' ? composeConfigArgs(cli, base) : composeArgs(cli, { ...base, ...call });
  const dir = cfg?.dir ?? place.workingDir;
  if (!dir) throw new Error(`compose project ${place.project}: no directory known (not in hosts.yaml, and its containers carry no com.docker.compose.project.working_dir label)`);
  if (t.remote) {
    const argv = inDir(dir, withEnv(cfg?.env, args));
    return { argv, display: `ssh ${t.host.where}: ${displayArgs(argv)}` };
  }
  const env: Record<string, string> = { ...(cfg?.env ?? {}) };
  if (t.dockerHost) env.DOCKER_HOST = t.dockerHost;
  const cwd = dir === '~' ? (t.home ?? os.homedir()) : dir.startsWith('~/') ? `${t.home ?? os.homedir()}/${dir.slice(2)}` : dir;
  const envText = Object.entries(env).map(([k, v]) => displayArgs([`${k}=${v}`])).join(' ');
  return { argv: args, cwd, env, display: `on ${t.host.where}, in ${cwd}: ${envText ? envText + ' ' : ''}${displayArgs(args)}` };
}

/**
 * A command that ended without an exit code: the SSH connection went away under it, or it was stopped at
 * its time limit. What it changed before is unknown (a remote compose may even go on after the session
 * is gone), so an action whose changing command is cut is `unverified`, never a plain failure.
 */
export class CommandCut extends Error {}

async function runPlanned(t: ComposeTarget, p: PlannedCommand, log?: (line: string) => void): Promise<string> {
  log?.(`$ ${p.display}`);
  const r = await t.host.run(p.argv, { cwd: p.cwd, env: p.env, timeoutMs: COMMAND_TIMEOUT_MS, onLine: log && ((_s, l) => log(l)) });
  if (r.exitCode !== 0) {
    const said = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ') || r.stdout.trim().split('\n').slice(-1)[0] || '';
    if (r.notStarted) throw new Error(`${p.display} could not be started${said ? `: ${said}` : ''}`);
    if (r.exitCode === null) throw new CommandCut(`${p.display} did not finish${said ? `: ${said}` : ''}`);
    throw new Error(`${p.display} exited with code ${r.exitCode}${said ? `: ${said}` : ''}`);
  }
  return r.stdout;
}

/** The words of an unverified outcome for a cut command; any other error stays a failure. */
function cutOutcome(e: unknown, what: string, where: string): { unverified: string } {
  if (!(e instanceof CommandCut) && !((e as Error)?.cause instanceof CommandCut)) throw e;
  const msg = (e as Error).message;
  const said = `${what[0].toUpperCase()}${what.slice(1)} may have been done in part, or may still be going on ${where === 'this machine' ? 'here' : `on ${where}`}: look at the project's containers before running it again`;
  return { unverified: `${msg}${msg.endsWith('.') ? '' : '.'} ${said}` };
}

const isAction = (id: string) => id === START_IN_ORDER_ID || Object.values(PROJECT_ACTIONS).some((a) => a.id === id);

/**
 * A compose operation on a project resource, bound to how the project is run now (hosts.yaml or its
 * containers' labels). The preview shows the exact command and host; the compose CLI is the one detected
 * on that host (`docker compose`, else `docker-compose`) unless hosts.yaml names a wrapper.
 */
export function composeAction(t: ComposeTarget, resource: Resource, actionId: string, objects: readonly ModelObject[]): ActionDef | undefined {
  if (resource.kind !== 'compose-project' || !isAction(actionId)) return undefined;
  const project = resource.name;
  const place = projectPlace(project, objects);
  if (!place.config && !place.workingDir) return undefined;
  const wrapper = place.config?.command;
  const known = wrapper ?? t.detector.peek(t.host)?.argv;
  // A preview cannot wait for detection: it names both candidates until the host has answered.
  const shownCli = known ?? ['docker', 'compose'];
  const cliNote = known ? '' : ' (or docker-compose: the compose CLI is detected on the host when this runs)';
  const getCli = async () => wrapper ?? (await t.detector.detect(t.host)).argv;
  const order = place.config?.order ?? [];
  const stepTimeoutMs = t.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const since = Date.now();
  const mine = (objs: readonly ModelObject[]) => projectContainers(objs).filter((c) => !c.labels.oneoff);
  // Services in scope: learnt from `compose config` when the action runs (profiles decide them).
  let scope: string[] | undefined;
  const inScope = (objs: readonly ModelObject[]) => mine(objs).filter((c) => !scope || scope.includes(c.labels.service ?? ''));

  if (actionId === START_IN_ORDER_ID) {
    if (!order.length) return undefined;
    const spec = startInOrderSpec(order);
    const steps = order.map((p) => ({ endpoint: t.endpoint, call: planCommand(t, place, shownCli, { op: 'up', profiles: [p] }).display + cliNote }));
    return {
      spec,
      summary: `${spec.label}: compose project ${project} on ${t.host.where} (${t.endpoint}); each profile waits until its services run and are healthy (at most ${Math.round(stepTimeoutMs / 1000)} s a step)`,
      steps,
      verifyText: `every service of ${order.join(', ')} is running and healthy`,
      async run(log) {
        // Health is judged on the engine's events: with the engine away there is nothing to judge on.
        const away = t.unreachable?.();
        if (away) throw new Error(`the Docker engine ${t.endpoint} is not connected (${away}); the start waits on its events`);
        const cli = await getCli();
        const resolved = parseComposeConfig(await runPlanned(t, planCommand(t, place, cli, 'config')), `${project} on ${t.host.where}`);
        const missing = unknownProfiles(resolved, order);
        if (missing.length) {
          const where = place.config ? ` (start order in ${place.config.file} line ${place.config.line})` : '';
          throw new Error(`no service of ${project} has the profile${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${where}`);
        }
        scope = servicesFor(resolved, order);
        try {
          await runOrderedStart({
            steps: order.map((p) => ({ profile: p, services: servicesFor(resolved, [p]) })),
            up: async (step) => { await runPlanned(t, planCommand(t, place, cli, { op: 'up', profiles: [step.profile] }), log); },
            containers: () => t.containers(project),
            watch: (fn) => t.onChange(fn),
            log,
            stepTimeoutMs,
          });
        } catch (e) {
          return cutOutcome(e, `the ordered start of ${project}`, t.host.where);
        }
      },
      verify: (objs) => !!scope && judgeStep(scope, mine(objs)).state === 'ready',
      verifyTimeoutMs: VERIFY_MS,
      auditName: 'compose.start-in-order',
    };
  }

  const op = actionId.slice('compose-'.length) as ComposeOp;
  const spec = PROJECT_ACTIONS[op];
  const call: ComposeCall = { op, profiles: order };
  const planned = planCommand(t, place, shownCli, call);
  const verifyText = op === 'up' ? `every service of ${project}${order.length ? ` (profiles ${order.join(', ')})` : ''} is running and healthy`
    : op === 'stop' ? `no container of ${project} in scope is running`
    : op === 'down' ? `no container of ${project} in scope is left`
    : `every container of ${project} in scope started again after the restart was asked for`;
  return {
    spec,
    summary: `${spec.label} compose project ${project} on ${t.host.where} (${t.endpoint})${order.length ? `, profiles ${order.join(', ')}` : ''}`,
    steps: [{ endpoint: t.endpoint, call: planned.display + cliNote }],
    verifyText,
    async run(log) {
      const cli = await getCli();
      // The services this call covers, so verification judges those and no others (profiles limit it).
      try {
        scope = servicesFor(parseComposeConfig(await runPlanned(t, planCommand(t, place, cli, 'config')), project), order);
      } catch (e) {
        if (op === 'up') throw e;
        scope = undefined;   // stop/down/restart can be judged on every container of the project
      }
      try {
        await runPlanned(t, planCommand(t, place, cli, call), log);
      } catch (e) {
        return cutOutcome(e, `the ${op}`, t.host.where);
      }
    },
    verify(objs) {
      const cs = inScope(objs);
      if (op === 'up') return !!scope && judgeStep(scope, mine(objs), since - 2_000).state === 'ready';
      if (op === 'stop') return cs.every((c) => c.state.status !== 'running' && c.state.status !== 'restarting');
      if (op === 'down') return cs.length === 0;
      return cs.length > 0 && cs.every((c) => c.state.status === 'running' && Date.parse(c.state.startedAt ?? '') >= since - 2_000);
    },
    verifyTimeoutMs: op === 'up' ? stepTimeoutMs : VERIFY_MS,
    auditName: `compose.${op}`,
  };
}
