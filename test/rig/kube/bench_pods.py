#!/usr/bin/env python3
"""N kwok pods across 50 namespaces for the kube bench, and their removal.

  rig.sh bench-pods N          create (or top up to) N pods in ph-bench-00..49 on 5 kwok bench nodes, wait
                               until kwok has them all Running, print timings and the control plane's memory
  rig.sh bench-pods 0          remove them: one deletecollection per namespace (grace 0), then the namespaces
  rig.sh bench-pods --status   how many there are, and the control plane's memory

Pods are POSTed straight to the API server by 16 threads on kept-alive connections (kubectl spends more
time starting than sending at this size). Each pod names its node (spec.nodeName), so the scheduler is not
involved; the bench nodes carry a taint so the seed stacks' pods never land on them. Standard library only.
"""
import base64, http.client, json, os, ssl, subprocess, sys, tempfile, threading, time

NAMESPACES = [f"ph-bench-{i:02d}" for i in range(50)]
NODES = [f"ph-bench-node-{i}" for i in range(5)]
LABEL = "rig.pilothouse.dev/bench"
THREADS = 16

RIG_DIR = os.environ.get("RIG_DIR") or os.path.join(os.path.dirname(__file__), "../../../.rig")
KUBECONFIG = os.path.join(RIG_DIR, "kube/kubeconfig")
CLUSTER_DIR = os.path.join(RIG_DIR, "kube/kwok/clusters/pilothouse")


def log(msg):
    print(f"[rig bench-pods] {msg}", file=sys.stderr, flush=True)


class Api:
    """Authenticated HTTPS to the rig's API server, one kept-alive connection per thread."""

    def __init__(self):
        cfg = json.loads(subprocess.check_output(["kubectl", "--kubeconfig", KUBECONFIG, "config", "view", "--raw", "--minify", "-o", "json"]))
        cluster, user = cfg["clusters"][0]["cluster"], cfg["users"][0]["user"]
        host_port = cluster["server"].split("://", 1)[1]
        self.host, self.port = host_port.rsplit(":", 1)
        self.tmp = tempfile.mkdtemp(prefix="ph-bench-pods-")
        paths = {}
        for key in ("certificate-authority-data", "client-certificate-data", "client-key-data"):
            src = cluster if key.startswith("certificate") else user
            paths[key] = os.path.join(self.tmp, key)
            with open(paths[key], "wb") as f:
                f.write(base64.b64decode(src[key]))
        self.ctx = ssl.create_default_context(cafile=paths["certificate-authority-data"])
        self.ctx.load_cert_chain(paths["client-certificate-data"], paths["client-key-data"])
        self.local = threading.local()

    def _conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = self.local.conn = http.client.HTTPSConnection(self.host, int(self.port), context=self.ctx, timeout=120)
        return c

    def call(self, method, path, body=None, ok=(200, 201, 202)):
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(5):
            c = self._conn()
            try:
                c.request(method, path, body=data, headers={"Content-Type": "application/json", "Accept": "application/json"})
                r = c.getresponse()
                payload = r.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                c.close(); self.local.conn = None
                time.sleep(0.2 * (attempt + 1))
                continue
            if r.status == 429 or r.status >= 500:  # the server is busy: back off and send again
                time.sleep(0.2 * (attempt + 1))
                continue
            if r.status not in ok:
                raise RuntimeError(f"{method} {path}: HTTP {r.status}: {payload[:300].decode(errors='replace')}")
            return r.status, json.loads(payload) if payload else None
        raise RuntimeError(f"{method} {path}: gave up after 5 attempts")


def node(name):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "type": "kwok", LABEL: "true"},
                         "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {"taints": [{"key": LABEL, "value": "true", "effect": "NoSchedule"}]},
            "status": {"allocatable": {"cpu": "1000", "memory": "4Ti", "pods": "100000"},
                       "capacity": {"cpu": "1000", "memory": "4Ti", "pods": "100000"},
                       "nodeInfo": {"architecture": "amd64", "kubeletVersion": "v1.33.13", "operatingSystem": "linux"}}}


def pod(ns, i):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"bench-{i:06d}", "namespace": ns,
                         "labels": {LABEL: "true", "app": f"bench-{i % 20}"}},
            "spec": {"nodeName": NODES[i % len(NODES)],
                     "tolerations": [{"key": LABEL, "operator": "Exists", "effect": "NoSchedule"}],
                     "containers": [{"name": "app", "image": "busybox:bench", "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}}


def parallel(api, jobs):
    """Runs (method, path, body, ok) jobs on THREADS threads; raises the first error."""
    it = iter(jobs)
    lock = threading.Lock()
    errors = []

    def worker():
        while not errors:
            with lock:
                job = next(it, None)
            if job is None:
                return
            try:
                api.call(*job)
            except Exception as e:  # noqa: BLE001 - reported below, with the request that failed
                errors.append(e)

    ts = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in ts: t.start()
    for t in ts: t.join()
    if errors:
        raise errors[0]


def bench_pods(api):
    """Names of the bench pods per namespace, and how many are Running."""
    have, running = {ns: set() for ns in NAMESPACES}, 0
    cont = ""
    while True:
        _, lst = api.call("GET", f"/api/v1/pods?labelSelector={LABEL}%3Dtrue&limit=5000" + (f"&continue={cont}" if cont else ""))
        for p in lst["items"]:
            m = p["metadata"]
            if m["namespace"] in have:
                have[m["namespace"]].add(m["name"])
                running += p.get("status", {}).get("phase") == "Running"
        cont = lst["metadata"].get("continue")
        if not cont:
            return have, running


def control_plane_memory():
    """RSS of each control-plane process kwokctl started (MB), from /proc."""
    out = {}
    pids = os.path.join(CLUSTER_DIR, "pids")
    for f in sorted(os.listdir(pids)) if os.path.isdir(pids) else []:
        try:
            pid = open(os.path.join(pids, f)).read().strip()
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    out[f[:-4]] = int(line.split()[1]) // 1024
        except OSError:
            continue
    return out


def memory_line():
    m = control_plane_memory()
    return f"control plane RSS {sum(m.values())} MB (" + ", ".join(f"{k} {v}" for k, v in m.items()) + ")"


def create(api, n):
    t0 = time.time()
    for name in NODES:
        api.call("POST", "/api/v1/nodes", node(name), ok=(201, 409))
    for ns in NAMESPACES:
        api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {LABEL: "true"}}}, ok=(201, 409))
    have, _ = bench_pods(api)
    # Pod i lives in namespace i % 50, so any N spreads evenly and a smaller N is a prefix of a larger one.
    jobs = [("POST", f"/api/v1/namespaces/{NAMESPACES[i % 50]}/pods", pod(NAMESPACES[i % 50], i), (201, 409))
            for i in range(n) if f"bench-{i:06d}" not in have[NAMESPACES[i % 50]]]
    extra = [("DELETE", f"/api/v1/namespaces/{ns}/pods/{name}?gracePeriodSeconds=0", None, (200, 202, 404))
             for ns in NAMESPACES for name in have[ns] if int(name.split("-")[1]) >= n]
    log(f"creating {len(jobs)} pods ({n - len(jobs)} already there), removing {len(extra)} over {n}")
    parallel(api, jobs + extra)
    t1 = time.time()
    log(f"{len(jobs)} pods created in {t1 - t0:.1f} s ({len(jobs) / max(t1 - t0, 1e-3):.0f}/s); waiting for kwok to run them")
    # Polled with a filtered list of one item (is any bench pod not Running yet?): a full list of 50,000
    # pods every second would itself slow the apiserver, and kwok with it.
    deadline = time.time() + max(120, n / 50)
    not_running = f"/api/v1/pods?labelSelector={LABEL}%3Dtrue&fieldSelector=status.phase%21%3DRunning&limit=1"
    while api.call("GET", not_running)[1]["items"]:
        if time.time() > deadline:
            _, running = bench_pods(api)
            raise RuntimeError(f"only {running} of {n} bench pods Running after {time.time() - t0:.0f} s (kwok marks them Running; see its log in {CLUSTER_DIR}/logs)")
        time.sleep(2)
    have, running = bench_pods(api)
    if sum(len(s) for s in have.values()) != n or running != n:
        raise RuntimeError(f"{sum(len(s) for s in have.values())} bench pods, {running} Running, {n} asked")
    log(f"{n} pods Running {time.time() - t0:.1f} s after the start; {memory_line()}")
    print(json.dumps({"pods": n, "created": len(jobs), "createSeconds": round(t1 - t0, 1), "runningSeconds": round(time.time() - t0, 1), "controlPlaneRssMb": control_plane_memory()}))


def delete(api):
    t0 = time.time()
    # One request per namespace; grace 0 removes a pod at once (kwok has no kubelet to wait for).
    parallel(api, [("DELETE", f"/api/v1/namespaces/{ns}/pods?labelSelector={LABEL}%3Dtrue&gracePeriodSeconds=0", None, (200, 404)) for ns in NAMESPACES])
    parallel(api, [("DELETE", f"/api/v1/namespaces/{ns}", None, (200, 202, 404)) for ns in NAMESPACES]
             + [("DELETE", f"/api/v1/nodes/{name}", None, (200, 404)) for name in NODES])
    deadline = time.time() + 300
    while True:
        _, lst = api.call("GET", f"/api/v1/namespaces?labelSelector={LABEL}%3Dtrue")
        if not lst["items"]:
            break
        if time.time() > deadline:
            raise RuntimeError(f"{len(lst['items'])} bench namespaces still there after 300 s")
        time.sleep(1)
    log(f"bench pods, namespaces and nodes removed in {time.time() - t0:.1f} s; {memory_line()}")
    print(json.dumps({"pods": 0, "deleteSeconds": round(time.time() - t0, 1), "controlPlaneRssMb": control_plane_memory()}))


def main(argv):
    if len(argv) != 1 or not (argv[0] == "--status" or argv[0].isdigit()):
        sys.exit("usage: rig.sh bench-pods N | 0 | --status   (N pods across ph-bench-00..49; 0 removes them)")
    api = Api()
    if argv[0] == "--status":
        have, running = bench_pods(api)
        print(f"{sum(len(s) for s in have.values())} bench pods, {running} Running; {memory_line()}")
    elif int(argv[0]) == 0:
        delete(api)
    else:
        create(api, int(argv[0]))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except RuntimeError as e:
        sys.exit(f"[rig bench-pods] ERROR: {e}")
