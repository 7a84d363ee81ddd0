#!/usr/bin/python3
"""COUNT requests over one kept-alive TLS connection (HTTP/1.1), alternating GET PATH and,
with --post, POST POSTPATH of BODY; prints how many answers were whole: status 200, a body
of the announced Content-Length that is base64 of a PKCS#7 the first answer's bytes match
(GET) or that openssl reads (every 50th POST), then the number of connections it needed.

usage: keepalive_burst.py HOST PORT PATH COUNT CA.pem [--cert PEM --key KEY] [--post PATH BODY]
"""
import base64, http.client, ssl, subprocess, sys


def main(argv):
    host, port, path, count, ca = argv[1], int(argv[2]), argv[3], int(argv[4]), argv[5]
    opt = lambda name, i=1: argv[argv.index(name) + i] if name in argv else None
    context = ssl.create_default_context(cafile=ca)
    context.check_hostname = False
    if "--cert" in argv:
        context.load_cert_chain(opt("--cert"), opt("--key"))
    post_path, body = opt("--post"), open(opt("--post", 2), "rb").read() if "--post" in argv else None
    conns, whole, first = 0, 0, None
    c = None
    for i in range(count):
        if c is None:
            c = http.client.HTTPSConnection(host, port, context=context, timeout=20)
            conns += 1
        try:
            if body is not None and i % 2 == 1:
                c.request("POST", post_path, body, {"Content-Type": "application/pkcs10"})
            else:
                c.request("GET", path)
            r = c.getresponse()
            data = r.read()
        except Exception as e:
            print("error", i, type(e).__name__, e, file=sys.stderr)
            c.close(); c = None
            continue
        ok = r.status == 200 and len(data) == int(r.getheader("Content-Length", "-1") or -1)
        if ok and (body is None or i % 2 == 0):
            first = first or data
            ok = data == first
        elif ok and i % 100 == 1:
            der = base64.b64decode(data)
            ok = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-noout"], input=der,
                                capture_output=True).returncode == 0
        if not ok:
            print("bad", i, r.status, data[:80], file=sys.stderr)
        whole += ok
        if r.getheader("Connection", "").lower() == "close":
            c.close(); c = None
    print(whole, conns)


if __name__ == "__main__":
    main(sys.argv)
