#!/usr/bin/python3
"""A P-256 CSR whose key's point is in the form asked (ANSI X9.62 §4.3.6): uncompressed (04),
compressed (02/03), hybrid (06/07: RFC 5480 §2.2 says it MUST NOT be used) or hybrid-wrong
(the parity octet contradicting Y). Validly signed, subject CN=point.

usage: ec_point_csr.py OUT FORM
"""
import sys
from csr_with_attrs import oid, tlv
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
key = ec.generate_private_key(ec.SECP256R1())
pt = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
y = pt[33:]
form = sys.argv[2]
if form == "compressed":
    pt = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
elif form == "hybrid":
    pt = bytes([6 + (y[-1] & 1)]) + pt[1:]
elif form == "hybrid-wrong":
    pt = bytes([7 - (y[-1] & 1)]) + pt[1:]
spki = tlv(0x30, tlv(0x30, oid("1.2.840.10045.2.1") + oid("1.2.840.10045.3.1.7")) + tlv(0x03, b"\x00" + pt))
subj = tlv(0x30, tlv(0x31, tlv(0x30, oid("2.5.4.3") + tlv(0x0c, b"point"))))
info = tlv(0x30, tlv(0x02, b"\x00") + subj + spki + tlv(0xA0, b""))
sig = key.sign(info, ec.ECDSA(hashes.SHA256()))
open(sys.argv[1], "wb").write(tlv(0x30, info + tlv(0x30, oid("1.2.840.10045.4.3.2")) + tlv(0x03, b"\x00" + sig)))
