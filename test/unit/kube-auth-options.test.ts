import * as fs from 'node:fs';
import type * as https from 'node:https';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { LeanKubeConfig } from '../../core/planes/kube/auth-options';

// The plane applies a context's TLS and credentials without loading client-node; for every kubeconfig
// shape it handles itself, a request must come out exactly as client-node's KubeConfig makes it.

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dir = fs.mkdtempSync(path.join(tmpdir(), 'ph-kauth-'));
const caFile = path.join(dir, 'ca.crt'), certFile = path.join(dir, 'me.crt'), keyFile = path.join(dir, 'me.key');
fs.writeFileSync(caFile, 'CA FROM FILE');
fs.writeFileSync(certFile, 'CERT FROM FILE');
fs.writeFileSync(keyFile, 'KEY FROM FILE');

const config = (cluster: Record<string, unknown>, user: Record<string, unknown>) => JSON.stringify({
  clusters: [{ name: 'c', cluster }], users: [{ name: 'u', user }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x',
});

const CASES: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['client certificate data and CA data (the rig, kind, k3s)', { server: 'https://k:6443', 'certificate-authority-data': b64('CA') }, { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }],
  ['certificate files and a CA file', { server: 'https://k:6443', 'certificate-authority': caFile }, { 'client-certificate': certFile, 'client-key': keyFile }],
  ['a bearer token, tls-server-name, impersonation', { server: 'https://10.0.0.1:6443', 'certificate-authority-data': b64('CA'), 'tls-server-name': 'api.internal' }, { token: 'abc', as: 'ops' }],
  ['insecure-skip-tls-verify with basic auth', { server: 'https://k:6443', 'insecure-skip-tls-verify': true }, { username: 'admin', password: 'pw' }],
  ['plain http (allowed with insecure-skip-tls-verify)', { server: 'http://127.0.0.1:8080', 'insecure-skip-tls-verify': true }, { token: 't' }],
];

async function apply(kc: { loadFromString(s: string): void; applyToHTTPSOptions(o: https.RequestOptions): Promise<void> }, text: string) {
  kc.loadFromString(text);
  const o: https.RequestOptions = { headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(o);
  const agent = o.agent as (https.Agent & { options: https.AgentOptions }) | undefined;
  const pick = (a?: https.AgentOptions) => a && { ca: a.ca, cert: a.cert, key: a.key, servername: a.servername, rejectUnauthorized: a.rejectUnauthorized };
  return { ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername, auth: o.auth, headers: o.headers, agent: agent?.constructor.name, agentOptions: pick(agent?.options) };
}

describe("a context's auth applied without client-node", () => {
  for (const [what, cluster, user] of CASES) {
    it(`the same request options as client-node's KubeConfig: ${what}`, async () => {
      const text = config(cluster, user);
      expect(await apply(new LeanKubeConfig(), text)).toEqual(await apply(new KubeConfig(), text));
    });
  }

  it('the cluster and user read back as client-node reads them (the transport and the tests use them)', () => {
    const text = config(CASES[1][1], { ...CASES[1][2], token: 'tok' });
    const lean = new LeanKubeConfig(), full = new KubeConfig();
    lean.loadFromString(text); full.loadFromString(text);
    expect(lean.getCurrentCluster()).toMatchObject({ server: 'https://k:6443', caFile, skipTLSVerify: false });
    expect(lean.getCurrentUser()).toMatchObject({ token: 'tok', certFile, keyFile });
    expect(full.getCurrentCluster()).toMatchObject(lean.getCurrentCluster()!);
  });

  it('plain http without insecure-skip-tls-verify is refused, as client-node refuses it', async () => {
    const text = config({ server: 'http://k:8080' }, { token: 't' });
    await expect(apply(new LeanKubeConfig(), text)).rejects.toThrow('HTTP protocol is not allowed when skipTLSVerify is not set or false');
    await expect(apply(new KubeConfig(), text)).rejects.toThrow('HTTP protocol is not allowed when skipTLSVerify is not set or false');
  });

  it('an auth-provider (OIDC) or a proxy-url is left to client-node, loaded for that context only', async () => {
    const oidc = new LeanKubeConfig();
    oidc.loadFromString(config({ server: 'https://k:6443' }, { 'auth-provider': { name: 'oidc', config: { 'id-token': 'tok', 'client-id': 'x', 'idp-issuer-url': 'https://idp' } } }));
    expect(oidc.needsClientNode).toBe(true);
    const proxied = new LeanKubeConfig();
    proxied.loadFromString(config({ server: 'https://k:6443', 'proxy-url': 'http://proxy:3128' }, { token: 't' }));
    expect(proxied.needsClientNode).toBe(true);
    const o: https.RequestOptions = {};
    await proxied.applyToHTTPSOptions(o);
    expect(o.agent?.constructor.name).toBe('HttpsProxyAgent');
    expect(o.headers).toMatchObject({ Authorization: 'Bearer t' });
    const plain = new LeanKubeConfig();
    plain.loadFromString(config(CASES[0][1], CASES[0][2]));
    expect(plain.needsClientNode).toBe(false);
  });
});
