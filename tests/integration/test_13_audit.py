"""Hostile input in every auth field, the audit trail of a scripted session, and no secret
in any log or audit row (issue 4).

  - SQL-injection-shaped and odd strings (quotes, comments, NUL, non-ASCII, 300 bytes) in every
    field of login, user creation and update, the refresh token and the user id of the path:
    never a 5xx; refused (4xx) where the value is invalid, stored byte for byte where it is
    valid; afterwards the users table holds exactly the rows the test meant to change.
  - A scripted session through a trusted proxy (distinct X-Forwarded-For per actor) leaves the
    audit rows the contract lists, with the actor's id and address.
  - Every password and token the test used, the admin's password and the JWT secret are
    absent from every daemon log (run at LOG_LEVEL=debug), the audit_log table and the
    PostgreSQL log.
"""
import secrets
from pathlib import Path

from authlib import (ADMIN_EMAIL, ADMIN_PASSWORD, auth_header, call, cookie_header, cookies_of,
                     create_user, login_ok, make_token, q, refresh, start, strong_password,
                     unique_email, valid_claims, wait_audit, wait_rejected)
from conftest import JWT_SECRET, report

INJECTIONS = [
    "' OR 1=1--",
    "'; DROP TABLE users;--",
    '"; DROP TABLE users;--',
    "admin@example.org'--",
    "1; DELETE FROM users",
    "\x00",
    "abcdefgh\x00ijklmnop",
    "\\x00\\' OR '1'='1",
    "ünïcödé ✓ 日本語 😀 ‮",
    "%s%s%n%x",
    "x" * 300,
    "é" * 150,
    "$(reboot)`id`",
    "<script>alert(1)</script>",
]
BAD_IDS = ["1%20OR%201=1", "1'--", "1;DROP%20TABLE%20users", "1%00", "%00", "0x1", "1e0", "1.0",
           "1abc", "-1", "0", "99999999999999999999999", "%F0%9F%98%80", "1%2F2", "null"]
USER_COLS = "id, email, role, display_name, password_hash, created_at"


def _users(url):
    return {r[0]: r for r in q(url, "SELECT %s FROM users ORDER BY id" % USER_COLS)}


def test_injection_strings_everywhere(stack, pg, request):
    base = start(stack)
    admin_doc = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    admin = admin_doc["accessToken"]
    h = auth_header(admin)
    victim, victim_pw = create_user(base, admin, display="Victim")
    before = _users(pg.url)
    created = {}  # id -> (email, password, displayName) as sent
    victim_state = {"displayName": "Victim", "password": victim_pw, "role": "user"}
    n = 0

    def judge(r, what, allowed=(400, 401, 403, 404, 409, 413)):
        nonlocal n
        n += 1
        assert r.status < 500, (what, r)
        assert r.status in allowed, (what, r)

    for s in INJECTIONS:
        # Login: both fields.
        judge(call(base, "POST", "/api/auth/login", {"email": s, "password": ADMIN_PASSWORD}),
              "login email %r" % s, (400, 401))
        judge(call(base, "POST", "/api/auth/login", {"email": ADMIN_EMAIL, "password": s}),
              "login password %r" % s, (400, 401))
        judge(call(base, "POST", "/api/auth/login", {"email": victim["email"], "password": s}),
              "login victim password %r" % s, (400, 401))
        # Refresh and logout tokens.
        judge(call(base, "POST", "/api/auth/refresh", {"refreshToken": s}),
              "refresh %r" % s, (400, 401))
        judge(call(base, "POST", "/api/auth/logout", {"refreshToken": s}),
              "logout %r" % s, (204, 400))
        # User creation, one field at a time.
        for field in ("email", "password", "displayName", "role"):
            body = {"email": unique_email("inj"), "password": strong_password(),
                    "displayName": "Injected", "role": "user"}
            body[field] = s
            r = call(base, "POST", "/api/users", body, h)
            # Valid in these fields (an address is at least something@something).
            valid = field in ("password", "displayName") or (field == "email" and "@" in s)
            judge(r, "create %s=%r" % (field, s), (400, 409) + ((201,) if valid else ()))
            if r.status == 201:
                u = r.json
                assert u["email"] == body["email"] and u["displayName"] == body["displayName"], \
                    (s, u)
                created[u["id"]] = (body["email"], body["password"], body["displayName"])
        # User update, one field at a time.
        for field in ("role", "password", "displayName"):
            r = call(base, "PATCH", "/api/users/%d" % victim["id"], {field: s}, h)
            ok = (200,) if field in ("password", "displayName") else ()
            judge(r, "patch %s=%r" % (field, s), (400,) + ok)
            if r.status == 200:
                victim_state[field] = s
                if field == "displayName":
                    assert r.json["displayName"] == s, (s, r.json)
                assert r.json["role"] == "user" and r.json["email"] == victim["email"], r.json
    # Path ids.
    for bad in BAD_IDS:
        for method in ("PATCH", "DELETE"):
            r = call(base, method, "/api/users/" + bad,
                     {"displayName": "pwned", "role": "admin"} if method == "PATCH" else None, h)
            judge(r, "%s /api/users/%s" % (method, bad), (400, 404))
    judge(call(base, "GET", "/api/users?page=1%27--&limit=1%20OR%201=1", headers=h),
          "list with odd query", (200, 400))
    report(request, "injection", "%d requests, %d users created with odd but valid values"
           % (n, len(created)))

    # Values accepted are stored and checked byte for byte.
    for uid, (email, pw, name) in created.items():
        assert login_ok(base, email, pw)["user"]["displayName"] == name
        if "\x00" in pw:
            st = call(base, "POST", "/api/auth/login",
                      {"email": email, "password": pw.split("\x00")[0]}).status
            assert st == 401, "the password was cut at its NUL byte"
    login_ok(base, victim["email"], victim_state["password"])
    # The users table: only the victim and the created rows differ.
    after = _users(pg.url)
    for uid, row in before.items():
        assert uid in after, "user %d disappeared" % uid
        if uid != victim["id"]:
            assert after[uid] == row, (row, after[uid])
    v = after[victim["id"]]
    assert (v[1], v[2], v[3]) == (victim["email"], "user", victim_state["displayName"]), v
    assert set(after) - set(before) == set(created), (set(after) - set(before), created)
    for t in ("users", "sessions", "refresh_used", "revocations", "audit_log"):
        assert q(pg.url, "SELECT to_regclass(%s) IS NOT NULL", (t,)) == [(True,)], t
    assert q(pg.url, "SELECT count(*) > 0 FROM audit_log") == [(True,)]
    # The admin still logs in and acts.
    assert call(base, "GET", "/api/users", headers=auth_header(
        login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"])).status == 200


IP_ADMIN, IP_USER, IP_BAD, IP_RL = "203.0.113.10", "203.0.113.20", "203.0.113.30", "203.0.113.40"


def _from(ip, extra=None):
    h = {"X-Forwarded-For": ip}
    h.update(extra or {})
    return h


def test_audit_rows_of_a_scripted_session(stack, pg):
    base = start(stack, gateway_env={"TRUSTED_PROXIES": "127.0.0.1",
                                     "RATE_LIMIT_REFRESH": "4/1m"})
    mark = q(pg.url, "SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
    # The admin logs in and makes a user.
    r = call(base, "POST", "/api/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
             _from(IP_ADMIN))
    assert r.status == 200, r
    admin_id, admin = r.json["user"]["id"], r.json["accessToken"]
    email, pw = unique_email("audited"), strong_password()
    r = call(base, "POST", "/api/users", {"email": email, "password": pw},
             _from(IP_ADMIN, auth_header(admin)))
    assert r.status == 201, r
    uid = r.json["id"]
    # A failed login, a forged token.
    r = call(base, "POST", "/api/auth/login", {"email": email, "password": pw + "-no"},
             _from(IP_BAD))
    assert r.status == 401, r
    forged = make_token({"alg": "HS256", "typ": "JWT"}, valid_claims(uid), "wrong-secret-" * 4)
    assert call(base, "GET", "/api/auth/me", headers=_from(IP_BAD, auth_header(forged))) \
        .status == 401
    # The user: login, refresh, reuse of the rotated token.
    r = call(base, "POST", "/api/auth/login", {"email": email, "password": pw}, _from(IP_USER))
    assert r.status == 200, r
    login_rid = r.headers["x-request-id"]
    rt1 = r.json["refreshToken"]
    r = call(base, "POST", "/api/auth/refresh", {"refreshToken": rt1}, _from(IP_USER))
    assert r.status == 200, r
    r = call(base, "POST", "/api/auth/refresh", {"refreshToken": rt1}, _from(IP_USER))
    assert r.status == 401, r
    # A second session: an admin route, a cookie request without X-Requested-With, logout.
    r = call(base, "POST", "/api/auth/login", {"email": email, "password": pw}, _from(IP_USER))
    assert r.status == 200, r
    a2, rt2 = r.json["accessToken"], r.json["refreshToken"]
    ck = {k: v for k, (v, _) in cookies_of(r).items()}
    assert call(base, "GET", "/api/users", headers=_from(IP_USER, auth_header(a2))).status == 403
    r = call(base, "POST", "/api/auth/logout", b"", _from(IP_USER, cookie_header(ck)))
    assert r.status == 403 and r.code == "csrf", r
    r = call(base, "POST", "/api/auth/logout", {"refreshToken": rt2}, _from(IP_USER))
    assert r.status == 204, r
    # The admin changes and deletes the user.
    r = call(base, "PATCH", "/api/users/%d" % uid, {"displayName": "Changed"},
             _from(IP_ADMIN, auth_header(admin)))
    assert r.status == 200, r
    r = call(base, "DELETE", "/api/users/%d" % uid, headers=_from(IP_ADMIN, auth_header(admin)))
    assert r.status == 204, r
    # Somebody hammers the refresh endpoint.
    got = [call(base, "POST", "/api/auth/refresh", {"refreshToken": "z" * 43},
                _from(IP_RL)).status for _ in range(5)]
    assert got == [401] * 4 + [429], got

    def row(event, ip, actor=None, severity=None):
        def pred(x):
            return (x["event"] == event and x["ip"] == ip
                    and (actor is None or x["actor_id"] == actor))
        rows = wait_audit(pg.url, mark, pred, "%s from %s (actor %s)" % (event, ip, actor))
        if severity:
            assert rows[0]["severity"] == severity, rows
        assert rows[0]["service"] and rows[0]["ts"] is not None, rows
        return rows

    row("login_success", IP_ADMIN, admin_id, "info")
    rows = row("login_success", IP_USER, uid, "info")
    assert login_rid in [x["request_id"] for x in rows], (login_rid, rows)
    row("login_failed", IP_BAD)
    row("token_rejected", IP_BAD)
    row("user_created", IP_ADMIN, admin_id)
    row("refresh", IP_USER, uid)
    row("refresh_reuse", IP_USER, severity="critical")
    row("permission_denied", IP_USER, uid, "warning")
    row("csrf_rejected", IP_USER, severity="warning")
    row("logout", IP_USER, uid)
    row("user_updated", IP_ADMIN, admin_id)
    row("user_deleted", IP_ADMIN, admin_id)
    row("refresh_failed", IP_RL)
    row("rate_limited", IP_RL, severity="warning")
    # Every row is well formed.
    for x in q(pg.url, "SELECT event, severity, ip, request_id FROM audit_log WHERE id > %s",
               (mark,)):
        assert x[1] in ("info", "warning", "critical"), x
        assert x[2] in (IP_ADMIN, IP_USER, IP_BAD, IP_RL, "127.0.0.1", ""), x


def test_no_secret_in_logs_or_audit(stack, pg):
    base = start(stack, extra_env={"LOG_LEVEL": "debug"})
    secrets_used = {ADMIN_PASSWORD, JWT_SECRET}

    def keep(doc):
        for k in ("accessToken", "refreshToken"):
            secrets_used.add(doc[k])
        secrets_used.add(doc["accessToken"].rsplit(".", 1)[1])
        return doc

    admin = keep(login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD))["accessToken"]
    user, pw = create_user(base, admin)
    secrets_used.add(pw)
    wrong = "Wrong-" + secrets.token_urlsafe(12)
    secrets_used.add(wrong)
    assert call(base, "POST", "/api/auth/login",
                {"email": user["email"], "password": wrong}).status == 401
    assert call(base, "POST", "/api/auth/login",
                {"email": unique_email("ghost"), "password": wrong}).status == 401
    d1 = keep(login_ok(base, user["email"], pw))
    r = refresh(base, d1["refreshToken"])
    assert r.status == 200, r
    d2 = keep(r.json)
    assert refresh(base, d1["refreshToken"]).status == 401  # reuse
    wait_rejected(base, d2["accessToken"])
    d3 = keep(login_ok(base, user["email"], pw))
    r = call(base, "POST", "/api/auth/refresh", b"",
             {**cookie_header({"mq_refresh": d3["refreshToken"]}), "X-Requested-With": "x"})
    assert r.status == 200, r
    d4 = keep(r.json)
    pw2 = strong_password()
    secrets_used.add(pw2)
    r = call(base, "PATCH", "/api/users/%d" % user["id"], {"password": pw2}, auth_header(admin))
    assert r.status == 200, r
    assert refresh(base, d4["refreshToken"]).status == 401
    d5 = keep(login_ok(base, user["email"], pw2))
    assert call(base, "POST", "/api/auth/logout", {"refreshToken": d5["refreshToken"]}).status \
        == 204
    bad_pw = "Short7!"
    secrets_used.add(bad_pw)
    assert call(base, "POST", "/api/users", {"email": unique_email(), "password": bad_pw},
                auth_header(admin)).status == 400
    # Stop every daemon so that the logs are complete (shutdown lines, audit flushed).
    for d in reversed(stack.spawned):
        assert d.stop() == 0, d.name
    logs = sorted(Path(stack.logdir).glob("*.log"))
    texts = {p.name: p.read_text(errors="replace") for p in logs}
    assert logs and all(" main: ready " in t for t in texts.values()), logs  # read them all
    texts["audit_log"] = "\n".join(r[0] for r in q(pg.url, "SELECT t::text FROM audit_log t"))
    try:
        texts["postgres.log"] = Path(pg.logfile).read_text(errors="replace")
    except OSError:
        pass
    assert texts["audit_log"]
    secrets_used = {s for s in secrets_used if s}
    hits = ["%s holds %r" % (name, s[:12] + "...") for name, text in texts.items()
            for s in secrets_used if s in text]
    assert not hits, hits
    assert len(secrets_used) >= 15, len(secrets_used)
