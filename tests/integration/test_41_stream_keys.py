"""Stream keys (issue 5): auth's STREAM_KEY_MINT / STREAM_KEY_CHECK, and the gateway's
streaming routes (POST /api/stream/token, the 307 to the stream-proxy, the sessions and
workers routes).

  - Over ZeroMQ to auth, with real sessions made by logging in through the gateway: a key
    minted for a live session checks as its user, session and source; a key for another
    user's session, an unknown or malformed session, an expired key (ttl 1 s), a forged or
    altered key are refused (UNAUTHORIZED); logout, a password change and the user's deletion
    kill the keys of the sessions they end, and only those; only the key's SHA-256 is stored;
    a session keeps its 100 newest keys; a caller may shorten a key's life, not lengthen it;
    the housekeeping sweep deletes expired keys; minting is audited, without the key.
  - Through the gateway: the token endpoint with sourceId and with movieId + quality (against a
    stand-in discovery daemon, so the choice of source is exact), its input rules, 401 without
    a token or after logout; the 307 (Location exact, no credentials needed, 400 for control
    bytes and targets over 2 KiB); the sessions routes; /api/workers admin-only.
"""
import base64
import calendar
import hashlib
import re
import secrets
import threading
import time

import msgpack
import zmq

from authlib import (ADMIN_EMAIL, ADMIN_PASSWORD, NO_LIMITS, auth_header, call, create_user,
                     decode, gateway_addr, login_ok, logout, q, raw_request, start,
                     strong_password, wait_audit, wait_rejected)
from conftest import AUTH, COMMON, DISCOVERY, ERROR, PING, PONG, STREAM, dealer, wait_until
from conftest import call as zcall

# proto/auth.toml, proto/discovery.toml, cm_status.h
STREAM_KEY_MINT, STREAM_KEY, STREAM_KEY_CHECK, STREAM_KEY_OK = 16, 17, 18, 19
MOVIE, MOVIE_GET = 2, 3
SESSIONS, SESSIONS_OK, SESSION_END, SESSION_END_OK, WORKERS, WORKERS_OK = 1, 2, 3, 4, 5, 6
MALFORMED, NOT_FOUND, INVALID, UNAUTHORIZED = 2, 8, 9, 11
KEY_RE = re.compile(r"[A-Za-z0-9_-]{43}")
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
DEFAULT_TTL = 6 * 3600
PUBLIC = "http://stream.example.test:8090"


# --- helpers --------------------------------------------------------------------------------

class Auth:
    """A DEALER to auth's RPC endpoint speaking the stream-key messages."""

    def __init__(self, stack):
        self.sock = dealer(stack.daemons["auth"].ready["rpc"])

    def close(self):
        self.sock.close()

    def _call(self, msg, body):
        got = zcall(self.sock, AUTH, msg, body, timeout=5)
        assert got is not None, "auth did not answer message %d" % msg
        return got

    def mint(self, uid, sid, source, ttl=None):
        """-> (key, expires_ms), or ("error", status)."""
        body = {1: uid, 2: sid, 3: source}
        if ttl is not None:
            body[4] = ttl
        hdr, b, _ = self._call(STREAM_KEY_MINT, body)
        if hdr[0] == COMMON and hdr[2] == ERROR:
            return "error", b[1]
        assert hdr[0] == AUTH and hdr[2] == STREAM_KEY, (hdr, b)
        return b[1], b.get(2)

    def mint_ok(self, uid, sid, source, ttl=None):
        key, exp = self.mint(uid, sid, source, ttl)
        assert key != "error", "mint refused with status %s" % exp
        assert KEY_RE.fullmatch(key), key
        return key, exp

    def check(self, key):
        """-> {user_id, source_id, session_id, expires_ms}, or the ERROR status (int)."""
        hdr, b, _ = self._call(STREAM_KEY_CHECK, {1: key})
        if hdr[0] == COMMON and hdr[2] == ERROR:
            return b[1]
        assert hdr[0] == AUTH and hdr[2] == STREAM_KEY_OK, (hdr, b)
        return {"user_id": b[1], "source_id": b[2], "session_id": b.get(3),
                "expires_ms": b.get(4)}


def _session(base, email, pw):
    """A real session: (uid, sid, login document)."""
    doc = login_ok(base, email, pw)
    c = decode(doc["accessToken"])[1]
    return int(c["sub"]), c["sid"], doc


def _setup(stack, **kw):
    base = start(stack, **kw)
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    return base, admin


def _now_ms():
    return int(time.time() * 1000)


def _key_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


# --- auth over ZeroMQ -----------------------------------------------------------------------

def test_mint_and_check(stack, pg):
    base, admin = _setup(stack)
    user, pw = create_user(base, admin)
    uid, sid, _ = _session(base, user["email"], pw)
    a = Auth(stack)
    try:
        before = _now_ms()
        key, exp = a.mint_ok(uid, sid, 7)
        # 6 h by default (ttl 0 or absent)
        assert abs(exp - (before + DEFAULT_TTL * 1000)) < 60000, (exp, before)
        key0, exp0 = a.mint_ok(uid, sid, 7, ttl=0)
        assert key0 != key and abs(exp0 - exp) < 60000
        got = a.check(key)
        assert got == {"user_id": uid, "source_id": 7, "session_id": sid, "expires_ms": exp}, got
        # Checking is repeatable and does not consume the key.
        assert a.check(key) == got
        # Another source, another key, each bound to its own source.
        key9, _ = a.mint_ok(uid, sid, 9)
        assert a.check(key9)["source_id"] == 9 and a.check(key)["source_id"] == 7
        # Only the SHA-256 is stored, never the key.
        rows = q(pg.url, "SELECT encode(key_hash, 'hex'), user_id, session_id, source_id "
                         "FROM stream_keys WHERE session_id = %s ORDER BY created_at", (sid,))
        assert (_key_hash(key), uid, sid, 7) in rows, rows
        dump = repr(q(pg.url, "SELECT * FROM stream_keys"))
        assert key not in dump and key9 not in dump
        # Audited, without the key.
        row = wait_audit(pg.url, 0, lambda r: r["event"] == "stream_key_minted"
                         and r["actor_id"] == uid and r["target"] == "source:9",
                         "stream_key_minted for source 9")[0]
        assert row["severity"] == "info" and row["service"] == "auth", row
        for r in q(pg.url, "SELECT detail, target FROM audit_log"):
            assert key not in repr(r) and key9 not in repr(r), r
    finally:
        a.close()


def test_mint_needs_the_users_live_session(stack):
    base, admin = _setup(stack)
    alice, apw = create_user(base, admin)
    bob, bpw = create_user(base, admin)
    a_uid, a_sid, _ = _session(base, alice["email"], apw)
    b_uid, b_sid, _ = _session(base, bob["email"], bpw)
    a = Auth(stack)
    try:
        # Another user's session, an unknown one, malformed ones: UNAUTHORIZED.
        assert a.mint(a_uid, b_sid, 1) == ("error", UNAUTHORIZED)
        assert a.mint(b_uid, a_sid, 1) == ("error", UNAUTHORIZED)
        assert a.mint(a_uid, secrets.token_hex(16), 1) == ("error", UNAUTHORIZED)
        for bad in ("", "x", "' OR 1=1--", a_sid.upper(), a_sid[:-1]):
            assert a.mint(a_uid, bad, 1) == ("error", UNAUTHORIZED), bad
        # Ids out of range: INVALID; required fields missing: MALFORMED.
        assert a.mint(a_uid, a_sid, 0) == ("error", INVALID)
        assert a.mint(a_uid, a_sid, 2 ** 63) == ("error", INVALID)
        assert a.mint(0, a_sid, 1) == ("error", INVALID)
        hdr, b, _ = a._call(STREAM_KEY_MINT, {1: a_uid, 3: 1})
        assert hdr[2] == ERROR and b[1] == MALFORMED, (hdr, b)
        # Each user's own session works, and the key says whose it is.
        ka, _ = a.mint_ok(a_uid, a_sid, 3)
        kb, _ = a.mint_ok(b_uid, b_sid, 3)
        assert a.check(ka)["user_id"] == a_uid and a.check(ka)["session_id"] == a_sid
        assert a.check(kb)["user_id"] == b_uid and a.check(kb)["session_id"] == b_sid
    finally:
        a.close()


def test_forged_and_altered_keys_are_refused(stack):
    base, admin = _setup(stack)
    user, pw = create_user(base, admin)
    uid, sid, _ = _session(base, user["email"], pw)
    a = Auth(stack)
    try:
        key, _ = a.mint_ok(uid, sid, 5)
        flipped = key[:-1] + ("A" if key[-1] != "A" else "B")
        forged = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        for bad in (forged, flipped, key[:-1], key + "A", key.upper() if key.upper() != key
                    else key.lower(), _key_hash(key), key[:20] + "+" + key[21:],
                    "x" * 128, " " + key[1:], "' OR 1=1--" + key[10:]):
            assert a.check(bad) == UNAUTHORIZED, bad
        st = a.check("")
        assert st in (UNAUTHORIZED, MALFORMED), st
        hdr, b, _ = a._call(STREAM_KEY_CHECK, {})
        assert hdr[2] == ERROR and b[1] == MALFORMED, (hdr, b)
        assert a.check(key)["user_id"] == uid  # the real one still works
    finally:
        a.close()


def test_expired_key_and_ttl_cap(stack):
    base, admin = _setup(stack)
    user, pw = create_user(base, admin)
    uid, sid, _ = _session(base, user["email"], pw)
    a = Auth(stack)
    try:
        t0 = _now_ms()
        key, exp = a.mint_ok(uid, sid, 4, ttl=1)
        assert t0 + 500 <= exp <= _now_ms() + 1500, (t0, exp)
        time.sleep(max(0.0, (exp - _now_ms()) / 1000.0) + 0.3)
        assert a.check(key) == UNAUTHORIZED
        # A caller may shorten a key's life, never lengthen it past STREAM_KEY_TTL (6 h).
        t0 = _now_ms()
        _, exp = a.mint_ok(uid, sid, 4, ttl=120)
        assert abs(exp - (t0 + 120000)) < 30000, exp - t0
        _, exp = a.mint_ok(uid, sid, 4, ttl=2 ** 32 - 1)
        assert exp <= _now_ms() + DEFAULT_TTL * 1000 + 1000, exp - t0
    finally:
        a.close()


def test_logout_kills_the_keys_of_that_session_only(stack):
    base, admin = _setup(stack)
    user, pw = create_user(base, admin)
    uid, sid1, doc1 = _session(base, user["email"], pw)
    _, sid2, doc2 = _session(base, user["email"], pw)
    assert sid1 != sid2
    a = Auth(stack)
    try:
        k1, _ = a.mint_ok(uid, sid1, 1)
        k2, _ = a.mint_ok(uid, sid2, 1)
        # A key of one session cannot be minted under the other's name (covered above); here
        # each checks as its own session.
        assert a.check(k1)["session_id"] == sid1 and a.check(k2)["session_id"] == sid2
        r = logout(base, doc1["refreshToken"])
        assert r.status == 204, r
        assert a.check(k1) == UNAUTHORIZED
        assert a.check(k2)["session_id"] == sid2
        # A dead session mints nothing.
        assert a.mint(uid, sid1, 1) == ("error", UNAUTHORIZED)
    finally:
        a.close()


def test_password_change_and_deletion_kill_keys(stack, pg):
    base, admin = _setup(stack)
    user, pw = create_user(base, admin)
    other, opw = create_user(base, admin)
    uid, sid, _ = _session(base, user["email"], pw)
    ouid, osid, _ = _session(base, other["email"], opw)
    a = Auth(stack)
    try:
        k, _ = a.mint_ok(uid, sid, 2)
        ko, _ = a.mint_ok(ouid, osid, 2)
        r = call(base, "PATCH", "/api/users/%d" % uid, {"password": strong_password()},
                 auth_header(admin))
        assert r.status == 200, r
        assert a.check(k) == UNAUTHORIZED
        assert a.check(ko)["user_id"] == ouid  # another user's key is untouched
        r = call(base, "DELETE", "/api/users/%d" % ouid, headers=auth_header(admin))
        assert r.status == 204, r
        assert a.check(ko) == UNAUTHORIZED
        assert q(pg.url, "SELECT count(*) FROM stream_keys WHERE user_id = %s", (ouid,)) == [(0,)]
    finally:
        a.close()


def test_keys_per_session_are_capped(stack, pg):
    base, admin = _setup(stack)
    user, pw = create_user(base, admin)
    uid, sid, _ = _session(base, user["email"], pw)
    a = Auth(stack)
    try:
        keys = [a.mint_ok(uid, sid, 1 + i % 3)[0] for i in range(106)]
        n = q(pg.url, "SELECT count(*) FROM stream_keys WHERE session_id = %s", (sid,))[0][0]
        assert n == 100, n
        # The oldest went first.
        for k in keys[:6]:
            assert a.check(k) == UNAUTHORIZED
        for k in (keys[6], keys[50], keys[-1]):
            assert a.check(k)["session_id"] == sid
    finally:
        a.close()


def test_housekeeping_deletes_expired_keys(stack, pg):
    base, admin = _setup(stack)
    user, pw = create_user(base, admin)
    uid, sid, _ = _session(base, user["email"], pw)
    a = Auth(stack)
    try:
        dead, _ = a.mint_ok(uid, sid, 1, ttl=1)
        live, _ = a.mint_ok(uid, sid, 1)
    finally:
        a.close()
    time.sleep(1.3)
    # The sweep runs at start and every 10 minutes: restart auth to run it now.
    assert stack.daemons["auth"].stop() == 0
    stack.restart("auth")
    wait_until(lambda: q(pg.url, "SELECT count(*) FROM stream_keys WHERE key_hash = "
                                 "decode(%s, 'hex')", (_key_hash(dead),)) == [(0,)], 10,
               what="the expired key swept")
    a = Auth(stack)
    try:
        assert a.check(live)["session_id"] == sid
    finally:
        a.close()


# --- the gateway ----------------------------------------------------------------------------

class FakeDaemon:
    """A ROUTER standing in for a daemon the gateway calls: answers PING, and each request
    (proto, msg) with handlers[(proto, msg)](body) -> (proto, msg, body); `asked` keeps
    (msg, body) of every request handled."""

    def __init__(self, handlers):
        self.handlers = handlers
        self.asked = []
        self.sock = zmq.Context.instance().socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.endpoint = "tcp://127.0.0.1:%d" % self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            if not self.sock.poll(50):
                continue
            f = self.sock.recv_multipart()
            ident, hdr = f[0], msgpack.unpackb(f[1])
            body = msgpack.unpackb(f[2], strict_map_key=False) if len(f) > 2 else {}
            proto, msg, rid = hdr[0], hdr[2], hdr[3]
            if proto == COMMON and msg == PING:
                out = (COMMON, PONG, {})
            elif (proto, msg) in self.handlers:
                self.asked.append((msg, body))
                out = self.handlers[(proto, msg)](body)
            else:
                out = (COMMON, ERROR, {1: 3, 2: "unknown message"})
            self.sock.send_multipart([ident, msgpack.packb([out[0], 1, out[1], rid, 0]),
                                      msgpack.packb(out[2])])

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def fake_discovery(movies):
    """MOVIE_GET from `movies` ({id: [(source_id, quality, has_torrent), ...]}; an id not
    there is NOT_FOUND)."""
    def movie_get(body):
        mid = body.get(1)
        if mid not in movies:
            return COMMON, ERROR, {1: NOT_FOUND, 2: "no such movie"}
        src = movies[mid]
        return DISCOVERY, MOVIE, {1: mid, 3: "Movie %d" % mid, 6: [x[0] for x in src],
                                  7: ["manual"] * len(src), 8: [x[1] for x in src],
                                  11: [x[2] for x in src]}
    return FakeDaemon({(DISCOVERY, MOVIE_GET): movie_get})


def _token(base, tok, body, headers=None):
    h = dict(auth_header(tok)) if tok else {}
    h.update(headers or {})
    return call(base, "POST", "/api/stream/token", body, h)


def _key_of(url):
    assert url.startswith(PUBLIC + "/api/stream/"), url
    key = url[len(PUBLIC + "/api/stream/"):]
    assert KEY_RE.fullmatch(key), url
    return key


def _err(r, status, code=None):
    assert r.status == status, "want %d, got %r" % (status, r)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    if code:
        assert r.code == code, r


def test_token_endpoint(stack):
    movies = {1: [(11, "HD", False), (12, "FHD", True), (13, "FHD", True), (14, "4K", False)],
              2: [(21, "SD", False), (22, "HD", False)],
              3: []}
    fake = fake_discovery(movies)
    try:
        base, admin = _setup(stack, gateway_env={"STREAM_PUBLIC_URL": PUBLIC + "/",
                                                 "DISCOVERY_ENDPOINT": fake.endpoint})
        user, pw = create_user(base, admin)
        uid, sid, doc = _session(base, user["email"], pw)
        tok = doc["accessToken"]
        a = Auth(stack)
        try:
            before = time.time()
            r = _token(base, tok, {"sourceId": 42})
            assert r.status == 200, r
            assert r.headers["content-type"].startswith("application/json")
            assert set(r.json) == {"url", "expiresAt", "sourceId"}, r.json
            assert r.json["sourceId"] == 42
            key = _key_of(r.json["url"])  # the trailing slash of STREAM_PUBLIC_URL is dropped
            assert ISO_MS.match(r.json["expiresAt"]), r.json
            exp = calendar.timegm(time.strptime(r.json["expiresAt"][:19], "%Y-%m-%dT%H:%M:%S"))
            assert abs(exp - (before + DEFAULT_TTL)) < 120, (exp, before)
            got = a.check(key)
            assert got["user_id"] == uid and got["source_id"] == 42 and got["session_id"] == sid
            assert abs(got["expires_ms"] / 1000 - exp) < 1.5

            # movieId + quality: the choice of source. Discovery lists them best score first
            # (with or without metadata: the proxy fetches it), so auto is the first.
            for body, want in (({"movieId": 1}, 11), ({"movieId": 1, "quality": "auto"}, 11),
                               ({"movieId": 1, "quality": "FHD"}, 12),
                               ({"movieId": 1, "quality": "HD"}, 11),
                               ({"movieId": 1, "quality": "hd"}, 11),
                               ({"movieId": 1, "quality": "4K"}, 14),
                               ({"movieId": 2}, 21), ({"movieId": 2, "quality": "HD"}, 22)):
                r = _token(base, tok, body)
                assert r.status == 200 and r.json["sourceId"] == want, (body, r)
                assert a.check(_key_of(r.json["url"]))["source_id"] == want
            assert fake.asked and all(b.get(2) is True for _, b in fake.asked), fake.asked
            _err(_token(base, tok, {"movieId": 1, "quality": "8K"}), 404, "not_found")
            _err(_token(base, tok, {"movieId": 3}), 404, "not_found")
            _err(_token(base, tok, {"movieId": 999}), 404, "not_found")
        finally:
            a.close()

        # Input rules.
        for bad in ({}, {"sourceId": "42"}, {"sourceId": 0}, {"sourceId": -1},
                    {"sourceId": 1.5}, {"sourceId": True}, {"sourceId": None},
                    {"sourceId": 1, "movieId": 2}, {"sourceId": 1, "quality": "HD"},
                    {"movieId": 1, "quality": "HDR"}, {"movieId": 1, "quality": 4},
                    {"movieId": 1, "quality": ""}, {"movieId": [1]}):
            _err(_token(base, tok, bad), 400, "invalid")
        _err(_token(base, tok, b"[1]"), 400, "bad_json")
        _err(_token(base, tok, b""), 400, "bad_json")
        # Credentials: none, a cookie without X-Requested-With, a dead session.
        _err(_token(base, None, {"sourceId": 1}), 401)
        _err(call(base, "POST", "/api/stream/token", {"sourceId": 1},
                  {"Cookie": "mq_access=" + tok}), 403, "csrf")
        r = call(base, "POST", "/api/stream/token", {"sourceId": 1},
                 {"Cookie": "mq_access=" + tok, "X-Requested-With": "XMLHttpRequest"})
        assert r.status == 200, r
        assert logout(base, doc["refreshToken"]).status == 204
        wait_rejected(base, tok)
        _err(_token(base, tok, {"sourceId": 1}), 401, "invalid_token")
        # Other methods.
        r = call(base, "GET", "/api/stream/token")
        _err(r, 405)
        assert "POST" in r.headers.get("allow", ""), r.headers
    finally:
        fake.close()


def test_stream_urls_redirect_to_the_proxy(stack):
    base = start(stack, gateway_env={"STREAM_PUBLIC_URL": PUBLIC})
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    for method in ("GET", "HEAD"):
        for target in ("/api/stream/" + key, "/api/stream/%s?file=2" % key,
                       "/api/stream/source/17", "/api/stream/source/17?file=0&x=%0D%0Ay",
                       "/api/stream/a%20b/c"):
            r = call(base, method, target)
            assert r.status == 307, (method, target, r)
            assert r.headers["location"] == PUBLIC + target, (target, r.headers)
            if method == "HEAD":
                assert r.body == b""
    # No credentials needed at the gateway, and those sent change nothing.
    r = call(base, "GET", "/api/stream/" + key, headers=auth_header("not.a.token"))
    assert r.status == 307 and r.headers["location"] == PUBLIC + "/api/stream/" + key, r
    # The size cap: path and query together at most 2 KiB.
    ok = "/api/stream/" + "k" * (2048 - len("/api/stream/"))
    r = call(base, "GET", ok)
    assert r.status == 307 and r.headers["location"] == PUBLIC + ok, r
    _err(call(base, "GET", ok + "k"), 400)
    _err(call(base, "GET", "/api/stream/" + key + "?" + "q" * 2100), 400)
    # Control bytes never reach a Location header (the HTTP parser or the handler says 400).
    host, port = gateway_addr(stack)
    for raw in (b"GET /api/stream/a\rb HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /api/stream/a\x01b HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /api/stream/a?b\x7f HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /api/stream/\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n"):
        st, head, _, err = raw_request(host, port, raw)
        assert st == 400, (raw, st, head, err)
        assert b"location" not in head.lower(), head
    # Not stream URLs.
    _err(call(base, "GET", "/api/stream/"), 404)
    r = call(base, "DELETE", "/api/stream/" + key)
    _err(r, 405)
    r = call(base, "GET", "/api/stream/sessions/5")
    _err(r, 405)
    assert r.headers.get("allow") == "DELETE", r.headers


def test_sessions_and_workers_routes(stack):
    base, admin = _setup(stack)
    user, pw = create_user(base, admin)
    tok = login_ok(base, user["email"], pw)["accessToken"]
    # Credentials first.
    _err(call(base, "GET", "/api/stream/sessions"), 401)
    _err(call(base, "DELETE", "/api/stream/sessions/1"), 401)
    _err(call(base, "GET", "/api/workers"), 401)
    _err(call(base, "GET", "/api/workers", headers=auth_header(tok)), 403, "forbidden")
    _err(call(base, "DELETE", "/api/stream/sessions/abc", headers=auth_header(tok)), 404)
    _err(call(base, "DELETE", "/api/stream/sessions/0", headers=auth_header(tok)), 404)
    for t in (tok, admin):
        r = call(base, "GET", "/api/stream/sessions", headers=auth_header(t))
        # Until the stream-proxy implements SESSIONS it answers UNKNOWN_MSG: a 5xx here.
        assert r.status == 200 or 500 <= r.status < 600, r
        assert r.headers["content-type"].startswith("application/json"), r
        if r.status == 200:
            assert r.json == {"results": []}, r.json  # no stream is open
        r = call(base, "DELETE", "/api/stream/sessions/12345", headers=auth_header(t))
        # The same: 404 once SESSION_END exists, a 5xx before.
        assert r.status == 404 or 500 <= r.status < 600, r
    r = call(base, "GET", "/api/workers", headers=auth_header(admin))
    # WORKERS: a 5xx until the stream-proxy implements it.
    assert r.status == 200 or 500 <= r.status < 600, r
    if r.status == 200:
        assert r.json == {"workers": []}, r.json  # this stack has no worker


def test_workers_lists_the_pool(stack):
    stack.start_core(workers=1, gateway_env=NO_LIMITS)
    base = stack.gateway_url
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    r = call(base, "GET", "/api/workers", headers=auth_header(admin))
    # WORKERS: a 5xx until the stream-proxy implements it.
    assert r.status == 200 or 500 <= r.status < 600, r
    if r.status != 200:
        return
    ws = r.json["workers"]
    assert len(ws) == 1, ws
    w = ws[0]
    assert set(w) == {"id", "torrents", "peers", "downBps", "upBps", "freeCacheBytes",
                      "streams", "draining"}, w
    assert w["id"] == "w1" and w["draining"] is False, w
    for k in ("torrents", "peers", "downBps", "upBps", "freeCacheBytes", "streams"):
        assert isinstance(w[k], int) and w[k] >= 0, w


def test_sessions_and_workers_json(stack):
    """Against a stand-in stream-proxy: what the gateway asks, and the JSON it makes."""
    t0 = 1764000000000

    def sessions(body):
        return STREAM, SESSIONS_OK, {1: [5, 6], 2: [41, 42], 3: [3, 4], 4: [1048576, 0],
                                     5: [t0, t0 + 1], 6: [t0 + 1000, t0 + 2001],
                                     7: ["w1", "w2"]}

    def end(body):
        if body.get(1) == 5:
            return STREAM, SESSION_END_OK, {}
        return COMMON, ERROR, {1: NOT_FOUND, 2: "no such session"}

    def workers(body):
        return STREAM, WORKERS_OK, {1: ["w1", "w2"], 2: [2, 0], 3: [47, 0], 4: [5242880, 0],
                                    5: [65536, 0], 6: [10737418240, 1], 7: [1, 0],
                                    8: [False, True]}

    fake = FakeDaemon({(STREAM, SESSIONS): sessions, (STREAM, SESSION_END): end,
                       (STREAM, WORKERS): workers})
    try:
        base, admin = _setup(stack, gateway_env={"STREAM_CONTROL_ENDPOINT": fake.endpoint})
        admin_id = int(decode(admin)[1]["sub"])
        user, pw = create_user(base, admin)
        tok = login_ok(base, user["email"], pw)["accessToken"]
        r = call(base, "GET", "/api/stream/sessions", headers=auth_header(tok))
        assert r.status == 200, r
        assert r.json == {"results": [
            {"id": 5, "userId": 41, "sourceId": 3, "bytesServed": 1048576,
             "startedAt": "2025-11-24T16:00:00.000Z", "lastActivityAt": "2025-11-24T16:00:01.000Z",
             "worker": "w1"},
            {"id": 6, "userId": 42, "sourceId": 4, "bytesServed": 0,
             "startedAt": "2025-11-24T16:00:00.001Z", "lastActivityAt": "2025-11-24T16:00:02.001Z",
             "worker": "w2"}]}, r.json
        r = call(base, "GET", "/api/stream/sessions", headers=auth_header(admin))
        assert r.status == 200 and len(r.json["results"]) == 2, r
        # A user asks for its own streams; an admin for everyone's.
        asked = [b for m, b in fake.asked if m == SESSIONS]
        assert asked[0].get(1) == user["id"] and not asked[0].get(2), asked
        assert not asked[1].get(1) and asked[1].get(2) is True, asked
        r = call(base, "DELETE", "/api/stream/sessions/5", headers=auth_header(tok))
        assert r.status == 204 and r.body == b"", r
        _err(call(base, "DELETE", "/api/stream/sessions/7", headers=auth_header(tok)), 404,
             "not_found")
        r = call(base, "DELETE", "/api/stream/sessions/5", headers=auth_header(admin))
        assert r.status == 204, r
        ends = [b for m, b in fake.asked if m == SESSION_END]
        assert ends[0] == {1: 5, 2: user["id"]} or (ends[0][1] == 5 and ends[0][2] == user["id"]
                                                     and not ends[0].get(3)), ends
        assert ends[2][1] == 5 and ends[2][2] == admin_id and ends[2][3] is True, ends
        r = call(base, "GET", "/api/workers", headers=auth_header(admin))
        assert r.status == 200, r
        assert r.json == {"workers": [
            {"id": "w1", "torrents": 2, "peers": 47, "downBps": 5242880, "upBps": 65536,
             "freeCacheBytes": 10737418240, "streams": 1, "draining": False},
            {"id": "w2", "torrents": 0, "peers": 0, "downBps": 0, "upBps": 0,
             "freeCacheBytes": 1, "streams": 0, "draining": True}]}, r.json
        _err(call(base, "GET", "/api/workers", headers=auth_header(tok)), 403, "forbidden")
    finally:
        fake.close()


def test_token_for_a_movie_of_the_real_catalog(stack):
    """movieId against source-discovery itself: auto picks the movie's first source."""
    base, admin = _setup(stack)
    h = auth_header(admin)
    imdb = "tt%08d" % secrets.randbelow(10 ** 8)
    r = call(base, "POST", "/api/movies", {"imdbId": imdb, "title": "Stream key test"}, h)
    assert r.status in (200, 201), r
    mid = r.json["id"]
    r = call(base, "POST", "/api/stream/token", {"movieId": mid}, h)
    _err(r, 404, "not_found")  # no source yet
    added = []
    for _ in range(2):
        magnet = "magnet:?xt=urn:btih:%s&dn=Stream.Key.Test" % secrets.token_hex(20)
        r = call(base, "POST", "/api/movies/%d/sources" % mid, {"magnet": magnet}, h)
        assert r.status in (200, 201), r
        added.append(r.json["id"])
    r = call(base, "GET", "/api/movies/%d?includeSources=true" % mid, headers=h)
    assert r.status == 200, r
    first = r.json["sources"][0]["id"]
    assert first in added, (first, added)
    r = call(base, "POST", "/api/stream/token", {"movieId": mid, "quality": "auto"}, h)
    assert r.status == 200 and r.json["sourceId"] == first, r
    _err(call(base, "POST", "/api/stream/token", {"movieId": mid + 1000000}, h), 404,
         "not_found")
