import { execFile } from 'node:child_process';
import type { ExecConfig } from './kubeconfig';

/** What an exec plugin gave (client.authentication.k8s.io ExecCredential status). */
export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** ms since epoch; undefined: valid until the server refuses it (401). */
  expiresAt?: number;
}

export interface PluginRun { code: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException }

export interface ExecCredentialDeps {
  run(command: string, args: string[], env: Record<string, string>): Promise<PluginRun>;
  /** The environment plugins run in (with the login shell's PATH). */
  env(): Promise<Record<string, string | undefined>>;
  now(): number;
}

/** A credential this close to its expiry is fetched anew, so a request does not race the deadline. */
const EXPIRY_SKEW_MS = 30_000;
/**
 * A plugin's failure is the answer for this long: every kind of a context retries on its own backoff, and
 * a plugin that opens a browser to log in must not be started once per kind.
 */
export const FAILURE_HOLD_MS = 15_000;

export const nodePluginRun: ExecCredentialDeps['run'] = (command, args, env) =>
  new Promise((resolve) => {
    execFile(command, args, { env, timeout: 60_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      // execFile's error.code is the exit status (a number) or, when it could not start, an errno name.
      const code = !error ? 0 : typeof error.code === 'number' ? error.code : null;
      const spawnError = error && typeof error.code === 'string' ? Object.assign(new Error(error.message), { code: error.code }) : undefined;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), error: spawnError });
    });
  });

/**
 * Exec auth plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin ...) run once per credential,
 * not once per request: the credential is kept until its expirationTimestamp, and the many lists and
 * watches that start at once share one run. The plugin gets an argument list (never a shell line).
 */
export class ExecCredentials {
  private readonly cache = new Map<string, Promise<ExecCredential>>();
  private readonly failedAt = new Map<string, number>();

  constructor(private readonly deps: ExecCredentialDeps) {}

  get(exec: ExecConfig, cluster: { server: string; caData?: string; skipTLSVerify?: boolean }): Promise<ExecCredential> {
    const key = JSON.stringify([exec.command, exec.args, exec.env, exec.provideClusterInfo ? cluster.server : '']);
    const hit = this.cache.get(key);
    const failed = this.failedAt.get(key);
    if (hit && failed !== undefined && this.deps.now() - failed >= FAILURE_HOLD_MS) return this.fresh(key, exec, cluster);
    if (hit) {
      return hit.then((c) => (c.expiresAt !== undefined && c.expiresAt - EXPIRY_SKEW_MS <= this.deps.now() ? this.fresh(key, exec, cluster) : c));
    }
    return this.fresh(key, exec, cluster);
  }

  /** The server refused the credential (401): the next request runs the plugin again. */
  invalidate(exec: ExecConfig): void {
    const prefix = JSON.stringify([exec.command, exec.args, exec.env]).slice(0, -1);
    for (const k of [...this.cache.keys()]) if (k.startsWith(prefix)) { this.cache.delete(k); this.failedAt.delete(k); }
  }

  private fresh(key: string, exec: ExecConfig, cluster: { server: string; caData?: string; skipTLSVerify?: boolean }): Promise<ExecCredential> {
    const p = this.runPlugin(exec, cluster);
    this.cache.set(key, p);
    this.failedAt.delete(key);
    p.catch(() => { if (this.cache.get(key) === p) this.failedAt.set(key, this.deps.now()); });
    return p;
  }

  private async runPlugin(exec: ExecConfig, cluster: { server: string; caData?: string; skipTLSVerify?: boolean }): Promise<ExecCredential> {
    const base = await this.deps.env();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
    for (const e of exec.env) env[e.name] = e.value;
    const spec: Record<string, unknown> = { interactive: false };
    if (exec.provideClusterInfo) {
      spec.cluster = { server: cluster.server, 'certificate-authority-data': cluster.caData, 'insecure-skip-tls-verify': cluster.skipTLSVerify };
    }
    env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion: exec.apiVersion, kind: 'ExecCredential', spec });
    const r = await this.deps.run(exec.command, exec.args, env);
    const name = `exec plugin "${exec.command}"`;
    if (r.error?.code === 'ENOENT') {
      throw new Error(`${name} not found on PATH (${env.PATH ?? ''})${exec.installHint ? `: ${exec.installHint.trim()}` : ''}`);
    }
    if (r.error) throw new Error(`${name} could not run (${r.error.code}: ${r.error.message})`);
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n').slice(-3).join(' ').slice(0, 500);
      throw new Error(`${name} exited with ${r.code ?? 'a signal'}${why ? `: ${why}` : ''}`);
    }
    let parsed: unknown;
    try { parsed = JSON.parse(r.stdout); } catch { throw new Error(`${name} printed no ExecCredential JSON`); }
    const status = (parsed as { status?: Record<string, unknown> } | null)?.status;
    if (!status || typeof status !== 'object') throw new Error(`${name} printed an ExecCredential without status`);
    const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    const cred: ExecCredential = { token: str(status.token), clientCertificateData: str(status.clientCertificateData), clientKeyData: str(status.clientKeyData) };
    if (!cred.token && !(cred.clientCertificateData && cred.clientKeyData)) throw new Error(`${name} gave neither a token nor a client certificate and key`);
    const exp = str(status.expirationTimestamp);
    if (exp) {
      const ms = Date.parse(exp);
      if (Number.isNaN(ms)) throw new Error(`${name} gave an expirationTimestamp that is not a time: ${exp}`);
      cred.expiresAt = ms;
    }
    return cred;
  }
}
