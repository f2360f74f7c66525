"""The gateway: /api/health with live, dead and hung daemons; routing; HTTP limits."""
import json
import re
import signal
import socket
import time

import pytest

from conftest import health, http, raw_http, wait_until

SERVICE_OF = {"auth": "auth", "source-discovery": "discovery", "stream-proxy": "stream"}


def test_all_five_healthy(stack):
    stack.start_core(workers=2)
    st, hdrs, body, _ = http(stack.gateway_url + "/api/health")
    assert st == 200
    assert hdrs["content-type"].startswith("application/json")
    assert re.fullmatch(r"[0-9a-f]{16}", hdrs["x-request-id"])
    doc = json.loads(body)
    assert doc["status"] == "ok"
    for name in ("auth", "discovery", "stream"):
        svc = doc["services"][name]
        assert svc["up"] is True and 0 <= svc["ms"] < 1000, svc
    assert doc["services"]["auth"]["db"] == "up" and doc["services"]["discovery"]["db"] == "up"
    assert "db" not in doc["services"]["stream"]
    assert doc["services"]["workers"] == {"up": 2}
    # Request ids differ from one request to the next.
    ids = {http(stack.gateway_url + "/api/health")[1]["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("victim", ["auth", "source-discovery", "stream-proxy", "worker-1"])
def test_killed_daemon_is_reported_down_within_3s(stack, victim):
    stack.start_core(workers=1)
    assert health(stack)[0] == 200
    killed_at = time.monotonic()
    stack.daemons[victim].kill9()

    def reported():
        st, doc, secs = health(stack)
        assert secs < 2.5, "the gateway took %.2f s to answer" % secs
        svc = doc["services"]
        if victim == "worker-1":
            down = svc["workers"]["up"] == 0
        else:
            down = svc[SERVICE_OF[victim]]["up"] is False
        return st == 503 and doc["status"] == "degraded" and down

    wait_until(reported, 3.0, interval=0.1, what="health to name %s down" % victim)
    assert time.monotonic() - killed_at < 3.0
    # The gateway keeps answering, and every other daemon is still reported up.
    st, doc, _ = health(stack)
    assert st == 503
    for name, svc in SERVICE_OF.items():
        if name != victim:
            assert doc["services"][svc]["up"] is True


def test_hung_daemon_does_not_hang_health(stack):
    stack.start_core(workers=1, gateway_env={"HEALTH_TIMEOUT": "800ms"})
    auth = stack.daemons["auth"]
    auth.send_signal(signal.SIGSTOP)
    try:
        for _ in range(3):
            st, doc, secs = health(stack)
            assert st == 503 and secs < 2.0, secs
            assert doc["services"]["auth"] == {"up": False, "error": "timeout"} or \
                doc["services"]["auth"]["up"] is False
            assert doc["services"]["discovery"]["up"] is True
    finally:
        auth.send_signal(signal.SIGCONT)
    wait_until(lambda: health(stack)[0] == 200, 15, what="auth to come back after SIGCONT")


def test_restarted_daemon_comes_back(stack):
    stack.start_core(workers=1)
    stack.daemons["auth"].kill9()
    wait_until(lambda: health(stack)[1]["services"]["auth"]["up"] is False, 3,
               what="auth reported down")
    stack.restart("auth")
    wait_until(lambda: health(stack)[0] == 200, 15, what="health back to 200 after restart")


def test_routes_and_errors_are_json(stack):
    stack.start_core(workers=1)
    base = stack.gateway_url
    st, hdrs, body, _ = http(base + "/api/nope")
    assert st == 404 and hdrs["content-type"].startswith("application/json")
    assert json.loads(body) == {"error": "no such route: GET /api/nope", "code": "not_found"}
    assert re.fullmatch(r"[0-9a-f]{16}", hdrs["x-request-id"])
    st, hdrs, body, _ = http(base + "/api/health", method="POST", body=b"{}")
    assert st == 405 and hdrs["allow"] == "GET" and json.loads(body)["code"] == \
        "method_not_allowed"
    st, hdrs, body, _ = http(base + "/api/health", method="HEAD")
    assert st == 200 and body == b"" and int(hdrs["content-length"]) > 0
    assert "x-request-id" in hdrs


def _host_port(stack):
    host, port = stack.daemons["gateway"].ready["http"].rsplit(":", 1)
    return host, int(port)


def _status_and_json(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert re.search(rb"\r\nX-Request-Id: [0-9a-f]{16}\r\n", head + b"\r\n"), head
    return status, json.loads(body) if body else None


def test_header_and_body_caps(stack):
    stack.start_core(workers=1, gateway_env={"HTTP_HEADERS_MAX": "16KB", "HTTP_BODY_MAX": "64KB"})
    host, port = _host_port(stack)
    big = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (17 * 1024) + b"\r\n\r\n"
    st, doc = _status_and_json(raw_http(host, port, big))
    assert st == 431 and doc["code"]
    many = b"GET /api/health HTTP/1.1\r\nHost: x\r\n" + \
        b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n"
    st, doc = _status_and_json(raw_http(host, port, many))
    assert st == 431
    huge = b"POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n"
    st, doc = _status_and_json(raw_http(host, port, huge))
    assert st == 413 and doc["code"]
    st, doc = _status_and_json(raw_http(host, port, b"BLAH\r\n\r\n"))
    assert st == 400
    # The gateway is fine afterwards.
    assert health(stack)[0] == 200


def test_connection_cap(stack):
    stack.start_core(workers=1, gateway_env={"HTTP_MAX_CONNECTIONS": "4"})
    host, port = _host_port(stack)
    # Four connections each in the middle of a request (not idle: cannot be evicted).
    held = [raw_http(host, port, b"GET /api/health HTTP/1.1\r\nHost", read=False)
            for _ in range(4)]
    try:
        time.sleep(0.2)
        st, doc = _status_and_json(raw_http(host, port, b"GET /api/health HTTP/1.1\r\n"
                                                        b"Host: x\r\n\r\n", timeout=3))
        assert st == 503 and doc["code"] == "busy"
    finally:
        for s in held:
            s.close()
    wait_until(lambda: health(stack)[0] == 200, 5, what="service after the held connections")


def test_slow_request_is_cut_at_the_header_deadline(stack):
    stack.start_core(workers=1, gateway_env={"HTTP_HEADER_TIMEOUT": "500ms"})
    host, port = _host_port(stack)
    s = socket.create_connection((host, port), timeout=5)
    t0 = time.monotonic()
    closed_after = None
    try:
        # A slowloris: one byte every 100 ms, never finishing the header.
        for b in b"GET /api/health HTTP/1.1\r\nX-Slow: " + b"z" * 100:
            try:
                s.send(bytes([b]))
            except OSError:
                closed_after = time.monotonic() - t0
                break
            time.sleep(0.1)
            s.setblocking(False)
            try:
                data = s.recv(4096)
                if data is not None:
                    closed_after = time.monotonic() - t0
                    if data:
                        assert b" 408 " in data.split(b"\r\n", 1)[0]
                    break
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)
    finally:
        s.close()
    assert closed_after is not None and closed_after < 2.0, closed_after
