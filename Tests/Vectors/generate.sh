#!/usr/bin/env bash
# Regenerates every known-answer vector under Tests/Vectors/ and its oracle (csr/manifest.json).
#
#   bash Tests/Vectors/generate.sh
#
# Needs: openssl (3.x; made with 3.0 on Debian 12), python3, and python `cryptography`.
# Set PYTHON to an interpreter that has `cryptography`; by default the script uses
# /tmp/vec-venv/bin/python, creating that venv with `pip install cryptography` if missing
# (the only network access: PyPI). Nothing here uses estfcgi's own code.
#
# Keys are throwaway (made in a temporary directory and deleted), and ECDSA signatures are
# randomised, so a rerun produces different bytes; the manifest is rewritten to match, so
# tests must read expected values from manifest.json rather than hard-code CSR bytes.
# csrattrs/ is fixed RFC text and comes out byte-identical on every run.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CSR="$HERE/csr"
ATTRS="$HERE/csrattrs"
TOOLS="$HERE/tools"
# Helper that splices extra attributes into an openssl CSR and re-signs it with `openssl dgst`.
CSR_WITH_ATTRS="$HERE/../integration/csr_with_attrs.py"

PYTHON="${PYTHON:-/tmp/vec-venv/bin/python}"
if ! "$PYTHON" -c 'import cryptography' 2>/dev/null; then
    python3 -m venv /tmp/vec-venv
    /tmp/vec-venv/bin/pip install --quiet cryptography
    PYTHON=/tmp/vec-venv/bin/python
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

rm -rf "$CSR" "$ATTRS"
mkdir -p "$CSR" "$ATTRS"

# ---------------------------------------------------------------- csr/ via `openssl req`
# req NAME KEYSPEC [openssl req args...]: new key + CSR, DER to csr/NAME.der.
req() {
    local name="$1" newkey="$2"; shift 2
    openssl req -new -newkey "$newkey" "$@" -nodes -keyout "$WORK/$name.key" \
        -outform DER -out "$CSR/$name.der" 2>/dev/null
}
pem() { openssl req -inform DER -in "$CSR/$1.der" -outform PEM -out "$CSR/$1.pem"; }

req ossl-p256-san ec -pkeyopt ec_paramgen_curve:P-256 -sha256 \
    -subj "/CN=device-p256.example.com" \
    -addext "subjectAltName=DNS:device-p256.example.com,DNS:alt.example.com,IP:192.0.2.10,IP:2001:db8::10,email:device@example.com,URI:urn:uuid:0d7e5a90-3c1f-4b7e-8a6d-2f4e9c1b5a77"
pem ossl-p256-san

req ossl-p384-sha384 ec -pkeyopt ec_paramgen_curve:P-384 -sha384 \
    -subj "/O=Example Devices/CN=device-p384.example.com"

req ossl-p521-sha512 ec -pkeyopt ec_paramgen_curve:P-521 -sha512 \
    -subj "/CN=device-p521.example.com"

cat > "$WORK/challenge.cnf" <<'EOF'
[ req ]
prompt = no
distinguished_name = dn
attributes = attrs
[ dn ]
CN = device-rsa2048.example.com
[ attrs ]
challengePassword = tls-unique-or-otp-1234
EOF
req ossl-rsa2048-challenge rsa:2048 -sha256 -config "$WORK/challenge.cnf"
pem ossl-rsa2048-challenge

req ossl-rsa3072 rsa:3072 -sha256 -subj "/CN=device-rsa3072.example.com"

req ossl-ed25519 ed25519 -subj "/CN=device-ed25519.example.com"
pem ossl-ed25519

req ossl-subject-utf8 ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -utf8 \
    -subj "/C=DE/ST=Bayern/L=München/O=Müller GmbH/OU=Prüfstand/CN=sensor-42/serialNumber=SN-0042"

req ossl-subject-multivalued-rdn ec -pkeyopt ec_paramgen_curve:P-256 -sha256 \
    -subj "/O=Example Devices/OU=Line 7+CN=robot-arm-3"

# Empty subject: RFC 5280 §4.2.1.6 then wants the SAN critical.
req ossl-empty-subject-san ec -pkeyopt ec_paramgen_curve:P-256 -sha256 \
    -subj "/" -addext "subjectAltName=critical,DNS:no-subject.example.com"

# A CSR asking for too much: a CA certificate.
req ossl-ca-request ec -pkeyopt ec_paramgen_curve:P-256 -sha256 \
    -subj "/CN=not-really-a-ca.example.com" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"

# macAddress (RFC 2307, 1.3.6.1.1.1.1.22) as a CSR *attribute*: openssl can add it through
# an oid_section, but only as a UTF8String (RFC 2307 gives it IA5String syntax).
cat > "$WORK/mac.cnf" <<'EOF'
oid_section = new_oids
[ new_oids ]
macAddress = 1.3.6.1.1.1.1.22
[ req ]
prompt = no
distinguished_name = dn
attributes = attrs
[ dn ]
CN = device-mac.example.com
[ attrs ]
macAddress = 00:00:5e:00:53:01
EOF
req ossl-mac-attribute ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -config "$WORK/mac.cnf"

# Third route to the §4.4.1.2 attribute: openssl RSA CSR + Tests/integration/csr_with_attrs.py
# (appends the attribute after openssl's own, re-signs with `openssl dgst -sha256 -sign`).
req ossl-rsa2048-base rsa:2048 -sha256 -subj "/CN=device-rsa-asym.example.com"
python3 "$CSR_WITH_ATTRS" "$CSR/ossl-rsa2048-base.der" "$WORK/ossl-rsa2048-base.key" \
    "$CSR/ossl-rsa2048-asym-keyid.der" \
    1.2.840.113549.1.9.16.2.54=0414c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3
rm "$CSR/ossl-rsa2048-base.der"

# ---------------------------------------------------------------- csr/ via python cryptography
"$PYTHON" "$TOOLS/make_py_csrs.py" "$CSR"

# ---------------------------------------------------------------- broken CSRs
"$PYTHON" - "$CSR" <<'EOF'
import sys, os
d = sys.argv[1]
good = open(os.path.join(d, "ossl-p256-san.der"), "rb").read()
# The last byte of the file is the last byte of the ECDSA `s` INTEGER inside the signature
# BIT STRING: flipping it keeps the DER well formed but breaks proof of possession.
bad = bytearray(good); bad[-1] ^= 0x01
open(os.path.join(d, "bad-signature.der"), "wb").write(bytes(bad))
open(os.path.join(d, "truncated.der"), "wb").write(good[:-10])
open(os.path.join(d, "trailing-garbage.der"), "wb").write(good + b"\x00\xde\xad")
EOF

# ---------------------------------------------------------------- one CSR, every body encoding
# RFC 8951 §3: base64 (RFC 4648 §4) of the DER, whatever Content-Transfer-Encoding says;
# receivers tolerate CR, LF, space and tab. Some clients send raw DER or PEM anyway.
"$PYTHON" - "$CSR" <<'EOF'
import base64, sys, os
d = sys.argv[1]
der = open(os.path.join(d, "ossl-p256-san.der"), "rb").read()
b64 = base64.b64encode(der).decode()
lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
def w(name, data):
    open(os.path.join(d, name), "wb").write(data)
w("body.der", der)
w("body.pem", open(os.path.join(d, "ossl-p256-san.pem"), "rb").read())
w("body.oneline.b64", b64.encode())                                   # no newline at all
w("body.lf64.b64", ("\n".join(lines) + "\n").encode())                # 64 columns, LF, final LF
w("body.crlf64.b64", ("\r\n".join(lines) + "\r\n").encode())          # 64 columns, CRLF, final CRLF
EOF

# ---------------------------------------------------------------- csrattrs/
# RFC 7030 §4.5.2 example, exactly as printed there (two lines, 64 columns), plus the
# RFC's own hex dump, which the decoded DER must equal.
cat > "$ATTRS/rfc7030-4.5.2.b64" <<'EOF'
MEEGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiMBYGCSqGSIb3DQEJDjEJ
BgcrBgEBAQEWBggqhkjOPQQDAw==
EOF
RFC_HEX="30 41 06 09 2a 86 48 86 f7 0d 01 09 07 30 12 06 07 2a 86 48 ce 3d
         02 01 31 07 06 05 2b 81 04 00 22 30 16 06 09 2a 86 48 86 f7 0d 01
         09 0e 31 09 06 07 2b 06 01 01 01 01 16 06 08 2a 86 48 ce 3d 04 03
         03"
openssl base64 -d -in "$ATTRS/rfc7030-4.5.2.b64" -out "$ATTRS/rfc7030-4.5.2.der"
got="$(od -An -v -tx1 "$ATTRS/rfc7030-4.5.2.der" | tr -d ' \n')"
want="$(echo "$RFC_HEX" | tr -d ' \n')"
[ "$got" = "$want" ] || { echo "RFC 7030 §4.5.2 base64 and hex dump disagree" >&2; exit 1; }
openssl asn1parse -inform DER -i -in "$ATTRS/rfc7030-4.5.2.der" > "$ATTRS/rfc7030-4.5.2.asn1.txt"
"$PYTHON" "$TOOLS/csrattrs_items.py" "$ATTRS/rfc7030-4.5.2.der" > "$ATTRS/rfc7030-4.5.2.items.json"

# ---------------------------------------------------------------- oracle
"$PYTHON" "$TOOLS/oracle.py" "$CSR" > "$CSR/manifest.json"
echo "vectors written to $HERE ($(du -sb "$HERE" | cut -f1) bytes)"
