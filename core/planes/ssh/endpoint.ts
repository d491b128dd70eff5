import type { EndpointAsk, PlaneEndpoint } from '../../../shared/contract/domain';
import { askTitle, promptLines, rememberPolicy, type AuthAsk } from './auth-prompt';
import type { SshConnectionState } from './connection';
import { hostResourceId, withoutAlias, type HostConnectionView } from './rules';

/** Where a host came from, for the endpoint's `source`. */
export interface HostOrigin {
  alias: string;
  /** `user@host:port`, with ` via hop` for ProxyJump. */
  target: string;
  /** `hosts.yaml line 3`, `~/.ssh/config line 12`. */
  source: string;
}

/** The name sshd gives the host key file of a key type: ssh-ed25519 → ed25519, ecdsa-sha2-nistp256 → ecdsa. */
export function hostKeyFileType(keyType: string): string {
  if (keyType.includes('ed25519')) return 'ed25519';
  if (keyType.startsWith('ecdsa')) return 'ecdsa';
  if (keyType.includes('rsa')) return 'rsa';
  return keyType.replace(/^ssh-/, '');
}

/** What the page shows to ask (no answer ever travels this way). */
export function endpointAsk(a: AuthAsk, alias: string): EndpointAsk {
  const p = a.prompt;
  return {
    id: a.id,
    kind: p.kind,
    // The banner already names the host; a jump host on the way is named.
    title: p.alias === alias ? askTitle(p) : `jump host ${p.alias}: ${askTitle(p)}`,
    ...(p.kind === 'keyboard-interactive' && p.instructions ? { instructions: p.instructions } : {}),
    ...(a.retry ? { retry: a.retry } : {}),
    prompts: promptLines(p),
    remember: rememberPolicy(p),
  };
}

function askHint(a: AuthAsk): string {
  switch (rememberPolicy(a.prompt)) {
    case 'key-kept': return 'The decrypted key is kept in memory until Pilothouse quits, for reconnects; the passphrase is not kept, and nothing is written to disk. Cancel leaves the host refused.';
    case 'offer': return 'The password is used for this login only, unless you tick "remember until Pilothouse quits" (memory only, never on disk). Cancel leaves the host refused.';
    case 'never': return 'The answers are used for this login only and never kept. Cancel leaves the host refused.';
  }
}

/** The connection as the host object keeps it (no key blobs, no clients). */
export function connectionView(s: SshConnectionState): HostConnectionView {
  switch (s.state) {
    case 'idle': return { state: 'idle' };
    case 'connecting': return { state: 'connecting', via: s.via };
    case 'connected': return { state: 'connected', via: s.via, since: s.since };
    case 'lost': return { state: 'lost', why: s.why, retryAt: s.retryAt };
    case 'untrusted':
      return { state: 'untrusted', host: s.unknown.alias, hostKeyName: s.unknown.hostKeyName, keyType: s.unknown.keyType, fingerprint: s.unknown.fingerprint, message: s.message };
    case 'refused': {
      const k = s.hostKey;
      return {
        state: 'refused', reason: s.reason, message: s.message,
        ...(k ? { presented: `${k.presented.keyType} ${k.presented.fingerprint}`, known: `${k.known.keyType} ${k.known.fingerprint} (${k.known.file} line ${k.known.line})` } : {}),
      };
    }
    case 'asking': return { state: 'asking', message: s.message };
    case 'suspended': return { state: 'suspended' };
    case 'closed': return { state: 'closed' };
  }
}

/**
 * A host's endpoint in words an operator can act on. A host-key problem waits for the operator (no
 * retry by itself) and says so; a lost connection says why and when it tries again.
 */
export function hostEndpoint(o: HostOrigin, s: SshConnectionState): PlaneEndpoint {
  const base = { id: `ssh/${o.alias}`, plane: 'ssh' as const, name: o.alias, target: o.target, source: o.source, actOn: hostResourceId(o.alias) };
  switch (s.state) {
    case 'idle':
      return { ...base, state: 'idle', message: 'not connected (only hosts named in hosts.yaml connect at start): use Connect on the host' };
    case 'connecting':
      return { ...base, state: 'connecting', message: `connecting${s.via.length ? ` via ${s.via.join(' → ')}` : ''}` };
    case 'connected':
      return { ...base, state: 'connected', message: `connected${s.via.length ? ` via ${s.via.join(' → ')}` : ''}` };
    case 'lost':
      return { ...base, state: 'unavailable', message: `lost: ${withoutAlias(o.alias, s.why)}`, retryAt: s.retryAt };
    case 'untrusted':
      return {
        ...base, state: 'unavailable', waitsForOperator: true,
        message: withoutAlias(o.alias, s.message),
        hint: `Compare ${s.unknown.fingerprint} with the server's own (ssh-keygen -lf /etc/ssh/ssh_host_${hostKeyFileType(s.unknown.keyType)}_key.pub on it), then use "Trust host key ${s.unknown.fingerprint}" on host ${o.alias}; it is appended to ${s.unknown.knownHostsFile}.`,
      };
    case 'refused':
      return {
        ...base, state: 'unavailable', waitsForOperator: true,
        ...(s.reason === 'config' ? { configError: true } : {}),
        message: withoutAlias(o.alias, s.message),
        ...(s.reason === 'host-key-changed'
          ? { hint: 'Pilothouse never accepts a changed key. If the server was reinstalled, check the new key with its administrator, remove the old line from known_hosts yourself (ssh-keygen -R), then use "Try again" on the host.' }
          : s.reason === 'authentication' ? { hint: 'Check the key files, the agent and the user in the ssh settings, then use "Try again" on the host (an encrypted key, a password or the server\'s questions are asked for in the console).' } : {}),
      };
    case 'asking':
      return {
        ...base, state: 'unavailable', waitsForOperator: true,
        message: `${withoutAlias(o.alias, s.message)} (open the console to enter it)`,
        hint: askHint(s.ask),
        asks: endpointAsk(s.ask, o.alias),
      };
    case 'suspended':
      return { ...base, state: 'suspended', message: 'paused while the computer sleeps' };
    case 'closed':
      return { ...base, state: 'unavailable', message: 'closed' };
  }
}
