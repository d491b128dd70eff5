import { describe, expect, it } from 'vitest';
import { execCommand, readPidLine } from '../../core/planes/docker/exec';

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
