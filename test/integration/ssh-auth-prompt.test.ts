// Run under `flock /tmp/ph-scenario.lock`: the passphrase part logs in to the rig's kraken-dbs (it changes
// nothing there). The password and keyboard-interactive parts run against an ssh2 Server in this process
// (a real SSH server on 127.0.0.1): the rig's sshd takes keys only, and its sshd_config is shared.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { main } from '../../core/host/cli';
import type { PlaneEnv } from '../../core/planes/plane';
import { runRemoteCommand } from '../../core/planes/ssh/command';
import { diskConfigFs } from '../../core/planes/ssh/config-fs';
import { SshConnection, type SshConnectionState } from '../../core/planes/ssh/connection';
import { SshPlane } from '../../core/planes/ssh/plane';
import type { HostObjectData } from '../../core/planes/ssh/rules';
import { until } from '../support/wait';

const REPO = path.resolve(import.meta.dirname, '../..');
const RIG_SSH = path.join(REPO, '.rig/ssh');
const SSH_CONFIG = path.join(RIG_SSH, 'ssh_config');
const skipRig = existsSync(SSH_CONFIG) ? undefined : `no ${SSH_CONFIG}: start the rig (npm run rig -- up ssh)`;
const PASSPHRASE = 'pass-7f3e-secret';

/** Every file under `dir`, for "the secret was written nowhere". */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** kraken-dbs (and `hosts`) as the rig writes them, with the key replaced by an encrypted copy and no agent. */
function passphraseSetup(hosts = ['kraken-dbs']): { env: PlaneEnv; dir: string; keyCopy: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ph-ssh-passphrase-'));
  const keyCopy = path.join(dir, 'kraken-encrypted');
  copyFileSync(path.join(RIG_SSH, 'keys/kraken'), keyCopy);
  execFileSync('chmod', ['600', keyCopy]);
  execFileSync('ssh-keygen', ['-q', '-p', '-N', PASSPHRASE, '-f', keyCopy]);
  const rig = readFileSync(SSH_CONFIG, 'utf8');
  const blocks = rig.split(/^(?=Host )/m).filter((b) => hosts.includes(b.split(/\s+/)[1]!));
  writeFileSync(path.join(dir, 'ssh_config'), blocks.join('\n').replace(/^(\s*IdentityFile\s+).*$/gm, `$1${keyCopy}`));
  mkdirSync(path.join(dir, 'config'));
  writeFileSync(path.join(dir, 'config', 'hosts.yaml'), `hosts:\n${hosts.map((h) => `  ${h}:\n    docker: false\n`).join('')}`);
  const env: PlaneEnv = {
    env: { PILOTHOUSE_SSH_CONFIG: path.join(dir, 'ssh_config'), PILOTHOUSE_CONFIG_DIR: path.join(dir, 'config'), USER: 'pilothouse-test' },
    home: path.join(dir, 'home'),
    now: Date.now,
    dataDir: path.join(dir, 'data'),
  };
  return { env, dir, keyCopy };
}

describe.skipIf(skipRig)(`an encrypted key on the rig's kraken-dbs${skipRig ? ` (skipped: ${skipRig})` : ''}`, () => {
  let saved: string | undefined;
  beforeAll(() => {
    // No agent: the key file is all there is.
    saved = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
  });
  afterAll(() => {
    if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
  });

  it('waits for the passphrase; a wrong one is said and asked again; the right one connects and a command runs; it is written nowhere', async () => {
    const s = passphraseSetup();
    const engine = new Engine({ dataDir: s.env.dataDir!, env: s.env.env, home: s.env.home, planes: [new SshPlane(s.env)] });
    const h = engine.handlers().requests;
    try {
      await engine.start();
      const ep = () => engine.endpoints().find((e) => e.id === 'ssh/kraken-dbs')!;
      const asking = await until('the passphrase question', () => ep().asks && ep());
      expect(asking).toMatchObject({ state: 'unavailable', waitsForOperator: true, message: `needs the passphrase of ${s.keyCopy} (open the console to enter it)` });
      expect(asking.asks).toMatchObject({ kind: 'passphrase', prompts: [{ echo: false }], remember: 'key-kept' });
      expect(asking.asks!.retry).toBeUndefined();

      await h['ssh:answer']({ endpoint: 'ssh/kraken-dbs', ask: asking.asks!.id, answers: ['not it'], remember: false });
      const again = await until('asked again', () => ep().asks && ep().asks!.id !== asking.asks!.id && ep());
      expect(again.asks!.retry).toBe(`wrong passphrase for ${s.keyCopy}`);
      // An answer to the question already replaced is refused, not applied.
      await expect(h['ssh:answer']({ endpoint: 'ssh/kraken-dbs', ask: asking.asks!.id, answers: [PASSPHRASE], remember: false })).rejects.toThrow(/replaced by a newer one/);

      await h['ssh:answer']({ endpoint: 'ssh/kraken-dbs', ask: again.asks!.id, answers: [PASSPHRASE], remember: false });
      await until('connected', () => ep().state === 'connected');
      // The facts are one remote command: their arrival is a command that ran on the host.
      const host = await until('facts', () => {
        const d = engine.objectsOf('ssh/kraken-dbs/host/kraken-dbs')[0]?.data as HostObjectData | undefined;
        return d?.facts?.bootAt !== undefined && d;
      });
      expect(host.connection.state).toBe('connected');
      for (const f of [...filesUnder(s.env.dataDir!), ...filesUnder(s.dir).filter((f) => f !== s.keyCopy)]) {
        expect(readFileSync(f, 'utf8'), f).not.toContain(PASSPHRASE);
      }
      expect(JSON.stringify(engine.endpoints())).not.toContain(PASSPHRASE);
    } finally {
      engine.stop();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('two hosts with the same encrypted key: one passphrase connects both', async () => {
    const s = passphraseSetup(['kraken-dbs', 'kraken-infra']);
    const engine = new Engine({ dataDir: s.env.dataDir!, env: s.env.env, home: s.env.home, planes: [new SshPlane(s.env)] });
    try {
      await engine.start();
      const ep = (alias: string) => engine.endpoints().find((e) => e.id === `ssh/${alias}`)!;
      const dbs = await until('both asking', () => ep('kraken-dbs').asks && ep('kraken-infra').asks && ep('kraken-dbs'));
      await engine.handlers().requests['ssh:answer']({ endpoint: 'ssh/kraken-dbs', ask: dbs.asks!.id, answers: [PASSPHRASE], remember: false });
      await until('both connected', () => ep('kraken-dbs').state === 'connected' && ep('kraken-infra').state === 'connected');
    } finally {
      engine.stop();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('cancel leaves the host refused with the reason; the CLI says it needs a passphrase and counts it as a problem', async () => {
    const s = passphraseSetup();
    const engine = new Engine({ dataDir: s.env.dataDir!, env: s.env.env, home: s.env.home, planes: [new SshPlane(s.env)] });
    try {
      await engine.start();
      const ep = () => engine.endpoints().find((e) => e.id === 'ssh/kraken-dbs')!;
      const asking = await until('the passphrase question', () => ep().asks && ep());
      await engine.handlers().requests['ssh:answer']({ endpoint: 'ssh/kraken-dbs', ask: asking.asks!.id, cancel: true });
      const refused = await until('refused', () => ep().state === 'unavailable' && !ep().asks && ep());
      expect(refused.message).toBe(`login cancelled: the passphrase of ${s.keyCopy} was not given`);
      expect(refused.waitsForOperator).toBe(true);

      let out = '';
      let err = '';
      const code = await main(['status', '--plane', 'ssh'], { out: (t) => { out += t; }, err: (t) => { err += t; } }, {
        ...s.env.env, HOME: s.env.home, PILOTHOUSE_DATA_DIR: s.env.dataDir, KUBECONFIG: path.join(s.dir, 'no-kubeconfig'), DOCKER_HOST: 'unix:///nonexistent.sock',
      });
      expect(err).toContain(`ssh/kraken-dbs: needs the passphrase of ${s.keyCopy} (open the console to enter it)`);
      expect(code).toBe(1);
      expect(out).toMatch(/kraken-dbs/);
    } finally {
      engine.stop();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
});

// ---- password and keyboard-interactive, against an ssh2 Server in this process ----

interface LocalServer { port: number; dir: string; logins: string[]; close(): void; dropAll(): void; holdLogins: boolean }

/**
 * `pw` logs in by password (hunter22) only; `ki` by keyboard-interactive only (a hidden password `pw`
 * and an echoed code `42`). With `holdLogins`, the server closes a login that waits for an answer, as
 * sshd does after LoginGraceTime.
 */
async function localServer(): Promise<LocalServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ph-ssh-local-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
  const logins: string[] = [];
  const clients = new Set<ssh2.Connection>();
  const state = { holdLogins: false };
  const server = new ssh2.Server({ hostKeys: [readFileSync(path.join(dir, 'host_key'))] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      logins.push(`${ctx.username} ${ctx.method}`);
      if (ctx.username === 'pw') {
        if (ctx.method === 'password' && ctx.password === 'hunter22') return ctx.accept();
        return ctx.reject(['password']);
      }
      if (ctx.username === 'ki' && ctx.method === 'keyboard-interactive') {
        if (state.holdLogins) {
          state.holdLogins = false;
          ctx.prompt([{ prompt: 'Password: ', echo: false }, { prompt: 'Code: ', echo: true }], 'Two-step', 'Answer both', () => {});
          setTimeout(() => client.end(), 200);
          return;
        }
        return ctx.prompt([{ prompt: 'Password: ', echo: false }, { prompt: 'Code: ', echo: true }], 'Two-step', 'Answer both', (a) =>
          a[0] === 'pw' && a[1] === '42' ? ctx.accept() : ctx.reject(['keyboard-interactive']));
      }
      return ctx.reject(['keyboard-interactive']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        accept().on('exec', (acc, _rej, info) => {
          const ch = acc();
          ch.write(`ran: ${info.command}\n`);
          ch.exit(0);
          ch.end();
        });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const pub = readFileSync(path.join(dir, 'host_key.pub'), 'utf8').split(' ');
  writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${pub[0]} ${pub[1]}\n`);
  const host = (alias: string, user: string) =>
    `Host ${alias}\n  HostName 127.0.0.1\n  Port ${port}\n  User ${user}\n  UserKnownHostsFile ${dir}/known_hosts\n  IdentitiesOnly yes\n  ConnectTimeout 5\n`;
  writeFileSync(path.join(dir, 'ssh_config'), host('pw-host', 'pw') + host('ki-host', 'ki'));
  return {
    port, dir, logins,
    get holdLogins() { return state.holdLogins; },
    set holdLogins(v: boolean) { state.holdLogins = v; },
    dropAll: () => { for (const c of clients) c.end(); },
    close: () => { for (const c of clients) c.end(); server.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

function connectionTo(srv: LocalServer, alias: string): { conn: SshConnection; states: SshConnectionState[] } {
  const conn = new SshConnection({
    alias,
    config: { fs: diskConfigFs, home: srv.dir, localUser: 'op', path: path.join(srv.dir, 'ssh_config') },
    agentSocket: null,
    backoff: { baseMs: 100, maxMs: 500 },
  });
  const states: SshConnectionState[] = [];
  conn.subscribe((s) => states.push(s));
  return { conn, states };
}

const asking = (conn: SshConnection) => {
  const s = conn.state;
  return s.state === 'asking' ? s : undefined;
};

describe('password and keyboard-interactive logins (ssh2 Server in this process)', () => {
  let srv: LocalServer;
  beforeAll(async () => { srv = await localServer(); });
  afterAll(() => srv?.close());

  it('a password: asked, a wrong one asked again, the right one connects; remembered, a reconnect asks nobody', async () => {
    const { conn, states } = connectionTo(srv, 'pw-host');
    try {
      conn.connect();
      const first = await until('the password question', () => asking(conn));
      expect(first.message).toBe(`pw-host: needs the password for pw@[127.0.0.1]:${srv.port}`);
      expect(first.ask.prompt.kind).toBe('password');
      conn.answer(first.ask.id, ['wrong'], false);
      const second = await until('asked again', () => { const a = asking(conn); return a && a.ask.id !== first.ask.id && a; });
      expect(second.ask.retry).toBe(`wrong password for pw@[127.0.0.1]:${srv.port}`);
      conn.answer(second.ask.id, ['hunter22'], true);
      await until('connected', () => conn.state.state === 'connected');
      const r = await runRemoteCommand(conn, ['echo', 'hello'], { timeoutMs: 5_000 });
      // The server echoes the command line it received (quoted by shellQuote).
      expect(r.stdout.toString()).toBe("ran: 'echo' 'hello'\n");

      // The server drops us: the connection comes back by itself with the remembered password.
      const mark = states.length;
      srv.dropAll();
      await until('lost, then back', () => states.slice(mark).some((s) => s.state === 'lost') && conn.state.state === 'connected', 10_000);
      expect(states.slice(mark).map((s) => s.state)).not.toContain('asking');
    } finally {
      conn.close();
    }
  });

  it('a password not remembered is asked again after a drop; no retry runs while it waits', async () => {
    const { conn } = connectionTo(srv, 'pw-host');
    try {
      conn.connect();
      const q = await until('the password question', () => asking(conn));
      conn.answer(q.ask.id, ['hunter22'], false);
      await until('connected', () => conn.state.state === 'connected');
      srv.dropAll();
      const again = await until('asked again after the drop', () => asking(conn), 10_000);
      const logins = srv.logins.length;
      await new Promise((r) => setTimeout(r, 1_500));
      // Waiting for a person is not a retry loop: the server heard nothing more meanwhile.
      expect(srv.logins.length).toBe(logins);
      conn.cancelAsk(again.ask.id);
      await until('refused', () => conn.state.state === 'refused');
      expect(conn.state).toMatchObject({ reason: 'authentication', message: `pw-host: login cancelled: the password for pw@[127.0.0.1]:${srv.port} was not given` });
    } finally {
      conn.close();
    }
  });

  it('keyboard-interactive: the server\'s prompts (hidden and echoed) are asked; the answers connect', async () => {
    const { conn } = connectionTo(srv, 'ki-host');
    try {
      conn.connect();
      const q = await until('the questions', () => asking(conn));
      expect(q.ask.prompt).toMatchObject({
        kind: 'keyboard-interactive', name: 'Two-step', instructions: 'Answer both',
        prompts: [{ label: 'Password: ', echo: false }, { label: 'Code: ', echo: true }],
      });
      expect(() => conn.answer(q.ask.id, ['pw'])).toThrow(/expected 2 answers, got 1/);
      conn.answer(q.ask.id, ['pw', '7']);
      const again = await until('asked again', () => { const a = asking(conn); return a && a.ask.id !== q.ask.id && a; });
      expect(again.ask.retry).toBe(`the server refused the answers for ki@[127.0.0.1]:${srv.port}`);
      conn.answer(again.ask.id, ['pw', '42']);
      await until('connected', () => conn.state.state === 'connected');
    } finally {
      conn.close();
    }
  });

  it('the server closes the login while the operator is asked: the question stays, the answer logs in anew', async () => {
    const { conn, states } = connectionTo(srv, 'ki-host');
    try {
      srv.holdLogins = true;
      conn.connect();
      const q = await until('the questions', () => asking(conn));
      // The server gives up on the waiting login; the question stays and nothing is retried.
      const logins = srv.logins.length;
      await new Promise((r) => setTimeout(r, 1_000));
      expect(conn.state.state).toBe('asking');
      expect(srv.logins.length).toBe(logins);
      expect(states.some((s) => s.state === 'lost')).toBe(false);
      conn.answer(q.ask.id, ['pw', '42']);
      await until('connected', () => conn.state.state === 'connected');
    } finally {
      conn.close();
    }
  });
});
