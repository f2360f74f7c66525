"""Helpers of the auth tests (test_1x_*.py): HTTP with every Set-Cookie, logins, a JWT forger,
the audit_log table, and daemons started without the harness's default secrets.

The forger uses only the standard library (hmac, hashlib, base64, json), so a token the
gateway accepts or refuses is judged against an implementation independent of libjwt.

    status, hdrs, doc = login(base, email, pw)          hdrs["set-cookie"] is a list
    r = call(base, "GET", "/api/auth/me", headers=auth_header(tok))   r.status, r.json, ...
    tok = make_token(HEADER, valid_claims(uid, "user"))  signed with JWT_SECRET unless told
    rows = audit(pg.url, since=mark)                      dicts with the audit_log columns
"""
import base64
import hashlib
import hmac
import http.client
import json
import re
import secrets
import socket
import time
import urllib.parse

import psycopg2

from conftest import (ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET, Daemon, wait_until)

ISSUER = "marquee"
AUDIENCE = "marquee-api"
ACCESS_TTL = 900
REFRESH_TTL = 604800
HEADER = {"alg": "HS256", "typ": "JWT"}
HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
HEX32 = re.compile(r"[0-9a-f]{32}")
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# How long a revocation may take to reach the gateway in tests (REVOCATION_POLL is 200ms).
REVOKE_WAIT = 5.0
AUDIT_WAIT = 5.0  # audit rows are written in batches within ~1 s
# Generous limits for tests that are not about rate limiting (one gateway per test).
NO_LIMITS = {"RATE_LIMIT_LOGIN": "100000/1m", "RATE_LIMIT_LOGIN_ACCOUNT": "100000/1m",
             "RATE_LIMIT_REFRESH": "100000/1m", "RATE_LIMIT_API": "100000/1m"}
AUDIT_COLS = ("id", "ts", "event", "severity", "service", "actor_id", "target", "ip",
              "request_id", "detail")


# --- HTTP -----------------------------------------------------------------------------------

class Resp:
    """One HTTP answer: status, headers (lower-case names; the last value of each, except
    "set-cookie", a list of every value), cookies (the Set-Cookie values), body, json."""

    def __init__(self, status, headers, cookies, body):
        self.status = status
        self.headers = headers
        self.cookies = cookies
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def code(self):
        return self.json.get("code") if isinstance(self.json, dict) else None

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def _hostport(base):
    u = urllib.parse.urlsplit(base)
    return u.hostname, u.port


def call(base, method, path, body=None, headers=None, timeout=15):
    """One request on a new connection. body: dict or list (sent as JSON), str or bytes (as
    is), or None. Header values may be str (latin-1) or bytes."""
    host, port = _hostport(base)
    hdrs = {}
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    elif isinstance(body, str):
        body = body.encode()
    if body is not None:
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in hdrs.items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        cookies = r.headers.get_all("Set-Cookie") or []
        h = {k.lower(): v for k, v in r.headers.items()}
        h["set-cookie"] = cookies
        return Resp(r.status, h, cookies, data)
    finally:
        conn.close()


def auth_header(tok):
    return {"Authorization": "Bearer " + tok}


def login(base, email, pw, headers=None):
    """POST /api/auth/login -> (status, headers, json or None)."""
    r = call(base, "POST", "/api/auth/login", {"email": email, "password": pw}, headers)
    return r.status, r.headers, r.json


def login_ok(base, email, pw, headers=None):
    """A login that must succeed: its JSON document (accessToken, refreshToken, user...)."""
    st, hdrs, doc = login(base, email, pw, headers)
    assert st == 200, "login of %s: %s %r" % (email, st, doc)
    return doc


def refresh(base, rt, headers=None):
    return call(base, "POST", "/api/auth/refresh", {"refreshToken": rt}, headers)


def logout(base, rt, headers=None):
    return call(base, "POST", "/api/auth/logout", {"refreshToken": rt}, headers)


def me(base, tok, headers=None):
    h = dict(auth_header(tok))
    h.update(headers or {})
    return call(base, "GET", "/api/auth/me", headers=h)


def wait_rejected(base, tok, timeout=REVOKE_WAIT, what="the access token to be rejected"):
    """Wait until the access token gets 401 invalid_token on /api/auth/me (a revocation
    reaches the gateway within REVOCATION_POLL); fails on anything but 200 or 401."""
    def rejected():
        r = me(base, tok)
        assert r.status in (200, 401), r
        if r.status == 401:
            assert r.code == "invalid_token", r
            return True
        return False
    wait_until(rejected, timeout, interval=0.05, what=what)


def next_second():
    """Sleep until the wall clock enters a new second (< 1 s), so that a token issued before
    this call has an iat strictly before any change made after it."""
    t = time.time()
    time.sleep(max(0.0, int(t) + 1 - t) + 0.01)


def unique_email(tag="u"):
    return "%s-%s@example.org" % (tag, secrets.token_hex(6))


def strong_password(n=24):
    """A random password no breached-password list holds."""
    return ("Pw-" + secrets.token_urlsafe(n))[:max(n, 8)]


def admin_token(base):
    return login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]


def create_user(base, admin_tok, email=None, password=None, role="user", display="Test User",
                expect=201):
    """POST /api/users as admin -> (user JSON, password)."""
    email = email or unique_email()
    password = password or strong_password()
    r = call(base, "POST", "/api/users",
             {"email": email, "password": password, "role": role, "displayName": display},
             auth_header(admin_tok))
    assert r.status == expect, "create %s: %r" % (email, r)
    return r.json, password


# --- Cookies ------------------------------------------------------------------------------

def parse_set_cookie(value):
    """"n=v; Path=/api; HttpOnly" -> (name, value, {"path": "/api", "httponly": True})."""
    parts = [p.strip() for p in value.split(";")]
    name, _, val = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        if not p:
            continue
        k, eq, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if eq else True
    return name.strip(), val.strip(), attrs


def cookies_of(resp):
    """{name: (value, attrs)} of every Set-Cookie of a response."""
    out = {}
    for c in resp.cookies:
        n, v, a = parse_set_cookie(c)
        out[n] = (v, a)
    return out


def cookie_header(pairs):
    """{"mq_access": tok, ...} -> {"Cookie": "mq_access=tok; ..."}."""
    return {"Cookie": "; ".join("%s=%s" % kv for kv in pairs.items())}


# --- JWT forging ----------------------------------------------------------------------------

def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _segment(part):
    if isinstance(part, (dict, list)):
        return b64u(json.dumps(part, separators=(",", ":")))
    return b64u(part)  # raw JSON text (str or bytes), encoded as given


def signature(signing_input, secret=JWT_SECRET, alg="HS256"):
    """The base64url HMAC-`alg` of a signing input ("h.p") under secret."""
    key = secret.encode() if isinstance(secret, str) else secret
    return b64u(hmac.new(key, signing_input.encode(), HASHES[alg]).digest())


def make_token(header, payload, secret=JWT_SECRET, alg="HS256", sign=True):
    """A compact JWS: header and payload are dicts (serialised compactly) or raw JSON text
    (str/bytes, encoded as given). The signature is HMAC-`alg` with `secret` (str or bytes,
    possibly empty) over the first two segments, or empty when not signing."""
    si = _segment(header) + "." + _segment(payload)
    return si + "." + (signature(si, secret, alg) if sign else "")


def resign(segments_2, secret=JWT_SECRET, alg="HS256"):
    """"h.p" (encoded as the caller likes) -> "h.p.<valid HMAC over exactly these bytes>"."""
    return segments_2 + "." + signature(segments_2, secret, alg)


def valid_claims(user_id, role="user", email="someone@example.org", name="Someone", sid=None,
                 now=None, ttl=ACCESS_TTL, **over):
    """The claims of a valid access token for this user (random sid and jti unless given);
    keyword arguments override or add claims, and a claim given as None is left out."""
    now = int(time.time()) if now is None else now
    c = {"sub": str(user_id), "role": role, "sid": secrets.token_hex(16) if sid is None else sid,
         "jti": secrets.token_hex(16), "email": email, "name": name, "iat": now, "nbf": now,
         "exp": now + ttl, "iss": ISSUER, "aud": AUDIENCE, "use": "access"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def claims_for(user, like=None, **over):
    """valid_claims for a user JSON of the API ({id, email, role, displayName}); overrides as
    in valid_claims (sid=None removes the sid, unlike valid_claims' own sid argument). `like`:
    a real access token of that user, whose claims beyond the contract's list (e.g. "ver",
    the user's token version) are copied."""
    c = valid_claims(user["id"], user["role"], user["email"], user.get("displayName", ""))
    if like:
        for k, v in decode(like)[1].items():
            c.setdefault(k, v)
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def decode(tok):
    """(header, payload) of a compact JWT, not verified."""
    h, p, _ = tok.split(".")
    return json.loads(b64u_decode(h)), json.loads(b64u_decode(p))


def verifies(tok, secret=JWT_SECRET):
    """True when tok is HS256 with a correct HMAC under secret."""
    h, p, s = tok.split(".")
    return hmac.compare_digest(signature(h + "." + p, secret), s)


# --- Database -------------------------------------------------------------------------------

def q(url, sql, args=()):
    """Rows of one statement (autocommit), as a list of tuples ([] for statements without)."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def audit_mark(url, settle=False):
    """The highest audit_log id so far (0 when empty): pass as `since` to see what follows.
    Rows are written in batches (AUDIT_FLUSH, 250ms): with settle, wait until the id has not
    moved for 0.7 s (at most 5 s), so that the rows of earlier requests are all below it."""
    def top():
        return q(url, "SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
    last = top()
    if not settle:
        return last
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.7)
        now = top()
        if now == last:
            break
        last = now
    return last


def audit(url, since=0, event=None):
    rows = q(url, "SELECT %s FROM audit_log WHERE id > %%s ORDER BY id" % ", ".join(AUDIT_COLS),
             (since,))
    out = [dict(zip(AUDIT_COLS, r)) for r in rows]
    return [r for r in out if event is None or r["event"] == event]


def wait_audit(url, since, pred, what, timeout=AUDIT_WAIT):
    """The audit rows after `since` satisfying pred(row), waiting until there is one."""
    return wait_until(lambda: [r for r in audit(url, since) if pred(r)], timeout,
                      interval=0.1, what="audit row: " + what)


def new_database(pg, prefix="authdb"):
    """A new empty database in the module's cluster -> its URL."""
    name = "%s_%s" % (prefix, secrets.token_hex(4))
    q(pg.url, "CREATE DATABASE %s" % name)
    return pg.url.replace("/marquee?", "/%s?" % name)


# --- Daemons --------------------------------------------------------------------------------

def spawn_raw(stack, name, binary, env, ready=True):
    """Start a daemon with exactly `env` (plus the harness's PATH/sanitizer variables):
    unlike Stack.spawn, no JWT_SECRET or ADMIN_PASSWORD is added. Torn down with the stack."""
    d = Daemon(name, binary, env, stack.logdir)
    stack.daemons[name] = d
    stack.spawned.append(d)
    if ready:
        d.wait_ready()
    return d


def start(stack, gateway_env=None, extra_env=None):
    """The core stack without workers; returns the gateway's base URL. Rate limits are off
    unless gateway_env sets them."""
    genv = dict(NO_LIMITS)
    genv.update(gateway_env or {})
    stack.start_core(workers=0, gateway_env=genv, extra_env=extra_env)
    return stack.gateway_url


def gateway_addr(stack):
    host, port = stack.daemons["gateway"].ready["http"].rsplit(":", 1)
    return host, int(port)


def raw_request(host, port, data, timeout=10.0):
    """Send raw bytes while reading; stop sending once an answer starts (the server may answer
    and close before it has read everything). -> (status or None, head bytes, body bytes,
    error string or None)."""
    s = socket.create_connection((host, port), timeout=timeout)
    got = b""
    err = None
    try:
        s.setblocking(False)
        off = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if off < len(data):
                try:
                    off += s.send(data[off:off + 65536])
                except BlockingIOError:
                    pass
                except OSError as e:
                    err = "send: %s" % e
                    off = len(data)
            try:
                c = s.recv(65536)
                if not c:
                    break
                got += c
                if b"\r\n\r\n" in got:
                    off = len(data)  # answered: send no more
                    head = got.split(b"\r\n\r\n", 1)[0]
                    m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
                    if m and len(got) >= len(head) + 4 + int(m.group(1)):
                        break
            except BlockingIOError:
                time.sleep(0.002)
            except OSError as e:
                err = "recv: %s" % e
                break
    finally:
        s.close()
    if not got:
        return None, b"", b"", err or "no answer"
    head, _, body = got.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        status = None
    return status, head, body, err
