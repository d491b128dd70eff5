import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { ExecCredentials } from './exec-credential';
import type { KubeContext } from './kubeconfig';

/** One GET against an API server: the response once its headers arrived, its body still streaming. */
export interface KubeTransport {
  get(pathAndQuery: string, opts: { accept: string; signal: AbortSignal; idleTimeoutMs: number }): Promise<http.IncomingMessage>;
  /** A write or a review (POST, PATCH, DELETE) with a JSON body: the actions' door (core/planes/kube/actions.ts). */
  send?(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', pathAndQuery: string, body: { contentType: string; text: string } | undefined, opts: { signal: AbortSignal; idleTimeoutMs: number }): Promise<http.IncomingMessage>;
}

/** A network-level failure (no HTTP status): the server is not reachable from here. */
export class UnreachableError extends Error {}

/** How long a token file's content is used before it is read again (client-go's interval). */
const TOKEN_FILE_REREAD_MS = 60_000;

/** TCP keepalive: a connection that died under a sleep or a VPN change is noticed, not waited on forever. */
const KEEPALIVE_MS = 15_000;

export function describeNetworkError(e: unknown, server: string): string {
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return `cannot reach ${server}: connection refused (is the API server running, the tunnel or VPN up?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot reach ${server}: the name does not resolve (${code}; VPN or DNS?)`;
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `cannot reach ${server}: ${code}`;
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) return `TLS with ${server} failed: ${err.message} (${code}; certificate-authority in the kubeconfig?)`;
  return `cannot reach ${server}: ${err.message || code || String(e)}`;
}

/**
 * Requests with the context's auth applied by client-node (CA, client certificate, token, token file,
 * OIDC, proxy agent) plus the exec plugin's credential from the shared cache. Node's http/https, not the
 * generated API classes: the watch loop wants the raw bytes, parsed once.
 */
export class ContextTransport implements KubeTransport {
  /** The agent for an exec plugin's client certificate, made again when the plugin gives a new one. */
  private certAgent?: { cred: object; agent: https.Agent };
  private fileToken?: { token: string; readAt: number };

  constructor(private readonly ctx: KubeContext, private readonly creds: ExecCredentials) {}

  async get(pathAndQuery: string, opts: { accept: string; signal: AbortSignal; idleTimeoutMs: number }): Promise<http.IncomingMessage> {
    return this.send('GET', pathAndQuery, undefined, opts);
  }

  async send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', pathAndQuery: string, body: { contentType: string; text: string } | undefined, opts: { accept?: string; signal: AbortSignal; idleTimeoutMs: number }): Promise<http.IncomingMessage> {
    const o = { ...opts, accept: opts.accept ?? 'application/json', method, body };
    const res = await this.once(pathAndQuery, o);
    if (res.statusCode === 401 && this.ctx.exec) {
      // An exec credential the server no longer takes (revoked, clock skew): run the plugin again, once.
      res.resume();
      this.creds.invalidate(this.ctx.exec);
      return this.once(pathAndQuery, o);
    }
    return res;
  }

  /** Projected service-account tokens rotate: the file is read again after a minute. */
  private async tokenFromFile(file: string): Promise<string> {
    const now = Date.now();
    if (!this.fileToken || now - this.fileToken.readAt > TOKEN_FILE_REREAD_MS) {
      let text: string;
      try { text = await fs.readFile(file, 'utf8'); } catch (e) {
        throw new Error(`token-file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      this.fileToken = { token: text.trim(), readAt: now };
    }
    return this.fileToken.token;
  }

  private async once(pathAndQuery: string, opts: { accept: string; signal: AbortSignal; idleTimeoutMs: number; method?: string; body?: { contentType: string; text: string } }): Promise<http.IncomingMessage> {
    const server = this.ctx.server!;
    const headers: Record<string, string | number> = { Accept: opts.accept, 'User-Agent': 'pilothouse' };
    if (opts.body) Object.assign(headers, { 'Content-Type': opts.body.contentType, 'Content-Length': Buffer.byteLength(opts.body.text) });
    const { url, req } = await this.requestOptions(pathAndQuery, { method: opts.method ?? 'GET', headers, signal: opts.signal });
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const r = mod.request(url, req, resolve);
      r.on('socket', (s) => s.setKeepAlive(true, KEEPALIVE_MS));
      r.setTimeout(opts.idleTimeoutMs, () => r.destroy(Object.assign(new Error(`no answer for ${Math.round(opts.idleTimeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })));
      r.on('error', (e) => reject(opts.signal.aborted ? e : new UnreachableError(describeNetworkError(e, server))));
      r.end(opts.body?.text);
    });
  }

  /**
   * The URL and options (TLS, auth headers, agent) of one request to this context's server: what the
   * WebSocket calls (exec, port-forward in exec.ts and port-forward.ts) open with, so they authenticate
   * exactly as the lists do.
   */
  async requestOptions(pathAndQuery: string, base: https.RequestOptions = {}): Promise<{ url: URL; req: https.RequestOptions }> {
    const ctx = this.ctx;
    const server = ctx.server!;
    // A server URL may carry a path prefix (Rancher: https://host/k8s/clusters/c-xyz).
    const url = new URL(server.replace(/\/$/, '') + pathAndQuery);
    const req: https.RequestOptions = { ...base, headers: { ...(base.headers as Record<string, string> | undefined) } };
    await ctx.config!.applyToHTTPSOptions(req);
    if (ctx.tokenFile) (req.headers as Record<string, string>).Authorization = `Bearer ${await this.tokenFromFile(ctx.tokenFile)}`;
    if (ctx.exec) {
      const cluster = ctx.config!.getCurrentCluster();
      const cred = await this.creds.get(ctx.exec, { server, caData: cluster?.caData, skipTLSVerify: cluster?.skipTLSVerify });
      if (cred.token) (req.headers as Record<string, string>).Authorization = `Bearer ${cred.token}`;
      if (cred.clientCertificateData && cred.clientKeyData) {
        // client-node's cached agent was made without this certificate, and an agent's own TLS options
        // override the request's: so a certificate from a plugin needs an agent of its own (which does not
        // go through a proxy-url: that combination is not supported yet).
        if (this.certAgent?.cred !== cred) {
          this.certAgent?.agent.destroy();
          this.certAgent = { cred, agent: new https.Agent({ ca: req.ca, cert: cred.clientCertificateData, key: cred.clientKeyData, rejectUnauthorized: req.rejectUnauthorized, servername: req.servername }) };
        }
        req.agent = this.certAgent.agent;
      }
    }
    return { url, req };
  }
}
