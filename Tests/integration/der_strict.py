#!/usr/bin/python3
"""Walks DER files (or base64 of DER, as EST sends PKCS#7) and fails on anything that is BER
but not DER (X.690 §10): a length not in the fewest octets, an indefinite length, a
high-tag-number form for a tag under 31, a BOOLEAN not 00/ff, an INTEGER with a redundant
leading octet, a NULL with content, trailing bytes. It descends into every constructed
element and into OCTET STRING / BIT STRING contents that parse as DER (extension values), so
the bytes a certificate copies from a CSR are checked too. Prints "ok PATH" per file."""
import base64
import sys


def split(b):
    """The elements of b, each checked for DER headers: [(tag, content)]."""
    out, i = [], 0
    while i < len(b):
        if i + 2 > len(b):
            raise ValueError("truncated header at %d" % i)
        tag = b[i]
        if tag & 0x1F == 0x1F:
            raise ValueError("high-tag-number form at %d" % i)
        n = b[i + 1]
        h = 2
        if n == 0x80:
            raise ValueError("indefinite length at %d" % i)
        if n & 0x80:
            k = n & 0x7F
            if i + 2 + k > len(b):
                raise ValueError("truncated length at %d" % i)
            n = int.from_bytes(b[i + 2:i + 2 + k], "big")
            if n < 0x80 or b[i + 2] == 0:
                raise ValueError("non-minimal length at %d (tag %02x)" % (i, tag))
            h += k
        c = b[i + h:i + h + n]
        if len(c) != n:
            raise ValueError("content overruns at %d" % i)
        if tag == 0x01 and c not in (b"\x00", b"\xff"):
            raise ValueError("BOOLEAN not DER at %d" % i)
        if tag == 0x02 and (n == 0 or (n > 1 and ((c[0] == 0 and c[1] < 0x80) or (c[0] == 0xFF and c[1] >= 0x80)))):
            raise ValueError("INTEGER not minimal at %d" % i)
        if tag == 0x05 and n:
            raise ValueError("NULL with content at %d" % i)
        out.append((tag, c))
        i += h + n
    return out


def walk(b):
    """Every element, recursively; an Extension's extnValue (an OCTET STRING last in a
    SEQUENCE that starts with an OID, RFC 5280 §4.1) is DER itself and is walked too.
    Other primitive contents (key identifiers, points, signatures) are data."""
    elements = split(b)
    for tag, c in elements:
        if tag & 0x20:
            walk(c)
    return elements


def walk_ext(b):
    for tag, c in walk(b):
        if tag & 0x20:
            walk_ext(c)
            kids = split(c)
            if tag == 0x30 and len(kids) in (2, 3) and kids[0][0] == 0x06 and kids[-1][0] == 0x04 \
                    and (len(kids) == 2 or kids[1][0] == 0x01):
                walk_ext(kids[-1][1])


rc = 0
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    if not data.startswith(b"\x30"):
        data = base64.b64decode(data)
    try:
        walk_ext(data)
        print("ok", path)
    except ValueError as e:
        print("not DER", path, e)
        rc = 1
sys.exit(rc)
