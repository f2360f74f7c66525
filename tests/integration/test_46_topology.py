"""The scaled topology of issue 7 proved with processes: three torrent workers and the
stream-proxy on loopback (with auth, discovery and the gateway), and the worker's drain on
SIGTERM.

The swarm (module fixture): a real opentracker and one aria2 seeding fourteen single-file
torrents on 127.0.0.1 (DHT, LPD, PEX off): six of 8 MiB ("A", streamed) and eight of 1 MiB
("B", the new torrents after a worker joins). Their info-hashes are fixed (deterministic
payloads), and strm_pool.c's rendezvous score is recomputed here (test_43's _score): the
fixture checks that A spreads over all three workers and that a fourth worker wins about a
quarter of B, so every placement below is checked exactly, torrent by torrent.

A client "pauses" a stream by not reading: with a 16 KiB receive buffer and a 256 KiB credit
window (STREAM_CREDIT_WINDOW) the worker stays a few MiB ahead at most, so an 8 MiB stream is
still open at its worker while the test kills, drains or adds one; then the client reads to
the end and the body's sha256 must be the file's.

  - 6 torrents streamed at once (two users): every request for a torrent, and every read in
    the workers' logs, is on its rendezvous winner; the six spread over the three workers.
  - A fourth worker joins: of eight new torrents exactly those it wins go to it (2 of 8 here),
    the others to their old winner; no running stream moves (two of them have w4 as their new
    winner), and every running stream then completes byte for byte.
  - kill -9 of a worker serving two streams: both continue on the next worker in rendezvous
    order, every byte correct.
  - SIGTERM of a worker serving two streams: it logs its drain, the proxy CLOSEs its reads and
    moves them to the next worker in rendezvous order, the worker exits 0 because it has no
    read left (before WORKER_DRAIN_TIMEOUT), the clients see 200 and every byte.
  - A draining worker with no other worker live keeps its stream and gets no new torrent
    (503 no_worker; then, once a second worker joins, a torrent whose winner is the draining
    one goes to the new one); a second SIGTERM stops it at once, and its stream continues on
    the new worker byte for byte.
  - The drain on the pool protocol, with a fake proxy (no swarm: a read with no peer stays
    open): WORKER_DRAIN_TIMEOUT=0 stops at once as before; draining, HEARTBEAT and STATUS say
    so, OPEN of a new torrent is refused "draining", of a held one answered, METADATA and
    SCRAPE get a bare UNAVAILABLE, and the worker exits 0 when its last read is CLOSEd; at the
    deadline it exits 0 with READ_END SHUTDOWN; a second SIGTERM stops it at once."""
import base64
import hashlib
import os
import random
import re
import shutil
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgpack
import pytest

from authlib import ADMIN_EMAIL, ADMIN_PASSWORD, auth_header, call, create_user, login_ok, q
from btswarm import Aria2, Netns, OpenTracker, ProcSet, make_payload
from conftest import BIN, ERROR, HEARTBEAT, READY, TORRENT, FakePool, report, wait_until
from test_33_worker_stream import CLOSE, METADATA, OPEN, OPEN_OK, READ, STATUS, STATUS_OK, \
    Proxy
from test_40_streaming import _get, _url
from test_43_stream_limits import Stream, _rendezvous, _sessions, _workers

CLI = BIN / "torrent-worker"
KiB = 1024
MiB = 1024 * 1024
SCRAPE = 5
ERR_UNAVAILABLE, ERR_SHUTDOWN = 6, 15
W3 = ["w1", "w2", "w3"]
W4 = W3 + ["w4"]
A_SIZE = 8 * MiB  # a paused stream stays open at its worker (a few MiB ahead at most)
B_SIZE = 1 * MiB
PAUSE_AT = 256 * KiB  # read before the event, then nothing until it is over
RCVBUF = 16 * KiB
DRAIN = "20s"  # WORKER_DRAIN_TIMEOUT of the stacks
EXTRA = {"STREAM_SESSIONS_PER_USER": "16", "STREAM_CREDIT_WINDOW": "262144",
         "STREAM_STALL_TIMEOUT": "300s", "WORKER_DRAIN_TIMEOUT": DRAIN}


# --- the swarm ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def swarm():
    if not CLI.is_file():
        pytest.skip("%s is missing (make SANITIZER=address,undefined all)" % CLI)
    for tool in ("opentracker", "aria2c"):
        if not shutil.which(tool):
            pytest.skip("%s is not installed (scripts/bootstrap.sh)" % tool)
    a = [make_payload("topo-a-%d" % i, [("movie-%d.mp4" % i, A_SIZE + 1000 * i)], 256 * KiB,
                      seed="topo-a-%d" % i) for i in range(6)]
    b = [make_payload("topo-d-%d" % i, [("clip-%d.mp4" % i, B_SIZE + 777 * i)], 256 * KiB,
                      seed="topo-d-%d" % i) for i in range(8)]
    # the placements the tests check must say something
    assert {_rendezvous(W3, p.hex) for p in a} == set(W3), "A does not spread over 3 workers"
    assert any(_rendezvous(W4, p.hex) == "w4" for p in a), "no running stream would go to w4"
    to_w4 = sum(_rendezvous(W4, p.hex) == "w4" for p in b)
    assert 1 <= to_w4 <= len(b) // 2, "w4 wins %d of %d new torrents" % (to_w4, len(b))
    work = Path(tempfile.mkdtemp(prefix="marquee-topo-", dir="/tmp"))
    os.chmod(work, 0o755)
    ns = Netns(enable=False)  # the daemons must reach the seeder on the host's 127.0.0.1
    procs = ProcSet(ns, work / "logs")
    try:
        tracker = OpenTracker(ns, procs, work, [p.hex for p in a + b])
        aria = Aria2(ns, procs, work, [tracker.http_url])
        torrents = {}
        gids = []
        for p in a + b:
            torrents[p.hex] = p.write_torrent(work / ("%s.torrent" % p.name), tracker.http_url)
            gids.append(aria.seed(p, torrents[p.hex]))
        for gid in gids:
            aria.wait_seeding(gid)
        for p in a + b:
            wait_until(lambda: tracker.scrape_http(p.info_hash)[0] >= 1, 15,
                       what="aria2 seeding %s at the tracker" % p.name)
        yield {"a": a, "b": b, "torrents": torrents}
    finally:
        problems = procs.stop_all()
        ns.close()
        shutil.rmtree(work, ignore_errors=True)
    assert not problems, "\n".join(problems)


# --- helpers --------------------------------------------------------------------------------

def _rel(p):
    return p.files[0][0]


def _sha(p):
    return p.sha256[_rel(p)]


def _setup(stack, swarm, pg, workers=3, payloads=None):
    """The stack with `workers` workers; a movie and a .torrent source for each payload.
    Returns (gateway, admin token, {source id: payload}, [user tokens])."""
    stack.start_core(workers=workers, gateway_env={"RATE_LIMIT_API": "off",
                                                   "RATE_LIMIT_LOGIN": "off",
                                                   "RATE_LIMIT_LOGIN_ACCOUNT": "off"},
                     extra_env=EXTRA)
    base = stack.gateway_url
    q(pg.url, "TRUNCATE movies CASCADE")
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    sources = {}
    for p in payloads if payloads is not None else swarm["a"] + swarm["b"]:
        r = call(base, "POST", "/api/movies", {"imdbId": "tt%07d" % random.randint(1000000,
                                                                                  9999999),
                                               "title": p.name}, auth_header(admin))
        assert r.status == 201, r
        tb = base64.b64encode(Path(swarm["torrents"][p.hex]).read_bytes()).decode()
        r = call(base, "POST", "/api/movies/%d/sources" % r.json["id"], {"torrent": tb},
                 auth_header(admin))
        assert r.status == 201, r
        sources[r.json["id"]] = p
    users = []
    for _ in range(2):
        u, pw = create_user(base, admin)
        users.append(login_ok(base, u["email"], pw)["accessToken"])
    return base, admin, sources, users


def _sid(sources, p):
    return next(s for s, x in sources.items() if x is p)


def _parallel(fn, items):
    """fn(item) for every item at once (threads); the results in order."""
    with ThreadPoolExecutor(max_workers=len(items)) as ex:
        return list(ex.map(fn, items))


def _open_paused(base, tok, sources, payloads):
    """A stream per payload, all opened at once, PAUSE_AT bytes read and checked, then left
    unread: {source id: Stream}."""
    urls = {_sid(sources, p): _url(base, tok, _sid(sources, p)) for p in payloads}

    def one(sid):
        try:
            return Stream(urls[sid], rcvbuf=RCVBUF, timeout=60)
        except Exception as e:  # noqa: BLE001 (reported with the others' cleanup)
            return e
    opened = dict(zip(urls, _parallel(one, list(urls))))
    streams = {sid: s for sid, s in opened.items() if isinstance(s, Stream)}
    try:
        for sid, s in opened.items():
            p = sources[sid]
            assert isinstance(s, Stream), "%s: %r" % (p.name, s)
            assert s.status == 200 and s.length == p.total, (p.name, s.status, s.headers)
            s.read(PAUSE_AT - len(s.body), timeout=60)
            data = p.path_of(_rel(p)).read_bytes()
            assert bytes(s.body) == data[:len(s.body)], "%s: the first bytes differ" % p.name
    except BaseException:
        for s in streams.values():
            s.close()
        raise
    return streams


def _ranges(base, tok, sources, payloads, first, last):
    """GET bytes=first-last of every payload at once; each must be 206 with the file's bytes."""
    urls = [_url(base, tok, _sid(sources, p)) for p in payloads]
    got = _parallel(lambda u: _get(u, {"Range": "bytes=%d-%d" % (first, last)}), urls)
    for p, (st, h, body) in zip(payloads, got):
        data = p.path_of(_rel(p)).read_bytes()
        assert st == 206 and body == data[first:last + 1], (p.name, st, h, body[:200])


def _placed(base, tok):
    """{source id: worker} of the user's sessions."""
    return {x["sourceId"]: x["worker"] for x in _sessions(base, tok)}


def _finish(streams, sources):
    """Read every stream to its end; each body must be its file, byte for byte."""
    for sid, s in streams.items():
        p = sources[sid]
        try:
            s.read(p.total - len(s.body), timeout=120)
        finally:
            s.close()
        assert len(s.body) == p.total, "%s: %d of %d bytes" % (p.name, len(s.body), p.total)
        assert hashlib.sha256(s.body).hexdigest() == _sha(p), "%s: sha256 differs" % p.name


def _mid_transfer(base, tok, streams, sources):
    """Every stream is still open at its worker: what the worker sent is at most the credit
    window (256 KiB) past what the proxy served, and that is a MiB short of the file."""
    served = {x["sourceId"]: x["bytesServed"] for x in _sessions(base, tok)}
    for sid in streams:
        assert served[sid] + MiB < sources[sid].total, \
            "%s was served whole before the event (%d bytes): the test proves nothing" \
            % (sources[sid].name, served[sid])
    return served


def _reads_of(daemon, p):
    """READs of torrent p in a worker's log."""
    return len(re.findall(r" read \d+ of %s file " % p.hex, daemon.text()))


def _daemon(stack, worker_id):
    return next(d for d in stack.daemons.values() if d.env.get("WORKER_ID") == worker_id)


def _wait_exit(d, timeout):
    """Wait for a daemon to exit on its own; its exit code and the seconds it took."""
    t0 = time.monotonic()
    try:
        d.proc.wait(timeout)
    except Exception:
        raise AssertionError("%s did not exit within %d s:\n%s"
                             % (d.name, timeout, d.text()[-3000:]))
    return d.proc.returncode, time.monotonic() - t0


def _new_worker(stack, worker_id, env=None):
    return stack.spawn("worker-%s" % worker_id, "torrent-worker",
                       {"STREAM_POOL_ENDPOINT": stack.daemons["stream-proxy"].ready["pool"],
                        "WORKER_ID": worker_id, **EXTRA, **(env or {})})


# --- 1 + 3. placement, and a worker added ---------------------------------------------------

def test_six_streams_on_their_rendezvous_winners_then_a_fourth_worker(stack, swarm, pg,
                                                                      request):
    t0 = time.monotonic()
    base, admin, sources, (tok, tok2) = _setup(stack, swarm, pg)
    a, b = swarm["a"], swarm["b"]
    assert sorted(w["id"] for w in _workers(base, admin)) == W3
    want = {_sid(sources, p): _rendezvous(W3, p.hex) for p in a}
    streams = _open_paused(base, tok, sources, a)
    try:
        # six at once: each on its winner, spread over the three
        placed = _placed(base, tok)
        assert placed == want, "placement %r, rendezvous says %r" % (placed, want)
        assert set(placed.values()) == set(W3)
        # a second user's request for each torrent, a range in the middle, lands there too
        _ranges(base, tok2, sources, a, 3000000, 3999999)
        for p in a:
            win = _rendezvous(W3, p.hex)
            reads = {w: _reads_of(_daemon(stack, w), p) for w in W3}
            assert reads[win] >= 2 and sum(reads.values()) == reads[win], \
                "%s: reads by worker %r, its winner is %s" % (p.name, reads, win)
        report(request, "topology", "6 streams at once: %s" % sorted(
            (sources[s].name, w) for s, w in placed.items()))

        # a fourth worker joins while the six stream
        _mid_transfer(base, tok, streams, sources)
        w4 = _new_worker(stack, "w4")
        wait_until(lambda: sorted(w["id"] for w in _workers(base, admin)) == W4, 15,
                   what="w4 in the pool")
        _ranges(base, tok2, sources, b, 0, 65535)  # the new torrents, all at once
        got = {}
        for p in b:
            reads = {w: _reads_of(_daemon(stack, w), p) for w in W4}
            on = [w for w, n in reads.items() if n]
            assert len(on) == 1, "%s read on %r" % (p.name, reads)
            got[p.name] = on[0]
        exp = {p.name: _rendezvous(W4, p.hex) for p in b}
        assert got == exp, "new torrents went to %r, rendezvous says %r" % (got, exp)
        to_w4 = sorted(n for n, w in got.items() if w == "w4")
        assert to_w4 == sorted(p.name for p in b if _rendezvous(W4, p.hex) == "w4")
        # no running stream moved, not even those whose winner is now w4
        assert _placed(base, tok) == want, "a running stream moved when w4 joined"
        assert all(_reads_of(w4, p) == 0 for p in a)
        report(request, "topology", "w4 joined: %d of %d new torrents went to it (%s); the "
               "running streams whose new winner is w4 stayed: %s"
               % (len(to_w4), len(b), ", ".join(to_w4),
                  [p.name for p in a if _rendezvous(W4, p.hex) == "w4"]))
        _finish(streams, sources)
    finally:
        for s in streams.values():
            s.close()
    report(request, "topology", "placement and scale-out: %.1f s" % (time.monotonic() - t0))


# --- 2. kill -9 ------------------------------------------------------------------------------

def test_killed_worker_streams_continue_on_the_next(stack, swarm, pg, request):
    t0 = time.monotonic()
    a = swarm["a"]
    base, admin, sources, (tok, _) = _setup(stack, swarm, pg, payloads=a)
    victim = _rendezvous(W3, a[0].hex)
    rest = [w for w in W3 if w != victim]
    streams = _open_paused(base, tok, sources, a)
    try:
        before = _placed(base, tok)
        moving = sorted(s for s, w in before.items() if w == victim)
        assert len(moving) == 2, before
        _mid_transfer(base, tok, streams, sources)
        _daemon(stack, victim).kill9()
        want = dict(before)
        want.update({s: _rendezvous(rest, sources[s].hex) for s in moving})
        wait_until(lambda: _placed(base, tok) == want, 15,
                   what="the killed worker's streams on the next worker")
        _finish(streams, sources)
    finally:
        for s in streams.values():
            s.close()
    assert "died under stream" in stack.daemons["stream-proxy"].text()
    report(request, "topology", "kill -9 %s: %s moved to %s, 6 bodies intact; %.1f s"
           % (victim, [sources[s].name for s in moving], [want[s] for s in moving],
              time.monotonic() - t0))


# --- 4. SIGTERM: the drain -------------------------------------------------------------------

def test_sigterm_moves_streams_and_the_worker_exits(stack, swarm, pg, request):
    t0 = time.monotonic()
    a = swarm["a"]
    base, admin, sources, (tok, _) = _setup(stack, swarm, pg, payloads=a)
    victim = _rendezvous(W3, a[0].hex)
    rest = [w for w in W3 if w != victim]
    vd = _daemon(stack, victim)
    streams = _open_paused(base, tok, sources, a)
    try:
        before = _placed(base, tok)
        moving = sorted(s for s, w in before.items() if w == victim)
        assert len(moving) == 2, before
        _mid_transfer(base, tok, streams, sources)
        vd.send_signal(signal.SIGTERM)
        rc, secs = _wait_exit(vd, 20 + 15)
        assert rc == 0, vd.text()[-3000:]
        want = dict(before)
        want.update({s: _rendezvous(rest, sources[s].hex) for s in moving})
        assert _placed(base, tok) == want, "the drained streams are not on the next worker"
        _finish(streams, sources)
    finally:
        for s in streams.values():
            s.close()
    log = vd.text()
    assert "draining: no new torrent; 2 reads to hand over" in log, log[-3000:]
    assert "draining: no read left" in log and "drained: stopping" in log, log[-3000:]
    assert "time is up" not in log, "the worker waited for its deadline:\n" + log[-3000:]
    assert log.count(" closed after ") >= 2, "the proxy did not CLOSE the reads first"
    px = stack.daemons["stream-proxy"].text()
    assert "worker %s is draining" % victim in px
    assert px.count("worker %s drains under stream" % victim) == 2, px[-3000:]
    assert "died under stream" not in px, "a stream was not moved before the worker left"
    report(request, "topology", "SIGTERM %s: %s moved to %s; it exited 0 after %.2f s "
           "(WORKER_DRAIN_TIMEOUT %s); 6 bodies intact; %.1f s"
           % (victim, [sources[s].name for s in moving], [want[s] for s in moving], secs, DRAIN,
              time.monotonic() - t0))


def test_draining_alone_keeps_its_stream_and_takes_no_new_torrent(stack, swarm, pg, request):
    t0 = time.monotonic()
    a = swarm["a"]
    # a[1] streams; a[2] is asked while w1 drains alone; a[0]'s winner over {w1, w2} is w1
    assert _rendezvous(["w1", "w2"], a[0].hex) == "w1"
    base, admin, sources, (tok, tok2) = _setup(stack, swarm, pg, workers=1,
                                               payloads=a[:3])
    w1 = stack.daemons["worker-1"]
    sp = stack.daemons["stream-proxy"]
    s1 = _sid(sources, a[1])
    streams = _open_paused(base, tok, sources, [a[1]])
    try:
        _mid_transfer(base, tok, streams, sources)
        w1.send_signal(signal.SIGTERM)
        wait_until(lambda: "1 streams stay on it" in sp.text(), 10,
                   what="the proxy keeping the stream on the only worker")
        wait_until(lambda: [w["draining"] for w in _workers(base, admin)] == [True], 10,
                   what="w1 listed as draining")
        # a new torrent: no worker takes it (w1 hears nothing of it)
        st, h, body = _get(_url(base, tok2, _sid(sources, a[2])), {"Range": "bytes=0-9"})
        assert st == 503 and b"no_worker" in body, (st, h, body[:300])
        assert a[2].hex not in w1.text()
        # a second worker joins: a torrent whose winner is w1 goes to w2
        w2 = _new_worker(stack, "w2")
        wait_until(lambda: len(_workers(base, admin)) == 2, 15, what="w2 in the pool")
        data = a[0].path_of(_rel(a[0])).read_bytes()
        st, h, body = _get(_url(base, tok2, _sid(sources, a[0])), {"Range": "bytes=0-65535"})
        assert st == 206 and body == data[:65536], (st, h)
        assert _reads_of(w2, a[0]) >= 1 and a[0].hex not in w1.text()
        assert w1.alive(), "w1 stopped before the checks: nothing was proved while it drained"
        assert _placed(base, tok) == {s1: "w1"}, "the stream left w1 before it stopped"
        # a second SIGTERM: it stops at once, and its stream goes on on w2
        w1.send_signal(signal.SIGTERM)
        rc, secs = _wait_exit(w1, 15)
        assert rc == 0, w1.text()[-3000:]
        wait_until(lambda: _placed(base, tok) == {s1: "w2"}, 15,
                   what="the stream on w2 after w1 stopped")
        _finish(streams, sources)
    finally:
        for s in streams.values():
            s.close()
    log = w1.text()
    assert "SIGTERM received: stopping now" in log and "time is up" not in log, log[-3000:]
    assert "draining: no read left" not in log
    report(request, "topology", "draining alone: kept its stream, 503 for a new torrent, "
           "a2's winner went to w2; second SIGTERM: exit 0 after %.2f s; the stream finished "
           "on w2; %.1f s" % (secs, time.monotonic() - t0))


# --- 5. the drain on the pool protocol (a fake proxy) ----------------------------------------

class DrainProxy(Proxy):
    """test_33's fake proxy, which also keeps the worker's HEARTBEATs."""

    def __init__(self, pool, ident):
        super().__init__(pool, ident)
        self.hbs = []

    def _one(self, f):
        h = msgpack.unpackb(f[1])
        if h[0] == TORRENT and h[2] == HEARTBEAT:
            self.hbs.append(msgpack.unpackb(f[2], strict_map_key=False) if len(f) > 2 else {})
            return
        super()._one(f)

    def draining(self):
        return any(hb.get(6) for hb in self.hbs)


@pytest.fixture(scope="module")
def idle_torrents():
    """Two torrents nobody seeds: a read on them stays open."""
    return [make_payload("topo-idle-%d" % i, [("idle-%d.mp4" % i, 2 * MiB)], 256 * KiB,
                         seed="topo-idle-%d" % i) for i in range(2)]


def _fake(bare, drain):
    pool = FakePool()
    d = bare.spawn("worker", "torrent-worker",
                   {"STREAM_POOL_ENDPOINT": pool.endpoint, "WORKER_ID": "wdrain",
                    "WORKER_DRAIN_TIMEOUT": drain})
    f = pool.wait_for(lambda h: h[0] == TORRENT and h[2] == READY, 10, "READY")
    px = DrainProxy(pool, f[0])
    px.send(HEARTBEAT, {})
    return d, px


def _open_read(px, p, sid=1):
    """OPEN p (its .torrent) and READ it whole: the read waits for peers that never come."""
    proto, msg, body = px.open({1: p.hex, 2: p.torrent_bytes(), 4: 10000})
    assert (proto, msg) == (TORRENT, OPEN_OK), body
    px.read(sid, p.hex, 0, 0, p.total, 1 * MiB)
    px.barrier()
    assert sid not in px.ends, px.ends


def _until_exit(d, px, timeout):
    """Pump the fake pool until the worker exits; (exit code, seconds)."""
    t0 = time.monotonic()
    px.pump(timeout, lambda: not d.alive())
    assert not d.alive(), "%s did not exit within %d s:\n%s" % (d.name, timeout,
                                                               d.text()[-3000:])
    d.proc.wait(5)
    px.pump(0.3)  # what it sent last
    return d.proc.returncode, time.monotonic() - t0


def test_drain_timeout_zero_stops_at_once(bare, idle_torrents, request):
    d, px = _fake(bare, "0")
    try:
        _open_read(px, idle_torrents[0])
        d.send_signal(signal.SIGTERM)
        rc, secs = _until_exit(d, px, 15)
    finally:
        px.pool.close()
    assert rc == 0
    log = d.text()
    assert "SIGTERM received" in log and "main: stopping" in log, log[-2000:]
    assert "draining" not in log and not px.draining(), log[-2000:]
    assert px.ends.get(1, (0,))[0] == ERR_SHUTDOWN, px.ends
    report(request, "drain", "WORKER_DRAIN_TIMEOUT=0: exit 0 %.2f s after SIGTERM" % secs)


def test_drain_refuses_new_work_and_stops_when_its_reads_close(bare, idle_torrents, request):
    held, other = idle_torrents
    d, px = _fake(bare, "60s")
    try:
        _open_read(px, held)
        d.send_signal(signal.SIGTERM)
        assert px.pump(10, px.draining), "no HEARTBEAT with draining"
        proto, msg, body = px.reply(px.request(STATUS, {}), 5)
        assert msg == STATUS_OK and body.get(12) is True, body
        # a new torrent: refused; the held one: answered
        proto, msg, body = px.open({1: other.hex, 2: other.torrent_bytes()})
        assert (msg, body.get(1), body.get(2)) == (ERROR, ERR_UNAVAILABLE, "draining"), body
        proto, msg, body = px.open({1: held.hex})
        assert msg == OPEN_OK, body
        # METADATA and SCRAPE: a bare UNAVAILABLE (the proxy asks the next worker)
        for m, b in ((METADATA, {1: other.magnet()}), (SCRAPE, {1: other.hex,
                                                                2: ["http://127.0.0.1:9/a"]})):
            proto, msg, body = px.reply(px.request(m, b), 5)
            assert (msg, body.get(1), body.get(2, "")) == (ERROR, ERR_UNAVAILABLE, ""), body
        px.pump(1.0)
        assert d.alive(), "the worker stopped with a read open"
        px.send(CLOSE, {1: 1})
        rc, secs = _until_exit(d, px, 15)
    finally:
        px.pool.close()
    assert rc == 0
    log = d.text()
    for line in ("draining: no new torrent; 1 reads to hand over", "OPEN of %s refused: "
                 "draining" % other.hex, "METADATA refused: draining", "read 1 closed after",
                 "draining: no read left", "drained: stopping"):
        assert line in log, "%r not in the log:\n%s" % (line, log[-3000:])
    assert "time is up" not in log
    report(request, "drain", "last read CLOSEd: exit 0 %.2f s later" % secs)


def test_drain_deadline(bare, idle_torrents, request):
    d, px = _fake(bare, "2s")
    try:
        _open_read(px, idle_torrents[0])
        t0 = time.monotonic()
        d.send_signal(signal.SIGTERM)
        rc, _ = _until_exit(d, px, 20)
        secs = time.monotonic() - t0
    finally:
        px.pool.close()
    assert rc == 0
    log = d.text()
    assert "draining for at most 2000 ms" in log and "draining: time is up: stopping" in log, \
        log[-3000:]
    assert px.draining()
    assert px.ends.get(1, (0,))[0] == ERR_SHUTDOWN, px.ends
    report(request, "drain", "WORKER_DRAIN_TIMEOUT=2s with a read open: exit 0 after %.2f s"
           % secs)


def test_second_sigterm_stops_at_once(bare, idle_torrents, request):
    d, px = _fake(bare, "60s")
    try:
        _open_read(px, idle_torrents[0])
        d.send_signal(signal.SIGTERM)
        assert px.pump(10, px.draining), "no HEARTBEAT with draining"
        d.send_signal(signal.SIGTERM)
        rc, secs = _until_exit(d, px, 15)
    finally:
        px.pool.close()
    assert rc == 0
    log = d.text()
    assert "SIGTERM received: stopping now" in log and "time is up" not in log, log[-3000:]
    assert px.ends.get(1, (0,))[0] == ERR_SHUTDOWN, px.ends
    report(request, "drain", "second SIGTERM: exit 0 %.2f s later (WORKER_DRAIN_TIMEOUT 60s)"
           % secs)
