#!/usr/bin/env python3
"""Adds PKCS#10 attributes that `openssl req` cannot make (an OCTET STRING
AsymmetricDecryptKeyIdentifier, RFC 7030 §4.4.1.2, say) to a CSR made by openssl, and
signs it again with `openssl dgst`, as a device would. Standard library and openssl only.

  csr_with_attrs.py IN.der KEY OUT.der [--digest sha256] OID=HEXDER [OID=HEXDER ...]

HEXDER is the DER of the attribute's single value, e.g. 0414<20 bytes> for an OCTET STRING.
"""
import subprocess
import sys


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + content


def elements(data):
    i, out = 0, []
    while i < len(data):
        tag, n, h = data[i], data[i + 1], 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(data[i + 2:i + 2 + k], "big")
            h += k
        out.append((tag, data[i + h:i + h + n], data[i:i + h + n]))
        i += h + n
    return out


def oid(dotted):
    parts = [int(p) for p in dotted.split(".")]
    body = bytes([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.insert(0, 0x80 | (p & 0x7F))
            p >>= 7
        body += bytes(chunk)
    return tlv(0x06, body)


def main():
    args = sys.argv[1:]
    digest = "sha256"
    if "--digest" in args:
        i = args.index("--digest")
        digest = args[i + 1]
        del args[i:i + 2]
    src, key, dst, attrs = args[0], args[1], args[2], args[3:]
    csr = open(src, "rb").read()
    (_, body, _), = elements(csr)
    cri, _alg, _sig = elements(body)
    fields = elements(cri[1])            # version, subject, SPKI, [0] attributes
    existing = fields[3][1] if len(fields) > 3 else b""
    extra = b"".join(tlv(0x30, oid(o) + tlv(0x31, bytes.fromhex(v)))
                     for o, v in (a.split("=", 1) for a in attrs))
    new_cri = tlv(0x30, b"".join(f[2] for f in fields[:3]) + tlv(0xA0, existing + extra))
    sig = subprocess.run(["openssl", "dgst", "-" + digest, "-sign", key], input=new_cri,
                         capture_output=True, check=True).stdout
    keytype = subprocess.run(["openssl", "pkey", "-in", key, "-noout", "-text"],
                             capture_output=True, check=True, text=True).stdout
    if "modulus:" in keytype:
        alg = {"sha256": "1.2.840.113549.1.1.11", "sha384": "1.2.840.113549.1.1.12",
               "sha512": "1.2.840.113549.1.1.13"}[digest]
        alg_id = tlv(0x30, oid(alg) + b"\x05\x00")
    else:
        alg = {"sha256": "1.2.840.10045.4.3.2", "sha384": "1.2.840.10045.4.3.3",
               "sha512": "1.2.840.10045.4.3.4"}[digest]
        alg_id = tlv(0x30, oid(alg))
    out = tlv(0x30, new_cri + alg_id + tlv(0x03, b"\x00" + sig))
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main()
