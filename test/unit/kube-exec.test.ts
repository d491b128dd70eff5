import { describe, expect, it } from 'vitest';
import { Channel, closeStdinFrame, execStatus, frame, parseFrame, resizeFrame, stripPortPrefix } from '../../core/planes/kube/channels';
import { execArgv, execPath, exitOf } from '../../core/planes/kube/exec';
import { execContainer, hasTerminal, podOf } from '../../core/planes/kube/pod-target';
import type { ModelObject } from '../../core/model/object';
import type { KubePod } from '../../core/planes/kube/objects';

function pod(name: string, opts: { ready?: boolean; phase?: string; running?: boolean; containers?: string[]; deleting?: boolean; ports?: number[] } = {}): ModelObject<KubePod> {
  const containers = opts.containers ?? ['main'];
  const running = opts.running ?? true;
  return {
    plane: 'kube', endpoint: 'kube/c', kind: 'Pod', ns: 'ns', name,
    data: {
      meta: { name, ns: 'ns', uid: name, resourceVersion: '1', labels: {}, annotations: {}, owners: [], ...(opts.deleting && { deletionTimestamp: '2026-01-01T00:00:00Z' }) },
      phase: opts.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
      containers: containers.map((c) => ({ name: c, image: 'img', ports: (opts.ports ?? []).map((p) => ({ containerPort: p, protocol: 'TCP' })) })),
      initContainers: [],
      containerStatuses: containers.map((c) => ({ name: c, image: 'img', ready: opts.ready !== false, restartCount: 0, state: running ? { kind: 'running' as const } : { kind: 'waiting' as const, reason: 'CrashLoopBackOff' } })),
      initContainerStatuses: [],
      claims: [],
    },
  };
}

describe('the channel protocol (v4/v5.channel.k8s.io)', () => {
  it('frames a channel byte before the bytes, and reads it back', () => {
    const f = frame(Channel.stdin, 'ls\r');
    expect([...f]).toEqual([0, 0x6c, 0x73, 0x0d]);
    expect(parseFrame(frame(Channel.stdout, Buffer.from('héllo')))).toEqual({ channel: 1, data: Buffer.from('héllo') });
    expect(parseFrame(Buffer.alloc(0))).toBeUndefined();
  });

  it('resize is JSON on channel 4 with Width and Height; v5 closes stdin with 255 0', () => {
    const r = parseFrame(resizeFrame(120, 40))!;
    expect(r.channel).toBe(4);
    expect(JSON.parse(r.data.toString())).toEqual({ Width: 120, Height: 40 });
    expect([...closeStdinFrame()]).toEqual([255, 0]);
  });

  it('reads the exit status: Success is 0, NonZeroExitCode its cause, any other failure in words', () => {
    expect(execStatus('{"metadata":{},"status":"Success"}')).toEqual({ exitCode: 0 });
    expect(execStatus(JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', message: 'command terminated with non-zero exit code', details: { causes: [{ reason: 'ExitCode', message: '3' }] } }))).toEqual({ exitCode: 3 });
    expect(execStatus(JSON.stringify({ status: 'Failure', reason: 'InternalError', message: 'exec: "bash": executable file not found in $PATH' }))).toEqual({ exitCode: null, message: 'exec: "bash": executable file not found in $PATH' });
    expect(execStatus('not json')).toEqual({ exitCode: null, message: 'not json' });
  });

  it('takes the exit code from a runtime that wraps it in an InternalError ("exit status N", as kwok does)', () => {
    const kwok = JSON.stringify({ status: 'Failure', reason: 'InternalError', message: 'Internal error occurred: error executing command in container: cmd wait: /bin/sh -c exit 3: exit status 3' });
    expect(exitOf(kwok)).toEqual({ exitCode: 3 });
  });

  it('port-forward: the 2-byte port prefix of a channel is dropped even when split across messages', () => {
    const st = { seen: 0 };
    expect([...stripPortPrefix(st, Buffer.from([0x38]))]).toEqual([]);
    expect(stripPortPrefix(st, Buffer.from([0x15, 0x41, 0x42])).toString()).toBe('AB');
    expect(stripPortPrefix(st, Buffer.from('CD')).toString()).toBe('CD');
  });
});

describe('the exec call', () => {
  it('sends each argument as its own command= (never one shell string), with stdin and a TTY', () => {
    const p = execPath('extralit', 'main-db-0', 'postgresql', ['psql', '-c', "select 'a b'; drop"]);
    const u = new URL(`https://x${p}`);
    expect(u.pathname).toBe('/api/v1/namespaces/extralit/pods/main-db-0/exec');
    expect(u.searchParams.getAll('command')).toEqual(['psql', '-c', "select 'a b'; drop"]);
    expect(Object.fromEntries([...u.searchParams].filter(([k]) => k !== 'command'))).toEqual({ container: 'postgresql', stdin: 'true', stdout: 'true', stderr: 'false', tty: 'true' });
  });

  it('defaults to a shell: bash where the image has it, else sh', () => {
    expect(execArgv()).toEqual(['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi']);
    expect(execArgv(['top'])).toEqual(['top']);
  });
});

describe('which pod and container a terminal opens in', () => {
  it("a workload's first Ready pod by name; else a running one that is not Ready; none when nothing runs", () => {
    expect(podOf([pod('b'), pod('a', { ready: false }), pod('c')])?.meta.name).toBe('b');
    expect(podOf([pod('b', { ready: false }), pod('a', { running: false, ready: false })])?.meta.name).toBe('b');
    expect(podOf([pod('a', { running: false, ready: false }), pod('z', { deleting: true })])).toBeUndefined();
    expect(hasTerminal([pod('a', { running: false, ready: false })])).toBe(false);
    expect(hasTerminal([pod('a')])).toBe(true);
  });

  it('the asked container, else the first; a missing or stopped one refused with the names it has', () => {
    const p = pod('web', { containers: ['app', 'sidecar'] }).data;
    expect(execContainer(p)).toEqual({ container: 'app' });
    expect(execContainer(p, 'sidecar')).toEqual({ container: 'sidecar' });
    expect(execContainer(p, 'db')).toEqual({ error: 'pod web has no container "db" (it has app, sidecar)' });
    expect(execContainer(pod('x', { running: false }).data)).toEqual({ error: 'container main of pod x is CrashLoopBackOff, not running' });
  });
});
