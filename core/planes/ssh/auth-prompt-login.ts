import type { AnyAuthMethod, AuthenticationType, AuthHandlerMiddleware, NextAuthHandler, ParsedKey, Prompt } from 'ssh2';
import { loadPrivateKey, onceSlot, type AuthAsker, type AuthPrompt, type AuthSecrets } from './auth-prompt';

/**
 * The order one login tries things in, as OpenSSH does: `none` (to learn what the server accepts), the
 * key files that need nothing, the agent, the encrypted key files (asking for their passphrase, unless
 * this run decrypted them already), keyboard-interactive, password. A method the server does not list
 * is skipped without asking anybody; ssh_config's BatchMode, PasswordAuthentication and
 * KbdInteractiveAuthentication `no` are honoured.
 */

export interface LoginInput {
  alias: string;
  user: string;
  /** `hostname` or `[hostname]:port`, as the prompts name it. */
  host: string;
  /** Readable key files, in the order ssh_config gives them. */
  keyFiles: ReadonlyArray<{ file: string; data: Buffer }>;
  /** Offered after the plain key files; undefined: no agent. */
  agent?: string;
  identitiesOnly: boolean;
  /** Lower-cased ssh_config options of the hop (batchmode, passwordauthentication, ...). */
  options: Readonly<Record<string, readonly string[] | undefined>>;
  asker: AuthAsker;
  secrets: AuthSecrets;
  /** The handshake timer must not run while a person is being asked. */
  waiting(on: boolean): void;
  /** False once this login was given up (the server closed it, a new dial replaced it). */
  live(): boolean;
  /** The operator cancelled: the login ends as refused with these words. */
  abort(why: string): void;
  /** An answer came after the server closed the waiting login: it is kept (`once`), log in again. */
  again(): void;
}

type Step =
  | { t: 'none' }
  | { t: 'key'; file: string; key: ParsedKey }
  | { t: 'agent'; socket: string }
  | { t: 'encrypted'; file: string; data: Buffer }
  | { t: 'keyboard-interactive' }
  | { t: 'password' };

export interface Login {
  handler: AuthHandlerMiddleware & { plan: string[] };
  /** Why a key file was not offered, for the refusal's message. */
  notes: string[];
}

/** How many times a wrong password or keyboard-interactive answer is asked again (OpenSSH's NumberOfPasswordPrompts). */
export const ANSWER_TRIES = 3;

const no = (v: readonly string[] | undefined) => v?.[0]?.toLowerCase() === 'no';

export function planLogin(input: LoginInput): Login {
  const notes: string[] = [];
  const steps: Step[] = [{ t: 'none' }];
  const encrypted: Step[] = [];
  for (const { file, data } of input.keyFiles) {
    const cached = input.secrets.key(file);
    if (cached) {
      steps.push({ t: 'key', file, key: cached });
      continue;
    }
    const load = loadPrivateKey(data);
    if (load.status === 'ok') steps.push({ t: 'key', file, key: load.key });
    else if (load.status === 'encrypted') encrypted.push({ t: 'encrypted', file, data });
    else notes.push(`${file}: ${load.status === 'invalid' ? load.message : 'cannot be read'}`);
  }
  const plainKeys = steps.length > 1;
  if (input.agent && !(input.identitiesOnly && plainKeys)) steps.push({ t: 'agent', socket: input.agent });
  const batch = input.options['batchmode']?.[0]?.toLowerCase() === 'yes';
  if (batch) {
    for (const e of encrypted) notes.push(`${(e as { file: string }).file}: encrypted, and BatchMode yes asks nobody for its passphrase`);
  } else {
    steps.push(...encrypted);
    if (!no(input.options['kbdinteractiveauthentication']) && !no(input.options['challengeresponseauthentication'])) steps.push({ t: 'keyboard-interactive' });
    if (!no(input.options['passwordauthentication'])) steps.push({ t: 'password' });
  }

  const { user: username, asker, secrets } = input;
  let i = 0;
  let kiTries = 0;
  let pwTries = 0;
  let pwFrom: 'kept' | 'asked' | undefined;
  let cancelled = false;
  const userHost = `${username}@${input.host}`;

  /** Asks the operator; undefined when cancelled (the login is then aborted) or no longer wanted. */
  const ask = async (prompt: AuthPrompt, retry?: string): Promise<{ answers: string[]; remember: boolean } | 'withdrawn' | undefined> => {
    input.waiting(true);
    const reply = await asker.ask(prompt, retry);
    input.waiting(false);
    if ('withdrawn' in reply) return 'withdrawn';
    if ('cancelled' in reply) {
      cancelled = true;
      input.abort(`login cancelled: ${cancelWords(prompt)} was not given`);
      return undefined;
    }
    return reply;
  };

  const passphrase = async (step: { file: string; data: Buffer }): Promise<ParsedKey | undefined> => {
    let retry: string | undefined;
    for (;;) {
      // Another host's login may have decrypted the same file while this one waited.
      const kept = secrets.key(step.file);
      if (kept) return kept;
      const off = secrets.onKey(step.file, () => asker.withdraw());
      const reply = await ask({ kind: 'passphrase', alias: input.alias, file: step.file }, retry);
      off();
      if (reply === 'withdrawn') continue;
      if (!reply) return undefined;
      const load = loadPrivateKey(step.data, reply.answers[0] ?? '');
      if (load.status === 'ok') {
        // The decrypted key, not the passphrase, is what this run keeps (for reconnects).
        secrets.keepKey(step.file, load.key);
        return load.key;
      }
      if (load.status === 'wrong-passphrase') retry = `wrong passphrase for ${step.file}`;
      else {
        notes.push(`${step.file}: ${load.status === 'invalid' ? load.message : 'still encrypted'}`);
        return undefined;
      }
    }
  };

  const keyboardInteractive = (retry: string | undefined): AnyAuthMethod => ({
    type: 'keyboard-interactive',
    username,
    prompt: (name: string, instructions: string, _lang: string, prompts: Prompt[], finish: (answers: string[]) => void) => {
      const prompt: AuthPrompt = {
        kind: 'keyboard-interactive', alias: input.alias, user: username, host: input.host, name, instructions,
        prompts: prompts.map((p) => ({ label: p.prompt, echo: p.echo === true })),
      };
      const kept = secrets.takeOnce(onceSlot(prompt));
      if (kept && kept.length === prompts.length) return finish(kept);
      void ask(prompt, retry).then((reply) => {
        if (!reply || reply === 'withdrawn') return;
        if (input.live()) finish(reply.answers);
        else {
          secrets.setOnce(onceSlot(prompt), reply.answers);
          input.again();
        }
      });
    },
  } as AnyAuthMethod);

  const advance = async (left: AuthenticationType[] | null | undefined, next: NextAuthHandler): Promise<void> => {
    if (cancelled) return next(false as unknown as AuthenticationType);
    // A password that was kept or typed and then refused: say so, forget a kept one, ask again.
    if (pwFrom === 'kept') secrets.forgetPassword(userHost);
    pwFrom = undefined;
    while (i < steps.length) {
      const step = steps[i]!;
      const method = step.t === 'key' || step.t === 'agent' || step.t === 'encrypted' ? 'publickey' : step.t;
      // Before the `none` step nobody knows what the server takes; after it, only what it lists is tried.
      if (step.t !== 'none' && !(left ?? []).includes(method as AuthenticationType)) {
        i++;
        continue;
      }
      switch (step.t) {
        case 'none':
          i++;
          return next({ type: 'none', username } as AnyAuthMethod);
        case 'key':
          i++;
          return next({ type: 'publickey', username, key: step.key } as AnyAuthMethod);
        case 'agent':
          i++;
          return next({ type: 'agent', username, agent: step.socket } as AnyAuthMethod);
        case 'encrypted': {
          i++;
          const key = await passphrase(step);
          if (cancelled) return;
          if (!key) continue;
          if (!input.live()) return input.again();
          return next({ type: 'publickey', username, key } as AnyAuthMethod);
        }
        case 'keyboard-interactive': {
          if (kiTries >= ANSWER_TRIES) {
            i++;
            continue;
          }
          kiTries++;
          return next(keyboardInteractive(kiTries > 1 ? `the server refused the answers for ${userHost}` : undefined));
        }
        case 'password': {
          if (pwTries >= ANSWER_TRIES) {
            i++;
            continue;
          }
          const retry = pwTries > 0 ? `wrong password for ${userHost}` : undefined;
          pwTries++;
          const slot = onceSlot({ kind: 'password', alias: input.alias, user: username, host: input.host });
          const kept = pwTries === 1 ? secrets.password(userHost) ?? secrets.takeOnce(slot)?.[0] : undefined;
          if (kept !== undefined) {
            pwFrom = 'kept';
            return next({ type: 'password', username, password: kept } as AnyAuthMethod);
          }
          const reply = await ask({ kind: 'password', alias: input.alias, user: username, host: input.host }, retry);
          if (!reply || reply === 'withdrawn') return;
          const password = reply.answers[0] ?? '';
          if (reply.remember) secrets.keepPassword(userHost, password);
          pwFrom = reply.remember ? 'kept' : 'asked';
          if (!input.live()) {
            if (!reply.remember) secrets.setOnce(slot, [password]);
            return input.again();
          }
          return next({ type: 'password', username, password } as AnyAuthMethod);
        }
      }
    }
    next(false as unknown as AuthenticationType);
  };

  const handler = ((left, _partial, next) => {
    void advance(left, next);
  }) as Login['handler'];
  handler.plan = steps.map((s) => s.t === 'key' ? 'publickey' : s.t === 'encrypted' ? 'publickey (encrypted)' : s.t);
  return { handler, notes };
}

function cancelWords(p: AuthPrompt): string {
  switch (p.kind) {
    case 'passphrase': return `the passphrase of ${p.file}`;
    case 'password': return `the password for ${p.user}@${p.host}`;
    case 'keyboard-interactive': return `the answer${p.prompts.length === 1 ? '' : 's'} the server asked for`;
  }
}
