import { posix } from 'node:path';
import type { PlaneEndpoint, Resource } from '../../../shared/contract/domain';
import { PilothouseError } from '../../../shared/contract/envelope';
import type { ActionDef } from '../../actions/action';
import type { LogSource } from '../../logs/source';
import type { ModelObject, PlaneRules } from '../../model/object';
import type { TerminalRequest, TerminalSession } from '../../terminals/session';
import type { AskReply, Plane, PlaneEnv, PlaneFactory, PlaneSink } from '../plane';
import { AuthAskError } from './auth-prompt';
import { ConfigWatch } from '../kube/config-watch';
import { BootTimes } from './boot-times';
import { runRemoteCommand } from './command';
import { listHostAliases, resolveHost, SshConfigError, type HostAlias } from './config';
import { diskConfigFs } from './config-fs';
import type { SshConnection, SshConnections, SshConnectionState } from './connection';
import { connectionView, hostEndpoint, type HostOrigin } from './endpoint';
import { bootMoved, factsCommand, parseFacts, type FactsRequest } from './facts';
import { featureFor, type SshFeature, type SshFeatureAttachment } from './feature';
import { shellQuote } from './quote';
import { HOST, HOST_ACTIONS, hostObject, sshHostRules, TRUST_ACTION_ID, type HostObject, type HostObjectData } from './rules';
import { formatSettingsError, hostsFilePath, loadHostSettings, type HostSettings } from './settings';
import { plainConfigContext, sshConfigContext, sshConfigPath, sshConnectionsFor } from './shared';
import { openShell } from './shell';
import { createSlurmFeature } from './slurm';
import { createTunnelFeature } from './tunnels';

/** Facts are looked at this often while connected (and at once on every (re)connect). */
export const FACTS_INTERVAL_MS = 30_000;
/** The facts command is small; one that takes longer than this is reported as a failed look. */
const FACTS_TIMEOUT_MS = 20_000;
/** How long start() waits for the hosts of hosts.yaml to connect and be looked at once. */
export const FIRST_LOOK_MS = 10_000;
const VERIFY_TIMEOUT_MS = 30_000;

function defaultDataDir(env: PlaneEnv): string {
  const e = env.env;
  return env.dataDir ?? e.PILOTHOUSE_DATA_DIR ?? posix.join(e.XDG_DATA_HOME || posix.join(env.home, '.local', 'share'), 'pilothouse');
}

interface WantedHost { origin: HostOrigin; settings: HostSettings | undefined; key: string }

/**
 * One host: its connection's state published as the endpoint and the host object, and its facts looked
 * at every FACTS_INTERVAL_MS while connected, with one remote command each time.
 */
class HostWatch {
  readonly endpointId: string;
  data: HostObjectData;
  endpoint: PlaneEndpoint;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private looking: Promise<void> | undefined;
  private unsubscribe: () => void;
  private stopped = false;
  private attachments: SshFeatureAttachment[] = [];
  private firstLook: Promise<void>;
  private firstLookDone!: () => void;

  constructor(
    readonly origin: HostOrigin,
    readonly settings: HostSettings | undefined,
    /** What it was made from (target and hosts.yaml settings); when that changes, the plane makes it again. */
    readonly key: string,
    readonly conn: SshConnection,
    private readonly sink: PlaneSink,
    private readonly boots: BootTimes,
    private readonly now: () => number,
  ) {
    this.endpointId = `ssh/${origin.alias}`;
    this.firstLook = new Promise((r) => { this.firstLookDone = r; });
    const units = settings?.units ?? [];
    this.data = {
      alias: origin.alias,
      configured: settings !== undefined,
      target: origin.target,
      connection: connectionView(conn.state),
      expect: { mounts: settings?.mounts ?? [], units, docker: settings?.docker ?? false },
    };
    this.endpoint = hostEndpoint(origin, conn.state);
    this.unsubscribe = conn.subscribe((s) => this.onState(s));
  }

  /** Publishes the host; connects it when hosts.yaml names it. Resolves after the first look (or why not). */
  start(features: readonly SshFeature[]): Promise<void> {
    this.publish();
    if (this.settings) {
      for (const f of features) {
        const a = f.attach({ alias: this.origin.alias, endpoint: this.endpointId, connection: this.conn, settings: this.settings, sink: this.sink, now: this.now });
        if (a) this.attachments.push(a);
      }
    }
    // Another plane (a Docker engine on this host) may have connected it already.
    this.onState(this.conn.state);
    if (this.settings) this.conn.connect();
    else this.firstLookDone();
    // A one-shot `pilothouse status` must show the SLURM queue and the tunnels too: on a host that
    // connected, wait for the features' first read as well (the plane's start bounds the wait).
    return this.firstLook.then(() => this.conn.state.state === 'connected'
      ? Promise.all(this.attachments.map((a) => a.firstRead?.catch(() => undefined))).then(() => undefined)
      : undefined);
  }

  stop(): void {
    this.stopped = true;
    // Whoever waits for the first look (start) has its answer: there will be none.
    this.firstLookDone();
    this.unsubscribe();
    this.clearTimer();
    for (const a of this.attachments) a.stop();
    this.attachments = [];
  }

  /** Looks now (after an action) instead of at the next tick. */
  async lookNow(): Promise<void> {
    // A look under way may have started before the change: wait it out, then look again.
    if (this.looking) await this.looking;
    await this.look();
  }

  private onState(s: SshConnectionState): void {
    if (this.stopped) return;
    this.endpoint = hostEndpoint(this.origin, s);
    this.data = { ...this.data, connection: connectionView(s) };
    this.sink.endpoint(this.endpoint);
    this.publish();
    if (s.state === 'connected') void this.look();
    else {
      this.clearTimer();
      // A first attempt that ended somewhere other than connected is still an answer for start().
      if (s.state !== 'connecting' && s.state !== 'idle') this.firstLookDone();
    }
  }

  private publish(): void {
    this.sink.upsert(hostObject(this.origin.alias, this.data));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private look(): Promise<void> {
    // One look at a time: a (re)connect during a look waits for it rather than running a second.
    this.looking ??= this.gather().finally(() => {
      this.looking = undefined;
      this.firstLookDone();
      if (!this.stopped && this.conn.state.state === 'connected') {
        this.clearTimer();
        this.timer = setTimeout(() => void this.look(), FACTS_INTERVAL_MS);
        this.timer.unref?.();
      }
    });
    return this.looking;
  }

  private factsRequest(): FactsRequest {
    const units = [...this.data.expect.units];
    // Docker's state is always looked at: the after-reboot procedure starts with it.
    if (!units.includes('docker')) units.unshift('docker');
    return { mounts: this.data.expect.mounts, units };
  }

  private async gather(): Promise<void> {
    const req = this.factsRequest();
    let next: HostObjectData;
    try {
      const r = await runRemoteCommand(this.conn, factsCommand(req), { timeoutMs: FACTS_TIMEOUT_MS, keepBytes: 64 * 1024 });
      if (r.timedOut) throw new Error(`no answer within ${FACTS_TIMEOUT_MS / 1000} s`);
      if (r.lost) throw new Error('the connection went away during the look');
      const facts = parseFacts(r.stdout.toString('utf8'), req);
      const last = this.boots.get(this.origin.alias);
      const rebooted = bootMoved(last, facts.bootAt);
      if (facts.bootAt !== undefined) this.boots.set(this.origin.alias, facts.bootAt);
      const { factsError: _dropped, ...rest } = this.data;
      next = { ...rest, facts, factsAt: this.now() };
      if (rebooted) next.rebootedAt = facts.bootAt!;
    } catch (err) {
      next = { ...this.data, factsError: (err as Error).message.split('\n')[0]! };
    }
    if (this.stopped) return;
    this.data = { ...next, connection: connectionView(this.conn.state) };
    this.publish();
  }
}

/**
 * SSH hosts: every concrete alias of ~/.ssh/config and every host of hosts.yaml is an endpoint
 * `ssh/<alias>` with a host resource. Only the hosts hosts.yaml names are connected at start: a big
 * ssh config is a list of places one might go, not a list of machines to dial on every launch.
 */
export class SshPlane implements Plane {
  readonly name = 'ssh' as const;
  readonly rules: PlaneRules;
  private sink?: PlaneSink;
  private readonly hosts = new Map<string, HostWatch>();
  private problems = new Map<string, PlaneEndpoint>();
  private configWatch?: ConfigWatch;
  private stopped = false;
  private readonly connections: SshConnections;
  private readonly boots: BootTimes;

  constructor(private readonly env: PlaneEnv, private readonly features: readonly SshFeature[] = []) {
    this.connections = sshConnectionsFor(env);
    this.boots = new BootTimes(posix.join(defaultDataDir(env), 'ssh-boot-times.json'));
    const featureRules = (kind: string) => featureFor(this.features, { kind })?.rules;
    this.rules = {
      bind: (obj) => (obj.kind === HOST ? sshHostRules.bind(obj) : featureRules(obj.kind)?.bind(obj) ?? []),
      derive: (id, objects, ctx) => {
        const f = featureFor(this.features, { id });
        return f ? f.rules.derive(id, objects, ctx) : sshHostRules.derive(id, objects, ctx);
      },
    };
  }

  async start(sink: PlaneSink): Promise<void> {
    this.sink = sink;
    this.configWatch = new ConfigWatch(() => void this.sync());
    await this.sync();
  }

  /**
   * Reads hosts.yaml and the ssh config and makes the hosts match: new ones start, gone ones are
   * dropped, a changed one starts again (its connection, shared, stays). Runs at start, when either file
   * changes, and on wake.
   */
  private async sync(): Promise<void> {
    if (this.stopped || !this.sink) return;
    const sink = this.sink;
    const { wanted, problems } = this.readHosts();
    for (const [alias, w] of [...this.hosts]) {
      const want = wanted.get(alias);
      if (want && want.key === w.key) continue;
      w.stop();
      this.hosts.delete(alias);
      // Its objects (the host, a feature's) go with it; a host that stays comes back at once below.
      sink.dropEndpoint(w.endpointId);
    }
    for (const id of this.problems.keys()) if (!problems.has(id)) sink.dropEndpoint(id);
    this.problems = problems;
    for (const ep of problems.values()) sink.endpoint(ep);
    const firsts: Array<Promise<void>> = [];
    for (const [alias, want] of wanted) {
      if (this.hosts.has(alias)) continue;
      const w = new HostWatch(want.origin, want.settings, want.key, this.connections.get(alias), sink, this.boots, this.env.now);
      this.hosts.set(alias, w);
      firsts.push(w.start(this.features));
    }
    this.configWatch?.watch([hostsFilePath(this.env), sshConfigPath(this.env)]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((r) => { timer = setTimeout(r, FIRST_LOOK_MS); timer.unref?.(); });
    await Promise.race([Promise.all(firsts), deadline]);
    clearTimeout(timer);
  }

  /** The hosts as the files say now, and the endpoints of what is wrong in them (file, line, field). */
  private readHosts(): { wanted: Map<string, WantedHost>; problems: Map<string, PlaneEndpoint> } {
    const problems = new Map<string, PlaneEndpoint>();
    const problem = (ep: Omit<PlaneEndpoint, 'plane' | 'state' | 'configError'>) => problems.set(ep.id, { ...ep, plane: 'ssh', state: 'unavailable', configError: true });
    const settings = loadHostSettings(this.env);
    const badAliases = new Set<string>();
    for (const e of settings.errors) {
      if (e.alias) badAliases.add(e.alias);
      problem({ id: `ssh/${e.alias ?? '(hosts.yaml)'}`, name: e.alias ?? 'hosts.yaml', target: e.alias ?? settings.file, source: settings.file, message: formatSettingsError(e) });
    }
    let aliases: HostAlias[] = [];
    try {
      aliases = listHostAliases(plainConfigContext(this.env));
    } catch (err) {
      const file = err instanceof SshConfigError ? err.file : sshConfigPath(this.env);
      problem({ id: 'ssh/(ssh config)', name: 'ssh config', target: file, source: file, message: (err as Error).message });
    }
    const ctx = sshConfigContext(this.env, diskConfigFs, () => settings.hosts);
    const configured = new Map(settings.hosts.map((h) => [h.alias, h]));
    const order = [...settings.hosts.map((h) => ({ alias: h.alias, source: `${h.file} line ${h.line}` })), ...aliases.map((a) => ({ alias: a.alias, source: `${a.file} line ${a.line}` }))];
    const wanted = new Map<string, WantedHost>();
    for (const { alias, source } of order) {
      if (wanted.has(alias) || badAliases.has(alias)) continue;
      let target: string;
      try {
        const r = resolveHost(ctx, alias);
        const user = r.user ?? this.env.env.USER;
        target = `${user ? `${user}@` : ''}${r.hostName}:${r.port}${r.proxyJump.length ? ` via ${r.proxyJump.map((j) => j.host).join(' → ')}` : ''}`;
      } catch (err) {
        problem({ id: `ssh/${alias}`, name: alias, target: alias, source, message: `ssh/${alias}: ${(err as Error).message}` });
        continue;
      }
      const s = configured.get(alias);
      // What makes it the same host: where it is and what is expected of it, not the line it is written on.
      const key = JSON.stringify([target, s && { ...s, file: undefined, line: undefined }]);
      wanted.set(alias, { origin: { alias, target, source }, settings: s, key });
    }
    return { wanted, problems };
  }

  stop(): void {
    this.stopped = true;
    this.configWatch?.close();
    for (const w of this.hosts.values()) w.stop();
    this.hosts.clear();
    // The plane owns the connections; the Docker engines and tunnels on them stop with the engine too.
    this.connections.close();
  }

  suspend(): void {
    // An alias never connected stays idle: waking must not dial every host of the ssh config.
    for (const w of this.hosts.values()) if (w.conn.state.state !== 'idle') w.conn.suspend();
  }

  resume(): void {
    if (this.stopped) return;
    for (const w of this.hosts.values()) w.conn.resume();
    // Files edited while asleep (or a watch lost with them) are read again.
    void this.sync();
  }

  endpoints(): PlaneEndpoint[] {
    return [...[...this.hosts.values()].map((w) => w.endpoint), ...this.problems.values()];
  }

  answerAsk(endpoint: string, reply: AskReply): void {
    const w = this.hosts.get(endpoint.slice('ssh/'.length));
    if (!w) throw new PilothouseError('not-found', `${endpoint}: no such host here`);
    try {
      if ('cancel' in reply) w.conn.cancelAsk(reply.ask);
      else w.conn.answer(reply.ask, reply.answers, reply.remember);
    } catch (err) {
      if (err instanceof AuthAskError) throw new PilothouseError('conflict', `${endpoint}: ${err.message}`);
      throw err;
    }
  }

  private watchOf(resource: Resource): HostWatch | undefined {
    return this.hosts.get(resource.endpoint.slice('ssh/'.length));
  }

  action(resource: Resource, actionId: string, objects: readonly ModelObject[]): ActionDef | undefined {
    const feature = featureFor(this.features, { id: resource.id });
    if (feature) return feature.action(resource, actionId, objects);
    const w = this.watchOf(resource);
    const o = objects.find((x) => x.kind === HOST) as HostObject | undefined;
    if (!w || !o) return undefined;
    if (actionId === TRUST_ACTION_ID) return trustHostKey(w, o);
    if (actionId === HOST_ACTIONS.connect.id) return connectHost(w);
    if (actionId === HOST_ACTIONS.startDocker.id) return startDocker(w);
    return undefined;
  }

  logSource(resource: Resource, objects: readonly ModelObject[]): LogSource | undefined {
    return featureFor(this.features, { id: resource.id })?.logSource?.(resource, objects);
  }

  terminal(resource: Resource, _objects: readonly ModelObject[], request: TerminalRequest): Promise<TerminalSession> | undefined {
    if (resource.kind !== HOST) return undefined;
    const w = this.watchOf(resource);
    if (!w) return Promise.reject(new PilothouseError('not-found', `${resource.endpoint}: no such host here`));
    return openShell(w.conn, request);
  }
}

const connectionOf = (objects: readonly ModelObject[]) => (objects.find((x) => x.kind === HOST) as HostObject | undefined)?.data;

/**
 * Trust on first use, through the action runner (previewed, confirmed, audited): the key waiting in the
 * `untrusted` state, by its fingerprint, appended to known_hosts. A changed key is `refused`, never
 * `untrusted`, so nothing here can accept one.
 */
function trustHostKey(w: HostWatch, o: HostObject): ActionDef | undefined {
  const s = w.conn.state;
  if (s.state !== 'untrusted' || o.data.connection.state !== 'untrusted') return undefined;
  const u = s.unknown;
  const label = `Trust host key ${u.fingerprint}`;
  const of = u.alias === w.origin.alias ? u.alias : `${u.alias} (jump host on the way to ${w.origin.alias})`;
  return {
    spec: { id: TRUST_ACTION_ID, label, destructive: false, confirm: 'confirm' },
    summary: `Trust ${u.keyType} host key ${u.fingerprint} of ${of} as ${u.hostKeyName}`,
    steps: [{ endpoint: w.endpointId, call: `append to ${u.knownHostsFile}: ${u.line}` }],
    verifyText: `${w.origin.alias} is past host key ${u.fingerprint}`,
    auditName: 'ssh.trust-host-key',
    verifyTimeoutMs: VERIFY_TIMEOUT_MS,
    async run() {
      w.conn.acceptHostKey(u.fingerprint);
    },
    verify(objects) {
      const c = connectionOf(objects)?.connection;
      // Connected, or on to the next hop's key: this one is known now.
      return c?.state === 'connected' || (c?.state === 'untrusted' && c.fingerprint !== u.fingerprint);
    },
  };
}

/** Connect an idle or lost host, or try a refused one again (every check is made again). */
function connectHost(w: HostWatch): ActionDef {
  const again = w.conn.state.state === 'refused';
  return {
    spec: again ? HOST_ACTIONS.retry : HOST_ACTIONS.connect,
    summary: `${again ? 'Try again to connect' : 'Connect'} to ${w.origin.alias} (${w.origin.target})`,
    steps: [{ endpoint: w.endpointId, call: `ssh connect ${w.origin.target}, host key checked against known_hosts` }],
    verifyText: `${w.origin.alias} is connected (or its login asks you for a secret)`,
    auditName: 'ssh.connect',
    verifyTimeoutMs: VERIFY_TIMEOUT_MS,
    async run(log) {
      w.conn.connect();
      // A refusal or an unknown key is the answer, said at once (ready rejects with the connection's words).
      try {
        await w.conn.ready(VERIFY_TIMEOUT_MS);
      } catch (err) {
        // A login that asks for a passphrase or password is under way: the console asks, this is done.
        if (w.conn.state.state !== 'asking') throw err;
        log((err as Error).message);
      }
    },
    verify: (objects) => {
      const c = connectionOf(objects)?.connection.state;
      return c === 'connected' || c === 'asking';
    },
  };
}

const START_DOCKER = ['sudo', '-n', 'systemctl', 'start', 'docker'];

/** The after-reboot step: start the Docker service; the next look at the host verifies it. */
function startDocker(w: HostWatch): ActionDef {
  return {
    spec: HOST_ACTIONS.startDocker,
    summary: `Start the docker service on ${w.origin.alias} (${w.origin.target})`,
    steps: [{ endpoint: w.endpointId, call: `ssh ${w.origin.alias} ${shellQuote(START_DOCKER)}` }],
    verifyText: `docker is active on ${w.origin.alias}`,
    auditName: 'ssh.start-docker',
    verifyTimeoutMs: VERIFY_TIMEOUT_MS,
    async run(log) {
      const r = await runRemoteCommand(w.conn, START_DOCKER, { timeoutMs: 60_000 });
      const err = r.stderr.toString('utf8').trim();
      if (r.exitCode !== 0) {
        throw new Error(r.timedOut ? 'systemctl did not finish within 60 s' : `${shellQuote(START_DOCKER)} exited ${r.exitCode ?? r.signal ?? 'without a status'}${err ? `: ${err}` : ''}`);
      }
      if (err) log(err);
      await w.lookNow();
    },
    verify: (objects) => connectionOf(objects)?.facts?.units.find((u) => u.name === 'docker')?.state === 'active',
  };
}

export const sshPlaneFactory: PlaneFactory = {
  name: 'ssh',
  create: (env) => new SshPlane(env, [createTunnelFeature(), createSlurmFeature()]),
};
