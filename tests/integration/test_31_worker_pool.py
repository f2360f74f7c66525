"""The torrent-worker daemon's pool requests: METADATA, SCRAPE and STATUS through a fake
stream-proxy pool (a ROUTER in this process), against our own `seed` and a real opentracker.

Everything listens on 127.0.0.1 only and every peer is ours (the worker daemon, our `seed`), so
this module runs on the host's loopback rather than in a namespace: the worker must reach the
pool socket of this process. Third-party clients are exercised in test_30 inside a namespace."""
import os
import shutil
import tempfile
import time
from pathlib import Path

import msgpack
import pytest

from conftest import BIN, TORRENT, READY, HEARTBEAT, COMMON, ERROR, FakePool, header, \
    next_rid
from btswarm import Netns, ProcSet, OpenTracker, TorrentWorker, make_payload, bdecode, \
    info_hash_of, torrent_files

METADATA, METADATA_OK, SCRAPE, SCRAPE_OK, STATUS, STATUS_OK = 3, 4, 5, 6, 7, 8
CLI = BIN / "torrent-worker"


@pytest.fixture(scope="module")
def world():
    if not CLI.is_file():
        pytest.skip("%s is missing (make SANITIZER=address,undefined all)" % CLI)
    if not shutil.which("opentracker"):
        pytest.skip("opentracker is not installed (scripts/bootstrap.sh)")
    work = Path(tempfile.mkdtemp(prefix="marquee-pool-", dir="/tmp"))
    os.chmod(work, 0o755)
    ns = Netns(enable=False)  # host loopback: see the module's docstring
    procs = ProcSet(ns, work / "logs")
    try:
        p = make_payload("pool-meta", [("a.bin", 3 * 1024 * 1024 + 17), ("sub/b.bin", 700000)],
                         256 * 1024)
        tracker = OpenTracker(ns, procs, work, [p.hex])
        torrent = p.write_torrent(work / "pool-meta.torrent", tracker.http_url)
        tw = TorrentWorker(ns, procs, CLI)
        seeder = tw.seed(torrent, p.root,
                         trackers=[tracker.http_url])
        yield {"work": work, "p": p, "tracker": tracker, "torrent": torrent, "seed": seeder,
               "procs": procs}
    finally:
        procs.stop_all()
        ns.close()
        shutil.rmtree(work, ignore_errors=True)


def _request(pool, ident, msg, body, timeout):
    """Send a torrent request; return (msg id, body dict) of the reply with its rid."""
    rid = next_rid()
    deadline = int(time.time() * 1000) + int(timeout * 1000)
    pool.sock.send_multipart([ident, header(TORRENT, msg, rid, deadline),
                              msgpack.packb(body)])
    f = pool.wait_for(lambda h: h[3] == rid, timeout + 2, "reply to request %d" % msg)
    h = msgpack.unpackb(f[1])
    return h[0], h[2], msgpack.unpackb(f[2], strict_map_key=False)


@pytest.fixture
def worker(bare):
    pool = FakePool()
    w = bare.spawn("worker", "torrent-worker",
                   {"STREAM_POOL_ENDPOINT": pool.endpoint, "WORKER_ID": "wpool",
                    "LOG_LEVEL": "info"})
    f = pool.wait_for(lambda h: h[0] == TORRENT and h[2] == READY, 10, "READY")
    ident = f[0]
    pool.sock.send_multipart([ident, header(TORRENT, HEARTBEAT, 0, 0), msgpack.packb({})])
    yield pool, ident, w
    pool.close()


def test_metadata_through_the_pool(world, worker):
    pool, ident, w = worker
    p, seeder = world["p"], world["seed"]
    listen = seeder.seeding["listen"]
    magnet = p.magnet([world["tracker"].http_url]) + "&x.pe=" + listen
    t0 = time.monotonic()
    proto, msg, body = _request(pool, ident, METADATA, {1: magnet, 2: 20000}, 25)
    secs = time.monotonic() - t0
    assert (proto, msg) == (TORRENT, METADATA_OK), body
    tor = body[1]
    assert info_hash_of(tor) == p.hex
    assert body[2] == p.info_hash.hex() and body[4] == 2 and body[5] == p.total
    assert torrent_files(tor) == (p.name, p.files)
    # the magnet's tracker is in the .torrent
    assert bdecode(tor)[b"announce"].decode() == world["tracker"].http_url
    print("[pool] METADATA in %.2f s" % secs)
    # A second request for the same torrent is answered too (nothing is left loaded).
    proto, msg, body = _request(pool, ident, METADATA, {1: magnet, 2: 20000}, 25)
    assert msg == METADATA_OK and info_hash_of(body[1]) == p.hex


def test_metadata_errors(world, worker):
    pool, ident, w = worker
    proto, msg, body = _request(pool, ident, METADATA, {1: "magnet:?xt=urn:btih:zz"}, 5)
    assert (proto, msg) == (COMMON, ERROR) and "magnet" in body[2], body
    unknown = "magnet:?xt=urn:btih:" + os.urandom(20).hex()
    t0 = time.monotonic()
    proto, msg, body = _request(pool, ident, METADATA, {1: unknown, 2: 1500}, 10)
    assert (proto, msg) == (COMMON, ERROR), body
    assert "no metadata after" in body[2], body
    assert time.monotonic() - t0 < 8


def test_scrape_through_the_pool(world, worker):
    pool, ident, w = worker
    tr, p = world["tracker"], world["p"]
    # the seeder announced itself; one more leecher and one completed download, by hand
    tr.announce(p.info_hash, 40001, left=100, event="started", peer_id=b"-XX0001-leecher00001")
    tr.announce(p.info_hash, 40002, left=0, event="completed", peer_id=b"-XX0001-complete0001")

    def figures():
        s = tr.scrape_http(p.info_hash)
        return s if s[0] >= 2 else None
    from btswarm import wait_until
    want = wait_until(figures, 10, what="the tracker's figures")
    proto, msg, body = _request(pool, ident, SCRAPE,
                                {1: p.info_hash.hex(), 2: [tr.http_url, tr.udp_url], 3: 5000},
                                10)
    assert (proto, msg) == (TORRENT, SCRAPE_OK), body
    assert (body[1], body[2], body[3]) == tuple(want), (body, want)
    assert body[4] == 2 and body[5] == 2
    # a dead tracker alone: an error naming what happened
    proto, msg, body = _request(pool, ident, SCRAPE,
                                {1: p.info_hash.hex(), 2: ["udp://127.0.0.1:9/announce"],
                                 3: 1000}, 6)
    assert (proto, msg) == (COMMON, ERROR) and "no tracker answered" in body[2], body


def test_status_through_the_pool(world, worker):
    pool, ident, w = worker
    proto, msg, body = _request(pool, ident, STATUS, {}, 5)
    assert (proto, msg) == (TORRENT, STATUS_OK), body
    assert body[1] == "wpool" and body[2]
    assert body[11].startswith("127.0.0.1:") and int(body[11].split(":")[1]) > 0
    assert body[10] > 0  # cache_free under the default cap
