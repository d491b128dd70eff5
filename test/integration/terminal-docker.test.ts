import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine/engine';
import { connectInProcess } from '../../core/engine/in-process';
import { TERMINAL_WINDOW, type TerminalItem } from '../../shared/contract/channels';
import type { Client, Subscription } from '../../shared/contract/client';
import type { PilothouseError } from '../../shared/contract/envelope';
import { dockerClient, ensureTestImage, runContainer, testDockerHost } from '../support/docker-fixtures';
import { until } from '../support/wait';

// `docker exec -it` through the engine's terminal:session stream, against the rig's Docker engine, in
// containers this file starts and removes itself.

const PROJECT = 'pilothouse-itest-term';
const EP = 'docker/env';
const rid = (service: string) => `${EP}/${PROJECT}/${service}`;
const host = testDockerHost();
let docker: Docker;
let engine: Engine;
let client: Client;

async function removeOurs(): Promise<void> {
  const cs = await docker.listContainers({ all: true, filters: JSON.stringify({ name: [`${PROJECT}-`] }) });
  await Promise.all(cs.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

beforeAll(async () => {
  docker = dockerClient(host);
  await docker.ping().catch((e) => { throw new Error(`no Docker engine at ${host} (${e.message}): start one with 'npm run rig -- up docker'`); });
  await ensureTestImage(docker);
  await removeOurs();
  await runContainer(docker, { name: `${PROJECT}-shell-1`, project: PROJECT, service: 'shell', cmd: ['sh', '-c', 'while true; do sleep 1; done'] });
  await runContainer(docker, { name: `${PROJECT}-done-1`, project: PROJECT, service: 'done', cmd: ['sh', '-c', 'exit 4'] });
  engine = new Engine({ dataDir: mkdtempSync(path.join(tmpdir(), 'ph-data-')), env: { DOCKER_HOST: host }, home: mkdtempSync(path.join(tmpdir(), 'ph-home-')) });
  await engine.start();
  client = connectInProcess(engine.handlers());
}, 60_000);

afterAll(async () => {
  client?.close();
  engine?.stop();
  if (docker) await removeOurs();
});

interface Term { opened: () => boolean; sub: Subscription<unknown>; text: () => string; end: () => Extract<TerminalItem, { t: 'end' }> | undefined; closed: () => boolean; error: () => PilothouseError | undefined }

function terminal(resource: string, extra: { command?: string[]; cols?: number; rows?: number } = {}, autoAck = true): Term {
  let text = '';
  let end: Extract<TerminalItem, { t: 'end' }> | undefined;
  let closed = false;
  let opened = false;
  let error: PilothouseError | undefined;
  const sub = client.subscribe('terminal:session', { resource, cols: 80, rows: 24, ...extra }, {
    onBatch: (items) => {
      let shown = 0;
      for (const i of items) if (i.t === 'data') { text += i.data; shown += i.data.length; } else if (i.t === 'open') opened = true; else end = i;
      if (shown && autoAck) sub.send({ ack: shown });
    },
    onEnd: (e) => { closed = true; error = e; },
  });
  return { opened: () => opened, sub: sub as Subscription<unknown>, text: () => text, end: () => end, closed: () => closed, error: () => error };
}

/** The lines a terminal showed, without the echo of what was typed (which contains the command itself). */
const line = (t: Term, re: RegExp) => t.text().split(/\r?\n/).some((l) => re.test(l));

describe('terminals in containers of the rig’s Docker engine', () => {
  it('marks a running container as having a terminal, and an exited one as not', async () => {
    await until('both resources', () => engine.list().some((r) => r.id === rid('shell')) && engine.list().some((r) => r.id === rid('done')));
    expect(engine.find(rid('shell')).terminal).toBe(true);
    await until('done to have exited', () => engine.find(rid('done')).facts.state.startsWith('exited'));
    expect(engine.find(rid('done')).terminal).toBeUndefined();
  });

  it('opens a shell: runs what is typed, UTF-8 intact, the pty at the asked size and then resized, and the exit code', async () => {
    const t = terminal(rid('shell'));
    t.sub.send({ input: 'echo $((6*7))\r' });
    await until('42 alone on a line', () => line(t, /^42$/));
    t.sub.send({ input: "printf 'caf\\303\\251\\n'\r" });
    await until('café', () => line(t, /^café$/));
    expect(t.text()).not.toContain('\uFFFD');
    t.sub.send({ input: 'stty size\r' });
    await until('the first size', () => line(t, /^24 80$/));
    t.sub.send({ resize: { cols: 132, rows: 43 } });
    t.sub.send({ input: 'stty size\r' });
    await until('the new size', () => line(t, /^43 132$/));
    t.sub.send({ input: 'exit 7\r' });
    await until('the end', () => t.closed());
    expect(t.error()).toBeUndefined();
    expect(t.end()).toEqual({ t: 'end', exitCode: 7, reason: 'exited with code 7' });
  });

  it('runs an argument list as given, each argument literal', async () => {
    const t = terminal(rid('shell'), { command: ['sh', '-c', 'echo "$1 $((6*7))"; exit 3', 'sh', "it's $(nope)"] });
    await until('the end', () => t.closed());
    expect(t.opened()).toBe(true);
    expect(t.text()).toBe("it's $(nope) 42\r\n");
    expect(t.end()).toEqual({ t: 'end', exitCode: 3, reason: 'exited with code 3' });
  });

  it('holds a flooding program while the client is a window behind, and loses nothing once it acks', async () => {
    const total = 3_000_000;
    const t = terminal(rid('shell'), { command: ['sh', '-c', `head -c ${total} /dev/zero | tr '\\0' x; echo; echo flood-done`] }, false);
    await until('a window of output', () => t.text().length >= TERMINAL_WINDOW);
    // The exec's stream is paused, so the program blocks on its writes: it is still there to be seen.
    const top = async (): Promise<string[]> => ((await docker.getContainer(`${PROJECT}-shell-1`).top()).Processes ?? []).map((p: string[]) => p.join(' '));
    expect((await top()).some((p) => p.includes(`head -c ${total}`))).toBe(true);
    expect(t.text().length).toBeLessThan(total);
    let acked = 0;
    await until('the end', () => {
      if (t.text().length > acked) { t.sub.send({ ack: t.text().length - acked }); acked = t.text().length; }
      return t.closed();
    }, 60_000, 20);
    expect(t.end()).toEqual({ t: 'end', exitCode: 0, reason: 'exited with code 0' });
    expect(t.text()).toBe(`${'x'.repeat(total)}\r\nflood-done\r\n`);
  });

  it('ends the program in the container when the stream is closed', async () => {
    const marker = `${Date.now() % 100000 + 100000}`;   // a sleep nobody else runs
    const t = terminal(rid('shell'), { command: ['sleep', marker] });
    const sleeping = async () => ((await docker.getContainer(`${PROJECT}-shell-1`).top()).Processes ?? []).some((p: string[]) => p.join(' ').includes(`sleep ${marker}`));
    await until('the sleep to run', sleeping);
    t.sub.close();
    await until('the sleep to be gone', async () => !(await sleeping()));
    expect(engine.terminals.size).toBe(0);
  });

  it('says why an exited container has no terminal, and names a resource that has none', async () => {
    const t = terminal(rid('done'));
    await until('the refusal', () => t.closed());
    expect(t.opened()).toBe(false);
    expect(t.error()?.code).toBe('conflict');
    expect(t.error()?.message).toBe(`no terminal in ${PROJECT}-done-1: the container is exited (code 4), not running`);
    const none = terminal('no-such-resource-anywhere');
    await until('the refusal', () => none.closed());
    expect(none.error()?.code).toBe('not-found');
  });
});
