import { userInfo } from 'node:os';
import { posix } from 'node:path';
import type { PlaneEnv } from '../plane';
import type { ConfigContext, ConfigFs } from './config';
import { diskConfigFs } from './config-fs';
import { SshConnections } from './connection';
import { configDir, loadHostSettings, type HostSettings } from './settings';

/**
 * One SshConnections per engine: the SSH plane, the Docker engines on SSH hosts, compose, tunnels and
 * SLURM all take a host's connection from here, so a host has one connection whatever runs on it.
 * Memoized on the PlaneEnv object, which the engine makes once and hands to every plane factory.
 */
const byEnv = new WeakMap<PlaneEnv, SshConnections>();

export function sshConnectionsFor(env: PlaneEnv): SshConnections {
  let c = byEnv.get(env);
  if (!c) {
    c = new SshConnections({ config: sshConfigContext(env) });
    byEnv.set(env, c);
  }
  return c;
}

/** ~/.ssh/config, or the file in PILOTHOUSE_SSH_CONFIG (the tests point it at the rig's). */
export function sshConfigPath(env: PlaneEnv): string {
  return env.env.PILOTHOUSE_SSH_CONFIG || posix.join(env.home, '.ssh', 'config');
}

/** The ssh settings as the operator wrote them, without what hosts.yaml adds. */
export function plainConfigContext(env: PlaneEnv, fs: ConfigFs = diskConfigFs): ConfigContext {
  return { fs, home: env.home, localUser: localUser(env), path: sshConfigPath(env) };
}

/**
 * What a connection reads: the operator's ssh config with hosts.yaml's `hostName` / `user` / `port` in
 * front of it, as if written at its top. hosts.yaml is read again on each dial, like ~/.ssh/config, so an
 * edit is used at the next connect.
 */
export function sshConfigContext(
  env: PlaneEnv,
  fs: ConfigFs = diskConfigFs,
  hosts: () => readonly HostSettings[] = () => loadHostSettings(env).hosts,
): ConfigContext {
  const real = sshConfigPath(env);
  // Not a file on disk: the name it carries is what an error in it would be reported against.
  const virtual = posix.join(configDir(env), 'hosts.yaml (as ssh settings)');
  const overlay: ConfigFs = {
    read: (path) => (path === virtual ? hostsYamlAsSshConfig(hosts(), real) : fs.read(path)),
    list: (dir) => fs.list(dir),
  };
  return { fs: overlay, home: env.home, localUser: localUser(env), path: virtual };
}

/**
 * ssh_config text for the hosts that set connection fields, then the operator's config under `Match all`
 * (an Include under the last Host block would apply only to that host). settings.ts allows no blanks,
 * quotes or % in these values, so each is one literal token here.
 */
export function hostsYamlAsSshConfig(hosts: readonly HostSettings[], realConfigPath: string): string {
  const lines: string[] = [];
  for (const h of hosts) {
    if (h.hostName === undefined && h.user === undefined && h.port === undefined) continue;
    lines.push(`Host ${h.alias}`);
    if (h.hostName !== undefined) lines.push(`  HostName ${h.hostName}`);
    if (h.user !== undefined) lines.push(`  User ${h.user}`);
    if (h.port !== undefined) lines.push(`  Port ${h.port}`);
  }
  lines.push('Match all', `Include "${realConfigPath}"`, '');
  return lines.join('\n');
}

function localUser(env: PlaneEnv): string | undefined {
  try {
    return env.env.USER || userInfo().username;
  } catch {
    return undefined;
  }
}
