#!/usr/bin/python3
"""Re-encodes the ECDSA signature of a P-256-signed certificate as (r, n - s): the same
certificate, as valid as before (ECDSA signatures are malleable), with another
fingerprint. usage: flip_ecdsa.py IN.pem OUT.pem"""
import base64, sys
from csr_with_attrs import elements, tlv

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 group order


def integer(v):
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")  # a leading zero when the top bit is set
    return tlv(0x02, b)


def main(src, dst):
    pem = open(src).read()
    der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
    (_, cert, _), = elements(der)
    tbs, algorithm, signature = elements(cert)
    (_, sig, _), = elements(signature[1][1:])
    (_, r, _), (_, s, _) = elements(sig)
    s2 = N - int.from_bytes(s, "big")
    value = tlv(0x30, integer(int.from_bytes(r, "big")) + integer(s2))
    out = tlv(0x30, tbs[2] + algorithm[2] + tlv(0x03, b"\x00" + value))
    text = base64.b64encode(out).decode()
    open(dst, "w").write("-----BEGIN CERTIFICATE-----\n" + "\n".join(text[i:i + 64] for i in range(0, len(text), 64))
                         + "\n-----END CERTIFICATE-----\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
