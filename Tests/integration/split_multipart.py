#!/usr/bin/env python3
"""Splits a multipart/mixed HTTP answer (RFC 2046) with Python's own MIME parser, as an
independent client would: writes PREFIX-N.type and PREFIX-N.der (base64 decoded) per part
and prints one line per part: its Content-Type.

  split_multipart.py HEADERS_FILE BODY_FILE PREFIX
"""
import email
import email.policy
import sys

headers, body, prefix = sys.argv[1:4]
ctype = next(l.split(":", 1)[1].strip() for l in open(headers, encoding="latin-1")
             if l.lower().startswith("content-type:"))
raw = open(body, "rb").read()
# The framing libest needs: CRLF before every delimiter, no CR inside a part body.
boundary = ctype.split("boundary=", 1)[1].strip('"').encode()
segments = raw.split(b"\r\n--" + boundary)
if not raw.startswith(b"--" + boundary + b"\r\n") or not segments[-1].startswith(b"--"):
    sys.exit("delimiters are not CRLF--boundary")
raw_types = []
for seg in segments[:-1]:
    head, sep, part_body = seg.partition(b"\r\n\r\n")
    if not sep or b"\r" in part_body:
        sys.exit("a part body contains CR or has no header end")
    raw_types += [l.split(b":", 1)[1].strip().decode() for l in head.split(b"\r\n")
                  if l.lower().startswith(b"content-type:")]
msg = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw, policy=email.policy.HTTP)
if not msg.is_multipart():
    sys.exit("not multipart: " + ctype)
parts = list(msg.iter_parts())
if len(parts) != len(raw_types):
    sys.exit("MIME parser saw %d parts, raw split %d" % (len(parts), len(raw_types)))
for i, (part, raw_type) in enumerate(zip(parts, raw_types), 1):
    if part.get("Content-Transfer-Encoding", "").lower() != "base64":
        sys.exit("part %d lacks Content-Transfer-Encoding: base64" % i)
    open("%s-%d.der" % (prefix, i), "wb").write(part.get_payload(decode=True))
    print(raw_type)  # as sent, not as the parser re-prints it
