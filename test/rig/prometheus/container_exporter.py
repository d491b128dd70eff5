"""cAdvisor-style container memory metrics for the rig's Docker engine (Docker API over its unix
socket, one-shot stats, every 5 s), so ContainerHighMemoryUsage has real series to evaluate.
container_spec_memory_limit_bytes is 0 for containers without a memory limit, as in cAdvisor.
Usage: container_exporter.py PORT DOCKER_HOST_FILE"""
import http.client, json, socket, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

PORT = int(sys.argv[1]); HOST_FILE = sys.argv[2]

class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("docker", timeout=10); self.path = path
    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(10); s.connect(self.path); self.sock = s

def api(path_sock, url):
    c = UnixConn(path_sock)
    try:
        c.request("GET", url); r = c.getresponse(); body = r.read()
        if r.status != 200: raise RuntimeError(f"{url}: {r.status}")
        return json.loads(body)
    finally:
        c.close()

def esc(v): return str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")

state = {"text": "", "lock": threading.Lock()}

def collect():
    lines = ["# TYPE container_memory_usage_bytes gauge", "# TYPE container_spec_memory_limit_bytes gauge",
             "# TYPE rig_container_exporter_up gauge"]
    try:
        with open(HOST_FILE) as f: sock = f.read().strip().removeprefix("unix://")
        cs = api(sock, "/containers/json")
        # One stats call takes ~0.15 s; in parallel a collection of ~35 containers stays under a second,
        # so a memory change reaches Prometheus within one interval.
        def one(c):
            cid = c["Id"]
            return (api(sock, f"/containers/{cid}/stats?stream=false&one-shot=true"), api(sock, f"/containers/{cid}/json"))
        with ThreadPoolExecutor(max_workers=8) as ex: answers = list(ex.map(one, cs))
        for c, (st, insp) in zip(cs, answers):
            cid = c["Id"]; name = c["Names"][0].lstrip("/"); lab = c.get("Labels") or {}
            labels = (f'id="/docker/{cid}",name="{esc(name)}",image="{esc(c.get("Image", ""))}",'
                      f'container_label_com_docker_compose_project="{esc(lab.get("com.docker.compose.project", ""))}",'
                      f'container_label_com_docker_compose_service="{esc(lab.get("com.docker.compose.service", ""))}"')
            lines.append(f"container_memory_usage_bytes{{{labels}}} {st.get('memory_stats', {}).get('usage', 0)}")
            lines.append(f"container_spec_memory_limit_bytes{{{labels}}} {insp.get('HostConfig', {}).get('Memory', 0) or 0}")
        lines.append("rig_container_exporter_up 1")
    except Exception as e:  # no engine (docker component down): export only the up gauge
        lines.append("rig_container_exporter_up 0")
        lines.append(f"# error: {esc(e)}")
    with state["lock"]: state["text"] = "\n".join(lines) + "\n"

def loop():
    while True:
        collect(); time.sleep(5)

class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path != "/metrics":
            self.send_response(404); self.end_headers(); return
        with state["lock"]: data = state["text"].encode()
        self.send_response(200); self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)

if __name__ == "__main__":
    collect()
    threading.Thread(target=loop, daemon=True).start()
    ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
