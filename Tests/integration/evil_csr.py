#!/usr/bin/python3
"""Builds a PKCS#10 CSR (RFC 2986) with exactly the subject and subjectAltName bytes given,
validly signed by an EC key, so that a test reaches the name checks and not the signature
check. What openssl req will not write (a NUL in a CN, a SAN that is not GeneralNames,
trailing bytes, a PrintableString with '@') is written here.

usage: evil_csr.py OUT KEY.pem [--rdn OID:TAG:TEXT ...] [--san KIND:VALUE ...] [--san-der HEX] [--sans N]
  --rdn 2.5.4.3:0c:dev-1   one RDN: attribute type, value tag (0c UTF8String, 13 PrintableString,
                           16 IA5String, 1e BMPString), value text (backslash-x escapes allowed)
  --rdn-raw HEX            one RDN's bytes as given (OIDs with padding or huge arcs)
  --curve-oid HEX          the P-256 key's curve OID element replaced by these bytes
  --san dns:NAME | ip:HEX | upn:NAME | raw:HEX    one GeneralName (raw: the whole element)
  --san-tail HEX           bytes after the GeneralNames SEQUENCE, inside the extension value
  --san-der HEX            the subjectAltName extnValue as is
  --sans N                 N dNSNames dN.example
"""
import sys
from csr_with_attrs import oid, tlv  # the same DER helpers, beside this file
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def main(argv):
    out, keyfile = argv[1], argv[2]
    rdns, san, names, tail, curve = [], None, [], b"", None
    i = 3
    while i < len(argv):
        arg, value = argv[i], argv[i + 1]
        if arg == "--rdn":
            t, tag, text = value.split(":", 2)
            raw = text.encode("latin-1").decode("unicode_escape").encode("latin-1") if "\\x" in text else text.encode()
            if tag == "1e":
                raw = text.encode("utf-16-be")
            rdns.append(tlv(0x31, tlv(0x30, oid(t) + tlv(int(tag, 16), raw))))
        elif arg == "--rdn-raw":  # one RDN (or any bytes) as hex, as is
            rdns.append(bytes.fromhex(value))
        elif arg == "--curve-oid":  # the key's namedCurve OID element as hex, as is
            curve = bytes.fromhex(value)
        elif arg == "--rdn-multi":  # one RDN of two values, in the order given
            values = []
            for spec in (value, argv[i + 2]):
                t, tag, text = spec.split(":", 2)
                values.append(tlv(0x30, oid(t) + tlv(int(tag, 16), text.encode())))
            rdns.append(tlv(0x31, b"".join(values)))
            i += 1
        elif arg == "--san":
            kind, v = value.split(":", 1)
            if kind == "dns":
                names.append(tlv(0x82, v.encode("latin-1").decode("unicode_escape").encode("latin-1")))
            elif kind == "ip":
                names.append(tlv(0x87, bytes.fromhex(v)))
            elif kind == "upn":  # otherName { 1.3.6.1.4.1.311.20.2.3, [0] UTF8String }
                names.append(tlv(0xA0, oid("1.3.6.1.4.1.311.20.2.3") + tlv(0xA0, tlv(0x0C, v.encode()))))
            elif kind == "upnraw":  # the same with the value's tag and bytes as given
                tag, text = v.split(":", 1)
                raw = text.encode("latin-1").decode("unicode_escape").encode("latin-1")
                names.append(tlv(0xA0, oid("1.3.6.1.4.1.311.20.2.3") + tlv(0xA0, tlv(int(tag, 16), raw))))
            else:
                names.append(bytes.fromhex(v))
        elif arg == "--san-tail":
            tail = bytes.fromhex(value)
        elif arg == "--san-der":
            san = bytes.fromhex(value)
        elif arg == "--sans":
            names = [tlv(0x82, b"d%d.example" % k) for k in range(int(value))]
        i += 2
    if san is None and (names or tail):
        san = tlv(0x30, b"".join(names)) + tail
    key = serialization.load_pem_private_key(open(keyfile, "rb").read(), password=None)
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if curve is not None:  # SEQUENCE { SEQUENCE { ecPublicKey, curve }, BIT STRING (last 68 bytes for P-256) }
        spki = tlv(0x30, tlv(0x30, oid("1.2.840.10045.2.1") + curve) + spki[-68:])
    attributes = b""
    if san is not None:
        ext = tlv(0x30, oid("2.5.29.17") + tlv(0x04, san))
        attributes = tlv(0x30, oid("1.2.840.113549.1.9.14") + tlv(0x31, tlv(0x30, ext)))
    info = tlv(0x30, tlv(0x02, b"\x00") + tlv(0x30, b"".join(rdns)) + spki + tlv(0xA0, attributes))
    signature = key.sign(info, ec.ECDSA(hashes.SHA256()))
    csr = tlv(0x30, info + tlv(0x30, oid("1.2.840.10045.4.3.2")) + tlv(0x03, b"\x00" + signature))
    open(out, "wb").write(csr)


if __name__ == "__main__":
    main(sys.argv)
