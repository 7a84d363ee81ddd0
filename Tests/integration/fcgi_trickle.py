#!/usr/bin/python3
"""A FastCGI client that talks to the responder's socket directly, as a slow or stalled
client would if it could: it sends the request's parameters, then the body one byte every
INTERVAL seconds (or nothing, with --idle). Prints the HTTP status the responder answered
(or 'closed' when it closed the connection without an answer) and the seconds it took.

usage: fcgi_trickle.py HOST:PORT CERT.pem CSR.der [--interval SECONDS] [--idle]
"""
import socket, sys, time, urllib.parse
from fcgi_records import pair, record


def main(argv):
    host, port = argv[1].rsplit(":", 1)
    cert = urllib.parse.quote(open(argv[2]).read()).encode()
    body = open(argv[3], "rb").read()
    interval = float(argv[argv.index("--interval") + 1]) if "--interval" in argv else 1.0
    s = socket.create_connection((host, int(port)))
    start = time.monotonic()
    answer = b""
    if "--idle" not in argv:
        params = b"".join(pair(k, v) for k, v in [
            (b"REQUEST_METHOD", b"POST"), (b"DOCUMENT_URI", b"/.well-known/est/simpleenroll"),
            (b"CONTENT_TYPE", b"application/pkcs10"), (b"CONTENT_LENGTH", str(len(body)).encode()),
            (b"SSL_CLIENT_CERT", cert)])
        s.sendall(record(1, b"\x00\x01\x00\x00\x00\x00\x00\x00") + record(4, params) + record(4, b""))
        s.settimeout(interval)
        for b in body:
            try:
                s.sendall(record(5, bytes([b])))
                answer = s.recv(65536)  # an answer (or a close) before the body ends
                break
            except socket.timeout:
                continue
            except OSError:
                break
    s.settimeout(60)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    except OSError:
        pass
    status = "closed"
    marker = answer.find(b"Status: ")
    if marker >= 0:
        status = answer[marker + 8:marker + 11].decode()
    print(status, round(time.monotonic() - start, 1))


if __name__ == "__main__":
    main(sys.argv)
