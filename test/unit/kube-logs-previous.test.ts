import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/contract/domain';
import { kubeLogSource, type KubeLogContext } from '../../core/planes/kube/logs';
import { container, deploymentPod, EP, running } from '../support/kube-fixtures';

// `previous` over a workload: only the containers that restarted have a previous instance; asking the
// others would be the server's 400 and fail the whole merged read.

const ctx: KubeLogContext = { id: EP, transport: {} as KubeLogContext['transport'], reachable: () => ({ ok: true }) };
const resource = { id: `${EP}/extralit/deployment/langfuse`, name: 'langfuse', group: { kind: 'namespace', name: 'extralit' } } as Resource;
const crashed = container('langfuse', { waiting: { reason: 'CrashLoopBackOff' } }, { restarts: 3, last: { terminated: { exitCode: 1, reason: 'Error' } } });

describe('the previous log of a workload', () => {
  const pods = [
    deploymentPod('langfuse', 'abc', 'x1', { containers: [crashed, container('sidecar', running())] }),
    deploymentPod('langfuse', 'abc', 'x2', { containers: [container('langfuse', running()), container('sidecar', running())] }),
  ];

  it('reads only the containers that restarted', () => {
    const src = kubeLogSource(ctx, resource, pods, () => pods, { previous: true })!;
    expect(src.parts().map((p) => p.key)).toEqual(['langfuse-abc-x1/langfuse']);
  });

  it('a container picked by name is read whatever its restarts (the server answers for it)', () => {
    const src = kubeLogSource(ctx, resource, pods, () => pods, { previous: true, container: 'sidecar' })!;
    expect(src.parts().map((p) => p.key)).toEqual(['langfuse-abc-x1/sidecar', 'langfuse-abc-x2/sidecar']);
  });

  it('nothing restarted as far as the model knows (it may lag the server): every container is asked, the server answers', () => {
    const calm = [pods[1]!];
    const src = kubeLogSource(ctx, resource, calm, () => calm, { previous: true })!;
    expect(src.parts().map((p) => p.key)).toEqual(['langfuse-abc-x2/langfuse', 'langfuse-abc-x2/sidecar']);
  });
});
