// Stand-in until core/planes/kube/rules (grouping and health) lands: one resource per pod, so the
// plane is testable end to end. Delete this file once the plane uses the real rules.
import type { Reason, RuntimeStatus } from '../../../shared/contract/domain';
import { objectKey, type ModelObject, type PlaneRules } from '../../model/object';
import type { KubePod } from './objects';

const podId = (o: ModelObject) => `${o.endpoint}/${o.ns}/pod/${o.name}`;

export const minimalKubeRules: PlaneRules = {
  bind: (o) => (o.kind === 'Pod' ? [podId(o)] : []),
  derive(id, objects) {
    const o = objects.find((x) => x.kind === 'Pod');
    if (!o) return undefined;
    const pod = o.data as KubePod;
    const ready = pod.conditions.find((c) => c.type === 'Ready')?.status === 'True';
    const waiting = pod.containerStatuses.find((c) => c.state.kind === 'waiting' && c.state.reason);
    let runtime: RuntimeStatus = pod.phase === 'Succeeded' ? 'ok' : pod.phase === 'Failed' ? 'error' : pod.phase === 'Pending' ? 'pending' : ready ? 'ok' : 'warning';
    const reasons: Reason[] = [];
    if (waiting) { runtime = 'error'; reasons.push({ text: `${waiting.name}: ${waiting.state.reason}`, severity: 'error', ref: objectKey(o) }); }
    else if (runtime === 'warning') reasons.push({ text: 'not ready', severity: 'warning', ref: objectKey(o) });
    return {
      resource: {
        id, name: o.name, kind: 'pod', plane: 'kube', endpoint: o.endpoint,
        group: { kind: 'namespace', name: o.ns }, runtime, reason: reasons[0], reasons,
        facts: { phase: pod.phase, node: pod.nodeName ?? '' }, actions: [],
      },
    };
  },
};
