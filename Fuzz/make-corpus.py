#!/usr/bin/env python3
"""Writes the committed seed corpora under Fuzz/corpus/<Target>/ (run from the repository
root; it rewrites only the seeds it names, so files libFuzzer minimised into a corpus by hand
stay). The CSRs are Tests/Vectors/csr's known-answer vectors."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VEC = os.path.join(ROOT, "Tests", "Vectors", "csr")
OUT = os.path.join(ROOT, "Fuzz", "corpus")


def vec(name):
    with open(os.path.join(VEC, name), "rb") as f:
        return f.read()


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


ders = sorted(n for n in os.listdir(VEC) if n.endswith(".der"))
texts = sorted(n for n in os.listdir(VEC) if n.endswith(".pem") or n.endswith(".b64"))

# FuzzCSR: DER CSRs (the body of a simpleenroll).
for n in ders:
    write("FuzzCSR", n, vec(n))

# FuzzBody: every encoding a body may come in, and some that must be refused.
for n in ders[:6] + ["body.der", "trailing-garbage.der"]:
    write("FuzzBody", n, vec(n))
for n in texts:
    write("FuzzBody", n, vec(n))
pem = vec("ossl-p256-san.pem")
write("FuzzBody", "new-label.pem", pem.replace(b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"))
write("FuzzBody", "other-label-first.pem", b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n" + pem)
write("FuzzBody", "rfc1421-headers.pem", pem.replace(b"-----\n", b"-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n", 1))
write("FuzzBody", "indented-crlf.pem", b"\r\n".join(b"  " + l for l in pem.split(b"\n")))
write("FuzzBody", "leading-ws.der", b" \r\n\t" + vec("body.der"))
write("FuzzBody", "b64-junk.b64", vec("body.lf64.b64")[:100] + b"*" + vec("body.lf64.b64")[100:])
write("FuzzBody", "b64-unpadded.b64", vec("body.oneline.b64").rstrip(b"=\n"))
write("FuzzBody", "whitespace-only", b" \r\n\t")
write("FuzzBody", "padding-only", b"====")

# FuzzRoute: path 0xFF pinned 0xFF DOCUMENT_URI 0xFF SCRIPT_NAME 0xFF PATH_INFO 0xFF REQUEST_URI
S = b"\xff"
routes = {
    "default": [b"/.well-known/est/simpleenroll"],
    "label": [b"/.well-known/est/iot/simpleenroll"],
    "pinned": [b"/.well-known/est/cacerts", b"iot"],
    "pinned-same": [b"/.well-known/est/iot/csrattrs", b"iot"],
    "pinned-other": [b"/.well-known/est/lab/serverkeygen", b"iot"],
    "pinned-empty": [b"/.well-known/est/iot/simplereenroll", b""],
    "dotdot": [b"/.well-known/est/../simpleenroll"],
    "dot": [b"/.well-known/est/./cacerts"],
    "op-as-label": [b"/.well-known/est/cacerts/simpleenroll"],
    "three-segments": [b"/.well-known/est/a/b/fullcmc"],
    "trailing-slash": [b"/.well-known/est/simpleenroll/"],
    "empty-label": [b"/.well-known/est//simpleenroll"],
    "nul": [b"/.well-known/est/io\x00t/simpleenroll", b"io\x00t"],
    "utf8-label": [b"/.well-known/est/\xc3\xa9t\xc3\xa9/cacerts"],
    "combining": [b"/.well-known/est/\xcc\x81simpleenroll"],
    "long-label": [b"/.well-known/est/" + b"a" * 65 + b"/cacerts"],
    "apache-proxy": [b"", b"", b"", b"/.well-known/est/iot/simpleenroll", b""],
    "apache-fcgid": [b"", b"", b"", b"/.well-known/est", b"/iot/simpleenroll"],
    "request-uri": [b"", b"", b"", b"", b"", b"/.well-known/est/iot/simpleenroll?x=1"],
    "request-uri-2f": [b"", b"", b"", b"", b"", b"/.well-known/est/a%2Fb/simpleenroll"],
    "request-uri-dotdot": [b"", b"", b"", b"", b"", b"/.well-known/est/%2E%2E/cacerts"],
    "request-uri-bad-pct": [b"", b"", b"", b"", b"", b"/.well-known/est/%zz/cacerts"],
    "request-uri-nul": [b"", b"", b"", b"", b"", b"/.well-known/est/a%00b/cacerts"],
    "nginx": [b"/.well-known/est/iot/simpleenroll", b"", b"/.well-known/est/iot/simpleenroll", b"", b"",
              b"/.well-known/est/iot/../iot/simpleenroll"],
}
for name, fields in routes.items():
    write("FuzzRoute", name, S.join(fields))

# FuzzParams: cap byte, chunk byte, NUL-separated NAME=value entries, an empty entry, body.
def params(entries, body=b"", cap=255, chunk=7):
    return bytes([cap, chunk]) + b"\x00".join(entries) + b"\x00\x00" + body

csr = vec("ossl-p256-san.der")
b64 = vec("body.lf64.b64")
common = [b"SERVER_SOFTWARE=nginx/1.22.1", b"GATEWAY_INTERFACE=CGI/1.1", b"REMOTE_ADDR=127.0.0.1",
          b"HTTPS=on", b"SSL_CLIENT_VERIFY=SUCCESS", b"SSL_CLIENT_CERT=@bootstrap"]
def enroll(op, label=b"", ctype=b"application/pkcs10", body=b64, extra=()):
    path = b"/.well-known/est/" + (label + b"/" if label else b"") + op
    return [b"REQUEST_METHOD=POST", b"DOCUMENT_URI=" + path, b"REQUEST_URI=" + path,
            b"CONTENT_TYPE=" + ctype, b"CONTENT_LENGTH=%d" % len(body)] + common + list(extra)
write("FuzzParams", "simpleenroll-b64", params(enroll(b"simpleenroll"), b64))
write("FuzzParams", "simpleenroll-der", params(enroll(b"simpleenroll", body=csr), csr, chunk=96))
write("FuzzParams", "simpleenroll-strict", params(enroll(b"simpleenroll", b"strict"), b64))
write("FuzzParams", "simpleenroll-escaped-cert",
      params([e if not e.startswith(b"SSL_CLIENT_CERT=") else b"SSL_CLIENT_CERT=@bootstrap-escaped"
              for e in enroll(b"simpleenroll")], b64))
write("FuzzParams", "simplereenroll-factory-cert", params(enroll(b"simplereenroll"), b64))
write("FuzzParams", "simplereenroll", params([e.replace(b"@bootstrap", b"@enrolled") for e in enroll(b"simplereenroll")], b64))
write("FuzzParams", "simplereenroll-other-subject",
      params([e.replace(b"@bootstrap", b"@enrolled") for e in enroll(b"simplereenroll", body=vec("py-p256-san.der"))],
             vec("py-p256-san.der")))
write("FuzzParams", "serverkeygen", params(enroll(b"serverkeygen", b"keygen"), b64))
write("FuzzParams", "fullcmc", params(enroll(b"fullcmc", body=b"x"), b"x"))
write("FuzzParams", "wrong-type", params(enroll(b"simpleenroll", ctype=b"text/plain; charset=x"), b64))
write("FuzzParams", "no-cert", params([e for e in enroll(b"simpleenroll") if not e.startswith(b"SSL_CLIENT_CERT")], b64))
write("FuzzParams", "bad-cert", params([e.replace(b"@bootstrap", b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----")
                                        for e in enroll(b"simpleenroll")], b64))
write("FuzzParams", "too-big-declared", params(enroll(b"simpleenroll")[:4] + [b"CONTENT_LENGTH=100000"], b64, cap=2))
write("FuzzParams", "chunked-no-length", params([e for e in enroll(b"simpleenroll") if not e.startswith(b"CONTENT_LENGTH")], b64, chunk=1))
write("FuzzParams", "length-odd", params([e for e in enroll(b"simpleenroll") if not e.startswith(b"CONTENT_LENGTH")]
                                       + [b"CONTENT_LENGTH=\t%d " % len(b64), b"CONTENT_LENGTH=5"], b64))
write("FuzzParams", "cacerts", params([b"REQUEST_METHOD=GET", b"DOCUMENT_URI=/.well-known/est/cacerts"] + common))
write("FuzzParams", "cacerts-head-pinned", params([b"REQUEST_METHOD=HEAD", b"DOCUMENT_URI=/.well-known/est/cacerts",
                                                   b"ESTFCGI_PROFILE=strict"] + common))
write("FuzzParams", "csrattrs", params([b"REQUEST_METHOD=GET", b"SCRIPT_NAME=/.well-known/est", b"PATH_INFO=/csrattrs"]))
write("FuzzParams", "csrattrs-unknown", params([b"REQUEST_METHOD=GET", b"REQUEST_URI=/.well-known/est/nope/csrattrs?a"]))
write("FuzzParams", "wrong-method", params([b"REQUEST_METHOD=DELETE", b"DOCUMENT_URI=/.well-known/est/simpleenroll"]))
write("FuzzParams", "header-injection", params([b"HTTP_SSL_CLIENT_CERT=@bootstrap", b"A==x=", b"A=2", b"NOEQUALS", b"=v",
                                                b"REQUEST_METHOD=POST", b"DOCUMENT_URI=/.well-known/est/simpleenroll"], b64))

total = 0
for dirpath, _, files in os.walk(OUT):
    total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
print(f"corpus: {total} bytes")
