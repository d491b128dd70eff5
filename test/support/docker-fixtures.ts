import Docker from 'dockerode';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, mkdirSync, openSync, readdirSync, readlinkSync, rmdirSync, symlinkSync, copyFileSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_IMAGE = 'pilothouse-test/busybox:1';
export const ITEST_PROJECT = 'pilothouse-itest';

/** The engine the tests use: the rig's if it is up, else DOCKER_HOST, else the default socket. */
export function testDockerHost(): string {
  const rigFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.rig/docker/DOCKER_HOST');
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST;
  if (existsSync(rigFile)) return readFileSync(rigFile, 'utf8').trim();
  return 'unix:///var/run/docker.sock';
}

export function dockerClient(host = testDockerHost()): Docker {
  const u = new URL(host);
  return u.protocol === 'unix:' ? new Docker({ socketPath: u.pathname }) : new Docker({ host: u.hostname, port: Number(u.port) });
}

/** Builds a tiny image from Debian's busybox-static with `docker import`: no registry needed. */
export async function ensureTestImage(docker: Docker): Promise<void> {
  const images = await docker.listImages({ filters: JSON.stringify({ reference: [TEST_IMAGE] }) });
  if (images.length) return;
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox-static is needed to build the test image: apt-get install busybox-static');
  const root = mkdtempSync(path.join(tmpdir(), 'ph-rootfs-'));
  try {
    mkdirSync(path.join(root, 'bin'));
    for (const d of ['tmp', 'proc', 'sys', 'dev', 'etc']) mkdirSync(path.join(root, d));
    copyFileSync(busybox, path.join(root, 'bin', 'busybox'));
    for (const applet of execFileSync(busybox, ['--list']).toString().split('\n').filter(Boolean)) {
      if (applet !== 'busybox') symlinkSync('busybox', path.join(root, 'bin', applet));
    }
    const tar = spawn('tar', ['-C', root, '-cf', '-', '.']);
    const [repo, tag] = TEST_IMAGE.split(':');
    const stream = await docker.importImage(tar.stdout as never, { repo, tag });
    await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve(undefined))));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export interface Spec {
  name: string; service?: string; cmd: string[]; health?: { test: string[] }; restart?: string; project?: string;
  /** json-file options (max-size, max-file) instead of the engine's defaults. */
  logOpts?: Record<string, string>;
}

export async function runContainer(docker: Docker, s: Spec): Promise<Docker.Container> {
  const old = docker.getContainer(s.name);
  await old.remove({ force: true }).catch(() => undefined);
  const labels: Record<string, string> = {};
  if (s.service) Object.assign(labels, {
    'com.docker.compose.project': s.project ?? ITEST_PROJECT,
    'com.docker.compose.service': s.service,
    'com.docker.compose.container-number': '1',
  });
  const c = await docker.createContainer({
    name: s.name,
    Image: TEST_IMAGE,
    Cmd: s.cmd,
    Labels: labels,
    Healthcheck: s.health ? { Test: s.health.test, Interval: 1e9, Timeout: 1e9, Retries: 1, StartPeriod: 0 } : undefined,
    // No network: the tests need none, and it keeps them independent of the engine's bridge setup.
    HostConfig: { RestartPolicy: { Name: s.restart ?? 'no' }, NetworkMode: 'none', ...(s.logOpts ? { LogConfig: { Type: 'json-file', Config: s.logOpts } } : {}) },
  });
  await c.start();
  return c;
}

/** The containers of the integration project: one healthy, one failing its health check, one exiting 3, one standalone. */
export async function startItestProject(docker: Docker): Promise<void> {
  await ensureTestImage(docker);
  await Promise.all([
    runContainer(docker, { name: 'pilothouse-itest-web-1', service: 'web', cmd: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "INFO served request $i"; [ $((i % 5)) -eq 0 ] && echo "WARN slow request $i" >&2; sleep 1; done'], health: { test: ['CMD', 'true'] } }),
    runContainer(docker, { name: 'pilothouse-itest-search-1', service: 'search', cmd: ['sh', '-c', 'echo "starting search"; while true; do sleep 1; done'], health: { test: ['CMD-SHELL', 'echo "cluster health: yellow (timed_out: true)"; exit 1'] } }),
    runContainer(docker, { name: 'pilothouse-itest-migrate-1', service: 'migrate', cmd: ['sh', '-c', 'echo "ERROR: config file /etc/app.yaml missing" >&2; exit 3'] }),
    runContainer(docker, { name: 'pilothouse-itest-loner', cmd: ['sh', '-c', 'while true; do echo loner alive; sleep 2; done'] }),
  ]);
}

export async function removeItestProject(docker: Docker): Promise<void> {
  const cs = await docker.listContainers({ all: true, filters: JSON.stringify({ name: ['pilothouse-itest'] }) });
  await Promise.all(cs.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

export interface PrivateDockerd { host: string; dir: string; stop(): Promise<void> }

/**
 * A second Docker engine for tests, started and stopped by the test itself: its own data and exec root,
 * containerd namespace and cgroup parent, no bridge and no iptables rules, so it can disturb neither the
 * rig's engine nor a system one. Resolves to a sentence saying why when it cannot run here.
 */
export async function startPrivateDockerd(): Promise<PrivateDockerd | string> {
  const dockerd = '/usr/sbin/dockerd';
  if (!existsSync(dockerd)) return `${dockerd} is not installed`;
  if (process.getuid?.() !== 0) return 'starting a dockerd needs root';
  const dir = mkdtempSync(path.join(tmpdir(), 'ph-dockerd-'));
  const sock = path.join(dir, 'docker.sock');
  const ns = `pilothouse-itest-${path.basename(dir).slice(-6)}`;
  const logFile = path.join(dir, 'dockerd.log');
  const log = openSync(logFile, 'a');
  const proc = spawn(dockerd, [
    '--host', `unix://${sock}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'run'),
    '--pidfile', path.join(dir, 'dockerd.pid'), '--containerd-namespace', ns, '--containerd-plugins-namespace', `${ns}-plugins`,
    '--cgroup-parent', `/${ns}`, '--bridge', 'none', '--iptables=false', '--ip-masq=false', '--ip-forward=false',
    '--log-driver', 'json-file', '--shutdown-timeout', '2',
  ], { stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
    removeCgroups(ns);
  };
  const client = new Docker({ socketPath: sock });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) { const why = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | '); await stop(); return `dockerd exited at once: ${why}`; }
    if (await client.ping().then(() => true, () => false)) return { host: `unix://${sock}`, dir, stop };
    if (Date.now() > deadline) { await stop(); return 'dockerd did not answer within 20 s'; }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The daemon's cgroup parent outlives it, empty: rmdir takes only empty cgroups, so nothing running is touched. */
function removeCgroups(name: string): void {
  const root = '/sys/fs/cgroup';
  let controllers: string[] = [];
  try { controllers = readdirSync(root); } catch { return; }
  for (const d of [path.join(root, name), ...controllers.map((c) => path.join(root, c, name))]) {
    try { rmdirSync(d); } catch { /* not there, or not empty */ }
  }
}

export interface FakeContainer { Id: string; Name: string; project?: string; service?: string; status: string; exitCode?: number; startedAt?: string }

/**
 * A Docker API on a unix socket that answers what the plane asks: events (pushed by the test), the list,
 * inspects, start/stop/restart. Two of them are two engines without a second dockerd; closing one is an
 * engine going away. For unit tests of the connection logic; the real engine is in the integration tests.
 */
export function fakeDockerEngine(sock: string, containers: FakeContainer[]) {
  const events = new Set<import('node:http').ServerResponse>();
  const calls: string[] = [];
  /** Per container id: answer its inspects this many ms late (with the state of when it was asked). */
  const slow = new Map<string, number>();
  /** Per container id: this many inspects answer 500 before they succeed again. */
  const failing = new Map<string, number>();
  let server: import('node:http').Server | undefined;
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    const p = url.pathname.replace(/^\/v[\d.]+/, '');
    calls.push(`${req.method} ${p}`);
    if (p === '/events') { res.writeHead(200, { 'content-type': 'application/json' }); res.flushHeaders(); events.add(res); res.on('close', () => events.delete(res)); return; }
    if (p === '/containers/json') { res.end(JSON.stringify(containers.map((c) => ({ Id: c.Id })))); return; }
    const m = /^\/containers\/([^/]+)\/(json|start|stop|restart)$/.exec(p);
    const c = m && containers.find((x) => x.Id === m[1]);
    if (m?.[2] === 'json' && (failing.get(m[1]) ?? 0) > 0) {
      failing.set(m[1], failing.get(m[1])! - 1);
      res.statusCode = 500; res.end(JSON.stringify({ message: 'busy' })); return;
    }
    if (m?.[2] === 'json' && slow.has(m[1])) {
      const send = res.end.bind(res);
      const late = slow.get(m[1])!;
      res.end = ((body?: unknown) => { setTimeout(() => send(body as never), late); return res; }) as never;
    }
    if (!c) { res.statusCode = 404; res.end(JSON.stringify({ message: `No such container: ${m?.[1]}` })); return; }
    if (m[2] !== 'json') {
      const running = c.status === 'running';
      if ((m[2] === 'start' && running) || (m[2] === 'stop' && !running)) { res.statusCode = 304; res.end(); return; }
      c.status = m[2] === 'stop' ? 'exited' : 'running';
      if (m[2] !== 'stop') c.startedAt = new Date().toISOString();
      res.statusCode = 204;
      res.end();
      return;
    }
    const labels: Record<string, string> = c.project ? { 'com.docker.compose.project': c.project, 'com.docker.compose.service': c.service ?? c.Name, 'com.docker.compose.container-number': '1' } : {};
    res.end(JSON.stringify({
      Id: c.Id, Name: `/${c.Name}`, RestartCount: 0, Config: { Image: 'img', Labels: labels },
      State: { Status: c.status, ExitCode: c.exitCode ?? (c.status === 'exited' ? 2 : 0), StartedAt: c.startedAt ?? '2026-11-23T10:00:00Z' },
    }));
  };
  return {
    containers,
    calls,
    slow,
    failing,
    async listen() {
      const http = await import('node:http');
      rmSync(sock, { force: true });
      server = http.createServer(handler);
      await new Promise<void>((r) => server!.listen(sock, r));
    },
    /** An event for a container, as the engine sends it. */
    event(id: string, action = 'start') {
      for (const e of events) e.write(JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id } }) + '\n');
    },
    /** The engine goes away: the event streams break and the socket refuses. */
    async close() {
      events.forEach((e) => e.destroy());
      events.clear();
      const s = server;
      server = undefined;
      if (s) { s.closeAllConnections(); await new Promise<void>((r) => s.close(() => r())); }
    },
  };
}

/** The rig dockerd's pid now (it changes when the daemon restarts), or undefined when it is not the rig's engine. */
export function rigDockerdPid(): number | undefined {
  const f = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.rig/docker/dockerd.pid');
  try { return Number(readFileSync(f, 'utf8').trim()) || undefined; } catch { return undefined; }
}

/**
 * How many times the daemon has a container's json log open: one for the logger writing it while the
 * container runs, one per log stream being read. Counted from /proc/<dockerd>/fd (needs root, as the rig).
 */
export function openLogFiles(pid: number, logPath: string): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try { if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(logPath)) n++; } catch { /* closed meanwhile */ }
  }
  return n;
}
