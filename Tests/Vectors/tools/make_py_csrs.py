#!/usr/bin/env python3
"""CSRs made by python `cryptography` (a client implementation independent of openssl's
`req` app). Called by ../generate.sh; writes DER (and PEM for one) into OUTDIR.

  make_py_csrs.py OUTDIR

Attributes RFC 7030 §4.4.1.1/§4.4.1.2 want (an OCTET STRING value) are added with
CertificateSigningRequestBuilder.add_attribute(..., _tag=_ASN1Type.OctetString): `_tag` is a
private keyword of cryptography (present in 3.x..50.x); without it the value would be
encoded as a UTF8String.
"""
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

# Fixed 20-byte key identifiers, so the manifest's expected values never change.
ASYM_DECRYPT_KEY_ID = bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3")
DECRYPT_KEY_ID = bytes.fromhex("0102030405060708090a0b0c0d0e0f1011121314")
OID_ASYM_DECRYPT_KEY_ID = x509.ObjectIdentifier("1.2.840.113549.1.9.16.2.54")
OID_DECRYPT_KEY_ID = x509.ObjectIdentifier("1.2.840.113549.1.9.16.2.37")
OID_UPN = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")


def der_utf8(s):
    b = s.encode()
    assert len(b) < 128
    return bytes([0x0C, len(b)]) + b


def write(outdir, name, csr, pem=False):
    with open(os.path.join(outdir, name + ".der"), "wb") as f:
        f.write(csr.public_bytes(serialization.Encoding.DER))
    if pem:
        with open(os.path.join(outdir, name + ".pem"), "wb") as f:
            f.write(csr.public_bytes(serialization.Encoding.PEM))


def main():
    outdir = sys.argv[1]
    key = ec.generate_private_key(ec.SECP256R1())

    san = x509.SubjectAlternativeName([
        x509.DNSName("py-device.example.com"),
        x509.IPAddress(ipaddress.ip_address("198.51.100.7")),
        x509.IPAddress(ipaddress.ip_address("2001:db8::7")),
        x509.RFC822Name("py-device@example.com"),
        x509.UniformResourceIdentifier("urn:uuid:6f1b3a52-8c4e-4d2b-9a57-0e7c2d9f1a11"),
        x509.OtherName(OID_UPN, der_utf8("py-device@example.com")),
    ])
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([
               x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Devices"),
               x509.NameAttribute(NameOID.COMMON_NAME, "py-device.example.com"),
           ]))
           .add_extension(san, critical=False)
           .sign(key, hashes.SHA256()))
    write(outdir, "py-p256-san", csr, pem=True)

    key2 = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "py-serverkeygen-asym")]))
           .add_attribute(OID_ASYM_DECRYPT_KEY_ID, ASYM_DECRYPT_KEY_ID, _tag=_ASN1Type.OctetString)
           .sign(key2, hashes.SHA256()))
    write(outdir, "py-asym-decrypt-keyid", csr)

    key3 = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "py-serverkeygen-sym")]))
           .add_attribute(OID_DECRYPT_KEY_ID, DECRYPT_KEY_ID, _tag=_ASN1Type.OctetString)
           .sign(key3, hashes.SHA256()))
    write(outdir, "py-decrypt-keyid", csr)


if __name__ == "__main__":
    main()
