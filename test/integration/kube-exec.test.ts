// `kubectl exec -it` through the engine's terminal:session stream, against the rig's control plane
// (kwok runs the exec's program on the rig host: test/rig/docs/kube.md). Run under
// `flock /tmp/ph-scenario.lock`: another file's api-server-restart would cut these sessions.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { KubePlane } from '../../core/planes/kube/plane';
import type { TerminalItem } from '../../shared/contract/channels';
import type { Client, Subscription } from '../../shared/contract/client';
import type { PilothouseError } from '../../shared/contract/envelope';
import { until } from '../support/wait';

const REPO = path.resolve(import.meta.dirname, '../..');
const ADMIN = path.join(REPO, '.rig/kube/kubeconfig');
const skip = existsSync(ADMIN) ? undefined : `no ${ADMIN}: start the rig (npm run rig -- up kube)`;
const EP = 'kube/kwok-pilothouse';
const id = (ns: string, kind: string, name: string) => `${EP}/${ns}/${kind}/${name}`;
const MAIN_DB_0 = id('extralit', 'pod', 'main-db-0');

interface Term { sub: Subscription<unknown>; text: () => string; end: () => Extract<TerminalItem, { t: 'end' }> | undefined; closed: () => boolean; error: () => PilothouseError | undefined }

describe.skipIf(!!skip)(`exec terminals in the rig's pods${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let engine: Engine;
  let client: Client;

  function terminal(resource: string, extra: { command?: string[]; container?: string; cols?: number; rows?: number } = {}): Term {
    let text = '';
    let end: Extract<TerminalItem, { t: 'end' }> | undefined;
    let closed = false;
    let error: PilothouseError | undefined;
    const sub = client.subscribe('terminal:session', { resource, cols: 80, rows: 24, ...extra }, {
      onBatch: (items) => {
        let shown = 0;
        for (const i of items) if (i.t === 'data') { text += i.data; shown += i.data.length; } else if (i.t === 'end') end = i;
        if (shown) sub.send({ ack: shown });
      },
      onEnd: (e) => { closed = true; error = e; },
    });
    return { sub: sub as Subscription<unknown>, text: () => text, end: () => end, closed: () => closed, error: () => error };
  }
  /**
   * A line of output equal to `want` (the echo of a typed command holds the command, not its result);
   * a bare CR also ends a line, since bash's bracketed-paste switch comes as ESC[?2004l CR before output.
   */
  const hasLine = (t: Term, want: string) => t.text().split(/[\r\n]+/).some((l) => l.trim() === want);

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ph-kube-exec-'));
    const env = { KUBECONFIG: ADMIN, PATH: process.env.PATH, HOME: dir };
    engine = new Engine({ dataDir: path.join(dir, 'data'), env, home: dir, planes: [new KubePlane({ env, home: dir, now: Date.now }, { watchConfig: false })] });
    await engine.start();
    client = connectInProcess(engine.handlers());
    await until('main-db-0 with a terminal', () => engine.model.get(MAIN_DB_0)?.terminal, 60_000);
  }, 90_000);
  afterAll(() => { client?.close(); engine?.stop(); });

  it('offers a terminal on pods and workloads with a running container, not on a service or a secret', () => {
    expect(engine.model.get(id('extralit', 'statefulset', 'main-db'))?.terminal).toBe(true);
    expect(engine.model.get(id('extralit', 'deployment', 'argilla-server'))?.terminal).toBe(true);
    expect(engine.model.get(id('extralit', 'service', 'main-db'))?.terminal).toBeUndefined();
    expect(engine.model.get(id('extralit', 'secret', 'main-db'))?.terminal).toBeUndefined();
  });

  it('a shell on main-db-0: runs what is typed on a TTY of the asked size, follows a resize, and ends with the exit code', async () => {
    const t = terminal(MAIN_DB_0, { cols: 100, rows: 30 });
    t.sub.send({ input: 'echo $((6*7)); stty size\r' });
    await until('42 and the size', () => hasLine(t, '42') && hasLine(t, '30 100'), 20_000)
      .catch((e) => { throw new Error(`${(e as Error).message}; the terminal showed: ${JSON.stringify(t.text())}`); });
    t.sub.send({ resize: { cols: 132, rows: 43 } });
    t.sub.send({ input: 'stty size\r' });
    await until('the new size', () => hasLine(t, '43 132'), 20_000)
      .catch((e) => { throw new Error(`${(e as Error).message}; the terminal showed: ${JSON.stringify(t.text())}`); });
    t.sub.send({ input: 'exit 3\r' });
    const end = await until('the end', () => t.end(), 20_000);
    expect(end).toMatchObject({ exitCode: 3, reason: 'exited with code 3' });
    expect(t.closed()).toBe(true);
  });

  // kwok's local exec on a TTY may end the stream before it has copied the last output of a program that
  // exits at once (seen once in five runs, also with our early-message hold in place): so psql runs at the
  // shell's prompt, and the one-shot command sleeps a moment before it exits.
  it('psql "select 1" in main-db-0\'s postgresql container, as kube.test.sh does', async () => {
    const t = terminal(MAIN_DB_0, { container: 'postgresql' });
    t.sub.send({ input: "psql -P pager=off -tAc 'select 40 + 2'\r" });
    await until('the answer', () => hasLine(t, '42'), 30_000)
      .catch((e) => { throw new Error(`${(e as Error).message}; the terminal showed: ${JSON.stringify(t.text())}`); });
    t.sub.send({ input: 'exit\r' });
    expect((await until('the end', () => t.end(), 20_000)).exitCode).toBe(0);
  });

  it('a command on a Deployment runs in its pod, and a failing one gives its exit code', async () => {
    const t = terminal(id('extralit', 'deployment', 'argilla-server'), { command: ['sh', '-c', 'echo in-$0; sleep 1; exit 5', 'argilla'] });
    const end = await until('the end', () => t.end(), 30_000);
    expect(hasLine(t, 'in-argilla')).toBe(true);
    expect(end).toMatchObject({ exitCode: 5 });
  });

  it('a container the pod does not have is refused, naming the ones it has', async () => {
    const t = terminal(MAIN_DB_0, { container: 'nope' });
    await until('the refusal', () => t.closed(), 20_000);
    expect(t.error()?.message).toMatch(/pod main-db-0 has no container "nope" \(it has postgresql/);
  });
});
