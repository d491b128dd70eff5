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
 * An http.Agent for dockerode whose "sockets" are channels of the host's shared SSH connection, each
 * running `docker system dial-stdio` (what `docker -H ssh://host` does): every API call of a remote
 * engine travels over the one connection per host that shells, commands and tunnels use too.
 *
 * No keep-alive: each request gets its own channel, which closes with the response. Channels count against
 * sshd's MaxSessions (10 by default), so the connection keeps remote inspects few at a time.
 *
 * When the docker CLI on the host cannot reach its daemon it says so on stderr and exits; that text is
 * kept (`lastError`) so the endpoint can show the CLI's real error instead of "socket hang up".
 */
export class DialStdioAgent extends http.Agent {
  lastError?: string;

  constructor(private readonly host: DialHost) {
    super({ keepAlive: false });
  }

  override createConnection(_opts: unknown, cb?: (err: Error | null, socket: Duplex) => void): Duplex | undefined {
    void this.host.exec(DIAL_STDIO).then((ch) => {
      let stderr = '';
      ch.stderr.on('data', (b: Buffer) => { if (stderr.length < 4096) stderr += b.toString(); });
      ch.on('exit', (code: number | null) => {
        if (code) this.lastError = stderr.trim().split('\n')[0] || `${DIAL_STDIO} exited with code ${code}`;
      });
      ch.on('data', () => { this.lastError = undefined; });
      cb?.(null, ch as unknown as Duplex);
    }, (e: Error) => cb?.(Object.assign(new Error(`ssh ${this.host.alias}: ${e.message}`), { code: 'ECONNREFUSED' }), undefined as unknown as Duplex));
    return undefined;
  }
}
