"""The torrent-worker's streaming read path (issue 5): OPEN, READ, STREAM_CREDIT and CLOSE from a
fake stream-proxy pool (a ROUTER in this process), CHUNK and READ_END back, against a real
swarm: opentracker, an aria2 seeder and our own `seed`.

Like test_31, everything runs on the host's 127.0.0.1 (the worker must reach the pool socket
of this process); aria2 is bound to 127.0.0.1 with DHT, LPD, PEX and foreign trackers off
(loopback-peers.md), so nothing leaves the machine."""
import os
import random
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import msgpack
import pytest

from conftest import BIN, TORRENT, COMMON, READY, HEARTBEAT, PING, PONG, ERROR, FakePool, \
    header, next_rid
from btswarm import Netns, ProcSet, OpenTracker, Aria2, TorrentWorker, make_payload, \
    info_hash_of, torrent_files, wait_until

METADATA, METADATA_OK, STATUS, STATUS_OK = 3, 4, 7, 8
OPEN, OPEN_OK, READ, CHUNK, READ_END, STREAM_CREDIT, CLOSE = 9, 10, 11, 12, 13, 14, 15
CHUNK_LOCAL = 16
LOCAL_MAX = 4 * 1024 * 1024  # BT_STREAM_LOCAL_MAX
ERR_TIMEOUT, ERR_BUSY, ERR_NOT_FOUND, ERR_INVALID = 5, 7, 8, 9
CHUNK_MAX = 1024 * 1024  # BT_STREAM_CHUNK_MAX
MiB = 1024 * 1024
CLI = BIN / "torrent-worker"


@pytest.fixture(scope="module")
def world():
    if not CLI.is_file():
        pytest.skip("%s is missing (make SANITIZER=address,undefined all)" % CLI)
    for tool in ("opentracker", "aria2c"):
        if not shutil.which(tool):
            pytest.skip("%s is not installed (scripts/bootstrap.sh)" % tool)
    work = Path(tempfile.mkdtemp(prefix="marquee-stream-", dir="/tmp"))
    os.chmod(work, 0o755)
    ns = Netns(enable=False)  # host loopback: see the module's docstring
    procs = ProcSet(ns, work / "logs")
    try:
        multi = make_payload("stream-multi", [("movie.mp4", 20 * MiB + 12345),
                                              ("extras/sample.mkv", 3 * MiB + 77),
                                              ("notes.txt", 5000)], 64 * 1024)
        single = make_payload("stream-single", [("clip.webm", 5 * MiB + 3)], 32 * 1024,
                              single=True)
        tracker = OpenTracker(ns, procs, work, [multi.hex, single.hex])
        tm = multi.write_torrent(work / "multi.torrent", tracker.http_url)
        ts = single.write_torrent(work / "single.torrent", tracker.http_url)
        aria = Aria2(ns, procs, work, [tracker.http_url])
        gid = aria.seed(multi, tm)
        tw = TorrentWorker(ns, procs, CLI)
        seeds = [tw.seed(tm, multi.root, trackers=[tracker.http_url]),
                 tw.seed(ts, single.root, trackers=[tracker.http_url])]
        aria.wait_seeding(gid)
        # both seeders of the multi-file torrent are known to the tracker before any test
        wait_until(lambda: tracker.scrape_http(multi.info_hash)[0] >= 2, 15,
                   what="two seeders at the tracker")
        yield {"multi": multi, "single": single, "tracker": tracker, "tm": tm, "ts": ts,
               "seeds": seeds}
    finally:
        procs.stop_all()
        ns.close()
        shutil.rmtree(work, ignore_errors=True)


class Proxy:
    """The proxy's side of one worker: requests, events, and what comes back (CHUNKs by
    stream, READ_ENDs, replies). It answers the worker's PINGs and heartbeats it, so the
    worker never takes the proxy for dead while a test waits."""

    def __init__(self, pool, ident):
        self.pool, self.ident = pool, ident
        self.chunks = defaultdict(list)  # stream id -> [(offset, bytes)]
        self.ends = {}                   # stream id -> (status, reason)
        self.replies = {}                # rid -> (proto, msg, body)
        self.hb_at = 0.0
        self.ready = {}                  # the worker's READY body
        self.local = set()               # streams that got CHUNK_LOCAL

    def send(self, msg, body, rid=0, deadline=0):
        self.pool.sock.send_multipart([self.ident, header(TORRENT, msg, rid, deadline),
                                       msgpack.packb(body)])

    def request(self, msg, body, timeout=30):
        rid = next_rid()
        self.send(msg, body, rid, int(time.time() * 1000) + int(timeout * 1000))
        return rid

    def _one(self, f):
        h = msgpack.unpackb(f[1])
        proto, msg, rid = h[0], h[2], h[3]
        if proto == COMMON and msg == PING:
            self.pool.sock.send_multipart([self.ident, header(COMMON, PONG, rid, 0),
                                           msgpack.packb({})])
            return
        body = msgpack.unpackb(f[2], strict_map_key=False) if len(f) > 2 else {}
        if proto == TORRENT and msg == CHUNK:
            assert len(f) == 4, "CHUNK without its payload frame"
            assert 0 < len(f[3]) <= CHUNK_MAX, len(f[3])
            self.chunks[body[1]].append((body[2], f[3]))
        elif proto == TORRENT and msg == CHUNK_LOCAL:
            # what the stream-proxy does: read the bytes where the worker left them, at once
            rel, off, n = body[4], body[2], body[3]
            assert not rel.startswith("/") and ".." not in rel.split("/"), rel
            assert 0 < n <= LOCAL_MAX, n
            with open(os.path.join(self.ready[5], rel), "rb") as fh:
                fh.seek(off)
                b = fh.read(n)
            assert len(b) == n, "the cache file ends before the bytes named"
            self.chunks[body[1]].append((off, b))
            self.local.add(body[1])
        elif proto == TORRENT and msg == READ_END:
            assert body[1] not in self.ends, "two READ_ENDs for stream %d" % body[1]
            self.ends[body[1]] = (body.get(2, 0), body.get(3, ""))
        elif rid:
            self.replies[rid] = (proto, msg, body)

    def pump(self, timeout, until=lambda: False):
        """Handle messages for up to `timeout` seconds or until until() is true."""
        end = time.monotonic() + timeout
        while True:
            if until():
                return True
            now = time.monotonic()
            if now >= end:
                return False
            if now - self.hb_at > 0.5:
                self.hb_at = now
                self.send(HEARTBEAT, {})
            if self.pool.sock.poll(min(50, max(1, int((end - now) * 1000)))):
                self._one(self.pool.sock.recv_multipart())

    def reply(self, rid, timeout):
        assert self.pump(timeout, lambda: rid in self.replies), "no reply to request %d" % rid
        return self.replies.pop(rid)

    def barrier(self):
        """Everything the worker sent before handling what we sent so far has arrived
        (one socket, in order: our PING is answered after them)."""
        rid = next_rid()
        self.pool.sock.send_multipart([self.ident, header(COMMON, PING, rid),
                                       msgpack.packb({})])
        assert self.pump(5, lambda: rid in self.replies), "no PONG"
        self.replies.pop(rid)

    def got(self, sid):
        return sum(len(b) for _, b in self.chunks[sid])

    def data(self, sid, start):
        """The bytes of stream sid, checked to be in order from file offset `start`."""
        out = bytearray()
        for off, b in self.chunks[sid]:
            assert off == start + len(out), "chunk at %d, expected %d" % (off, start + len(out))
            out += b
        return bytes(out)

    def read(self, sid, info_hash, file, offset, length, credit, local=False):
        self.send(READ, {1: sid, 2: info_hash, 3: file, 4: offset, 5: length, 6: credit,
                         7: local})

    def open(self, body, timeout=30):
        return self.reply(self.request(OPEN, body, timeout), timeout + 2)


def _spawn(bare, linger):
    pool = FakePool()
    bare.spawn("worker", "torrent-worker",
               {"STREAM_POOL_ENDPOINT": pool.endpoint, "WORKER_ID": "wstream",
                "STREAM_LINGER": linger, "LOG_LEVEL": "info"})
    f = pool.wait_for(lambda h: h[0] == TORRENT and h[2] == READY, 10, "READY")
    px = Proxy(pool, f[0])
    px.ready = msgpack.unpackb(f[2], strict_map_key=False)
    px.send(HEARTBEAT, {})
    return px


@pytest.fixture
def proxy(bare):
    px = _spawn(bare, "60s")
    yield px
    px.pool.close()


@pytest.fixture
def proxy_short_linger(bare):
    px = _spawn(bare, "2s")
    yield px
    px.pool.close()


def _file_bytes(p, i):
    rel, _ = p.files[i]
    return p.path_of(rel).read_bytes()


def _status(px):
    proto, msg, body = px.reply(px.request(STATUS, {}, 5), 6)
    assert (proto, msg) == (TORRENT, STATUS_OK), body
    return body


def _open_torrent(px, p, torrent_path):
    proto, msg, body = px.open({1: p.hex, 2: Path(torrent_path).read_bytes(), 4: 20000}, 25)
    assert (proto, msg) == (TORRENT, OPEN_OK), body
    return body


def test_open_with_torrent_and_magnet(world, proxy):
    px, p, s = proxy, world["multi"], world["single"]
    t0 = time.monotonic()
    body = _open_torrent(px, p, world["tm"])
    assert body[1] == p.hex and body[2] == p.name and body[3] == p.piece_length
    assert body[4] == p.total and body[8] == 3
    assert body[5] == ["%s/%s" % (p.name, rel) for rel, _ in p.files]
    assert body[6] == [n for _, n in p.files]
    assert not body.get(7), "no .torrent bytes for a .torrent source"
    print("[stream] OPEN (.torrent) in %.3f s" % (time.monotonic() - t0))
    # Two OPENs by magnet share one metadata wait; each gets the file list and the .torrent.
    magnet = s.magnet([world["tracker"].http_url])
    t0 = time.monotonic()
    r1 = px.request(OPEN, {1: s.hex, 3: magnet, 4: 20000}, 25)
    r2 = px.request(OPEN, {1: s.hex, 3: magnet}, 25)
    for rid in (r1, r2):
        proto, msg, body = px.reply(rid, 27)
        assert (proto, msg) == (TORRENT, OPEN_OK), body
        assert body[5] == [s.name] and body[6] == [s.total] and body[8] == 1
        assert info_hash_of(body[7]) == s.hex
        assert torrent_files(body[7]) == (s.name, s.files)
    print("[stream] OPEN (magnet) in %.3f s" % (time.monotonic() - t0))
    # and the magnet-opened torrent streams
    px.read(7, s.hex, 0, s.total - 70000, 70000, 70000)
    assert px.pump(20, lambda: 7 in px.ends), "no READ_END"
    assert px.ends[7] == (0, "")
    assert px.data(7, s.total - 70000) == _file_bytes(s, 0)[-70000:]
    # an OPEN naming only the info-hash of a loaded torrent is answered from it
    proto, msg, body = px.open({1: p.hex}, 5)
    assert msg == OPEN_OK and info_hash_of(body[7]) == p.hex


def test_open_while_a_metadata_fetch_holds_the_torrent(world, proxy):
    """METADATA (discovery's fetch) and OPEN of one magnet at once: the OPEN waits for the
    fetch to let go of the torrent, then loads it for streaming."""
    px, s = proxy, world["single"]
    magnet = s.magnet([world["tracker"].http_url])
    r1 = px.request(METADATA, {1: magnet, 2: 20000}, 25)
    r2 = px.request(OPEN, {1: s.hex, 3: magnet, 4: 20000}, 25)
    proto, msg, body = px.reply(r1, 27)
    assert (proto, msg) == (TORRENT, METADATA_OK), body
    proto, msg, body = px.reply(r2, 27)
    assert (proto, msg) == (TORRENT, OPEN_OK), body
    assert info_hash_of(body[7]) == s.hex
    px.read(8, s.hex, 0, 0, 100000, 100000)
    assert px.pump(20, lambda: 8 in px.ends) and px.ends[8] == (0, "")
    assert px.data(8, 0) == _file_bytes(s, 0)[:100000]


def test_random_ranges_byte_exact(world, proxy):
    px, p = proxy, world["multi"]
    _open_torrent(px, p, world["tm"])
    files = [_file_bytes(p, i) for i in range(len(p.files))]
    rng = random.Random(33)
    ranges = [(0, 0, 1), (0, len(files[0]) - 1, 1), (1, 0, len(files[1])),
              (2, 0, len(files[2])), (0, 64 * 1024 - 10, 20)]
    for _ in range(7):
        i = rng.choice([0, 0, 1])
        off = rng.randrange(0, len(files[i]))
        ranges.append((i, off, rng.randrange(1, min(3 * MiB, len(files[i]) - off) + 1)))
    t0 = time.monotonic()
    for sid, (i, off, n) in enumerate(ranges, start=100):
        px.read(sid, p.hex, i, off, n, n)
    sids = range(100, 100 + len(ranges))
    assert px.pump(40, lambda: all(s in px.ends for s in sids)), \
        "missing READ_END: %s" % [s for s in sids if s not in px.ends]
    total = 0
    for sid, (i, off, n) in zip(sids, ranges):
        assert px.ends[sid] == (0, ""), (sid, px.ends[sid])
        got = px.data(sid, off)
        assert got == files[i][off:off + n], "stream %d: file %d [%d, +%d)" % (sid, i, off, n)
        total += n
    print("[stream] %d ranges, %d bytes, byte-exact in %.2f s"
          % (len(ranges), total, time.monotonic() - t0))
    # a read of nothing ends at once
    px.read(99, p.hex, 0, 5, 0, 0)
    assert px.pump(5, lambda: 99 in px.ends) and px.ends[99] == (0, "")
    assert not px.chunks[99]


def test_local_reads_name_the_cache_file(world, proxy):
    """READY names the cache directory and the token written there; a READ with `local` gets
    CHUNK_LOCAL (the path under that directory, the offset, the length), never past its credit,
    and the bytes at that place are the file's."""
    px, p = proxy, world["multi"]
    cache = px.ready.get(5, "")
    assert cache.startswith("/") and os.path.isdir(cache), px.ready
    with open(os.path.join(cache, ".local-token")) as fh:
        assert fh.read() == px.ready[6] and len(px.ready[6]) == 32
    _open_torrent(px, p, world["tm"])
    files = [_file_bytes(p, i) for i in range(len(p.files))]
    rng = random.Random(16)
    ranges = [(0, 0, len(files[0])), (1, 0, len(files[1])), (2, 7, len(files[2]) - 7)]
    for _ in range(6):
        i = rng.choice([0, 0, 1])
        off = rng.randrange(0, len(files[i]))
        ranges.append((i, off, rng.randrange(1, min(9 * MiB, len(files[i]) - off) + 1)))
    for sid, (i, off, n) in enumerate(ranges, start=500):
        px.read(sid, p.hex, i, off, n, 64 * MiB, local=True)
    sids = range(500, 500 + len(ranges))
    assert px.pump(40, lambda: all(s in px.ends for s in sids)), "missing READ_END"
    for sid, (i, off, n) in zip(sids, ranges):
        assert px.ends[sid] == (0, ""), (sid, px.ends[sid])
        assert sid in px.local, "stream %d got no CHUNK_LOCAL" % sid
        assert px.data(sid, off) == files[i][off:off + n], "stream %d differs" % sid
    # the credit holds for local reads too
    px.read(600, p.hex, 0, 1, 3 * MiB, 300000, local=True)
    assert px.pump(10, lambda: px.got(600) >= 300000)
    px.pump(0.5)
    assert px.got(600) == 300000 and 600 not in px.ends
    px.send(STREAM_CREDIT, {1: 600, 2: 64 * MiB})
    assert px.pump(10, lambda: 600 in px.ends) and px.ends[600] == (0, "")
    assert px.data(600, 1) == files[0][1:1 + 3 * MiB]


def test_credit_is_respected(world, proxy):
    px, p = proxy, world["multi"]
    _open_torrent(px, p, world["tm"])
    want = 2 * MiB + 5
    off = 3 * MiB + 1
    px.read(1, p.hex, 0, off, want, 256 * 1024)
    assert px.pump(15, lambda: px.got(1) >= 256 * 1024), "the first credit was not used"
    px.pump(1.0)  # nothing more may come
    assert px.got(1) == 256 * 1024 and 1 not in px.ends
    px.send(STREAM_CREDIT, {1: 1, 2: 100000})
    assert px.pump(10, lambda: px.got(1) >= 256 * 1024 + 100000)
    px.pump(0.5)
    assert px.got(1) == 256 * 1024 + 100000
    px.send(STREAM_CREDIT, {1: 1, 2: 64 * MiB})
    assert px.pump(20, lambda: 1 in px.ends), "no READ_END"
    assert px.ends[1] == (0, "")
    assert px.data(1, off) == _file_bytes(p, 0)[off:off + want]


def test_close_and_seek(world, proxy):
    px, p = proxy, world["multi"]
    _open_torrent(px, p, world["tm"])
    movie = _file_bytes(p, 0)
    # CLOSE mid-read: more credit afterwards brings nothing
    px.read(3, p.hex, 0, 0, len(movie), MiB)
    assert px.pump(15, lambda: px.got(3) >= MiB)
    px.send(CLOSE, {1: 3})
    px.send(STREAM_CREDIT, {1: 3, 2: 64 * MiB})
    px.barrier()
    n = px.got(3)
    px.pump(1.5)
    assert px.got(3) == n == MiB and 3 not in px.ends
    assert px.data(3, 0) == movie[:MiB]
    # only the window was fetched (preload + 1 MiB critical + 8 MiB readahead), and with no
    # read left nothing more is (the movie is 20 MiB)
    d1 = _status(px)[7]
    px.pump(1.0)
    d2 = _status(px)[7]
    assert d1 == d2 and d1 < 12 * MiB, (d1, d2)
    # a seek: a new READ on the same stream id elsewhere in the file
    px.read(4, p.hex, 0, 1000, 4 * MiB, 300000)
    assert px.pump(15, lambda: px.got(4) >= 300000)
    px.barrier()
    assert px.got(4) == 300000 and px.data(4, 1000) == movie[1000:301000]
    px.chunks[4].clear()
    seek_to = 15 * MiB + 4321
    t0 = time.monotonic()
    px.read(4, p.hex, 0, seek_to, 3 * MiB, 3 * MiB)
    assert px.pump(20, lambda: 4 in px.ends), "no READ_END after the seek"
    print("[stream] seek to %d: 3 MiB in %.3f s" % (seek_to, time.monotonic() - t0))
    assert px.ends[4] == (0, "")
    assert px.data(4, seek_to) == movie[seek_to:seek_to + 3 * MiB]
    # a READ on a live stream at the place it stopped continues it (its window stays)
    px.read(5, p.hex, 1, 0, MiB, 100000)
    assert px.pump(15, lambda: px.got(5) >= 100000)
    px.read(5, p.hex, 1, 100000, 200000, 200000)
    assert px.pump(15, lambda: 5 in px.ends) and px.ends[5] == (0, "")
    assert px.data(5, 0) == _file_bytes(p, 1)[:300000]


def test_read_errors(world, proxy):
    px, p = proxy, world["multi"]
    px.read(20, os.urandom(20).hex(), 0, 0, 10, 10)
    assert px.pump(5, lambda: 20 in px.ends)
    st, reason = px.ends[20]
    assert st == ERR_NOT_FOUND and "not open" in reason, px.ends[20]
    _open_torrent(px, p, world["tm"])
    px.read(21, p.hex, 9, 0, 10, 10)
    px.read(22, p.hex, 2, 4990, 11, 11)
    assert px.pump(5, lambda: 21 in px.ends and 22 in px.ends)
    assert px.ends[21][0] == ERR_INVALID and "file 9" in px.ends[21][1]
    assert px.ends[22][0] == ERR_INVALID and "past the end" in px.ends[22][1]
    # OPEN errors: a .torrent of another torrent, nothing to load from
    proto, msg, body = px.open({1: "00" * 20, 2: Path(world["tm"]).read_bytes()}, 5)
    assert (proto, msg) == (COMMON, ERROR) and body[1] == ERR_INVALID, body
    proto, msg, body = px.open({1: "11" * 20}, 5)
    assert (proto, msg) == (COMMON, ERROR) and body[1] == ERR_NOT_FOUND, body


def test_open_timeout_without_peers(proxy):
    px = proxy
    h = os.urandom(20).hex()
    t0 = time.monotonic()
    proto, msg, body = px.open({1: h, 3: "magnet:?xt=urn:btih:" + h, 4: 1500}, 10)
    secs = time.monotonic() - t0
    assert (proto, msg) == (COMMON, ERROR) and body[1] == ERR_TIMEOUT, body
    assert "no metadata after 1 s: 0 peers" in body[2], body
    assert 1.4 < secs < 5, secs


def test_linger_then_removed(world, proxy_short_linger):
    """STREAM_LINGER=2s: once its last read is over the torrent leaves the engine."""
    px, p = proxy_short_linger, world["multi"]
    _open_torrent(px, p, world["tm"])
    px.read(30, p.hex, 0, 0, 100000, 100000)
    assert px.pump(15, lambda: 30 in px.ends) and px.ends[30] == (0, "")

    def torrents():
        return _status(px).get(3, 0)
    assert torrents() == 1
    t0 = time.monotonic()
    while torrents() != 0:
        assert time.monotonic() - t0 < 6, "the torrent is still loaded"
        px.pump(0.3)
    assert time.monotonic() - t0 >= 1.0
    # a read after that is refused (OPEN again to stream): the pieces are still cached
    px.read(31, p.hex, 0, 0, 10, 10)
    assert px.pump(5, lambda: 31 in px.ends) and px.ends[31][0] == ERR_NOT_FOUND
    t0 = time.monotonic()
    _open_torrent(px, p, world["tm"])
    px.read(32, p.hex, 0, 0, 100000, 100000)
    assert px.pump(5, lambda: 32 in px.ends) and px.ends[32] == (0, "")
    print("[stream] reopened from the cache: first 100 kB in %.3f s" % (time.monotonic() - t0))
