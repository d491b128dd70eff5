import { describe, expect, it } from 'vitest';
import { deltas, parseRequestTotals } from '../../bench/kube/api';

// The kube bench reads the apiserver's request counters to tell the engine's idle requests from the
// rig's own clients: the parse must sum every code and scope of one verb and resource, and keep
// subresources apart (a status PATCH is not a PATCH of the pod).
const METRICS = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="cluster",subresource="",verb="LIST",version="v1"} 12
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 3
apiserver_request_total{code="410",component="apiserver",dry_run="",group="",resource="pods",scope="cluster",subresource="",verb="WATCH",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="status",verb="PATCH",version="v1"} 7200
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/metrics",verb="GET",version=""} 4
apiserver_request_duration_seconds_bucket{verb="LIST",resource="pods",le="0.1"} 99
`;

describe('apiserver_request_total as the kube bench reads it', () => {
  it('sums codes and scopes per verb and resource, subresources apart, other metrics ignored', () => {
    expect(Object.fromEntries(parseRequestTotals(METRICS))).toEqual({
      'LIST pods': 15, 'WATCH pods': 2, 'PATCH pods/status': 7200, 'GET (none)//metrics': 4,
    });
  });

  it('reports only the series that moved, new series included', () => {
    const before = parseRequestTotals(METRICS);
    const after = parseRequestTotals(METRICS.replace('} 12', '} 14').replace('verb="WATCH",version="v1"} 2', 'verb="WATCH",version="v1"} 2\napiserver_request_total{resource="nodes",subresource="",verb="GET"} 1'));
    expect(Object.fromEntries(deltas(before, after))).toEqual({ 'LIST pods': 2, 'GET nodes': 1 });
  });
});
