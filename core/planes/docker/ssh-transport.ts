import * as http from 'node:http';
import { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';

/** What the transport needs of a host's shared SSH connection (core/planes/ssh/connection.ts). */
export interface DialHost {
  readonly alias: string;
  exec(command: string): Promise<ClientChannel>;
}

/** The one command the transport runs: docker's own way of carrying the engine API over a pipe. */
export const DIAL_STDIO = 'docker system dial-stdio';

/**
 * Channels one engine's transport keeps open at once. sshd allows 10 sessions per connection
 * (MaxSessions), and the connection is shared with the host's commands and shells; beyond this, a call
 * waits for a channel to close instead of failing with "Channel open failure".
 */
export const MAX_DOCKER_CHANNELS = 7;
/** An unused channel is closed after this long: it holds one of the host's sessions. */
export const IDLE_MS = 5_000;

/**
 * The socket http's Agent gets at once, for a channel that opens when one of the host's sessions is free.
 * The Agent counts only sockets it has been handed: a callback-style createConnection that waits would
 * let it start every queued request's connection at once, and never reuse a kept channel for them.
 */
class PendingChannel extends Duplex {
  timeout = 0;
  private ch?: ClientChannel;
  private queued: Array<[Buffer, BufferEncoding, (e?: Error | null) => void]> = [];
  private ending?: () => void;

  constructor() { super({ allowHalfOpen: false }); }

  attach(ch: ClientChannel): void {
    if (this.destroyed) { ch.destroy(); return; }
    this.ch = ch;
    ch.on('data', (b: Buffer) => { if (!this.push(b)) ch.pause(); });
    ch.on('end', () => this.push(null));
    ch.on('error', (e: Error) => this.destroy(e));
    ch.on('close', () => this.destroy());
    for (const [c, enc, cb] of this.queued.splice(0)) ch.write(c, enc, cb);
    if (this.ending) { ch.end(); this.ending(); }
  }

  override _read(): void { this.ch?.resume(); }
  override _write(c: Buffer, enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.ch) this.ch.write(c, enc, cb); else this.queued.push([c, enc, cb]);
  }
  override _final(cb: () => void): void {
    if (this.ch) { this.ch.end(); cb(); } else this.ending = cb;
  }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.ch?.destroy();
    cb(err);
  }
  // What http's Agent and ClientRequest call on a net.Socket. No request of ours sets a socket timeout;
  // an idle channel is closed by the agent's own timer (keepSocketAlive).
  setKeepAlive(): this { return this; }
  setNoDelay(): this { return this; }
  ref(): this { return this; }
  unref(): this { return this; }
  setTimeout(ms: number): this { this.timeout = ms; return this; }
}

/**
 * An http.Agent for dockerode whose "sockets" are channels of the host's shared SSH connection, each
 * running `docker system dial-stdio` (what `docker -H ssh://host` does): every API call of a remote
 * engine travels over the one connection per host that shells, commands and tunnels use too.
 *
 * Keep-alive: a channel serves one call after another (Docker's API server keeps the connection), and is
 * closed after IDLE_MS unused. Without it every call cost a channel, and a closed channel lingers in
 * sshd's count for ~0.5 s until its dial-stdio process has exited: 33 inspects took 3.5 s. A channel
 * counts until its 'close' (the server's), so the agent queues calls beyond MAX_DOCKER_CHANNELS. Long
 * streams (events, a followed log, stats) hold a channel each while they run.
 *
 * When the docker CLI on the host cannot reach its daemon it says so on stderr and exits; that text is
 * kept (`lastError`) so the endpoint can show the CLI's real error instead of "socket hang up".
 */
export class DialStdioAgent extends http.Agent {
  lastError?: string;
  private openChannels = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly idle = new WeakMap<Duplex, ReturnType<typeof setTimeout>>();

  constructor(private readonly host: DialHost, private readonly maxChannels = MAX_DOCKER_CHANNELS, private readonly idleMs = IDLE_MS) {
    super({ keepAlive: true, maxSockets: maxChannels, maxFreeSockets: maxChannels });
  }

  /** A channel whose call is done waits for the next one, and is closed when none comes in time. */
  override keepSocketAlive(socket: Duplex): boolean {
    const t = setTimeout(() => socket.destroy(), this.idleMs);
    t.unref?.();
    this.idle.set(socket, t);
    return true;
  }

  // The base method takes off the 'error' listener the Agent put on the socket when it was freed; without
  // it every reuse left one more (MaxListenersExceededWarning after ten calls on one channel).
  override reuseSocket(socket: Duplex, req: http.ClientRequest): void {
    clearTimeout(this.idle.get(socket));
    this.idle.delete(socket);
    super.reuseSocket(socket, req);
  }

  /** Channels open now (for tests and diagnostics). */
  get channels(): number { return this.openChannels; }

  private acquire(): Promise<void> {
    if (this.openChannels < this.maxChannels) { this.openChannels++; return Promise.resolve(); }
    return new Promise((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next(); else this.openChannels--;
  }

  /**
   * sshd refuses a session beyond MaxSessions ("Channel open failure"): other users of the shared
   * connection (the host's commands, a shell) may hold some for a moment, so a refusal is tried again a
   * few times before it counts as the engine being unreachable.
   */
  private async openChannel(): Promise<ClientChannel> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.host.exec(DIAL_STDIO);
      } catch (e) {
        if (attempt >= 5 || !/Channel open failure/i.test((e as Error).message)) throw e;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }

  override createConnection(): Duplex {
    const socket = new PendingChannel();
    void this.acquire().then(() => this.openChannel()).then((ch) => {
      let released = false;
      const done = () => { if (!released) { released = true; this.release(); } };
      ch.on('close', done);
      let stderr = '';
      ch.stderr.on('data', (b: Buffer) => { if (stderr.length < 4096) stderr += b.toString(); });
      ch.on('exit', (code: number | null) => {
        if (code) this.lastError = stderr.trim().split('\n')[0] || `${DIAL_STDIO} exited with code ${code}`;
      });
      ch.on('data', () => { this.lastError = undefined; });
      socket.attach(ch);
    }, (e: Error) => {
      this.release();
      socket.destroy(Object.assign(new Error(`ssh ${this.host.alias}: ${e.message}`), { code: 'ECONNREFUSED' }));
    });
    return socket;
  }
}
