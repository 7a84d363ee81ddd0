#!/usr/bin/python3
"""Concurrency and crash-safety driver for estfcgi (used by Tests/integration/concurrency.sh
and scripts/soak). Python stdlib plus Debian's python3-cryptography (CSRs, PKCS#7).

  soak.py run   --work DIR [--processes P --workers W --clients C --operations N
                            --seconds S --kill-every K --revoke-every R --race-rounds 20
                            --revoke-race-rounds 20 --think 0.15 --results FILE]
  soak.py drain --work DIR

`run` needs a store made by scripts/demo-pki.sh's pki_setup in DIR (ca.db, passphrase,
tls-ca.pem, server.pem/.key; profiles iot and default). It opens a unix listen socket
itself and starts P `estfcgi serve --workers W` processes with that socket as fd 0 (what
spawn-fcgi does), puts a private nginx (the shipped nginx/estfcgi.conf) in front, and
runs C clients that enroll and re-enroll through it while the CLI revokes some of the
certificates they hold; with --kill-every it SIGKILLs a random responder process every K
seconds and respawns it on the same socket. Then --race-rounds rounds of the re-enrollment
race (two simplereenroll with one certificate at once, iot), --revoke-race-rounds rounds of a
simplereenroll racing `estfcgi cert revoke` of its certificate, then SIGTERM to every
responder. The checks assume `cert revoke` refuses an already revoked certificate. It
prints the invariants as a table (and, with --results FILE, one
"name<TAB>PASS|FAIL<TAB>detail" line per invariant) and exits 1 when one fails.

`drain` starts one `estfcgi serve`, sends a FastCGI simpleenroll whose body trickles in
over 2 s, SIGTERMs the responder in the middle and checks that the answer is 200, that
its certificate and audit row are in the store and that the process exits 0.
"""
import argparse
import base64
import collections
import hashlib
import http.client
import os
import random
import signal
import socket
import sqlite3
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EST = "/.well-known/est"
# Transport-level failures: the responder process serving the request died (nginx
# answers 502 or 504), or nginx/TLS dropped the connection.
LOST = {"conn-error", 502, 504}


def now():
    return time.monotonic()


# ---------------------------------------------------------------- keys, CSRs, certificates

def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def csr_der(key, cn):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Devices")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.DER)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def serial_hex(cert):
    return format(cert.serial_number, "x")  # the store's form: lowercase, no leading zeros


def fingerprint(cert):
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


class Identity:
    """A TLS client identity (certificate + key) as files, with its SSL context."""
    _n = 0
    _lock = threading.Lock()

    def __init__(self, d, cert, key, cafile):
        with Identity._lock:
            Identity._n += 1
            n = Identity._n
        self.cert, self.key = cert, key
        self.serial, self.fp = serial_hex(cert), fingerprint(cert)
        self.certfile, self.keyfile = os.path.join(d, f"id{n}.pem"), os.path.join(d, f"id{n}.key")
        with open(self.certfile, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with os.fdopen(os.open(self.keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(key_pem(key))
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.ctx.load_cert_chain(self.certfile, self.keyfile)


# ---------------------------------------------------------------- the fleet under test

class Fleet:
    """P responder processes on one inherited listen socket, and a private nginx."""

    def __init__(self, a, work):
        self.a, self.work = a, work
        self.dir = os.path.join(work, "soak")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        self.sock_path = os.path.join(self.dir, "estfcgi.sock")
        self.env = dict(os.environ, ESTFCGI_DB=os.path.join(work, "ca.db"),
                        ESTFCGI_KEY_PASSPHRASE_FILE=os.path.join(work, "passphrase"))
        self.procs = []       # current Popen per slot
        self.exits = []       # (slot, pid, returncode, how) of every process that ended
        self.spawned = 0
        self.lock = threading.Lock()

    def log_path(self, slot):
        return os.path.join(self.dir, f"estfcgi-{slot}.log")

    def start(self):
        if os.path.exists(self.sock_path):
            os.unlink(self.sock_path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.sock_path)
        os.chmod(self.sock_path, 0o660)
        self.listener.listen(1024)
        for slot in range(self.a.processes):
            self.procs.append(self.spawn(slot))
        if not self.wait_ready():
            raise RuntimeError("estfcgi serve did not start (see its logs in %s)" % self.dir)
        self.port = free_port()
        self.nginx_conf = os.path.join(self.dir, "nginx.conf")
        with open(os.path.join(ROOT, "nginx", "estfcgi.conf")) as f:
            server = f.read()
        # The shipped server block, as nginx.sh renders it, but on the unix socket.
        for old, new in [("listen 443 ssl;", f"listen 127.0.0.1:{self.port} ssl;"),
                         ("/etc/estfcgi/tls/server.pem", os.path.join(self.work, "server.pem")),
                         ("/etc/estfcgi/tls/server.key", os.path.join(self.work, "server.key")),
                         ("unix:/run/estfcgi/estfcgi.sock", "unix:" + self.sock_path),
                         ("include fastcgi_params;", "include /etc/nginx/fastcgi_params;")]:
            assert old in server, f"nginx/estfcgi.conf no longer contains {old!r}"
            server = server.replace(old, new)
        d = self.dir
        # The socket lives in the 0700 work directory: nginx's workers must run as root to
        # reach it (a deployment gives the web server's group access instead).
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(self.nginx_conf, "w") as f:
            f.write(f"""{user}worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {d}/nginx-access.log;
    client_body_temp_path {d}/tmp/body;
    fastcgi_temp_path {d}/tmp/fastcgi;
    proxy_temp_path {d}/tmp/proxy;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
{server}
}}
""")
        subprocess.run(["nginx", "-p", d, "-c", self.nginx_conf, "-e", f"{d}/nginx-error.log"], check=True)
        wait_port(self.port)

    def spawn(self, slot):
        log = open(self.log_path(slot), "ab")
        args = [self.a.estfcgi, "serve", "--workers", str(self.a.workers)]
        p = subprocess.Popen(args, stdin=self.listener.fileno(), stdout=log, stderr=log, env=self.env)
        p.log_offset = log.tell()
        log.close()
        self.spawned += 1
        return p

    def wait_ready(self, seconds=20):
        """Until every current process logged that it serves (its keys are decrypted)."""
        end = now() + seconds
        while now() < end:
            with self.lock:
                pending = []
                for slot, p in enumerate(self.procs):
                    with open(self.log_path(slot), "rb") as f:
                        f.seek(p.log_offset)
                        if b"estfcgi: serving" not in f.read() and p.poll() is None:
                            pending.append(slot)
            if not pending:
                return True
            time.sleep(0.05)
        return False

    def kill_one(self, rng):
        with self.lock:
            slot = rng.randrange(len(self.procs))
            p = self.procs[slot]
            t = now()
            p.send_signal(signal.SIGKILL)
            p.wait()
            self.exits.append((slot, p.pid, p.returncode, "SIGKILL"))
            self.procs[slot] = self.spawn(slot)
            return t

    def reap_unexpected(self):
        """Processes that died without being killed by us (a crash): respawned, counted."""
        with self.lock:
            for slot, p in enumerate(self.procs):
                if p.poll() is not None:
                    self.exits.append((slot, p.pid, p.returncode, "died"))
                    self.procs[slot] = self.spawn(slot)

    def stop(self, drain_timeout=20):
        """SIGTERM every responder (they drain and must exit 0), then stop nginx."""
        with self.lock:
            for p in self.procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for slot, p in enumerate(self.procs):
                try:
                    p.wait(timeout=drain_timeout)
                    self.exits.append((slot, p.pid, p.returncode, "SIGTERM"))
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    self.exits.append((slot, p.pid, "hung", "SIGTERM"))
            self.procs = []
        subprocess.run(["nginx", "-p", self.dir, "-c", self.nginx_conf, "-e", f"{self.dir}/nginx-error.log",
                        "-s", "stop"], stderr=subprocess.DEVNULL)
        self.listener.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, seconds=10):
    end = now() + seconds
    while now() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


# ---------------------------------------------------------------- EST over HTTPS

class Result:
    __slots__ = ("who", "op", "profile", "t0", "t1", "status", "err", "retry_after", "serial", "fp",
                 "client_serial", "client_fp", "phase")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


def est_post(port, ctx, path, body, timeout=60):
    """POST one EST request on a new TLS connection: (status, body, retry_after, error)."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/pkcs10"})
        r = conn.getresponse()
        return r.status, r.read(), r.getheader("Retry-After"), None
    except (OSError, http.client.HTTPException) as e:
        return "conn-error", b"", None, f"{type(e).__name__}: {e}"
    finally:
        conn.close()


def mint_bootstrap(estfcgi, env, d, cafile, cn):
    """A bootstrap certificate of our own (factory profile): other suites deny boot.pem."""
    key = new_key()
    csr = os.path.join(d, cn + ".csr")
    with open(csr, "wb") as f:
        f.write(x509.load_der_x509_csr(csr_der(key, cn)).public_bytes(serialization.Encoding.PEM))
    pem = subprocess.run([estfcgi, "cert", "issue", "--profile", "factory", "--csr", csr],
                         env=env, check=True, capture_output=True).stdout
    return Identity(d, x509.load_pem_x509_certificate(pem), key, cafile)


def parse_certs_only(body):
    certs = pkcs7.load_der_pkcs7_certificates(base64.b64decode(body))
    if len(certs) != 1:
        raise ValueError(f"{len(certs)} certificates in the answer")
    return certs[0]


class Run:
    def __init__(self, a):
        self.a = a
        self.work = a.work
        self.cafile = os.path.join(self.work, "tls-ca.pem")
        self.ids = tempfile.mkdtemp(prefix="ids.", dir=self.work)
        self.rng = random.Random(a.seed)
        self.tag = "soak%x" % random.SystemRandom().getrandbits(24)
        self.results = []
        self.rlock = threading.Lock()
        self.revocations = []      # (serial, t0, t1, rc, stderr)
        self.kills = []
        self.held = {}             # client index -> Identity it holds now
        self.issued = []           # every Identity answered 200 (revocation targets)
        self.stop_at = None
        self.done = threading.Event()
        self.races = []            # per round: (Identity, [Result, Result])
        self.revoke_races = []     # per round: (Identity, Result, CLI exit status, CLI stderr)
        self.prefail = []          # setup failures

    def path(self, profile, op):
        return f"{EST}/{profile}/{op}" if profile else f"{EST}/{op}"

    def record(self, r):
        with self.rlock:
            self.results.append(r)

    def est(self, who, op, profile, ctx, body, client=None, phase="load"):
        r = Result(who=who, op=op, profile=profile, phase=phase,
                   client_serial=client.serial if client else None, client_fp=client.fp if client else None)
        r.t0 = now()
        r.status, resp, r.retry_after, r.err = est_post(self.fleet.port, ctx, self.path(profile, op), body)
        r.t1 = now()
        cert = None
        if r.status == 200:
            try:
                cert = parse_certs_only(resp)
                r.serial, r.fp = serial_hex(cert), fingerprint(cert)
            except Exception as e:  # a 200 without a certificate is a failure of its own
                r.err = f"unparsable 200 answer: {e}"
        elif r.err is None:
            r.err = resp[:200].decode("utf-8", "replace").strip()
        self.record(r)
        return r, cert

    def mint_bootstrap(self):
        return mint_bootstrap(self.a.estfcgi, self.fleet.env, self.ids, self.cafile, f"{self.tag}-boot")

    # -- one client: enroll with the bootstrap certificate, then re-enroll 1-3 times
    def client(self, i):
        rng = random.Random(self.a.seed * 1000 + i)
        profile = "iot" if i % 2 == 0 else None  # iot: revoke-on-reenroll; default: keeps the old one
        keys = [new_key() for _ in range(8)] if self.a.reuse_keys else None
        cur, left, dev, n = None, 0, 0, 0
        while (self.a.operations == 0 or n < self.a.operations) and not self.past_deadline():
            n += 1
            key = keys[n % len(keys)] if self.a.reuse_keys else new_key()
            if cur is None or left == 0:
                dev += 1
                cn = f"{self.tag}-c{i}-d{dev}"
                r, cert = self.est(f"c{i}", "simpleenroll", profile, self.boot.ctx, csr_der(key, cn))
                if cert is not None:
                    cur, left = self.hold(i, cert, key), rng.randint(1, 3)
            else:
                cn = cur.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
                r, cert = self.est(f"c{i}", "simplereenroll", profile, cur.ctx, csr_der(key, cn), client=cur)
                if cert is not None:
                    cur, left = self.hold(i, cert, key), left - 1
                elif r.status in (403, 400, 401):
                    cur = None  # revoked (by the CLI, or superseded by an answer we lost): start over
            if r.status in LOST or r.status == 503:
                time.sleep(0.05 + rng.random() * 0.2)
            elif rng.random() < self.a.think:
                time.sleep(0.05 + rng.random() * 0.1)  # a device pausing: the revoker's chance

    def hold(self, i, cert, key):
        ident = Identity(self.ids, cert, key, self.cafile)
        with self.rlock:
            self.held[i] = ident
            self.issued.append(ident)
        return ident

    def past_deadline(self):
        return self.stop_at is not None and now() >= self.stop_at

    # -- the CLI revoking certificates that clients hold (most likely re-enrolled next)
    def revoker(self):
        rng = random.Random(self.a.seed + 7)
        tried = set()
        while not self.done.wait(self.a.revoke_every):
            with self.rlock:
                pool = list(self.held.values()) if rng.random() < 0.8 else list(self.issued)
            pool = [x for x in pool if x.serial not in tried]
            if not pool:
                continue
            target = rng.choice(pool)
            tried.add(target.serial)
            t0 = now()
            p = subprocess.run([self.a.estfcgi, "cert", "revoke", target.serial, "--reason", "keyCompromise"],
                               env=self.fleet.env, capture_output=True, text=True)
            self.revocations.append((target.serial, target.fp, t0, now(), p.returncode, p.stderr.strip()))

    def killer(self):
        rng = random.Random(self.a.seed + 13)
        while not self.done.wait(self.a.kill_every * (0.5 + rng.random())):
            self.kills.append(self.fleet.kill_one(rng))

    def watchdog(self):
        while not self.done.wait(0.5):
            self.fleet.reap_unexpected()

    # -- the race: two simplereenroll at once with the same certificate (iot)
    def race(self, rounds):
        for k in range(rounds):
            key = new_key()
            cn = f"{self.tag}-race{k}"
            r, cert = self.est("race", "simpleenroll", "iot", self.boot.ctx, csr_der(key, cn), phase="race-setup")
            if cert is None:
                self.prefail.append(f"race round {k}: enrollment answered {r.status} {r.err}")
                continue
            ident = Identity(self.ids, cert, key, self.cafile)
            bodies = [csr_der(new_key(), cn) for _ in range(2)]
            barrier = threading.Barrier(2)
            out = [None, None]

            def go(j):
                ctx = ssl.create_default_context(cafile=self.cafile)
                ctx.load_cert_chain(ident.certfile, ident.keyfile)
                barrier.wait()
                out[j], _ = self.est(f"race{k}.{j}", "simplereenroll", "iot", ctx, bodies[j], client=ident,
                                     phase="race")
            ts = [threading.Thread(target=go, args=(j,)) for j in range(2)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            self.races.append((ident, out))

    # -- a re-enrollment and a CLI revocation of the same certificate at once (iot)
    def revoke_race(self, rounds):
        rng = random.Random(self.a.seed + 29)
        offset, step, last = 0.0, 0.008, 0
        for k in range(rounds):
            key = new_key()
            cn = f"{self.tag}-rvk{k}"
            r, cert = self.est("rvk", "simpleenroll", "iot", self.boot.ctx, csr_der(key, cn), phase="race-setup")
            if cert is None:
                self.prefail.append(f"revoke race round {k}: enrollment answered {r.status} {r.err}")
                continue
            ident = Identity(self.ids, cert, key, self.cafile)
            body = csr_der(new_key(), cn)
            # The CLI needs tens of milliseconds to reach the store, the request about as
            # long to reach its check; the window between that check and the commit is a few
            # ms. A staircase finds the offset where one overtakes the other and stays there.
            offset = max(-0.1, min(0.1, offset))
            jittered = offset + rng.uniform(-0.001, 0.001)
            out = []
            req = threading.Thread(target=lambda: out.append(self.est(
                f"rvk{k}", "simplereenroll", "iot", ident.ctx, body, client=ident, phase="revoke-race")[0]))
            if jittered < 0:
                req.start()
                time.sleep(-jittered)
            t0 = now()
            cli = subprocess.Popen([self.a.estfcgi, "cert", "revoke", ident.serial, "--reason", "keyCompromise"],
                                   env=self.fleet.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if jittered >= 0:
                time.sleep(jittered)
                req.start()
            req.join()
            r = out[0]
            err = cli.communicate()[1].strip()
            self.revocations.append((ident.serial, ident.fp, t0, now(), cli.returncode, err))
            self.revoke_races.append((ident, r, cli.returncode, err))
            direction = +1 if (r.status == 200 and cli.returncode != 0) else -1 if r.status == 403 else 0
            if direction and direction != last:
                step = max(step / 2, 0.001)
            offset += direction * step
            last = direction or last

    def execute(self):
        a = self.a
        self.fleet = Fleet(a, self.work)
        self.fleet.start()
        t_start = self.t_base = now()
        try:
            self.boot = self.mint_bootstrap()
            if a.seconds:
                self.stop_at = now() + a.seconds
            helpers = [threading.Thread(target=self.watchdog, daemon=True)]
            if a.revoke_every > 0:
                helpers.append(threading.Thread(target=self.revoker, daemon=True))
            if a.kill_every > 0:
                helpers.append(threading.Thread(target=self.killer, daemon=True))
            for t in helpers:
                t.start()
            clients = [threading.Thread(target=self.client, args=(i,)) for i in range(a.clients)]
            for t in clients:
                t.start()
            for t in clients:
                t.join()
            self.done.set()
            for t in helpers:
                t.join()
            self.load_seconds = now() - t_start
            # A process respawned last finishes its start (SIGTERM before then is no drain).
            self.fleet.wait_ready()
            self.race(a.race_rounds)
            self.revoke_race(a.revoke_race_rounds)
        finally:
            self.done.set()
            self.fleet.stop()
        self.total_seconds = now() - t_start

    # ------------------------------------------------------------ the invariants
    def check(self):
        db = sqlite3.connect(os.path.join(self.work, "ca.db"))
        q = lambda sql, *p: db.execute(sql, p).fetchall()
        rows = {fp: (cid, serial, status, reason, replaces)
                for cid, serial, fp, status, reason, replaces in
                q("SELECT id, serial, fingerprint, status, revocation_reason, replaces_id FROM certificates")}
        by_id = {v[0]: (fp,) + v for fp, v in rows.items()}
        checks = []

        def inv(name, ok, detail):
            checks.append((name, bool(ok), detail))

        load = [r for r in self.results if r.phase == "load"]
        allr = self.results
        codes = collections.Counter(str(r.status) for r in load)
        inv("requests answered (load)", len(load) > 0,
            f"{len(load)} in {self.load_seconds:.1f}s: " + " ".join(f"{k}x{v}" for k, v in sorted(codes.items())))

        for line in self.prefail:
            inv("setup", False, line)

        five = [r for r in allr if isinstance(r.status, int) and r.status >= 500 and r.status not in LOST]
        e500 = [r for r in five if r.status == 500]
        inv("no 500", not e500, self.examples(e500) or "0")
        bad503 = [r for r in five if r.status == 503 and not r.retry_after]
        n503 = sum(1 for r in five if r.status == 503)
        inv("503 only with Retry-After", not bad503, f"{n503} x 503" + (f"; without Retry-After: {self.examples(bad503)}" if bad503 else ""))
        other5 = [r for r in five if r.status not in (500, 503)]
        inv("no other 5xx", not other5, self.examples(other5) or "0")

        lost = [r for r in allr if r.status in LOST]
        if self.a.kill_every > 0:
            stray = [r for r in lost if not any(r.t0 - 0.5 <= k <= r.t1 + 0.5 for k in self.kills)]
            inv("502/connection failures only across a SIGKILL", not stray,
                f"{len(lost)} lost across {len(self.kills)} kills" + (f"; not near a kill: {self.examples(stray)}" if stray else ""))
        else:
            inv("no 502/connection failures (no kills)", not lost, self.examples(lost) or "0")

        unparsable = [r for r in allr if r.status == 200 and r.fp is None]
        inv("every 200 carries one certificate", not unparsable, self.examples(unparsable) or "ok")
        allowed = {200, 403, 503} | LOST
        odd = [r for r in allr if r.status not in allowed or (r.status == 403 and r.op == "simpleenroll")]
        inv("no unexpected status", not odd, self.examples(odd) or "0")

        ok = [r for r in allr if r.status == 200 and r.fp]
        missing = [r for r in ok if r.fp not in rows or rows[r.fp][1] != r.serial]
        inv("every 200's certificate in the store exactly once", not missing,
            f"{len(ok)} answered, {len(missing)} missing" + (": " + self.examples(missing) if missing else ""))
        answered_twice = [fp for fp, n in collections.Counter(r.fp for r in ok).items() if n > 1]
        inv("no certificate answered twice", not answered_twice, f"{len(answered_twice)} duplicates")
        wrong_parent = [r for r in ok if r.op == "simplereenroll" and r.fp in rows and r.client_fp in rows
                        and rows[r.fp][4] != rows[r.client_fp][0]]
        inv("every re-enrolled certificate names the one it replaces", not wrong_parent,
            self.examples(wrong_parent) or "ok")

        dup = q("SELECT issuer_ca_id, serial, count(*) FROM certificates GROUP BY 1, 2 HAVING count(*) > 1")
        inv("serials unique per issuer", not dup, str(dup[:3]) if dup else f"{len(rows)} certificates")

        # Exactly once per request: successors of X in the store <= 200s for X + answers lost
        # for X (a lost answer may have been committed); and never fewer than the 200s.
        per = collections.defaultdict(lambda: [0, 0])
        for r in allr:
            if r.op == "simplereenroll" and (r.status == 200 or r.status in LOST):
                per[r.client_fp][0 if r.status == 200 else 1] += 1
        successors = collections.Counter(by_id[v[4]][0] for v in rows.values() if v[4] in by_id)
        extra = [(fp[:16], successors[fp], okn, lostn) for fp, (okn, lostn) in per.items()
                 if not okn <= successors.get(fp, 0) <= okn + lostn]
        extra += [(fp[:16], n, 0, 0) for fp, n in successors.items() if fp not in per and fp in self.our_fps()]
        inv("successors recorded once per request", not extra,
            "ok" if not extra else f"{len(extra)} certificates (fp, rows, 200s, lost): {extra[:3]}")
        enrolled = q("SELECT count(*) FROM certificates WHERE replaces_id IS NULL AND subject LIKE ?",
                     f"%CN={self.tag}-%")[0][0] - 1  # less our bootstrap certificate
        e_ok = sum(1 for r in allr if r.op == "simpleenroll" and r.status == 200)
        e_lost = sum(1 for r in allr if r.op == "simpleenroll" and r.status in LOST)
        inv("enrollments recorded once per request", e_ok <= enrolled <= e_ok + e_lost,
            f"{enrolled} rows for {e_ok} answered + {e_lost} lost")

        integ = q("PRAGMA integrity_check")
        inv("PRAGMA integrity_check = ok", integ == [("ok",)], str(integ[:3]))

        cli_ok = [(s, fp, t0, t1) for s, fp, t0, t1, rc, _ in self.revocations if rc == 0]
        cli_fail = [(s, err) for s, _, _, _, rc, err in self.revocations if rc != 0]
        unrevoked = [s for s, fp, _, _ in cli_ok if rows.get(fp, (0, 0, None))[2] != "revoked"]
        inv("every certificate the CLI revoked is still revoked", not unrevoked,
            f"{len(cli_ok)} revoked by the CLI ({len(cli_fail)} refused, e.g. already superseded)"
            + (f"; valid again: {unrevoked[:3]}" if unrevoked else ""))
        revoked_at = {fp: t1 for _, fp, _, t1 in cli_ok}
        after = [r for r in ok if r.op == "simplereenroll" and r.client_fp in revoked_at
                 and revoked_at[r.client_fp] < r.t0]
        inv("no re-enrollment with a certificate revoked before the request", not after,
            self.examples(after) or "0")
        # revoke-on-reenroll: a certificate the CLI revoked (keyCompromise, not superseded)
        # while its re-enrollment ran must not leave a valid successor behind.
        load_iot = {r.fp for r in load if r.fp and r.profile == "iot"}
        between = [(by_id[v[4]][2], v[1]) for v in rows.values()
                   if v[4] in by_id and by_id[v[4]][4] == "keyCompromise" and v[2] == "valid"
                   and by_id[v[4]][0] in revoked_at and by_id[v[4]][0] in load_iot]
        detail = f"{len(between)} left between"
        if between:
            old, new = between[0]
            rv = next(x for x in cli_ok if x[0] == old)
            rq = next((r for r in ok if r.serial == new), None)
            detail += (f", e.g. {old} revoked by the CLI at t+{rv[2] - self.t_base:.3f}..{rv[3] - self.t_base:.3f}s;"
                       f" its re-enrollment ran t+{rq.t0 - self.t_base:.3f}..{rq.t1 - self.t_base:.3f}s"
                       f" -> 200, successor {new} valid" if rq else f", e.g. {old} -> valid {new}")
        inv("load: CLI-revoked iot certificate has no valid successor", not between, detail)
        bad403 = [r for r in allr if r.status == 403 and r.phase == "load"
                  and rows.get(r.client_fp, (0, 0, "valid"))[2] != "revoked"]
        inv("every 403 re-enrollment had a revoked certificate", not bad403, self.examples(bad403) or "ok")

        # The responders' own log lines: no 500, no SQLITE_BUSY/locked on the way.
        logs = ""
        for slot in range(self.a.processes):
            with open(self.fleet.log_path(slot), errors="replace") as f:
                logs += f.read()
        busy = [l for l in logs.splitlines() if "status=500" in l or "database is locked" in l or "SQLITE_BUSY" in l]
        inv("responder logs: no status=500, no 'database is locked'", not busy, busy[0][:300] if busy else "0 lines")

        kills = [e for e in self.fleet.exits if e[3] == "SIGKILL"]
        died = [e for e in self.fleet.exits if e[3] == "died"]
        inv("no responder died on its own", not died, str(died[:3]) if died else f"{self.fleet.spawned} started, {len(kills)} SIGKILLed")
        term = [e for e in self.fleet.exits if e[3] == "SIGTERM"]
        inv("SIGTERM: every responder exits 0", term and all(e[2] == 0 for e in term),
            ", ".join(f"pid {e[1]}: {e[2]}" for e in term))

        # The race: exactly one 200 and one 403 per round, exactly one successor row.
        if self.a.race_rounds:
            good, lines = 0, []
            for k, (ident, out) in enumerate(self.races):
                st = sorted(str(r.status) for r in out)
                succ = successors.get(ident.fp, 0)
                if st == ["200", "403"] and succ == 1:
                    good += 1
                else:
                    got = ", ".join(f"{r.status} {r.serial or ''}".strip() for r in out)
                    lines.append(f"round {k}: {ident.serial} re-enrolled twice at once -> {got}; {succ} successors in the store")
            both = sum(1 for _, out in self.races if all(r.status == 200 for r in out))
            inv(f"race: one 200 + one 403 per round", good == self.a.race_rounds,
                f"{good}/{self.a.race_rounds} rounds; both 200 in {both}" + (f" ({lines[0]})" if lines else ""))

        # Revoked in the middle of its re-enrollment: refused (403), or the CLI came too late
        # (already superseded), or the successor is revoked too; never a valid successor of
        # a certificate the CLI revoked.
        if self.a.revoke_race_rounds:
            tally, bad = collections.Counter(), []
            for ident, r, rc, err in self.revoke_races:
                succ = [v for v in rows.values() if v[4] == rows.get(ident.fp, (None,))[0]]
                if r.status == 403 and rc == 0:
                    kind = "refused" if not succ else "refused, yet a successor recorded"
                elif r.status == 200 and rc != 0:
                    kind = "re-enrolled first"
                elif r.status == 200 and rc == 0:
                    kind = ("both, successor revoked" if succ and all(v[2] == "revoked" for v in succ)
                            else "both, successor valid")
                else:
                    kind = f"re-enroll {r.status}, CLI exit {rc}"
                tally[kind] += 1
                if kind not in ("refused", "re-enrolled first", "both, successor revoked"):
                    bad.append(f"{ident.serial}: {kind} (CLI: {err[:80]})")
            inv("revoke race: refused or revoked with its successor", not bad,
                ", ".join(f"{v} {k}" for k, v in sorted(tally.items())) + (f"; e.g. {bad[0]}" if bad else ""))
        return checks

    def our_fps(self):
        return {r.fp for r in self.results if r.fp}

    @staticmethod
    def examples(rs):
        if not rs:
            return ""
        r = rs[0]
        return f"{len(rs)}, e.g. {r.who} {r.op} -> {r.status} ({(r.err or '')[:160]})"


def print_table(checks, out=sys.stdout):
    w = max(len(n) for n, _, _ in checks)
    print(f"{'invariant':<{w}}  {'result':<6}  detail", file=out)
    print(f"{'-' * w}  ------  {'-' * 40}", file=out)
    for name, ok, detail in checks:
        print(f"{name:<{w}}  {'PASS' if ok else 'FAIL':<6}  {detail}", file=out)
    failed = sum(1 for _, ok, _ in checks if not ok)
    print(f"{len(checks) - failed} passed, {failed} failed", file=out)


def cmd_run(a):
    run = Run(a)
    run.execute()
    checks = run.check()
    print(f"# {a.processes} process(es) x {a.workers} workers, {a.clients} clients x "
          f"{a.operations or 'unlimited'} operations" + (f", at most {a.seconds}s" if a.seconds else "")
          + (f", SIGKILL every ~{a.kill_every}s" if a.kill_every else "")
          + f", {run.total_seconds:.1f}s in all (logs: {run.fleet.dir})")
    print_table(checks)
    if a.results:
        with open(a.results, "w") as f:
            for name, ok, detail in checks:
                f.write(f"{name}\t{'PASS' if ok else 'FAIL'}\t{detail}\n")
    return 0 if all(ok for _, ok, _ in checks) else 1


# ---------------------------------------------------------------- SIGTERM drain, over FastCGI

def fcgi_record(kind, rid, content=b""):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBx", 1, kind, rid, len(content), pad) + content + b"\0" * pad


def fcgi_params(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
        out += k + v
    return out


def cmd_drain(a):
    work = a.work
    env = dict(os.environ, ESTFCGI_DB=os.path.join(work, "ca.db"),
               ESTFCGI_KEY_PASSPHRASE_FILE=os.path.join(work, "passphrase"))
    d = tempfile.mkdtemp(prefix="drain.", dir=work)
    sock = os.path.join(d, "estfcgi.sock")
    log = open(os.path.join(d, "estfcgi.log"), "wb")
    p = subprocess.Popen([a.estfcgi, "serve", "--socket", sock, "--workers", "2", "--read-timeout", "10"],
                         stdout=log, stderr=log, env=env)
    checks = []
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        boot_id = mint_bootstrap(a.estfcgi, env, d, os.path.join(work, "tls-ca.pem"), "drain-boot")
        with open(boot_id.certfile) as f:
            boot = f.read()
        key = new_key()
        body = base64.encodebytes(csr_der(key, "drain-0001"))
        db = sqlite3.connect(os.path.join(work, "ca.db"))
        audit_before = db.execute("SELECT max(id) FROM audit").fetchone()[0] or 0
        params = {"REQUEST_METHOD": "POST", "DOCUMENT_URI": f"{EST}/simpleenroll", "REQUEST_URI": f"{EST}/simpleenroll",
                  "SCRIPT_NAME": f"{EST}/simpleenroll", "CONTENT_TYPE": "application/pkcs10",
                  "CONTENT_LENGTH": str(len(body)), "SSL_CLIENT_CERT": urllib.parse.quote(boot, safe=""),
                  "SERVER_PROTOCOL": "HTTP/1.1", "HTTPS": "on"}
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        s.sendall(fcgi_record(1, 1, struct.pack(">HB5x", 1, 0)) + fcgi_record(4, 1, fcgi_params(params))
                  + fcgi_record(4, 1) + fcgi_record(5, 1, body[:20]))
        time.sleep(1)
        t_term = now()
        p.send_signal(signal.SIGTERM)
        time.sleep(1)
        s.sendall(fcgi_record(5, 1, body[20:]) + fcgi_record(5, 1))
        s.settimeout(20)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        stdout, ended = b"", False
        i = 0
        while i + 8 <= len(data):
            _, kind, _, n, pad = struct.unpack(">BBHHB", data[i:i + 7])
            if kind == 6:
                stdout += data[i + 8:i + 8 + n]
            if kind == 3:
                ended = True
            i += 8 + n + pad
        head = stdout.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        status = next((l.split()[1] for l in head.splitlines() if l.lower().startswith("status:")), "none")
        checks.append(("drain: request in flight at SIGTERM answered 200", status == "200" and ended,
                       f"Status {status}, END_REQUEST {'seen' if ended else 'missing'}"))
        try:
            rc = p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = "still running 15s after SIGTERM"
        checks.append(("drain: responder exits 0 after SIGTERM", rc == 0, f"exit {rc} after {now() - t_term:.1f}s"))
        fp = None
        if status == "200":
            cert = parse_certs_only(stdout.split(b"\r\n\r\n", 1)[1])
            fp = fingerprint(cert)
        n = db.execute("SELECT count(*) FROM certificates WHERE fingerprint = ?", (fp,)).fetchone()[0]
        checks.append(("drain: its certificate is in the store", n == 1, f"{n} rows"))
        audits = db.execute("SELECT operation, status FROM audit WHERE id > ?", (audit_before,)).fetchall()
        checks.append(("drain: its audit row is in the store", ("simpleenroll", 200) in audits, str(audits)))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    print_table(checks)
    if a.results:
        with open(a.results, "w") as f:
            for name, ok, detail in checks:
                f.write(f"{name}\t{'PASS' if ok else 'FAIL'}\t{detail}\n")
    return 0 if all(ok for _, ok, _ in checks) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    default_bin = os.environ.get("ESTFCGI") or os.path.join(ROOT, ".build", "debug", "estfcgi")
    for name in ("run", "drain"):
        s = sub.add_parser(name)
        s.add_argument("--work", required=True, help="directory of a pki_setup store")
        s.add_argument("--estfcgi", default=default_bin)
        s.add_argument("--results", help="write name<TAB>PASS|FAIL<TAB>detail lines here")
    r = sub.choices["run"]
    r.add_argument("--processes", type=int, default=2)
    r.add_argument("--workers", type=int, default=2)
    r.add_argument("--clients", type=int, default=8)
    r.add_argument("--operations", type=int, default=200, help="requests per client (0: until --seconds)")
    r.add_argument("--seconds", type=float, default=0, help="stop the clients after this long (0: no limit)")
    r.add_argument("--kill-every", type=float, default=0, help="SIGKILL a random responder every ~N seconds")
    r.add_argument("--revoke-every", type=float, default=0.1, help="CLI revocation every N seconds (0: none)")
    r.add_argument("--race-rounds", type=int, default=20)
    r.add_argument("--revoke-race-rounds", type=int, default=20,
                   help="rounds of a re-enrollment and a CLI revocation of its certificate at once")
    r.add_argument("--think", type=float, default=0.15, help="chance a client pauses 50-150 ms after a request")
    r.add_argument("--reuse-keys", action="store_true", help="draw CSR keys from a small per-client pool")
    r.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", "1")))
    a = ap.parse_args()
    if a.cmd == "run":
        if a.operations == 0 and a.seconds == 0:
            ap.error("give --operations or --seconds")
        return cmd_run(a)
    return cmd_drain(a)


if __name__ == "__main__":
    sys.exit(main())
