import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import { parse as parseYaml } from 'yaml';

// The bench's own client of the rig's API server (admin kubeconfig, client certificate): it makes the
// pod updates the engine has to follow, and reads the server's /metrics. Kept-alive sockets, so that 500
// patches a second cost the server requests, not TLS handshakes.

export interface RigApi {
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; text: string }>;
  close(): void;
}

export function rigApi(kubeconfig: string, maxSockets = 32): RigApi {
  const cfg = parseYaml(readFileSync(kubeconfig, 'utf8')) as {
    clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: Record<string, string> }>;
  };
  const c = cfg.clusters[0].cluster, u = cfg.users[0].user;
  const pem = (b64: string) => Buffer.from(b64, 'base64');
  const url = new URL(c.server);
  const agent = new https.Agent({
    keepAlive: true, maxSockets,
    ca: pem(c['certificate-authority-data']), cert: pem(u['client-certificate-data']), key: pem(u['client-key-data']),
  });
  return {
    request(method, path, body, contentType = 'application/json') {
      return new Promise((resolve, reject) => {
        const req = https.request({ host: url.hostname, port: url.port, method, path, agent, headers: body === undefined ? { accept: 'application/json' } : { 'content-type': contentType, accept: 'application/json' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      });
    },
    close: () => agent.destroy(),
  };
}

/** apiserver_request_total from /metrics, summed by verb and resource (`LIST pods`, `WATCH nodes` ...). */
export async function requestTotals(api: RigApi): Promise<Map<string, number>> {
  const r = await api.request('GET', '/metrics');
  if (r.status !== 200) throw new Error(`GET /metrics: HTTP ${r.status}`);
  return parseRequestTotals(r.text);
}

export function parseRequestTotals(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const key = `${labels.verb} ${labels.resource || '(none)'}${labels.subresource ? `/${labels.subresource}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** Per series: after − before (series that did not move are left out). */
export function deltas(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) { const d = v - (before.get(k) ?? 0); if (d > 0) out.set(k, d); }
  return out;
}

/**
 * A pod's readiness as a kubelet would report it: the Ready condition and its container's ready flag. The
 * container is said to have started an hour ago, past the rules' readiness grace for a starting pod.
 */
export function readinessPatch(ready: boolean, message: string, startedAt = new Date(Date.now() - 3_600_000).toISOString()) {
  const status = ready ? 'True' : 'False';
  return {
    status: {
      conditions: [
        { type: 'Ready', status, message, reason: ready ? '' : 'ContainersNotReady' },
        { type: 'ContainersReady', status, message, reason: ready ? '' : 'ContainersNotReady' },
      ],
      containerStatuses: [{ name: 'app', ready, state: { running: { startedAt } } }],
    },
  };
}
