#!/usr/bin/env python3
"""The API benchmark of `make bench`: authenticated GET /api/auth/me under wrk, on loopback.

It starts a throwaway PostgreSQL, the auth daemon and the gateway (from BENCH_BIN, default
build/release/bin), logs in as the first admin, then runs wrk with that bearer token against
the gateway, and against a static-file answer of the same size from Python's own http.server as
the reference of what this machine's loopback and wrk can do at all. It also times logins: an
unknown email against a known one with a wrong password (enumeration by timing, P-03), which
must cost the same.

Targets (issue 4): >= 20,000 requests/s with p99 < 10 ms on this 2-core machine.
Environment: BENCH_BIN, AUTH_BENCH_SECONDS (default 10), AUTH_BENCH_CONNECTIONS (default 64),
AUTH_BENCH_LOGINS (default 20 of each kind).
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("BENCH_BIN", ROOT / "build" / "release" / "bin"))
SECONDS = int(os.environ.get("AUTH_BENCH_SECONDS", "10"))
CONNS = int(os.environ.get("AUTH_BENCH_CONNECTIONS", "64"))
LOGINS = int(os.environ.get("AUTH_BENCH_LOGINS", "20"))
sys.path.insert(0, str(ROOT / "scripts"))
from pgcluster import PgCluster  # noqa: E402

SECRET = "bench-" + os.urandom(24).hex()
ADMIN = ("admin@bench.local", "bench-admin-" + os.urandom(8).hex())


def log(msg):
    print("bench-auth: " + msg, file=sys.stderr, flush=True)


def start(name, env, logdir):
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOG_LEVEL": "notice",
            "METRICS_LISTEN": "127.0.0.1:0", **env}
    out = open(Path(logdir) / (name + ".log"), "ab")
    p = subprocess.Popen([str(BIN / name)], env=full, stdin=subprocess.DEVNULL, stdout=out,
                         stderr=out)
    pat = re.compile(r" %s\[%d\] main: ready (.*)$" % (re.escape(name), p.pid), re.M)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = (Path(logdir) / (name + ".log")).read_text(errors="replace")
        m = pat.search(text)
        if m:
            return p, dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv)
        if p.poll() is not None:
            raise RuntimeError("%s exited: %s" % (name, text[-2000:]))
        time.sleep(0.05)
    p.kill()
    raise RuntimeError("%s did not get ready" % name)


def post(url, body, timeout=10):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read()), time.perf_counter() - t0
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), time.perf_counter() - t0


def wrk(url, headers=()):
    argv = ["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % SECONDS, "--latency"]
    for h in headers:
        argv += ["-H", h]
    out = subprocess.run(argv + [url], capture_output=True, text=True,
                         timeout=SECONDS + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return rps, float(p99.group(1)) * scale, int(non2xx.group(1)) if non2xx else 0, \
        errors.group(0) if errors else ""


def reference_server(body, logdir):
    """Python's http.server answering one static body: what loopback + wrk reach (a floor)."""
    d = Path(logdir) / "static"
    d.mkdir()
    (d / "me.json").write_bytes(body)
    p = subprocess.Popen([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1",
                          "--directory", str(d)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N ..."
    port = int(re.search(r"port (\d+)", line).group(1))
    return p, "http://127.0.0.1:%d/me.json" % port


def main():
    if not shutil.which("wrk"):
        print("SKIP auth: wrk is not installed (scripts/bootstrap.sh --bench installs it)")
        return 0
    for b in ("auth", "gateway"):
        if not (BIN / b).exists():
            print("SKIP auth: %s is missing (make all)" % (BIN / b))
            return 0
    tmp = tempfile.mkdtemp(prefix="marquee-bench-auth-", dir="/tmp")
    os.chmod(tmp, 0o755)
    pg = PgCluster(os.path.join(tmp, "pg"), fast=True)
    procs = []
    try:
        url = pg.start()
        auth, ar = start("auth", {"DATABASE_URL": url, "JWT_SECRET": SECRET,
                                  "AUTH_BIND": "tcp://127.0.0.1:*",
                                  "AUDIT_BIND": "tcp://127.0.0.1:*", "ADMIN_EMAIL": ADMIN[0],
                                  "ADMIN_PASSWORD": ADMIN[1]}, tmp)
        procs.append(auth)
        gw, gr = start("gateway", {"JWT_SECRET": SECRET, "GATEWAY_LISTEN": "127.0.0.1:0",
                                   "AUTH_ENDPOINT": ar["rpc"], "AUDIT_ENDPOINT": ar["audit"],
                                   "RATE_LIMIT_API": "1000000/1s",
                                   "RATE_LIMIT_LOGIN": "off",
                                   "RATE_LIMIT_LOGIN_ACCOUNT": "off",
                                   "HTTP_MAX_CONNECTIONS": "4096"}, tmp)
        procs.append(gw)
        base = "http://" + gr["http"]
        st, doc, _ = post(base + "/api/auth/login", {"email": ADMIN[0], "password": ADMIN[1]})
        if st != 200:
            print("FAIL auth: login answered %d %s" % (st, doc))
            return 1
        token = doc["accessToken"]
        me = urllib.request.urlopen(urllib.request.Request(
            base + "/api/auth/me", headers={"Authorization": "Bearer " + token})).read()

        # P-03: an unknown email against a wrong password, interleaved
        unknown, wrong = [], []
        for i in range(LOGINS):
            st1, d1, t1 = post(base + "/api/auth/login",
                               {"email": "nobody-%d@bench.local" % i, "password": "x" * 12})
            st2, d2, t2 = post(base + "/api/auth/login",
                               {"email": ADMIN[0], "password": "wrong-password-%d" % i})
            if st1 != 401 or st2 != 401 or d1 != d2:
                print("FAIL auth: unknown email %d %s vs wrong password %d %s" % (st1, d1, st2, d2))
                return 1
            unknown.append(t1 * 1000)
            wrong.append(t2 * 1000)
        mu, mw = statistics.median(unknown), statistics.median(wrong)

        log("wrk %d s, %d connections, 2 threads: GET /api/auth/me with a bearer token"
            % (SECONDS, CONNS))
        rps, p99, non2xx, errs = wrk(base + "/api/auth/me", ["Authorization: Bearer " + token])
        ref, ref_url = reference_server(me, tmp)
        procs.append(ref)
        rrps, rp99, _, _ = wrk(ref_url)
        rss_kib = 0
        for line in Path("/proc/%d/status" % gw.pid).read_text().splitlines():
            if line.startswith("VmHWM:"):
                rss_kib = int(line.split()[1])

        print("auth /api/auth/me   %9.0f req/s  p99 %6.2f ms  non-2xx %d  gateway peak RSS %.1f MiB"
              "   (target >= 20000 req/s, p99 < 10 ms)"
              % (rps, p99, non2xx, rss_kib / 1024.0))
        print("python http.server  %9.0f req/s  p99 %6.2f ms  (static file of the same body, "
              "for scale)" % (rrps, rp99))
        print("login 401 median    unknown email %.1f ms, wrong password %.1f ms  (%d each; "
              "difference %.1f %%)" % (mu, mw, LOGINS, 100.0 * abs(mu - mw) / max(mu, mw)))
        if errs:
            print("wrk: " + errs)
        ok = rps >= 20000 and p99 < 10 and non2xx == 0
        print("%s auth: target %s" % ("PASS" if ok else "MISS", "met" if ok else "not met"))
        return 0
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        try:
            pg.stop()
        finally:
            subprocess.run(["rm", "-rf", tmp], check=False)


if __name__ == "__main__":
    sys.exit(main())
