import type { RuntimeStatus } from '../../../../shared/contract/domain';
import type { KubeEvent, KubePV, KubePVC, KubeStorageClass } from '../objects';
import { parseQuantity } from '../quantity';
import { bySeverity, clip, err, info, plural, warn, worse, type Finding, type Health } from './common';
import { refTo } from './ids';

/**
 * The objects a storage explanation may use. A claim's own resource sees only the PVs that name it and
 * its events; the context's storage view sees every claim, PV and class. `classes` undefined means "not
 * visible from here": a rule that needs the list of classes then falls back on the claim's events.
 */
export interface StorageScene {
  endpoint: string;
  claims: readonly KubePVC[];
  pvs: readonly KubePV[];
  classes?: readonly KubeStorageClass[];
  events: readonly KubeEvent[];
}

const claimKey = (ns: string, name: string) => `${ns}/${name}`;
export const claimRef = (endpoint: string, ns: string, name: string) => refTo(endpoint, 'PersistentVolumeClaim', ns, name);
export const pvRef = (endpoint: string, name: string) => refTo(endpoint, 'PersistentVolume', '', name);

// ---- names ---------------------------------------------------------------------------------------

/** Levenshtein distance, stopping once it exceeds `max` (class names are short; lists are small). */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The existing name closest to a missing one, when it is close enough to be a misspelling: at most two
 * edits (and a third of the name), or one a prefix of the other.
 */
export function nearMiss(wanted: string, existing: readonly string[]): { name: string; why: string } | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of existing) {
    const d = editDistance(wanted, name, 2);
    if (d <= 2 && d <= Math.ceil(wanted.length / 3) && (!best || d < best.d)) best = { name, d };
  }
  if (best) return { name: best.name, why: `${plural(best.d, 'letter')} apart` };
  const prefix = existing.find((n) => n.length >= 3 && wanted.length >= 3 && (n.startsWith(wanted) || wanted.startsWith(n)));
  return prefix ? { name: prefix, why: 'one name begins the other' } : undefined;
}

// Words that say nothing about which service a volume is for.
const GENERIC = new Set(['pv', 'pvc', 'volume', 'vol', 'claim', 'data', 'disk', 'storage', 'local', 'persistent', 'hostpath']);
const words = (s: string) => s.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3 && !/^\d+$/.test(w) && !GENERIC.has(w));
// Labels that name the service a claim belongs to (a chart's claims are named `data-<release>-0`).
const SERVICE_LABELS = ['app', 'app.kubernetes.io/name', 'app.kubernetes.io/instance', 'release', 'app.kubernetes.io/component'];

function claimWords(c: KubePVC): string[] {
  const out = words(c.meta.name);
  for (const l of SERVICE_LABELS) if (c.meta.labels[l]) out.push(...words(c.meta.labels[l]));
  return out;
}

/** `elastic` names `elasticsearch`; `postgres` names `postgresql`: one word begins the other. */
const sameWord = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

export interface Intent { ns: string; name: string; why: string }

/**
 * The claim a PV was meant for, as far as it says: a label or annotation naming the claim
 * (`…/intended-claim`), a claimRef written in its manifest (not by the binder), its name being a
 * claim's name, or its name naming one claim's service (`elastic-pv` → the elasticsearch claim).
 */
export function intendedClaim(pv: KubePV, claims: readonly KubePVC[]): Intent | undefined {
  const nsFor = (name: string) => claims.find((c) => c.meta.name === name)?.meta.ns ?? pv.claimRef?.ns ?? '';
  for (const [key, v] of [...Object.entries(pv.meta.labels), ...Object.entries(pv.meta.annotations)]) {
    if (key.endsWith('intended-claim') && v) return { ns: nsFor(v), name: v, why: `its ${key} label` };
  }
  if (pv.claimRef && pv.meta.annotations['pv.kubernetes.io/bound-by-controller'] !== 'yes') {
    return { ns: pv.claimRef.ns, name: pv.claimRef.name, why: 'its claimRef, set in its manifest' };
  }
  const same = claims.find((c) => c.meta.name === pv.meta.name);
  if (same) return { ns: same.meta.ns, name: same.meta.name, why: 'its name is the claim\'s name' };
  const pvWords = words(pv.meta.name);
  if (!pvWords.length) return undefined;
  const matches = claims.filter((c) => claimWords(c).some((w) => pvWords.some((p) => sameWord(p, w))));
  if (matches.length !== 1) return undefined;
  const m = matches[0];
  const word = claimWords(m).find((w) => pvWords.some((p) => sameWord(p, w)))!;
  return { ns: m.meta.ns, name: m.meta.name, why: `its name "${pv.meta.name}" names ${word}` };
}

// ---- fit -----------------------------------------------------------------------------------------

export function defaultClass(classes: readonly KubeStorageClass[] | undefined): KubeStorageClass | undefined {
  return classes?.find((c) => c.isDefault);
}

/** The class name the binder matches PVs against: the claim's, else the default class's, else none. */
function wantedClass(c: KubePVC, classes: readonly KubeStorageClass[] | undefined): string {
  return c.storageClassName ?? defaultClass(classes)?.meta.name ?? '';
}

/** Why a PV cannot take a claim, in words; empty when it fits (node affinity aside: that needs the pod). */
export function misfits(c: KubePVC, pv: KubePV, classes: readonly KubeStorageClass[] | undefined): string[] {
  const out: string[] = [];
  const ref = pv.claimRef;
  // A Released PV keeps the deleted claim's uid: not even a new claim of the same name can bind it.
  if (ref && pv.phase === 'Released') out.push(`Released, still holding the claimRef of ${claimKey(ref.ns, ref.name)}`);
  else if (ref && (ref.ns !== c.meta.ns || ref.name !== c.meta.name)) out.push(`${pv.phase === 'Bound' ? 'bound to' : 'reserved for'} ${claimKey(ref.ns, ref.name)}`);
  if (pv.phase === 'Failed') out.push('Failed');
  const want = wantedClass(c, classes);
  if ((pv.storageClassName ?? '') !== want) out.push(`class "${pv.storageClassName || 'none'}", not "${want || 'none'}"`);
  const have = parseQuantity(pv.capacity), asked = parseQuantity(c.requested);
  if (have !== undefined && asked !== undefined && have < asked) out.push(`${pv.capacity}, smaller than the ${c.requested} asked`);
  const missing = c.accessModes.filter((m) => !pv.accessModes.includes(m));
  if (missing.length) out.push(`access ${pv.accessModes.join(', ') || 'none'}, not ${missing.join(', ')}`);
  if ((pv.volumeMode ?? 'Filesystem') !== (c.volumeMode ?? 'Filesystem')) out.push(`volume mode ${pv.volumeMode ?? 'Filesystem'}`);
  const sel = c.selector?.matchLabels ?? {};
  if (Object.entries(sel).some(([k, v]) => pv.meta.labels[k] !== v)) out.push('labels do not match the claim\'s selector');
  // The scheduler names the node of the claim's first pod (WaitForFirstConsumer); a PV pinned elsewhere cannot serve it.
  const node = c.meta.annotations['volume.kubernetes.io/selected-node'];
  if (node && pv.nodeAffinity && !pv.nodeAffinity.split(/[(),]/).map((v) => v.trim()).includes(node)) out.push(`only on nodes where ${pv.nodeAffinity}, not on ${node} where its pod runs`);
  return out;
}

const sizeOf = (pv: KubePV) => (pv.capacity ? ` (${pv.capacity})` : '');

// ---- claims --------------------------------------------------------------------------------------

/** The class a claim asks for when it does not exist, with the near-miss that does. */
function missingClass(c: KubePVC, scene: StorageScene): { name: string; near?: { name: string; why: string } } | undefined {
  const want = c.storageClassName;
  if (!want) return undefined;
  if (scene.classes) {
    if (scene.classes.some((k) => k.meta.name === want)) return undefined;
    return { name: want, near: nearMiss(want, scene.classes.map((k) => k.meta.name)) };
  }
  // Without the class list, the PV controller's event says it: `storageclass.storage.k8s.io "x" not found`.
  const said = scene.events.some((e) => e.involved.kind === 'PersistentVolumeClaim' && e.involved.name === c.meta.name && e.message.includes(`"${want}" not found`));
  return said ? { name: want } : undefined;
}

const nearText = (m: { near?: { name: string; why: string } }) =>
  m.near ? `; the cluster has "${m.near.name}" (${m.near.why}): one of the two names is misspelled` : '';

function latestClaimEvent(c: KubePVC, events: readonly KubeEvent[]): KubeEvent | undefined {
  let best: KubeEvent | undefined;
  for (const e of events) {
    if (e.involved.kind !== 'PersistentVolumeClaim' || e.involved.name !== c.meta.name || e.involved.ns !== c.meta.ns) continue;
    if (!best || (e.lastTime ?? '') > (best.lastTime ?? '')) best = e;
  }
  return best;
}

const MAX_LISTED_PVS = 4;

/**
 * A claim explained: Lost; Bound, but to a PV meant for another claim; asking for a class that does not
 * exist (and the near-miss that does); Pending and why (the PV meant for it is taken, the PVs that almost
 * fit and what is wrong with each, waiting for a consumer, the controller's last event).
 */
export function explainClaim(c: KubePVC, scene: StorageScene): Health {
  const ref = claimRef(scene.endpoint, c.meta.ns, c.meta.name);
  const reasons: Finding[] = [];
  let runtime: RuntimeStatus = 'not_applicable';
  const missing = missingClass(c, scene);

  if (c.phase === 'Lost') {
    return { runtime: 'error', reasons: [err(`Lost: its PV ${c.volumeName ?? ''} no longer exists; the data it held may be gone`, ref)] };
  }

  if (c.phase === 'Bound') {
    const pv = scene.pvs.find((p) => p.meta.name === c.volumeName);
    if (pv) {
      const intent = intendedClaim(pv, scene.claims);
      if (intent && (intent.ns !== c.meta.ns || intent.name !== c.meta.name)) {
        const other = scene.claims.find((x) => x.meta.ns === intent.ns && x.meta.name === intent.name);
        runtime = 'warning';
        reasons.push(warn(`bound to PV ${pv.meta.name}${sizeOf(pv)}, which was meant for claim ${claimKey(intent.ns, intent.name)} (${intent.why})${other?.phase === 'Pending' ? '; that claim is Pending without it' : ''}. Pre-bind each PV to its claim (spec.claimRef) so the binder cannot swap them`, ref));
      } else if (!intent) {
        // An oversized PV that another Pending claim asks for exactly: the binder took the smallest that fit.
        const have = parseQuantity(pv.capacity), asked = parseQuantity(c.requested);
        const rival = have !== undefined && asked !== undefined && have > asked
          ? scene.claims.find((x) => x.phase === 'Pending' && x !== c && parseQuantity(x.requested) === have && (x.storageClassName ?? '') === (pv.storageClassName ?? ''))
          : undefined;
        if (rival) {
          runtime = 'warning';
          reasons.push(warn(`bound to PV ${pv.meta.name}${sizeOf(pv)} though it asked for ${c.requested}; that PV fits the Pending claim ${claimKey(rival.meta.ns, rival.meta.name)} exactly`, ref));
        }
      }
    }
    if (missing) reasons.push(info(`asks for storage class "${missing.name}", which does not exist${nearText(missing)}. It is bound only because a static PV carries that class name; a new claim of this class will stay Pending`, ref));
    return { runtime, reasons: bySeverity(reasons) };
  }

  // Pending.
  runtime = 'pending';
  if (missing) { runtime = 'error'; reasons.push(err(`Pending: asks for storage class "${missing.name}", which does not exist${nearText(missing)}. Only a static PV of class "${missing.name}" can satisfy it`, ref)); }

  const mentioned = new Set<string>();
  for (const pv of scene.pvs) {
    const intent = intendedClaim(pv, scene.claims.length ? scene.claims : [c]);
    if (!intent || intent.ns !== c.meta.ns || intent.name !== c.meta.name) continue;
    const taken = pv.claimRef && (pv.phase === 'Released' || pv.claimRef.ns !== c.meta.ns || pv.claimRef.name !== c.meta.name) ? pv.claimRef : undefined;
    if (!taken) continue;
    mentioned.add(pv.meta.name);
    runtime = 'error';
    const head = `Pending: PV ${pv.meta.name}${sizeOf(pv)}, meant for this claim (${intent.why}), is`;
    reasons.push(err(pv.phase === 'Released'
      ? `${head} Released and still holds the claimRef of ${taken.name === c.meta.name && taken.ns === c.meta.ns ? 'the deleted claim of the same name' : `claim ${claimKey(taken.ns, taken.name)}`}; remove that claimRef from the PV so it can bind`
      : `${head} bound to claim ${claimKey(taken.ns, taken.name)}`, ref));
  }

  const cls = scene.classes?.find((k) => k.meta.name === wantedClass(c, scene.classes));
  const rest = scene.pvs.filter((p) => !mentioned.has(p.meta.name)).map((pv) => ({ pv, why: misfits(c, pv, scene.classes) }));
  const fitting = rest.filter((x) => !x.why.length);
  if (cls?.volumeBindingMode === 'WaitForFirstConsumer' && !missing) {
    // Pending is this class's normal state until a pod uses the claim: nothing to look at yet.
    runtime = 'not_applicable';
    reasons.push(info(`waits for a pod that uses it before binding (class ${cls.meta.name}: WaitForFirstConsumer)`, ref));
  } else if (fitting.length) {
    reasons.push(info(`PV ${fitting[0].pv.meta.name} fits; waiting for the binder`, ref));
  } else if (cls && cls.provisioner && cls.provisioner !== 'kubernetes.io/no-provisioner' && !missing) {
    reasons.push(info(`waiting for ${cls.provisioner} to provision a volume`, ref));
  } else if (scene.classes || rest.length || !mentioned.size) {
    // Name the PVs that almost fit, closest first: what is wrong with each is what the operator changes.
    // Free PVs first: the one a change (a size, a class name) would make fit is the one to read about.
    const taken = (pv: KubePV) => (pv.claimRef ? 1 : 0);
    const close = rest.filter((x) => x.why.length <= 2).sort((a, b) => taken(a.pv) - taken(b.pv) || a.why.length - b.why.length);
    const listed = close.slice(0, MAX_LISTED_PVS).map((x) => `${x.pv.meta.name}${sizeOf(x.pv)}: ${x.why.join('; ')}`);
    const more = close.length > MAX_LISTED_PVS ? `; and ${plural(close.length - MAX_LISTED_PVS, 'more PV')}` : '';
    const text = !scene.pvs.length ? 'no PersistentVolume can take it'
      : listed.length ? `no PersistentVolume fits it: ${listed.join('. ')}${more}`
        : `none of the ${plural(rest.length, 'PersistentVolume')} comes close to fitting it`;
    if (scene.classes || scene.pvs.length) { runtime = 'error'; reasons.push(err(`Pending: ${text}`, ref)); }
  }

  const event = latestClaimEvent(c, scene.events);
  if (event && event.type === 'Warning' && !reasons.some((r) => r.text.includes(event.message))) {
    reasons.push((runtime === 'error' ? err : warn)(`the volume controller says (${event.reason}): ${clip(event.message)}`, ref));
    if (runtime === 'pending' || runtime === 'not_applicable') runtime = 'warning';
  }
  return { runtime, reasons: bySeverity(reasons) };
}

// ---- volumes -------------------------------------------------------------------------------------

/** A PV explained: Released still holding an old claimRef, Failed, or bound to a claim it was not meant for. */
export function explainPV(pv: KubePV, scene: StorageScene, opts: { intent: boolean } = { intent: true }): Health {
  const ref = pvRef(scene.endpoint, pv.meta.name);
  const reasons: Finding[] = [];
  let runtime: RuntimeStatus = 'not_applicable';
  if (pv.phase === 'Released' && pv.claimRef) {
    runtime = 'warning';
    const keep = pv.reclaimPolicy === 'Retain' ? `its data stays (reclaim policy Retain) and ` : '';
    reasons.push(warn(`Released: still holds the claimRef of ${claimKey(pv.claimRef.ns, pv.claimRef.name)}, a claim that was deleted; ${keep}no new claim can bind it until that claimRef is removed`, ref));
  }
  if (pv.phase === 'Failed') {
    runtime = 'error';
    reasons.push(err(`Failed${pv.reason ? ` (${pv.reason})` : ''}: ${clip(pv.message ?? 'the reclaim of its volume failed')}`, ref));
  }
  if (opts.intent && pv.phase === 'Bound' && pv.claimRef) {
    const intent = intendedClaim(pv, scene.claims);
    if (intent && (intent.ns !== pv.claimRef.ns || intent.name !== pv.claimRef.name)) {
      runtime = worse(runtime === 'not_applicable' ? 'ok' : runtime, 'warning');
      reasons.push(warn(`bound to claim ${claimKey(pv.claimRef.ns, pv.claimRef.name)}, though it was meant for ${claimKey(intent.ns, intent.name)} (${intent.why})`, ref));
    }
  }
  if (pv.phase === 'Available' && pv.claimRef && scene.classes && !scene.claims.some((c) => c.meta.ns === pv.claimRef!.ns && c.meta.name === pv.claimRef!.name)) {
    reasons.push(info(`reserved for claim ${claimKey(pv.claimRef.ns, pv.claimRef.name)}, which does not exist yet`, ref));
  }
  return { runtime, reasons: bySeverity(reasons) };
}

// ---- the storage view ----------------------------------------------------------------------------

const MAX_OVERVIEW_REASONS = 30;
const MAX_OVERVIEW_FACTS = 400;

export function claimLine(c: KubePVC): string {
  return [c.phase, c.requested && `asks ${c.requested}`, c.capacity && `has ${c.capacity}`, `class ${c.storageClassName ?? '(default)'}`, c.accessModes.join(','), c.volumeName && `PV ${c.volumeName}`].filter(Boolean).join(' · ');
}
export function pvLine(pv: KubePV): string {
  return [pv.phase, pv.capacity, `class ${pv.storageClassName || 'none'}`, pv.accessModes.join(','), pv.reclaimPolicy && `reclaim ${pv.reclaimPolicy}`,
    pv.claimRef && `claim ${claimKey(pv.claimRef.ns, pv.claimRef.name)}`, pv.nodeAffinity && `node ${pv.nodeAffinity}`, pv.source].filter(Boolean).join(' · ');
}
export function classLine(k: KubeStorageClass): string {
  return [k.provisioner, k.reclaimPolicy && `reclaim ${k.reclaimPolicy}`, k.volumeBindingMode, k.isDefault && 'default', k.allowVolumeExpansion && 'expandable'].filter(Boolean).join(' · ');
}

/**
 * Every claim, PV and class of a context in one view, with every explanation that needs them all: the
 * class asked for that does not exist and its near-miss, claims Pending and why, swapped bindings,
 * Released PVs. Derived again when any storage object changes (they all bind to it); the work is linear
 * in the number of claims times PVs, which the storage kinds keep small even on big clusters.
 */
export function storageOverview(scene: StorageScene): Health & { facts: Record<string, string> } {
  let runtime: RuntimeStatus = 'ok';
  const all: Finding[] = [];
  const absent = new Map<string, number>();
  for (const c of scene.claims) {
    const h = explainClaim(c, scene);
    if (h.runtime !== 'not_applicable') runtime = worse(runtime, h.runtime === 'pending' ? 'pending' : h.runtime);
    all.push(...h.reasons.filter((r) => r.severity !== 'info' || c.phase === 'Pending'));
    const want = c.storageClassName;
    if (want && !scene.classes?.some((k) => k.meta.name === want)) absent.set(want, (absent.get(want) ?? 0) + 1);
  }
  for (const pv of scene.pvs) {
    const h = explainPV(pv, scene, { intent: false });
    if (h.runtime !== 'not_applicable') runtime = worse(runtime, h.runtime);
    all.push(...h.reasons.filter((r) => r.severity !== 'info'));
  }
  if (scene.classes) {
    for (const [name, n] of absent) {
      const near = nearMiss(name, scene.classes.map((k) => k.meta.name));
      runtime = worse(runtime, 'warning');
      all.unshift(warn(`storage class "${name}" does not exist, yet ${plural(n, 'claim asks', 'claims ask')} for it${near ? `; the cluster has "${near.name}" (${near.why}): one of the two names is misspelled` : ''}. Only static PVs of class "${name}" can satisfy them`));
    }
  }
  const reasons = bySeverity(all);
  if (reasons.length > MAX_OVERVIEW_REASONS) {
    const n = reasons.length - MAX_OVERVIEW_REASONS;
    reasons.length = MAX_OVERVIEW_REASONS;
    reasons.push(info(`and ${plural(n, 'more finding')}`));
  }
  const facts: Record<string, string> = {};
  const entries: Array<[string, string]> = [
    ...scene.classes?.map((k): [string, string] => [`class ${k.meta.name}`, classLine(k)]) ?? [],
    ...scene.claims.map((c): [string, string] => [`claim ${claimKey(c.meta.ns, c.meta.name)}`, claimLine(c)]),
    ...scene.pvs.map((pv): [string, string] => [`pv ${pv.meta.name}`, pvLine(pv)]),
  ];
  for (const [k, v] of entries.slice(0, MAX_OVERVIEW_FACTS)) facts[k] = v;
  if (entries.length > MAX_OVERVIEW_FACTS) facts['…'] = `${plural(entries.length - MAX_OVERVIEW_FACTS, 'more object')} not listed`;
  return { runtime, reasons, facts };
}
