import type { RuntimeStatus } from '../../../../shared/contract/domain';
import type { Derived, DeriveContext, ModelObject, PlaneRules } from '../../../model/object';
import type {
  KubeCronJob, KubeDaemonSet, KubeDeployment, KubeEndpointSlice, KubeEvent, KubeHPA, KubeJob, KubeMeta, KubeNode,
  KubePod, KubePV, KubePVC, KubeReplicaSet, KubeService, KubeStatefulSet, KubeStorageClass,
} from '../objects';
import { kubeActionSpecs } from '../actions-specs';
import { bindKube, podOwner } from './bind';
import { bySeverity, earliest, err, info, warn, worse, type Finding, type Health } from './common';
import { eventsTimeline, resolvedBy, warningEvents } from './events';
import { hpaView } from './hpa';
import { usageFacts } from './usage';
import { groupOf, parseResourceId, refOf, resourceId, type ParsedId, type ResourceKind } from './ids';
import { nodeFacts, nodeHealth } from './nodes';
import { hasTerminal } from '../pod-target';
import { PORT_FORWARD_KIND, derivePortForward, portForwardSpecs, type PortForwardData } from '../port-forward-rules';
import { containersFact } from './containers';
import { podHealth } from './pod-health';
import { podStatusText, readyText, totalRestarts } from './pod-status';
import { claimLine, classLine, explainClaim, explainPV, pvLine, storageOverview, type StorageScene } from './storage';
import { cronJobStatus, daemonSetRollout, deploymentRollout, jobStatus, statefulSetRollout, type Rollout } from './workloads';

/** Resources whose pods an exec terminal reaches (a Service's pods are not its own objects). */
const TERMINAL_KINDS: ReadonlySet<ResourceKind> = new Set(['pod', 'deployment', 'statefulset', 'daemonset', 'replicaset', 'job']);

/** Pods whose reasons a workload repeats; the rest are one line ("and 12 more pods"). */
const MAX_POD_REASONS = 6;

type Obj<T> = ModelObject<T>;
const of = <T>(objects: readonly ModelObject[], kind: string) => objects.filter((o) => o.kind === kind) as Obj<T>[];
const main = <T>(objects: readonly ModelObject[], kind: string, p: ParsedId) =>
  objects.find((o) => o.kind === kind && o.name === p.name && o.ns === p.ns) as Obj<T> | undefined;

/** Events about one of these objects (by kind and name); events bound by name only are checked here. */
function eventsAbout(objects: readonly ModelObject[], about: readonly ModelObject[]): Obj<KubeEvent>[] {
  const names = new Set(about.map((o) => `${o.kind}/${o.ns}/${o.name}`));
  // involvedObject.namespace is '' for cluster-scoped objects (nodes, PVs), whose events live in `default`.
  return of<KubeEvent>(objects, 'Event').filter((e) => names.has(`${e.data.involved.kind}/${e.data.involved.ns}/${e.data.involved.name}`));
}

/** Grouping hints an operator knows a stack by: the app instance and the Helm release. */
function appFacts(meta: KubeMeta, f: Record<string, string>): void {
  const instance = meta.labels['app.kubernetes.io/instance'];
  if (instance) f['app instance'] = instance;
  const release = meta.annotations['meta.helm.sh/release-name'] ?? (meta.labels['app.kubernetes.io/managed-by'] === 'Helm' ? instance : undefined) ?? meta.labels.release;
  if (release) f['helm release'] = release;
  const chart = meta.labels['helm.sh/chart'] ?? meta.labels.chart;
  if (chart) f.chart = chart;
}

const prefixed = (prefix: string, rs: readonly Finding[]) => rs.map((r) => ({ ...r, text: `${prefix}${r.text}` }));

interface Parts { runtime: RuntimeStatus; reasons: Finding[]; recheckAt?: number }

/** A workload's pods: their worst status and their problems, prefixed with the pod's name. */
function podsPart(pods: readonly Obj<KubePod>[], events: readonly Obj<KubeEvent>[], now: number): Parts {
  let runtime: RuntimeStatus = 'ok';
  let recheckAt: number | undefined;
  const problems: Finding[] = [];
  let extra = 0;
  // One pass over the events, not one per pod: a Deployment may hold thousands of pods.
  const byPod = new Map<string, KubeEvent[]>();
  for (const e of events) {
    if (e.data.involved.kind !== 'Pod') continue;
    const list = byPod.get(e.data.involved.name);
    if (list) list.push(e.data); else byPod.set(e.data.involved.name, [e.data]);
  }
  for (const p of [...pods].sort((a, b) => a.name.localeCompare(b.name))) {
    const h = podHealth({ pod: p.data, ref: refOf(p), events: byPod.get(p.name) ?? [], now });
    recheckAt = earliest(recheckAt, h.recheckAt);
    // A pod on its way out says nothing about the workload's health.
    if (p.data.meta.deletionTimestamp) continue;
    runtime = worse(runtime, h.runtime);
    const bad = h.reasons.filter((r) => r.severity !== 'info');
    if (!bad.length) continue;
    if (problems.length >= MAX_POD_REASONS) { extra++; continue; }
    problems.push(...prefixed(`pod ${p.name}: `, bad));
  }
  if (extra) problems.push(info(`and ${extra} more pod${extra === 1 ? '' : 's'} with problems`));
  return { runtime, reasons: problems, recheckAt };
}

function eventsPart(events: readonly Obj<KubeEvent>[], now: number, pods: readonly Obj<KubePod>[] = []): Parts {
  const byName = new Map(pods.map((p) => [p.name, p.data]));
  const open = events.filter((e) => e.data.involved.kind !== 'Pod' || !resolvedBy(e.data, byName.get(e.data.involved.name)));
  const w = warningEvents(open.map((e) => ({ e: e.data, ref: refOf(e) })), now);
  return { runtime: 'ok', reasons: w.reasons, recheckAt: w.recheckAt };
}

function combine(base: Rollout | Health, ...parts: Parts[]): Health {
  let runtime = base.runtime;
  let recheckAt = base.recheckAt;
  // The pods' own causes (CrashLoopBackOff, an image that cannot be pulled) before the workload's
  // count ("no replica available"): at equal severity the row shows the first, and the cause is what the
  // operator acts on.
  const errorsFirst: Finding[] = [];
  for (const p of parts) {
    // A workload rolling out is pending while its new pods start; a pod error still shows.
    // 'ok' adds nothing: it must not turn a claim or secret (not_applicable) into something that runs.
    if (p.runtime !== 'ok') runtime = p.runtime === 'pending' && runtime === 'ok' && 'rolling' in base && base.rolling ? runtime : worse(runtime, p.runtime);
    errorsFirst.push(...p.reasons);
    recheckAt = earliest(recheckAt, p.recheckAt);
  }
  errorsFirst.push(...base.reasons);
  return { runtime, reasons: bySeverity(errorsFirst), recheckAt };
}

function podImages(pods: readonly Obj<KubePod>[]): string | undefined {
  const images = new Set<string>();
  for (const p of pods) for (const c of p.data.containers) images.add(c.image);
  return images.size ? [...images].sort().join(', ') : undefined;
}

function selectorText(s: { matchLabels: Record<string, string> } | Record<string, string> | undefined): string | undefined {
  if (!s) return undefined;
  const labels = 'matchLabels' in s && typeof s.matchLabels === 'object' ? s.matchLabels as Record<string, string> : s as Record<string, string>;
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : undefined;
}

/** The workload's autoscaler (rules/hpa.ts) with the events about it (bound here by the HPA's name: bind.ts). */
function hpaFact(hpas: readonly Obj<KubeHPA>[], f: Record<string, string>, objects: readonly ModelObject[] = hpas): Finding[] {
  const h = hpas[0];
  if (!h) return [];
  const events = of<KubeEvent>(objects, 'Event').filter((e) => e.data.involved.kind === 'HorizontalPodAutoscaler' && e.data.involved.name === h.name).map((e) => e.data);
  const v = hpaView(h.data, events, refOf(h));
  Object.assign(f, v.facts);
  return v.reasons;
}

interface Built {
  health: Health; facts: Record<string, string>; children?: string[]; parent?: string; rolling?: boolean; kind: ResourceKind;
  /** When the current state began, as the API says (a condition's last transition). */
  since?: number;
}

/** The latest transition among conditions: when the object's current state began. */
function lastTransition(conditions: readonly { lastTransitionTime?: string }[]): number | undefined {
  let best: number | undefined;
  for (const c of conditions) { const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN; if (!Number.isNaN(t) && (best === undefined || t > best)) best = t; }
  return best;
}

function podChildren(ep: string, ns: string, pods: readonly Obj<KubePod>[]): string[] {
  return pods.map((p) => resourceId(ep, ns, 'pod', p.name)).sort();
}

function workloadFacts(meta: KubeMeta, pods: readonly Obj<KubePod>[], events: readonly Obj<KubeEvent>[], f: Record<string, string>) {
  appFacts(meta, f);
  const images = podImages(pods);
  if (images) f.images = images;
  const containers = containersFact(pods.map((p) => p.data));
  if (containers) f.containers = containers;
  const t = eventsTimeline(events.map((e) => e.data));
  if (t) f.events = t;
}

function deriveDeployment(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const d = main<KubeDeployment>(objects, 'Deployment', p);
  if (!d) return undefined;
  const pods = of<KubePod>(objects, 'Pod'), rss = of<KubeReplicaSet>(objects, 'ReplicaSet');
  const events = eventsAbout(objects, [d, ...pods, ...rss]);
  const rollout = deploymentRollout(d.data, refOf(d));
  const f: Record<string, string> = {};
  const s = d.data.status;
  f.replicas = `${s.readyReplicas}/${d.data.replicas} ready, ${s.updatedReplicas} up to date, ${s.availableReplicas} available`;
  if (d.data.strategy) f.strategy = d.data.strategy;
  const sel = selectorText(d.data.selector);
  if (sel) f.selector = sel;
  const rev = rss.map((r) => r.data.revision).filter(Boolean).sort((a, b) => Number(b) - Number(a))[0];
  if (rev) f.revision = rev;
  const hpa = hpaFact(of<KubeHPA>(objects, 'HorizontalPodAutoscaler'), f, objects);
  workloadFacts(d.data.meta, pods, events, f);
  const health = combine(rollout, podsPart(pods, events, now), { runtime: 'ok', reasons: hpa }, eventsPart(events, now, pods));
  return { kind: 'deployment', health, facts: f, children: podChildren(p.endpoint, p.ns, pods), rolling: rollout.rolling, since: lastTransition(d.data.status.conditions) };
}

/** The claims of a StatefulSet: `<template>-<name>-<ordinal>` for one of its claim templates. */
function ownClaims(st: KubeStatefulSet, claims: readonly Obj<KubePVC>[]): Obj<KubePVC>[] {
  const prefixes = st.volumeClaimTemplates.map((t) => `${t.name}-${st.meta.name}-`);
  return claims.filter((c) => prefixes.some((pre) => c.name.startsWith(pre) && /^\d+$/.test(c.name.slice(pre.length))));
}

function deriveStatefulSet(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const st = main<KubeStatefulSet>(objects, 'StatefulSet', p);
  if (!st) return undefined;
  const pods = of<KubePod>(objects, 'Pod');
  const claims = ownClaims(st.data, of<KubePVC>(objects, 'PersistentVolumeClaim'));
  const events = eventsAbout(objects, [st, ...pods, ...claims]);
  const rollout = statefulSetRollout(st.data, refOf(st));
  const scene: StorageScene = { endpoint: p.endpoint, claims: claims.map((c) => c.data), pvs: of<KubePV>(objects, 'PersistentVolume').map((v) => v.data), events: events.map((e) => e.data) };
  const claimParts: Parts = { runtime: 'ok', reasons: [] };
  for (const c of claims) {
    const h = explainClaim(c.data, scene);
    if (h.runtime !== 'not_applicable') claimParts.runtime = worse(claimParts.runtime, h.runtime);
    claimParts.reasons.push(...prefixed(`claim ${c.name}: `, h.reasons.filter((r) => r.severity !== 'info' || c.data.phase === 'Pending')));
  }
  const f: Record<string, string> = {};
  const s = st.data.status;
  f.replicas = `${s.readyReplicas}/${st.data.replicas} ready, ${s.updatedReplicas} up to date`;
  if (st.data.serviceName) f.service = st.data.serviceName;
  for (const c of claims) f[`claim ${c.name}`] = claimLine(c.data);
  const hpa = hpaFact(of<KubeHPA>(objects, 'HorizontalPodAutoscaler'), f, objects);
  workloadFacts(st.data.meta, pods, events, f);
  const health = combine(rollout, claimParts, podsPart(pods, events, now), { runtime: 'ok', reasons: hpa }, eventsPart(events, now, pods));
  const children = [...podChildren(p.endpoint, p.ns, pods), ...claims.map((c) => resourceId(p.endpoint, p.ns, 'pvc', c.name)).sort()];
  return { kind: 'statefulset', health, facts: f, children, rolling: rollout.rolling };
}

function deriveDaemonSet(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const ds = main<KubeDaemonSet>(objects, 'DaemonSet', p);
  if (!ds) return undefined;
  const pods = of<KubePod>(objects, 'Pod');
  const events = eventsAbout(objects, [ds, ...pods]);
  const rollout = daemonSetRollout(ds.data, refOf(ds));
  const s = ds.data.status;
  const f: Record<string, string> = { pods: `${s.numberReady}/${s.desiredNumberScheduled} ready, ${s.updatedNumberScheduled} up to date, ${s.numberAvailable} available` };
  workloadFacts(ds.data.meta, pods, events, f);
  return { kind: 'daemonset', health: combine(rollout, podsPart(pods, events, now), eventsPart(events, now, pods)), facts: f, children: podChildren(p.endpoint, p.ns, pods), rolling: rollout.rolling };
}

function deriveReplicaSet(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const rs = main<KubeReplicaSet>(objects, 'ReplicaSet', p);
  if (!rs) return undefined;
  const pods = of<KubePod>(objects, 'Pod');
  const events = eventsAbout(objects, [rs, ...pods]);
  const s = rs.data.status;
  const base: Health = s.readyReplicas < rs.data.replicas
    ? { runtime: s.readyReplicas === 0 ? 'error' : 'warning', reasons: [(s.readyReplicas === 0 ? err : warn)(`${s.readyReplicas} of ${rs.data.replicas} replicas ready`, refOf(rs))] }
    : { runtime: 'ok', reasons: [] };
  const f: Record<string, string> = { replicas: `${s.readyReplicas}/${rs.data.replicas} ready` };
  workloadFacts(rs.data.meta, pods, events, f);
  return { kind: 'replicaset', health: combine(base, podsPart(pods, events, now), eventsPart(events, now, pods)), facts: f, children: podChildren(p.endpoint, p.ns, pods) };
}

function deriveJob(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const j = main<KubeJob>(objects, 'Job', p);
  if (!j) return undefined;
  const pods = of<KubePod>(objects, 'Pod');
  const events = eventsAbout(objects, [j, ...pods]);
  const status = jobStatus(j.data, refOf(j));
  const s = j.data.status;
  const f: Record<string, string> = { pods: `${s.active} active, ${s.succeeded} succeeded, ${s.failed} failed` };
  if (s.startTime) f.started = s.startTime;
  if (s.completionTime) f.completed = s.completionTime;
  workloadFacts(j.data.meta, pods, events, f);
  const owner = j.data.meta.owners.find((o) => o.kind === 'CronJob');
  // Failed pods of a job that later succeeded are history, not a problem.
  const podParts = status.runtime === 'ok' ? { runtime: 'ok' as const, reasons: [] } : podsPart(pods, events, now);
  return {
    kind: 'job', health: combine(status, podParts, eventsPart(events, now, pods)), facts: f, children: podChildren(p.endpoint, p.ns, pods),
    parent: owner ? resourceId(p.endpoint, p.ns, 'cronjob', owner.name) : undefined, rolling: status.rolling,
  };
}

function deriveCronJob(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const cj = main<KubeCronJob>(objects, 'CronJob', p);
  if (!cj) return undefined;
  const jobs = of<KubeJob>(objects, 'Job').sort((a, b) => (b.data.status.startTime ?? b.data.meta.creationTimestamp ?? '').localeCompare(a.data.status.startTime ?? a.data.meta.creationTimestamp ?? ''));
  const events = eventsAbout(objects, [cj, ...jobs]);
  const own = cronJobStatus(cj.data, refOf(cj), now);
  const parts: Parts[] = [eventsPart(events, now)];
  const last = jobs[0];
  if (last) {
    const js = jobStatus(last.data, refOf(last));
    parts.unshift({ runtime: js.runtime === 'pending' ? 'ok' : js.runtime, reasons: prefixed(`last run ${last.name}: `, js.reasons.filter((r) => r.severity !== 'info' || js.runtime === 'error')) });
  }
  const f: Record<string, string> = { schedule: cj.data.schedule };
  if (cj.data.status.lastScheduleTime) f['last scheduled'] = cj.data.status.lastScheduleTime;
  if (cj.data.status.lastSuccessfulTime) f['last success'] = cj.data.status.lastSuccessfulTime;
  if (cj.data.suspend) f.suspended = 'yes';
  workloadFacts(cj.data.meta, [], events, f);
  return { kind: 'cronjob', health: combine(own, ...parts), facts: f, children: jobs.map((j) => resourceId(p.endpoint, p.ns, 'job', j.name)).sort(), rolling: own.rolling };
}

function derivePod(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const pod = main<KubePod>(objects, 'Pod', p);
  if (!pod) return undefined;
  const events = eventsAbout(objects, [pod]);
  const h = podHealth({ pod: pod.data, ref: refOf(pod), events: events.map((e) => e.data), now });
  const d = pod.data;
  const f: Record<string, string> = { status: podStatusText(d), ready: readyText(d), restarts: String(totalRestarts(d)) };
  if (d.nodeName) f.node = d.nodeName;
  if (d.podIP) f.ip = d.podIP;
  if (d.startTime) f.started = d.startTime;
  const images = podImages([pod]);
  if (images) f.images = images;
  const containers = containersFact([d]);
  if (containers) f.containers = containers;
  if (d.claims.length) f.claims = d.claims.map((c) => c.claimName).join(', ');
  appFacts(d.meta, f);
  const t = eventsTimeline(events.map((e) => e.data));
  if (t) f.events = t;
  const owner = podOwner(d.meta);
  return { kind: 'pod', health: combine(h, eventsPart(events, now, [pod])), facts: f, parent: owner ? resourceId(p.endpoint, p.ns, owner.kind, owner.name) : undefined, since: lastTransition(d.conditions) };
}

function deriveService(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const svc = main<KubeService>(objects, 'Service', p);
  if (!svc) return undefined;
  const slices = of<KubeEndpointSlice>(objects, 'EndpointSlice');
  const events = eventsAbout(objects, [svc]);
  const s = svc.data;
  const f: Record<string, string> = { type: s.type };
  if (s.clusterIP) f['cluster ip'] = s.clusterIP;
  f.ports = s.ports.map((x) => `${x.name ? `${x.name} ` : ''}${x.port}${x.targetPort && x.targetPort !== String(x.port) ? `→${x.targetPort}` : ''}/${x.protocol}${x.nodePort ? ` (node ${x.nodePort})` : ''}`).join(', ');
  const sel = selectorText(s.selector);
  if (sel) f.selector = sel;
  appFacts(s.meta, f);
  const eps = slices.flatMap((x) => x.data.endpoints);
  const ready = eps.filter((e) => e.ready !== false).length;
  const base: Health = { runtime: 'ok', reasons: [] };
  if (slices.length) {
    f.endpoints = `${ready} ready, ${eps.length - ready} not ready`;
    if (sel && ready === 0) {
      base.runtime = 'warning';
      base.reasons.push(warn(`no ready endpoints: no Ready pod matches ${sel}, so connections to ${s.meta.name} fail`, refOf(svc)));
    }
  }
  const t = eventsTimeline(events.map((e) => e.data));
  if (t) f.events = t;
  return { kind: 'service', health: combine(base, eventsPart(events, now)), facts: f };
}

function derivePVC(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const c = main<KubePVC>(objects, 'PersistentVolumeClaim', p);
  if (!c) return undefined;
  const events = eventsAbout(objects, [c]);
  const scene: StorageScene = { endpoint: p.endpoint, claims: [c.data], pvs: of<KubePV>(objects, 'PersistentVolume').map((v) => v.data), events: events.map((e) => e.data) };
  const h = explainClaim(c.data, scene);
  const d = c.data;
  const f: Record<string, string> = { phase: d.phase, class: d.storageClassName ?? '(default)', 'access modes': d.accessModes.join(', ') };
  if (d.requested) f.requested = d.requested;
  if (d.capacity) f.capacity = d.capacity;
  if (d.volumeName) f.volume = d.volumeName;
  appFacts(d.meta, f);
  const t = eventsTimeline(events.map((e) => e.data));
  if (t) f.events = t;
  const ev = eventsPart(events.filter((e) => d.phase !== 'Bound'), now);
  return { kind: 'pvc', health: combine(h, ev), facts: f };
}

function derivePV(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const pv = main<KubePV>(objects, 'PersistentVolume', p);
  if (!pv) return undefined;
  const events = eventsAbout(objects, [pv]);
  const claims = of<KubePVC>(objects, 'PersistentVolumeClaim').map((c) => c.data);
  const h = explainPV(pv.data, { endpoint: p.endpoint, claims, pvs: [pv.data], events: events.map((e) => e.data) });
  const d = pv.data;
  const f: Record<string, string> = { phase: d.phase, class: d.storageClassName || 'none', 'access modes': d.accessModes.join(', ') };
  if (d.capacity) f.capacity = d.capacity;
  if (d.reclaimPolicy) f['reclaim policy'] = d.reclaimPolicy;
  if (d.claimRef) f.claim = `${d.claimRef.ns}/${d.claimRef.name}`;
  if (d.nodeAffinity) f['node affinity'] = d.nodeAffinity;
  if (d.source) f.source = d.source;
  f.summary = pvLine(d);
  const t = eventsTimeline(events.map((e) => e.data));
  if (t) f.events = t;
  return { kind: 'pv', health: combine(h, eventsPart(events, now)), facts: f };
}

function deriveStorageClass(p: ParsedId, objects: readonly ModelObject[]): Built | undefined {
  const k = main<KubeStorageClass>(objects, 'StorageClass', p);
  if (!k) return undefined;
  const d = k.data;
  const f: Record<string, string> = { provisioner: d.provisioner, summary: classLine(d) };
  if (d.reclaimPolicy) f['reclaim policy'] = d.reclaimPolicy;
  if (d.volumeBindingMode) f['binding mode'] = d.volumeBindingMode;
  if (d.isDefault) f.default = 'yes';
  return { kind: 'storageclass', health: { runtime: 'not_applicable', reasons: [] }, facts: f };
}

function deriveStorage(p: ParsedId, objects: readonly ModelObject[]): Built | undefined {
  const scene: StorageScene = {
    endpoint: p.endpoint,
    claims: of<KubePVC>(objects, 'PersistentVolumeClaim').map((o) => o.data),
    pvs: of<KubePV>(objects, 'PersistentVolume').map((o) => o.data),
    classes: of<KubeStorageClass>(objects, 'StorageClass').map((o) => o.data),
    events: of<KubeEvent>(objects, 'Event').map((o) => o.data),
  };
  if (!scene.claims.length && !scene.pvs.length && !scene.classes!.length) return undefined;
  const o = storageOverview(scene);
  return { kind: 'storage', health: { runtime: o.runtime, reasons: o.reasons }, facts: o.facts };
}

function deriveNode(p: ParsedId, objects: readonly ModelObject[], now: number): Built | undefined {
  const n = main<KubeNode>(objects, 'Node', p);
  if (!n) return undefined;
  const events = eventsAbout(objects, [n]);
  const f = nodeFacts(n.data);
  const t = eventsTimeline(events.map((e) => e.data));
  if (t) f.events = t;
  return { kind: 'node', health: combine(nodeHealth(n.data, refOf(n)), eventsPart(events, now)), facts: f, since: lastTransition(n.data.conditions) };
}

function deriveSecret(p: ParsedId, objects: readonly ModelObject[]): Built | undefined {
  const s = main<{ meta: KubeMeta }>(objects, 'Secret', p);
  if (!s) return undefined;
  const f: Record<string, string> = {};
  if (s.data.meta.creationTimestamp) f.created = s.data.meta.creationTimestamp;
  appFacts(s.data.meta, f);
  return { kind: 'secret', health: { runtime: 'not_applicable', reasons: [] }, facts: f };
}

function deriveHPA(p: ParsedId, objects: readonly ModelObject[]): Built | undefined {
  const h = main<KubeHPA>(objects, 'HorizontalPodAutoscaler', p);
  if (!h) return undefined;
  const f: Record<string, string> = { target: `${h.data.target.kind}/${h.data.target.name}` };
  const reasons = hpaFact([h], f, objects);
  const rk = h.data.target.kind === 'Deployment' ? 'deployment' : h.data.target.kind === 'StatefulSet' ? 'statefulset' : undefined;
  return { kind: 'hpa', health: { runtime: reasons.length ? 'warning' : 'ok', reasons }, facts: f, parent: rk ? resourceId(p.endpoint, p.ns, rk, h.data.target.name) : undefined };
}

function derivePortForwardResource(p: ParsedId, objects: readonly ModelObject[]): Built | undefined {
  const o = objects.find((x) => x.kind === PORT_FORWARD_KIND && x.name === p.name) as Obj<PortForwardData> | undefined;
  if (!o) return undefined;
  const d = derivePortForward(o.data);
  return { kind: 'port-forward', health: { runtime: d.runtime, reasons: d.reasons }, facts: d.facts, parent: o.data.target.id, since: o.data.since };
}

const DERIVERS: Record<ResourceKind, (p: ParsedId, objects: readonly ModelObject[], now: number) => Built | undefined> = {
  deployment: deriveDeployment, statefulset: deriveStatefulSet, daemonset: deriveDaemonSet, replicaset: deriveReplicaSet,
  job: deriveJob, cronjob: deriveCronJob, pod: derivePod, service: deriveService, pvc: derivePVC, pv: derivePV,
  storageclass: deriveStorageClass, storage: deriveStorage, node: deriveNode, secret: deriveSecret, hpa: deriveHPA,
  'port-forward': derivePortForwardResource,
};

/**
 * The Kubernetes plane's rules: which resources an object is part of (bind.ts), and each resource as a
 * pure function of its objects and the time. A resource id with no main object (a name-based guess at
 * a workload that does not exist) derives nothing.
 */
export const kubeRules: PlaneRules = {
  bind: bindKube,
  derive(id: string, objects: readonly ModelObject[], ctx: DeriveContext): Derived | undefined {
    const p = parseResourceId(id);
    const fn = p && DERIVERS[p.kind];
    const b = fn?.(p!, objects, ctx.now);
    if (!b || !p) return undefined;
    // CPU and memory of a pod, workload or node someone looks at (metrics.ts fetches them only then).
    usageFacts(b.kind, objects, b.facts);
    const d: Derived = {
      resource: {
        id, name: p.name, kind: b.kind, plane: 'kube', endpoint: p.endpoint,
        group: groupOf(p.endpoint, p.ns),
        runtime: b.health.runtime,
        reasons: b.health.reasons,
        facts: b.facts,
        actions: kubeActionSpecs(p, objects),
      },
    };
    // A rollout whose pods fail is shown as the failure (red), not as an update under way that hides it.
    if (b.rolling && b.health.runtime !== 'error') d.resource.update = 'in_progress';
    if (b.parent) d.resource.parent = b.parent;
    if (b.since !== undefined) d.resource.stateSince = b.since;
    if (b.children?.length) d.resource.children = b.children;
    if (b.health.recheckAt !== undefined) d.recheckAt = b.health.recheckAt;
    // A pod, or a workload holding one, with a running container: an exec terminal opens on it (exec.ts).
    if (TERMINAL_KINDS.has(b.kind) && hasTerminal(objects)) d.resource.terminal = true;
    // "Port-forward <port>" per declared port; "Stop port-forward" on a forward (port-forward-rules.ts).
    d.resource.actions.push(...portForwardSpecs(b.kind, objects));
    return d;
  },
};

export { bindKube } from './bind';
export { podStatusText } from './pod-status';
