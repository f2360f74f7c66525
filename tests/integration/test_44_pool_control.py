"""The stream-proxy's pool requests on its control API (issue 6): stream.METADATA and
stream.SCRAPE, by which source-discovery reaches the torrent workers, sent here straight to the
proxy's control ROUTER over ZeroMQ (python3-zmq + python3-msgpack, independent of our codecs).

World (module): a payload seeded by aria2 (bound to 127.0.0.1, DHT/LPD/PEX off) and announced
to a real opentracker, all on the host's loopback: the workers started by the `bare` stack must
reach them. Each test starts a stream-proxy (no database: auth and discovery are not needed for
these requests) and the workers it needs, real ones and/or fake ones (a DEALER in this process
that registers with READY, heartbeats, records the requests it gets and answers as told).

  - METADATA of the seeded magnet (info-hash given in upper case) -> the .torrent whose info
    dictionary hashes to the info-hash, the worker's name, file count and size.
  - SCRAPE with opentracker's HTTP and UDP URLs -> seeders >= 1, both trackers answered.
  - No worker -> UNAVAILABLE; bad info-hashes, a magnet of another torrent, no tracker ->
    INVALID; a torrent nobody seeds -> the worker's TIMEOUT with its reason.
  - The worker rendezvous hashing names first is a fake: silent -> the real worker answers
    after the timeout plus the margin; it leaves the pool mid-request -> the real worker
    answers at once; an ERROR TIMEOUT without a reason -> the next worker; an ERROR with a
    reason -> passed through as it is.
  - 64 requests in flight on a silent worker: the 65th is BUSY; the 64 end with TIMEOUT, and
    the slots come back (the next request is answered)."""
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import msgpack
import pytest

from btswarm import Aria2, Netns, OpenTracker, ProcSet, TorrentWorker, bdecode, info_hash_of, \
    make_payload, torrent_files
from conftest import BIN, COMMON, ERROR, HEARTBEAT, PING, PONG, READY, STREAM, TORRENT, \
    dealer, header, next_rid, wait_until

CLI = BIN / "torrent-worker"
# stream.toml
WORKERS, WORKERS_OK, METADATA, METADATA_OK, SCRAPE, SCRAPE_OK = 5, 6, 7, 8, 9, 10
# torrent.toml (what the proxy sends to a worker)
T_METADATA, T_METADATA_OK, T_SCRAPE, T_SCRAPE_OK = 3, 4, 5, 6
# cm_status.h
TIMEOUT, UNAVAILABLE, BUSY, INVALID, RATE_LIMITED = 5, 6, 7, 9, 14
INFLIGHT_MAX = 64  # STRM_CONTROL_INFLIGHT_MAX
MARGIN_S = 2.0     # STRM_CONTROL_MARGIN_MS


# --- the world ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world():
    if not CLI.is_file():
        pytest.skip("%s is missing (make SANITIZER=address,undefined all)" % CLI)
    if not shutil.which("opentracker"):
        pytest.skip("opentracker is not installed (scripts/bootstrap.sh)")
    work = Path(tempfile.mkdtemp(prefix="marquee-poolctl-", dir="/tmp"))
    os.chmod(work, 0o755)
    ns = Netns(enable=False)  # host loopback: the stack's workers must reach the seeder
    procs = ProcSet(ns, work / "logs")
    try:
        p = make_payload("pool-control", [("movie.mkv", 2 * 1024 * 1024 + 5),
                                          ("subs/en.srt", 40000)], 256 * 1024)
        tracker = OpenTracker(ns, procs, work, [p.hex])
        torrent = p.write_torrent(work / "pool-control.torrent", tracker.http_url)
        if shutil.which("aria2c"):
            aria = Aria2(ns, procs, work, [tracker.http_url])
            aria.wait_seeding(aria.seed(p, torrent))
        else:  # our own seeder then
            TorrentWorker(ns, procs, CLI).seed(torrent, p.root, trackers=[tracker.http_url])
        wait_until(lambda: tracker.scrape_http(p.info_hash)[0] >= 1, 15,
                   what="the seeder at the tracker")
        yield {"p": p, "tracker": tracker}
    finally:
        procs.stop_all()
        ns.close()
        shutil.rmtree(work, ignore_errors=True)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _proxy(bare, workers=()):
    """A stream-proxy and real workers named `workers` (WORKER_ID); auth and discovery are
    nowhere (these requests need neither)."""
    sp = bare.spawn("stream-proxy", "stream-proxy",
                    {"STREAM_CONTROL_BIND": "tcp://127.0.0.1:*",
                     "STREAM_POOL_BIND": "tcp://127.0.0.1:*",
                     "STREAM_LISTEN": "127.0.0.1:0",
                     "AUTH_ENDPOINT": "tcp://127.0.0.1:%d" % _free_port(),
                     "DISCOVERY_ENDPOINT": "tcp://127.0.0.1:%d" % _free_port()})
    for i, wid in enumerate(workers):
        bare.spawn("worker-%d" % (i + 1), "torrent-worker",
                   {"STREAM_POOL_ENDPOINT": sp.ready["pool"], "WORKER_ID": wid})
    return sp


class Control:
    """A DEALER on the proxy's control endpoint; requests carry a deadline of their own."""

    def __init__(self, endpoint):
        self.sock = dealer(endpoint)
        self.replies = {}

    def send(self, msg, body, timeout):
        rid = next_rid()
        deadline = int(time.time() * 1000) + int(timeout * 1000)
        self.sock.send_multipart([header(STREAM, msg, rid, deadline), msgpack.packb(body)])
        return rid

    def wait(self, rid, timeout):
        """(proto, msg, body) of the reply to `rid`; AssertionError after `timeout` s."""
        end = time.monotonic() + timeout
        while rid not in self.replies:
            left = end - time.monotonic()
            assert left > 0, "no reply to request %d within %.1f s" % (rid, timeout)
            if self.sock.poll(int(min(left, 0.2) * 1000)):
                f = self.sock.recv_multipart()
                h = msgpack.unpackb(f[0])
                self.replies[h[3]] = (h[0], h[2], msgpack.unpackb(f[1], strict_map_key=False))
        return self.replies.pop(rid)

    def request(self, msg, body, timeout=10):
        return self.wait(self.send(msg, body, timeout), timeout + 1)

    def workers(self):
        proto, msg, body = self.request(WORKERS, {}, 3)
        assert (proto, msg) == (STREAM, WORKERS_OK), body
        return body.get(1, [])

    def wait_workers(self, ids, timeout=15):
        wait_until(lambda: set(ids) <= set(self.workers()), timeout,
                   what="workers %s in the pool" % sorted(ids))

    def close(self):
        self.sock.close()


@pytest.fixture
def control():
    made = []

    def make(endpoint):
        c = Control(endpoint)
        made.append(c)
        return c
    yield make
    for c in made:
        c.close()


class FakeWorker:
    """A worker in this process: a DEALER on the pool that sends READY and HEARTBEATs from its
    own thread and records the torrent requests it gets. `answer(msg, body)` returns None (stay
    silent) or (proto, msg, body) to send back."""

    def __init__(self, endpoint, worker_id, answer=None):
        self.endpoint = endpoint
        self.id = worker_id
        self.answer = answer or (lambda msg, body: None)
        self.requests = []  # (torrent msg, body)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-" + worker_id, daemon=True)
        self._thread.start()

    def _run(self):
        s = dealer(self.endpoint)
        try:
            s.send_multipart([header(TORRENT, READY, 0, 0),
                              msgpack.packb({1: self.id, 2: "0.0.0-fake", 3: 8})])
            beat = 0.0
            while not self._stop.is_set():
                if time.monotonic() - beat >= 0.3:
                    s.send_multipart([header(TORRENT, HEARTBEAT, 0, 0), msgpack.packb({})])
                    beat = time.monotonic()
                if not s.poll(50):
                    continue
                f = s.recv_multipart()
                h = msgpack.unpackb(f[0])
                body = msgpack.unpackb(f[1], strict_map_key=False) if len(f) > 1 else {}
                if h[0] == COMMON and h[2] == PING:
                    s.send_multipart([header(COMMON, PONG, h[3], 0), msgpack.packb({})])
                if h[0] != TORRENT or h[2] not in (T_METADATA, T_SCRAPE):
                    continue
                self.requests.append((h[2], body))
                out = self.answer(h[2], body)
                if out:
                    s.send_multipart([header(out[0], out[1], h[3], 0), msgpack.packb(out[2])])
        finally:
            s.close()

    def leave(self):
        """Stop and close the connection (the proxy sees it close)."""
        self._stop.set()
        self._thread.join(5)
        assert not self._thread.is_alive()


@pytest.fixture
def fakes():
    made = []

    def make(*a, **kw):
        f = FakeWorker(*a, **kw)
        made.append(f)
        return f
    yield make
    for f in made:
        f.leave()


def _score(worker_id, info_hash):
    """strm_pool.c's s_score (as in test_43): FNV-1a of id, 0xff, hex, then a fmix64."""
    m64, fnv = (1 << 64) - 1, 1099511628211
    h = 1469598103934665603
    for c in worker_id.encode():
        h = ((h ^ c) * fnv) & m64
    h = ((h ^ 0xff) * fnv) & m64
    for c in info_hash.encode():
        h = ((h ^ (c | 0x20)) * fnv) & m64
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & m64
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & m64
    h ^= h >> 33
    return h


def _first_before(other, info_hash, prefix="fake"):
    """A worker id that rendezvous hashing puts before `other` for `info_hash`."""
    for i in range(1000):
        wid = "%s-%d" % (prefix, i)
        if _score(wid, info_hash) > _score(other, info_hash):
            return wid
    raise AssertionError("no id beats %s" % other)


def _magnet(world):
    return world["p"].magnet([world["tracker"].http_url])


def _check_torrent(world, body, worker):
    p = world["p"]
    assert body[1] == p.hex, body[1]
    tor = body[2]
    assert info_hash_of(tor) == p.hex
    assert torrent_files(tor) == (p.name, p.files)
    assert bdecode(tor)[b"announce"].decode() == world["tracker"].http_url
    assert body[3] == worker and body[4] == p.name and body[5] == 2 and body[6] == p.total


# --- the requests ---------------------------------------------------------------------------

def test_metadata_from_a_seeder(world, bare, control):
    sp = _proxy(bare, ["w1"])
    c = control(sp.ready["rpc"])
    c.wait_workers(["w1"])
    t0 = time.monotonic()
    proto, msg, body = c.request(METADATA, {1: world["p"].hex.upper(), 2: _magnet(world),
                                            3: 20000}, 25)
    assert (proto, msg) == (STREAM, METADATA_OK), body
    _check_torrent(world, body, "w1")
    print("[pool-control] METADATA through the proxy in %.2f s" % (time.monotonic() - t0))


def test_scrape_of_the_tracker(world, bare, control):
    sp = _proxy(bare, ["w1"])
    c = control(sp.ready["rpc"])
    c.wait_workers(["w1"])
    tr = world["tracker"]
    proto, msg, body = c.request(SCRAPE, {1: world["p"].hex, 2: [tr.http_url, tr.udp_url],
                                          3: 5000}, 12)
    assert (proto, msg) == (STREAM, SCRAPE_OK), body
    assert body[1] >= 1, body
    assert body.get(2, 0) >= 0 and body.get(3, 0) >= 0
    assert body[4] == 2 and body[5] == 2 and body[6] == "w1", body
    # a dead tracker alone: the worker's error and its reason, passed through
    proto, msg, body = c.request(SCRAPE, {1: world["p"].hex, 2: ["udp://127.0.0.1:9/announce"],
                                          3: 1000}, 8)
    assert (proto, msg) == (COMMON, ERROR) and body[1] == UNAVAILABLE, body
    assert "no tracker answered" in body[2], body


def test_no_worker_is_unavailable(world, bare, control):
    sp = _proxy(bare)
    c = control(sp.ready["rpc"])
    for m, b in ((METADATA, {1: world["p"].hex, 2: _magnet(world)}),
                 (SCRAPE, {1: world["p"].hex, 2: [world["tracker"].http_url]})):
        t0 = time.monotonic()
        proto, msg, body = c.request(m, b, 5)
        assert (proto, msg) == (COMMON, ERROR) and body[1] == UNAVAILABLE, body
        assert "no torrent worker" in body[2], body
        assert time.monotonic() - t0 < 2


def test_bad_requests_are_invalid(world, bare, control):
    sp = _proxy(bare, ["w1"])
    c = control(sp.ready["rpc"])
    c.wait_workers(["w1"])
    hexh = world["p"].hex
    other = "ab" * 20
    cases = [
        (METADATA, {1: "xyz"}),
        (METADATA, {1: hexh[:39]}),
        (METADATA, {1: hexh[:39] + "g"}),
        (METADATA, {1: "z" * 40}),
        (METADATA, {1: "YTXEJQWP3YM7QGDZ2GRPV3WT3SR6KBL4"}),  # base32: not accepted here
        (METADATA, {2: _magnet(world)}),                        # no info_hash at all
        (METADATA, {1: other, 2: _magnet(world)}),              # a magnet of another torrent
        (METADATA, {1: hexh, 2: "http://example.org/x.torrent"}),
        (SCRAPE, {1: "xyz", 2: [world["tracker"].http_url]}),
        (SCRAPE, {1: hexh}),                                    # no tracker
        (SCRAPE, {1: hexh, 2: ["u" * 1025]}),                   # over item_max
    ]
    for m, b in cases:
        proto, msg, body = c.request(m, b, 5)
        assert (proto, msg) == (COMMON, ERROR) and body[1] == INVALID, (b, body)
    # none of them reached the worker, and the proxy still serves
    assert c.workers() == ["w1"]


def test_metadata_nobody_has_times_out(world, bare, control):
    sp = _proxy(bare, ["w1"])
    c = control(sp.ready["rpc"])
    c.wait_workers(["w1"])
    unknown = os.urandom(20).hex()
    magnet = "magnet:?xt=urn:btih:%s&tr=%s" % (unknown, world["tracker"].http_url)
    t0 = time.monotonic()
    proto, msg, body = c.request(METADATA, {1: unknown, 2: magnet, 3: 1500}, 10)
    secs = time.monotonic() - t0
    assert (proto, msg) == (COMMON, ERROR) and body[1] == TIMEOUT, body
    assert "no metadata after" in body[2], body  # the worker's own reason
    assert 1.0 < secs < 1.5 + MARGIN_S + 2, secs


# --- other workers ----------------------------------------------------------------------------

def _fake_first(world, bare, control, fakes, answer=None):
    """The proxy, real worker w1 and a fake that rendezvous hashing asks first."""
    sp = _proxy(bare, ["w1"])
    c = control(sp.ready["rpc"])
    fid = _first_before("w1", world["p"].hex)
    fake = fakes(sp.ready["pool"], fid, answer)
    c.wait_workers(["w1", fid])
    return c, fake


def test_silent_worker_then_the_next(world, bare, control, fakes):
    c, fake = _fake_first(world, bare, control, fakes)
    t0 = time.monotonic()
    proto, msg, body = c.request(METADATA, {1: world["p"].hex, 2: _magnet(world), 3: 5000}, 25)
    secs = time.monotonic() - t0
    assert (proto, msg) == (STREAM, METADATA_OK), body
    _check_torrent(world, body, "w1")
    # the fake got it first (with the timeout asked), then w1 after timeout + margin
    assert [r[0] for r in fake.requests] == [T_METADATA]
    assert fake.requests[0][1] == {1: _magnet(world), 2: 5000}
    assert secs >= 5.0 + MARGIN_S - 0.2, secs


def test_worker_leaving_moves_on_at_once(world, bare, control, fakes):
    c, fake = _fake_first(world, bare, control, fakes)
    t0 = time.monotonic()
    rid = c.send(METADATA, {1: world["p"].hex, 2: _magnet(world), 3: 30000}, 40)
    wait_until(lambda: fake.requests, 5, what="the request at the fake worker")
    fake.leave()
    proto, msg, body = c.wait(rid, 20)
    secs = time.monotonic() - t0
    assert (proto, msg) == (STREAM, METADATA_OK), body
    _check_torrent(world, body, "w1")
    assert secs < 12, secs  # not the 32 s of a timeout


def test_worker_errors(world, bare, control, fakes):
    said = {}

    def answer(msg, body):
        return (COMMON, ERROR, said["error"])
    c, fake = _fake_first(world, bare, control, fakes, answer)
    hexh, tr = world["p"].hex, world["tracker"]
    # an error with a reason is the answer, as the worker gave it
    said["error"] = {1: RATE_LIMITED, 2: "the fake says no"}
    proto, msg, body = c.request(SCRAPE, {1: hexh, 2: [tr.http_url]}, 8)
    assert (proto, msg) == (COMMON, ERROR), body
    assert (body[1], body[2]) == (RATE_LIMITED, "the fake says no"), body
    # TIMEOUT or UNAVAILABLE without a reason: "not me, not now": the next worker answers
    for status in (TIMEOUT, UNAVAILABLE):
        said["error"] = {1: status}
        proto, msg, body = c.request(SCRAPE, {1: hexh, 2: [tr.http_url], 3: 3000}, 10)
        assert (proto, msg) == (STREAM, SCRAPE_OK), body
        assert body[6] == "w1" and body[1] >= 1, body
    assert [r[0] for r in fake.requests] == [T_SCRAPE] * 3
    # what the worker got: the lower-case hash, the trackers, the timeout (0: 10 s)
    assert fake.requests[0][1] == {1: hexh, 2: [tr.http_url], 3: 10000}


def test_inflight_cap_and_slots_come_back(world, bare, control, fakes):
    p = world["p"]
    silent = {"on": True}

    def answer(msg, body):
        if silent["on"]:
            return None
        return (TORRENT, T_METADATA_OK, {1: p.torrent_bytes(), 2: p.hex, 3: p.name, 4: 2,
                                         5: p.total})
    sp = _proxy(bare)
    c = control(sp.ready["rpc"])
    fake = fakes(sp.ready["pool"], "fake-only", answer)
    c.wait_workers(["fake-only"])
    rids = [c.send(METADATA, {1: p.hex, 3: 1000}, 15) for _ in range(INFLIGHT_MAX)]
    wait_until(lambda: len(fake.requests) == INFLIGHT_MAX, 10,
               what="%d requests at the fake worker" % INFLIGHT_MAX)
    # a bare magnet was built for them
    assert fake.requests[0][1][1].lower() == "magnet:?xt=urn:btih:" + p.hex
    proto, msg, body = c.request(METADATA, {1: p.hex}, 3)
    assert (proto, msg) == (COMMON, ERROR) and body[1] == BUSY, body
    proto, msg, body = c.request(SCRAPE, {1: p.hex, 2: [world["tracker"].http_url]}, 3)
    assert (proto, msg) == (COMMON, ERROR) and body[1] == BUSY, body
    # no other worker: each ends with the timeout, naming the silent worker
    for rid in rids:
        proto, msg, body = c.wait(rid, 10)
        assert (proto, msg) == (COMMON, ERROR) and body[1] == TIMEOUT, body
        assert "fake-only did not answer" in body[2], body
    # the slots are back
    silent["on"] = False
    proto, msg, body = c.request(METADATA, {1: p.hex, 3: 1000}, 5)
    assert (proto, msg) == (STREAM, METADATA_OK), body
    assert body[3] == "fake-only" and info_hash_of(body[2]) == p.hex
    assert len(fake.requests) == INFLIGHT_MAX + 1


def test_stop_with_requests_in_flight(world, bare, control, fakes):
    """SIGTERM while requests wait on a silent worker: the callers hear SHUTDOWN (or nothing,
    if the socket closes first) and the proxy exits 0 with nothing leaked (the fixture checks
    its exit code and its log)."""
    p = world["p"]
    sp = _proxy(bare)
    c = control(sp.ready["rpc"])
    fake = fakes(sp.ready["pool"], "fake-only")
    c.wait_workers(["fake-only"])
    rids = [c.send(m, b, 30) for m, b in ((METADATA, {1: p.hex, 3: 20000}),
                                         (SCRAPE, {1: p.hex, 2: [world["tracker"].http_url]}))]
    wait_until(lambda: len(fake.requests) == 2, 5, what="two requests at the fake worker")
    assert sp.stop() == 0
    heard = 0
    for rid in rids:
        try:
            proto, msg, body = c.wait(rid, 1)
        except AssertionError:
            continue
        assert (proto, msg) == (COMMON, ERROR) and body[1] == 15, body  # CM_ERR_SHUTDOWN
        heard += 1
    print("[pool-control] %d of 2 callers heard SHUTDOWN" % heard)
