"""Every daemon: --help, --version, configuration errors, start, ping, clean shutdown."""
import signal
import subprocess

import msgpack
import pytest

from conftest import (BIN, COMMON, HEARTBEAT, PING, PONG, READY, TORRENT, FakePool, call, dealer,
                      header, ping, recv)

DAEMONS = ["gateway", "auth", "source-discovery", "stream-proxy", "torrent-worker"]

# One variable of each daemon that must show in --help.
HELP_VARS = {
    "gateway": "GATEWAY_LISTEN",
    "auth": "AUTH_BIND",
    "source-discovery": "DISCOVERY_BIND",
    "stream-proxy": "STREAM_POOL_BIND",
    "torrent-worker": "STREAM_POOL_ENDPOINT",
}


def run(binary, *args, env=None, timeout=10):
    return subprocess.run([str(BIN / binary), *args], env=env or {"PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("binary", DAEMONS)
def test_help_and_version(binary):
    r = run(binary, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Usage: %s" % binary)
    assert HELP_VARS[binary] in r.stdout and "LOG_LEVEL" in r.stdout
    r = run(binary, "--version")
    assert r.returncode == 0 and r.stdout.startswith(binary + " ")


@pytest.mark.parametrize("binary", DAEMONS)
def test_unknown_option_exits_2(binary):
    r = run(binary, "--frobnicate")
    assert r.returncode == 2
    assert "unknown option" in r.stderr and "--help" in r.stderr


BAD_CONFIG = [
    ("gateway", "GATEWAY_LISTEN", "not-an-address", "host:port"),
    ("gateway", "HEALTH_TIMEOUT", "-5", "duration"),
    ("gateway", "HTTP_MAX_CONNECTIONS", "lots", "integer"),
    ("auth", "AUTH_BIND", "tcp://nowhere", "ZeroMQ endpoint"),
    ("auth", "LOG_LEVEL", "loud", "error|warn|notice|info|debug"),
    ("source-discovery", "DB_WAIT", "forever", "duration"),
    ("stream-proxy", "POOL_HEARTBEAT", "5", "duration"),
    ("torrent-worker", "WORKER_CAPACITY", "0", "integer"),
]


@pytest.mark.parametrize("binary,var,value,allowed", BAD_CONFIG)
def test_bad_config_value_stops_with_one_line(binary, var, value, allowed):
    r = run(binary, env={"PATH": "/usr/bin:/bin", var: value})
    assert r.returncode == 2, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert var in lines[0] and allowed in lines[0] and " E " in lines[0]


def test_secret_config_value_is_not_echoed():
    r = run("auth", env={"PATH": "/usr/bin:/bin", "DATABASE_URL": ""})
    assert r.returncode == 2
    assert "DATABASE_URL" in r.stderr and "value hidden" in r.stderr


def test_all_start_answer_ping_and_stop_cleanly(stack):
    stack.start_core()
    for name, key in (("auth", "rpc"), ("source-discovery", "rpc"), ("stream-proxy", "rpc"),
                      ("stream-proxy", "pool")):
        ep = stack.daemons[name].ready[key]
        assert ping(ep), "%s %s did not answer PING" % (name, ep)
    # Teardown sends SIGTERM to each and asserts exit 0 (no leak under ASan).


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_worker_registers_answers_ping_and_stops(bare, sig):
    """A worker against a fake pool: READY, heartbeats, PONG, and exit 0 on the signal."""
    pool = FakePool()
    try:
        w = bare.spawn("worker", "torrent-worker",
                       {"STREAM_POOL_ENDPOINT": pool.endpoint, "WORKER_ID": "wx"})
        frames = pool.wait_for(lambda h: h[0] == TORRENT and h[2] == READY, 10,
                               "READY from the worker")
        ident = frames[0]
        hdr = msgpack.unpackb(frames[1])
        body = msgpack.unpackb(frames[2], strict_map_key=False)
        assert hdr[1] == 1 and body[1] == "wx" and body[3] == 32  # version, id, capacity
        # Answer with a heartbeat (the proxy's acknowledgement), then PING it.
        pool.sock.send_multipart([ident, header(TORRENT, HEARTBEAT, 0, 0), msgpack.packb({})])
        pool.ping(ident)
        assert w.stop(sig) == 0
    finally:
        pool.close()


def test_rpc_ping_reply_echoes_rid_and_version(stack):
    stack.start_core(workers=0)
    s = dealer(stack.daemons["auth"].ready["rpc"])
    try:
        got = call(s, COMMON, PING, rid=0xfedcba9876543210)
        assert got is not None
        hdr, body, payload = got
        assert hdr[:4] == [COMMON, 1, PONG, 0xfedcba9876543210] and body == {}
        assert payload is None
    finally:
        s.close()


def test_expired_request_gets_no_answer(stack):
    """A request whose deadline has passed is dropped: the caller gave up already."""
    stack.start_core(workers=0)
    s = dealer(stack.daemons["auth"].ready["rpc"])
    try:
        s.send_multipart([header(COMMON, PING, 77, deadline_ms=1000), msgpack.packb({})])
        assert recv(s, 1.0) is None
        assert call(s, COMMON, PING) is not None  # and the daemon is fine
    finally:
        s.close()


def test_all_stop_cleanly_on_sigint(stack):
    stack.start_core(workers=1)
    for name in ("gateway", "worker-1", "stream-proxy", "source-discovery", "auth"):
        assert stack.daemons[name].stop(signal.SIGINT) == 0, stack.daemons[name].text()[-2000:]


CANARY = "S3cretCanary9f7d"


def test_database_password_never_logged(bare, pg, tmp_path):
    """A password in DATABASE_URL reaches no log line, on success or on failure, even in debug."""
    good = pg.url + "&password=" + CANARY
    bad = "postgresql:///marquee?host=%s/nowhere&user=postgres&password=%s&connect_timeout=1" \
        % (tmp_path, CANARY)
    auth = bare.spawn("auth", "auth", {"DATABASE_URL": good, "AUTH_BIND": "tcp://127.0.0.1:*",
                                       "LOG_LEVEL": "debug"})
    assert ping(auth.ready["rpc"])
    failing = bare.spawn("auth-bad", "auth", {"DATABASE_URL": bad, "DB_WAIT": "1500ms",
                                              "AUTH_BIND": "tcp://127.0.0.1:*",
                                              "LOG_LEVEL": "debug"}, ready=False)
    failing.expect_exit = 1
    assert failing.proc.wait(15) == 1
    assert "database" in failing.text()
    auth.stop()
    for d in (auth, failing):
        assert CANARY not in d.text(), "%s logged the database password" % d.name
