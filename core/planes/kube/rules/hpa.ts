import type { KubeEvent, KubeHPA } from '../objects';
import type { HpaMetric } from '../hpa-objects';
import { clip, info, warn, type Finding } from './common';
import { eventTime } from './events';

/** Lines of an autoscaler's scaling history on its workload. */
export const SCALING_EVENT_LINES = 5;

const resourceLabel = (name: string) => (name === 'cpu' ? 'CPU' : name);

/** "CPU", "memory (container app)", "requests_per_second": what a metric measures, as the operator says it. */
export function metricLabel(m: HpaMetric): string {
  return `${resourceLabel(m.name)}${m.container ? ` (container ${m.container})` : ''}`;
}

export const metricKnown = (m: HpaMetric) => m.currentUtilization !== undefined || m.currentValue !== undefined;

/** "CPU 42% of 70% target", "memory 300Mi of 400Mi target", "CPU unknown of 70% target". */
export function metricLine(m: HpaMetric): string {
  const pct = m.targetType === 'Utilization';
  const target = m.target === undefined ? 'no target' : `${m.target}${pct ? '%' : ''} target`;
  const current = pct ? (m.currentUtilization !== undefined ? `${m.currentUtilization}%` : undefined) : m.currentValue;
  return `${metricLabel(m)} ${current ?? 'unknown'} of ${target}`;
}

/**
 * Why the HPA has no current figure, from what its controller wrote (the ScalingActive condition, else its
 * latest metric warning): metrics.k8s.io not served at all, served but not answering, no figures yet for
 * the pods, or no request on a container to take a percentage of. Undefined when it does not say.
 */
export function unknownWhy(h: KubeHPA, events: readonly KubeEvent[] = []): string | undefined {
  const cond = h.conditions.find((c) => c.type === 'ScalingActive' && c.status === 'False');
  const latest = [...events]
    .filter((e) => e.type === 'Warning' && /^Failed(Get|Compute)/.test(e.reason))
    .sort((a, b) => (eventTime(b) ?? 0) - (eventTime(a) ?? 0))[0];
  const msg = cond?.message ?? latest?.message;
  if (!msg) return undefined;
  const missing = /missing request for (\w+)(?: in container (\S+) of Pod (\S+))?/.exec(msg);
  if (missing) {
    const where = missing[2] ? ` on container ${missing[2]} of pod ${missing[3]}` : '';
    return `no ${resourceLabel(missing[1])} request set${where}: utilization is a percentage of the pods' requests`;
  }
  if (/could not find the requested resource \(get pods\.metrics\.k8s\.io\)|no matches for kind|the server could not find the requested resource/.test(msg)) {
    return 'metrics.k8s.io is not served in this cluster (no metrics-server registered)';
  }
  if (/unable to handle the request|ServiceUnavailable|service unavailable|no endpoints available|connection refused|i\/o timeout|context deadline exceeded/i.test(msg)) {
    // The innermost cause: the text after the last "…: " ("the server is currently unable to handle the request").
    return `metrics-server is registered but not answering (${clip(msg.slice(msg.lastIndexOf(': ') + 2), 160)})`;
  }
  if (/did not receive metrics for targeted pods|no metrics returned from resource metrics API|no recommendation/.test(msg)) {
    return 'metrics-server has no figures for these pods yet (new pods, or not scraped yet)';
  }
  return clip(msg, 200);
}

/** The autoscaler's scaling history: its own events, newest first ("17:02:11Z SuccessfulRescale: New size: 3; …"). */
export function scalingEvents(events: readonly KubeEvent[]): string | undefined {
  const lines = [...events]
    .sort((a, b) => (eventTime(b) ?? 0) - (eventTime(a) ?? 0))
    .slice(0, SCALING_EVENT_LINES)
    .map((e) => `${e.lastTime ?? e.firstTime ?? ''} ${e.type === 'Warning' ? 'Warning ' : ''}${e.reason}${e.count > 1 ? ` ×${e.count}` : ''}: ${clip(e.message, 200)}`);
  return lines.length ? lines.join('\n') : undefined;
}

export interface HpaView { facts: Record<string, string>; reasons: Finding[] }

/**
 * An HPA as its workload shows it: replicas now and wanted within min–max, each metric against its
 * target, why a figure is unknown, and its recent scaling events. `events` are the events about it.
 */
export function hpaView(h: KubeHPA, events: readonly KubeEvent[], ref?: string): HpaView {
  const facts: Record<string, string> = {};
  const reasons: Finding[] = [];
  const metrics = h.metrics ?? [];
  const unknown = metrics.filter((m) => !metricKnown(m));
  // With no metric read, the controller writes desiredReplicas 0: not a wish to scale to zero.
  const wants = unknown.length === metrics.length && metrics.length && !h.desiredReplicas ? '?' : h.desiredReplicas ?? '?';
  facts.autoscaler = `${h.meta.name}: ${h.minReplicas ?? 1}–${h.maxReplicas} replicas, now ${h.currentReplicas ?? '?'}, wants ${wants}`;
  if (metrics.length) facts['autoscaler metrics'] = metrics.map(metricLine).join(', ');
  const history = scalingEvents(events);
  if (history) facts['autoscaler events'] = history;
  if (unknown.length) {
    const why = unknownWhy(h, events) ?? 'the autoscaler has not read it yet';
    const what = unknown.map(metricLine).join(', ');
    facts['autoscaler unknown'] = why;
    reasons.push(warn(`autoscaler ${h.meta.name} cannot read ${what}: ${why}; it does not scale on it`, ref));
  } else {
    const active = h.conditions.find((c) => c.type === 'ScalingActive');
    if (active?.status === 'False') reasons.push(warn(`autoscaler ${h.meta.name} is not scaling (${active.reason ?? 'ScalingActive False'})${active.message ? `: ${clip(active.message, 200)}` : ''}`, ref));
  }
  const able = h.conditions.find((c) => c.type === 'AbleToScale');
  if (able?.status === 'False') reasons.push(warn(`autoscaler ${h.meta.name} cannot scale ${h.target.kind}/${h.target.name} (${able.reason ?? 'AbleToScale False'})${able.message ? `: ${clip(able.message, 200)}` : ''}`, ref));
  const limited = h.conditions.find((c) => c.type === 'ScalingLimited');
  if (limited?.status === 'True' && limited.reason === 'TooManyReplicas') {
    reasons.push(info(`autoscaler ${h.meta.name} is held at its maximum of ${h.maxReplicas} replicas${metrics.length ? ` (${metrics.map(metricLine).join(', ')})` : ''}`, ref));
  }
  return { facts, reasons };
}
