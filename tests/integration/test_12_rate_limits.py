"""Rate limits and the hasher's queue bound (issue 4).

Security checklist §1.6 P-04 (brute force on one account from one or many addresses; the limit
is applied before the password is hashed, and another account is not locked by it) and P-05
(a full hasher queue answers 503 busy with Retry-After, and the daemon is fine afterwards).
X-Forwarded-For counts only when the TCP peer is in TRUSTED_PROXIES. Each test starts its own
gateway (rate limit buckets live in the gateway's memory) with the limits it needs.
"""
import threading

from authlib import (ADMIN_EMAIL, ADMIN_PASSWORD, NO_LIMITS, audit, audit_mark, auth_header,
                     call, create_user, login, login_ok, me, start, wait_audit)
from conftest import report, wait_until


def _attempt(base, email, pw, ip=None):
    h = {"X-Forwarded-For": ip} if ip else None
    return call(base, "POST", "/api/auth/login", {"email": email, "password": pw}, h)


def _limited(r):
    assert r.status == 429, r
    assert r.code == "rate_limited", r
    ra = r.headers.get("retry-after", "")
    assert ra.isdigit() and 1 <= int(ra) <= 7 * 60, r.headers
    return int(ra)


def _setup_user(base):
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    return create_user(base, admin)


def test_brute_force_one_account_one_address(stack, pg):
    base = start(stack, gateway_env={"RATE_LIMIT_LOGIN": "5/1m",
                                     "RATE_LIMIT_LOGIN_ACCOUNT": "1000/1m"})
    # The admin's login and the user's creation: one login from this address.
    user, pw = _setup_user(base)
    mark = audit_mark(pg.url, settle=True)
    got = [_attempt(base, user["email"], "wrong-" + pw).status for _ in range(4)]
    assert got == [401] * 4, got
    _limited(_attempt(base, user["email"], "wrong-" + pw))
    # The right password is refused too, without being checked; so is any other account.
    _limited(_attempt(base, user["email"], pw))
    _limited(_attempt(base, ADMIN_EMAIL, ADMIN_PASSWORD))
    rows = wait_audit(pg.url, mark, lambda r: r["event"] == "rate_limited", "rate_limited")
    assert rows[0]["severity"] == "warning" and rows[0]["ip"] == "127.0.0.1", rows
    # Only the 4 attempts inside the limit reached the hasher.
    wait_until(lambda: len(audit(pg.url, mark, "rate_limited")) >= 3, 5,
               what="three rate_limited rows")
    assert len(audit(pg.url, mark, "login_failed")) == 4
    assert not audit(pg.url, mark, "login_success")


def test_per_account_limit_across_addresses(stack, pg, request):
    base = start(stack, gateway_env={"TRUSTED_PROXIES": "127.0.0.1",
                                     "RATE_LIMIT_LOGIN": "1000/1m",
                                     "RATE_LIMIT_LOGIN_ACCOUNT": "10/7m"})
    user, pw = _setup_user(base)
    other, other_pw = _setup_user(base)
    mark = audit_mark(pg.url, settle=True)
    ips = ["198.51.100.%d" % (i + 1) for i in range(12)]
    got = [_attempt(base, user["email"], "wrong-" + pw, ips[i]).status for i in range(10)]
    assert got == [401] * 10, got
    # The 11th, from yet another address: limited, whatever the case of the address.
    _limited(_attempt(base, user["email"], "wrong-" + pw, ips[10]))
    _limited(_attempt(base, user["email"].upper(), "wrong-" + pw, ips[11]))
    _limited(_attempt(base, user["email"], pw, "203.0.113.99"))
    # Another account is not locked, from the same addresses.
    assert _attempt(base, other["email"], "wrong-" + other_pw, ips[10]).status == 401
    assert _attempt(base, other["email"], other_pw, ips[11]).status == 200
    # The audit rows carry the forwarded addresses (the peer is a trusted proxy).
    rows = wait_audit(pg.url, mark, lambda r: r["event"] == "rate_limited"
                      and r["ip"] == ips[10], "rate_limited from %s" % ips[10])
    assert rows[0]["severity"] == "warning"
    wait_until(lambda: len(audit(pg.url, mark, "login_failed")) >= 11, 5,
               what="11 login_failed rows")
    failed = audit(pg.url, mark, "login_failed")
    assert sorted(r["ip"] for r in failed) == sorted(ips[:11]), failed
    report(request, "P-04", "10/7m per account: 10 attempts hashed from 10 addresses, then 429")


def test_spoofed_forwarded_for_is_ignored_without_trusted_proxies(stack, pg):
    base = start(stack, gateway_env={"RATE_LIMIT_LOGIN": "5/1m",
                                     "RATE_LIMIT_LOGIN_ACCOUNT": "1000/1m"})
    mark = audit_mark(pg.url)
    email = "nobody-spoof@example.org"
    got = [_attempt(base, email, "whatever-pw", "198.51.100.%d" % i).status for i in range(5)]
    assert got == [401] * 5, got
    _limited(_attempt(base, email, "whatever-pw", "198.51.100.200"))
    _limited(_attempt(base, email, "whatever-pw", "127.0.0.2"))
    wait_until(lambda: len(audit(pg.url, mark, "login_failed")) >= 5, 5,
               what="5 login_failed rows")
    assert {r["ip"] for r in audit(pg.url, mark, "login_failed")} == {"127.0.0.1"}


def test_rightmost_untrusted_forwarded_address_counts(stack):
    base = start(stack, gateway_env={"TRUSTED_PROXIES": "127.0.0.1",
                                     "RATE_LIMIT_LOGIN": "3/1m",
                                     "RATE_LIMIT_LOGIN_ACCOUNT": "1000/1m"})
    email = "nobody-xff@example.org"
    # A client putting made-up addresses on the left: the proxy appended the real one.
    got = [_attempt(base, email, "whatever-pw", "10.9.8.%d, 198.51.100.7" % i).status
           for i in range(3)]
    assert got == [401] * 3, got
    _limited(_attempt(base, email, "whatever-pw", "10.9.8.77, 198.51.100.7"))
    # Another client behind the proxy is not affected.
    assert _attempt(base, email, "whatever-pw", "198.51.100.8").status == 401


def test_api_rate_limit(stack, pg):
    base = start(stack, gateway_env={"RATE_LIMIT_API": "5/1m"})
    tok = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    mark = audit_mark(pg.url)
    got = [me(base, tok).status for _ in range(5)]
    assert got == [200] * 5, got
    _limited(me(base, tok))
    _limited(call(base, "GET", "/api/users", headers=auth_header(tok)))
    # Logins have their own bucket.
    assert login(base, ADMIN_EMAIL, ADMIN_PASSWORD)[0] == 200
    wait_audit(pg.url, mark, lambda r: r["event"] == "rate_limited", "rate_limited on the API")


def test_refresh_rate_limit(stack):
    base = start(stack, gateway_env={"RATE_LIMIT_REFRESH": "3/1m"})
    got = [call(base, "POST", "/api/auth/refresh", {"refreshToken": "x" * 43}).status
           for _ in range(3)]
    assert got == [401] * 3, got
    _limited(call(base, "POST", "/api/auth/refresh", {"refreshToken": "x" * 43}))
    _limited(call(base, "POST", "/api/auth/logout", {"refreshToken": "x" * 43}))


def test_hasher_queue_bound(stack, request):
    genv = dict(NO_LIMITS, TRUSTED_PROXIES="127.0.0.1", RATE_LIMIT_LOGIN="off",
                RATE_LIMIT_LOGIN_ACCOUNT="off")
    base = start(stack, gateway_env=genv, extra_env={"HASH_THREADS": "1", "HASH_QUEUE": "2"})
    user, pw = _setup_user(base)
    n = 40
    barrier = threading.Barrier(n, timeout=20)
    out = [None] * n

    def one(i):
        try:
            barrier.wait()
            out[i] = _attempt(base, user["email"], "wrong-%d-%s" % (i, pw),
                              "198.51.100.%d" % (i + 1))
        except Exception as e:  # judged below
            out[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    errors = [r for r in out if not hasattr(r, "status")]
    assert not errors, errors[:3]
    statuses = [r.status for r in out]
    report(request, "P-05", "40 logins, HASH_THREADS=1 HASH_QUEUE=2: %d x 401, %d x 503"
           % (statuses.count(401), statuses.count(503)))
    assert set(statuses) <= {401, 503}, statuses
    assert statuses.count(503) >= 1 and statuses.count(401) >= 1, statuses
    for r in out:
        if r.status == 503:
            assert r.code == "busy", r
            ra = r.headers.get("retry-after", "")
            assert ra.isdigit() and int(ra) >= 1, r.headers
        else:
            assert r.code == "invalid_credentials", r
    # The daemon is fine afterwards.
    assert stack.daemons["auth"].alive()
    wait_until(lambda: login(base, user["email"], pw)[0] == 200, 10,
               what="a login after the burst")
