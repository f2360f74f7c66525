"""The limits of the streaming path (issue 5): bounded memory under a slow reader, a client's
disconnect and DELETE /api/stream/sessions/{id} ending the worker's read at once, the 504 of a
torrent without peers, and the rendezvous placement of torrents on a pool of two workers.

Same world as test_40 (its `swarm` fixture: our own `seed` and a real opentracker on the host's
loopback), plus, for the placement test, six small torrents each seeded by its own `seed`.

  - A client reading 10 KiB/s for ~12 s from a 24 MiB file: the RSS of the serving worker and of
    the stream-proxy stays flat (credit window 2 MB + the client's 1 MiB queue + kernel
    buffers), the proxy has not pulled the file ahead of the client, and the bytes are exact.
  - A client that closes mid-body: its session, the proxy's request (`streams` of
    GET /api/workers) and the worker's read (its "read N closed" log line) end within 2 s.
  - DELETE /api/stream/sessions/{id}: another user gets 404 and the stream goes on; the owner
    gets 204, the client sees EOF before the whole body, and the session is gone.
  - A magnet source whose info-hash nobody seeds: 504 JSON after STREAM_OPEN_TIMEOUT (2 s).
  - Two workers, six torrents streamed at once, twice: each torrent lands on the same worker
    both times, on the one rendezvous hashing (strm_pool.c's score, recomputed here) names,
    and both workers get some."""
import base64
import json
import os
import random
import shutil
import socket
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from authlib import auth_header, call, create_user, login_ok
from btswarm import Netns, OpenTracker, ProcSet, TorrentWorker, make_payload
from conftest import BIN, report, wait_until
from test_40_streaming import _get, _setup, _url, swarm  # noqa: F401 (swarm is a fixture)

CLI = BIN / "torrent-worker"
KiB = 1024
MiB = 1024 * 1024
RSS_GROWTH_MAX = 8 * MiB  # credit window 2 MB + client queue 1 MiB + kernel buffers, with room
SIX = 6
SIX_SIZE = 12 * MiB  # > credit + queue + kernel buffers (~5 MiB seen): the streams stay open


# --- helpers --------------------------------------------------------------------------------

def _rss(pid):
    """VmRSS of a running process, bytes."""
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * KiB
    raise AssertionError("no VmRSS for pid %d" % pid)


class Stream:
    """A raw GET on its own socket: headers parsed, the body read at the caller's pace."""

    def __init__(self, url, rcvbuf=None, timeout=20):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((u.hostname, u.port))
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (u.path, u.netloc)).encode())
        self.body = bytearray()
        self.eof = False
        head = b""
        while b"\r\n\r\n" not in head:
            c = self.sock.recv(4096)
            assert c, "the connection closed before the headers: %r" % head
            head += c
            assert len(head) < 65536, head[:200]
        head, rest = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, v in
                        (x.split(":", 1) for x in lines[1:] if ":" in x)}
        self.body += rest

    @property
    def length(self):
        return int(self.headers["content-length"])

    def read(self, n, timeout=10):
        """Read until n more body bytes (or EOF); returns the bytes read."""
        self.sock.settimeout(timeout)
        got = bytearray()
        while len(got) < n:
            c = self.sock.recv(n - len(got))
            if not c:
                self.eof = True
                break
            got += c
        self.body += got
        return bytes(got)

    def read_to_eof(self, timeout=10):
        """Read until the server closes; AssertionError if it does not within `timeout`."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            assert left > 0, "no EOF within %d s (%d bytes read)" % (timeout, len(self.body))
            self.sock.settimeout(left)
            try:
                c = self.sock.recv(256 * KiB)
            except ConnectionResetError:
                self.eof = True
                break
            except socket.timeout:
                continue
            if not c:
                self.eof = True
            self.body += c

    def close(self):
        self.sock.close()


def mib(v):
    return "%.1f" % (v / MiB)


def _sessions(base, tok):
    r = call(base, "GET", "/api/stream/sessions", None, auth_header(tok))
    assert r.status == 200, r
    return r.json["results"]


def _workers(base, admin):
    r = call(base, "GET", "/api/workers", None, auth_header(admin))
    assert r.status == 200, r
    return r.json["workers"]


def _daemon_of(stack, worker_id):
    """The stack's daemon name of the worker whose WORKER_ID is `worker_id`."""
    return {d.env.get("WORKER_ID"): n for n, d in stack.daemons.items()}[worker_id]


def _add_source(base, admin, source):
    """A new movie with one source ({"torrent": b64} or {"magnet": ...}); the source id."""
    r = call(base, "POST", "/api/movies", {"imdbId": "tt%07d" % random.randint(1000000, 9999999),
                                           "title": "Limits"}, auth_header(admin))
    assert r.status == 201, r
    r = call(base, "POST", "/api/movies/%d/sources" % r.json["id"], source, auth_header(admin))
    assert r.status == 201, r
    return r.json["id"]


_M64 = (1 << 64) - 1
_FNV = 1099511628211


def _score(worker_id, info_hash):
    """strm_pool.c's s_score: FNV-1a of worker id, 0xff, lower-case hex, then a fmix64."""
    h = 1469598103934665603
    for c in worker_id.encode():
        h = ((h ^ c) * _FNV) & _M64
    h = ((h ^ 0xff) * _FNV) & _M64
    for c in info_hash.encode():
        h = ((h ^ (c | 0x20)) * _FNV) & _M64
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & _M64
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & _M64
    h ^= h >> 33
    return h


def _rendezvous(workers, info_hash):
    """The worker strm_pool_pick names: the highest score, ties to the smaller id."""
    return sorted(workers, key=lambda w: (-_score(w, info_hash), w))[0]


# --- 1. a slow reader holds bounded memory --------------------------------------------------

def test_slow_reader_memory_stays_flat(stack, swarm, pg, request):  # noqa: F811
    base, tok, source, admin = _setup(stack, swarm, pg)
    data = swarm["p"].path_of("movie.mp4").read_bytes()
    s = Stream(_url(base, tok, source), rcvbuf=64 * KiB)
    try:
        assert s.status == 200 and s.length == len(data), (s.status, s.headers)
        sess = _sessions(base, tok)
        assert len(sess) == 1, sess
        wname = _daemon_of(stack, sess[0]["worker"])
        pids = {"worker": stack.daemons[wname].pid, "proxy": stack.daemons["stream-proxy"].pid}
        samples = {k: [] for k in pids}
        t0 = time.monotonic()
        for i in range(12):
            s.read(10 * KiB)
            assert not s.eof, "EOF after %d bytes" % len(s.body)
            for k, pid in pids.items():
                samples[k].append(_rss(pid))
            time.sleep(max(0.0, t0 + i + 1 - time.monotonic()))
        served = _sessions(base, tok)[0]["bytesServed"]
    finally:
        s.close()
    got = bytes(s.body)
    for k in pids:
        report(request, "limits", "%s RSS MiB per second: %s" % (k, " ".join(map(mib,
                                                                               samples[k]))))
    report(request, "limits", "client read %d bytes in %.1f s; the proxy served %.2f MiB of %.1f"
           % (len(got), time.monotonic() - t0, served / MiB, len(data) / MiB))
    assert got == data[:len(got)], "the slow reader's bytes differ from the file"
    assert len(got) >= 12 * 10 * KiB
    for k in pids:
        growth = samples[k][-1] - samples[k][2]
        assert growth < RSS_GROWTH_MAX, "%s RSS grew %.1f MiB while the client read 10 KiB/s: %s" \
            % (k, growth / MiB, [mib(v) for v in samples[k]])
    # the proxy pulled no more than credit + queue + kernel buffers ahead of the client
    assert served - len(got) < 10 * MiB, "served %d bytes ahead of a client that read %d" \
        % (served - len(got), len(got))


# --- 2. a client's disconnect ends the session and the worker's read ------------------------

def test_disconnect_ends_session_and_worker_read(stack, swarm, pg, request):  # noqa: F811
    base, tok, source, admin = _setup(stack, swarm, pg)
    worker = stack.daemons["worker-1"]
    closed_before = worker.text().count(" closed after ")
    s = Stream(_url(base, tok, source))
    try:
        assert s.status == 200, (s.status, s.headers)
        s.read(64 * KiB)
        assert len(_sessions(base, tok)) == 1
        assert [w["streams"] for w in _workers(base, admin)] == [1]
    finally:
        s.close()
    t0 = time.monotonic()
    state = {}

    def gone():
        state["sessions"] = _sessions(base, tok)
        state["streams"] = [w["streams"] for w in _workers(base, admin)]
        state["closed"] = worker.text().count(" closed after ") - closed_before
        return not state["sessions"] and state["streams"] == [0] and state["closed"] == 1
    try:
        wait_until(gone, 2, what="the session, the proxy's request and the worker's read gone")
    except AssertionError as e:
        raise AssertionError("%s; last seen %r\nworker log:\n%s" % (e, state,
                                                                  worker.text()[-2000:]))
    report(request, "limits", "client close -> session and worker read gone in %.0f ms"
           % ((time.monotonic() - t0) * 1000))


# --- 3. DELETE /api/stream/sessions/{id} cuts the client ------------------------------------

def test_session_end_cuts_the_client(stack, swarm, pg, request):  # noqa: F811
    base, tok, source, admin = _setup(stack, swarm, pg)
    data = swarm["p"].path_of("movie.mp4").read_bytes()
    other, pw = create_user(base, admin)
    other_tok = login_ok(base, other["email"], pw)["accessToken"]
    worker = stack.daemons["worker-1"]
    closed_before = worker.text().count(" closed after ")
    s = Stream(_url(base, tok, source), rcvbuf=64 * KiB)
    try:
        assert s.status == 200 and s.length == len(data), (s.status, s.headers)
        s.read(64 * KiB)
        sess = _sessions(base, tok)
        assert len(sess) == 1, sess
        sid = sess[0]["id"]
        assert _sessions(base, other_tok) == []
        r = call(base, "DELETE", "/api/stream/sessions/%d" % sid, None, auth_header(other_tok))
        assert r.status == 404 and r.json["code"], r
        assert [x["id"] for x in _sessions(base, tok)] == [sid], "another user ended the session"
        s.read(64 * KiB)
        assert not s.eof
        r = call(base, "DELETE", "/api/stream/sessions/%d" % sid, None, auth_header(tok))
        assert r.status == 204, r
        t0 = time.monotonic()
        s.read_to_eof(timeout=10)
        cut = time.monotonic() - t0
    finally:
        s.close()
    got = bytes(s.body)
    report(request, "limits", "DELETE session: EOF %.0f ms later after %d of %d bytes"
           % (cut * 1000, len(got), len(data)))
    assert len(got) < len(data), "the whole body arrived despite the session's end"
    assert got == data[:len(got)]
    wait_until(lambda: _sessions(base, tok) == [], 2, what="the ended session gone")
    wait_until(lambda: worker.text().count(" closed after ") > closed_before, 2,
               what="the worker's read closed after the session's end")
    r = call(base, "DELETE", "/api/stream/sessions/%d" % sid, None, auth_header(tok))
    assert r.status == 404, r


# --- 4. no peers: 504 JSON after the open timeout -------------------------------------------

def test_no_peers_answers_504(stack, swarm, pg, request):  # noqa: F811
    base, tok, _, admin = _setup(stack, swarm, pg, extra={"STREAM_OPEN_TIMEOUT": "2s"})
    lonely = os.urandom(20).hex()
    source = _add_source(base, admin, {"magnet": "magnet:?xt=urn:btih:" + lonely})
    url = _url(base, tok, source)
    t0 = time.monotonic()
    st, h, body = _get(url, {"Range": "bytes=0-99"}, timeout=8)
    took = time.monotonic() - t0
    report(request, "limits", "no peers: %d after %.2f s: %s" % (st, took, body[:160]))
    assert st == 504, (st, h, body[:400])
    assert h["content-type"].startswith("application/json"), h
    doc = json.loads(body)
    assert doc["code"] == "timeout" and doc.get("error"), doc
    assert _sessions(base, tok) == []


# --- 5. two workers: rendezvous placement ---------------------------------------------------

@pytest.fixture(scope="module")
def six():
    """Six single-file torrents of SIX_SIZE bytes, each seeded by its own `seed`."""
    if not CLI.is_file():
        pytest.skip("%s is missing (make SANITIZER=address,undefined all)" % CLI)
    if not shutil.which("opentracker"):
        pytest.skip("opentracker is not installed (scripts/bootstrap.sh)")
    work = Path(tempfile.mkdtemp(prefix="marquee-limits-", dir="/tmp"))
    os.chmod(work, 0o755)
    ns = Netns(enable=False)
    procs = ProcSet(ns, work / "logs")
    problems = []
    try:
        ps = [make_payload("limits-%d" % i, [("movie-%d.mp4" % i, SIX_SIZE + 1000 * i)],
                           256 * KiB, seed="limits-%d" % i) for i in range(SIX)]
        tracker = OpenTracker(ns, procs, work, [p.hex for p in ps])
        tw = TorrentWorker(ns, procs, CLI)
        out = []
        for i, p in enumerate(ps):
            t = p.write_torrent(work / ("limits-%d.torrent" % i), tracker.http_url)
            tw.seed(t, p.root, trackers=[tracker.http_url])
            out.append((p, t))
        yield out
    finally:
        problems = procs.stop_all()
        ns.close()
        shutil.rmtree(work, ignore_errors=True)
    assert not problems, "\n".join(problems)


def test_two_workers_rendezvous_placement(stack, swarm, six, pg, request):  # noqa: F811
    base, tok, _, admin = _setup(stack, swarm, pg, workers=2,
                                 extra={"STREAM_SESSIONS_PER_USER": "8"})
    sources = {}
    for p, t in six:
        tb = base64.b64encode(Path(t).read_bytes()).decode()
        sources[_add_source(base, admin, {"torrent": tb})] = p
    urls = {sid: _url(base, tok, sid) for sid in sources}
    ids = sorted(w["id"] for w in _workers(base, admin))
    assert ids == ["w1", "w2"], ids
    want = {sid: _rendezvous(ids, p.hex) for sid, p in sources.items()}
    assert set(want.values()) == {"w1", "w2"}, "the fixture's torrents all hash to one worker"
    rounds = []
    for n in range(2):
        t0 = time.monotonic()
        streams = []
        try:
            for sid in sources:
                streams.append(Stream(urls[sid], rcvbuf=16 * KiB, timeout=30))
            for s in streams:
                assert s.status == 200, (s.status, s.headers)
            sess = _sessions(base, tok)
            got = {x["sourceId"]: x["worker"] for x in sess}
            served = sorted(x["bytesServed"] for x in sess)
        finally:
            for s in streams:
                s.close()
        rounds.append(got)
        report(request, "limits", "round %d: six streams up in %.2f s, placed %s; served MiB %s"
               % (n + 1, time.monotonic() - t0, sorted(got.items()),
                  ["%.1f" % (b / MiB) for b in served]))
        assert len(sess) == SIX, sess
        wait_until(lambda: _sessions(base, tok) == [], 5, what="six sessions gone")
    assert rounds[0] == rounds[1], "a torrent moved between workers: %r" % rounds
    assert rounds[0] == want, "placement %r, rendezvous says %r" % (rounds[0], want)
    per = {w: sorted(sid for sid, x in want.items() if x == w) for w in ids}
    report(request, "limits", "rendezvous: w1 %d torrents, w2 %d" % (len(per["w1"]),
                                                                    len(per["w2"])))
