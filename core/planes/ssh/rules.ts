import type { ActionSpec, Reason, RuntimeStatus } from '../../../shared/contract/domain';
import { objectKey, type Derived, type ModelObject, type PlaneRules } from '../../model/object';
import type { HostFacts } from './facts';
import { utcText } from '../../../shared/text/utc';

/** The connection's own words start with the alias, which the host's row and banner already show. */
export function withoutAlias(alias: string, text: string): string {
  return text.startsWith(`${alias}: `) ? text.slice(alias.length + 2) : text;
}

export const HOST = 'host';

/** The connection as the host object keeps it: what the rules need to word it, nothing secret. */
export type HostConnectionView =
  | { state: 'idle' }
  | { state: 'connecting'; via: string[] }
  | { state: 'connected'; via: string[]; since: number }
  | { state: 'lost'; why: string; retryAt: number }
  | { state: 'untrusted'; host: string; hostKeyName: string; keyType: string; fingerprint: string; message: string }
  | { state: 'refused'; reason: string; message: string; presented?: string; known?: string }
  /** A login waits for a passphrase, a password or answers (core/planes/ssh/auth-prompt.ts); never the answer. */
  | { state: 'asking'; message: string }
  | { state: 'suspended' }
  | { state: 'closed' };

export interface HostObjectData {
  alias: string;
  /** Named in hosts.yaml: connected at start. Otherwise an alias of ~/.ssh/config, connected on request. */
  configured: boolean;
  /** `kraken@10.177.0.13:22`, with ` via kraken-infra` for a ProxyJump. */
  target: string;
  connection: HostConnectionView;
  expect: { mounts: string[]; units: string[]; docker: boolean };
  /** The last facts gathered (kept while the host is away: "last known"). */
  facts?: HostFacts;
  /** When `facts` were gathered, by this machine's clock. */
  factsAt?: number;
  /** Why the last look failed, when it did. */
  factsError?: string;
  /** The boot time of a reboot seen since the last look (this session or while the app was closed). */
  rebootedAt?: number;
}

export type HostObject = ModelObject<HostObjectData>;

export function hostObject(alias: string, data: HostObjectData): HostObject {
  return { plane: 'ssh', endpoint: `ssh/${alias}`, kind: HOST, ns: '', name: alias, data };
}

/** `ssh/<alias>/host/<alias>`. */
export function hostResourceId(alias: string): string {
  return `ssh/${alias}/${HOST}/${alias}`;
}

export const HOST_ACTIONS = {
  connect: { id: 'connect', label: 'Connect', destructive: false, confirm: 'none' },
  /**
   * After a refusal: connect again, checking everything again. Once the operator has fixed known_hosts
   * or the login, this is how the host comes back; a key that is still changed is refused again.
   */
  retry: { id: 'connect', label: 'Try again', destructive: false, confirm: 'none' },
  startDocker: { id: 'start-docker', label: 'Start docker', destructive: false, confirm: 'confirm' },
} as const satisfies Record<string, ActionSpec>;

export const TRUST_ACTION_ID = 'trust-host-key';

/** The label carries the fingerprint: the operator confirms exactly the key they compared. */
export function trustAction(fingerprint: string): ActionSpec {
  return { id: TRUST_ACTION_ID, label: `Trust host key ${fingerprint}`, destructive: false, confirm: 'confirm' };
}

/** "3 minutes ago", "1 minute ago", "less than a minute ago". */
export function minutesAgo(ms: number): string {
  const m = Math.floor(Math.max(0, ms) / 60_000);
  if (m < 1) return 'less than a minute ago';
  if (m < 120) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} hours ago`;
  return `${Math.floor(h / 24)} days ago`;
}

/**
 * Missing mounts in words, grouped by what they share: `/fs/pool/pool-backup` and `/fs/pool/pool-output`
 * read "pool mounts backup, output"; mounts with nothing in common are named by their path.
 */
export function missingMountsText(paths: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const p of paths) {
    const parts = p.split('/').filter(Boolean);
    const base = parts[parts.length - 1] ?? p;
    const parent = parts[parts.length - 2];
    const dash = base.indexOf('-');
    const prefix = dash > 0 ? base.slice(0, dash) : undefined;
    const [label, name] = prefix && prefix === parent ? [prefix, base.slice(dash + 1)] : ['', p];
    groups.set(label, [...(groups.get(label) ?? []), name]);
  }
  return [...groups].map(([label, names]) => `${label ? `${label} ` : ''}mount${names.length > 1 ? 's' : ''} ${names.join(', ')} missing`).join('; ');
}

/** `systemctl is-active` words as an operator says them. */
export function unitStateText(name: string, state: string): string {
  switch (state) {
    case 'active': return `${name} running`;
    case 'inactive': return `${name} stopped`;
    case 'failed': return `${name} failed`;
    case 'activating': case 'reloading': return `${name} starting`;
    case 'deactivating': return `${name} stopping`;
    case '': return `${name} state unknown (systemctl gave no answer)`;
    default: return `${name} ${state}`;
  }
}

function expectedUnits(d: HostObjectData): string[] {
  const u = [...d.expect.units];
  if (d.expect.docker && !u.includes('docker')) u.unshift('docker');
  return u;
}

/** The problems the last facts show against what hosts.yaml expects, worst first. */
export function hostProblems(d: HostObjectData): string[] {
  const f = d.facts;
  if (!f) return [];
  const out: string[] = [];
  const missing = d.expect.mounts.filter((m) => !f.mounts.find((x) => x.path === m)?.mounted);
  if (missing.length) out.push(missingMountsText(missing));
  for (const name of expectedUnits(d)) {
    const state = f.units.find((u) => u.name === name)?.state ?? '';
    if (state !== 'active') out.push(unitStateText(name, state));
  }
  return out;
}

function kb(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

function connectionText(c: HostConnectionView): string {
  switch (c.state) {
    case 'idle': return 'not connected';
    case 'connecting': return `connecting${c.via.length ? ` via ${c.via.join(' → ')}` : ''}`;
    case 'connected': return `connected${c.via.length ? ` via ${c.via.join(' → ')}` : ''}`;
    case 'lost': return `lost: ${c.why}`;
    case 'untrusted': return `waiting for you to trust ${c.keyType} key ${c.fingerprint} of ${c.hostKeyName}`;
    case 'refused': return `refused: ${c.message}`;
    case 'asking': return `waiting for you: ${c.message}`;
    case 'suspended': return 'paused while the computer sleeps';
    case 'closed': return 'closed';
  }
}

function factsOf(d: HostObjectData, now: number): Record<string, string> {
  const f: Record<string, string> = { host: d.target, connection: connectionText(d.connection) };
  if (d.connection.state === 'untrusted') f['presented key'] = `${d.connection.keyType} ${d.connection.fingerprint}`;
  if (d.connection.state === 'refused' && d.connection.presented) {
    f['presented key'] = d.connection.presented;
    if (d.connection.known) f['known key'] = d.connection.known;
  }
  const x = d.facts;
  if (x) {
    if (x.bootAt !== undefined) f.uptime = `up since ${utcText(x.bootAt)} (booted ${minutesAgo(now - x.bootAt)})`;
    if (x.load) f.load = x.load.join(' ');
    for (const m of x.mounts) {
      f[`mount ${m.path}`] = !m.mounted ? 'missing'
        : m.usePercent !== undefined ? `${m.usePercent}% used (${kb(m.usedKb!)} of ${kb(m.sizeKb!)}, ${kb(m.availKb!)} free)` : 'mounted';
    }
    for (const u of x.units) f[`unit ${u.name}`] = u.state || 'unknown';
  }
  if (d.factsAt !== undefined) f['looked at'] = new Date(d.factsAt).toISOString();
  if (d.factsError) f['last look'] = d.factsError;
  return f;
}

/**
 * A host as a resource: its connection first (nothing else can be known without it), then what the
 * last look found against what hosts.yaml expects. A reboot seen since the last look leads the sentence
 * that names what it left behind: "rebooted 3 minutes ago: pool mounts backup, output missing; docker
 * stopped".
 */
export function deriveHost(id: string, o: HostObject, now: number): Derived {
  const d = o.data;
  const ref = objectKey(o);
  const reasons: Reason[] = [];
  const actions: ActionSpec[] = [];
  let runtime: RuntimeStatus = 'ok';
  let recheckAt: number | undefined;
  const c = d.connection;
  switch (c.state) {
    case 'idle':
      runtime = 'not_applicable';
      reasons.push({ text: `not connected (${d.configured ? 'not started' : 'not named in hosts.yaml'}): Connect to look at it`, severity: 'info', ref });
      actions.push(HOST_ACTIONS.connect);
      break;
    case 'connecting':
      runtime = 'pending';
      reasons.push({ text: connectionText(c), severity: 'info', ref });
      break;
    case 'lost':
      runtime = 'error';
      reasons.push({ text: `unreachable: ${withoutAlias(d.alias, c.why)}`, severity: 'error', ref });
      actions.push(HOST_ACTIONS.connect);
      break;
    case 'untrusted':
      runtime = 'error';
      reasons.push({ text: `${c.host === d.alias ? '' : `jump host ${c.host}: `}unknown host key ${c.keyType} ${c.fingerprint}: compare it with the server's and trust it to connect`, severity: 'error', ref });
      actions.push(trustAction(c.fingerprint));
      break;
    case 'refused':
      runtime = 'error';
      reasons.push({ text: withoutAlias(d.alias, c.message), severity: 'error', ref });
      actions.push(HOST_ACTIONS.retry);
      break;
    case 'asking':
      runtime = 'pending';
      reasons.push({ text: `${withoutAlias(d.alias, c.message)}: answer in the console`, severity: 'warning', ref });
      break;
    case 'suspended':
    case 'closed':
      runtime = 'unknown';
      reasons.push({ text: `${connectionText(c)}: last known state shown`, severity: 'warning', ref });
      break;
    case 'connected':
      break;
  }
  if (c.state === 'connected') {
    if (d.factsError) reasons.push({ text: `could not look at the host: ${d.factsError}`, severity: 'warning', ref });
    const problems = hostProblems(d);
    const rebooted = d.rebootedAt !== undefined && d.facts?.bootAt === d.rebootedAt;
    const ago = rebooted ? `rebooted ${minutesAgo(now - d.rebootedAt!)}` : undefined;
    if (problems.length) {
      runtime = 'error';
      reasons.push({ text: ago ? `${ago}: ${problems.join('; ')}` : problems.join('; '), severity: 'error', ref });
    } else if (ago) reasons.push({ text: ago, severity: 'info', ref });
    else if (!d.facts) runtime = d.factsError ? 'warning' : 'pending';
    else if (d.factsError) runtime = 'warning';
    if (ago) {
      // The minutes in the sentence move on by themselves.
      const elapsed = now - d.rebootedAt!;
      recheckAt = now + (60_000 - (elapsed % 60_000));
    }
    const docker = d.facts?.units.find((u) => u.name === 'docker');
    if (docker && docker.state !== 'active' && docker.state !== 'activating' && (d.expect.docker || d.expect.units.includes('docker'))) {
      actions.push(HOST_ACTIONS.startDocker);
    }
  }
  const out: Derived = {
    resource: {
      id,
      name: d.alias,
      kind: HOST,
      plane: 'ssh',
      endpoint: o.endpoint,
      group: { kind: HOST, name: d.alias },
      runtime,
      reasons,
      facts: factsOf(d, now),
      actions,
      // A shell connects an idle host on the way (openShell waits for the connection); a lost, untrusted or refused one cannot.
      ...((c.state === 'connected' || c.state === 'idle') && { terminal: true }),
    },
  };
  if (recheckAt !== undefined) out.recheckAt = recheckAt;
  return out;
}

export const sshHostRules: PlaneRules = {
  bind(obj) {
    return obj.kind === HOST ? [hostResourceId(obj.name)] : [];
  },
  derive(id, objects, { now }) {
    const o = objects.find((x) => x.kind === HOST) as HostObject | undefined;
    return o ? deriveHost(id, o, now) : undefined;
  },
};
