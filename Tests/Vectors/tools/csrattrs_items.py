#!/usr/bin/env python3
"""Lists the items of a CsrAttrs DER (RFC 7030 §4.5.2) as JSON, from `openssl asn1parse`'s
view of its structure (OIDs decoded from the bytes at the offsets asn1parse reports).

  csrattrs_items.py FILE.der > FILE.items.json
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle import asn1_lines, oid_from_der  # noqa: E402


def main():
    path = sys.argv[1]
    der = open(path, "rb").read()
    _, lines = asn1_lines(path)

    def tlv(ln):
        return der[ln["off"]: ln["off"] + ln["hl"] + ln["l"]]

    items = []
    for ln in lines:
        if ln["d"] == 1 and ln["typ"] == "OBJECT":
            items.append({"kind": "oid", "oid": oid_from_der(tlv(ln)[ln["hl"]:])})
        elif ln["d"] == 1 and ln["typ"] == "SEQUENCE":
            items.append({"kind": "attribute", "type": None, "values_der_hex": []})
        elif ln["d"] == 2 and ln["typ"] == "OBJECT":
            items[-1]["type"] = oid_from_der(tlv(ln)[ln["hl"]:])
        elif ln["d"] == 3:
            items[-1]["values_der_hex"].append(tlv(ln).hex())
            if ln["typ"] == "OBJECT":
                items[-1].setdefault("value_oids", []).append(oid_from_der(tlv(ln)[ln["hl"]:]))
    json.dump({"file": os.path.basename(path), "der_length": len(der), "items": items},
              sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
