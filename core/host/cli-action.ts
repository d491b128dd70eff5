import { parseArgs } from 'node:util';
import type { ActionPreview, ActionResult, ActionSpec, Resource } from '../../shared/contract/domain';
import { PilothouseError } from '../../shared/contract/envelope';
import { actorName } from '../audit/audit-log';
import type { Engine } from '../engine/engine';
import type { Io } from './cli';

// `pilothouse action <resource> <action>` and `pilothouse actions <resource>`: the page's action buttons
// for scripts and terminals. Both go through the engine's one action mechanism (core/actions/runner.ts):
// the same offer, preview with its dry run, confirmation rule, lock, verification and audit line.

/** The terminal's question and its answer; undefined when there is nobody to ask (stdin not a terminal). */
export type Ask = (question: string) => Promise<string>;

export interface ActionIo extends Io {
  /** Asks the operator on the terminal; absent when stdin or stderr is not a terminal. */
  ask?: Ask;
  /** Calls `fn` on Ctrl-C, a closed terminal or a kill while an action runs; returns the un-listen. Default: the process's signals. */
  onInterrupt?: (fn: (signal: string) => void) => () => void;
}

/** SIGINT, SIGTERM and SIGHUP while a change is under way: handled once, a second one ends the process at once. */
function processInterrupts(fn: (signal: string) => void): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let seen = false;
  const on = (sig: NodeJS.Signals) => { if (seen) process.exit(130); seen = true; fn(sig); };
  for (const s of signals) process.on(s, on);
  return () => { for (const s of signals) process.off(s, on); };
}

/** Who the engine is and how the command gets one: a real one by default, a test's in tests. */
export interface ActionDeps { engine(env: NodeJS.ProcessEnv): Promise<Engine> }

const defaultDeps: ActionDeps = {
  async engine(env) {
    const { Engine, defaultDataDir } = await import('../engine/engine');
    return new Engine({ dataDir: defaultDataDir(env), env, home: env.HOME || undefined });
  },
};

/** A question on stderr, the answer from stdin: only where both are a terminal (a pipe is a script). */
export function terminalAsk(): Ask | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question) => {
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try { return await rl.question(question); } finally { rl.close(); }
  };
}

const fail = (msg: string) => new PilothouseError('invalid-input', msg);

/**
 * How long the command lets a resource's look settle before it reads the offer: a plane that checks
 * access when someone looks (kube's access reviews, a secret's key names) answers within it; a plane that
 * has nothing to add sends nothing, and the wait ends after QUIET_MS without news.
 */
const SETTLE_MS = 3_000;
const QUIET_MS = 400;

/** Starts an engine, finds the resource, looks at it as the detail pane does, and hands both over. */
async function withResource<T>(ref: string, io: ActionIo, env: NodeJS.ProcessEnv, deps: ActionDeps, fn: (engine: Engine, r: () => Resource) => Promise<T>): Promise<T> {
  const engine = await deps.engine(env);
  try {
    try { await engine.start(); } catch (e) { io.err(`pilothouse: the engine did not start fully: ${(e as Error).message}\n`); }
    const id = (await findSoon(engine, ref, io)).id;
    const release = engine.watchDetail({ ids: [id] }, 'full');
    try {
      await settle(engine, id);
      const current = () => {
        engine.model.flush();
        const r = engine.model.get(id);
        if (!r) throw new PilothouseError('not-found', `${id} is gone from its plane`);
        return r;
      };
      return await fn(engine, current);
    } finally { release(); }
  } finally { engine.stop(); }
}

/**
 * How long a resource not found yet may take to arrive: the engine's start waits for each plane's first
 * answer only so long, and a cluster with 10,000 pods may still be listing the one named.
 */
const FIND_MS = 20_000;

/** After this long without the resource, the wait is said on stderr: 20 s of silence reads as a hang. */
const SAY_WAIT_MS = 2_000;

async function findSoon(engine: Engine, ref: string, io: Io): Promise<Resource> {
  try { return engine.find(ref); } catch (e) { if (!(e instanceof PilothouseError) || e.code !== 'not-found') throw e; }
  return new Promise((resolve, reject) => {
    let last: unknown;
    const done = (fn: () => void) => { clearTimeout(timer); clearTimeout(say); off(); fn(); };
    const say = setTimeout(() => io.err(`pilothouse: no resource '${ref}' yet; waiting up to ${FIND_MS / 1000} s for the planes still listing\n`), SAY_WAIT_MS);
    const timer = setTimeout(() => done(() => {
      try { resolve(engine.find(ref)); } catch (e) {
        const err = e ?? last;
        reject(err instanceof PilothouseError && err.code === 'not-found' ? new PilothouseError('not-found', `${err.message} ('pilothouse status' lists the resources; give an id, group/name, name or kind/name)`) : err);
      }
    }), FIND_MS);
    const off = engine.model.subscribe(() => {
      try { const r = engine.find(ref); done(() => resolve(r)); } catch (e) { last = e; if (!(e instanceof PilothouseError) || e.code !== 'not-found') done(() => reject(e)); }
    });
  });
}

function settle(engine: Engine, id: string): Promise<void> {
  return new Promise((resolve) => {
    let quiet: ReturnType<typeof setTimeout>;
    const done = () => { clearTimeout(quiet); clearTimeout(cap); off(); resolve(); };
    const cap = setTimeout(done, SETTLE_MS);
    const arm = () => { clearTimeout(quiet); quiet = setTimeout(done, QUIET_MS); };
    const off = engine.model.subscribe((c) => { if (c.upsert.some((u) => u.id === id)) arm(); });
    arm();
  });
}

const who = (r: Resource) => `${r.group.name}/${r.name}`;

/** One line per offered action: id, label, confirmation, and why it is unavailable when it is. */
export function actionsTable(r: Resource): string[] {
  if (!r.actions.length) return [`${who(r)} (${r.id}) offers no actions now.`];
  const note = (a: ActionSpec) => [
    a.unavailable ? `unavailable: ${a.unavailable}` : '',
    a.destructive ? 'destructive' : '',
    a.input ? `takes --value: ${a.input.label.toLowerCase()} ${a.input.min}–${a.input.max}` : '',
  ].filter(Boolean).join('; ');
  const rows = r.actions.map((a) => [a.id, a.label, confirmWords(a), note(a)]);
  const all = [['ACTION', 'LABEL', 'CONFIRM', 'NOTE'], ...rows];
  const w = all[0].map((_, i) => Math.max(...all.map((x) => x[i].length)));
  return all.map((x) => x.map((c, i) => (i === x.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd());
}

function confirmWords(a: ActionSpec): string {
  return a.confirm === 'type-name' ? 'type the name' : a.confirm === 'confirm' ? 'ask' : 'none';
}

/** The preview as the dialog shows it: what, against which endpoint, how it is checked, the server's dry run. */
export function previewText(p: ActionPreview, r: Resource): string[] {
  const out = [`${p.action.label} on ${who(r)}`, `  target:  ${r.id}`, `  what:    ${p.summary}`, '  steps:'];
  p.steps.forEach((s, i) => out.push(`    ${i + 1}. [${s.endpoint}] ${s.call}`));
  out.push(`  verify:  ${p.verify}`);
  if (p.dryRun) out.push(`  dry run: ${p.dryRun.outcome === 'ok' ? '' : `${p.dryRun.outcome}: `}${p.dryRun.text}`);
  if (p.action.destructive) out.push('  This action is destructive.');
  return out;
}

/**
 * What the operator must give, and whether they gave it. `--yes` stands for the confirmation question;
 * an action that asks for the typed name also needs `--confirm <name>` when nobody is asked.
 */
export async function confirmation(p: ActionPreview, r: Resource, o: { yes: boolean; confirm?: string }, ask: Ask | undefined): Promise<{ typed?: string } | { refused: string; usage: boolean }> {
  const level = p.action.confirm;
  const name = p.typeToConfirm ?? r.name;
  // Whatever the level: a script that names another resource than the one it targets has a mistake in it.
  if (o.confirm !== undefined && o.confirm !== name) {
    return { refused: `--confirm '${o.confirm}' is not the resource's name '${name}': nothing was changed`, usage: true };
  }
  if (level === 'none') return {};
  if (o.yes) {
    if (level !== 'type-name') return {};
    if (o.confirm === undefined) return { refused: `'${p.action.label}' asks for the resource's name: with --yes, also pass --confirm ${name}; nothing was changed`, usage: true };
    return { typed: o.confirm };
  }
  if (!ask) return { refused: `not confirmed: stdin is not a terminal, so nobody can be asked; pass --yes to run it${level === 'type-name' ? ` (and --confirm ${name})` : ''}; nothing was changed`, usage: true };
  if (level === 'type-name') {
    // The name given on the command line is the typed answer; the terminal still asks whether to run it.
    if (o.confirm !== undefined) {
      const yes = (await ask(`Run '${p.action.label}' on ${who(r)}? [y/N] `)).trim().toLowerCase();
      return yes === 'y' || yes === 'yes' ? { typed: o.confirm } : { refused: 'cancelled: nothing was changed', usage: false };
    }
    const typed = (await ask(`Type ${name} to confirm: `)).trim();
    return typed === name ? { typed } : { refused: `'${typed}' is not '${name}': cancelled, nothing was changed`, usage: false };
  }
  const yes = (await ask(`Run '${p.action.label}' on ${who(r)}? [y/N] `)).trim().toLowerCase();
  return yes === 'y' || yes === 'yes' ? {} : { refused: 'cancelled: nothing was changed', usage: false };
}

function numberArg(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  // Decimal only: Number() would also take 0x10, 1e1 and ' 5', which a typo should not turn into a slot count.
  const n = Number(v);
  if (!/^-?\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw fail(`--value must be a decimal number such as 5, got '${v}'`);
  return n;
}

export async function actionCommand(args: string[], io: ActionIo, env: NodeJS.ProcessEnv, deps: ActionDeps = defaultDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      yes: { type: 'boolean', short: 'y', default: false },
      confirm: { type: 'string' },
      value: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (positionals.length !== 2) throw fail(`action needs a resource and an action id (got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}); 'pilothouse actions <resource>' lists the ids`);
  const [ref, actionId] = positionals as [string, string];
  const value = numberArg(values.value);
  const ask = io.ask;
  return withResource(ref, io, env, deps, async (engine, current) => {
    const input = current().actions.find((a) => a.id === actionId)?.input;
    if (input && value === undefined) {
      const now = input.default === undefined ? '' : ` (now ${input.default})`;
      io.err(`pilothouse: '${actionId}' needs --value: ${input.label.toLowerCase()}, a whole number from ${input.min} to ${input.max}${now}; nothing was changed\n`);
      return 2;
    }
    const preview = await engine.actions.previewChecked(current(), actionId, value);
    const r = current();
    io.out(previewText(preview, r).join('\n') + '\n');
    const c = await confirmation(preview, r, { yes: values.yes, confirm: values.confirm }, ask);
    if ('refused' in c) { io.err(`pilothouse: ${c.refused}\n`); return c.usage ? 2 : 1; }
    const target = current();
    // Stopped mid-run, the change may already be made: the audit still gets its line before we go.
    let off = () => {};
    const interrupted = new Promise<string>((resolve) => { off = (io.onInterrupt ?? processInterrupts)(resolve); });
    io.out(`${preview.action.label}: running\n`);
    const started = Date.now();
    // The step log as the run writes it, line by line (a view would show only the latest per tick).
    const running = engine.actions.run(target, actionId, { confirmed: true, typed: c.typed, value }, { onLog: (l) => io.out(`  | ${l}\n`) });
    let result: ActionResult;
    try {
      const first = await Promise.race([running, interrupted]);
      if (typeof first === 'string') {
        running.catch(() => undefined);
        const detail = `interrupted by ${first} before it finished: the change may have been made; check ${who(target)} (verify: ${preview.verify})`;
        const line = await engine.audit.append({
          ts: new Date().toISOString(), actor: actorName(), action: `${target.plane}.${actionId}`, target: preview.summary,
          resource: target.id, steps: preview.steps, outcome: 'unverified', detail, durationMs: Date.now() - started,
        }).then(() => `recorded in ${engine.audit.file}`, (e: Error) => `NOT recorded in ${engine.audit.file}: ${e.message}`);
        io.err(`pilothouse: ${preview.action.label} ${detail}; ${line}\n`);
        return 130;
      }
      result = first;
    } finally { off(); }
    if (values.json) io.out(JSON.stringify({ outcome: result.outcome, message: result.message, audit: JSON.parse(result.audit) as unknown, log: result.log ?? [] }, null, 2) + '\n');
    else io.out(`${result.outcome === 'ok' ? 'ok' : result.outcome === 'unverified' ? 'UNVERIFIED' : 'FAILED'}: ${result.message}\n`);
    // A revealed value goes to stdout only, for this one run; never into the step log or the audit.
    if (result.revealed) io.out(`${result.revealed.name}: ${result.revealed.value}\n`);
    return result.outcome === 'ok' ? 0 : 1;
  });
}

export async function actionsCommand(args: string[], io: ActionIo, env: NodeJS.ProcessEnv, deps: ActionDeps = defaultDeps): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } }, strict: true });
  if (positionals.length !== 1) throw fail('actions needs exactly one resource');
  return withResource(positionals[0]!, io, env, deps, async (_engine, current) => {
    const r = current();
    if (values.json) io.out(JSON.stringify({ resource: r.id, actions: r.actions }, null, 2) + '\n');
    else io.out(actionsTable(r).join('\n') + '\n');
    return 0;
  });
}
