import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import * as path from 'node:path';

// A CPU profile of one step of the engine, taken from inside its own process with the inspector so that
// only that step is in it (node --cpu-prof would profile start-up and the whole run). The .cpuprofile
// opens in Chrome's DevTools; the summary names the frames where the time went.

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] }

export interface TopFrame { frame: string; selfMs: number; share: number }

let session: Session | undefined;

export async function startProfile(): Promise<void> {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}

export async function stopProfile(file: string, top = 12): Promise<TopFrame[]> {
  if (!session) return [];
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  session = undefined;
  writeFileSync(file, JSON.stringify(profile));
  return topFrames(profile, top);
}

/** Self time per function (summed over every place it is called from), biggest first. */
export function topFrames(p: CpuProfile, top = 12): TopFrame[] {
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  // A sample's time is the delta to the next sample.
  for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) ?? 0) + (deltas[i + 1] ?? 0));
  const byFrame = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const us = self.get(n.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = n.callFrame;
    // Line numbers of tsx-compiled modules are those of the generated code; only named frames say much.
    const where = url ? `${path.relative(process.cwd(), url.replace(/^file:\/\//, ''))}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFrame.set(key, (byFrame.get(key) ?? 0) + us);
  }
  return [...byFrame]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, share: total ? us / total : 0 }));
}
