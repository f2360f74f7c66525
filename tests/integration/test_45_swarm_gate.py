"""The VPN gate on the workers' swarm traffic (issue 6): source-discovery sends stream.SWARM_GATE
to the stream-proxy, whose heartbeats carry it (torrent.HEARTBEAT swarm_paused) to every
worker; a worker run with VPN_GATE_TORRENTS=true then stops all swarm traffic. Requests go
straight to the proxy's control ROUTER over ZeroMQ (python3-zmq + python3-msgpack), as in
test_44.

World (module), on the host's loopback (the `bare` stack's workers must reach it): a real
opentracker; aria2 seeding a payload; a "holding peer" in this process, announced at the
tracker for a torrent of its own, that completes the BitTorrent handshake (no extensions, no
pieces) and holds every connection open, counting connections and closes.

  - Proxy alone with fake workers (POOL_HEARTBEAT 5 s): SWARM_GATE paused -> SWARM_GATE_OK
    {workers 1}, and the fake's next heartbeat carries swarm_paused within 1 s (one round at
    once, not at the 5 s interval); a worker that joins while paused hears it at once;
    resumed -> swarm_paused false at once; a malformed SWARM_GATE is INVALID.
  - A gated worker holding a peer: paused -> the peer's connection is closed, the worker's
    peer count (stream.WORKERS) falls to 0, one log line; for 3 s nothing reaches the tracker
    (its TCP announce/scrape and UDP counters stand still) or the peer (no new connection),
    aria2 has no peer; METADATA of the seeded torrent times out with the worker's reason, and
    SCRAPE answers UNAVAILABLE "swarm traffic paused (VPN down)". Resumed -> the known peer is
    connected again and the tracker hears an announce within a few seconds, and METADATA
    succeeds.
  - A gated worker that joins while the gate is closed sends nothing until it opens.
  - A worker without VPN_GATE_TORRENTS ignores the gate (METADATA and SCRAPE work) and says
    so once in its log."""
import os
import re
import selectors
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import msgpack
import pytest

from btswarm import Aria2, Netns, OpenTracker, ProcSet, TorrentWorker, info_hash_of, \
    make_payload
from conftest import BIN, COMMON, ERROR, HEARTBEAT, PING, PONG, READY, STREAM, TORRENT, \
    dealer, header, wait_until
from test_44_pool_control import control  # noqa: F401 (a fixture)

CLI = BIN / "torrent-worker"
# stream.toml
WORKERS, WORKERS_OK, METADATA, METADATA_OK, SCRAPE, SCRAPE_OK = 5, 6, 7, 8, 9, 10
SWARM_GATE, SWARM_GATE_OK = 11, 12
HB_SWARM_PAUSED = 7  # torrent.HEARTBEAT tag
# cm_status.h
TIMEOUT, UNAVAILABLE, INVALID = 5, 6, 9
PAUSED_REASON = "swarm traffic paused (VPN down)"


# --- a peer that holds connections ----------------------------------------------------------

class HoldingPeer:
    """Accepts BitTorrent connections for one info-hash on 127.0.0.1, answers the handshake
    (reserved bits zero: no extension, so no metadata either), sends a keep-alive every 5 s
    and keeps every connection until the other side closes it."""

    def __init__(self):
        self.info_hash = os.urandom(20)
        self.hex = self.info_hash.hex()
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.lsock.setblocking(False)
        self.port = self.lsock.getsockname()[1]
        self.accepted = 0   # connections accepted
        self.shaken = 0     # ... that completed the handshake
        self.closed = 0     # ... that the other side closed
        self.open = 0       # open now
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="holding-peer", daemon=True)
        self._thread.start()

    def counts(self):
        with self._lock:
            return {"accepted": self.accepted, "shaken": self.shaken, "closed": self.closed,
                    "open": self.open}

    def _run(self):
        sel = selectors.DefaultSelector()
        sel.register(self.lsock, selectors.EVENT_READ, None)
        conns = {}  # socket -> bytes received before the handshake
        beat = time.monotonic()
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(0.1):
                    if key.data is None:
                        try:
                            s, _ = self.lsock.accept()
                        except BlockingIOError:
                            continue
                        s.setblocking(False)
                        conns[s] = b""
                        sel.register(s, selectors.EVENT_READ, "peer")
                        with self._lock:
                            self.accepted += 1
                            self.open += 1
                        continue
                    s = key.fileobj
                    try:
                        data = s.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(s)
                        s.close()
                        del conns[s]
                        with self._lock:
                            self.closed += 1
                            self.open -= 1
                        continue
                    got = conns[s]
                    if got is None:
                        continue  # after the handshake: whatever it says is ignored
                    got += data
                    if len(got) < 68:
                        conns[s] = got
                        continue
                    conns[s] = None
                    if got[:20] == b"\x13BitTorrent protocol" and got[28:48] == self.info_hash:
                        s.sendall(b"\x13BitTorrent protocol" + bytes(8) + self.info_hash
                                  + b"-MQHOLD-" + os.urandom(6).hex().encode())
                        with self._lock:
                            self.shaken += 1
                if time.monotonic() - beat >= 5:
                    beat = time.monotonic()
                    for s, got in conns.items():
                        if got is None:
                            try:
                                s.sendall(b"\0\0\0\0")
                            except OSError:
                                pass
        finally:
            for s in conns:
                s.close()
            sel.close()

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.lsock.close()


# --- the world ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world():
    if not CLI.is_file():
        pytest.skip("%s is missing (make SANITIZER=address,undefined all)" % CLI)
    if not shutil.which("opentracker"):
        pytest.skip("opentracker is not installed (scripts/bootstrap.sh)")
    work = Path(tempfile.mkdtemp(prefix="marquee-swarmgate-", dir="/tmp"))
    os.chmod(work, 0o755)
    ns = Netns(enable=False)  # host loopback: the stack's workers must reach the swarm
    procs = ProcSet(ns, work / "logs")
    hold = HoldingPeer()
    try:
        p = make_payload("swarm-gate", [("movie.mkv", 1024 * 1024 + 7)], 256 * 1024)
        tracker = OpenTracker(ns, procs, work, [p.hex, hold.hex])
        torrent = p.write_torrent(work / "swarm-gate.torrent", tracker.http_url)
        aria = gid = None
        if shutil.which("aria2c"):
            aria = Aria2(ns, procs, work, [tracker.http_url])
            gid = aria.seed(p, torrent)
            aria.wait_seeding(gid)
        else:  # our own seeder then
            TorrentWorker(ns, procs, CLI).seed(torrent, p.root, trackers=[tracker.http_url])
        wait_until(lambda: tracker.scrape_http(p.info_hash)[0] >= 1, 15,
                   what="the seeder at the tracker")
        tracker.announce(hold.info_hash, hold.port, left=0, event="started",
                         peer_id=b"-MQHOLD-" + b"0" * 12)
        yield {"p": p, "tracker": tracker, "hold": hold, "aria": aria, "gid": gid}
    finally:
        hold.close()
        procs.stop_all()
        ns.close()
        shutil.rmtree(work, ignore_errors=True)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _proxy(bare, env=None):
    return bare.spawn("stream-proxy", "stream-proxy",
                      {"STREAM_CONTROL_BIND": "tcp://127.0.0.1:*",
                       "STREAM_POOL_BIND": "tcp://127.0.0.1:*",
                       "STREAM_LISTEN": "127.0.0.1:0",
                       "AUTH_ENDPOINT": "tcp://127.0.0.1:%d" % _free_port(),
                       "DISCOVERY_ENDPOINT": "tcp://127.0.0.1:%d" % _free_port(),
                       **(env or {})})


def _worker(bare, sp, wid, gated):
    env = {"STREAM_POOL_ENDPOINT": sp.ready["pool"], "WORKER_ID": wid}
    if gated:
        env["VPN_GATE_TORRENTS"] = "true"
    return bare.spawn(wid, "torrent-worker", env)


def _tracker_counts(tracker):
    """opentracker's (tcp announces, tcp scrapes, udp requests) so far: stats queries and
    other accepts are not in them."""
    st, body = tracker.ns.http("http://127.0.0.1:%d/stats?mode=everything" % tracker.port,
                               timeout=5)
    assert st == 200, st
    text = body.decode(errors="replace")
    tcp = re.search(r"<tcp>.*?<announce>(\d+)</announce>.*?<scrape>(\d+)</scrape>", text, re.S)
    udp = re.search(r"<udp>.*?<overall>(\d+)</overall>", text, re.S)
    assert tcp and udp, text[:2000]
    return int(tcp.group(1)), int(tcp.group(2)), int(udp.group(1))


def _gate(c, paused, reason=""):
    proto, msg, body = c.request(SWARM_GATE, {1: paused, 2: reason}, 5)
    assert (proto, msg) == (STREAM, SWARM_GATE_OK), body
    return body.get(1, 0)


def _peers_of(c, wid):
    proto, msg, body = c.request(WORKERS, {}, 3)
    assert (proto, msg) == (STREAM, WORKERS_OK), body
    ids = body.get(1, [])
    return body.get(3, [0] * len(ids))[ids.index(wid)] if wid in ids else None


def _magnet(world, hexh=None):
    tr = world["tracker"].http_url
    return "magnet:?xt=urn:btih:%s&tr=%s" % (hexh or world["p"].hex, tr)


def _metadata_ok(c, world, wid, timeout_ms=20000):
    proto, msg, body = c.request(METADATA, {1: world["p"].hex, 2: _magnet(world),
                                            3: timeout_ms}, timeout_ms / 1000 + 5)
    assert (proto, msg) == (STREAM, METADATA_OK), body
    assert info_hash_of(body[2]) == world["p"].hex and body[3] == wid, body


# --- the proxy's side -----------------------------------------------------------------------

class HeartbeatFake:
    """A worker in this process that registers and records the proxy's heartbeats:
    [(monotonic time, swarm_paused)]."""

    def __init__(self, endpoint, worker_id):
        self.endpoint = endpoint
        self.id = worker_id
        self.beats = []
        self.joined = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hb-" + worker_id, daemon=True)
        self._thread.start()

    def _run(self):
        s = dealer(self.endpoint)
        try:
            self.joined = time.monotonic()
            s.send_multipart([header(TORRENT, READY, 0, 0),
                              msgpack.packb({1: self.id, 2: "0.0.0-fake", 3: 8})])
            beat = 0.0
            while not self._stop.is_set():
                if time.monotonic() - beat >= 0.3:
                    s.send_multipart([header(TORRENT, HEARTBEAT, 0, 0), msgpack.packb({})])
                    beat = time.monotonic()
                if not s.poll(20):
                    continue
                f = s.recv_multipart()
                h = msgpack.unpackb(f[0])
                body = msgpack.unpackb(f[1], strict_map_key=False) if len(f) > 1 else {}
                if h[0] == COMMON and h[2] == PING:
                    s.send_multipart([header(COMMON, PONG, h[3], 0), msgpack.packb({})])
                if h[0] == TORRENT and h[2] == HEARTBEAT:
                    self.beats.append((time.monotonic(), body.get(HB_SWARM_PAUSED, False)))
        finally:
            s.close()

    def first_since(self, t0, value):
        """Seconds from t0 to the first heartbeat after t0 that carries `value`, or None."""
        for t, v in list(self.beats):
            if t >= t0 and v == value:
                return t - t0
        return None

    def leave(self):
        self._stop.set()
        self._thread.join(5)


def test_proxy_passes_the_gate_in_its_heartbeats(bare, control):
    sp = _proxy(bare, {"POOL_HEARTBEAT": "5s"})
    c = control(sp.ready["rpc"])
    fakes = [HeartbeatFake(sp.ready["pool"], "fake-1")]
    try:
        c.wait_workers(["fake-1"])
        wait_until(lambda: fakes[0].beats, 8, what="a first heartbeat of the proxy")
        assert all(v is False for _, v in fakes[0].beats), fakes[0].beats

        t0 = time.monotonic()
        assert _gate(c, True, "test: wg0 is down") == 1
        wait_until(lambda: fakes[0].first_since(t0, True) is not None, 3,
                   what="swarm_paused in a heartbeat")
        assert fakes[0].first_since(t0, True) < 1.0, fakes[0].beats  # not the 5 s interval
        assert "swarm traffic paused (VPN gate closed: test: wg0 is down)" in sp.text()

        # unchanged: every live worker counts, no new log line
        assert _gate(c, True, "test: wg0 is down") == 1
        assert sp.text().count("swarm traffic paused") == 1

        # a worker that joins while paused hears it at once
        fakes.append(HeartbeatFake(sp.ready["pool"], "fake-2"))
        wait_until(lambda: fakes[1].beats, 3, what="a heartbeat to the new worker")
        assert fakes[1].beats[0][1] is True, fakes[1].beats
        assert fakes[1].beats[0][0] - fakes[1].joined < 1.0, fakes[1].beats

        t1 = time.monotonic()
        assert _gate(c, False, "test: wg0 is up") == 2
        wait_until(lambda: all(f.first_since(t1, False) is not None for f in fakes), 3,
                   what="swarm_paused false in heartbeats")
        assert max(f.first_since(t1, False) for f in fakes) < 1.0
        assert "swarm traffic resumed" in sp.text()

        for bad in ({1: "yes"}, {1: True, 2: "x" * 257}, {2: 5}):
            proto, msg, body = c.request(SWARM_GATE, bad, 5)
            assert (proto, msg) == (COMMON, ERROR) and body[1] == INVALID, (bad, body)
    finally:
        for f in fakes:
            f.leave()


# --- the worker's side ----------------------------------------------------------------------

def test_gated_worker_pauses_and_resumes(world, bare, control):
    tracker, hold = world["tracker"], world["hold"]
    sp = _proxy(bare)
    w = _worker(bare, sp, "gw", gated=True)
    c = control(sp.ready["rpc"])
    c.wait_workers(["gw"])

    # a metadata fetch from the holding peer: it connects and stays (no metadata comes)
    before = hold.counts()
    c.send(METADATA, {1: hold.hex, 2: _magnet(world, hold.hex), 3: 120000}, 125)
    wait_until(lambda: hold.counts()["shaken"] > before["shaken"], 45,
               what="the worker connected to the holding peer")
    wait_until(lambda: (_peers_of(c, "gw") or 0) >= 1, 5, what="1 peer in gw's heartbeat")

    # --- the gate closes ---
    mark = len(w.text())  # it started paused until the proxy's first heartbeat: a line before
    t0 = time.monotonic()
    assert _gate(c, True, "test: wg0 is down") == 1
    wait_until(lambda: hold.counts()["open"] == 0, 3, what="the peer connection closed")
    wait_until(lambda: _peers_of(c, "gw") == 0, 4, what="0 peers in gw's heartbeat")
    assert "swarm traffic paused (VPN gate): 1 peer connections closed" in w.text()[mark:]
    print("[swarm-gate] peers closed %.2f s after SWARM_GATE" % (time.monotonic() - t0))

    held = hold.counts()
    counts = _tracker_counts(tracker)
    t1 = time.monotonic()
    proto, msg, body = c.request(METADATA, {1: world["p"].hex, 2: _magnet(world), 3: 3000}, 10)
    assert (proto, msg) == (COMMON, ERROR) and body[1] == TIMEOUT, body
    assert "no metadata after 3 s" in body[2], body
    proto, msg, body = c.request(SCRAPE, {1: world["p"].hex,
                                          2: [tracker.http_url, tracker.udp_url], 3: 2000}, 8)
    assert (proto, msg) == (COMMON, ERROR) and body[1] == UNAVAILABLE, body
    assert body[2] == PAUSED_REASON, body
    time.sleep(max(0.0, 3.0 - (time.monotonic() - t1)))
    assert _tracker_counts(tracker) == counts, "the tracker heard from someone while paused"
    assert hold.counts()["accepted"] == held["accepted"], "a connection while paused"
    if world["aria"]:
        assert world["aria"].rpc("aria2.getPeers", world["gid"]) == []
    assert _peers_of(c, "gw") == 0
    assert _gate(c, True, "test: still down") == 1  # unchanged: no second log line
    assert w.text()[mark:].count("swarm traffic paused (VPN gate)") == 1

    # --- it opens again ---
    t2 = time.monotonic()
    assert _gate(c, False, "test: wg0 is up") == 1
    wait_until(lambda: hold.counts()["shaken"] > held["shaken"], 5,
               what="the known peer connected again")
    wait_until(lambda: _tracker_counts(tracker)[0] > counts[0], 5,
               what="an announce at the tracker")
    print("[swarm-gate] peer and tracker back %.2f s after the resume" % (time.monotonic() - t2))
    assert "swarm traffic resumed" in w.text()[mark:]
    _metadata_ok(c, world, "gw")


def test_gated_worker_starts_paused_while_the_gate_is_closed(world, bare, control):
    tracker = world["tracker"]
    sp = _proxy(bare)
    c = control(sp.ready["rpc"])
    assert _gate(c, True, "test: down from the start") == 0
    counts = _tracker_counts(tracker)
    w = _worker(bare, sp, "late", gated=True)
    c.wait_workers(["late"])
    proto, msg, body = c.request(METADATA, {1: world["p"].hex, 2: _magnet(world), 3: 2000}, 8)
    assert (proto, msg) == (COMMON, ERROR) and body[1] == TIMEOUT, body
    assert _tracker_counts(tracker) == counts, "the tracker heard from someone while paused"
    assert _peers_of(c, "late") == 0
    assert "swarm traffic resumed" not in w.text()
    assert _gate(c, False) == 1
    _metadata_ok(c, world, "late")


def test_worker_without_the_option_ignores_the_gate(world, bare, control):
    tracker = world["tracker"]
    sp = _proxy(bare)
    w = _worker(bare, sp, "free", gated=False)
    c = control(sp.ready["rpc"])
    c.wait_workers(["free"])
    assert _gate(c, True, "test: wg0 is down") == 1
    wait_until(lambda: "VPN_GATE_TORRENTS is off" in w.text(), 5,
               what="the worker's note that it ignores the gate")
    _metadata_ok(c, world, "free")
    proto, msg, body = c.request(SCRAPE, {1: world["p"].hex, 2: [tracker.http_url], 3: 3000}, 8)
    assert (proto, msg) == (STREAM, SCRAPE_OK) and body[1] >= 1, body
    assert "swarm traffic paused" not in w.text()
    assert w.text().count("VPN_GATE_TORRENTS is off") == 1
