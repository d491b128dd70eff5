import type { KubeEvent, KubePod } from '../objects';
import { ago, clip, parseTime, plural, warn, type Finding } from './common';

/** A Warning event older than this is history (the timeline), not a reason. */
export const EVENT_WINDOW_MS = 15 * 60_000;
/** Reasons from events per resource: the rest is in the timeline. */
const MAX_EVENT_REASONS = 5;
/** Lines of the per-resource events timeline. */
export const TIMELINE_LINES = 10;

/** What an event reason means for the operator, in front of the event's own message. */
const MEANING: Record<string, string> = {
  FailedMount: 'a volume cannot be mounted',
  FailedAttachVolume: 'a volume cannot be attached',
  FailedScheduling: 'cannot be scheduled',
  BackOff: 'restarting with back-off',
  Unhealthy: 'a probe fails',
  FailedCreate: 'the controller cannot create a pod',
  ProvisioningFailed: 'no volume can be provisioned',
  FailedBinding: 'the claim cannot be bound',
  Evicted: 'evicted',
  FailedKillPod: 'a container cannot be stopped',
  NodeNotReady: 'its node is not ready',
};

export const eventTime = (e: KubeEvent) => parseTime(e.lastTime) ?? parseTime(e.firstTime) ?? parseTime(e.meta.creationTimestamp);

export interface EventFindings { reasons: Finding[]; recheckAt?: number }

/**
 * Recent Warning events as warnings ("a probe fails (×12, last 2 min ago): Readiness probe failed: …"),
 * newest first, one per reason and message. They expire after EVENT_WINDOW_MS, so recheckAt is set.
 */
export function warningEvents(events: readonly { e: KubeEvent; ref: string }[], now: number): EventFindings {
  const recent = events
    .filter(({ e }) => e.type === 'Warning')
    .map((x) => ({ ...x, t: eventTime(x.e) }))
    .filter((x): x is typeof x & { t: number } => x.t !== undefined && now - x.t < EVENT_WINDOW_MS)
    .sort((a, b) => b.t - a.t);
  const seen = new Set<string>();
  const reasons: Finding[] = [];
  let recheckAt: number | undefined;
  for (const { e, ref, t } of recent) {
    const key = `${e.reason}\0${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (reasons.length === MAX_EVENT_REASONS) break;
    const a = ago(t, now);
    const meaning = MEANING[e.reason];
    const head = meaning ? `${meaning} (${e.reason}` : `${e.reason} (`;
    const count = e.count > 1 ? `×${e.count}, last ` : '';
    reasons.push(warn(`${head}${meaning ? ', ' : ''}${count}${a.text}${e.involved.kind === 'Pod' ? ` on pod ${e.involved.name}` : ''}): ${clip(e.message)}`, ref));
    recheckAt = Math.min(recheckAt ?? Infinity, a.changesAt, t + EVENT_WINDOW_MS);
  }
  return { reasons, recheckAt };
}

/**
 * The events timeline of a resource, newest first, as one fact: `14:02:11Z Warning BackOff ×12
 * Pod/langfuse-6d…: Back-off restarting failed container`. A fact keeps the row small: only the full
 * level carries it, and only the last TIMELINE_LINES events.
 */
export function eventsTimeline(events: readonly KubeEvent[]): string | undefined {
  if (!events.length) return undefined;
  const sorted = [...events].sort((a, b) => (eventTime(b) ?? 0) - (eventTime(a) ?? 0));
  const lines = sorted.slice(0, TIMELINE_LINES).map((e) => {
    const t = e.lastTime ?? e.firstTime ?? '';
    const count = e.count > 1 ? ` ×${e.count}` : '';
    return `${t} ${e.type} ${e.reason}${count} ${e.involved.kind}/${e.involved.name}: ${clip(e.message, 200)}`;
  });
  if (sorted.length > TIMELINE_LINES) lines.push(`… ${plural(sorted.length - TIMELINE_LINES, 'older event')}`);
  return lines.join('\n');
}

/**
 * A warning the pod's state has since answered: FailedScheduling once it has a node; any warning older
 * than the pod's last turn to Ready. Without this, a pod that waited for its claim at start-up would
 * carry "cannot be scheduled" for a quarter of an hour while running fine.
 */
export function resolvedBy(e: KubeEvent, pod: KubePod | undefined): boolean {
  if (!pod) return false;
  if (e.reason === 'FailedScheduling') return !!pod.nodeName;
  const ready = pod.conditions.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return false;
  const readySince = parseTime(ready.lastTransitionTime), at = eventTime(e);
  return readySince !== undefined && at !== undefined && at <= readySince;
}
