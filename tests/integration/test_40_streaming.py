"""Streaming end to end: the catalog, a stream key, the stream-proxy's byte edge, the workers.

A multi-file torrent is seeded by aria2 and our own `seed` on the host's loopback with a real
opentracker (as in test_33: the daemons must reach each other on 127.0.0.1; aria2 is bound to
127.0.0.1 with DHT, LPD and PEX off). An
admin adds a movie and the .torrent as its source through the gateway, a user asks for a
stream URL, and the bytes that come back through the stream-proxy are compared with the file
on disk: random ranges, the edge cases of RFC 9110 Range, HEAD, ?file=N, keys of others, the
per-user cap, and a worker killed with SIGKILL in the middle of a transfer.

The workers share this machine's filesystem with the stream-proxy, so by default the bytes go
out from the workers' cache files (CHUNK_LOCAL, sendfile); the random ranges and the failover
run a second time with STREAM_LOCAL_READS=false, the bytes then crossing the pool socket
(CHUNK), as between machines. A cache file the proxy may not open (a symbolic link) sends the
read back over the pool without a wrong or missing byte."""
import base64
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from authlib import ADMIN_EMAIL, ADMIN_PASSWORD, auth_header, call, create_user, login_ok, q
from btswarm import Aria2, OpenTracker, ProcSet, Netns, TorrentWorker, make_payload
from conftest import BIN, report, wait_until

CLI = BIN / "torrent-worker"
PIECE = 256 * 1024
FILES = [("extras/sample.mkv", 1 * 1024 * 1024 + 333), ("movie.mp4", 24 * 1024 * 1024 + 4097),
         ("subs/movie.en.srt", 20000)]


@pytest.fixture(scope="module")
def swarm():
    if not CLI.is_file():
        pytest.skip("%s is missing (make SANITIZER=address,undefined all)" % CLI)
    if not shutil.which("opentracker"):
        pytest.skip("opentracker is not installed (scripts/bootstrap.sh)")
    work = Path(tempfile.mkdtemp(prefix="marquee-stream-", dir="/tmp"))
    os.chmod(work, 0o755)
    ns = Netns(enable=False)
    procs = ProcSet(ns, work / "logs")
    try:
        p = make_payload("stream-e2e", FILES, PIECE)
        tracker = OpenTracker(ns, procs, work, [p.hex])
        torrent = p.write_torrent(work / "stream-e2e.torrent", tracker.http_url)
        # two seeders: a real client (aria2, bound to 127.0.0.1, DHT/LPD/PEX off) and ours
        aria = None
        if shutil.which("aria2c"):
            aria = Aria2(ns, procs, work, [tracker.http_url])
            gid = aria.seed(p, torrent)
        TorrentWorker(ns, procs, CLI).seed(torrent, p.root, trackers=[tracker.http_url])
        if aria:
            aria.wait_seeding(gid)
            wait_until(lambda: tracker.scrape_http(p.info_hash)[0] >= 2, 15,
                       what="two seeders at the tracker")
        yield {"p": p, "torrent": torrent, "tracker": tracker, "work": work}
    finally:
        procs.stop_all()
        ns.close()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def big():
    """A 256 MiB single-file torrent for the failover test, seeded the same way."""
    if not CLI.is_file() or not shutil.which("opentracker"):
        pytest.skip("torrent-worker or opentracker is missing")
    work = Path(tempfile.mkdtemp(prefix="marquee-stream-big-", dir="/tmp"))
    os.chmod(work, 0o755)
    ns = Netns(enable=False)
    procs = ProcSet(ns, work / "logs")
    try:
        p = make_payload("stream-big.mp4", [("stream-big.mp4", 256 * 1024 * 1024)], 1024 * 1024,
                         single=True)
        tracker = OpenTracker(ns, procs, work, [p.hex])
        torrent = p.write_torrent(work / "stream-big.torrent", tracker.http_url)
        TorrentWorker(ns, procs, CLI).seed(torrent, p.root, trackers=[tracker.http_url])
        yield {"p": p, "torrent": torrent, "tracker": tracker, "work": work}
    finally:
        procs.stop_all()
        ns.close()
        shutil.rmtree(work, ignore_errors=True)


def _file(p, rel):
    return p.path_of(rel).read_bytes()


def _setup(stack, swarm, pg, workers=1, extra=None):
    """Start the stack; add the movie and its source; return (gateway, user token, source id,
    admin token). The database is per module: the catalog starts empty for each test."""
    stack.start_core(workers=workers, gateway_env={"RATE_LIMIT_API": "off",
                                                   "RATE_LIMIT_LOGIN": "off",
                                                   "RATE_LIMIT_LOGIN_ACCOUNT": "off"},
                     extra_env=extra)
    base = stack.gateway_url
    q(pg.url, "TRUNCATE movies CASCADE")
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    imdb = "tt%07d" % random.randint(1000000, 9999999)
    r = call(base, "POST", "/api/movies", {"imdbId": imdb, "title": "Stream Test"},
             auth_header(admin))
    assert r.status == 201, r
    movie = r.json["id"]
    tb = base64.b64encode(Path(swarm["torrent"]).read_bytes()).decode()
    r = call(base, "POST", "/api/movies/%d/sources" % movie, {"torrent": tb}, auth_header(admin))
    assert r.status == 201, r
    user, pw = create_user(base, admin)
    tok = login_ok(base, user["email"], pw)["accessToken"]
    return base, tok, r.json["id"], admin


def _url(base, tok, source):
    r = call(base, "POST", "/api/stream/token", {"sourceId": source}, auth_header(tok))
    assert r.status == 200, r
    return r.json["url"]


def _get(url, headers=None, method="GET", timeout=60):
    """(status, headers with lower-case names, body) over a fresh connection."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request(method, u.path + ("?" + u.query if u.query else ""), headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        c.close()


MODES = {"local": None, "pool": {"STREAM_LOCAL_READS": "false"}}


def _check_mode(stack, mode, workers=("worker-1",)):
    """The reads went the way `mode` says (the worker logs each READ's kind)."""
    logs = "".join(stack.daemons[w].text() for w in workers if w in stack.daemons)
    assert " credit " in logs, "no READ reached the workers"
    assert ("(local: CHUNK_LOCAL)" in logs) == (mode == "local"), mode


@pytest.mark.parametrize("mode", list(MODES))
def test_random_ranges_byte_for_byte(stack, swarm, pg, request, mode):
    base, tok, source, _ = _setup(stack, swarm, pg, extra=MODES[mode])
    url = _url(base, tok, source)
    data = _file(swarm["p"], "movie.mp4")
    size = len(data)
    st, h, body = _get(url, {"Range": "bytes=0-0"})
    assert st == 206 and body == data[:1], (st, h)
    assert h["content-range"] == "bytes 0-0/%d" % size
    assert h["accept-ranges"] == "bytes" and h["content-type"] == "video/mp4" and h["etag"]
    rnd = random.Random(4242)
    t0 = time.monotonic()
    for i in range(200):
        a = rnd.randrange(size)
        b = min(size - 1, a + rnd.choice([0, 1, 100, 16383, 16384, 65536, PIECE, 3 * PIECE + 7]))
        st, h, body = _get(url, {"Range": "bytes=%d-%d" % (a, b)})
        assert st == 206, (i, a, b, st, body[:200])
        assert h["content-range"] == "bytes %d-%d/%d" % (a, b, size), (i, h)
        assert body == data[a:b + 1], "range %d: bytes %d-%d differ" % (i, a, b)
    report(request, "stream", "%s: 200 random ranges byte-exact in %.1f s"
           % (mode, time.monotonic() - t0))
    st, h, body = _get(url)
    assert st == 200 and h["content-length"] == str(size)
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()
    _check_mode(stack, mode)


def test_unreadable_cache_file_falls_back_to_the_pool(stack, swarm, pg, request):
    """The proxy opens a worker's cache files strictly beneath its cache directory, following
    no symbolic link; when it cannot, the read goes on over the pool from the same byte."""
    base, tok, source, _ = _setup(stack, swarm, pg)
    url = _url(base, tok, source)
    data = _file(swarm["p"], "movie.mp4")
    st, _, body = _get(url)  # fetches and caches the whole file (CHUNK_LOCAL)
    assert st == 200 and body == data
    cache = Path(stack.daemons["worker-1"].env["CACHE_DIR"])
    files = [f for f in cache.rglob("movie.mp4") if f.is_file() and not f.is_symlink()]
    assert len(files) == 1, files
    real = files[0].with_name("movie.mp4.real")
    files[0].rename(real)
    files[0].symlink_to(real.name)  # the worker keeps its open descriptor
    proxy = stack.daemons["stream-proxy"]
    warned = proxy.text().count("cache file")
    a, b = 3 * PIECE + 11, 9 * PIECE + 5
    st, h, body = _get(url, {"Range": "bytes=%d-%d" % (a, b)})
    assert st == 206 and body == data[a:b + 1], (st, h, len(body))
    assert proxy.text().count("cache file") > warned, "the proxy did not refuse the symlink"
    st, _, body = _get(url)
    assert st == 200 and hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    report(request, "stream", "a symlinked cache file: the reads went over the pool, byte-exact")


def test_range_edge_cases(stack, swarm, pg):
    base, tok, source, _ = _setup(stack, swarm, pg)
    url = _url(base, tok, source)
    data = _file(swarm["p"], "movie.mp4")
    size = len(data)
    # suffix, open-ended, clamped, whole
    for rng, first, last in [("bytes=-500", size - 500, size - 1), ("bytes=%d-" % (size - 10),
                             size - 10, size - 1), ("bytes=100-%d" % (size * 2), 100, size - 1),
                             ("bytes=0-", 0, size - 1), ("bytes=-%d" % (size * 3), 0, size - 1)]:
        st, h, body = _get(url, {"Range": rng})
        assert st == 206, (rng, st)
        assert h["content-range"] == "bytes %d-%d/%d" % (first, last, size), (rng, h)
        assert body == data[first:last + 1], rng
    # unsatisfiable -> 416 with bytes */size
    for rng in ("bytes=%d-" % size, "bytes=%d-%d" % (size + 5, size + 10)):
        st, h, body = _get(url, {"Range": rng})
        assert st == 416, (rng, st)
        assert h["content-range"] == "bytes */%d" % size, h
        assert json.loads(body)["code"]
    # syntactically invalid or another unit -> ignored: 200 whole
    for rng in ("bytes=5-3", "items=0-1", "bytes=abc"):
        st, h, body = _get(url, {"Range": rng}, method="HEAD")
        assert st == 200 and h["content-length"] == str(size), (rng, st, h)
    # several ranges -> multipart/byteranges
    st, h, body = _get(url, {"Range": "bytes=0-9,1000-1009,-5"})
    assert st == 206 and h["content-type"].startswith("multipart/byteranges; boundary="), h
    boundary = h["content-type"].split("boundary=", 1)[1].encode()
    assert int(h["content-length"]) == len(body)
    parts = [x for x in body.split(b"--" + boundary) if x.strip() not in (b"", b"--")]
    assert len(parts) == 3, body[:400]
    for part, (a, b) in zip(parts, [(0, 9), (1000, 1009), (size - 5, size - 1)]):
        head, payload = part.split(b"\r\n\r\n", 1)
        assert b"Content-Range: bytes %d-%d/%d" % (a, b, size) in head, head
        assert payload[:b - a + 1] == data[a:b + 1]
    # If-Range: the current ETag honours the range, another answers 200 whole
    st, h, _ = _get(url, method="HEAD")
    etag = h["etag"]
    st, h, body = _get(url, {"Range": "bytes=10-19", "If-Range": etag})
    assert st == 206 and body == data[10:20]
    st, h, _ = _get(url, {"Range": "bytes=10-19", "If-Range": '"other"'}, method="HEAD")
    assert st == 200 and h["content-length"] == str(size)
    # HEAD with a range: headers only
    st, h, body = _get(url, {"Range": "bytes=0-99"}, method="HEAD")
    assert st == 206 and body == b"" and h["content-length"] == "100"
    # ?file=N picks another file; the largest video file is the default
    st, h, body = _get(url + "?file=2")
    assert st == 200 and body == _file(swarm["p"], "subs/movie.en.srt")
    assert h["content-type"] in ("application/x-subrip", "text/plain")
    st, h, body = _get(url + "?file=0", {"Range": "bytes=0-99"})
    assert st == 206 and body == _file(swarm["p"], "extras/sample.mkv")[:100]
    assert h["content-type"] == "video/x-matroska"
    st, _, _ = _get(url + "?file=9")
    assert st == 404
    st, _, _ = _get(url + "?file=x")
    assert st == 400
    # the gateway sends /api/stream/<key> to the stream-proxy
    path = urllib.parse.urlsplit(url).path
    st, h, _ = _get(base + path, method="HEAD")
    assert st == 307 and h["location"] == url, (st, h)


def test_keys_of_others_expired_forged_and_the_cap(stack, swarm, pg):
    base, tok, source, admin = _setup(stack, swarm, pg, extra={"STREAM_SESSIONS_PER_USER": "1"})
    url = _url(base, tok, source)
    u = urllib.parse.urlsplit(url)
    forged = "%s://%s/api/stream/%s" % (u.scheme, u.netloc, base64.urlsafe_b64encode(
        os.urandom(32)).decode().rstrip("="))
    st, _, body = _get(forged, {"Range": "bytes=0-9"})
    assert st == 401 and json.loads(body)["code"], body
    st, _, _ = _get("%s://%s/api/stream/short" % (u.scheme, u.netloc))
    assert st == 401
    # a bearer token on /api/stream/source/<id>
    st, _, body = _get("%s://%s/api/stream/source/%d" % (u.scheme, u.netloc, source),
                       {"Range": "bytes=0-9", **auth_header(tok)})
    assert st == 206 and body == _file(swarm["p"], "movie.mp4")[:10]
    st, _, _ = _get("%s://%s/api/stream/source/%d" % (u.scheme, u.netloc, source),
                    {"Range": "bytes=0-9"})
    assert st == 401
    # the per-user cap (1 here): a second source of the same user streaming at once -> 429
    # (the same source again is the same session)
    slow = socket.create_connection((u.hostname, u.port))
    try:
        slow.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % u.path).encode())
        slow.settimeout(10)
        assert slow.recv(12).startswith(b"HTTP/1.1 200")
        st, _, body = _get(url, {"Range": "bytes=0-9"})
        assert st == 206  # same source, same session
        # a second source for the same user
        r = call(base, "POST", "/api/movies", {"imdbId": "tt%07d" % random.randint(1000000, 9999999),
                                               "title": "Other"}, auth_header(admin))
        assert r.status == 201
        other = hashlib.sha1(os.urandom(8)).hexdigest()
        r = call(base, "POST", "/api/movies/%d/sources" % r.json["id"],
                 {"magnet": "magnet:?xt=urn:btih:" + other}, auth_header(admin))
        assert r.status == 201, r
        st, h, body = _get(_url(base, tok, r.json["id"]))
        assert st == 429 and h.get("retry-after"), (st, body)
    finally:
        slow.close()
    # the client's disconnect ends its session at once
    wait_until(lambda: call(base, "GET", "/api/stream/sessions", None,
                            auth_header(tok)).json.get("results") == [], 5,
               what="the session gone with its client")
    # a logged-out session's access token stops working on /api/stream/source/<id> too (the
    # stream-proxy polls the revocation feed, REVOCATION_POLL = 200 ms here)
    src_url = "%s://%s/api/stream/source/%d" % (u.scheme, u.netloc, source)
    assert _get(src_url, {"Range": "bytes=0-9", **auth_header(tok)})[0] == 206
    assert call(base, "POST", "/api/auth/logout", b"", auth_header(tok)).status == 204
    wait_until(lambda: _get(src_url, {"Range": "bytes=0-9", **auth_header(tok)})[0] == 401, 5,
               what="the revoked token refused by the stream-proxy")


def _kill_serving(stack, url, size, admin):
    """Read the whole file while SIGKILLing the worker serving it, a third of the way in;
    return (sha256 of the body, its length, what was killed)."""
    h = hashlib.sha256()
    n = 0
    killed = []
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    c.request("GET", u.path)
    r = c.getresponse()
    assert r.status == 200
    while True:
        chunk = r.read(1024 * 1024)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
        if not killed and n >= size // 3:
            st = call(stack.gateway_url, "GET", "/api/stream/sessions", None, auth_header(admin))
            serving = st.json["results"][0]["worker"]
            name = {d.env.get("WORKER_ID"): k for k, d in stack.daemons.items()}[serving]
            stack.daemons[name].kill9()
            killed.append((name, n))
    c.close()
    return h.hexdigest(), n, killed


@pytest.mark.parametrize("mode", list(MODES))
def test_worker_killed_mid_transfer_loses_no_byte(stack, big, pg, request, mode):
    base, tok, source, admin = _setup(stack, big, pg, workers=2, extra=MODES[mode])
    url = _url(base, tok, source)
    p = big["p"]
    path = p.path_of("stream-big.mp4")
    size = path.stat().st_size
    t0 = time.monotonic()
    digest, n, killed = _kill_serving(stack, url, size, admin)
    assert killed, "no worker was killed"
    name, at = killed[0]
    report(request, "failover", "%s: 256 MiB: killed %s (SIGKILL) after %d bytes; got %d of %d "
           "in %.1f s" % (mode, name, at, n, size, time.monotonic() - t0))
    assert n == size
    assert digest == p.sha256["stream-big.mp4"]
    _check_mode(stack, mode, ("worker-1", "worker-2"))
