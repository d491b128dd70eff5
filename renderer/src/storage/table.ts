import type { Reason, Resource } from '../../../shared/contract/domain';

/**
 * The storage view's tables, built from a kube context's `storage` resource at the full level. Its facts
 * carry one line per object (`claim <ns>/<name>`, `pv <name>`, `class <name>`), written by the kube rules'
 * claimLine/pvLine/classLine as ` · `-separated parts, each part tagged by its first word (`asks`,
 * `class`, `reclaim`, `claim`, `node`, …); its reasons carry the explanations, each with the store key of
 * the object it is about. Reading the tagged parts back keeps the engine's contract unchanged: the unit
 * test builds the facts with the rules' own functions, so a change of format fails there, not on screen.
 */

export type Severity = Reason['severity'];
/** Rank for "worst first": lower is worse; rows with nothing to say come last. */
const RANK: Record<Severity | 'none', number> = { error: 0, warning: 1, info: 2, none: 3 };

export interface ClaimRow {
  key: string; ns: string; name: string; phase: string;
  requested?: string; capacity?: string; storageClass?: string; accessModes?: string; volume?: string;
  /** It asks for a class the cluster does not have (the cluster-wide finding says which near-miss exists). */
  classMissing: boolean;
  explanations: Reason[];
}
export interface PVRow {
  key: string; name: string; phase: string;
  capacity?: string; storageClass?: string; accessModes?: string; reclaimPolicy?: string;
  claimRef?: string; nodeAffinity?: string; source?: string;
  explanations: Reason[];
}
export interface ClassRow {
  key: string; name: string; provisioner: string;
  reclaimPolicy?: string; bindingMode?: string; isDefault: boolean; expandable: boolean;
  explanations: Reason[];
}
export interface StorageTables {
  claims: ClaimRow[];
  pvs: PVRow[];
  classes: ClassRow[];
  /** Explanations about no row shown here (a summary line, an object beyond the rules' cap). */
  general: Reason[];
  /** "N more objects not listed": the rules cap the lines of a big cluster. */
  truncated?: string;
}

const SEP = ' · ';
const ACCESS = /^(ReadWriteOnce|ReadOnlyMany|ReadWriteMany|ReadWriteOncePod)(,(ReadWriteOnce|ReadOnlyMany|ReadWriteMany|ReadWriteOncePod))*$/;
const BINDING = new Set(['Immediate', 'WaitForFirstConsumer']);
const tagged = (part: string, tag: string) => (part.startsWith(`${tag} `) ? part.slice(tag.length + 1) : undefined);

export function parseClaimLine(ns: string, name: string, line: string): ClaimRow {
  const [phase = '', ...rest] = line.split(SEP);
  const row: ClaimRow = { key: `claim ${ns}/${name}`, ns, name, phase, classMissing: false, explanations: [] };
  for (const p of rest) {
    const v = (t: string) => tagged(p, t);
    if (v('asks') !== undefined) row.requested = v('asks');
    else if (v('has') !== undefined) row.capacity = v('has');
    else if (v('class') !== undefined) row.storageClass = v('class') === '(default)' ? undefined : v('class');
    else if (v('PV') !== undefined) row.volume = v('PV');
    else if (ACCESS.test(p)) row.accessModes = p;
  }
  return row;
}

export function parsePVLine(name: string, line: string): PVRow {
  const [phase = '', ...rest] = line.split(SEP);
  const row: PVRow = { key: `pv ${name}`, name, phase, explanations: [] };
  let seenClass = false;
  for (const p of rest) {
    const v = (t: string) => tagged(p, t);
    if (v('class') !== undefined) { seenClass = true; const c = v('class'); row.storageClass = c === 'none' ? undefined : c; }
    else if (v('reclaim') !== undefined) row.reclaimPolicy = v('reclaim');
    else if (v('claim') !== undefined) row.claimRef = v('claim');
    else if (v('node') !== undefined) row.nodeAffinity = v('node');
    else if (ACCESS.test(p)) row.accessModes = p;
    // The capacity comes before the class; the source (`hostPath /data/es`) after everything tagged.
    else if (!seenClass) row.capacity = p;
    else row.source = p;
  }
  return row;
}

export function parseClassLine(name: string, line: string): ClassRow {
  const [provisioner = '', ...rest] = line.split(SEP);
  const row: ClassRow = { key: `class ${name}`, name, provisioner, isDefault: false, expandable: false, explanations: [] };
  for (const p of rest) {
    if (tagged(p, 'reclaim') !== undefined) row.reclaimPolicy = tagged(p, 'reclaim');
    else if (BINDING.has(p)) row.bindingMode = p;
    else if (p === 'default') row.isDefault = true;
    else if (p === 'expandable') row.expandable = true;
  }
  return row;
}

/**
 * The row an explanation concerns. Its `ref` is the object's store key, `<endpoint>/<Kind>/<ns>/<name>`
 * (the endpoint may itself hold '/', so it is read from the right).
 */
export function rowKeyOfRef(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const parts = ref.split('/');
  if (parts.length < 4) return undefined;
  const [kind, ns, name] = parts.slice(-3);
  if (kind === 'PersistentVolumeClaim') return `claim ${ns}/${name}`;
  if (kind === 'PersistentVolume') return `pv ${name}`;
  if (kind === 'StorageClass') return `class ${name}`;
  return undefined;
}

const worst = (rs: readonly Reason[]): number => rs.reduce((m, r) => Math.min(m, RANK[r.severity]), RANK.none);
/** Phases that are a problem in themselves, after explanations: they still sort above the quiet rows. */
const PHASE_RANK: Record<string, number> = { Lost: 0, Failed: 0, Pending: 1, Released: 1 };
const phaseRank = (phase: string) => PHASE_RANK[phase] ?? 2;

export function byWorst<T extends { key: string; explanations: Reason[]; phase?: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => worst(a.explanations) - worst(b.explanations)
    || phaseRank(a.phase ?? '') - phaseRank(b.phase ?? '')
    || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The storage resource's facts and reasons as three tables, each explanation beside its row, worst first. */
export function buildStorageTables(r: Pick<Resource, 'facts' | 'reasons'>): StorageTables {
  const claims: ClaimRow[] = [], pvs: PVRow[] = [], classes: ClassRow[] = [];
  let truncated: string | undefined;
  for (const [k, v] of Object.entries(r.facts)) {
    if (k === '…') { truncated = v; continue; }
    const sp = k.indexOf(' ');
    const what = k.slice(0, sp), name = k.slice(sp + 1);
    if (what === 'claim') {
      const slash = name.indexOf('/');
      claims.push(parseClaimLine(name.slice(0, slash), name.slice(slash + 1), v));
    } else if (what === 'pv') pvs.push(parsePVLine(name, v));
    else if (what === 'class') classes.push(parseClassLine(name, v));
  }
  const byKey = new Map<string, { explanations: Reason[] }>([...claims, ...pvs, ...classes].map((x) => [x.key, x]));
  const general: Reason[] = [];
  for (const reason of r.reasons) {
    const row = byKey.get(rowKeyOfRef(reason.ref) ?? '');
    // A class that does not exist has no row: its finding (with the near-miss) heads the view, once,
    // and each claim that asks for it has its class marked.
    if (row) row.explanations.push(reason); else general.push(reason);
  }
  if (classes.length && !truncated) {
    const known = new Set(classes.map((k) => k.name));
    for (const c of claims) c.classMissing = !!c.storageClass && !known.has(c.storageClass);
  }
  // The worst explanation first beside each row too (the rules send them sorted; placement keeps order).
  for (const x of byKey.values()) x.explanations.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  return { claims: byWorst(claims), pvs: byWorst(pvs), classes: byWorst(classes), general, truncated };
}

/** The storage resource of a kube context (the kube rules' `storageId`): the "Storage" entry leads here. */
export const storageResourceId = (endpointId: string) => `${endpointId}//storage/storage`;
/** The resource id of a claim or PV row, for selecting it. */
export function rowResourceId(endpointId: string, row: ClaimRow | PVRow | ClassRow): string {
  if ('ns' in row) return `${endpointId}/${row.ns}/pvc/${row.name}`;
  if ('provisioner' in row) return `${endpointId}//storageclass/${row.name}`;
  return `${endpointId}//pv/${row.name}`;
}
