import type { PlaneEndpoint } from '../../../shared/contract/domain';
import { hostResourceId } from '../ssh/rules';

/**
 * Which resources an alert is about, from its labels alone: pure, so the model binds an alert object to
 * those ids (model/store.ts lets one plane's object annotate another plane's resource). Candidates that
 * name nothing real cost nothing: no plane derives a resource from an alert alone. The label
 * conventions are those of the exporters operators run:
 *
 *   namespace + pod            kube-state-metrics, cAdvisor in a cluster → the pod and the workload its name
 *                              belongs to (Deployment: two suffixes off; StatefulSet/DaemonSet/Job: one)
 *   namespace + deployment|statefulset|daemonset|job_name|service|persistentvolumeclaim|horizontalpodautoscaler
 *   node                       a kube node (node-exporter in a cluster, kube-state-metrics)
 *   container_label_com_docker_compose_project + _service
 *                              cAdvisor on a Docker host → the compose service
 *   name (no namespace)        cAdvisor's container name → a standalone container, or the compose
 *                              service its name spells (`<project>_<service>_<n>`, `<project>-<service>-<n>`)
 *   host                       an SSH host alias (the label operators add to a host's node-exporter target)
 *   instance (host:port)       an SSH host whose alias or address is that host, and a kube node of that name
 *   job (+ namespace)          the kube Service the job scrapes, by name
 */

export interface KnownEndpoints {
  /** `kube/<context>` ids; a Prometheus found inside one context attaches there only. */
  kube: string[];
  /** `docker/<name>` ids. */
  docker: string[];
  /** SSH hosts: alias and the addresses it is reached at (from the endpoint's target, `user@host:port`). */
  ssh: { alias: string; addresses: string[] }[];
}

/** The other planes' endpoints as targets are computed from (endpoint list of the engine's model). */
export function knownEndpoints(eps: readonly PlaneEndpoint[], onlyKube?: string): KnownEndpoints {
  const out: KnownEndpoints = { kube: [], docker: [], ssh: [] };
  for (const e of eps) {
    if (e.plane === 'kube' && e.id.startsWith('kube/') && !e.id.endsWith(')')) { if (!onlyKube || e.id === onlyKube) out.kube.push(e.id); }
    else if (e.plane === 'docker' && !e.id.endsWith(')')) out.docker.push(e.id);
    else if (e.plane === 'ssh' && !e.id.endsWith(')')) out.ssh.push({ alias: e.name, addresses: sshAddresses(e.target) });
  }
  return out;
}

/** `kraken@10.177.0.11:22 via kraken-infra` → ['10.177.0.11']. */
export function sshAddresses(target: string): string[] {
  const first = target.split(' ')[0] ?? '';
  const hostPort = first.slice(first.lastIndexOf('@') + 1);
  const m = /^\[(.+)\]:\d+$/.exec(hostPort) ?? /^(.+?):\d+$/.exec(hostPort);
  const host = m ? m[1]! : hostPort;
  return host ? [host] : [];
}

/** `10.0.0.5:9100`, `[::1]:9100`, `node1` → the host part. */
export function instanceHost(instance: string): string {
  const v6 = /^\[(.+)\](:\d+)?$/.exec(instance);
  if (v6) return v6[1]!;
  const i = instance.lastIndexOf(':');
  return i > 0 && /^\d+$/.test(instance.slice(i + 1)) && instance.indexOf(':') === i ? instance.slice(0, i) : instance;
}

const KUBE_LABEL_KIND: [label: string, kind: string][] = [
  ['deployment', 'deployment'], ['statefulset', 'statefulset'], ['daemonset', 'daemonset'],
  ['job_name', 'job'], ['service', 'service'], ['persistentvolumeclaim', 'pvc'], ['horizontalpodautoscaler', 'hpa'],
];

/** The workloads a pod's name could belong to, by the controllers' naming. */
export function podOwners(pod: string): { kind: string; name: string }[] {
  const parts = pod.split('-');
  const out: { kind: string; name: string }[] = [];
  if (parts.length < 2) return out;
  const one = parts.slice(0, -1).join('-');
  // An ordinal ends a StatefulSet's pod; a random suffix the others' (a Deployment's has two).
  if (/^\d+$/.test(parts[parts.length - 1]!)) return [{ kind: 'statefulset', name: one }];
  if (parts.length >= 3) out.push({ kind: 'deployment', name: parts.slice(0, -2).join('-') });
  out.push({ kind: 'daemonset', name: one }, { kind: 'job', name: one });
  return out;
}

/** Compose services a container name could stand for: v1 `<project>_<service>_<n>`, v2 `<project>-<service>-<n>`. */
export function composeCandidates(name: string): { project: string; service: string }[] {
  const out: { project: string; service: string }[] = [];
  for (const sep of ['_', '-']) {
    const parts = name.split(sep);
    const n = parts[parts.length - 1]!;
    if (parts.length < 3 || !/^\d+$/.test(n)) continue;
    const body = parts.slice(0, -1);
    // Project and service may themselves hold the separator: every split is a candidate.
    for (let i = 1; i < body.length; i++) {
      const service = body.slice(i).join(sep);
      out.push({ project: body.slice(0, i).join(sep), service: n === '1' ? service : `${service}-${n}` });
    }
  }
  return out;
}

/** Resource ids of the other planes this alert is about (deduplicated, in a stable order). */
export function alertTargets(labels: Readonly<Record<string, string>>, known: KnownEndpoints): string[] {
  const out = new Set<string>();
  const ns = labels.namespace ?? labels.exported_namespace;
  const kube = (kind: string, namespace: string, name: string) => { for (const ep of known.kube) out.add(`${ep}/${namespace}/${kind}/${name}`); };
  if (ns) {
    const pod = labels.pod ?? labels.pod_name;
    if (pod) {
      kube('pod', ns, pod);
      for (const o of podOwners(pod)) kube(o.kind, ns, o.name);
    }
    for (const [label, kind] of KUBE_LABEL_KIND) if (labels[label]) kube(kind, ns, labels[label]!);
    if (labels.job) kube('service', ns, labels.job);
  }
  if (labels.node) kube('node', '', labels.node);

  const project = labels.container_label_com_docker_compose_project, service = labels.container_label_com_docker_compose_service;
  if (project && service) {
    for (const ep of known.docker) out.add(`${ep}/${project}/${service}`);
  } else if (labels.name && !ns) {
    for (const ep of known.docker) {
      out.add(`${ep}/standalone/${labels.name}`);
      for (const c of composeCandidates(labels.name)) out.add(`${ep}/${c.project}/${c.service}`);
    }
  }

  const hosts = new Set<string>();
  if (labels.host) hosts.add(labels.host);
  if (labels.instance) hosts.add(instanceHost(labels.instance));
  for (const h of hosts) {
    for (const s of known.ssh) if (s.alias === h || s.addresses.includes(h)) out.add(hostResourceId(s.alias));
  }
  if (labels.instance && !ns) { const h = instanceHost(labels.instance); if (!/^[\d.]+$|:/.test(h)) kube('node', '', h); }
  return [...out];
}
