#!/usr/bin/env python3
"""A notification receiver for the notify suite: Python's http.server on loopback.

Each POST is appended to LOG as one JSON line {id, type, subject, sig, body_sha256, ...},
`sig` being "ok", "bad" or "none" (HMAC-SHA256 of the exact body under SECRET, compared
in constant time). Answers 204, or what the file STATUS_FILE holds (e.g. 500) when it
exists; sleeps DELAY seconds before answering (a slow receiver). With --cert/--key, HTTPS.
"""
import argparse, hashlib, hmac, http.server, json, os, ssl, sys, threading

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--log", required=True)
p.add_argument("--secret-file")
p.add_argument("--status-file")
p.add_argument("--delay", type=float, default=0.0)
p.add_argument("--cert")
p.add_argument("--key")
a = p.parse_args()
secret = None
if a.secret_file:
    with open(a.secret_file, "rb") as f:
        secret = f.read().split(b"\n", 1)[0].rstrip(b"\r")
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status = 204
        if a.status_file and os.path.exists(a.status_file):
            status = int(open(a.status_file).read().strip() or "500")
        got = self.headers.get("X-EST-Signature")
        sig = "none"
        if got is not None:
            want = "sha256=" + hmac.new(secret or b"", body, hashlib.sha256).hexdigest()
            sig = "ok" if secret is not None and hmac.compare_digest(got, want) else "bad"
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        if a.delay:
            import time
            time.sleep(a.delay)
        if status < 300:
            with lock, open(a.log, "a") as f:
                f.write(json.dumps({"id": event.get("id"), "type": event.get("type"), "subject": event.get("subject"),
                                    "specversion": event.get("specversion"), "source": event.get("source"),
                                    "data": event.get("data"), "sig": sig,
                                    "ctype": self.headers.get("Content-Type"),
                                    "body_sha256": hashlib.sha256(body).hexdigest()}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
if a.cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
print("listening", flush=True)
server.serve_forever()
