import type { ActionPreview, ActionResult, ActionSpec, Resource } from '../../shared/contract/domain';
import { PilothouseError } from '../../shared/contract/envelope';
import type { AuditLog } from '../audit/audit-log';
import { actorName } from '../audit/audit-log';
import type { Model } from '../model/store';
import { plainLogText } from '../../shared/text/plain-text';
import type { ActionDef, ActionInput } from './action';

const LOG_LINES_MAX = 2000;
const LOG_LINE_MAX = 4000;

export interface ActionRunnerDeps {
  model: Model;
  audit: AuditLog;
  /** The action a resource's plane offers, bound to its objects now (and the operator's input, when it takes one). */
  resolve(resource: Resource, actionId: string, input?: ActionInput): ActionDef | undefined;
  now?: () => number;
}

/**
 * The one way anything changes a system: preview → confirm → run → verify → audit, one action at a time
 * per resource. Every plane's actions and every runbook step go through here.
 */
export class ActionRunner {
  private readonly busy = new Map<string, string>();   // resource id → label of the action under way
  private readonly now: () => number;

  constructor(private readonly deps: ActionRunnerDeps) {
    this.now = deps.now ?? Date.now;
  }

  private bind(r: Resource, actionId: string, value?: number): ActionDef {
    if (!r.actions.some((a) => a.id === actionId)) {
      const offered = r.actions.map((a) => a.id).join(', ') || 'none';
      throw new PilothouseError('invalid-input', `${r.group.name}/${r.name} does not offer '${actionId}' now (offered: ${offered})`);
    }
    const spec = r.actions.find((a) => a.id === actionId)!;
    if (spec.unavailable) throw new PilothouseError('invalid-input', `${r.group.name}/${r.name}: '${spec.label}' is unavailable: ${spec.unavailable}`);
    const input = checkInput(r, spec, value);
    const def = this.deps.resolve(r, actionId, input);
    if (!def) throw new PilothouseError('not-found', `${r.group.name}/${r.name}: '${actionId}' has nothing to act on any more`);
    return def;
  }

  preview(r: Resource, actionId: string, value?: number): ActionPreview {
    const def = this.bind(r, actionId, value);
    const p: ActionPreview = { resource: r.id, action: def.spec, summary: def.summary, steps: def.steps, verify: def.verifyText };
    if (def.spec.confirm === 'type-name') p.typeToConfirm = r.name;
    return p;
  }

  /** The preview with the system's own dry run of the change, where the plane offers one. */
  async previewChecked(r: Resource, actionId: string, value?: number): Promise<ActionPreview> {
    const p = this.preview(r, actionId, value);
    const def = this.deps.resolve(r, actionId, value === undefined ? undefined : { value });
    if (def?.dryRun) {
      try { p.dryRun = await def.dryRun(); } catch (e) { p.dryRun = { outcome: 'unavailable', text: `dry run unavailable: ${(e as Error).message}` }; }
    }
    return p;
  }

  isBusy(rid: string): boolean { return this.busy.has(rid); }

  /** `watch.onLog`: each step-log line as it is written (the CLI prints them live; a view shows the latest per tick). */
  async run(r: Resource, actionId: string, confirmation: { confirmed: boolean; typed?: string; value?: number }, watch?: { onLog?(line: string): void }): Promise<ActionResult> {
    const def = this.bind(r, actionId, confirmation.value);
    if (def.spec.confirm !== 'none' && !confirmation.confirmed) throw new PilothouseError('not-confirmed', `${def.spec.label} ${r.name}: the operator must confirm this action`);
    if (def.spec.confirm === 'type-name' && confirmation.typed !== r.name) {
      throw new PilothouseError('not-confirmed', `${def.spec.label} ${r.name}: type the resource's name '${r.name}' to confirm (got '${confirmation.typed ?? ''}')`);
    }
    const other = this.busy.get(r.id);
    if (other) throw new PilothouseError('conflict', `${r.group.name}/${r.name}: ${other} is still running; wait for it to finish`);
    this.busy.set(r.id, def.spec.label.toLowerCase());
    const { model, audit } = this.deps;
    const started = this.now();
    const record = (outcome: ActionResult['outcome'], detail?: string) => audit.append({
      ts: new Date(this.now()).toISOString(), actor: actorName(), action: def.auditName, target: def.summary,
      resource: r.id, steps: def.steps, outcome, detail, durationMs: this.now() - started,
    });
    try {
      model.setUpdate(r.id, { status: 'in_progress', reason: `${def.spec.label} in progress` });
      // The step log: the run's output as it comes, shown as the update's reason (live in every view) and
      // returned with the result; bounded, since a command's output is not ours to hold without end.
      const log: string[] = [];
      const onLog = (text: string) => {
        // A command's output is untrusted text, shown in the page and kept: safe and plain, as logs are.
        for (const raw of text.split('\n')) {
          const l = plainLogText(raw);
          log.push(l.length > LOG_LINE_MAX ? `${l.slice(0, LOG_LINE_MAX)}…` : l);
          if (log.length > LOG_LINES_MAX) log.shift();
          watch?.onLog?.(log[log.length - 1]);
        }
        model.setUpdate(r.id, { status: 'in_progress', reason: `${def.spec.label}: ${log[log.length - 1]}` });
      };
      let revealed: ActionResult['revealed'];
      let open: string | undefined;
      try {
        const out = await def.run(onLog);
        revealed = out?.revealed;
        open = out?.unverified;
      } catch (e) {
        const msg = (e as Error).message;
        model.setUpdate(r.id, { status: 'error', reason: `${def.spec.label} failed: ${msg}` });
        const line = await record('failed', msg);
        return { outcome: 'failed', message: `${def.spec.label} failed: ${msg}`, resource: this.current(r.id), audit: line, log };
      }
      // The run could not tell whether the change was made, nor ask since: say so now, not after the wait.
      if (open && !def.verify(model.objectsOf(r.id))) {
        model.setUpdate(r.id, { status: 'error', reason: `${def.spec.label} not verified: ${open}` });
        const line = await record('unverified', open);
        return { outcome: 'unverified', message: `${def.spec.label}: ${open}`, resource: this.current(r.id), audit: line, log };
      }
      // The run succeeded; whether the goal holds is a separate question with its own answer.
      const verified = await this.waitFor(r.id, def);
      if (verified) {
        model.setUpdate(r.id, undefined);
        const line = await record('ok');
        const res: ActionResult = { outcome: 'ok', message: `${def.spec.label} done: ${def.verifyText}`, resource: this.current(r.id), audit: line, log };
        if (revealed) res.revealed = revealed;
        return res;
      }
      const why = `${def.verifyText} did not hold within ${Math.round(def.verifyTimeoutMs / 1000)} s`;
      model.setUpdate(r.id, { status: 'error', reason: `${def.spec.label} not verified: ${why}` });
      const line = await record('unverified', why);
      return { outcome: 'unverified', message: `${def.spec.label} ran, but ${why}`, resource: this.current(r.id), audit: line, log };
    } finally {
      this.busy.delete(r.id);
    }
  }

  private current(rid: string): Resource | undefined {
    this.deps.model.flush();
    return this.deps.model.get(rid);
  }

  /** Re-checks the goal on every model change until it holds or time runs out; never polls a server. */
  private waitFor(rid: string, def: ActionDef): Promise<boolean> {
    const { model } = this.deps;
    const holds = () => def.verify(model.objectsOf(rid));
    if (holds()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let done = false;
      const finish = (v: boolean) => { if (done) return; done = true; clearTimeout(timer); off(); resolve(v); };
      const off = model.subscribe(() => { if (holds()) finish(true); });
      const timer = setTimeout(() => finish(holds()), def.verifyTimeoutMs);
    });
  }
}

/**
 * The operator's value for an action that takes one, checked here so that no plane sees a value outside
 * the bounds its spec declares; a value for an action that takes none is refused too (a typo'd call).
 */
export function checkInput(r: Resource, spec: ActionSpec, value: number | undefined): ActionInput | undefined {
  const where = `${spec.label} ${r.group.name}/${r.name}`;
  const inp = spec.input;
  if (!inp) {
    if (value !== undefined) throw new PilothouseError('invalid-input', `${where} takes no value (got ${value})`);
    return undefined;
  }
  // `default` only fills the form's field (the current value): a call that gives no value is refused,
  // never run with it (a set-slots without a value would quietly re-apply the current size).
  const v = value;
  if (v === undefined) {
    const now = inp.default === undefined ? '' : `; now ${inp.default}`;
    throw new PilothouseError('invalid-input', `${where}: ${inp.label.toLowerCase()} is required: a whole number from ${inp.min} to ${inp.max}${now}`);
  }
  if (!Number.isInteger(v) || v < inp.min || v > inp.max) {
    throw new PilothouseError('invalid-input', `${where}: ${inp.label.toLowerCase()} must be a whole number from ${inp.min} to ${inp.max} (got ${v})`);
  }
  return { value: v };
}
