import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../support/wait';
import type { ClientChannel } from 'ssh2';
import { openApi } from '../../core/planes/docker/api';
import { statsFromSample } from '../../core/planes/docker/engine-connection';
import { diagnoseRemote, remoteCandidates } from '../../core/planes/docker/remote';
import { DIAL_STDIO, DialStdioAgent } from '../../core/planes/docker/ssh-transport';
import { containerFromInspect } from '../../core/planes/docker/container';
import { containerObject, dockerRules, statsObject } from '../../core/planes/docker/rules';
import { composeConfigObject } from '../../core/planes/compose/project';
import { planCommand } from '../../core/planes/compose/actions';
import type { HostSettings } from '../../core/planes/ssh/settings';
import type { SshConnectionState } from '../../core/planes/ssh/connection';

const host = (alias: string, docker = true): HostSettings => ({ alias, docker, mounts: [], units: [], compose: [], tunnels: [], slurm: false, file: '/cfg/hosts.yaml', line: 3 });

describe('remote engines from hosts.yaml', () => {
  it('one endpoint per host with docker: true, named after the host; a local engine keeps its name', () => {
    const r = remoteCandidates([host('kraken-workers'), host('kraken-infra', false), host('default'), host('kraken-dbs')], new Set(['default', 'env']));
    expect(r.map((x) => x.candidate.name)).toEqual(['kraken-workers', 'default-ssh', 'kraken-dbs']);
    expect(r[0].candidate).toEqual({ name: 'kraken-workers', target: 'ssh kraken-workers: docker system dial-stdio', source: '/cfg/hosts.yaml line 3 (hosts.kraken-workers.docker)' });
  });
});

/** A channel-like duplex: the HTTP bytes flow through `inner`; stderr and exit as ssh2 gives them. */
function channel(inner: Duplex): ClientChannel {
  const ch = inner as unknown as ClientChannel & EventEmitter;
  (ch as unknown as { stderr: EventEmitter }).stderr = new EventEmitter();
  return ch;
}

describe('the dial-stdio transport', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ph-dial-'));
  const sock = path.join(dir, 'engine.sock');
  const server = http.createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ path: req.url })); });
  const ready = new Promise<void>((r) => server.listen(sock, r));
  afterAll(() => server.close());

  it('carries API calls over a channel running `docker system dial-stdio`, kept for the next call, closed when idle', async () => {
    await ready;
    const commands: string[] = [];
    let closed = 0;
    const agent = new DialStdioAgent({ alias: 'h', exec: async (cmd) => { commands.push(cmd); const s = net.connect(sock); s.on('close', () => closed++); return channel(s); } }, 7, 50);
    const api = await openApi({ name: 'h', target: 'ssh h', source: 'x' }, agent);
    expect((await api.request('GET', '/containers/json', { all: 1 })).body).toEqual({ path: '/containers/json?all=1' });
    expect((await api.request('GET', '/_ping')).body).toEqual({ path: '/_ping' });
    expect(commands).toEqual([DIAL_STDIO]);
    await until('the idle channel to close', () => closed === 1 && agent.channels === 0, 2_000, 10);
  });

  it('keeps at most its share of the host\'s SSH sessions open: further calls wait for a channel to close', async () => {
    await ready;
    let open = 0, most = 0;
    const agent = new DialStdioAgent({
      alias: 'h',
      exec: async () => {
        open++; most = Math.max(most, open);
        const s = net.connect(sock);
        // The server closes a session a little after the response, when its dial-stdio has exited.
        const emit = s.emit.bind(s);
        s.emit = ((ev: string, ...args: unknown[]) => {
          if (ev !== 'close') return emit(ev, ...args);
          setTimeout(() => { open--; emit('close', ...args); }, 20);
          return true;
        }) as typeof s.emit;
        return channel(s);
      },
    }, 2);
    const api = await openApi({ name: 'h', target: 'ssh h', source: 'x' }, agent);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => api.request('GET', `/containers/c${i}/json`)));
    expect(answers.map((a) => (a.body as { path: string }).path)).toEqual(Array.from({ length: 6 }, (_, i) => `/containers/c${i}/json`));
    expect(most).toBe(2);
    // A stream holds its channel; the other calls share the one left.
    const stream = await api.stream('/events');
    const more = await Promise.all(Array.from({ length: 3 }, (_, i) => api.request('GET', `/x${i}`)));
    expect(more).toHaveLength(3);
    expect(most).toBe(2);
    stream.destroy();
  });

  it('keeps what the docker CLI said when it could not reach its daemon', async () => {
    const agent = new DialStdioAgent({
      alias: 'h',
      exec: async () => {
        const d = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
        const ch = channel(d);
        setImmediate(() => {
          (ch.stderr as unknown as EventEmitter).emit('data', Buffer.from('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n'));
          ch.emit('exit', 1);
          d.push(null);
          d.destroy();
        });
        return ch;
      },
    });
    const api = await openApi({ name: 'h', target: 'ssh h', source: 'x' }, agent);
    await expect(api.request('GET', '/_ping')).rejects.toThrow();
    expect(agent.lastError).toBe('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
  });

  it('an SSH connection that cannot be had fails the call with the host named', async () => {
    const agent = new DialStdioAgent({ alias: 'h', exec: async () => { throw new Error('h: connection refused'); } });
    const api = await openApi({ name: 'h', target: 'ssh h', source: 'x' }, agent);
    await expect(api.request('GET', '/_ping')).rejects.toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('ssh h: h: connection refused') });
  });
});

describe('why a remote engine is unreachable', () => {
  /** A connection whose `systemctl is-active docker` prints `out` and exits with `code`. */
  const conn = (state: SshConnectionState, out: string, code: number) => ({
    state,
    exec: async (cmd: string) => {
      expect(cmd).toBe("'systemctl' 'is-active' 'docker'");
      const d = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
      const ch = channel(d);
      setImmediate(() => { d.push(out); d.push(null); ch.emit('exit', code); ch.emit('close', code); });
      return ch;
    },
  });
  const up: SshConnectionState = { state: 'connected', since: 0, via: [] };

  it('docker stopped on the host: in systemctl\'s words', async () => {
    expect(await diagnoseRemote('kraken-workers', conn(up, 'inactive\n', 3) as never, () => 'Cannot connect')).toEqual({
      message: 'docker on kraken-workers is not running (systemctl is-active docker: inactive)',
      hint: "Start it on the host ('sudo systemctl start docker' on kraken-workers); the engine reconnects by itself.",
    });
  });

  it('docker active (or no systemd): the CLI\'s own error', async () => {
    expect((await diagnoseRemote('h', conn(up, 'active\n', 0) as never, () => 'permission denied while trying to connect to the Docker daemon socket'))?.message)
      .toBe('docker on h: permission denied while trying to connect to the Docker daemon socket');
    expect(await diagnoseRemote('h', conn(up, '', 127) as never, () => undefined)).toBeUndefined();
  });

  it('no SSH connection: says so, with the reason', async () => {
    const lost: SshConnectionState = { state: 'lost', why: 'connect ETIMEDOUT 10.177.0.13:22', since: 0, attempt: 2, retryAt: 0 };
    expect((await diagnoseRemote('h', conn(lost, '', 0) as never, () => undefined))?.message).toBe('docker on h: no SSH connection (lost: connect ETIMEDOUT 10.177.0.13:22)');
  });
});

describe('container stats', () => {
  it('CPU % over the CPUs online and memory without the page cache, as `docker stats` computes them', () => {
    const s = statsFromSample({
      read: '2026-12-06T12:00:01Z',
      cpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 40_000_000_000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 30_000_000_000 },
      memory_stats: { usage: 50 * 1024 * 1024, limit: 2 * 1024 ** 3, stats: { inactive_file: 10 * 1024 * 1024 } },
    });
    expect(s).toEqual({ read: '2026-12-06T12:00:01Z', cpuPercent: 20, memUsed: 40 * 1024 * 1024, memLimit: 2 * 1024 ** 3 });
    // The first sample has no previous reading: no CPU figure rather than a wrong one. cgroup v1's cache name.
    expect(statsFromSample({ cpu_stats: { cpu_usage: { total_usage: 5 }, system_cpu_usage: 9 }, precpu_stats: {}, memory_stats: { usage: 300, stats: { total_inactive_file: 100 } } }))
      .toEqual({ read: '', memUsed: 200 });
  });

  it('shown as facts of the resource while the sample is in the model', () => {
    const c = containerFromInspect({ Id: 'c1', Name: '/shop_web_1', Config: { Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' } }, State: { Status: 'running' } } as never);
    const objs = [containerObject('docker/h', c), statsObject('docker/h', 'docker/h/shop/web', c, { read: '', cpuPercent: 3.14159, memUsed: 12.5 * 1024 * 1024, memLimit: 1024 ** 3 })];
    expect(dockerRules.bind(objs[1])).toEqual(['docker/h/shop/web']);
    const r = dockerRules.derive('docker/h/shop/web', objs, { now: 0 })!.resource;
    expect(r.facts).toMatchObject({ cpu: '3.1 %', memory: '12.5 MiB of 1.00 GiB' });
    expect(dockerRules.derive('docker/h/shop/web', objs.slice(0, 1), { now: 0 })!.resource.facts.cpu).toBeUndefined();
  });
});

describe('compose projects', () => {
  const cfg = { project: 'alphakraken', host: 'kraken-workers', dir: '~/alphakraken', command: ['./compose.sh'], env: { ENV: 'production' }, envFiles: ['envs/x.env'], order: ['dbs', 'workers'], file: '/cfg/hosts.yaml', line: 2 };
  const web = containerFromInspect({ Id: 'w1', Name: '/alphakraken_web_1', Config: { Labels: { 'com.docker.compose.project': 'alphakraken', 'com.docker.compose.service': 'web', 'com.docker.compose.project.working_dir': '/srv/ak', 'com.docker.compose.project.config_files': '/srv/ak/a.yml,/srv/ak/b.yml' } }, State: { Status: 'running' } } as never);

  it('a configured project is a resource even with no container, with the ordered start first', () => {
    const o = composeConfigObject('docker/kraken-workers', cfg);
    expect(dockerRules.bind(o)).toEqual(['docker/kraken-workers/alphakraken']);
    const r = dockerRules.derive('docker/kraken-workers/alphakraken', [o], { now: 0 })!.resource;
    expect(r).toMatchObject({ kind: 'compose-project', name: 'alphakraken', runtime: 'not_applicable', children: [], facts: { services: '0 of 0 running', environment: 'ENV', configured: '/cfg/hosts.yaml line 2' } });
    expect(r.actions.map((a) => a.id)).toEqual(['compose-start-in-order', 'compose-up', 'compose-restart', 'compose-stop', 'compose-down']);
  });

  it('a local project without hosts.yaml: its directory and files from its containers\' labels; none: no actions', () => {
    const r = dockerRules.derive('docker/default/alphakraken', [containerObject('docker/default', web)], { now: 0 })!.resource;
    expect(r.facts).toMatchObject({ services: '1 of 1 running', dir: '/srv/ak', 'compose files': '/srv/ak/a.yml, /srv/ak/b.yml' });
    expect(r.children).toEqual(['docker/default/alphakraken/web']);
    const bare = containerFromInspect({ Id: 'b', Name: '/x', Config: { Labels: { 'com.docker.compose.project': 'p', 'com.docker.compose.service': 's' } }, State: { Status: 'running' } } as never);
    expect(dockerRules.derive('docker/default/p', [containerObject('docker/default', bare)], { now: 0 })!.resource.actions).toEqual([]);
  });

  it('the command: remote as one argument list with cd and env; local spawned in the directory with DOCKER_HOST', () => {
    const remote = planCommand({ remote: true, host: { where: 'kraken-workers', run: async () => ({ exitCode: 0, stdout: '', stderr: '' }) } }, { project: 'alphakraken', config: cfg }, ['./compose.sh'], { op: 'up', profiles: ['dbs'] });
    expect(remote.argv).toEqual(['sh', '-c', 'cd "$1" && shift && exec "$@"', 'sh', 'alphakraken', 'env', 'ENV=production', './compose.sh', '--env-file', 'envs/x.env', '--profile', 'dbs', 'up', '-d']);
    expect(remote.cwd).toBeUndefined();
    const local = planCommand({ remote: false, dockerHost: 'unix:///run/rig.sock', home: '/home/op', host: { where: 'this machine', run: async () => ({ exitCode: 0, stdout: '', stderr: '' }) } },
      { project: 'alphakraken', workingDir: '/srv/ak', configFiles: ['/srv/ak/a.yml'] }, ['docker', 'compose'], { op: 'down' });
    expect(local).toEqual({
      argv: ['docker', 'compose', '-f', '/srv/ak/a.yml', '-p', 'alphakraken', 'down'], cwd: '/srv/ak', env: { DOCKER_HOST: 'unix:///run/rig.sock' },
      display: 'on this machine, in /srv/ak: DOCKER_HOST=unix:///run/rig.sock docker compose -f /srv/ak/a.yml -p alphakraken down',
    });
  });
});
