import { fork } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDockerHost } from '../support/docker-fixtures';

const REPO = path.resolve(import.meta.dirname, '../..');
const MB = 1024 * 1024;

interface Sample { at: string; rss: number; heap: number; heapTotal: number; external: number; lines?: number; repeated?: number; missing?: number; seconds?: number; follows?: number }

/** The engine in a process of its own, forked with --expose-gc, so its memory is read after full collections. */
function measure(follows: number, lines: number): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const out: Sample[] = [];
    let buf = '';
    const child = fork(path.join(REPO, 'bench/logs-memory-child.ts'), ['docker', String(follows), String(lines)], {
      execArgv: ['--expose-gc', '--import', 'tsx'], env: { ...process.env, DOCKER_HOST: testDockerHost() }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) { out.push(JSON.parse(buf.slice(0, nl))); buf = buf.slice(nl + 1); }
    });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`the engine process exited ${code} after ${JSON.stringify(out.at(-1))}`))));
  });
}

describe('memory of followed logs (real Docker)', () => {
  it('returns to within 20 MB of where it started after five 500,000-line follows', async () => {
    const s = await measure(5, 500_000);
    const start = s[0], end = s.find((x) => x.at === 'end')!;
    const followed = s.filter((x) => x.at.startsWith('followed'));
    console.log(s.map((x) => `${x.at}: rss ${(x.rss / MB).toFixed(0)} MB, heap ${(x.heap / MB).toFixed(1)} MB of ${(x.heapTotal / MB).toFixed(0)}, external ${(x.external / MB).toFixed(1)} MB${x.lines ? `, ${x.lines} lines in ${x.seconds} s` : ''}`).join('\n'));
    expect(followed).toHaveLength(5);
    // Every line once: Docker 20.10 itself repeats some when a followed log rotates (resume.ts, StreamOrder).
    expect(followed.map((x) => [x.lines, x.repeated, x.missing])).toEqual(followed.map(() => [500_001, 0, 0]));
    // What the engine holds (V8 heap and buffers outside it, after full collections) is back where it was.
    expect(end.follows).toBe(0);
    expect((end.heap + end.external - start.heap - start.external) / MB).toBeLessThan(20);
    // And the process does not keep growing follow after follow. The old engine kept +50 to +65 MB per
    // follow. RSS during a burst is the allocator's business: on a loaded CI runner it rose 166 → 204 MB
    // over follows 1–5 with the heap flat at 24.5 MB and fell to 123 MB once idle (below its start, 144).
    // So the bound is per follow and far under the old engine's; what is retained is checked above and below.
    expect((end.rss - followed[0].rss) / MB / (followed.length - 1)).toBeLessThan(25);
    // Once idle, the process gives back what it grew into: RSS within 20 MB of where it started.
    const idle = s.find((x) => x.at === 'idle')!;
    expect((idle.rss - start.rss) / MB).toBeLessThan(20);
  }, 600_000);
});
