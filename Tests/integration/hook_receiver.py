#!/usr/bin/env python3
"""An authorization hook receiver for the hook suite: a threading http.server on loopback.

usage: hook_receiver.py PORTFILE LOGFILE [CERT KEY CLIENT_CA]
Prints its port to PORTFILE once listening. With CERT KEY CLIENT_CA it speaks TLS and
requires a client certificate chaining to CLIENT_CA. Every request's JSON body (and the
client certificate's CN under TLS) is appended to LOGFILE, one JSON line each.
Paths: /allow, /deny, /deny-ctl (a reason with control characters), /deny-long (10 KB),
/slow (answers after 3 s), /hang (after 12 s), /500, /garbage, /allow-number ({"allow": 1}),
/redirect (302 to /allow), /big (1 MB of JSON whitespace then allow), /allow-dup and
/allow-dup-escaped ("allow" twice, true first), /allow-nested (allow, with nested members
named "allow" and braces inside strings), /allow-utf16 (allow, in UTF-16 with a BOM).
"""
import json, ssl, sys, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

portfile, logfile = sys.argv[1], sys.argv[2]
lock = threading.Lock()

class Hook(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        entry = {'path': self.path, 'content_type': self.headers.get('Content-Type'),
                 'request_id_header': self.headers.get('X-Request-ID')}
        try: entry['doc'] = json.loads(body)
        except ValueError: entry['doc'] = None
        peer = getattr(self.connection, 'getpeercert', lambda: None)()
        if peer: entry['client_cn'] = dict(x[0] for x in peer['subject']).get('commonName')
        with lock:
            with open(logfile, 'a') as f: f.write(json.dumps(entry) + '\n')
        p = self.path
        if p == '/allow': self.answer(200, {'allow': True})
        elif p == '/deny': self.answer(200, {'allow': False, 'reason': 'device not in inventory'})
        elif p == '/deny-ctl': self.answer(200, {'allow': False, 'reason': 'bad\r\nX-Injected: 1\x1b[31m'})
        elif p == '/deny-long': self.answer(200, {'allow': False, 'reason': 'x' * 10000})
        elif p == '/slow': time.sleep(3); self.answer(200, {'allow': True})
        elif p == '/hang': time.sleep(12); self.answer(200, {'allow': True})
        elif p == '/500': self.answer(500, {'allow': True})
        elif p == '/garbage': self.raw(200, b'<html>allow</html>')
        elif p == '/allow-number': self.answer(200, {'allow': 1})
        elif p == '/redirect':
            self.send_response(302); self.send_header('Location', '/allow'); self.send_header('Content-Length', '0'); self.end_headers()
        elif p == '/allow-dup': self.raw(200, b'{"allow": true, "allow": false}')
        elif p == '/allow-dup-escaped': self.raw(200, b'{"reason": "x", "al\\u006cow": true, "allow": false}')
        elif p == '/allow-utf16': self.raw(200, '{"allow": true}'.encode('utf-16'))
        elif p == '/allow-nested': self.raw(200, b'{"x": {"allow": false, "y": ["}", "\\"", {"allow": 1}]}, "allow": true, "reason": "ok"}')
        elif p == '/big': self.raw(200, b' ' * 1000000 + b'{"allow": true}')
        else: self.answer(404, {})

    def answer(self, status, obj): self.raw(status, json.dumps(obj).encode())

    def raw(self, status, body):
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        try: self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError): pass

server = ThreadingHTTPServer(('127.0.0.1', 0), Hook)
server.daemon_threads = True
if len(sys.argv) > 3:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    ctx.load_verify_locations(sys.argv[5])
    ctx.verify_mode = ssl.CERT_REQUIRED
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(portfile + '.tmp', 'w') as f: f.write(str(server.server_address[1]))
import os; os.rename(portfile + '.tmp', portfile)
server.serve_forever()
