import type { PlaneEnv } from '../plane';
import type { SshConnection } from '../ssh/connection';
import type { HostSettings, HostSettingsError } from '../ssh/settings';
import type { DockerCandidate } from './discover';
import type { EngineTransport } from './engine-connection';

/**
 * Docker engines on SSH hosts: every host with `docker: true` in hosts.yaml is an endpoint
 * `docker/<alias>`, reached over the host's one shared SSH connection (core/planes/ssh/shared.ts). They
 * are separate endpoints by design, also when one daemon is reachable both locally and through a host:
 * the operator thinks per host ("docker on kraken-workers"), and the same daemon seen through two hosts is
 * two places things are run from.
 */

export interface RemoteEngine {
  alias: string;
  candidate: DockerCandidate;
  host: HostSettings;
}

/** Names the local engines hold are not taken by a host alias (`docker/default` stays the socket). */
export function remoteCandidates(hosts: readonly HostSettings[], localNames: ReadonlySet<string>): RemoteEngine[] {
  const taken = new Set(localNames);
  const out: RemoteEngine[] = [];
  for (const h of hosts) {
    if (!h.docker) continue;
    let name = h.alias;
    if (taken.has(name)) name = `${h.alias}-ssh`;
    for (let i = 2; taken.has(name); i++) name = `${h.alias}-ssh-${i}`;
    taken.add(name);
    out.push({
      alias: h.alias,
      host: h,
      candidate: { name, target: `ssh ${h.alias}: docker system dial-stdio`, source: `${h.file} line ${h.line} (hosts.${h.alias}.docker)` },
    });
  }
  return out;
}

/** A hosts.yaml error as a problem endpoint of this plane, when it concerns a host's docker settings. */
export function settingsProblem(e: HostSettingsError): DockerCandidate {
  return {
    name: e.alias ?? 'hosts.yaml',
    target: e.file,
    source: e.file,
    error: { message: `${e.file}${e.line ? ` line ${e.line}` : ''}: ${e.field}: ${e.message}`, file: e.file, hint: `Fix ${e.file}; the other hosts still connect.` },
  };
}

/** Lines `systemctl is-active` prints for a unit that is not running. */
const NOT_ACTIVE = new Set(['inactive', 'failed', 'activating', 'deactivating', 'reloading', 'unknown', 'maintenance']);

/**
 * Why the engine on a host cannot be reached, in the host's own words: the SSH connection's state, else
 * `systemctl is-active docker`, else what the docker CLI said on stderr when dial-stdio ended.
 */
export async function diagnoseRemote(alias: string, conn: Pick<SshConnection, 'state'> & { exec: SshConnection['exec'] }, lastError: () => string | undefined): Promise<{ message: string; hint?: string } | undefined> {
  const s = conn.state;
  if (s.state !== 'connected') {
    const why = 'why' in s ? s.why : 'message' in s ? s.message : s.state;
    return { message: `docker on ${alias}: no SSH connection (${s.state}${why !== s.state ? `: ${why}` : ''})`, hint: `The engine comes back when ${alias} is reachable over SSH again.` };
  }
  const { runRemoteCommand } = await import('../ssh/command');
  const r = await runRemoteCommand(conn, ['systemctl', 'is-active', 'docker'], { timeoutMs: 10_000 });
  const said = r.stdout.toString().trim().split('\n')[0] ?? '';
  if (NOT_ACTIVE.has(said)) {
    return { message: `docker on ${alias} is not running (systemctl is-active docker: ${said})`, hint: `Start it on the host ('sudo systemctl start docker' on ${alias}); the engine reconnects by itself.` };
  }
  const cli = lastError();
  if (cli) return { message: `docker on ${alias}: ${cli}`, hint: `Check the Docker engine on ${alias} ('docker version' there).` };
  return undefined;
}

/** The shared connection and the dial-stdio transport for one host; loaded on first use (ssh2 is heavy). */
export async function openRemote(env: PlaneEnv, alias: string): Promise<{ conn: SshConnection; transport: EngineTransport }> {
  const [{ sshConnectionsFor }, { DialStdioAgent }] = await Promise.all([import('../ssh/shared'), import('./ssh-transport')]);
  const conn = sshConnectionsFor(env).get(alias);
  const agent = new DialStdioAgent(conn);
  return { conn, transport: { agent, diagnose: () => diagnoseRemote(alias, conn, () => agent.lastError) } };
}
