# The certificate encoder (CertificateTemplate+DER) fed client-controlled bytes through nginx:
# every certificate issued must be DER all through (der_strict.py walks extension values too),
# parse with openssl and chain-verify; anything that would put BER into one is refused (sourced).
suite_der() {
  SUITE=der
  local d=$WORK/der e=$ESTFCGI P=/.well-known/est
  mkdir -p "$d"
  if ! nginx_start; then not_ok "der: front and responder start"; nginx_stop; return; fi
  BASE=https://127.0.0.1:$NGINX_PORT
  "$e" profile create --profile der-upn --issuer issuing --trust factory --san-kinds dns,othername >/dev/null
  est GET $P/cacerts
  p7certs "$WORK/resp.body" "$d/chain.pem"

  # issued NAME: the answer in resp.body holds one certificate that is strict DER, that
  # openssl reads and that chains to the store's CAs.
  issued() {
    p7certs "$WORK/resp.body" "$d/$1.pem" && openssl x509 -in "$d/$1.pem" -outform DER -out "$d/$1.cer" &&
      /usr/bin/python3 "$HERE/der_strict.py" "$d/$1.cer" "$WORK/resp.body" >/dev/null &&
      openssl x509 -inform DER -in "$d/$1.cer" -noout -text >/dev/null 2>&1 &&
      openssl verify -CAfile "$d/chain.pem" "$d/$1.pem" >/dev/null 2>&1
  }
  # enroll NAME PROFILE STATUS CSR: one request; a 200 must carry a sound certificate.
  enroll() {
    post "$P/$2/simpleenroll" "$4" boot boot
    expect_eq "der: $1 -> $3" "$STATUS" "$3"
    if [ "$STATUS" = 200 ]; then check "der: $1: the certificate is DER, parses and verifies" issued "$1"; fi
    return 0
  }
  evil() { local name=$1; shift; /usr/bin/python3 "$HERE/evil_csr.py" "$d/$name.der" "$d/ev.key" "$@"; }
  # upn VALUE-HEX: an otherName UPN whose [0] EXPLICIT value is these bytes.
  upn() {
    /usr/bin/python3 -c 'import sys
def tlv(t, c):
    n = len(c); return bytes([t]) + (bytes([n]) if n < 128 else bytes([0x81, n])) + c
print(tlv(0xa0, bytes.fromhex("060a2b060104018237140203") + tlv(0xa0, bytes.fromhex(sys.argv[1]))).hex())' "$1"
  }
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ev.key" 2>/dev/null

  # An otherName's value is copied into the certificate as received: it must be DER itself.
  evil upn-ok --rdn 2.5.4.3:0c:x --san raw:"$(upn 0c0561646d696e)"
  enroll "an otherName UPN (control)" der-upn 200 "$d/upn-ok.der"
  evil upn-longlen --rdn 2.5.4.3:0c:x --san raw:"$(upn 0c810561646d696e)"
  enroll "an otherName UTF8String with a long-form length" der-upn 400 "$d/upn-longlen.der"
  evil upn-seq-longlen --rdn 2.5.4.3:0c:x --san raw:"$(upn 300402810105)"
  enroll "an otherName SEQUENCE with a long-form inner length" der-upn 400 "$d/upn-seq-longlen.der"
  evil upn-bool --rdn 2.5.4.3:0c:x --san raw:"$(upn 010101)"
  enroll "an otherName BOOLEAN 01" der-upn 400 "$d/upn-bool.der"
  evil upn-int --rdn 2.5.4.3:0c:x --san raw:"$(upn 0202000a)"
  enroll "an otherName INTEGER with a redundant 00" der-upn 400 "$d/upn-int.der"
  evil upn-null --rdn 2.5.4.3:0c:x --san raw:"$(upn 050100)"
  enroll "an otherName NULL with content" der-upn 400 "$d/upn-null.der"
  evil upn-hightag --rdn 2.5.4.3:0c:x --san raw:"$(upn 9f0105)"
  enroll "an otherName value in high-tag-number form" der-upn 400 "$d/upn-hightag.der"
  evil upn-bmp-odd --rdn 2.5.4.3:0c:x --san raw:"$(upn 1e03006100)"
  enroll "an otherName BMPString of odd length" der-upn 400 "$d/upn-bmp-odd.der"
  evil upn-bits --rdn 2.5.4.3:0c:x --san raw:"$(upn 030208ff)"
  enroll "an otherName BIT STRING with 8 unused bits" der-upn 400 "$d/upn-bits.der"
  evil upn-seq --rdn 2.5.4.3:0c:x --san raw:"$(upn 3006020101010100)"
  enroll "a UPN whose value is no UTF8String" der-upn 400 "$d/upn-seq.der"
  # Another type's value in DER: a SEQUENCE { INTEGER 1, BOOLEAN FALSE } (1.3.6.1.4.1.99999.1).
  evil other-seq-ok --rdn 2.5.4.3:0c:x --san raw:a01506092b06010401868d1f01a0083006020101010100
  enroll "an otherName SEQUENCE in DER (control)" der-upn 200 "$d/other-seq-ok.der"
  # The responder still serves after all of them.
  est GET $P/cacerts
  expect_eq "der: still serving" "$STATUS" 200

  nginx_stop
}
