"""Scenario driver for the rig's kwok cluster: pod statuses follow real conditions.

- argilla-server pods are Ready only while the password in secret extralit/main-db authenticates
  against the rig PostgreSQL (and their logs say why not).
- elasticsearch-master-0 is Ready only while the search-index stand-in is green.
- pods labelled rig.pilothouse.dev/crashloop=true go through CrashLoopBackOff with climbing restarts.
- container log files under $RIG_DIR/kube/logs (served by kwok ClusterLogs) get realistic lines.
- small HTTP stand-ins behind kwok ClusterPortForward (Elasticsearch, argilla /api/_status,
  pdf-chatbot streamlit and metrics).

kwok's own stages make pods Running/Ready once (they match only pods without a podIP), so status
patches made here stick until the pod is replaced.
"""
import datetime
import http.server
import json
import os
import random
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "py"))
import rigpg  # noqa: E402
import rigsearch  # noqa: E402

RIG_DIR = os.environ["RIG_DIR"]
KUBE_DIR = os.path.join(RIG_DIR, "kube")
KUBECONFIG = os.path.join(KUBE_DIR, "kubeconfig")
LOGS = os.path.join(KUBE_DIR, "logs")
STATE = os.path.join(KUBE_DIR, "state")
PORTS = {"es": 59200, "argilla": 56900, "chatbot": 58501, "chatbot-metrics": 58502}
CRASH_LABEL = "rig.pilothouse.dev/crashloop"
TICK = float(os.environ.get("RIG_KUBE_TICK", "2"))

status = {"db_ok": None, "db_error": "", "health": "green"}


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def kubectl(*args, stdin=None):
    p = subprocess.run(["kubectl", "--kubeconfig", KUBECONFIG, "--request-timeout=10s", *args],
                       input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip())
    return p.stdout


def log(container, line, previous=False, stream="stdout"):
    # kwok serves these files to `kubectl logs` and parses them in the CRI log format the kubelet uses.
    path = os.path.join(LOGS, container + (".previous.log" if previous else ".log"))
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
    with open(path, "a") as f:
        for part in line.rstrip("\n").split("\n"):
            f.write("%s %s F %s\n" % (ts, stream, part))


def check_db(password):
    e = rigpg.env()
    if not e:
        return False, "rig postgres is not up ($RIG_DIR/postgres/env missing)"
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="3")
    env.pop("PGPASSFILE", None)
    host, port = rigpg.target(e)
    p = subprocess.run(["psql", "-X", "-tA", "-h", host, "-p", port,
                        "-U", "postgres", "-d", "postgres", "-c", "SELECT 1"],
                       env=env, capture_output=True, text=True)
    err = p.stderr.strip().splitlines()
    return p.returncode == 0, (err[-1] if err else "")


def secret_password():
    out = kubectl("-n", "extralit", "get", "secret", "main-db", "-o", "jsonpath={.data.postgres-password}")
    import base64
    return base64.b64decode(out).decode()


def mirror_secret(pw):
    os.makedirs(STATE, exist_ok=True)
    path = os.path.join(STATE, "main-db-secret-password")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(pw)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def event(pod, reason, message, etype="Warning"):
    md = pod["metadata"]
    ev = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"generateName": md["name"] + ".", "namespace": md["namespace"]},
        "involvedObject": {"kind": "Pod", "name": md["name"], "namespace": md["namespace"], "uid": md["uid"],
                           "apiVersion": "v1", "fieldPath": "spec.containers{%s}" % pod["spec"]["containers"][0]["name"]},
        "reason": reason, "message": message, "type": etype, "count": 1,
        "firstTimestamp": now(), "lastTimestamp": now(),
        "source": {"component": "kubelet", "host": pod["spec"].get("nodeName", "")},
    }
    try:
        kubectl("create", "-f", "-", stdin=json.dumps(ev))
    except RuntimeError as e:
        print("event:", e, file=sys.stderr)


def patch_status(pod, ready, container_states=None):
    st = pod.get("status", {})
    t = now()
    conds = []
    for c in st.get("conditions", []):
        c = dict(c)
        if c["type"] in ("Ready", "ContainersReady"):
            want = "True" if ready else "False"
            if c.get("status") != want:
                c["status"] = want
                c["lastTransitionTime"] = t
            if ready:
                c.pop("reason", None)
                c.pop("message", None)
            else:
                names = [x["name"] for x in pod["spec"]["containers"]]
                c["reason"] = "ContainersNotReady"
                c["message"] = "containers with unready status: [%s]" % " ".join(names)
        conds.append(c)
    cs = []
    for c in st.get("containerStatuses", []):
        c = dict(c)
        c["ready"] = ready
        if container_states and c["name"] in container_states:
            c.update(container_states[c["name"]])
        cs.append(c)
    body = {"status": {"conditions": conds, "containerStatuses": cs}}
    md = pod["metadata"]
    kubectl("-n", md["namespace"], "patch", "pod", md["name"], "--subresource=status", "--type=merge",
            "-p", json.dumps(body))


def is_ready(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c["type"] == "Ready":
            return c.get("status") == "True"
    return False


crash = {}  # pod uid -> next restart time


def handle_crashloop(pod):
    md, st = pod["metadata"], pod.get("status", {})
    uid = md["uid"]
    cname = pod["spec"]["containers"][0]["name"]
    cstat = next((c for c in st.get("containerStatuses", []) if c["name"] == cname), None)
    if cstat is None:
        return
    restarts = cstat.get("restartCount", 0)
    due = crash.get(uid)
    if due is not None and time.time() < due:
        return
    # Back-off doubles like the kubelet's, but from 5 s and capped at 20 s so tests see it climb.
    crash[uid] = time.time() + min(5 * 2 ** min(restarts, 3), 20)
    t = now()
    restarts += 1
    msg = "back-off %ds restarting failed container=%s pod=%s_%s(%s)" % (
        min(10 * 2 ** (restarts - 1), 300), cname, md["name"], md["namespace"], uid)
    state = {cname: {
        "restartCount": restarts, "started": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": msg}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": t, "finishedAt": t}},
    }}
    for line in ["Script executed successfully.",
                 "Prisma schema loaded from packages/shared/prisma/schema.prisma",
                 "Datasource \"db\": PostgreSQL database \"langfuse\", schema \"public\" at \"main-db:5432\"",
                 "Error: P1001: Can't reach database server at `langfuse-db:5432`",
                 "Please make sure your database server is running at `langfuse-db:5432`.",
                 "Applying database migrations failed. This is mostly caused by the database being unavailable.",
                 "Exiting..."]:
        log(cname, line, previous=True)
    patch_status(pod, False, state)
    if restarts == 1:
        event(pod, "BackOff", "Back-off restarting failed container %s in pod %s" % (cname, md["name"]))


def reconcile():
    try:
        pw = secret_password()
    except RuntimeError as e:
        print("secret:", e, file=sys.stderr)
        return
    mirror_secret(pw)
    ok, err = check_db(pw)
    if ok != status["db_ok"]:
        print(now(), "main-db auth", "ok" if ok else "FAILED: " + err, flush=True)
    status["db_ok"], status["db_error"] = ok, err
    health = rigsearch.load().get("health", "red")
    if health != status["health"]:
        print(now(), "search health", health, flush=True)
        log("elasticsearch", json.dumps({"@timestamp": now(), "log.level": "INFO", "message":
            "Cluster health status changed from [%s] to [%s] (reason: [shards started])."
            % (status["health"].upper(), health.upper()), "ecs.version": "1.2.0",
            "service.name": "ES_ECS", "event.dataset": "elasticsearch.server"}))
    status["health"] = health

    # Only the pods the driver acts on: extralit's and those labelled to crash-loop. A list of every pod
    # each tick cost ~8 s of CPU with the bench's 10,000 pods and skewed every figure measured meanwhile.
    pods = {}
    for args in (("-n", "extralit"), ("-A", "-l", CRASH_LABEL + "=true")):
        for pod in json.loads(kubectl("get", "pods", *args, "-o", "json"))["items"]:
            pods[pod["metadata"]["uid"]] = pod
    for pod in pods.values():
        md, st = pod["metadata"], pod.get("status", {})
        if md.get("deletionTimestamp") or st.get("phase") != "Running" or not st.get("podIP"):
            continue
        labels = md.get("labels", {})
        try:
            if labels.get(CRASH_LABEL) == "true":
                handle_crashloop(pod)
                continue
            want = None
            if md["namespace"] == "extralit" and labels.get("app") == "argilla-server":
                want = ok
                reason = "Readiness probe failed: HTTP probe failed with statuscode: 500"
            elif md["namespace"] == "extralit" and labels.get("app") == "elasticsearch-master":
                want = health == "green"
                reason = ('Readiness probe failed: Waiting for elasticsearch cluster to become ready '
                          '(request params: "wait_for_status=green&timeout=10s" )\n'
                          'Cluster is not yet ready (request params: "wait_for_status=green&timeout=10s" )')
            if want is not None and want != is_ready(pod):
                print(now(), "pod %s/%s Ready=%s" % (md["namespace"], md["name"], want), flush=True)
                patch_status(pod, want)
                if not want:
                    event(pod, "Unhealthy", reason)
        except RuntimeError as e:
            print("pod %s: %s" % (md["name"], e), file=sys.stderr)


def write_logs(n):
    host = "10.244.0.%d" % random.randint(2, 250)
    if status["db_ok"]:
        log("argilla-server", 'INFO:     %s:%d - "GET /api/_status HTTP/1.1" 200 OK' % (host, random.randint(30000, 60000)))
        if n % 5 == 0:
            log("argilla-server", 'INFO:     %s:%d - "GET /api/v1/me/datasets HTTP/1.1" 200 OK' % (host, random.randint(30000, 60000)))
    else:
        log("argilla-server", "sqlalchemy.exc.OperationalError: (asyncpg.exceptions.InvalidPasswordError) "
            'password authentication failed for user "postgres"')
        log("argilla-server", 'INFO:     %s:%d - "GET /api/_status HTTP/1.1" 500 Internal Server Error' % (host, random.randint(30000, 60000)))
        log("postgresql", '%s UTC [%d] FATAL:  password authentication failed for user "postgres"'
            % (time.strftime("%Y-%m-%d %H:%M:%S.000"), random.randint(1000, 9999)))
        log("postgresql", '%s UTC [%d] DETAIL:  Connection matched pg_hba.conf line 1: "host all all 0.0.0.0/0 md5"'
            % (time.strftime("%Y-%m-%d %H:%M:%S.000"), random.randint(1000, 9999)))
    if status["health"] != "green" and n % 2 == 0:
        log("elasticsearch", json.dumps({"@timestamp": now(), "log.level": "WARN", "message":
            "path: /_cluster/health, params: {wait_for_status=green, timeout=10s}, status: 408",
            "service.name": "ES_ECS", "event.dataset": "elasticsearch.server"}))
    if n % 15 == 0:
        log("postgresql", "%s UTC [64] LOG:  checkpoint starting: time" % time.strftime("%Y-%m-%d %H:%M:%S.000"))
        log("weaviate", json.dumps({"action": "lsm_compaction", "level": "info", "msg": "compaction finished",
                                    "time": now()}))
        log("minio", "API: SYSTEM() Time: %s Healthcheck OK" % time.strftime("%H:%M:%S UTC %m/%d/%Y"))
        log("langfuse", "%s info  [Langfuse] GET /api/public/health 200" % now())
        log("extralit-server", 'INFO:     %s:%d - "GET /health HTTP/1.1" 200 OK' % (host, random.randint(30000, 60000)))
        log("pdf-chatbot", "%s INFO streamlit: session started, tokens=%d" % (now(), random.randint(50, 900)))


def seed_logs():
    os.makedirs(LOGS, exist_ok=True)
    t = time.strftime("%Y-%m-%d %H:%M:%S.000")
    seeds = {
        "postgresql": ["postgresql 13:02:11.41 INFO  ==> ** Starting PostgreSQL setup **",
                       "postgresql 13:02:11.52 INFO  ==> Loading custom pre-init scripts...",
                       "postgresql 13:02:12.10 INFO  ==> ** PostgreSQL setup finished! **",
                       "%s UTC [1] LOG:  database system is ready to accept connections" % t],
        "elasticsearch": [json.dumps({"@timestamp": now(), "log.level": "INFO", "message": "started",
                                      "service.name": "ES_ECS", "event.dataset": "elasticsearch.server"})],
        "argilla-server": ["Running database migrations", "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.",
                           "Checking search engine connection...", "INFO:     Started server process [1]",
                           "INFO:     Uvicorn running on http://0.0.0.0:6900 (Press CTRL+C to quit)"],
        "extralit-server": ["INFO:     Uvicorn running on http://0.0.0.0:5555 (Press CTRL+C to quit)"],
        "langfuse": ["Script executed successfully.", "  \u25b2 Next.js 14.2.3", "  - Local: http://localhost:3000",
                     " \u2713 Ready in 1843ms"],
        "weaviate": [json.dumps({"action": "startup", "level": "info", "msg": "Serving weaviate at http://[::]:8080",
                                 "time": now()})],
        "minio": ["MinIO Object Storage Server", "API: http://10.244.0.9:9000  http://127.0.0.1:9000",
                  "WebUI: http://10.244.0.9:9090 http://127.0.0.1:9090"],
        "pdf-chatbot": ["  You can now view your Streamlit app in your browser.", "  URL: http://0.0.0.0:8501"],
    }
    for name, lines in seeds.items():
        path = os.path.join(LOGS, name + ".log")
        if not os.path.exists(path):
            for line in lines:
                log(name, line)
        open(os.path.join(LOGS, name + ".previous.log"), "a").close()


class Handler(http.server.BaseHTTPRequestHandler):
    kind = ""

    def log_message(self, *a):
        pass

    def reply(self, code, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        path, _, query = self.path.partition("?")
        if self.kind == "es":
            s = rigsearch.load()
            h = s.get("health", "red")
            if path == "/_cluster/health":
                body = {"cluster_name": "elasticsearch", "status": h, "timed_out": False, "number_of_nodes": 1,
                        "number_of_data_nodes": 1, "active_primary_shards": len(s.get("indexes", [])),
                        "unassigned_shards": 0 if h == "green" else len(s.get("indexes", [])) or 1}
                if "wait_for_status=green" in query and h != "green":
                    body["timed_out"] = True
                    return self.reply(408, body)
                return self.reply(200, body)
            if path.startswith("/_cat/indices"):
                return self.reply(200, "".join("%s open %s 1 %d %d\n" % (
                    h if h == "green" else "yellow", ix["name"], ix.get("replicas", 0), ix["docs"])
                    for ix in s.get("indexes", [])), "text/plain")
            return self.reply(200, {"name": "elasticsearch-master-0", "cluster_name": "elasticsearch",
                                    "version": {"number": "8.5.1"}, "tagline": "You Know, for Search"})
        if self.kind == "argilla":
            if path in ("/api/_status", "/api/v1/status"):
                if status["db_ok"]:
                    return self.reply(200, {"version": "1.29.0", "elasticsearch": {"status": status["health"]},
                                            "memory": {"rss": "312MB"}})
                return self.reply(500, {"detail": "password authentication failed for user \"postgres\""})
            return self.reply(404, {"detail": "Not Found"})
        if self.kind == "chatbot":
            if path in ("/healthz", "/_stcore/health"):
                return self.reply(200, "ok", "text/plain")
            return self.reply(200, "<html><title>PDF Chatbot</title><body>Streamlit</body></html>", "text/html")
        if self.kind == "chatbot-metrics":
            return self.reply(200, "# TYPE token_count counter\ntoken_count %d\n# TYPE number_of_requests counter\n"
                              "number_of_requests %d\n# TYPE latency gauge\nlatency %.3f\n"
                              % (int(time.time()) % 100000, int(time.time() / 7) % 10000, random.random()),
                              "text/plain; version=0.0.4")
        self.reply(404, {})


def serve(kind, port):
    h = type("H_" + kind.replace("-", "_"), (Handler,), {"kind": kind})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), h)
    threading.Thread(target=srv.serve_forever, daemon=True).start()


def main():
    seed_logs()
    for kind, port in PORTS.items():
        serve(kind, port)
    n = 0
    while True:
        try:
            reconcile()
            write_logs(n)
        except Exception as e:  # keep driving through apiserver restarts and the like
            print(now(), "tick failed:", e, file=sys.stderr, flush=True)
        n += 1
        time.sleep(TICK)


if __name__ == "__main__":
    main()
