import * as http from 'node:http';
import type { Duplex } from 'node:stream';
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

/**
 * An http.Agent for dockerode whose "sockets" are channels of the host's shared SSH connection, each
 * running `docker system dial-stdio` (what `docker -H ssh://host` does): every API call of a remote
 * engine travels over the one connection per host that shells, commands and tunnels use too.
 *
 * No keep-alive: each request gets its own channel, which closes with the response. A channel counts
 * against sshd's MaxSessions until the server has closed it (its dial-stdio process exited), so the agent
 * counts channels until their 'close', not until the response ended, and queues calls beyond
 * MAX_DOCKER_CHANNELS. Long streams (events, a followed log, stats) hold a channel each while they run.
 *
 * When the docker CLI on the host cannot reach its daemon it says so on stderr and exits; that text is
 * kept (`lastError`) so the endpoint can show the CLI's real error instead of "socket hang up".
 */
export class DialStdioAgent extends http.Agent {
  lastError?: string;
  private openChannels = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly host: DialHost, private readonly maxChannels = MAX_DOCKER_CHANNELS) {
    super({ keepAlive: false });
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

  override createConnection(_opts: unknown, cb?: (err: Error | null, socket: Duplex) => void): Duplex | undefined {
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
      cb?.(null, ch as unknown as Duplex);
    }, (e: Error) => {
      this.release();
      cb?.(Object.assign(new Error(`ssh ${this.host.alias}: ${e.message}`), { code: 'ECONNREFUSED' }), undefined as unknown as Duplex);
    });
    return undefined;
  }
}
