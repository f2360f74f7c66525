"""The operations listener of every daemon (METRICS_LISTEN): GET /metrics in the Prometheus
text format with each daemon's own series, /health (liveness) and /ready (readiness: the
database for auth and source-discovery), and nothing else."""
import re
import urllib.error
import urllib.request

from authlib import ADMIN_EMAIL, ADMIN_PASSWORD, NO_LIMITS, login_ok
from conftest import wait_until

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def _get(addr, path, method="GET"):
    req = urllib.request.Request("http://%s%s" % (addr, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def _metrics(addr):
    st, ctype, body = _get(addr, "/metrics")
    assert st == 200 and ctype.startswith("text/plain; version=0.0.4"), (st, ctype)
    values, typed = {}, set()
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            name = line.split()[2]
            assert name not in typed, "TYPE twice for " + name
            typed.add(name)
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        assert m.group(1) in typed, "a sample before its TYPE: %r" % line
        values[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return values


def test_every_daemon_serves_metrics_health_and_ready(stack):
    stack.start_core(workers=1, gateway_env=NO_LIMITS)
    login_ok(stack.gateway_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    addrs = {n: d.ready["metrics"] for n, d in stack.daemons.items()}
    assert set(addrs) == {"auth", "source-discovery", "stream-proxy", "worker-1", "gateway"}
    own = {"auth": "marquee_rpc_requests_total",
           "source-discovery": "marquee_vpn_up",
           "stream-proxy": "marquee_pool_workers",
           "worker-1": "marquee_worker_peers",
           "gateway": 'marquee_http_requests_total{code="2xx"}'}
    for name, addr in addrs.items():
        v = _metrics(addr)
        for series in ("process_resident_memory_bytes", "process_open_fds",
                       "process_cpu_seconds_total", own[name]):
            assert series in v, "%s lacks %s" % (name, series)
        assert v["process_resident_memory_bytes"] > 1 << 20, name
        assert _get(addr, "/health")[0] == 200, name
        assert _get(addr, "/ready")[0] == 200, name
        assert _get(addr, "/nope")[0] == 404, name
        assert _get(addr, "/metrics", method="POST")[0] == 405, name
    assert _metrics(addrs["auth"])["marquee_rpc_requests_total"] >= 1  # the login
    assert _metrics(addrs["stream-proxy"])["marquee_pool_workers"] == 1
    assert _metrics(addrs["source-discovery"])["marquee_vpn_up"] == 1
    wait_until(lambda: _metrics(addrs["gateway"])['marquee_http_requests_total{code="2xx"}'] >= 1,
               5, what="the gateway counting its answers")


def test_ready_follows_the_database(stack, pg):
    stack.start_core(workers=0, gateway_env=NO_LIMITS)
    addr = stack.daemons["auth"].ready["metrics"]
    assert _get(addr, "/ready")[0] == 200
    pg.stop()
    try:
        wait_until(lambda: _get(addr, "/ready")[0] == 503, 20, what="auth not ready without its DB")
        assert _get(addr, "/health")[0] == 200  # alive all the same: no restart wanted
    finally:
        pg.start()
    wait_until(lambda: _get(addr, "/ready")[0] == 200, 30, what="auth ready again")
