import { appendFileSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig, ExecOptions, PseudoTtyOptions, ShellOptions } from 'ssh2';
import { nextBackoff } from '../../../shared/time/backoff';
import { askTitle, AuthAsker, AuthSecrets, type AuthAsk } from './auth-prompt';
import { planLogin, type Login } from './auth-prompt-login';
import { resolveHost, SshConfigError, type ConfigContext, type JumpHost, type ResolvedHost } from './config';
import { knownHostsAppend, knownHostsLine, verifyHostKey, type HostKeyVerdict, type KnownHostsFile, type KnownKey } from './known-hosts';

/**
 * One SSH connection per host, shared by whatever runs on it (commands, shells, tunnels, a Docker
 * engine). Settings come from ~/.ssh/config (config.ts), the host key is checked against known_hosts
 * (known-hosts.ts) before anything is sent, ProxyJump hops are dialled through `forwardOut` of the hop
 * before, and a dropped connection comes back by itself after a capped, jittered backoff.
 *
 * Host-key problems and refused logins are never retried on their own: retrying an unknown key cannot
 * make it known, a changed key must be looked at by a person, and hammering a server with a wrong key can
 * get the address banned. `connect()` tries again when the operator asks.
 *
 * A login that needs a person (a key's passphrase, a password, keyboard-interactive questions) waits in
 * `asking` with the server's login held open and the handshake timer stopped; nothing is retried
 * meanwhile. If the server gives up on the held login, the answer starts a new one and is used there.
 */

export type RefusedReason = 'host-key-changed' | 'host-key-revoked' | 'authentication' | 'config';

export type SshConnectionState =
  | { state: 'idle' }
  | { state: 'connecting'; attempt: number; since: number; via: string[] }
  | { state: 'connected'; since: number; via: string[] }
  /** Dropped or could not be reached; reconnecting at `retryAt` (epoch ms). */
  | { state: 'lost'; why: string; since: number; attempt: number; retryAt: number }
  /** The host (or a jump host on the way) presented a key known_hosts does not hold. */
  | { state: 'untrusted'; since: number; host: string; message: string; unknown: UnknownHostKey }
  /** The login waits for the operator to answer `ask` (`answer` / `cancelAsk`). `host`: the hop asking. */
  | { state: 'asking'; since: number; host: string; message: string; ask: AuthAsk }
  | { state: 'refused'; since: number; host: string; reason: RefusedReason; message: string; hostKey?: HostKeyProblem }
  | { state: 'suspended'; since: number }
  | { state: 'closed'; since: number };

export interface UnknownHostKey {
  /** The alias it was reached as (the target or a jump host). */
  alias: string;
  /** The name known_hosts records it under (HostKeyAlias, else HostName, `[host]:port` off 22). */
  hostKeyName: string;
  fingerprint: string;
  keyType: string;
  otherKeyTypes?: string[];
  /** Base64 of the key blob, for the accept step. */
  key: string;
  /** Where accepting appends (the first UserKnownHostsFile) and the exact line it appends. */
  knownHostsFile: string;
  line: string;
}

export interface HostKeyProblem {
  alias: string;
  hostKeyName: string;
  status: 'changed' | 'revoked';
  presented: { fingerprint: string; keyType: string };
  known: KnownKey;
}

/** What this module needs of an ssh2 Client; a fake one can stand in for it in tests. */
export interface SshClientLike {
  on(event: 'ready', fn: () => void): this;
  on(event: 'error', fn: (err: Error & { level?: string }) => void): this;
  on(event: 'close', fn: () => void): this;
  connect(config: ConnectConfig): this;
  end(): this;
  exec(command: string, options: ExecOptions, callback: (err: Error | undefined, channel: ClientChannel) => void): this;
  forwardOut(srcIP: string, srcPort: number, dstIP: string, dstPort: number, callback: (err: Error | undefined, channel: ClientChannel) => void): this;
  /** An interactive login shell on a pty (core/planes/ssh/shell.ts). */
  shell(window: PseudoTtyOptions, options: ShellOptions, callback: (err: Error | undefined, channel: ClientChannel) => void): this;
  /** Drops the socket at once (a handshake that timed out); ssh2's Client has it. */
  destroy?(): this;
}

export interface SshConnectionOptions {
  alias: string;
  config: ConfigContext;
  /**
   * The agent, offered after the key files (not when IdentitiesOnly yes and a key file was found).
   * Default: $SSH_AUTH_SOCK when set; null: no agent.
   */
  agentSocket?: string | null;
  /** Key and known_hosts files; undefined when absent. Default: the disk. */
  readFile?: (path: string) => Buffer | undefined;
  /** Used only by acceptHostKey. Default: the disk (append, never rewrite). */
  appendFile?: (path: string, text: string) => void;
  createClient?: () => SshClientLike;
  backoff?: { baseMs: number; maxMs: number };
  /** Used when the config has no ServerAliveInterval (OpenSSH's default is none; a kept connection needs one). */
  keepaliveIntervalMs?: number;
  /** Used when the config has no ConnectTimeout. */
  connectTimeoutMs?: number;
  now?: () => number;
  random?: () => number;
  /** Decrypted keys and remembered passwords, shared by the connections of one engine (SshConnections). */
  secrets?: AuthSecrets;
}

export const DEFAULT_BACKOFF = { baseMs: 1_000, maxMs: 60_000 };
const DEFAULT_KEEPALIVE_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'];

export function diskReadFile(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** One hop (or the target) with everything needed to dial and verify it. */
interface Hop {
  alias: string;
  resolved: ResolvedHost;
  hostName: string;
  port: number;
  user: string;
  knownHostsFiles: string[];
  userKnownHostsFiles: string[];
  hostKeyName: { host: string; port: number };
}

class HostKeyRefusal extends Error {
  constructor(readonly next: SshConnectionState) {
    super(next.state === 'untrusted' || next.state === 'refused' ? next.message : 'host key refused');
  }
}
class AuthRefusal extends Error {}
/** The server closed a login while the operator was being asked: the question stays, the answer dials again. */
class DetachedLogin extends Error {}

type Listener = (state: SshConnectionState) => void;

export class SshConnection {
  readonly alias: string;
  private current: SshConnectionState = { state: 'idle' };
  private listeners = new Set<Listener>();
  private clients: SshClientLike[] = [];
  private client: SshClientLike | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped whenever what is in flight must be forgotten (suspend, close, a new dial). */
  private generation = 0;
  private readonly opts: Required<Omit<SshConnectionOptions, 'agentSocket' | 'secrets'>> & { agentSocket: string | undefined };
  /** Decrypted keys (and passwords the operator asked to remember) for this run of the engine, in memory only. */
  private readonly secrets: AuthSecrets;
  /** Made here (not handed in by SshConnections): cleared when this connection closes. */
  private readonly ownSecrets: boolean;
  private readonly asker = new AuthAsker((ask) => this.onAsk(ask));
  /** The generation whose login the server closed while asking: its answer dials again. */
  private detachedGen: number | undefined;
  /** The jump hosts of the dial under way, for the `connecting` state it returns to after a question. */
  private via: string[] = [];

  constructor(options: SshConnectionOptions) {
    this.alias = options.alias;
    this.ownSecrets = !options.secrets;
    this.secrets = options.secrets ?? new AuthSecrets();
    this.opts = {
      readFile: diskReadFile,
      appendFile: (path, text) => appendFileSync(path, text),
      createClient: () => new ssh2.Client() as unknown as SshClientLike,
      backoff: DEFAULT_BACKOFF,
      keepaliveIntervalMs: DEFAULT_KEEPALIVE_MS,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      now: Date.now,
      random: Math.random,
      ...options,
      agentSocket: options.agentSocket === null ? undefined : (options.agentSocket ?? (process.env.SSH_AUTH_SOCK || undefined)),
    };
  }

  get state(): SshConnectionState {
    return this.current;
  }

  /** Called with every new state; returns the unsubscribe. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Start (or, after untrusted / refused / lost, try again now). A no-op while connecting or connected. */
  connect(): void {
    const s = this.current.state;
    if (s === 'connecting' || s === 'connected') return;
    // A login held open while the operator is asked is under way too (one the server closed is not).
    if (s === 'asking' && this.detachedGen === undefined) return;
    this.clearTimer();
    if (s !== 'lost') this.attempt = 0;
    void this.dial();
  }

  /** Laptop sleep: close now, reconnect nothing until resume. */
  suspend(): void {
    if (this.current.state === 'closed') return;
    this.generation++;
    this.clearTimer();
    this.endClients();
    this.detachedGen = undefined;
    this.asker.drop();
    this.set({ state: 'suspended', since: this.opts.now() });
  }

  /** After sleep: reconnect at once, not after the backoff that was pending. */
  resume(): void {
    if (this.current.state !== 'suspended') return;
    this.attempt = 0;
    void this.dial();
  }

  close(): void {
    this.generation++;
    this.clearTimer();
    this.endClients();
    this.detachedGen = undefined;
    this.asker.drop();
    if (this.ownSecrets) this.secrets.clear();
    this.set({ state: 'closed', since: this.opts.now() });
    this.listeners.clear();
  }

  /**
   * The operator accepted the unknown key shown in the `untrusted` state: append its line to known_hosts
   * (never rewriting what is there) and connect again.
   */
  acceptHostKey(fingerprint: string): void {
    const s = this.current;
    if (s.state !== 'untrusted') throw new Error(`${this.alias}: no unknown host key to accept (state ${s.state})`);
    if (s.unknown.fingerprint !== fingerprint) {
      throw new Error(`${this.alias}: the key waiting to be accepted is ${s.unknown.fingerprint}, not ${fingerprint}`);
    }
    const existing = this.opts.readFile(s.unknown.knownHostsFile)?.toString('utf8') ?? '';
    this.opts.appendFile(s.unknown.knownHostsFile, knownHostsAppend(existing, s.unknown.line));
    this.connect();
  }

  /**
   * The operator's answer to the question of the `asking` state (`id` is `ask.id`). Throws, with words,
   * when that question is no longer open or the number of answers does not fit it. The answers are
   * handed to the login and not kept here (a password only when `remember`, until the engine stops).
   */
  answer(id: number, answers: string[], remember = false): void {
    this.asker.answer(id, answers, remember);
  }

  /** The operator declined to answer: the host ends refused (authentication), saying what was not given. */
  cancelAsk(id: number): void {
    this.asker.cancel(id);
  }

  /**
   * The connected client, connecting first when idle. Rejects when the connection ends up untrusted,
   * refused, suspended or closed, or is not up within `timeoutMs`.
   */
  ready(timeoutMs = 30_000): Promise<SshClientLike> {
    if (this.current.state === 'idle') this.connect();
    return new Promise((resolve, reject) => {
      const check = (s: SshConnectionState): boolean => {
        if (s.state === 'connected' && this.client) {
          resolve(this.client);
          return true;
        }
        if (s.state === 'untrusted' || s.state === 'refused' || s.state === 'asking') reject(new Error(s.message));
        else if (s.state === 'suspended' || s.state === 'closed' || s.state === 'idle') reject(new Error(`${this.alias}: connection ${s.state}`));
        else return false;
        return true;
      };
      if (check(this.current)) return;
      const timer = setTimeout(() => {
        off();
        const s = this.current;
        reject(new Error(`${this.alias}: not connected after ${timeoutMs} ms (${s.state}${s.state === 'lost' ? `: ${s.why}` : ''})`));
      }, timeoutMs);
      const off = this.subscribe((s) => {
        if (check(s)) {
          clearTimeout(timer);
          off();
        }
      });
    });
  }

  /** A channel running `command` (already one string for the remote shell: build it with shellQuote). */
  async exec(command: string, options: ExecOptions = {}, timeoutMs?: number): Promise<ClientChannel> {
    const client = await this.ready(timeoutMs);
    return new Promise((resolve, reject) => {
      client.exec(command, options, (err, channel) => (err ? reject(err) : resolve(channel)));
    });
  }

  // ---- internals ----

  private onAsk(ask: AuthAsk): void {
    // Why it asks again travels in `ask.retry`, shown beside the field; the message says what is needed.
    this.set({ state: 'asking', since: this.opts.now(), host: ask.prompt.alias, ask, message: `${ask.prompt.alias}: ${askTitle(ask.prompt)}` });
  }

  private set(next: SshConnectionState): void {
    this.current = next;
    for (const fn of [...this.listeners]) {
      try {
        fn(next);
      } catch {
        // A listener's failure is its own; the connection goes on.
      }
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private endClients(): void {
    const clients = this.clients;
    this.clients = [];
    this.client = undefined;
    // The target first, then the hops it runs through.
    for (const c of clients.reverse()) {
      try {
        c.end();
      } catch {
        // already gone
      }
    }
  }

  private hop(alias: string, override?: JumpHost): Hop {
    const ctx = this.opts.config;
    const resolved = resolveHost(ctx, alias);
    const port = override?.port ?? resolved.port;
    const user = override?.user ?? resolved.user ?? ctx.localUser ?? userInfo().username;
    const expand = (p: string) => (p === '~' ? ctx.home : p.startsWith('~/') ? posix.join(ctx.home, p.slice(2)) : p);
    const opt = (k: string) => resolved.options[k]?.filter((f) => f.toLowerCase() !== 'none').map(expand);
    const userFiles = opt('userknownhostsfile') ?? [posix.join(ctx.home, '.ssh/known_hosts'), posix.join(ctx.home, '.ssh/known_hosts2')];
    const globalFiles = opt('globalknownhostsfile') ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
    // With HostKeyAlias, OpenSSH looks the key up under the alias alone, without the port.
    const keyAlias = resolved.options['hostkeyalias']?.[0];
    return {
      alias,
      resolved,
      hostName: resolved.hostName,
      port,
      user,
      knownHostsFiles: [...userFiles, ...globalFiles],
      userKnownHostsFiles: userFiles,
      hostKeyName: keyAlias ? { host: keyAlias, port: 22 } : { host: resolved.hostName, port },
    };
  }

  private chain(): Hop[] {
    const target = this.hop(this.alias);
    // Each hop is resolved as its own alias; a hop's own ProxyJump is not followed (see the report).
    return [...target.resolved.proxyJump.map((j) => this.hop(j.host, j)), target];
  }

  /** The key files to offer (readable ones, in order) and why others were not. */
  private keyFiles(hop: Hop): { files: Array<{ file: string; data: Buffer }>; notes: string[] } {
    const notes: string[] = [];
    const out: Array<{ file: string; data: Buffer }> = [];
    const configured = hop.resolved.identityFiles.length > 0;
    const files = configured ? hop.resolved.identityFiles : DEFAULT_IDENTITIES.map((n) => posix.join(this.opts.config.home, '.ssh', n));
    for (const file of files) {
      let data: Buffer | undefined;
      try {
        data = this.opts.readFile(file);
      } catch (err) {
        notes.push(`${file}: ${(err as Error).message}`);
        continue;
      }
      if (!data) {
        if (configured) notes.push(`${file}: no such file`);
        continue;
      }
      out.push({ file, data });
    }
    return { files: out, notes };
  }

  private verdictState(hop: Hop, blob: Buffer, v: HostKeyVerdict): SshConnectionState {
    const since = this.opts.now();
    const name = hop.hostKeyName.port === 22 ? hop.hostKeyName.host : `[${hop.hostKeyName.host}]:${hop.hostKeyName.port}`;
    const via = hop.alias === this.alias ? '' : ` (jump host on the way to ${this.alias})`;
    if (v.status === 'unknown') {
      const file = hop.userKnownHostsFiles[0] ?? posix.join(this.opts.config.home, '.ssh/known_hosts');
      return {
        state: 'untrusted',
        since,
        host: hop.alias,
        message:
          `${hop.alias}${via}: host key not known. ${name} presented ${v.keyType} ${v.fingerprint}; it is trusted only once you accept it` +
          (v.otherKeyTypes?.length ? ` (known_hosts has other key types for it: ${v.otherKeyTypes.join(', ')})` : '') + '.',
        unknown: {
          alias: hop.alias,
          hostKeyName: name,
          fingerprint: v.fingerprint,
          keyType: v.keyType,
          ...(v.otherKeyTypes ? { otherKeyTypes: v.otherKeyTypes } : {}),
          key: blob.toString('base64'),
          knownHostsFile: file,
          line: knownHostsLine({ host: hop.hostKeyName.host, port: hop.hostKeyName.port, key: blob }),
        },
      };
    }
    const known = v.known!;
    const hostKey: HostKeyProblem = { alias: hop.alias, hostKeyName: name, status: v.status as 'changed' | 'revoked', presented: { fingerprint: v.fingerprint, keyType: v.keyType }, known };
    if (v.status === 'changed') {
      return {
        state: 'refused',
        since,
        host: hop.alias,
        reason: 'host-key-changed',
        hostKey,
        message:
          `${hop.alias}${via}: HOST KEY HAS CHANGED, connection refused. ${name} now presents ${v.keyType} ${v.fingerprint}; ` +
          `known_hosts has ${known.keyType} ${known.fingerprint} (${known.file} line ${known.line}). ` +
          `This may be a reinstalled server or someone in the middle; known_hosts was not changed.`,
      };
    }
    return {
      state: 'refused',
      since,
      host: hop.alias,
      reason: 'host-key-revoked',
      hostKey,
      message: `${hop.alias}${via}: host key ${v.keyType} ${v.fingerprint} is REVOKED (${known.file} line ${known.line}), connection refused.`,
    };
  }

  private knownHosts(hop: Hop): KnownHostsFile[] {
    const out: KnownHostsFile[] = [];
    for (const path of hop.knownHostsFiles) {
      const buf = this.opts.readFile(path);
      if (buf) out.push({ path, text: buf.toString('utf8') });
    }
    return out;
  }

  /** Dial one hop over `sock` (or TCP) and resolve when it is ready. */
  private connectHop(client: SshClientLike, hop: Hop, sock: Duplex | undefined, gen: number): Promise<void> {
    const r = hop.resolved;
    const interval = r.serverAliveInterval > 0 ? r.serverAliveInterval * 1000 : this.opts.keepaliveIntervalMs;
    const ct = Number(r.options['connecttimeout']?.[0]);
    const readyMs = ct > 0 ? ct * 1000 : this.opts.connectTimeoutMs;
    return new Promise((resolve, reject) => {
      let refusal: SshConnectionState | undefined;
      let lastError: (Error & { level?: string }) | undefined;
      let settled = false;
      /** True while the operator is being asked: the login is held, no timer runs. */
      let asking = false;
      let handshakeTimer: ReturnType<typeof setTimeout> | undefined;
      const settle = (fn: () => void) => {
        if (!settled) {
          settled = true;
          clearTimeout(handshakeTimer);
          fn();
        }
      };
      // ssh2's readyTimeout would run on while a person types a passphrase: this timer stops meanwhile.
      const arm = () => {
        clearTimeout(handshakeTimer);
        handshakeTimer = setTimeout(() => {
          settle(() => reject(new Error(`${hop.alias}: timed out while waiting for the handshake`)));
          client.destroy?.();
          client.end();
        }, readyMs);
      };
      const live = () => !settled && gen === this.generation;
      const keys = this.keyFiles(hop);
      const hostName = hop.port === 22 ? hop.hostName : `[${hop.hostName}]:${hop.port}`;
      const login: Login = planLogin({
        alias: hop.alias,
        user: hop.user,
        host: hostName,
        keyFiles: keys.files,
        ...(this.opts.agentSocket ? { agent: this.opts.agentSocket } : {}),
        identitiesOnly: r.options['identitiesonly']?.[0]?.toLowerCase() === 'yes',
        options: r.options,
        asker: this.asker,
        secrets: this.secrets,
        waiting: (on) => {
          asking = on;
          if (on) clearTimeout(handshakeTimer);
          else if (live()) {
            arm();
            this.set({ state: 'connecting', attempt: this.attempt, since: this.opts.now(), via: this.via });
          }
        },
        live,
        abort: (why) => {
          if (gen !== this.generation && this.detachedGen !== gen) return;
          if (this.detachedGen === gen) {
            // The server had closed this login already: the refusal is all that is left to say.
            this.detachedGen = undefined;
            this.set({ state: 'refused', since: this.opts.now(), host: this.alias, reason: 'authentication', message: `${hop.alias}: ${why}` });
            return;
          }
          settle(() => reject(new AuthRefusal(`${hop.alias}: ${why}`)));
          client.end();
        },
        again: () => {
          if (this.detachedGen !== gen) return;
          this.detachedGen = undefined;
          this.attempt = 0;
          void this.dial();
        },
      });
      const notes = [...keys.notes, ...login.notes];
      client.on('ready', () => settle(resolve));
      client.on('error', (err) => {
        lastError = err;
        if (refusal) settle(() => reject(new HostKeyRefusal(refusal!)));
        else if (asking) settle(() => reject(new DetachedLogin(err.message)));
        else if (err.level === 'client-authentication') {
          const extra = notes.length ? ` (${notes.join('; ')})` : keys.files.length === 0 && !this.opts.agentSocket ? ' (no key file and no agent to offer)' : '';
          settle(() => reject(new AuthRefusal(`${hop.alias}: login as ${hop.user} refused: ${err.message}${extra}`)));
        } else settle(() => reject(new Error(`${hop.alias}: ${err.message}`)));
      });
      client.on('close', () => {
        if (asking) settle(() => reject(new DetachedLogin(lastError?.message ?? 'the server closed the login')));
        settle(() => reject(refusal ? new HostKeyRefusal(refusal) : new Error(`${hop.alias}: ${lastError?.message ?? 'connection closed before login'}`)));
      });
      arm();
      const config: ConnectConfig = {
        host: hop.hostName,
        port: hop.port,
        username: hop.user,
        ...(sock ? { sock } : {}),
        readyTimeout: 0,
        keepaliveInterval: interval,
        keepaliveCountMax: r.serverAliveCountMax,
        authHandler: login.handler,
        hostVerifier: (key: Buffer) => {
          if (gen !== this.generation) return false;
          let verdict: HostKeyVerdict;
          try {
            verdict = verifyHostKey({ ...hop.hostKeyName, key }, this.knownHosts(hop));
          } catch (err) {
            refusal = { state: 'refused', since: this.opts.now(), host: hop.alias, reason: 'config', message: `${hop.alias}: cannot check host key: ${(err as Error).message}` };
            return false;
          }
          if (verdict.status === 'trusted') return true;
          refusal = this.verdictState(hop, key, verdict);
          return false;
        },
      };
      try {
        client.connect(config);
      } catch (err) {
        settle(() => reject(err));
      }
    });
  }

  private forward(client: SshClientLike, hop: Hop): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, hop.hostName, hop.port, (err, ch) =>
        err ? reject(new Error(`${hop.alias}: cannot reach ${hop.hostName}:${hop.port} through the jump host: ${err.message}`)) : resolve(ch),
      );
    });
  }

  private async dial(): Promise<void> {
    const gen = ++this.generation;
    this.clearTimer();
    this.endClients();
    let hops: Hop[];
    try {
      hops = this.chain();
    } catch (err) {
      const message = err instanceof SshConfigError ? err.message : `${this.alias}: ${(err as Error).message}`;
      this.set({ state: 'refused', since: this.opts.now(), host: this.alias, reason: 'config', message });
      return;
    }
    const via = hops.slice(0, -1).map((h) => h.alias);
    this.via = via;
    this.detachedGen = undefined;
    this.set({ state: 'connecting', attempt: this.attempt, since: this.opts.now(), via });
    const clients: SshClientLike[] = [];
    this.clients = clients;
    try {
      let sock: Duplex | undefined;
      for (let i = 0; i < hops.length; i++) {
        const client = this.opts.createClient();
        clients.push(client);
        await this.connectHop(client, hops[i]!, sock, gen);
        if (gen !== this.generation) return;
        // Any hop closing takes the whole chain down.
        client.on('error', (err) => {
          if (gen === this.generation) lastErrors.set(client, err.message);
        });
        client.on('close', () => this.dropped(gen, `${hops[i]!.alias}: ${lastErrors.get(client) ?? 'connection closed by the server'}`));
        if (i < hops.length - 1) sock = await this.forward(client, hops[i + 1]!);
        if (gen !== this.generation) return;
      }
    } catch (err) {
      if (gen !== this.generation) return;
      // Hops already up would report their own close as a drop: forget them first.
      this.generation++;
      this.endClients();
      if (err instanceof DetachedLogin) {
        // The question stays on the page; its answer (kept for the next login) dials again.
        this.detachedGen = gen;
        return;
      }
      if (err instanceof HostKeyRefusal) this.set(err.next);
      else if (err instanceof AuthRefusal) this.set({ state: 'refused', since: this.opts.now(), host: this.alias, reason: 'authentication', message: err.message });
      else this.scheduleRetry((err as Error).message);
      return;
    }
    this.client = clients[clients.length - 1];
    this.attempt = 0;
    this.set({ state: 'connected', since: this.opts.now(), via });
  }

  private dropped(gen: number, why: string): void {
    if (gen !== this.generation) return;
    this.generation++;
    this.endClients();
    this.scheduleRetry(why);
  }

  private scheduleRetry(why: string): void {
    const delay = nextBackoff(this.attempt, this.opts.backoff, this.opts.random);
    const now = this.opts.now();
    this.attempt++;
    this.set({ state: 'lost', why, since: now, attempt: this.attempt, retryAt: now + delay });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.dial();
    }, delay);
  }
}

const lastErrors = new WeakMap<SshClientLike, string>();

/** One SshConnection per alias, shared by everything that runs on that host. */
export class SshConnections {
  private readonly byAlias = new Map<string, SshConnection>();
  /** One key file decrypted once for every host that uses it; forgotten when the engine stops. */
  private readonly secrets = new AuthSecrets();

  constructor(private readonly base: Omit<SshConnectionOptions, 'alias'>) {}

  get(alias: string): SshConnection {
    let c = this.byAlias.get(alias);
    if (!c) {
      c = new SshConnection({ secrets: this.secrets, ...this.base, alias });
      this.byAlias.set(alias, c);
    }
    return c;
  }

  list(): SshConnection[] {
    return [...this.byAlias.values()];
  }

  suspend(): void {
    for (const c of this.byAlias.values()) c.suspend();
  }

  resume(): void {
    for (const c of this.byAlias.values()) c.resume();
  }

  close(): void {
    for (const c of this.byAlias.values()) c.close();
    this.byAlias.clear();
    this.secrets.clear();
  }
}
