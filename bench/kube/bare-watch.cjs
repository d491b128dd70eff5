// The yardstick for event to screen: a bare watch of one namespace's pods in a process of its own, doing
// nothing but note when each readiness stamp (`t=<ms>`, the bench's marks) first arrives. What it sees is
// how late the apiserver itself delivers a change under the load; the engine's watch cannot beat that.
// Usage: node bare-watch.cjs <kubeconfig> <namespace>; prints "ready" once the watch is open, then one line
// "<stamp> <arrival ms>" per first sighting. Plain CommonJS so that it starts in milliseconds without tsx.
const { readFileSync } = require('node:fs');
const https = require('node:https');
const { parse } = require('yaml');

const [kubeconfig, ns] = process.argv.slice(2);
const cfg = parse(readFileSync(kubeconfig, 'utf8'));
const c = cfg.clusters[0].cluster, u = cfg.users[0].user;
const pem = (b64) => Buffer.from(b64, 'base64');
const url = new URL(c.server);
const agent = new https.Agent({ ca: pem(c['certificate-authority-data']), cert: pem(u['client-certificate-data']), key: pem(u['client-key-data']) });
const seen = new Set();

https.get({ host: url.hostname, port: url.port, agent, path: `/api/v1/namespaces/${ns}/pods?watch=1&allowWatchBookmarks=false`, headers: { accept: 'application/json' } }, (res) => {
  if (res.statusCode !== 200) { console.error(`watch: HTTP ${res.statusCode}`); process.exit(1); }
  process.stdout.write('ready\n');
  let buf = '';
  res.setEncoding('utf8');
  res.on('data', (d) => {
    const at = Date.now();
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const lineText = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const stamp = /"message":"t=(\d+)"/.exec(lineText)?.[1];
      if (stamp && !seen.has(stamp)) { seen.add(stamp); process.stdout.write(`${stamp} ${at}\n`); }
    }
  });
  res.on('end', () => process.exit(0));
}).on('error', (e) => { console.error(`watch: ${e.message}`); process.exit(1); });
