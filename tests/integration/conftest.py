"""Fixtures of the integration suite: real daemons on loopback, a throwaway PostgreSQL.

Every daemon is started from MARQUEE_BIN (the sanitized build under `make test`) with
wildcard ports; the harness waits for its `ready` line and reads the endpoints it bound from
it. At the end of each test every daemon still running is stopped with SIGTERM, by PID, and
must exit 0 (a clean shutdown; under ASan, also no leak) with no sanitizer report in its log.

Talking to the daemons uses Debian's python3-zmq and python3-msgpack: an implementation of the
wire protocol independent of our C codecs.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import msgpack
import pytest
import zmq

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("MARQUEE_BIN", ROOT / "build" / "san" / "bin"))
sys.path.insert(0, str(ROOT / "scripts"))
from pgcluster import PgCluster  # noqa: E402

# Protocol numbers and messages (proto/*.toml).
COMMON, AUTH, DISCOVERY, STREAM, TORRENT = 0, 1, 2, 3, 4
PING, PONG, ERROR, CREDIT, HEALTH, HEALTH_OK = 1, 2, 3, 4, 5, 6
READY, HEARTBEAT = 1, 2
# The secrets of every test stack: known, so tests can forge and check tokens.
JWT_SECRET = "marquee-integration-jwt-secret-0123456789abcdef"
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "admin-password-for-tests-7Qx"
# base64 of 32 bytes: the keys of the sources' encrypted columns (source-discovery)
SOURCE_SECURITY_KEY = "bWFycXVlZS1pbnRlZ3JhdGlvbi1zb3VyY2Uta2V5LTE="
# one copy of each, shared with the benchmarks (tests/bench/ runs btswarm without pytest)
from btswarm import SANITIZER_MARKS, wait_until  # noqa: E402


class Daemon:
    """One daemon process, its log file, and the key=value pairs of its ready line."""

    def __init__(self, name, binary, env, logdir, args=()):
        self.name = name
        self.binary = binary
        self.log_path = Path(logdir) / ("%s.log" % name)
        full = {k: v for k, v in os.environ.items()
                if k in ("PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "HOME")}
        full.update({"LOG_LEVEL": "info"})
        full.update(env)
        self.env = full
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(BIN / binary), *args], env=full,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log)
        self.pid = self.proc.pid
        self.ready = {}
        self.expect_exit = None  # None: must exit 0 at teardown; else the code expected

    def text(self):
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout=30):
        pat = re.compile(r" %s\[%d\] main: ready (.*)$" % (re.escape(self.binary), self.pid),
                         re.M)

        def ready():
            m = pat.search(self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                raise AssertionError("%s exited with %s before ready:\n%s"
                                     % (self.name, self.proc.returncode, self.text()[-3000:]))
            return None

        m = wait_until(ready, timeout, what="%s ready line" % self.name)
        self.ready = dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv)
        return self

    def alive(self):
        return self.proc.poll() is None

    def send_signal(self, sig):
        os.kill(self.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Signal the process by PID and wait; returns the exit code."""
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(5)
                raise AssertionError("%s did not exit within %d s of %s"
                                     % (self.name, timeout, sig))
        self.log.close()
        return self.proc.returncode

    def kill9(self):
        self.expect_exit = -signal.SIGKILL
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)


class Stack:
    """A set of daemons started for one test; torn down by PID at the end."""

    def __init__(self, logdir, db_url=None):
        self.logdir = Path(logdir)
        self.db_url = db_url
        self.daemons = {}
        self.spawned = []

    def spawn(self, name, binary, env=None, args=(), ready=True):
        env = dict(env or {})
        env.setdefault("METRICS_LISTEN", "127.0.0.1:0")  # each daemon its own port
        if binary == "torrent-worker":
            # a worker's peer port and disk cache are its own
            env.setdefault("BT_LISTEN", "127.0.0.1:0")
            env.setdefault("CACHE_DIR", str(self.logdir / ("cache-" + name)))
            env.setdefault("DISABLE_DISCOVERY", "true")  # no DHT bootstrap off this machine
        if binary in ("auth", "gateway", "stream-proxy"):
            env.setdefault("JWT_SECRET", JWT_SECRET)
        if binary == "auth":
            env.setdefault("AUDIT_BIND", "tcp://127.0.0.1:*")
            env.setdefault("ADMIN_EMAIL", ADMIN_EMAIL)
            env.setdefault("ADMIN_PASSWORD", ADMIN_PASSWORD)
        if binary in ("gateway", "stream-proxy"):
            env.setdefault("REVOCATION_POLL", "200ms")
        if binary == "source-discovery":
            env.setdefault("SOURCE_SECURITY_KEY", SOURCE_SECURITY_KEY)
            # never a provider off this machine: a test names its fixture servers; no
            # .torrent fetch or scrape unless a test wires the pool for them
            env.setdefault("DISCOVERY_PROVIDERS", "")
            env.setdefault("TORRENT_FETCH_CONCURRENCY", "0")
            env.setdefault("SCRAPE_CONCURRENCY", "0")
        d = Daemon(name, binary, env, self.logdir, args)
        self.daemons[name] = d
        self.spawned.append(d)
        if ready:
            d.wait_ready()
        return d

    def start_core(self, workers=1, gateway_env=None, extra_env=None, wait_healthy=True):
        """auth, source-discovery, stream-proxy, N workers and the gateway."""
        extra = dict(extra_env or {})
        db = {"DATABASE_URL": self.db_url, "DB_WAIT": "10s"}
        auth = self.spawn("auth", "auth", {"AUTH_BIND": "tcp://127.0.0.1:*", **db, **extra})
        disc = self.spawn("source-discovery", "source-discovery",
                          {"DISCOVERY_BIND": "tcp://127.0.0.1:*", **db, **extra})
        sp = self.spawn("stream-proxy", "stream-proxy",
                        {"STREAM_CONTROL_BIND": "tcp://127.0.0.1:*",
                         "STREAM_POOL_BIND": "tcp://127.0.0.1:*",
                         "STREAM_LISTEN": "127.0.0.1:0",
                         "AUTH_ENDPOINT": auth.ready["rpc"],
                         "DISCOVERY_ENDPOINT": disc.ready["rpc"], **extra})
        for i in range(workers):
            self.spawn("worker-%d" % (i + 1), "torrent-worker",
                       {"STREAM_POOL_ENDPOINT": sp.ready["pool"],
                        "WORKER_ID": "w%d" % (i + 1), **extra})
        genv = {"GATEWAY_LISTEN": "127.0.0.1:0",
                "AUTH_ENDPOINT": auth.ready["rpc"],
                "AUDIT_ENDPOINT": auth.ready["audit"],
                "DISCOVERY_ENDPOINT": disc.ready["rpc"],
                "STREAM_CONTROL_ENDPOINT": sp.ready["rpc"],
                "STREAM_PUBLIC_URL": "http://" + sp.ready["http"], **extra}
        genv.update(gateway_env or {})
        self.spawn("gateway", "gateway", genv)
        if workers and wait_healthy:
            def healthy():
                st, doc, _ = health(self)
                return st == 200 and doc["services"]["workers"]["up"] == workers
            wait_until(healthy, 15, what="/api/health 200 with %d workers" % workers)
        return self

    def restart(self, name):
        """Start `name` again with the same environment, binding the endpoints it had."""
        old = self.daemons[name]
        env = dict(old.env)
        for key, ep in (("AUTH_BIND", "rpc"), ("AUDIT_BIND", "audit"), ("DISCOVERY_BIND", "rpc"),
                        ("STREAM_CONTROL_BIND", "rpc"), ("STREAM_POOL_BIND", "pool")):
            if key in env and ep in old.ready:
                env[key] = old.ready[ep]
        return self.spawn(name, old.binary, env)

    @property
    def gateway_url(self):
        return "http://%s" % self.daemons["gateway"].ready["http"]

    def teardown(self):
        problems = []
        for d in reversed(self.spawned):
            rc = d.stop()
            want = 0 if d.expect_exit is None else d.expect_exit
            if rc != want:
                problems.append("%s (pid %d) exited %s, expected %s:\n%s"
                                % (d.name, d.pid, rc, want, d.text()[-3000:]))
            text = d.text()
            for mark in SANITIZER_MARKS:
                if mark in text:
                    problems.append("%s: sanitizer report in its log:\n%s"
                                    % (d.name, text[-6000:]))
                    break
        return problems


@pytest.fixture(scope="module")
def pg():
    """A throwaway PostgreSQL cluster for one test module."""
    d = tempfile.mkdtemp(prefix="marquee-pg-", dir="/tmp")
    os.chmod(d, 0o755)
    cluster = PgCluster(d, fast=True)
    cluster.start()
    yield cluster
    try:
        cluster.stop()
    finally:
        subprocess.run(["rm", "-rf", d], check=False)


@pytest.fixture
def logdir(tmp_path):
    return tmp_path


@pytest.fixture
def stack(tmp_path, pg):
    s = Stack(tmp_path, pg.url)
    yield s
    problems = s.teardown()
    assert not problems, "\n\n".join(problems)


@pytest.fixture
def bare(tmp_path):
    """Daemons without a database (the caller spawns what it needs)."""
    s = Stack(tmp_path)
    yield s
    problems = s.teardown()
    assert not problems, "\n\n".join(problems)


# --- Wire helpers: an independent msgpack implementation of our envelope -------------------

_rid = [int(time.time() * 1000) & 0xffffffff]


def next_rid():
    _rid[0] += 1
    return _rid[0]


def header(proto, msg, rid, deadline_ms=None, version=1):
    if deadline_ms is None:
        deadline_ms = int(time.time() * 1000) + 5000
    return msgpack.packb([proto, version, msg, rid, deadline_ms])


def dealer(endpoint, ctx=None):
    ctx = ctx or zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    return s


def recv(sock, timeout=3.0):
    """One message as (header list, body dict, payload or None), or None on timeout."""
    if not sock.poll(int(timeout * 1000)):
        return None
    frames = sock.recv_multipart()
    hdr = msgpack.unpackb(frames[0], strict_map_key=False)
    body = msgpack.unpackb(frames[1], strict_map_key=False) if len(frames) > 1 else None
    return hdr, body, frames[2] if len(frames) > 2 else None


def call(sock, proto, msg, body=None, timeout=3.0, rid=None):
    """Send a request and wait for the reply carrying its rid (others are skipped)."""
    rid = rid or next_rid()
    sock.send_multipart([header(proto, msg, rid), msgpack.packb(body or {})])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = recv(sock, max(0.01, deadline - time.monotonic()))
        if got is None:
            break
        if got[0][3] == rid:
            return got
    return None


def ping(endpoint, timeout=3.0):
    s = dealer(endpoint)
    try:
        got = call(s, COMMON, PING, timeout=timeout)
        return got is not None and got[0][0] == COMMON and got[0][2] == PONG
    finally:
        s.close()


class FakePool:
    """A ROUTER standing in for the stream-proxy's pool, to talk to one worker directly."""

    def __init__(self):
        self.sock = zmq.Context.instance().socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.endpoint = "tcp://127.0.0.1:%d" % self.sock.bind_to_random_port("tcp://127.0.0.1")

    def wait_for(self, pred, timeout, what):
        """Frames [identity, header, body, ...] of the first message whose decoded header
        satisfies pred(header); other messages are skipped."""
        def one():
            while self.sock.poll(100):
                f = self.sock.recv_multipart()
                if len(f) >= 2:
                    try:
                        h = msgpack.unpackb(f[1])
                    except Exception:
                        continue
                    if isinstance(h, list) and len(h) >= 5 and pred(h):
                        return f
            return None
        return wait_until(one, timeout, what=what)

    def ping(self, identity, timeout=5):
        """PING the worker at `identity` and wait for its PONG."""
        rid = next_rid()
        self.sock.send_multipart([identity, header(COMMON, PING, rid), msgpack.packb({})])
        self.wait_for(lambda h: h[2] == PONG and h[3] == rid, timeout, "PONG from the worker")

    def close(self):
        self.sock.close()


def report(request, tag, msg):
    """A line "[tag] msg" on the terminal even while pytest captures output (figures)."""
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capman = request.config.pluginmanager.get_plugin("capturemanager")
    if tr is None or capman is None:
        print("[%s] %s" % (tag, msg))
        return
    with capman.global_and_fixture_disabled():
        tr.write_line("[%s] %s" % (tag, msg))


def http(url, method="GET", body=None, headers=None, timeout=10):
    """(status, headers dict with lower-case names, body bytes, seconds)."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.headers.items()}, data, \
                time.monotonic() - t0
    except urllib.error.HTTPError as e:
        data = e.read()
        return e.code, {k.lower(): v for k, v in e.headers.items()}, data, time.monotonic() - t0


def health(stack, timeout=10):
    st, hdrs, body, secs = http(stack.gateway_url + "/api/health", timeout=timeout)
    return st, json.loads(body), secs


def raw_http(host, port, data, timeout=5.0, read=True):
    """Send raw bytes on a new connection; return everything read until close or timeout."""
    s = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        if data:
            s.sendall(data)
        if not read:
            return s
        chunks = []
        s.settimeout(timeout)
        while True:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks)
    finally:
        if read:
            s.close()
