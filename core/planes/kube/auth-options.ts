import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Cluster, KubeConfig, User } from '@kubernetes/client-node';

/** What the plane asks of a context's auth config: kubeconfig.ts loads it, client.ts applies it per request. */
export type KubeAuthConfig = Pick<KubeConfig, 'loadFromString' | 'applyToHTTPSOptions' | 'getCurrentCluster' | 'getCurrentUser'>;

type Raw = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const bytes = (file: string | undefined, data: string | undefined): Buffer | undefined =>
  file ? readFileSync(file) : data ? Buffer.from(data, 'base64') : undefined;

/**
 * A context's TLS and credentials applied to a request the way client-node's KubeConfig applies them
 * (CA, client certificate and key, token, basic auth, insecure-skip-tls-verify, tls-server-name,
 * impersonation), without loading client-node: importing it costs ~90 MB of RSS (~35 MB of heap) and
 * 0.5-2 s on a 2-core machine, because its config module pulls in every generated API class. Only a
 * context that needs what client-node alone implements (an auth-provider: OIDC, gcp, azure; or a
 * proxy-url) loads it, on its first request.
 *
 * The text is what kubeconfig.ts hands over: one cluster, one user and one context in JSON, the paths
 * already absolute, `exec` and `token-file` already taken out (the plane handles those itself).
 */
export class LeanKubeConfig implements KubeAuthConfig {
  private text = '';
  private cluster: Cluster | null = null;
  private user: User | null = null;
  private agent?: http.Agent;
  private full?: Promise<KubeConfig>;

  loadFromString(config: string): void {
    const doc = JSON.parse(config) as { clusters?: Array<{ name: string; cluster: Raw }>; users?: Array<{ name: string; user: Raw }>; contexts?: Array<{ name: string; context: Raw }>; 'current-context'?: string };
    const ctx = doc.contexts?.find((c) => c.name === doc['current-context'])?.context;
    const c = doc.clusters?.find((x) => x.name === ctx?.cluster);
    const u = doc.users?.find((x) => x.name === ctx?.user);
    this.text = config;
    this.cluster = c ? {
      name: c.name, server: str(c.cluster.server) ?? '', caData: str(c.cluster['certificate-authority-data']), caFile: str(c.cluster['certificate-authority']),
      skipTLSVerify: c.cluster['insecure-skip-tls-verify'] === true, tlsServerName: str(c.cluster['tls-server-name']), proxyUrl: str(c.cluster['proxy-url']),
    } : null;
    this.user = u ? {
      name: u.name, certData: str(u.user['client-certificate-data']), certFile: str(u.user['client-certificate']), keyData: str(u.user['client-key-data']),
      keyFile: str(u.user['client-key']), authProvider: u.user['auth-provider'] ?? undefined, token: str(u.user.token), username: str(u.user.username),
      password: str(u.user.password), impersonateUser: str(u.user.as),
    } : null;
  }

  getCurrentCluster(): Cluster | null { return this.cluster; }
  getCurrentUser(): User | null { return this.user; }

  /** Whether this context needs client-node's own code (loaded on first use). */
  get needsClientNode(): boolean { return !!this.user?.authProvider || !!this.cluster?.proxyUrl; }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    if (this.needsClientNode) {
      this.full ??= import('@kubernetes/client-node').then(({ KubeConfig }) => {
        const kc = new KubeConfig();
        kc.loadFromString(this.text);
        return kc;
      });
      return (await this.full).applyToHTTPSOptions(opts);
    }
    const c = this.cluster, u = this.user;
    if (c?.skipTLSVerify) opts.rejectUnauthorized = false;
    if (c?.tlsServerName) opts.servername = c.tlsServerName;
    const ca = bytes(c?.caFile, c?.caData);
    if (ca) opts.ca = ca;
    const cert = bytes(u?.certFile, u?.certData);
    if (cert) opts.cert = cert;
    const key = bytes(u?.keyFile, u?.keyData);
    if (key) opts.key = key;
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (u?.impersonateUser) headers['Impersonate-User'] = u.impersonateUser;
    if (u?.token) headers.Authorization = `Bearer ${u.token}`;
    if (u?.username) opts.auth = `${u.username}:${u.password ?? ''}`;
    opts.agent = this.agentFor(opts);
  }

  /** One agent per context, made with the first request's TLS options (client-node caches it the same way). */
  private agentFor(opts: https.RequestOptions): http.Agent {
    if (this.agent) return this.agent;
    const server = this.cluster?.server ?? '';
    const o: https.AgentOptions = { ca: opts.ca, cert: opts.cert, key: opts.key, servername: opts.servername };
    if (opts.rejectUnauthorized !== undefined) o.rejectUnauthorized = opts.rejectUnauthorized;
    if (server.startsWith('http:')) {
      // kubectl and client-node refuse plain http unless the kubeconfig says TLS is not verified.
      if (!this.cluster?.skipTLSVerify) throw new Error('HTTP protocol is not allowed when skipTLSVerify is not set or false');
      this.agent = new http.Agent(o);
    } else {
      this.agent = new https.Agent(o);
    }
    return this.agent;
  }
}
