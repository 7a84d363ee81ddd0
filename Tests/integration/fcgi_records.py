"""FastCGI 1.0 records as a web server writes them (§3.3 record header, §3.4 name-value
pairs), for the test clients that talk to `estfcgi serve` without one (fcgi_raw.py,
fcgi_trickle.py)."""


def record(kind, body, request_id=1):
    return bytes([1, kind, request_id >> 8, request_id & 0xFF, len(body) >> 8, len(body) & 0xFF, 0, 0]) + body


def pair(name, value):
    def length(n):
        return bytes([n]) if n < 128 else (n | 0x80000000).to_bytes(4, "big")
    return length(len(name)) + length(len(value)) + name + value
