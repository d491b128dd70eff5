"""Rig stand-in for the image-search API: POST /search-image is slow on purpose (~0.7 s), and
/metrics exposes http_request_duration_seconds like prometheus-fastapi-instrumentator does, so the
SearchRequestHighLatency alert fires for real. A background client keeps requests flowing.
Usage: search_service.py PORT [DELAY_SECONDS]"""
import sys, threading, time, urllib.request
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

PORT = int(sys.argv[1]); DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.7
BUCKETS = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0]
lock = threading.Lock()
stats = {}  # (handler, method, status) -> [count, sum, bucket counts]

def observe(handler, method, status, secs):
    with lock:
        s = stats.setdefault((handler, method, status), [0, 0.0, [0] * len(BUCKETS)])
        s[0] += 1; s[1] += secs
        for i, b in enumerate(BUCKETS):
            if secs <= b: s[2][i] += 1

def render():
    out = ["# HELP http_request_duration_seconds Latency of HTTP requests.",
           "# TYPE http_request_duration_seconds histogram"]
    with lock:
        for (h, m, st), (n, total, bk) in sorted(stats.items()):
            lab = f'handler="{h}",method="{m}",status="{st}"'
            for b, c in zip(BUCKETS, bk):
                out.append(f'http_request_duration_seconds_bucket{{{lab},le="{b}"}} {c}')
            out.append(f'http_request_duration_seconds_bucket{{{lab},le="+Inf"}} {n}')
            out.append(f"http_request_duration_seconds_sum{{{lab}}} {total}")
            out.append(f"http_request_duration_seconds_count{{{lab}}} {n}")
    return "\n".join(out) + "\n"

class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def _send(self, code, body, ctype="text/plain; version=0.0.4"):
        data = body.encode(); self.send_response(code)
        self.send_header("Content-Type", ctype); self.send_header("Content-Length", str(len(data)))
        self.end_headers(); self.wfile.write(data)
    def do_GET(self):
        if self.path == "/metrics": self._send(200, render())
        elif self.path == "/health": self._send(200, "ok")
        else: self._send(404, "not found")
    def do_POST(self):
        t0 = time.monotonic()
        n = int(self.headers.get("Content-Length") or 0); self.rfile.read(n)
        if self.path != "/search-image": return self._send(404, "not found")
        time.sleep(DELAY)
        self._send(200, '{"results": []}', "application/json")
        observe("/search-image", "POST", "2xx", time.monotonic() - t0)

def client():
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(
                f"http://127.0.0.1:{PORT}/search-image", data=b"{}", method="POST"), timeout=10).read()
        except Exception:
            pass
        time.sleep(2)

if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", PORT), H)
    threading.Thread(target=client, daemon=True).start()
    srv.serve_forever()
