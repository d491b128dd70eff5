import type { ActionSpec, Reason, RuntimeStatus } from '../../../shared/contract/domain';
import type { ModelObject } from '../../model/object';
import { declaredPorts } from './pod-target';
import type { ResourceKind } from './rules/ids';
import { utcClock } from '../../../shared/text/utc';

/**
 * Port-forwards as resources, by pure rules. A forward is a `PortForward` model object the plane writes
 * (port-forward.ts), never listed from a server; its resource is `kube/<ctx>/<ns>/port-forward/<name>`
 * with name `<kind>:<target>:<port>` (`service:main-db:5432`), so one port of one target is forwarded
 * once.
 */

export const PORT_FORWARD_KIND = 'PortForward';

export type PortForwardState =
  /** The local port is held and connections are carried. */
  | 'listening'
  /** The local port is held; the last connection or check could not reach the pod (`lastError`); retrying. */
  | 'reconnecting'
  /** The machine sleeps: the port is held, clients are refused until it wakes. */
  | 'suspended';

export interface PortForwardData {
  /** The resource forwarded: a pod, a workload (its first Ready pod) or a service (a Ready pod behind it). */
  target: { id: string; kind: ResourceKind; name: string };
  /** The port asked for: the Service's port, or the pod's. */
  port: number;
  localHost: string;
  localPort: number;
  state: PortForwardState;
  since: number;
  /** Where the last connection went (a service's pod changes when it is replaced). */
  pod?: string;
  podPort?: number;
  open: number;
  total: number;
  /** Bytes from local clients to the pod, and back. */
  bytesOut: number;
  bytesIn: number;
  lastError?: { text: string; at: number };
}

export const forwardName = (kind: ResourceKind, name: string, port: number) => `${kind}:${name}:${port}`;

/** The action that opens a forward of `port`: `port-forward:5432`. */
export const OPEN_PREFIX = 'port-forward:';
export const STOP_ID = 'port-forward-stop';

/** The kinds whose resources offer forwards: those with pods of their own, and services. */
const FORWARDABLE: ReadonlySet<ResourceKind> = new Set(['pod', 'deployment', 'statefulset', 'daemonset', 'replicaset', 'service']);

/** One "Port-forward <port>" per declared TCP port of the resource's pod or service. */
export function portForwardSpecs(kind: ResourceKind, objects: readonly ModelObject[]): ActionSpec[] {
  if (kind === 'port-forward') return [{ id: STOP_ID, label: 'Stop port-forward', destructive: false, confirm: 'none' }];
  if (!FORWARDABLE.has(kind)) return [];
  return declaredPorts(objects).map((p) => ({ id: `${OPEN_PREFIX}${p.port}`, label: `Port-forward ${p.port}${p.name ? ` (${p.name})` : ''}`, destructive: false, confirm: 'none' as const }));
}

const bytes = (n: number) => n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** A forward's resource: its state in words, where it goes, its counters. */
export function derivePortForward(d: PortForwardData): { runtime: RuntimeStatus; reasons: Reason[]; facts: Record<string, string> } {
  const local = `${d.localHost}:${d.localPort}`;
  const to = d.pod ? `pod ${d.pod}:${d.podPort ?? d.port}` : `${d.target.kind} ${d.target.name}:${d.port}`;
  const via = d.pod && d.target.kind !== 'pod' ? ` (via ${d.target.kind} ${d.target.name}:${d.port})` : '';
  const facts: Record<string, string> = {
    local, target: `${d.target.kind} ${d.target.name} port ${d.port}`,
    connections: `${d.open} open, ${d.total} since opened`,
    bytes: `${bytes(d.bytesOut)} sent, ${bytes(d.bytesIn)} received`,
  };
  if (d.pod) facts.pod = `${d.pod}:${d.podPort ?? d.port}`;
  if (d.lastError) facts['last error'] = `${d.lastError.text} (${utcClock(d.lastError.at)})`;
  switch (d.state) {
    case 'listening':
      return { runtime: 'ok', reasons: [{ severity: 'info', text: `listening on ${local} → ${to}${via}` }], facts };
    case 'reconnecting':
      return { runtime: 'warning', reasons: [{ severity: 'warning', text: `${local} cannot reach ${to}${via}: ${d.lastError?.text ?? 'retrying'}; retrying, the local port is kept` }], facts };
    case 'suspended':
      return { runtime: 'pending', reasons: [{ severity: 'info', text: `asleep: ${local} refuses connections until the machine wakes` }], facts };
  }
}
