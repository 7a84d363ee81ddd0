#!/usr/bin/python3
"""A FastCGI client that writes the records itself, to send what no web server sends: the
body without the empty FCGI_STDIN record that ends it (or with it late), every byte in its
own write (--pace seconds apart), an FCGI_ABORT_REQUEST after the body, FCGI_KEEP_CONN with two requests on one
connection. Prints one line per request: the HTTP status (or 'closed' when the connection
ended without FCGI_END_REQUEST), the seconds until FCGI_END_REQUEST arrived, and whether
the body was a whole certs-only PKCS#7 ('p7' or '-'), with --reason a refusal's text; then 'eof SECONDS' when the
responder closed the connection.

usage: fcgi_raw.py HOST:PORT|/unix.sock CERT.pem BODY.der [--no-end] [--late S] [--bytewise]
                   [--pace S] [--abort-after] [--keep [--same-id]] [--path P] [--method M] [--length N]
                   [--reason] [--first-body FILE] [--first-type TYPE]
"""
import base64, socket, subprocess, sys, time, urllib.parse
from fcgi_records import pair, record

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6


def connect(where):
    if where.startswith("/"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(where)
        return s
    host, port = where.rsplit(":", 1)
    return socket.create_connection((host, int(port)))


def send(s, data, bytewise, pace=0.001):
    if not bytewise:
        s.sendall(data)
        return
    for i in range(len(data)):
        s.sendall(data[i:i + 1])
        time.sleep(pace)


def read_answer(s, start):
    """Reads records until FCGI_END_REQUEST: (status, seconds, stdout bytes); the status
    is 'closed' when the connection ended first, 'timeout' when the socket's timed out."""
    buf, out = b"", b""
    while True:
        while len(buf) >= 8:
            clen = (buf[4] << 8) | buf[5]
            total = 8 + clen + buf[6]
            if len(buf) < total:
                break
            kind, content = buf[1], buf[8:8 + clen]
            buf = buf[total:]
            if kind == STDOUT:
                out += content
            elif kind == END:
                return status_of(out), round(time.monotonic() - start, 2), out
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return "timeout", round(time.monotonic() - start, 2), out
        except OSError:
            chunk = b""
        if not chunk:
            return "closed", round(time.monotonic() - start, 2), out
        buf += chunk


def status_of(out):
    marker = out.find(b"Status: ")
    return out[marker + 8:marker + 11].decode() if marker >= 0 else "200?"


def whole_p7(out):
    head, _, body = out.partition(b"\r\n\r\n")
    try:
        der = base64.b64decode(body, validate=False)
    except Exception:
        return "-"
    r = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-print_certs", "-noout"], input=der,
                       capture_output=True)
    return "p7" if r.returncode == 0 and der else "-"


def main(argv):
    opt = lambda name, default: argv[argv.index(name) + 1] if name in argv else default
    cert = urllib.parse.quote(open(argv[2]).read()).encode()
    body = open(argv[3], "rb").read()
    bytewise = "--bytewise" in argv
    keep = "--keep" in argv
    late = float(opt("--late", "-1"))
    pace = float(opt("--pace", "0.001"))
    s = connect(argv[1])
    s.settimeout(60)
    requests = 2 if keep else 1
    second = body
    for n in range(1, requests + 1):
        rid = 1 if "--same-id" in argv else n
        # --first-body/--first-type: the first request's own body and media type (e.g. one
        # refused before its body is read, with the second on the same kept connection).
        body = open(argv[argv.index("--first-body") + 1], "rb").read() if n == 1 and "--first-body" in argv else second
        ctype = opt("--first-type", "application/pkcs10") if n == 1 else "application/pkcs10"
        params = b"".join(pair(k, v) for k, v in [
            (b"REQUEST_METHOD", opt("--method", "POST").encode()),
            (b"DOCUMENT_URI", opt("--path", "/.well-known/est/simpleenroll").encode()),
            (b"CONTENT_TYPE", ctype.encode()),
            (b"CONTENT_LENGTH", opt("--length", str(len(body))).encode()),
            (b"SSL_CLIENT_CERT", cert)])
        flags = 1 if keep else 0
        head = record(BEGIN, bytes([0, 1, flags, 0, 0, 0, 0, 0]), rid) + record(PARAMS, params, rid) + record(PARAMS, b"", rid)
        data = b"".join(record(STDIN, body[i:i + 65535], rid) for i in range(0, len(body), 65535))
        end = record(STDIN, b"", rid)
        start = time.monotonic()  # the answer is due within --read-timeout of this
        send(s, head, bytewise)
        if "--no-end" in argv or late >= 0:
            send(s, data, bytewise or "--pace" in argv, pace)
        else:  # the end with the body's last bytes, as nginx and Apache send it
            send(s, data + end, bytewise or "--pace" in argv, pace)
            if "--abort-after" in argv:
                send(s, record(ABORT, b"", rid), False)
        if late >= 0:
            s.settimeout(late)  # the answer may come before the stream's end
            status, secs, out = read_answer(s, start)
            s.settimeout(60)
            try:
                send(s, end, False)
            except OSError:
                pass
            if status == "timeout":
                status, secs, out = read_answer(s, start)
        else:
            status, secs, out = read_answer(s, start)
        line = [status, secs, whole_p7(out) if status == "200" else "-"]
        if "--reason" in argv and status != "200":  # the refusal's one-line reason
            line.append(out.partition(b"\r\n\r\n")[2].decode(errors="replace").strip())
        print(*line, flush=True)
    start = time.monotonic()
    try:
        while s.recv(65536):
            pass
        print("eof", round(time.monotonic() - start, 2))
    except OSError as e:
        print("error", type(e).__name__, round(time.monotonic() - start, 2))


if __name__ == "__main__":
    main(sys.argv)
