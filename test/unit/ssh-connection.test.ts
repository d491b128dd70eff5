import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runRemoteCommand } from '../../core/planes/ssh/command';
import type { ConfigFs } from '../../core/planes/ssh/config';
import { SshConnection, type SshClientLike, type SshConnectionOptions, type SshConnectionState } from '../../core/planes/ssh/connection';
import { fingerprint } from '../../core/planes/ssh/known-hosts';

function blob(seed: number): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, seed);
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([len(type.length), type, len(key.length), key]);
}
const line = (host: string, key: Buffer) => `${host} ssh-ed25519 ${key.toString('base64')}\n`;

const HOME = '/home/op';
const CONFIG = `
Host bastion
  HostName 10.0.0.1
  User jump
  IdentityFile ~/.ssh/id_test
  UserKnownHostsFile ~/.ssh/kh
Host inner
  HostName 10.0.0.2
  User app
  Port 2222
  IdentityFile ~/.ssh/id_test
  UserKnownHostsFile ~/.ssh/kh
  HostKeyAlias inner-alias
  ProxyJump bastion
`;

type Behaviour = (client: FakeClient, cfg: ConnectConfig) => void;

class FakeClient extends EventEmitter implements SshClientLike {
  cfg!: ConnectConfig;
  ended = false;
  constructor(private readonly behave: Behaviour) {
    super();
  }
  connect(cfg: ConnectConfig): this {
    this.cfg = cfg;
    void Promise.resolve().then(() => this.behave(this, cfg));
    return this;
  }
  end(): this {
    if (!this.ended) {
      this.ended = true;
      void Promise.resolve().then(() => this.emit('close'));
    }
    return this;
  }
  exec(): this {
    throw new Error('not used');
  }
  shell(): this {
    throw new Error('not used');
  }
  forwardOut(_a: string, _b: number, dstIP: string, dstPort: number, cb: (err: Error | undefined, ch: ClientChannel) => void): this {
    const ch = new PassThrough() as unknown as ClientChannel;
    (ch as unknown as { dst: string }).dst = `${dstIP}:${dstPort}`;
    cb(undefined, ch);
    return this;
  }
  /** The server side of the hostVerifier step, as ssh2 does it. */
  presentKey(key: Buffer): boolean {
    const ok = (this.cfg.hostVerifier as (k: Buffer) => boolean)(key);
    if (!ok) this.fail('Host denied (verification failed)', 'handshake');
    return ok;
  }
  fail(message: string, level?: string): void {
    this.emit('error', Object.assign(new Error(message), level ? { level } : {}));
    this.ended = true;
    this.emit('close');
  }
}

const KEY = blob(1);
const OTHER = blob(2);
const JUMP_KEY = blob(3);

function setup(opts: { kh?: string; config?: string; behave?: Behaviour; extra?: Partial<SshConnectionOptions> } = {}) {
  const files = new Map<string, string | Buffer>([
    [`${HOME}/.ssh/config`, opts.config ?? CONFIG],
    [`${HOME}/.ssh/id_test`, 'not parsed here'],
    [`${HOME}/.ssh/kh`, opts.kh ?? line('10.0.0.1', JUMP_KEY) + line('inner-alias', KEY)],
  ]);
  const fs: ConfigFs = { read: (p) => files.get(p)?.toString(), list: () => undefined };
  const clients: FakeClient[] = [];
  const behave: Behaviour =
    opts.behave ??
    ((c, cfg) => {
      if (c.presentKey(cfg.host === '10.0.0.1' ? JUMP_KEY : KEY)) c.emit('ready');
    });
  const appended: string[] = [];
  const conn = new SshConnection({
    alias: 'inner',
    config: { fs, home: HOME, localUser: 'op' },
    readFile: (p) => {
      const v = files.get(p);
      return v === undefined ? undefined : Buffer.from(v);
    },
    appendFile: (p, text) => {
      appended.push(text);
      files.set(p, (files.get(p)?.toString() ?? '') + text);
    },
    createClient: () => {
      const c = new FakeClient(behave);
      clients.push(c);
      return c;
    },
    backoff: { baseMs: 100, maxMs: 400 },
    random: () => 1,
    ...opts.extra,
  });
  const states: SshConnectionState[] = [];
  conn.subscribe((s) => states.push(s));
  return { conn, clients, states, appended, files };
}

// The private key is not a real one: authentication is the fake's business, not parseKey's.
vi.mock('ssh2', async (orig) => {
  const real = (await orig()) as { default: { utils: { parseKey: unknown } } };
  return { default: { ...real.default, utils: { parseKey: () => ({ type: 'ssh-ed25519' }) } } };
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SshConnection state machine', () => {
  it('dials the jump host first, then the target through its forwardOut, checking both keys', async () => {
    const { conn, clients, states } = setup();
    conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(conn.state).toMatchObject({ state: 'connected', via: ['bastion'] });
    expect(clients).toHaveLength(2);
    expect(clients[0]!.cfg).toMatchObject({ host: '10.0.0.1', port: 22, username: 'jump' });
    expect(clients[0]!.cfg.sock).toBeUndefined();
    expect(clients[1]!.cfg).toMatchObject({ host: '10.0.0.2', port: 2222, username: 'app' });
    expect((clients[1]!.cfg.sock as unknown as { dst: string }).dst).toBe('10.0.0.2:2222');
    // No ServerAliveInterval in the config: the default keepalive, OpenSSH's count.
    expect(clients[1]!.cfg).toMatchObject({ keepaliveInterval: 15_000, keepaliveCountMax: 3 });
  });

  it('goes lost with why after a drop, retries with capped backoff, and resets once connected', async () => {
    let failing = false;
    const { conn, clients, states } = setup({
      behave: (c, cfg) => {
        if (failing && cfg.host === '10.0.0.1') return c.fail('connect ECONNREFUSED 10.0.0.1:22');
        if (c.presentKey(cfg.host === '10.0.0.1' ? JUMP_KEY : KEY)) c.emit('ready');
      },
    });
    conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.state.state).toBe('connected');

    failing = true;
    clients[1]!.fail('Keepalive timeout', 'client-timeout');
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.state).toMatchObject({ state: 'lost', why: 'inner: Keepalive timeout', attempt: 1, retryAt: 1_000_100 });
    expect(clients[0]!.ended).toBe(true);

    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = conn.state as Extract<SshConnectionState, { state: 'lost' }>;
      delays.push(s.retryAt - s.since);
      await vi.advanceTimersByTimeAsync(s.retryAt - Date.now());
      expect(conn.state).toMatchObject({ state: 'lost', why: 'bastion: connect ECONNREFUSED 10.0.0.1:22' });
    }
    expect(delays).toEqual([100, 200, 400, 400]);

    failing = false;
    const s = conn.state as Extract<SshConnectionState, { state: 'lost' }>;
    await vi.advanceTimersByTimeAsync(s.retryAt - Date.now());
    expect(conn.state.state).toBe('connected');
    // The next drop starts from the base delay again.
    clients.at(-1)!.fail('Connection lost');
    await vi.advanceTimersByTimeAsync(0);
    const again = conn.state as Extract<SshConnectionState, { state: 'lost' }>;
    expect(again.retryAt - again.since).toBe(100);
    expect(states.filter((x) => x.state === 'connected')).toHaveLength(2);
  });

  it('an unknown key is untrusted with its fingerprint, never retried, connected once accepted', async () => {
    const { conn, clients, appended, files } = setup({ kh: line('10.0.0.1', JUMP_KEY) });
    conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    const s = conn.state as Extract<SshConnectionState, { state: 'untrusted' }>;
    expect(s.state).toBe('untrusted');
    expect(s.host).toBe('inner');
    expect(s.unknown).toMatchObject({ hostKeyName: 'inner-alias', fingerprint: fingerprint(KEY), knownHostsFile: `${HOME}/.ssh/kh` });
    expect(s.message).toContain(fingerprint(KEY));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(clients).toHaveLength(2);
    expect(conn.state.state).toBe('untrusted');

    expect(() => conn.acceptHostKey(fingerprint(OTHER))).toThrow(/not SHA256/);
    conn.acceptHostKey(fingerprint(KEY));
    await vi.advanceTimersByTimeAsync(0);
    expect(appended).toEqual([`inner-alias ssh-ed25519 ${KEY.toString('base64')}\n`]);
    expect(files.get(`${HOME}/.ssh/kh`)!.toString()).toBe(line('10.0.0.1', JUMP_KEY) + line('inner-alias', KEY));
    expect(conn.state.state).toBe('connected');
  });

  it('a changed key is refused every time, with both fingerprints; a changed jump host key says so', async () => {
    const { conn, clients } = setup({ kh: line('10.0.0.1', JUMP_KEY) + line('inner-alias', OTHER) });
    for (let i = 0; i < 2; i++) {
      conn.connect();
      await vi.advanceTimersByTimeAsync(1_000);
      const s = conn.state as Extract<SshConnectionState, { state: 'refused' }>;
      expect(s).toMatchObject({ state: 'refused', reason: 'host-key-changed', hostKey: { status: 'changed', presented: { fingerprint: fingerprint(KEY) }, known: { fingerprint: fingerprint(OTHER), line: 2 } } });
      expect(s.message).toContain(fingerprint(KEY));
      expect(s.message).toContain(fingerprint(OTHER));
    }
    expect(clients).toHaveLength(4);

    const jump = setup({ kh: line('10.0.0.1', OTHER) + line('inner-alias', KEY) });
    jump.conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(jump.conn.state).toMatchObject({ state: 'refused', host: 'bastion', reason: 'host-key-changed' });
    expect((jump.conn.state as { message: string }).message).toMatch(/^bastion \(jump host on the way to inner\): HOST KEY HAS CHANGED/);
    expect(jump.clients).toHaveLength(1);
  });

  it('a revoked key is refused', async () => {
    const { conn } = setup({ kh: line('10.0.0.1', JUMP_KEY) + line('inner-alias', KEY) + `@revoked * ssh-ed25519 ${KEY.toString('base64')}\n` });
    conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.state).toMatchObject({ state: 'refused', reason: 'host-key-revoked' });
  });

  it('a refused login is not retried', async () => {
    const { conn, clients } = setup({
      behave: (c, cfg) => {
        if (!c.presentKey(cfg.host === '10.0.0.1' ? JUMP_KEY : KEY)) return;
        if (cfg.host === '10.0.0.2') return c.fail('All configured authentication methods failed', 'client-authentication');
        c.emit('ready');
      },
    });
    conn.connect();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(conn.state).toMatchObject({ state: 'refused', reason: 'authentication' });
    expect((conn.state as { message: string }).message).toMatch(/inner: login as app refused/);
    expect(clients).toHaveLength(2);
    expect(clients[0]!.ended).toBe(true);
  });

  it('suspend closes and cancels the pending retry; resume reconnects at once', async () => {
    const { conn, clients } = setup();
    conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    clients[1]!.fail('Connection lost');
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.state.state).toBe('lost');
    conn.suspend();
    expect(conn.state.state).toBe('suspended');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(clients).toHaveLength(2);
    await expect(conn.ready(1)).rejects.toThrow(/suspended/);
    conn.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.state.state).toBe('connected');
    expect(clients).toHaveLength(4);
    conn.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.state.state).toBe('closed');
    expect(clients.every((c) => c.ended)).toBe(true);
  });

  // The login's plan (core/planes/ssh/auth-prompt-login.ts): `none` learns the server's methods; the ones
  // that need a person come last.
  const plan = (c: FakeClient) => (c.cfg.authHandler as unknown as { plan: string[] }).plan.filter((t) => t === 'publickey' || t === 'agent');
  it('offers the key files, then the agent unless IdentitiesOnly yes', async () => {
    const { conn, clients } = setup({ extra: { agentSocket: '/run/agent.sock' } });
    conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(plan(clients[0]!)).toEqual(['publickey', 'agent']);
    conn.close();
    const only = setup({ config: CONFIG.replace('Host bastion', 'Host bastion\n  IdentitiesOnly yes'), extra: { agentSocket: '/run/agent.sock' } });
    only.conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(plan(only.clients[0]!)).toEqual(['publickey']);
    expect(plan(only.clients[1]!)).toEqual(['publickey', 'agent']);
    only.conn.close();
  });

  it('a config error is refused with its file and line', async () => {
    const { conn, files } = setup();
    files.set(`${HOME}/.ssh/config`, 'Host inner\n  Port nope\n');
    conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.state).toMatchObject({ state: 'refused', reason: 'config' });
    expect((conn.state as { message: string }).message).toMatch(/config line 2: Port/);
  });
});

class FakeChannel extends PassThrough {
  stderr = new PassThrough();
  signals: string[] = [];
  closed = false;
  signal(name: string) {
    this.signals.push(name);
  }
  close() {
    this.closed = true;
  }
  // Like ssh2's channel: ending stdin sends EOF, it does not close the channel.
  override end(): this {
    return this;
  }
}

describe('runRemoteCommand', () => {
  it('quotes with shellQuote, streams, keeps exit code and duration, and times out', async () => {
    const ch = new FakeChannel();
    const host = { exec: vi.fn(async () => ch as unknown as ClientChannel) };
    const seen: string[] = [];
    const p = runRemoteCommand(host, ['echo', "it's $(x)"], { onOutput: (s, c) => seen.push(`${s}:${c}`) });
    await vi.advanceTimersByTimeAsync(0);
    expect(host.exec).toHaveBeenCalledWith(`'echo' 'it'\\''s $(x)'`);
    ch.emit('data', Buffer.from('one'));
    ch.stderr.emit('data', Buffer.from('err'));
    expect(seen).toEqual(['stdout:one', 'stderr:err']);
    await vi.advanceTimersByTimeAsync(250);
    ch.emit('exit', 3);
    ch.emit('close');
    const r = await p;
    expect(r).toMatchObject({ exitCode: 3, timedOut: false, lost: false, durationMs: 250, mayStillRun: false });
    expect(r.stdout.toString()).toBe('one');
    expect(r.stderr.toString()).toBe('err');

    const slow = new FakeChannel();
    const p2 = runRemoteCommand({ exec: async () => slow as unknown as ClientChannel }, ['sleep', '9'], { timeoutMs: 100, graceMs: 50 });
    await vi.advanceTimersByTimeAsync(100);
    expect(slow.signals).toEqual(['KILL']);
    expect(slow.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(50);
    expect(await p2).toMatchObject({ exitCode: null, timedOut: true, mayStillRun: true, durationMs: 150 });

    const gone = new FakeChannel();
    const p3 = runRemoteCommand({ exec: async () => gone as unknown as ClientChannel }, ['true']);
    await vi.advanceTimersByTimeAsync(0);
    gone.emit('close');
    expect(await p3).toMatchObject({ exitCode: null, lost: true });

    // The exit status only on 'close' (its 'exit' fired before anyone listened), as ssh2 passes it.
    const fast = new FakeChannel();
    const p4 = runRemoteCommand({ exec: async () => fast as unknown as ClientChannel }, ['false']);
    await vi.advanceTimersByTimeAsync(0);
    fast.emit('close', 1);
    expect(await p4).toMatchObject({ exitCode: 1, lost: false });
  });
});
