import type { Browser, Page } from 'playwright-core';

// A Chromium trace of the page during the updates, reduced to what the long tasks were made of: for every
// main-thread task over 50 ms, the time of each kind of event in it (script, style, layout, paint, GC),
// counted once (self time), summed over the tasks.

interface TraceEvent { name: string; cat: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: { name?: string; data?: { url?: string; functionName?: string } } }

export interface TaskSummary { tasks: number; longest: number; totalMs: number; parts: Array<{ name: string; ms: number }> }

export async function traceLongTasks(browser: Browser, page: Page, during: () => Promise<void>, longMs = 50): Promise<TaskSummary> {
  await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'blink.user_timing'] });
  await during();
  const buf = await browser.stopTracing();
  const events = (JSON.parse(buf.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain'
    && events.some((x) => x.pid === e.pid && x.name === 'FunctionCall'));
  if (!main) return { tasks: 0, longest: 0, totalMs: 0, parts: [] };
  const on = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const tasks = on.filter((e) => (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && e.dur! > longMs * 1000);
  const parts = new Map<string, number>();
  let totalMs = 0;
  for (const t of tasks) {
    totalMs += t.dur! / 1000;
    const inside = on.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur! <= t.ts + t.dur!);
    // Self time: an event's duration minus its direct children's.
    const stack: Array<{ e: TraceEvent; child: number }> = [];
    const close = (upTo: number) => {
      while (stack.length && stack[stack.length - 1].e.ts + stack[stack.length - 1].e.dur! <= upTo) {
        const { e, child } = stack.pop()!;
        const label = e.name === 'FunctionCall' && e.args?.data?.functionName ? `FunctionCall ${e.args.data.functionName}` : e.name;
        parts.set(label, (parts.get(label) ?? 0) + (e.dur! - child) / 1000);
        if (stack.length) stack[stack.length - 1].child += e.dur!;
      }
    };
    let childOfTask = 0;
    for (const e of inside) {
      close(e.ts);
      if (!stack.length) childOfTask += e.dur!;
      stack.push({ e, child: 0 });
    }
    close(Infinity);
    parts.set('(task, unattributed)', (parts.get('(task, unattributed)') ?? 0) + (t.dur! - childOfTask) / 1000);
  }
  return {
    tasks: tasks.length, totalMs, longest: Math.max(0, ...tasks.map((t) => t.dur! / 1000)),
    parts: [...parts].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms).slice(0, 12),
  };
}
