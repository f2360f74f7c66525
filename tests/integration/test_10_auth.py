"""Logins, sessions, refresh rotation, users and roles, cookies, startup guards (issue 4).

Security checklist §1.6: J-05 (startup guards), J-08 (rotation, reuse kills the session),
J-09 (100 concurrent refreshes), J-11 (logout, password change, deletion), J-12 (lifetimes
from the decoded claims), J-13 (a user token on every admin route), P-06 (password sizes,
1 MiB body). The stack of each test is auth + source-discovery + stream-proxy + gateway with
no worker; the module's database is shared, so every test makes its own users.
"""
import json
import re
import secrets
import socket
import threading
import time

import pytest

from authlib import (ACCESS_TTL, ADMIN_EMAIL, ADMIN_PASSWORD, AUDIENCE, HEADER, HEX32, ISSUER,
                     REFRESH_TTL, audit, audit_mark, auth_header, call, cookie_header,
                     cookies_of, create_user, decode, login, login_ok, logout, me,
                     new_database, next_second, q, refresh, spawn_raw, start, strong_password,
                     unique_email, verifies, wait_audit, wait_rejected)
from conftest import JWT_SECRET, report, wait_until

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")
ADMIN_ROUTES = [("POST", "/api/users"), ("GET", "/api/users"), ("GET", "/api/users?page=1"),
                ("PATCH", "/api/users/{id}"), ("DELETE", "/api/users/{id}")]
XRW = {"X-Requested-With": "XMLHttpRequest"}


def _user_ok(u, email=None, role=None):
    assert isinstance(u["id"], int) and u["id"] > 0, u
    if email is not None:
        assert u["email"] == email, u
    if role is not None:
        assert u["role"] == role, u
    assert isinstance(u["displayName"], str), u


def _err(r, status, code):
    assert r.status == status, "want %d %s, got %r" % (status, code, r)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    assert r.code == code and isinstance(r.json.get("error"), str) and r.json["error"], r


# --- Login, claims, /me ---------------------------------------------------------------------

def test_first_admin_login_and_claims(stack):
    base = start(stack)
    before = time.time()
    st, hdrs, doc = login(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert st == 200, doc
    assert hdrs["content-type"].startswith("application/json")
    assert doc["tokenType"] == "Bearer"
    assert doc["expiresIn"] == ACCESS_TTL and doc["refreshExpiresIn"] == REFRESH_TTL
    _user_ok(doc["user"], ADMIN_EMAIL, "admin")
    rt = doc["refreshToken"]
    assert isinstance(rt, str) and re.fullmatch(r"[A-Za-z0-9_-]{43,}", rt), rt
    tok = doc["accessToken"]
    h, c = decode(tok)
    # J-12: the lifetime and every claim, from the token itself.
    assert h == HEADER, h
    assert verifies(tok, JWT_SECRET)
    assert c["exp"] - c["iat"] == ACCESS_TTL, c
    assert c["iss"] == ISSUER and c["aud"] == AUDIENCE and c["use"] == "access", c
    assert c["sub"] == str(doc["user"]["id"]) and c["role"] == "admin", c
    assert c["email"] == ADMIN_EMAIL, c
    assert "name" in c and c["name"] == doc["user"]["displayName"], \
        "the contract's claims include name (here: displayName %r): %r" \
        % (doc["user"]["displayName"], c)
    assert HEX32.fullmatch(c["sid"]) and HEX32.fullmatch(c["jti"]), c
    assert c["nbf"] <= c["iat"] and abs(c["iat"] - before) < 60, c
    assert rt not in tok
    # /me with the bearer token.
    r = me(base, tok)
    assert r.status == 200, r
    assert r.json["id"] == doc["user"]["id"] and r.json["email"] == ADMIN_EMAIL
    assert r.json["role"] == "admin" and "displayName" in r.json
    # Two logins: two sessions, two different token pairs.
    doc2 = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    c2 = decode(doc2["accessToken"])[1]
    assert c2["sid"] != c["sid"] and c2["jti"] != c["jti"]
    assert doc2["refreshToken"] != rt
    # The email is matched whatever its case.
    assert login(base, ADMIN_EMAIL.upper(), ADMIN_PASSWORD)[0] == 200


def test_no_token_and_bad_token(stack):
    base = start(stack)
    _err(call(base, "GET", "/api/auth/me"), 401, "unauthorized")
    r = call(base, "GET", "/api/auth/me", headers=auth_header("not.a.token"))
    _err(r, 401, "invalid_token")
    assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers
    _err(call(base, "GET", "/api/users"), 401, "unauthorized")


def test_wrong_password_and_unknown_email_answer_alike(stack, pg):
    base = start(stack)
    tok = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    user, pw = create_user(base, tok)
    mark = audit_mark(pg.url)
    a = call(base, "POST", "/api/auth/login", {"email": user["email"], "password": pw + "x"})
    b = call(base, "POST", "/api/auth/login", {"email": unique_email("nobody"), "password": pw})
    _err(a, 401, "invalid_credentials")
    assert (a.status, a.body) == (b.status, b.body)
    assert a.headers["content-type"] == b.headers["content-type"]
    assert a.headers.get("content-length") == b.headers.get("content-length")
    assert a.cookies == b.cookies
    # Both attempts are audited as failures.
    wait_until(lambda: len(audit(pg.url, mark, "login_failed")) >= 2, 5,
               what="two login_failed audit rows")


def test_login_input_rules(stack):
    base = start(stack)
    url = "/api/auth/login"
    _err(call(base, "POST", url, {"email": ADMIN_EMAIL}), 400, "invalid")
    _err(call(base, "POST", url, {"password": ADMIN_PASSWORD}), 400, "invalid")
    _err(call(base, "POST", url, {"email": ADMIN_EMAIL, "password": 12345678}), 400, "invalid")
    _err(call(base, "POST", url, {"email": ["a"], "password": "x" * 10}), 400, "invalid")
    _err(call(base, "POST", url, {"email": "a" * 250 + "@x.org", "password": "x" * 10}), 400,
         "invalid")
    _err(call(base, "POST", url, {"email": ADMIN_EMAIL, "password": "x" * 1025}), 400,
         "invalid")
    _err(call(base, "POST", url, b"[1, 2]"), 400, "bad_json")
    _err(call(base, "POST", url, b"{\"email\":", {"Content-Type": "application/json"}), 400,
         "bad_json")
    _err(call(base, "POST", url, b""), 400, "bad_json")
    # The daemon still logs people in.
    login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)


# --- Refresh rotation (J-08, J-09) ---------------------------------------------------------

def test_refresh_rotation_and_reuse_kills_the_session(stack, pg):
    base = start(stack)
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    user, pw = create_user(base, admin)
    d1 = login_ok(base, user["email"], pw)
    a1, rt1 = d1["accessToken"], d1["refreshToken"]
    r = refresh(base, rt1)
    assert r.status == 200, r
    d2 = r.json
    a2, rt2 = d2["accessToken"], d2["refreshToken"]
    assert rt2 != rt1 and a2 != a1
    assert d2["expiresIn"] == ACCESS_TTL and d2["refreshExpiresIn"] == REFRESH_TTL
    _user_ok(d2["user"], user["email"], "user")
    c1, c2 = decode(a1)[1], decode(a2)[1]
    assert c2["sid"] == c1["sid"] and c2["jti"] != c1["jti"], (c1, c2)
    assert c2["exp"] - c2["iat"] == ACCESS_TTL
    assert me(base, a2).status == 200 and me(base, a1).status == 200
    mark = audit_mark(pg.url)
    # Reuse of the rotated token: refused, and the whole session dies.
    _err(refresh(base, rt1), 401, "invalid_refresh_token")
    _err(refresh(base, rt2), 401, "invalid_refresh_token")
    wait_rejected(base, a2, what="the session's newest access token after reuse")
    wait_rejected(base, a1, what="the session's first access token after reuse")
    rows = wait_audit(pg.url, mark, lambda r: r["event"] == "refresh_reuse", "refresh_reuse")
    assert rows[0]["severity"] == "critical", rows
    # The user's other sessions are not touched.
    d3 = login_ok(base, user["email"], pw)
    assert refresh(base, d3["refreshToken"]).status == 200


def _refresh_burst(base, rt, n):
    """n refreshes of one token sent together on n pre-opened connections (one thread each,
    released by a barrier) -> list of (status, code, body)."""
    host, port = base.rsplit("/", 1)[1].rsplit(":", 1)
    body = ('{"refreshToken": "%s"}' % rt).encode()
    req = (b"POST /api/auth/refresh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
           b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    socks = [socket.create_connection((host, int(port)), timeout=30) for _ in range(n)]
    barrier = threading.Barrier(n, timeout=20)
    out = [None] * n

    def one(i):
        s = socks[i]
        try:
            barrier.wait()
            s.sendall(req)
            data = b""
            while True:
                c = s.recv(65536)
                if not c:
                    break
                data += c
            head, _, payload = data.partition(b"\r\n\r\n")
            out[i] = (int(head.split(b" ", 2)[1]), payload)
        except Exception as e:  # reported below as a failed request
            out[i] = (None, repr(e).encode())
        finally:
            s.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_concurrent_refreshes_of_one_token(stack, pg, request):
    base = start(stack)
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    user, pw = create_user(base, admin)
    d = login_ok(base, user["email"], pw)
    mark = audit_mark(pg.url)
    got = _refresh_burst(base, d["refreshToken"], 100)
    statuses = [st for st, _ in got]
    report(request, "J-09", "100 concurrent refreshes: %s"
           % {s: statuses.count(s) for s in set(statuses)})
    assert None not in statuses, [b for st, b in got if st is None][:3]
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 401}, statuses
    winner = [json.loads(b) for st, b in got if st == 200][0]
    for st, b in got:
        if st == 401:
            assert json.loads(b)["code"] == "invalid_refresh_token", b
    # The session is alive: the winner's pair works, also after a revocation poll or two.
    time.sleep(0.6)
    assert me(base, winner["accessToken"]).status == 200
    r = refresh(base, winner["refreshToken"])
    assert r.status == 200, r
    assert me(base, r.json["accessToken"]).status == 200
    time.sleep(1.0)  # AUDIT_FLUSH is 250ms: a reuse row would be there by now
    assert not audit(pg.url, mark, "refresh_reuse"), "concurrency was taken for reuse"


# --- Sessions: logout, the per-user cap (J-11) ----------------------------------------------

def test_logout_kills_the_session(stack, pg):
    base = start(stack)
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    user, pw = create_user(base, admin)
    d = login_ok(base, user["email"], pw)
    other = login_ok(base, user["email"], pw)  # a second session: must survive
    assert me(base, d["accessToken"]).status == 200
    r = logout(base, d["refreshToken"])
    assert r.status == 204 and r.body == b"", r
    ck = cookies_of(r)
    for name in ("mq_access", "mq_refresh"):
        assert name in ck and ck[name][1].get("max-age") == "0", r.cookies
    _err(refresh(base, d["refreshToken"]), 401, "invalid_refresh_token")
    wait_rejected(base, d["accessToken"], what="the access token after logout")
    # Logging out again, or with an unknown token: 204 all the same.
    assert logout(base, d["refreshToken"]).status == 204
    assert logout(base, "x" * 43).status == 204
    # The other session lives on.
    assert me(base, other["accessToken"]).status == 200
    r = refresh(base, other["refreshToken"])
    assert r.status == 200, r
    # Logout with only a bearer token ends that token's session.
    tok = r.json["accessToken"]
    r2 = call(base, "POST", "/api/auth/logout", b"", auth_header(tok))
    assert r2.status == 204, r2
    _err(refresh(base, r.json["refreshToken"]), 401, "invalid_refresh_token")
    wait_rejected(base, tok, what="the access token after a bearer logout")


def test_sixth_login_evicts_the_least_recently_used_session(stack):
    base = start(stack)
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    user, pw = create_user(base, admin)
    docs = []
    for _ in range(6):
        docs.append(login_ok(base, user["email"], pw))
        time.sleep(0.01)  # distinct last-used times
    _err(refresh(base, docs[0]["refreshToken"]), 401, "invalid_refresh_token")
    for d in docs[1:]:
        r = refresh(base, d["refreshToken"])
        assert r.status == 200, r


# --- Users (admin) and roles (J-11, J-13) ----------------------------------------------------

def _find_user(base, tok, uid):
    page = 1
    for _ in range(50):
        r = call(base, "GET", "/api/users?page=%d&limit=50" % page, headers=auth_header(tok))
        assert r.status == 200, r
        doc = r.json
        assert doc["page"] == page and doc["limit"] == 50 and isinstance(doc["total"], int)
        for u in doc["results"]:
            if u["id"] == uid:
                return u
        if page * 50 >= doc["total"] or not doc["results"]:
            return None
        page += 1
    return None


def test_admin_user_crud(stack, pg):
    base = start(stack)
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    h = auth_header(admin)
    email = unique_email("Crud")
    pw = strong_password()
    r = call(base, "POST", "/api/users",
             {"email": email, "password": pw, "role": "user", "displayName": "Crud Person"}, h)
    assert r.status == 201, r
    u = r.json
    _user_ok(u, email, "user")
    assert u["displayName"] == "Crud Person" and ISO_UTC.match(u["createdAt"]), u
    assert not {"password", "passwordHash", "password_hash"} & set(u) and pw not in r.body.decode()
    # The same address in another case: 409.
    _err(call(base, "POST", "/api/users", {"email": email.upper(), "password": pw}, h), 409,
         "conflict")
    # Defaults: role user.
    r = call(base, "POST", "/api/users", {"email": unique_email(), "password": pw}, h)
    assert r.status == 201 and r.json["role"] == "user", r
    # Bad input.
    for bad in ({"email": "no-at-sign", "password": pw}, {"email": unique_email(), "password": pw,
                                                          "role": "root"},
                {"email": unique_email(), "password": "short"},
                {"email": unique_email(), "password": "password"},
                {"email": unique_email(), "password": "12345678"},
                {"email": unique_email()}, {"password": pw}):
        _err(call(base, "POST", "/api/users", bad, h), 400, "invalid")
    # List.
    found = _find_user(base, admin, u["id"])
    assert found and found["email"] == email and found["role"] == "user", found
    assert "password" not in found and "passwordHash" not in found
    # The user's session.
    d = login_ok(base, email, pw)
    ua, urt = d["accessToken"], d["refreshToken"]
    d_other = login_ok(base, email, pw)
    assert me(base, ua).status == 200
    # PATCH role: the old access token dies; a refreshed one carries the new role.
    next_second()
    r = call(base, "PATCH", "/api/users/%d" % u["id"], {"role": "admin"}, h)
    assert r.status == 200 and r.json["role"] == "admin" and r.json["id"] == u["id"], r
    wait_rejected(base, ua, what="the access token issued before the role change")
    r = refresh(base, urt)
    assert r.status == 200, r
    assert decode(r.json["accessToken"])[1]["role"] == "admin"
    assert r.json["user"]["role"] == "admin"
    m = me(base, r.json["accessToken"])
    assert m.status == 200 and m.json["role"] == "admin", m
    urt = r.json["refreshToken"]
    # PATCH displayName.
    r = call(base, "PATCH", "/api/users/%d" % u["id"], {"displayName": "Renamed"}, h)
    assert r.status == 200 and r.json["displayName"] == "Renamed", r
    r = refresh(base, urt)
    assert r.status == 200, r
    urt2 = r.json["refreshToken"]
    # PATCH password: every session of the user dies; the new password works, the old not.
    pw2 = strong_password()
    r = call(base, "PATCH", "/api/users/%d" % u["id"], {"password": pw2}, h)
    assert r.status == 200, r
    for rt in (urt2, d_other["refreshToken"]):
        _err(refresh(base, rt), 401, "invalid_refresh_token")
    _err(call(base, "POST", "/api/auth/login", {"email": email, "password": pw}), 401,
         "invalid_credentials")
    d2 = login_ok(base, email, pw2)
    _err(call(base, "PATCH", "/api/users/%d" % u["id"], {"password": "short"}, h), 400,
         "invalid")
    _err(call(base, "PATCH", "/api/users/%d" % u["id"], {"role": "root"}, h), 400, "invalid")
    # DELETE: 204; the user's tokens die; a second delete is 404.
    next_second()
    r = call(base, "DELETE", "/api/users/%d" % u["id"], headers=h)
    assert r.status == 204 and r.body == b"", r
    _err(refresh(base, d2["refreshToken"]), 401, "invalid_refresh_token")
    wait_rejected(base, d2["accessToken"], what="the deleted user's access token")
    _err(call(base, "POST", "/api/auth/login", {"email": email, "password": pw2}), 401,
         "invalid_credentials")
    _err(call(base, "DELETE", "/api/users/%d" % u["id"], headers=h), 404, "not_found")
    _err(call(base, "PATCH", "/api/users/%d" % u["id"], {"displayName": "x"}, h), 404,
         "not_found")
    assert _find_user(base, admin, u["id"]) is None
    assert q(pg.url, "SELECT count(*) FROM users WHERE id = %s", (u["id"],)) == [(0,)]


def test_user_role_gets_403_on_every_admin_route(stack, pg):
    base = start(stack)
    admin_doc = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    admin_id = admin_doc["user"]["id"]
    user, pw = create_user(base, admin_doc["accessToken"])
    tok = login_ok(base, user["email"], pw)["accessToken"]
    before = q(pg.url, "SELECT id, email, role, password_hash FROM users ORDER BY id")
    mark = audit_mark(pg.url)
    bodies = {"POST": {"email": unique_email(), "password": strong_password(), "role": "admin"},
              "PATCH": {"role": "user", "password": strong_password()}}
    for method, path in ADMIN_ROUTES:
        for target in (admin_id, user["id"]):
            p = path.format(id=target)
            _err(call(base, method, p, bodies.get(method), auth_header(tok)), 403, "forbidden")
            _err(call(base, method, p, bodies.get(method)), 401, "unauthorized")
    assert q(pg.url, "SELECT id, email, role, password_hash FROM users ORDER BY id") == before
    wait_audit(pg.url, mark, lambda r: r["event"] == "permission_denied"
               and r["actor_id"] == user["id"], "permission_denied by the user")
    # The admin may.
    assert call(base, "GET", "/api/users", headers=auth_header(admin_doc["accessToken"])) \
        .status == 200


# --- Passwords (P-06) ------------------------------------------------------------------------

def test_password_sizes_round_trip(stack):
    base = start(stack)
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    h = auth_header(admin)
    rnd = secrets.token_hex(4)
    cases = {
        "8 bytes": "k7#" + rnd[:5],
        "64 bytes": ("w" + rnd) * 7 + "Z",
        "1024 bytes": ("Q" + rnd + "-") * 102 + "abcd",
        "non-ASCII": "pässwörd-ñ-日本語-🎬-" + rnd,
        "1024 bytes non-ASCII": "é" * 510 + rnd[:4],
    }
    sizes = {"8 bytes": 8, "64 bytes": 64, "1024 bytes": 1024, "1024 bytes non-ASCII": 1024}
    for name, pw in cases.items():
        assert len(pw.encode()) == sizes.get(name, len(pw.encode())) <= 1024, name
        email = unique_email("pw")
        r = call(base, "POST", "/api/users", {"email": email, "password": pw}, h)
        assert r.status == 201, (name, r)
        login_ok(base, email, pw)
        # Verified byte-exact: no truncation, no trimming.
        for wrong in (pw[:-1], pw + "x", pw[:-1] + chr(ord(pw[-1]) ^ 1), " " + pw):
            st, _, doc = login(base, email, wrong)
            assert st in (400, 401) and doc["code"] in ("invalid", "invalid_credentials"), \
                (name, wrong[:20], st, doc)
    for pw in ("k7#" + rnd[:4], "x" * 1025, "é" * 512 + "a"):  # 7, 1025, 1025 bytes
        _err(call(base, "POST", "/api/users", {"email": unique_email(), "password": pw}, h), 400,
             "invalid")
    # A body over 1 MiB: 413, on login and on user creation.
    big = {"email": unique_email(), "password": "p" * (1 << 20)}
    r = call(base, "POST", "/api/auth/login", big)
    assert r.status == 413, r
    r = call(base, "POST", "/api/users", big, h)
    assert r.status == 413, r
    login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)


# --- Cookies and CSRF ------------------------------------------------------------------------

def _check_cookies(r, secure=False):
    ck = cookies_of(r)
    assert set(ck) >= {"mq_access", "mq_refresh"}, r.cookies
    v, a = ck["mq_access"]
    assert v == r.json["accessToken"], (v, r.json)
    assert a.get("path") == "/api" and a.get("max-age") == str(ACCESS_TTL), a
    assert a.get("httponly") is True and a.get("samesite", "").lower() == "strict", a
    assert ("secure" in a) == secure and "domain" not in a, a
    v, a = ck["mq_refresh"]
    assert v == r.json["refreshToken"], (v, r.json)
    assert a.get("path") == "/api/auth" and a.get("max-age") == str(REFRESH_TTL), a
    assert a.get("httponly") is True and a.get("samesite", "").lower() == "strict", a
    assert ("secure" in a) == secure and "domain" not in a, a
    return ck["mq_access"][0], ck["mq_refresh"][0]


def test_cookie_mode_and_csrf(stack, pg):
    base = start(stack)
    r = call(base, "POST", "/api/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert r.status == 200, r
    acc, ref = _check_cookies(r)
    jar = {"mq_access": acc, "mq_refresh": ref}
    # /me with only the cookie.
    m = call(base, "GET", "/api/auth/me", headers=cookie_header({"mq_access": acc}))
    assert m.status == 200 and m.json["email"] == ADMIN_EMAIL, m
    # A state-changing request with only the cookie: needs X-Requested-With.
    mark = audit_mark(pg.url)
    body = {"email": unique_email("csrf"), "password": strong_password()}
    _err(call(base, "POST", "/api/users", body, cookie_header(jar)), 403, "csrf")
    _err(call(base, "POST", "/api/users", body, {**cookie_header(jar), "X-Requested-With": ""}),
         403, "csrf")
    assert q(pg.url, "SELECT count(*) FROM users WHERE lower(email) = lower(%s)",
             (body["email"],)) == [(0,)]
    r = call(base, "POST", "/api/users", body, {**cookie_header(jar), **XRW})
    assert r.status == 201, r
    wait_audit(pg.url, mark, lambda x: x["event"] == "csrf_rejected", "csrf_rejected")
    # A bearer request needs no such header, even with a cookie present.
    r = call(base, "POST", "/api/users", {"email": unique_email(), "password": strong_password()},
             {**auth_header(acc), **cookie_header(jar)})
    assert r.status == 201, r
    # The Authorization header wins over the cookie.
    _err(call(base, "GET", "/api/auth/me", headers={**auth_header("bad.token.x"),
                                                    **cookie_header(jar)}), 401, "invalid_token")
    # Refresh by cookie: needs X-Requested-With too; then a new pair and new cookies.
    _err(call(base, "POST", "/api/auth/refresh", b"", cookie_header(jar)), 403, "csrf")
    r = call(base, "POST", "/api/auth/refresh", b"", {**cookie_header(jar), **XRW})
    assert r.status == 200, r
    acc2, ref2 = _check_cookies(r)
    assert ref2 != ref and acc2 != acc
    r = call(base, "POST", "/api/auth/refresh", b"{}",
             {**cookie_header({"mq_access": acc2, "mq_refresh": ref2}), **XRW,
              "Content-Type": "application/json"})
    assert r.status == 200, r
    acc3, ref3 = _check_cookies(r)
    jar = {"mq_access": acc3, "mq_refresh": ref3}
    # Logout by cookie: needs the header; clears both cookies; the session dies.
    _err(call(base, "POST", "/api/auth/logout", b"", cookie_header(jar)), 403, "csrf")
    r = call(base, "POST", "/api/auth/logout", b"", {**cookie_header(jar), **XRW})
    assert r.status == 204, r
    ck = cookies_of(r)
    for name, path in (("mq_access", "/api"), ("mq_refresh", "/api/auth")):
        assert name in ck and ck[name][1].get("max-age") == "0", r.cookies
        assert ck[name][1].get("path") == path, r.cookies
    _err(refresh(base, ref3), 401, "invalid_refresh_token")
    wait_rejected(base, acc3, what="the cookie session's access token after logout")
    m = call(base, "GET", "/api/auth/me", headers=cookie_header({"mq_access": acc3}))
    _err(m, 401, "invalid_token")


def test_cookie_secure_flag(stack):
    base = start(stack, gateway_env={"COOKIE_SECURE": "true"})
    r = call(base, "POST", "/api/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert r.status == 200, r
    _check_cookies(r, secure=True)


# --- First admin, startup guards (J-05) -------------------------------------------------------

FIRST_ADMIN = re.compile(r"first admin: email=(\S+) password=(\S+)")


def _auth_env(url, admin_email):
    return {"AUTH_BIND": "tcp://127.0.0.1:*", "AUDIT_BIND": "tcp://127.0.0.1:*",
            "DATABASE_URL": url, "DB_WAIT": "10s", "JWT_SECRET": JWT_SECRET,
            "ADMIN_EMAIL": admin_email}


def test_generated_first_admin_password_is_printed_once(stack, pg):
    url = new_database(pg, "firstadmin")
    email = unique_email("boot")
    auth = spawn_raw(stack, "auth", "auth", _auth_env(url, email))
    found = FIRST_ADMIN.findall(auth.text())
    assert len(found) == 1, auth.text()[-3000:]
    got_email, pw = found[0]
    assert got_email == email and len(pw) >= 16, found
    stack.spawn("gateway", "gateway", {
        "GATEWAY_LISTEN": "127.0.0.1:0", "AUTH_ENDPOINT": auth.ready["rpc"],
        "AUDIT_ENDPOINT": auth.ready["audit"], "DISCOVERY_ENDPOINT": "tcp://127.0.0.1:9",
        "STREAM_CONTROL_ENDPOINT": "tcp://127.0.0.1:9"})
    base = stack.gateway_url
    d = login_ok(base, email, pw)
    assert d["user"]["role"] == "admin" and d["user"]["email"] == email
    wait_audit(url, 0, lambda r: r["event"] == "admin_bootstrap", "admin_bootstrap")
    # A restart finds the admin and prints nothing.
    assert auth.stop() == 0
    env = _auth_env(url, email)
    env.update(AUTH_BIND=auth.ready["rpc"], AUDIT_BIND=auth.ready["audit"])
    auth2 = spawn_raw(stack, "auth", "auth", env)
    assert auth2.log_path == auth.log_path
    assert len(FIRST_ADMIN.findall(auth2.text())) == 1
    assert q(url, "SELECT count(*) FROM users WHERE role = 'admin'") == [(1,)]
    wait_until(lambda: login(base, email, pw)[0] == 200, 10, what="login after the restart")


@pytest.mark.parametrize("binary", ["auth", "gateway"])
@pytest.mark.parametrize("secret", [None, "", "S" * 15 + "-thirty-one-byte"],
                         ids=["unset", "empty", "31-bytes"])
def test_startup_guard_on_jwt_secret(stack, binary, secret, request):
    if secret:
        assert len(secret.encode()) == 31
    if binary == "auth":
        env = _auth_env(stack.db_url, ADMIN_EMAIL)
        env["ADMIN_PASSWORD"] = ADMIN_PASSWORD
    else:
        env = {"GATEWAY_LISTEN": "127.0.0.1:0", "AUTH_ENDPOINT": "tcp://127.0.0.1:9",
               "AUDIT_ENDPOINT": "tcp://127.0.0.1:9", "DISCOVERY_ENDPOINT": "tcp://127.0.0.1:9",
               "STREAM_CONTROL_ENDPOINT": "tcp://127.0.0.1:9"}
    env.pop("JWT_SECRET", None)
    if secret is not None:
        env["JWT_SECRET"] = secret
    d = spawn_raw(stack, binary, binary, env, ready=False)
    t0 = time.monotonic()
    wait_until(lambda: d.proc.poll() is not None, 10, what="%s to exit" % binary)
    label = "unset" if secret is None else "%d bytes" % len(secret)
    report(request, "J-05", "%s with JWT_SECRET %s: exit %s after %.2f s"
           % (binary, label, d.proc.returncode, time.monotonic() - t0))
    rc = d.proc.returncode
    d.expect_exit = rc
    text = d.text()
    assert rc != 0, text
    assert "JWT_SECRET" in text, text
    assert " main: ready" not in text, text
    if secret:
        assert secret not in text, "the secret is in the log"


def test_a_32_byte_secret_is_enough(stack):
    secret = "0123456789abcdef0123456789abcdef"
    env = _auth_env(stack.db_url, ADMIN_EMAIL)
    env.update(JWT_SECRET=secret, ADMIN_PASSWORD=ADMIN_PASSWORD)
    auth = spawn_raw(stack, "auth", "auth", env)
    stack.spawn("gateway", "gateway", {
        "GATEWAY_LISTEN": "127.0.0.1:0", "AUTH_ENDPOINT": auth.ready["rpc"],
        "AUDIT_ENDPOINT": auth.ready["audit"], "DISCOVERY_ENDPOINT": "tcp://127.0.0.1:9",
        "STREAM_CONTROL_ENDPOINT": "tcp://127.0.0.1:9", "JWT_SECRET": secret})
    tok = login_ok(stack.gateway_url, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    assert verifies(tok, secret) and me(stack.gateway_url, tok).status == 200
    assert secret not in auth.text() and secret not in stack.daemons["gateway"].text()


def test_no_5xx_on_odd_user_routes(stack):
    base = start(stack)
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    h = auth_header(admin)
    for method, path in (("GET", "/api/users/abc"), ("PATCH", "/api/users/0"),
                         ("DELETE", "/api/users/-1"), ("PATCH", "/api/users/99999999999999999999"),
                         ("DELETE", "/api/users/1x"), ("PATCH", "/api/users/"),
                         ("GET", "/api/users?page=-1&limit=100000"),
                         ("GET", "/api/users?page=x&limit=y"), ("PUT", "/api/users/1"),
                         ("GET", "/api/auth/login"), ("DELETE", "/api/auth/me")):
        r = call(base, method, path, {"displayName": "x"} if method == "PATCH" else None, h)
        assert r.status < 500 and r.json and r.code, (method, path, r)
        if "?" not in path:
            assert 400 <= r.status < 500, (method, path, r)
    assert me(base, admin).status == 200


# --- Password hashes: parameters (P-01) and rehash on login (P-02) ----------------------------

def _phc(pg, user_id):
    return q(pg.url, "SELECT password_hash FROM users WHERE id = %s", (user_id,))[0][0]


def test_rehash_on_login_when_the_parameters_change(stack, pg):
    base = start(stack)
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    user, pw = create_user(base, admin)
    h1 = _phc(pg, user["id"])
    # P-01: argon2id, 19 MiB, t=2, p=1, a 16-byte salt and a 32-byte tag (base64, unpadded)
    m = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)",
                     h1)
    assert m, h1[:30]
    assert (int(m.group(1)), int(m.group(2)), int(m.group(3))) == (19456, 2, 1)
    assert len(m.group(4)) == 22 and len(m.group(5)) == 43
    # auth restarts with stronger parameters: the next login stores a new hash
    stack.daemons["auth"].stop()
    stack.daemons["auth"].env["ARGON2_TIME"] = "3"
    stack.restart("auth")
    wait_until(lambda: login(base, user["email"], pw)[0] == 200, 15,
               what="login through the restarted auth")
    wait_until(lambda: "$m=19456,t=3,p=1$" in _phc(pg, user["id"]), 5,
               what="the stored hash rewritten with t=3")
    h2 = _phc(pg, user["id"])
    assert h2 != h1
    assert login(base, user["email"], pw)[0] == 200
    assert login(base, user["email"], pw + "x")[0] == 401


# --- A restarted gateway learns the revocations it missed before it trusts a token ----------

def test_restarted_gateway_keeps_revoked_tokens_dead(stack, pg):
    base = start(stack)
    d = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    alive = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert logout(base, d["refreshToken"]).status == 204
    wait_rejected(base, d["accessToken"])
    # The gateway goes, auth goes; the gateway comes back first: no token is taken on trust.
    stack.daemons["gateway"].stop()
    stack.daemons["auth"].stop()
    stack.restart("gateway")
    base = stack.gateway_url
    r = me(base, alive["accessToken"])
    assert r.status == 503 and r.json["code"] == "unavailable", r
    assert r.headers.get("retry-after") == "1", r.headers
    stack.restart("auth")
    wait_until(lambda: me(base, alive["accessToken"]).status == 200, 15,
               what="the live session's token accepted once the feed is read")
    # ... and the session that was logged out before the restart is still dead here.
    assert me(base, d["accessToken"]).status == 401


# --- Housekeeping: dead sessions and old revocations do not pile up ------------------------

def test_dead_sessions_and_old_revocations_are_deleted(stack, pg):
    base = start(stack)
    gone = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    kept = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert logout(base, gone["refreshToken"]).status == 204
    sid_gone = decode(gone["accessToken"])[1]["sid"]
    sid_kept = decode(kept["accessToken"])[1]["sid"]
    # age the logged-out session and its revocation by two days
    q(pg.url, "UPDATE sessions SET revoked_at = now() - interval '2 days' WHERE id = %s",
      (sid_gone,))
    q(pg.url, "UPDATE revocations SET created_at = now() - interval '2 days' "
              "WHERE session_id = %s", (sid_gone,))
    stack.daemons["auth"].stop()
    stack.restart("auth")  # a sweep runs at start, then every 10 minutes
    wait_until(lambda: not q(pg.url, "SELECT 1 FROM sessions WHERE id = %s", (sid_gone,)), 10,
               what="the dead session deleted")
    assert not q(pg.url, "SELECT 1 FROM revocations WHERE session_id = %s", (sid_gone,))
    assert q(pg.url, "SELECT 1 FROM sessions WHERE id = %s", (sid_kept,))
    assert refresh(base, kept["refreshToken"]).status == 200


# --- J-12: a login chain ends at SESSION_MAX_AGE, however often it is refreshed -------------

def test_login_chain_ends_at_its_absolute_lifetime(stack, pg):
    base = start(stack)
    d = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    sid = decode(d["accessToken"])[1]["sid"]
    row = q(pg.url, "SELECT extract(epoch FROM chain_expires_at - created_at)::bigint, "
                    "extract(epoch FROM expires_at - created_at)::bigint FROM sessions "
                    "WHERE id = %s", (sid,))
    assert row == [(30 * 86400, 7 * 86400)], row  # 30 days absolute, 7 days sliding
    r = refresh(base, d["refreshToken"])
    assert r.status == 200, r
    # the chain's end passes (as if 30 days went by): the next refresh is refused
    q(pg.url, "UPDATE sessions SET chain_expires_at = now() - interval '1 second' WHERE id = %s",
      (sid,))
    assert refresh(base, r.json["refreshToken"]).status == 401
