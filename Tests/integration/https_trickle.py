#!/usr/bin/python3
"""A client that sends an EST POST's headers over TLS, then its body one byte every
INTERVAL seconds, for at most DURATION seconds. Prints the HTTP status it got (or
'closed') and the seconds it took. With --cert/--key it presents a client certificate.

usage: https_trickle.py HOST PORT PATH [--interval S] [--duration S] [--cert PEM --key KEY]
"""
import socket, ssl, sys, time


def main(argv):
    host, port, path = argv[1], int(argv[2]), argv[3]
    opt = lambda name, default: argv[argv.index(name) + 1] if name in argv else default
    interval, duration = float(opt("--interval", 1)), float(opt("--duration", 30))
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if "--cert" in argv:
        context.load_cert_chain(opt("--cert", None), opt("--key", None))
    s = context.wrap_socket(socket.create_connection((host, port)), server_hostname=host)
    start = time.monotonic()
    s.sendall(("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/pkcs10\r\nContent-Length: 500\r\n\r\n"
               % (path, host)).encode())
    s.settimeout(interval)
    answer = b""
    while time.monotonic() - start < duration:
        try:
            s.sendall(b"M")
            answer = s.recv(65536)
            break
        except socket.timeout:
            continue
        except OSError:
            break
    status = answer.split(b" ")[1].decode() if answer.startswith(b"HTTP/") else "closed"
    print(status, round(time.monotonic() - start, 1))


if __name__ == "__main__":
    main(sys.argv)
