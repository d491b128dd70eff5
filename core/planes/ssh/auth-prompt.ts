import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

/**
 * Logins that need a person: the passphrase of an encrypted key, a password, the server's
 * keyboard-interactive questions. The connection asks through an `AuthAsker` (one question at a time,
 * answered or cancelled by the operator through the engine's `ssh:answer` channel) and keeps what it
 * may keep in `AuthSecrets`, in this engine's memory only: nothing here is logged, audited, put into the
 * model or written to disk.
 */

export interface PromptLine {
  /** The text in front of the field, as the server (or Pilothouse) words it. */
  label: string;
  /** False for secrets: the page shows a password field. */
  echo: boolean;
}

export type AuthPrompt =
  | { kind: 'passphrase'; alias: string; file: string }
  | { kind: 'password'; alias: string; user: string; host: string }
  | { kind: 'keyboard-interactive'; alias: string; user: string; host: string; name: string; instructions: string; prompts: PromptLine[] };

/** What the page shows: one question (several fields for keyboard-interactive), and why it asks again. */
export interface AuthAsk {
  /** Changes with every question, so that an answer meant for an old one is refused, not misapplied. */
  id: number;
  prompt: AuthPrompt;
  /** Set when asking again: "wrong passphrase", "the server refused the password". */
  retry?: string;
}

/** `withdrawn`: the question answered itself (another host's login decrypted the same key meanwhile). */
export type AuthReply = { answers: string[]; remember: boolean } | { cancelled: true } | { withdrawn: true };

/** The line an operator reads in the CLI, the banner and the host's row. */
export function askTitle(p: AuthPrompt): string {
  switch (p.kind) {
    case 'passphrase': return `needs the passphrase of ${p.file}`;
    case 'password': return `needs the password for ${p.user}@${p.host}`;
    case 'keyboard-interactive': return `needs answers for ${p.user}@${p.host}${p.name ? ` (${p.name})` : ''}`;
  }
}

/** The fields to fill in, in order. */
export function promptLines(p: AuthPrompt): PromptLine[] {
  switch (p.kind) {
    case 'passphrase': return [{ label: `Passphrase for ${p.file}`, echo: false }];
    case 'password': return [{ label: `Password for ${p.user}@${p.host}`, echo: false }];
    case 'keyboard-interactive': return p.prompts;
  }
}

/**
 * What may be kept after an answer: a decrypted key stays for this run (the passphrase itself is dropped
 * at once); a password stays only when the operator ticks "remember until Pilothouse quits";
 * keyboard-interactive answers (often one-time codes) never.
 */
export type RememberPolicy = 'key-kept' | 'offer' | 'never';

export function rememberPolicy(p: AuthPrompt): RememberPolicy {
  return p.kind === 'passphrase' ? 'key-kept' : p.kind === 'password' ? 'offer' : 'never';
}

export type KeyLoad =
  | { status: 'ok'; key: ParsedKey }
  | { status: 'encrypted' }
  | { status: 'wrong-passphrase' }
  | { status: 'invalid'; message: string };

/**
 * A private key file through ssh2's own parser. ssh2 words "encrypted, no passphrase given" and "bad
 * passphrase" differently for every format it reads (OpenSSH, PEM, PPK); both readings are kept here.
 */
export function loadPrivateKey(data: Buffer, passphrase?: string): KeyLoad {
  const parsed = ssh2.utils.parseKey(data, passphrase);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || key === undefined) {
    const message = key?.message ?? 'no key in the file';
    if (/no passphrase given/i.test(message)) return { status: 'encrypted' };
    if (passphrase !== undefined && /passphrase|decrypt|integrity check failed/i.test(message)) return { status: 'wrong-passphrase' };
    return { status: 'invalid', message };
  }
  return { status: 'ok', key };
}

/**
 * One open question at a time per connection. `ask` resolves with the operator's reply; `answer` and
 * `cancel` take the id of the question they reply to, so a reply to a question already replaced (a
 * second window, a late click) is refused with words rather than applied to the wrong one.
 */
export class AuthAsker {
  private seq = 0;
  private open: { ask: AuthAsk; resolve: (r: AuthReply) => void } | undefined;

  constructor(private readonly onChange: (ask: AuthAsk) => void) {}

  get current(): AuthAsk | undefined {
    return this.open?.ask;
  }

  ask(prompt: AuthPrompt, retry?: string): Promise<AuthReply> {
    // A question replaced without a reply counts as cancelled for whoever waited on it.
    this.open?.resolve({ cancelled: true });
    const ask: AuthAsk = { id: ++this.seq, prompt, ...(retry ? { retry } : {}) };
    return new Promise((resolve) => {
      this.open = { ask, resolve };
      this.onChange(ask);
    });
  }

  /** Throws (with words for the operator) when `id` is not the open question or the answers do not fit it. */
  answer(id: number, answers: string[], remember: boolean): void {
    const open = this.take(id);
    const want = promptLines(open.ask.prompt).length;
    if (answers.length !== want) {
      this.open = open;
      throw new AuthAskError(`expected ${want} answer${want === 1 ? '' : 's'}, got ${answers.length}`);
    }
    open.resolve({ answers, remember: remember && rememberPolicy(open.ask.prompt) === 'offer' });
  }

  cancel(id: number): void {
    this.take(id).resolve({ cancelled: true });
  }

  /** The open question needs no answer any more (the key it asks about was decrypted meanwhile). */
  withdraw(): void {
    const open = this.open;
    this.open = undefined;
    open?.resolve({ withdrawn: true });
  }

  /** The connection gave up on the login (closed, suspended): nobody waits for a reply any more. */
  drop(): void {
    const open = this.open;
    this.open = undefined;
    open?.resolve({ cancelled: true });
  }

  private take(id: number): { ask: AuthAsk; resolve: (r: AuthReply) => void } {
    const open = this.open;
    if (!open) throw new AuthAskError('nothing is being asked (the login went on or ended meanwhile)');
    if (open.ask.id !== id) throw new AuthAskError(`that question was replaced by a newer one (${askTitle(open.ask.prompt)})`);
    this.open = undefined;
    return open;
  }
}

export class AuthAskError extends Error {}

/**
 * Secrets the connections of one engine may hold for the rest of its run, and nothing else: decrypted
 * keys by file (shared by every host, so four hosts with one key ask once), and passwords by `user@host`
 * only when the operator asked to remember them. `once` carries an answer given after the server closed
 * the waiting login, for the next login only.
 */
export class AuthSecrets {
  private readonly keys = new Map<string, ParsedKey>();
  private readonly keyWaiters = new Map<string, Set<() => void>>();
  private readonly passwords = new Map<string, string>();
  private readonly once = new Map<string, string[]>();

  key(file: string): ParsedKey | undefined {
    return this.keys.get(file);
  }

  keepKey(file: string, key: ParsedKey): void {
    this.keys.set(file, key);
    for (const fn of [...(this.keyWaiters.get(file) ?? [])]) fn();
  }

  /** Calls `fn` when `file`'s key is decrypted (by another host's login); returns the unsubscribe. */
  onKey(file: string, fn: () => void): () => void {
    let set = this.keyWaiters.get(file);
    if (!set) this.keyWaiters.set(file, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (!set.size) this.keyWaiters.delete(file);
    };
  }

  password(userHost: string): string | undefined {
    return this.passwords.get(userHost);
  }

  keepPassword(userHost: string, password: string): void {
    this.passwords.set(userHost, password);
  }

  forgetPassword(userHost: string): void {
    this.passwords.delete(userHost);
  }

  /** Kept for the next login only (taken by `takeOnce`). */
  setOnce(slot: string, answers: string[]): void {
    this.once.set(slot, answers);
  }

  takeOnce(slot: string): string[] | undefined {
    const a = this.once.get(slot);
    this.once.delete(slot);
    return a;
  }

  clear(): void {
    this.keys.clear();
    this.passwords.clear();
    this.once.clear();
  }
}

/** The slot a one-shot answer is kept under: the same question asked by the next login. */
export function onceSlot(p: AuthPrompt): string {
  switch (p.kind) {
    case 'passphrase': return `passphrase ${p.file}`;
    case 'password': return `password ${p.user}@${p.host}`;
    case 'keyboard-interactive': return `ki ${p.user}@${p.host} ${JSON.stringify([p.name, p.instructions, p.prompts])}`;
  }
}
