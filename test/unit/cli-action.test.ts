import { describe, expect, it, vi } from 'vitest';
import { actionsCommand, actionsTable, confirmation, previewText } from '../../core/host/cli-action';
import type { Engine } from '../../core/engine/engine';
import { PilothouseError } from '../../shared/contract/envelope';
import type { ActionPreview, ActionSpec, Resource } from '../../shared/contract/domain';

const spec = (id: string, confirm: ActionSpec['confirm'], extra: Partial<ActionSpec> = {}): ActionSpec => ({ id, label: id === 'delete-pod' ? 'Delete pod' : 'Rollout restart', destructive: confirm === 'type-name', confirm, ...extra });
const resource = (actions: ActionSpec[]): Resource => ({
  id: 'kube/rig/shop/pod/web-1', name: 'web-1', kind: 'pod', plane: 'kube', endpoint: 'kube/rig', group: { kind: 'namespace', name: 'shop' },
  runtime: 'ok', update: 'idle', reasons: [], facts: {}, actions,
});
const preview = (s: ActionSpec): ActionPreview => ({
  resource: 'kube/rig/shop/pod/web-1', action: s, summary: 'Delete pod shop/web-1 on kube/rig', steps: [{ endpoint: 'kube/rig', call: 'DELETE /api/v1/namespaces/shop/pods/web-1' }],
  verify: 'pod web-1 is gone', ...(s.confirm === 'type-name' ? { typeToConfirm: 'web-1' } : {}), dryRun: { outcome: 'refused', text: 'the server would refuse this: 403 Forbidden' },
});

describe('the CLI action command: what it asks and when it refuses', () => {
  const del = spec('delete-pod', 'type-name');
  const restart = spec('rollout-restart', 'confirm');
  const never = async () => { throw new Error('must not ask'); };

  it('--yes confirms a plain action; a typed-name action also needs --confirm with the exact name', async () => {
    expect(await confirmation(preview(restart), resource([restart]), { yes: true }, never)).toEqual({});
    expect(await confirmation(preview(del), resource([del]), { yes: true }, never)).toEqual({ refused: "'Delete pod' asks for the resource's name: with --yes, also pass --confirm web-1; nothing was changed", usage: true });
    expect(await confirmation(preview(del), resource([del]), { yes: true, confirm: 'web-1' }, never)).toEqual({ typed: 'web-1' });
    expect(await confirmation(preview(del), resource([del]), { yes: true, confirm: 'web' }, never)).toMatchObject({ refused: "--confirm 'web' is not the resource's name 'web-1': nothing was changed" });
    // An action that does not ask for the name still refuses a --confirm naming another resource.
    expect(await confirmation(preview(restart), resource([restart]), { yes: true, confirm: 'web-2' }, never)).toMatchObject({ refused: "--confirm 'web-2' is not the resource's name 'web-1': nothing was changed", usage: true });
    expect(await confirmation(preview(restart), resource([restart]), { yes: true, confirm: 'web-1' }, never)).toEqual({});
  });

  it('nobody to ask and no --yes: refused with how to go on', async () => {
    expect(await confirmation(preview(del), resource([del]), { yes: false }, undefined)).toEqual({ refused: 'not confirmed: stdin is not a terminal, so nobody can be asked; pass --yes to run it (and --confirm web-1); nothing was changed', usage: true });
  });

  it('on a terminal: y/yes runs, anything else cancels; a typed-name action asks for the name itself', async () => {
    const say = (a: string) => async () => a;
    expect(await confirmation(preview(restart), resource([restart]), { yes: false }, say('YES'))).toEqual({});
    expect(await confirmation(preview(restart), resource([restart]), { yes: false }, say(''))).toEqual({ refused: 'cancelled: nothing was changed', usage: false });
    expect(await confirmation(preview(del), resource([del]), { yes: false }, say('web-1\n'))).toEqual({ typed: 'web-1' });
    expect(await confirmation(preview(del), resource([del]), { yes: false }, say('web-2'))).toMatchObject({ refused: "'web-2' is not 'web-1': cancelled, nothing was changed", usage: false });
  });

  it('the preview names the target, every step with its endpoint, the check and the server\'s dry run', () => {
    expect(previewText(preview(del), resource([del]))).toEqual([
      'Delete pod on shop/web-1',
      '  target:  kube/rig/shop/pod/web-1',
      '  what:    Delete pod shop/web-1 on kube/rig',
      '  steps:',
      '    1. [kube/rig] DELETE /api/v1/namespaces/shop/pods/web-1',
      '  verify:  pod web-1 is gone',
      '  dry run: refused: the server would refuse this: 403 Forbidden',
      '  This action is destructive.',
    ]);
  });

  it('the list says how each action is confirmed and why one is unavailable', () => {
    const lines = actionsTable(resource([del, spec('rollout-restart', 'confirm', { unavailable: 'user ro may not patch deployments' })]));
    expect(lines[0]).toMatch(/^ACTION\s+LABEL\s+CONFIRM\s+NOTE$/);
    expect(lines[1]).toMatch(/^delete-pod\s+Delete pod\s+type the name\s+destructive$/);
    expect(lines[2]).toMatch(/^rollout-restart\s+Rollout restart\s+ask\s+unavailable: user ro may not patch deployments$/);
    expect(actionsTable(resource([]))).toEqual(['shop/web-1 (kube/rig/shop/pod/web-1) offers no actions now.']);
  });
});

describe('a resource that does not exist', () => {
  it('the wait for it is said on stderr, and the refusal says where the names are', async () => {
    vi.useFakeTimers();
    try {
      let stopped = false;
      const engine = {
        start: async () => undefined, stop: () => { stopped = true; },
        find: (ref: string) => { throw new PilothouseError('not-found', `no resource named '${ref}'`); },
        model: { subscribe: () => () => undefined },
      } as unknown as Engine;
      const err: string[] = [];
      const io = { out: () => undefined, err: (s: string) => { err.push(s); } };
      const done = actionsCommand(['no/such-thing'], io, {}, { engine: async () => engine }).catch((e: Error) => e);
      await vi.advanceTimersByTimeAsync(2_000);
      expect(err.join('')).toBe("pilothouse: no resource 'no/such-thing' yet; waiting up to 20 s for the planes still listing\n");
      await vi.advanceTimersByTimeAsync(18_000);
      const e = await done;
      expect(e).toBeInstanceOf(PilothouseError);
      expect((e as Error).message).toBe("no resource named 'no/such-thing' ('pilothouse status' lists the resources; give an id, group/name, name or kind/name)");
      expect(stopped).toBe(true);
    } finally { vi.useRealTimers(); }
  });
});

describe('--value', () => {
  it('takes decimal numbers only: hex, exponents, blanks and words are refused before anything starts', async () => {
    const engine = async () => { throw new Error('no engine may start for a bad --value'); };
    for (const v of ['0x10', '1e1', ' 5', 'abc', '', 'Infinity']) {
      await expect(actionsCommandWith(v, engine)).rejects.toThrow(`--value must be a decimal number such as 5, got '${v}'`);
    }
  });
});

async function actionsCommandWith(value: string, engine: () => Promise<Engine>): Promise<number> {
  const { actionCommand } = await import('../../core/host/cli-action');
  return actionCommand(['pool', 'set-slots', '--value', value], { out: () => undefined, err: () => undefined }, {}, { engine });
}

describe('an action that takes a value, called without --value', () => {
  it('is refused before any preview, naming the input, its bounds and the current value; the runner refuses it too', async () => {
    const setSlots = spec('set-slots', 'confirm', { label: 'Set slots', input: { kind: 'number', label: 'Slots', min: 0, max: 10_000, default: 16 } });
    const r = { ...resource([setSlots]), id: 'airflow/rig/pool/default_pool', name: 'default_pool', group: { kind: 'airflow', name: 'rig' } };
    let previewed = false;
    const engine = {
      start: async () => undefined, stop: () => undefined, find: () => r, watchDetail: () => () => undefined,
      model: { subscribe: () => () => undefined, flush: () => undefined, get: () => r },
      actions: { previewChecked: async () => { previewed = true; throw new Error('must not preview'); } },
    } as unknown as Engine;
    const err: string[] = [];
    const { actionCommand } = await import('../../core/host/cli-action');
    const code = await actionCommand(['default_pool', 'set-slots', '--yes'], { out: () => undefined, err: (s) => { err.push(s); } }, {}, { engine: async () => engine });
    expect(code).toBe(2);
    expect(previewed).toBe(false);
    expect(err.join('')).toBe("pilothouse: 'set-slots' needs --value: slots, a whole number from 0 to 10000 (now 16); nothing was changed\n");
    // The same rule where every caller (web page, runbook) goes through: the field's default is not a value.
    const { checkInput } = await import('../../core/actions/runner');
    expect(() => checkInput(r, setSlots, undefined)).toThrow('Set slots rig/default_pool: slots is required: a whole number from 0 to 10000; now 16');
    expect(checkInput(r, setSlots, 16)).toEqual({ value: 16 });
  });
});
