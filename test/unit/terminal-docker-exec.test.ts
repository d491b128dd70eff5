import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { execCommand, execSession, readPidLine, type ExecTarget } from '../../core/planes/docker/exec';
import { until } from '../support/wait';

describe('docker exec terminals', () => {
  it('starts every exec by printing its pid, then runs the argument list as one argv or the best shell', () => {
    expect(execCommand(['psql', '-U', "o'brien; rm -rf /"])).toEqual(['/bin/sh', '-c', 'echo $$; exec "$@"', 'sh', 'psql', '-U', "o'brien; rm -rf /"]);
    expect(execCommand()).toEqual(['/bin/sh', '-c', 'echo $$; if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi']);
    expect(execCommand([])).toEqual(execCommand());
  });

  it('reads the pid line off the front of the output and hands on the rest', () => {
    expect(readPidLine(Buffer.from('4242\r\n/ # '))).toEqual({ pid: 4242, rest: Buffer.from('/ # ') });
    expect(readPidLine(Buffer.from('7\n'))).toEqual({ pid: 7, rest: Buffer.alloc(0) });
    expect(readPidLine(Buffer.from('42'))).toBeUndefined();          // more to come
    expect(readPidLine(Buffer.from('42\r'))).toBeUndefined();
  });

  it('shows a first line that is not a pid as output, whole', () => {
    const failed = Buffer.from('sh: exec: nope: not found\r\n');
    expect(readPidLine(failed)).toEqual({ rest: failed });
    const long = Buffer.from('x'.repeat(40));                         // no newline, longer than any pid line
    expect(readPidLine(long)).toEqual({ rest: long });
    const utf8 = Buffer.from('é\r\n');                                 // bytes are handed on untouched
    expect(readPidLine(utf8)!.rest.toString('utf8')).toBe('é\r\n');
  });
});

describe('a docker exec session before its pid line', () => {
  const target = { engineId: 'docker/x', containerId: 'c1', containerName: 'web-1' } as unknown as ExecTarget;
  const exec = { resize: async () => undefined, inspect: async () => ({ Running: false, ExitCode: 0 }) } as never;
  function fakeStream() {
    const written: string[] = [];
    const stream = new Duplex({ read() {}, write(chunk: Buffer, _enc, cb) { written.push(chunk.toString()); cb(); } });
    return { stream, written };
  }

  it('holds keys until the pid line, then sends them and shows what follows it', async () => {
    const { stream, written } = fakeStream();
    const s = execSession(exec, stream, target, { cols: 80, rows: 24 }, () => undefined, 60_000);
    const shown: string[] = [];
    s.onData((b) => shown.push(b.toString()));
    s.write('ls\r');
    await new Promise((r) => setImmediate(r));
    expect(written).toEqual([]);
    stream.push('4242\r\n/ # ');
    await new Promise((r) => setImmediate(r));
    expect(written).toEqual(['ls\r']);
    expect(shown.join('')).toBe('/ # ');
    s.close();
  });

  it('a pid line that never comes holds nothing for ever: after the wait the keys go and the output shows', async () => {
    const { stream, written } = fakeStream();
    const s = execSession(exec, stream, target, { cols: 80, rows: 24 }, () => undefined, 50);
    const shown: string[] = [];
    s.onData((b) => shown.push(b.toString()));
    s.write('\r');
    stream.push('/ # ');
    await new Promise((r) => setTimeout(r, 20));
    expect(written).toEqual([]);
    await until('the held key sent', () => written.length === 1, 2_000, 10);
    expect(written).toEqual(['\r']);
    expect(shown.join('')).toBe('/ # ');
    stream.push('\r\n/ # ');
    await until('later output shown', () => shown.join('') === '/ # \r\n/ # ', 2_000, 10);
    s.close();
  });
});
