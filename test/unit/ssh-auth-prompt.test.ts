// Logins that need a person: ssh2's real key parser on keys made by ssh-keygen here, and the login's
// question-and-answer state machine driven the way ssh2 drives an authHandler.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AnyAuthMethod, AuthenticationType } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthAsker, AuthSecrets, loadPrivateKey, type AuthAsk, type AuthReply } from '../../core/planes/ssh/auth-prompt';
import { planLogin, type LoginInput } from '../../core/planes/ssh/auth-prompt-login';
import { endpointAsk, hostEndpoint } from '../../core/planes/ssh/endpoint';

let dir: string;
const key = (name: string) => readFileSync(path.join(dir, name));

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ph-auth-prompt-'));
  const keygen = (name: string, pass: string, ...extra: string[]) =>
    execFileSync('ssh-keygen', ['-q', '-N', pass, '-C', name, '-f', path.join(dir, name), ...extra]);
  keygen('ed_enc', 'correct horse', '-t', 'ed25519');
  keygen('rsa_pem_enc', 'correct horse', '-t', 'rsa', '-b', '2048', '-m', 'PEM');
  keygen('ed_plain', '', '-t', 'ed25519');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadPrivateKey (ssh2 parseKey)', () => {
  it('tells an encrypted key, a wrong passphrase and the right one apart, OpenSSH and PEM formats alike', () => {
    for (const f of ['ed_enc', 'rsa_pem_enc']) {
      expect(loadPrivateKey(key(f)).status, f).toBe('encrypted');
      expect(loadPrivateKey(key(f), 'wrong horse').status, f).toBe('wrong-passphrase');
      const ok = loadPrivateKey(key(f), 'correct horse');
      expect(ok.status, f).toBe('ok');
      if (ok.status === 'ok') expect(ok.key.isPrivateKey()).toBe(true);
    }
    expect(loadPrivateKey(key('ed_plain')).status).toBe('ok');
    const junk = loadPrivateKey(Buffer.from('not a key\n'));
    expect(junk.status).toBe('invalid');
  });
});

describe('AuthAsker', () => {
  it('holds one question; a reply names it by id; a stale or misshapen reply is refused with words', async () => {
    const seen: AuthAsk[] = [];
    const asker = new AuthAsker((a) => seen.push(a));
    const first = asker.ask({ kind: 'password', alias: 'h', user: 'u', host: 'h.example' });
    expect(asker.current?.prompt.kind).toBe('password');
    const id = seen[0]!.id;
    expect(() => asker.answer(id + 1, ['x'], false)).toThrow(/replaced by a newer one/);
    expect(() => asker.answer(id, ['a', 'b'], false)).toThrow(/expected 1 answer, got 2/);
    // Still open after a misshapen reply.
    asker.answer(id, ['pw'], true);
    await expect(first).resolves.toEqual({ answers: ['pw'], remember: true });
    expect(() => asker.cancel(id)).toThrow(/nothing is being asked/);
  });

  it('remembers only what may be remembered, and a replaced question counts as cancelled', async () => {
    const asker = new AuthAsker(() => {});
    const pass = asker.ask({ kind: 'passphrase', alias: 'h', file: '/k' });
    const second = asker.ask({ kind: 'keyboard-interactive', alias: 'h', user: 'u', host: 'h', name: '', instructions: '', prompts: [{ label: 'Code: ', echo: true }] });
    await expect(pass).resolves.toEqual({ cancelled: true });
    asker.answer(asker.current!.id, ['123456'], true);
    // One-time codes are never kept, whatever the box said.
    await expect(second).resolves.toEqual({ answers: ['123456'], remember: false });
  });
});

/** Drives a login as ssh2 does: the handler is called after each failure with the methods left. */
function driver(overrides: Partial<LoginInput> = {}) {
  const asks: AuthAsk[] = [];
  const asker = new AuthAsker((a) => asks.push(a));
  const secrets = overrides.secrets ?? new AuthSecrets();
  const events: string[] = [];
  const input: LoginInput = {
    alias: 'kraken-dbs',
    user: 'kraken',
    host: '10.177.0.11',
    keyFiles: [],
    identitiesOnly: true,
    options: {},
    asker,
    secrets,
    waiting: (on) => events.push(on ? 'wait' : 'go'),
    live: () => true,
    abort: (why) => events.push(`abort: ${why}`),
    again: () => events.push('again'),
    ...overrides,
  };
  const login = planLogin(input);
  /** The next method the login offers (undefined: it is waiting for the operator or aborted). */
  const next = (left: AuthenticationType[] | null): Promise<AnyAuthMethod | false | undefined> =>
    new Promise((resolve) => {
      login.handler(left as AuthenticationType[], false, (m) => resolve(m as AnyAuthMethod | false));
      // A login waiting for an answer resolves later; give it a tick to say so.
      setTimeout(() => resolve(undefined), 20);
    });
  const reply = (r: Exclude<AuthReply, { withdrawn: true }>) => {
    const a = asks[asks.length - 1]!;
    if ('cancelled' in r) asker.cancel(a.id);
    else asker.answer(a.id, r.answers, r.remember);
  };
  return { login, next, asks, asker, secrets, events, reply };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('planLogin', () => {
  it('asks for an encrypted key\'s passphrase, again after a wrong one, and keeps the decrypted key (not the passphrase)', async () => {
    const d = driver({ keyFiles: [{ file: '~/.ssh/id_ed25519', data: key('ed_enc') }] });
    expect(d.login.handler.plan).toEqual(['none', 'publickey (encrypted)', 'keyboard-interactive', 'password']);
    expect(await d.next(null)).toMatchObject({ type: 'none' });
    const offered = d.next(['publickey', 'password']);
    await settle();
    expect(d.asks.at(-1)).toMatchObject({ prompt: { kind: 'passphrase', file: '~/.ssh/id_ed25519' } });
    expect(d.asks.at(-1)!.retry).toBeUndefined();
    d.reply({ answers: ['wrong horse'], remember: false });
    await settle();
    expect(d.asks).toHaveLength(2);
    expect(d.asks[1]!.retry).toBe('wrong passphrase for ~/.ssh/id_ed25519');
    d.reply({ answers: ['correct horse'], remember: false });
    const m = await offered;
    expect(m).toMatchObject({ type: 'publickey', username: 'kraken' });
    expect(d.secrets.key('~/.ssh/id_ed25519')?.isPrivateKey()).toBe(true);
    // The next login of this run uses the kept key and asks nobody.
    const again = driver({ keyFiles: [{ file: '~/.ssh/id_ed25519', data: key('ed_enc') }], secrets: d.secrets });
    expect(again.login.handler.plan).toEqual(['none', 'publickey', 'keyboard-interactive', 'password']);
  });

  it('one key file asked once for every host: a passphrase given for one host answers the others waiting for it', async () => {
    const secrets = new AuthSecrets();
    const file = '~/.ssh/id_ed25519';
    const dbs = driver({ alias: 'kraken-dbs', keyFiles: [{ file, data: key('ed_enc') }], secrets });
    const infra = driver({ alias: 'kraken-infra', keyFiles: [{ file, data: key('ed_enc') }], secrets });
    await dbs.next(null);
    await infra.next(null);
    const dbsKey = dbs.next(['publickey']);
    const infraKey = infra.next(['publickey']);
    await settle();
    expect(dbs.asks).toHaveLength(1);
    expect(infra.asks).toHaveLength(1);
    dbs.reply({ answers: ['correct horse'], remember: false });
    expect(await dbsKey).toMatchObject({ type: 'publickey' });
    // kraken-infra's question was withdrawn and its login goes on with the same key.
    expect(await infraKey).toMatchObject({ type: 'publickey' });
    expect(infra.asker.current).toBeUndefined();
    expect(infra.events).toEqual(['wait', 'go']);
  });

  it('asks nothing for a method the server does not list, and nothing at all under BatchMode', async () => {
    const d = driver({ keyFiles: [{ file: '/k', data: key('ed_enc') }] });
    await d.next(null);
    // A server that takes only keyboard-interactive: no passphrase question, a KI method is offered.
    expect(await d.next(['keyboard-interactive'])).toMatchObject({ type: 'keyboard-interactive' });
    expect(d.asks).toHaveLength(0);
    const batch = driver({ keyFiles: [{ file: '/k', data: key('ed_enc') }], options: { batchmode: ['yes'] } });
    expect(batch.login.handler.plan).toEqual(['none']);
    expect(batch.login.notes).toEqual(['/k: encrypted, and BatchMode yes asks nobody for its passphrase']);
    const noPw = driver({ options: { passwordauthentication: ['no'], kbdinteractiveauthentication: ['no'] } });
    expect(noPw.login.handler.plan).toEqual(['none']);
  });

  it('a password: asked, "wrong password" when the server refuses it, kept only when the operator ticks remember', async () => {
    const d = driver();
    await d.next(null);
    const first = d.next(['password']);
    await settle();
    expect(d.asks.at(-1)!.prompt).toMatchObject({ kind: 'password', user: 'kraken', host: '10.177.0.11' });
    d.reply({ answers: ['nope'], remember: false });
    expect(await first).toEqual({ type: 'password', username: 'kraken', password: 'nope' });
    expect(d.secrets.password('kraken@10.177.0.11')).toBeUndefined();
    // The server refused it: asked again, saying why.
    const second = d.next(['password']);
    await settle();
    expect(d.asks.at(-1)!.retry).toBe('wrong password for kraken@10.177.0.11');
    d.reply({ answers: ['s3cret'], remember: true });
    expect(await second).toMatchObject({ password: 's3cret' });
    expect(d.secrets.password('kraken@10.177.0.11')).toBe('s3cret');
    // A reconnect of this run uses the remembered one without asking.
    const re = driver({ secrets: d.secrets });
    await re.next(null);
    expect(await re.next(['password'])).toMatchObject({ password: 's3cret' });
    expect(re.asks).toHaveLength(0);
    // ... and forgets it when the server refuses it, asking instead.
    const refusedAgain = re.next(['password']);
    await settle();
    expect(re.asks).toHaveLength(1);
    expect(re.secrets.password('kraken@10.177.0.11')).toBeUndefined();
    re.reply({ cancelled: true });
    await refusedAgain;
    expect(re.events).toContain('abort: login cancelled: the password for kraken@10.177.0.11 was not given');
  });

  it('gives up after three refused passwords', async () => {
    const d = driver({ options: { kbdinteractiveauthentication: ['no'] } });
    await d.next(null);
    for (let i = 0; i < 3; i++) {
      const m = d.next(['password']);
      await settle();
      d.reply({ answers: [`try ${i}`], remember: false });
      expect(await m).toMatchObject({ password: `try ${i}` });
    }
    expect(await d.next(['password'])).toBe(false);
    expect(d.asks).toHaveLength(3);
  });

  it('keyboard-interactive: the server\'s name, instructions and prompts (with echo) are asked as given', async () => {
    const d = driver();
    await d.next(null);
    const m = (await d.next(['keyboard-interactive'])) as { prompt: (...a: unknown[]) => void };
    let finished: string[] | undefined;
    m.prompt('Two-step login', 'Answer both', '', [{ prompt: 'Password: ', echo: false }, { prompt: 'Favourite colour: ', echo: true }], (a: string[]) => { finished = a; });
    await settle();
    const ask = d.asks.at(-1)!;
    expect(endpointAsk(ask, 'kraken-dbs')).toEqual({
      id: ask.id,
      kind: 'keyboard-interactive',
      title: 'needs answers for kraken@10.177.0.11 (Two-step login)',
      instructions: 'Answer both',
      prompts: [{ label: 'Password: ', echo: false }, { label: 'Favourite colour: ', echo: true }],
      remember: 'never',
    });
    expect(d.events).toEqual(['wait']);
    d.reply({ answers: ['pw', 'blue'], remember: true });
    await settle();
    expect(finished).toEqual(['pw', 'blue']);
    expect(d.events).toEqual(['wait', 'go']);
  });

  it('an answer given after the server closed the waiting login is kept for the next login only, which it starts', async () => {
    let live = true;
    const d = driver({ live: () => live });
    await d.next(null);
    const pending = d.next(['password']);
    await settle();
    live = false;
    d.reply({ answers: ['late'], remember: false });
    await pending;
    expect(d.events.at(-1)).toBe('again');
    const next = driver({ secrets: d.secrets });
    await next.next(null);
    expect(await next.next(['password'])).toMatchObject({ password: 'late' });
    // Used once: a later login asks again.
    const later = driver({ secrets: d.secrets });
    await later.next(null);
    await later.next(['password']);
    expect(later.asks).toHaveLength(1);
  });
});

describe('the host endpoint while asking', () => {
  it('waits for the operator, says what it needs and how to give it, and carries the question (never an answer)', () => {
    const asker = new AuthAsker(() => {});
    void asker.ask({ kind: 'passphrase', alias: 'kraken-dbs', file: '~/.ssh/id_ed25519' }, 'wrong passphrase for ~/.ssh/id_ed25519');
    const ask = asker.current!;
    const ep = hostEndpoint(
      { alias: 'kraken-dbs', target: 'kraken@10.177.0.11:22', source: 'hosts.yaml line 2' },
      { state: 'asking', since: 0, host: 'kraken-dbs', ask, message: 'kraken-dbs: needs the passphrase of ~/.ssh/id_ed25519' },
    );
    expect(ep).toMatchObject({
      state: 'unavailable',
      waitsForOperator: true,
      message: 'needs the passphrase of ~/.ssh/id_ed25519 (open the console to enter it)',
      asks: { title: 'needs the passphrase of ~/.ssh/id_ed25519', kind: 'passphrase', prompts: [{ label: 'Passphrase for ~/.ssh/id_ed25519', echo: false }], remember: 'key-kept', retry: 'wrong passphrase for ~/.ssh/id_ed25519' },
    });
    expect(ep.hint).toMatch(/decrypted key is kept in memory until Pilothouse quits/);
  });
});
