#!/usr/bin/env python3
"""The independent oracle: what openssl (req, asn1parse, base64) and python `cryptography`
say about every file in csr/. Writes manifest.json to stdout. Called by ../generate.sh.

  oracle.py CSR_DIR > CSR_DIR/manifest.json

Each field is taken from openssl; python `cryptography` extracts the same field on its own,
and any difference (after mapping naming conventions, e.g. curve prime256v1 = secp256r1) is
listed in the vector's `disagreements`. Field meanings are documented in ../README.md.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

OID_EXT_REQ = "1.2.840.113549.1.9.14"
OID_CHALLENGE = "1.2.840.113549.1.9.7"
OID_SAN = "2.5.29.17"
KEY_ID_OIDS = ("1.2.840.113549.1.9.16.2.54", "1.2.840.113549.1.9.16.2.37")
CURVE_OPENSSL = {"secp256r1": "prime256v1", "secp384r1": "secp384r1", "secp521r1": "secp521r1"}
SAN_KIND_ORDER = ["dns", "ip", "email", "uri", "other"]
# RFC 5280 KeyUsage bit names, from openssl's text and from cryptography's attribute names.
KU_OPENSSL = {"Digital Signature": "digitalSignature", "Non Repudiation": "nonRepudiation",
              "Key Encipherment": "keyEncipherment", "Data Encipherment": "dataEncipherment",
              "Key Agreement": "keyAgreement", "Certificate Sign": "keyCertSign",
              "CRL Sign": "cRLSign", "Encipher Only": "encipherOnly", "Decipher Only": "decipherOnly"}
KU_PY = [("digital_signature", "digitalSignature"), ("content_commitment", "nonRepudiation"),
         ("key_encipherment", "keyEncipherment"), ("data_encipherment", "dataEncipherment"),
         ("key_agreement", "keyAgreement"), ("key_cert_sign", "keyCertSign"),
         ("crl_sign", "cRLSign"), ("encipher_only", "encipherOnly"), ("decipher_only", "decipherOnly")]

DESCRIPTIONS = {
    "ossl-p256-san": "openssl req: EC P-256, SHA-256, SAN with DNS x2, IPv4, IPv6, email, URI",
    "ossl-p384-sha384": "openssl req: EC P-384 signed with SHA-384",
    "ossl-p521-sha512": "openssl req: EC P-521 signed with SHA-512",
    "ossl-rsa2048-challenge": "openssl req: RSA-2048, SHA-256, challengePassword attribute",
    "ossl-rsa3072": "openssl req: RSA-3072, SHA-256",
    "ossl-ed25519": "openssl req: Ed25519 (signature algorithm 1.3.101.112, no digest)",
    "ossl-subject-utf8": "openssl req -utf8: 7 RDNs incl. serialNumber and UTF-8 (München, Müller GmbH, Prüfstand)",
    "ossl-subject-multivalued-rdn": "openssl req: subject with a multi-valued RDN (OU=Line 7 + CN=robot-arm-3)",
    "ossl-empty-subject-san": "openssl req: empty subject (SEQUENCE {}), identity only in a critical SAN",
    "ossl-ca-request": "openssl req: asks for too much - basicConstraints CA:TRUE and keyUsage keyCertSign,cRLSign (both critical)",
    "ossl-mac-attribute": "openssl req: macAddress (1.3.6.1.1.1.1.22) as a CSR attribute, UTF8String value 00:00:5e:00:53:01",
    "ossl-rsa2048-asym-keyid": "openssl RSA-2048 CSR + AsymmetricDecryptKeyIdentifier spliced in and re-signed by Tests/integration/csr_with_attrs.py",
    "py-p256-san": "python cryptography: EC P-256, SAN with DNS, IPv4, IPv6, email, URI, otherName (UPN)",
    "py-asym-decrypt-keyid": "python cryptography: RFC 7030 §4.4.1.2 AsymmetricDecryptKeyIdentifier attribute (OCTET STRING, 20 bytes)",
    "py-decrypt-keyid": "python cryptography: RFC 7030 §4.4.1.1 DecryptKeyIdentifier attribute (OCTET STRING, 20 bytes)",
    "bad-signature": "ossl-p256-san with the last signature byte XOR 0x01: well-formed, proof of possession fails",
    "truncated": "ossl-p256-san minus its last 10 bytes: not a CSR",
    "trailing-garbage": "ossl-p256-san followed by 3 bytes 00 de ad",
    "body": "ossl-p256-san as an EST request body",
}


def run(args, data=None):
    p = subprocess.run(args, input=data, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def oid_from_der(body):
    first = body[0]
    arcs = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    v = 0
    for b in body[1:]:
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(v)
            v = 0
    return ".".join(map(str, arcs))


# ------------------------------------------------------------------ transport decoding
def encoding_of(fname):
    if fname.endswith(".der"):
        return "der"
    if fname.endswith(".pem"):
        return "pem"
    if fname.endswith(".crlf64.b64"):
        return "base64_crlf"
    if fname.endswith(".lf64.b64"):
        return "base64_lf"
    if fname.endswith(".b64"):
        return "base64"
    raise ValueError(fname)


def decode_body(path, encoding, notes):
    """DER bytes per openssl, cross-checked against python's base64 module."""
    raw = open(path, "rb").read()
    if encoding == "der":
        return raw
    if encoding == "pem":
        p = subprocess.run(["openssl", "req", "-in", path, "-outform", "DER"], capture_output=True)
        der = p.stdout
        m = re.search(rb"-----BEGIN CERTIFICATE REQUEST-----(.*?)-----END CERTIFICATE REQUEST-----", raw, re.S)
        py = base64.b64decode(b"".join(m.group(1).split()))
        if py != der:
            notes.append("pem: openssl and python base64 decode to different bytes")
        return der
    args = ["openssl", "base64", "-d"] + (["-A"] if encoding == "base64" else [])
    der = subprocess.run(args, input=raw, capture_output=True).stdout
    py = base64.b64decode(b"".join(raw.split()), validate=True)
    if py != der:
        notes.append(f"{encoding}: `openssl base64 -d` gives {len(der)} bytes, python base64 {len(py)} bytes")
    return py  # python's strict decoder is the reference for transport decoding


# ------------------------------------------------------------------ openssl view
def asn1_lines(der_path):
    rc, out, _ = run(["openssl", "asn1parse", "-inform", "DER", "-in", der_path])
    lines = []
    for ln in out.splitlines():
        m = re.match(r"\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(prim|cons):\s*(.*)$", ln)
        if not m:
            continue
        rest = m.group(6)
        typ = re.sub(r"\s*\[HEX DUMP\]$", "", rest.split(":", 1)[0].strip())
        lines.append(dict(off=int(m.group(1)), d=int(m.group(2)), hl=int(m.group(3)),
                          l=int(m.group(4)), typ=typ))
    return rc, lines


def openssl_view(der, tmp):
    v = {}
    with open(tmp, "wb") as f:
        f.write(der)
    rc, _, _ = run(["openssl", "req", "-inform", "DER", "-in", tmp, "-noout"])
    v["parses"] = rc == 0
    if not v["parses"]:
        return v
    rc, _, err = run(["openssl", "req", "-inform", "DER", "-in", tmp, "-noout", "-verify"])
    v["signature_valid"] = rc == 0 and "verify OK" in err
    _, out, _ = run(["openssl", "req", "-inform", "DER", "-in", tmp, "-noout", "-subject",
                     "-nameopt", "RFC2253"])
    v["subject"] = out.rstrip("\n").removeprefix("subject=")
    _, text, _ = run(["openssl", "req", "-inform", "DER", "-in", tmp, "-noout", "-text"])
    alg = re.search(r"Public Key Algorithm: (\S+)", text).group(1)
    bits = re.search(r"Public-Key: \((\d+) bit\)", text)
    v["key_algorithm"] = {"rsaEncryption": "rsa", "id-ecPublicKey": "ec", "ED25519": "ed25519"}[alg]
    v["key_bits"] = int(bits.group(1)) if bits and v["key_algorithm"] != "ed25519" else None
    curve = re.search(r"ASN1 OID: (\S+)", text)
    v["ec_curve"] = curve.group(1) if v["key_algorithm"] == "ec" else None
    cp = re.search(r"challengePassword\s*:(.*)", text)
    v["challenge_password"] = cp.group(1).strip() if cp else None
    san = re.search(r"X509v3 Subject Alternative Name:.*?\n\s*(.*)\n", text)
    kinds = set()
    if san:
        for item in san.group(1).split(", "):
            prefix = item.split(":", 1)[0]
            kinds.add({"DNS": "dns", "IP Address": "ip", "email": "email", "URI": "uri"}.get(prefix, "other"))
    v["san_kinds"] = [k for k in SAN_KIND_ORDER if k in kinds]
    bc = re.search(r"X509v3 Basic Constraints:.*?\n\s*(.*)\n", text)
    v["basic_constraints_ca"] = ("CA:TRUE" in bc.group(1)) if bc else None
    ku = re.search(r"X509v3 Key Usage:.*?\n\s*(.*)\n", text)
    v["key_usage"] = [KU_OPENSSL[n] for n in ku.group(1).split(", ")] if ku else None

    # Structure from asn1parse; OIDs decoded from the bytes at the offsets it reports.
    # Only the first top-level object is walked (trailing bytes are not part of the CSR).
    _, lines = asn1_lines(tmp)
    end = lines[0]["hl"] + lines[0]["l"]
    with open(tmp, "wb") as f:
        f.write(der[:end])
    _, lines = asn1_lines(tmp)

    def content(ln):
        return der[ln["off"] + ln["hl"]: ln["off"] + ln["hl"] + ln["l"]]

    attr_oids, ext_oids, crit, san_hex, key_id = [], [], [], None, None
    i_attrs = next((i for i, ln in enumerate(lines) if ln["d"] == 2 and ln["typ"] == "cont [ 0 ]"), None)
    cur_attr = None
    cur_ext = None
    if i_attrs is not None:
        for ln in lines[i_attrs + 1:]:
            if ln["d"] <= 2:
                break
            if ln["d"] == 4 and ln["typ"] == "OBJECT":
                cur_attr = oid_from_der(content(ln))
                attr_oids.append(cur_attr)
            elif ln["d"] == 5 and cur_attr in KEY_ID_OIDS and ln["typ"] == "OCTET STRING":
                key_id = content(ln).hex()
            elif cur_attr == OID_EXT_REQ and ln["d"] == 7:
                if ln["typ"] == "OBJECT":
                    cur_ext = oid_from_der(content(ln))
                    ext_oids.append(cur_ext)
                elif ln["typ"] == "BOOLEAN" and content(ln) != b"\x00":
                    crit.append(cur_ext)
                elif ln["typ"] == "OCTET STRING" and cur_ext == OID_SAN:
                    san_hex = content(ln).hex()
    d2 = [ln for ln in lines if ln["d"] == 2]  # version, subject, SPKI, [0] attributes, sigAlg OID
    subj = d2[1]
    v["subject_der_hex"] = der[subj["off"]: subj["off"] + subj["hl"] + subj["l"]].hex()
    d1 = [i for i, ln in enumerate(lines) if ln["d"] == 1]
    v["signature_algorithm_oid"] = oid_from_der(content(lines[d1[1] + 1]))
    v["attribute_oids"] = attr_oids
    v["extension_oids"] = ext_oids
    v["critical_extension_oids"] = crit
    v["san_der_hex"] = san_hex
    v["key_identifier_hex"] = key_id
    return v


# ------------------------------------------------------------------ python cryptography view
def python_view(der):
    v = {}
    try:
        csr = x509.load_der_x509_csr(der)
        csr.subject  # force parsing of the lazily-read parts
        list(csr.extensions)
        list(csr.attributes)
        csr.public_key()
    except Exception as e:  # noqa: BLE001 - any failure means "does not parse"
        v["parses"] = False
        v["error"] = f"{type(e).__name__}: {e}"
        return v
    v["parses"] = True
    v["signature_valid"] = csr.is_signature_valid
    v["subject_rfc4514"] = csr.subject.rfc4514_string()
    v["subject_der_hex"] = csr.subject.public_bytes().hex()
    k = csr.public_key()
    if isinstance(k, rsa.RSAPublicKey):
        v.update(key_algorithm="rsa", key_bits=k.key_size, ec_curve=None)
    elif isinstance(k, ec.EllipticCurvePublicKey):
        v.update(key_algorithm="ec", key_bits=k.curve.key_size, ec_curve=CURVE_OPENSSL[k.curve.name])
    elif isinstance(k, ed25519.Ed25519PublicKey):
        v.update(key_algorithm="ed25519", key_bits=None, ec_curve=None)
    v["signature_algorithm_oid"] = csr.signature_algorithm_oid.dotted_string
    v["attribute_oids"] = [a.oid.dotted_string for a in csr.attributes]
    v["extension_oids"] = [e.oid.dotted_string for e in csr.extensions]
    v["critical_extension_oids"] = [e.oid.dotted_string for e in csr.extensions if e.critical]
    v["challenge_password"] = None
    v["key_identifier_hex"] = None
    for a in csr.attributes:
        if a.oid.dotted_string == OID_CHALLENGE:
            v["challenge_password"] = a.value.decode()
        if a.oid.dotted_string in KEY_ID_OIDS:
            v["key_identifier_hex"] = a.value.hex()
    v["san_der_hex"] = None
    v["san_kinds"] = []
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        v["san_der_hex"] = san.public_bytes().hex()
        kinds = set()
        for g in san:
            kinds.add({x509.DNSName: "dns", x509.IPAddress: "ip", x509.RFC822Name: "email",
                       x509.UniformResourceIdentifier: "uri"}.get(type(g), "other"))
        v["san_kinds"] = [k for k in SAN_KIND_ORDER if k in kinds]
    except x509.ExtensionNotFound:
        pass
    v["basic_constraints_ca"] = None
    v["key_usage"] = None
    for ext in csr.extensions:
        if isinstance(ext.value, x509.BasicConstraints):
            v["basic_constraints_ca"] = ext.value.ca
        if isinstance(ext.value, x509.KeyUsage):
            ku = ext.value
            names = []
            for attr, name in KU_PY:
                try:
                    if getattr(ku, attr):
                        names.append(name)
                except ValueError:  # encipher_only/decipher_only without keyAgreement
                    pass
            v["key_usage"] = names
    return v


COMPARED = ["signature_valid", "subject_der_hex", "key_algorithm", "key_bits", "ec_curve", "signature_algorithm_oid",
            "attribute_oids", "extension_oids", "critical_extension_oids", "san_kinds",
            "san_der_hex", "key_identifier_hex", "challenge_password", "basic_constraints_ca",
            "key_usage"]


def main():
    d = sys.argv[1]
    tmp = os.path.join(d, ".oracle.tmp.der")
    files = sorted(f for f in os.listdir(d) if f != "manifest.json" and not f.startswith("."))
    out = []
    try:
        for fname in files:
            name = re.sub(r"\.(der|pem|oneline\.b64|lf64\.b64|crlf64\.b64)$", "", fname)
            enc = encoding_of(fname)
            notes = []
            der = decode_body(os.path.join(d, fname), enc, notes)
            o = openssl_view(der, tmp)
            p = python_view(der)
            e = {"file": fname, "name": name, "description": DESCRIPTIONS.get(name, ""),
                 "encoding": enc, "der_length": len(der),
                 "der_sha256": hashlib.sha256(der).hexdigest()}
            e["openssl_parses"] = o["parses"]
            e["cryptography_parses"] = p["parses"]
            e["valid"] = o["parses"] and p["parses"]
            if not p["parses"]:
                e["cryptography_error"] = p["error"]
            src = o if o["parses"] else (p if p["parses"] else None)
            if src is None:
                for k in ["signature_valid", "subject", "subject_rfc4514"] + COMPARED[1:]:
                    e[k] = None
            else:
                e["signature_valid"] = src["signature_valid"]
                e["subject"] = o.get("subject")
                e["subject_rfc4514"] = p.get("subject_rfc4514")
                for k in COMPARED[1:]:
                    e[k] = src[k]
            if o["parses"] and p["parses"]:
                for k in COMPARED:
                    if o[k] != p[k]:
                        notes.append(f"{k}: openssl says {o[k]!r}, cryptography says {p[k]!r}")
                if o["subject"] != p["subject_rfc4514"]:
                    notes.append(f"subject: openssl -nameopt RFC2253 prints {o['subject']!r}, "
                                 f"cryptography rfc4514_string() gives {p['subject_rfc4514']!r}")
            elif o["parses"] != p["parses"]:
                notes.append(f"only {'openssl' if o['parses'] else 'cryptography'} parses it")
            e["disagreements"] = notes
            out.append(e)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    ossl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    import cryptography
    doc = {"schema_version": 1,
           "generated_by": {"openssl": ossl, "cryptography": cryptography.__version__,
                            "script": "Tests/Vectors/generate.sh"},
           "vectors": out}
    json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
