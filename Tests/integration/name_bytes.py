"""Prints a PEM certificate's subject and subjectAltName DER as hex ("-" when absent)."""
import sys

from cryptography import x509

with open(sys.argv[1], "rb") as f:
    cert = x509.load_pem_x509_certificate(f.read())
try:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.public_bytes().hex()
except x509.ExtensionNotFound:
    san = "-"
print(cert.subject.public_bytes().hex(), san)
