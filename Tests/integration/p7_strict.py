"""Loads certs-only PKCS#7 files (DER, or base64 as EST sends them) with Python's
cryptography, warnings as errors: its fallback to BER warns when the answer is not DER,
e.g. a certificates SET not in DER order (X.690 §11.6). Prints each file's certificate count."""
import base64
import sys
import warnings

warnings.simplefilter("error")
from cryptography.hazmat.primitives.serialization import pkcs7  # noqa: E402

for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"\x30"):
        data = base64.b64decode(data)
    print(len(pkcs7.load_der_pkcs7_certificates(data)))
