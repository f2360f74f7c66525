"""Hostile peers against our BitTorrent engine (security checklist §3 B-05 and B-06).

A scripted peer written here (plain sockets, a thread per connection) listens on a port in the
module's loopback-only namespace (btswarm.Netns: its sockets are created inside the namespace
with Netns.call, and a socket stays in the namespace it was created in whichever thread uses
it); our CLI is pointed at it with `--peer`. It does the BitTorrent handshake with the
extension bit (reserved[5] |= 0x10) and then misbehaves:

  - B-05, ut_metadata abuse against `metadata MAGNET --timeout 5`: absurd metadata_size
    values, data pieces with impossible indexes or sizes, total_size changing, metadata with a
    wrong hash, 16 MiB of garbage at the cap. The CLI must not crash, must give up with
    "no metadata after", must keep its peak RSS (/usr/bin/time %M) within a no-peer baseline
    + 17 MiB, and must say so when it refuses metadata. A last case serves the right metadata
    and must succeed (the peer script itself works).
  - B-06, peer-wire abuse against `fetch FILE.torrent`: oversized length prefixes, bad
    requests, haves and pieces with an index >= n, bad bitfields, unsolicited pieces. Our side
    must close that connection within 5 s with a logged reason, while a good peer (our own
    `seed`) lets the download finish with the right sha256. And 10,000 pipelined requests sent
    to our `seed`, which must queue at most 2,000 and keep serving others.

Every metadata run waits out its 5 s --timeout, so those runs are started together by one
module fixture and each case is then judged by its own test; the module stays under 90 s.
Engine problems found by these tests are marked xfail with the evidence, never worked around.
"""
import fcntl
import hashlib
import os
import random
import re
import signal
import socket
import struct
import termios
import threading
import time
from pathlib import Path

import pytest

from btswarm import (KIB, MIB, Netns, ProcSet, TorrentWorker, bdecode, bencode, info_hash_of,
                     make_payload, tail, wait_until)
from conftest import BIN, SANITIZER_MARKS, report

CLI = (Path(os.environ.get("MARQUEE_BIN_DIR") or BIN) / "torrent-worker").resolve()
TIME = Path("/usr/bin/time")
ENV = {"LOG_LEVEL": "info", "BT_LISTEN": "127.0.0.1:0", "DISABLE_DISCOVERY": "true"}

PSTR = b"\x13BitTorrent protocol"
RESERVED = bytes([0, 0, 0, 0, 0, 0x10, 0, 0])  # BEP 10 extension protocol only
OUR_UTM = 3                                     # our ut_metadata id in our extended handshake
MD_PIECE = 16 * KIB
MD_CAP = 16 * MIB                               # BT_METADATA_MAX of the engine
MD_TIMEOUT = 5
RSS_SLACK_MIB = 17                              # 16 MiB metadata cap + 1 MiB, over the baseline
# The one case that makes the engine fill a buffer at the cap: under ASan those 16 MiB cost
# more than 16 MiB (their 2 MiB shadow, the quarantine keeping every block freed while ~1,000
# messages were handled, fake stacks): measured +27 MiB over the baseline with the suite's
# ASAN_OPTIONS, +15.6 MiB with build/release. Under ASan it may use one more cap's worth
# (still below two cap-sized buffers, ~+45 MiB); without ASan the bound is the same as above.
CAP_ASAN_EXTRA_MIB = 16
EOF_WITHIN = 5.0
REQ_IN_MAX = 2000                               # BT_REQ_IN_MAX: requests queued at our seed
OUT_HIGH = 512 * KIB                            # BT_PEER_OUT_HIGH: output kept before pausing
FLOOD = 10000

# Single file, 65 pieces of 64 KiB (the last 1000 bytes): 65 % 8 != 0, so the bitfield has
# spare bits.
FETCH_FILES, FETCH_PL = [("abuse.bin", 4 * MIB + 1000)], 64 * KIB


def _report(request, msg):
    report(request, "abuse", msg)


_asan = []


def _asan_build():
    if not _asan:
        _asan.append(b"__asan_init" in CLI.read_bytes())
    return _asan[0]


def _sanitizer_free(proc):
    text = proc.err()
    for mark in SANITIZER_MARKS:
        assert mark not in text, "sanitizer report from %s:\n%s" % (proc.name, text[-6000:])


def _close_reason(err_text, addr):
    """(reason, bytes it had received) our CLI logged on closing the connection to `addr`, or
    (None, None)."""
    m = re.search(r"%s closed: (.*?)(?: \(down (\d+) up \d+\))?$" % re.escape(addr), err_text,
                  re.M)
    if not m:
        return None, None
    return m.group(1), int(m.group(2)) if m.group(2) else None


# --- the scripted peer ----------------------------------------------------------------------

class Closed(Exception):
    """The other side closed the connection (EOF or reset)."""


class Wire:
    """One connection: exact reads and whole messages, every read bounded by a deadline."""

    def __init__(self, sock, rec):
        self.s = sock
        self.rec = rec
        self.buf = bytearray()

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no data from the remote")
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(256 * KIB)
            except socket.timeout:
                raise TimeoutError("no data from the remote") from None
            except (ConnectionResetError, BrokenPipeError):
                self.rec["reset"] = True
                chunk = b""
            if not chunk:
                self.rec.setdefault("eof_at", time.monotonic())
                raise Closed()
            self.buf += chunk

    def exact(self, n, deadline):
        self._fill(n, deadline)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def msg(self, deadline):
        """(id, body) of the next message; id None for a keep-alive."""
        n = struct.unpack(">I", self.exact(4, deadline))[0]
        if n == 0:
            return None, b""
        body = self.exact(n, deadline)
        return body[0], body[1:]

    def send(self, data):
        try:
            self.s.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            self.rec["reset"] = True
            self.rec.setdefault("eof_at", time.monotonic())
            raise Closed() from None

    def drain_until_eof(self, deadline):
        """Read (and drop) until the remote closes: True, or False at the deadline."""
        try:
            while True:
                self.buf.clear()
                self._fill(1, deadline)
        except Closed:
            return True
        except TimeoutError:
            return False


def handshake(info_hash, peer_id=None):
    return PSTR + RESERVED + info_hash + (peer_id or b"-MQABUS-" + os.urandom(6).hex().encode())


def message(mid, payload=b""):
    return struct.pack(">IB", 1 + len(payload), mid) + payload


def extended(ext_id, payload):
    return struct.pack(">IBB", 2 + len(payload), 20, ext_id) + payload


def split_bencoded_dict(data):
    """(dict, bytes after it) of a ut_metadata message."""
    depth, i = 0, 0
    while True:
        c = data[i:i + 1]
        if c in (b"d", b"l"):
            depth += 1
            i += 1
        elif c == b"e":
            depth -= 1
            i += 1
            if depth == 0:
                return bdecode(data[:i]), data[i:]
        elif c == b"i":
            i = data.index(b"e", i) + 1
        elif c.isdigit():
            colon = data.index(b":", i)
            i = colon + 1 + int(data[i:colon])
        else:
            raise ValueError("bad bencode in a ut_metadata message")


class ScriptedPeer:
    """A listening socket in the namespace; each accepted connection runs handler(wire, rec)
    on its own thread. rec (a dict per connection) is what the scripted peer saw."""

    def __init__(self, ns, handler, name):
        self.name = name
        self.port = ns.free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.lsock = ns.call(socket.create_server, ("127.0.0.1", self.port), backlog=16)
        self.handler = handler
        self.conns = []
        self.threads = []
        self._stop = threading.Event()
        self._accepter = threading.Thread(target=self._accept, name="peer-" + name, daemon=True)
        self._accepter.start()

    def _accept(self):
        self.lsock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                s, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            rec = {"t0": time.monotonic(), "requests": []}
            self.conns.append(rec)
            t = threading.Thread(target=self._run, args=(s, rec), daemon=True)
            self.threads.append(t)
            t.start()

    def _run(self, s, rec):
        try:
            self.handler(Wire(s, rec), rec)
        except Closed:
            pass
        except Exception as e:  # noqa: BLE001 - recorded, asserted by the test
            rec["error"] = repr(e)
        finally:
            s.close()
            rec["done"] = time.monotonic()

    def close(self, timeout=5):
        self._stop.set()
        self._accepter.join(timeout)
        self.lsock.close()
        for t in self.threads:
            t.join(max(0.1, timeout))


# --- the module's namespace -----------------------------------------------------------------

class Env:
    pass


@pytest.fixture(scope="module")
def bt(request, tmp_path_factory):
    if not CLI.is_file():
        pytest.skip("%s does not exist (make SANITIZER=address,undefined all)" % CLI)
    t0 = time.monotonic()
    e = Env()
    e.work = tmp_path_factory.mktemp("abuse")
    os.chmod(e.work, 0o755)
    e.ns = Netns()
    e.procs = ProcSet(e.ns, e.work / "logs")
    e.cli = TorrentWorker(e.ns, e.procs, CLI, env=dict(ENV))
    e.fetch_p = make_payload("abuse", FETCH_FILES, FETCH_PL, single=True)
    e.torrent = e.fetch_p.write_torrent(e.work / "abuse.torrent")
    try:
        _report(request, "namespace %s up in %.2f s" % (
            e.ns.name if e.ns.active else "none (%s)" % e.ns.note, time.monotonic() - t0))
        yield e
    finally:
        problems = e.procs.stop_all()
        e.ns.close()
    assert not problems, "\n\n".join(problems)


# --- B-05: ut_metadata abuse ----------------------------------------------------------------

def _abuse_info():
    """An info dictionary of 3 metadata pieces (16 KiB, 16 KiB, the rest), no data needed."""
    n = 2100
    rnd = random.Random("marquee-abuse-info")
    info = {"name": "abuse-meta.bin", "piece length": 16 * KIB, "length": n * 16 * KIB - 5,
            "pieces": rnd.randbytes(20 * n)}
    raw = bencode(info)
    assert 2 * MD_PIECE < len(raw) < 3 * MD_PIECE
    # Same length, one byte of `pieces` flipped: valid bencode, the wrong info-hash.
    bad = bytearray(raw)
    bad[-30] ^= 0x55
    return raw, bytes(bad)


INFO_RAW, INFO_BAD = _abuse_info()
INFO_HASH = hashlib.sha1(INFO_RAW).digest()
MD_N = (len(INFO_RAW) + MD_PIECE - 1) // MD_PIECE

# case -> (metadata_size announced in the extended handshake, what the CLI must end with)
MD_CASES = {
    "size 2^31-1": (2 ** 31 - 1, "timeout"),
    "size 0": (0, "timeout"),
    "size -1": (-1, "timeout"),
    "size cap+1": (MD_CAP + 1, "timeout"),
    "piece -1": (len(INFO_RAW), "timeout"),
    "piece n": (len(INFO_RAW), "timeout"),
    "piece 2^31": (len(INFO_RAW), "timeout"),
    "short non-last piece": (len(INFO_RAW), "timeout"),
    "piece over 16 KiB": (len(INFO_RAW), "timeout"),
    "total_size changes": (len(INFO_RAW), "timeout"),
    "wrong hash": (len(INFO_RAW), "refused"),
    "16 MiB garbage at the cap": (MD_CAP, "refused"),
    "correct metadata": (len(INFO_RAW), "ok"),
}


def _md_data(piece, total, data):
    return bencode({"msg_type": 1, "piece": piece, "total_size": total}) + data


def _md_handler(case):
    size = MD_CASES[case][0]

    def piece_of(src, i):
        return src[i * MD_PIECE:(i + 1) * MD_PIECE]

    def answer(w, rec, their, i):
        """Our reply to the CLI's request for metadata piece i."""
        if case.startswith("size "):
            return _md_data_reject(w, their, i)
        if case == "piece -1":
            return w.send(extended(their, _md_data(-1, size, piece_of(INFO_RAW, 0))))
        if case == "piece n":
            return w.send(extended(their, _md_data(MD_N, size, piece_of(INFO_RAW, 0))))
        if case == "piece 2^31":
            return w.send(extended(their, _md_data(2 ** 31, size, piece_of(INFO_RAW, 0))))
        if case == "short non-last piece":
            data = piece_of(INFO_RAW, i)
            return w.send(extended(their, _md_data(i, size, data[:-1] if i == 0 else data)))
        if case == "piece over 16 KiB":
            data = piece_of(INFO_RAW, i)
            return w.send(extended(their, _md_data(i, size, data + b"x" if i == 0 else data)))
        if case == "total_size changes":
            # The first answer is right; each later one names another total_size, and after
            # the first the peer announces another metadata_size too.
            k = len(rec["requests"]) - 1
            w.send(extended(their, _md_data(i, size + 16 * KIB * k, piece_of(INFO_RAW, i))))
            if k == 0:
                w.send(extended(0, bencode({"m": {"ut_metadata": OUR_UTM},
                                            "metadata_size": size + 16 * KIB})))
            return None
        if case == "wrong hash":
            return w.send(extended(their, _md_data(i, size, piece_of(INFO_BAD, i))))
        if case == "16 MiB garbage at the cap":
            return w.send(extended(their, _md_data(i, size, random.Random(i).randbytes(MD_PIECE))))
        if case == "correct metadata":
            return w.send(extended(their, _md_data(i, size, piece_of(INFO_RAW, i))))
        raise AssertionError(case)

    def handle(w, rec):
        deadline = time.monotonic() + 20
        hs = w.exact(68, deadline)
        assert hs[:20] == PSTR and hs[28:48] == INFO_HASH, "not our handshake: %r" % hs[:48]
        w.send(handshake(INFO_HASH))
        their = None
        while their is None:  # the CLI's extended handshake tells its ut_metadata id
            mid, body = w.msg(deadline)
            if mid == 20 and body[:1] == b"\x00":
                their = bdecode(body[1:])[b"m"][b"ut_metadata"]
        rec["their_utm"] = their
        w.send(extended(0, bencode({"m": {"ut_metadata": OUR_UTM}, "metadata_size": size,
                                    "v": "abuse"})))
        while True:
            mid, body = w.msg(deadline)
            if mid != 20 or body[:1] != bytes([OUR_UTM]):
                continue
            d, _ = split_bencoded_dict(body[1:])
            if d.get(b"msg_type") != 0:
                continue
            rec["requests"].append((time.monotonic(), d[b"piece"]))
            answer(w, rec, their, d[b"piece"])

    return handle


def _md_data_reject(w, their, i):
    w.send(extended(their, bencode({"msg_type": 2, "piece": i})))


class MdRun:
    pass


def _start_metadata(e, case, peer):
    """`metadata` under /usr/bin/time (its %M is the peak RSS in KiB). Not wait4's rusage of
    our own child: that counts the pages the child shared with this Python process when it was
    forked (~40 MiB), before it exec'd the CLI."""
    r = MdRun()
    r.case = case
    r.peer = peer
    name = "md-" + (re.sub(r"\W+", "_", case) if peer is None else
                    "%02d-%s" % (list(MD_CASES).index(case), re.sub(r"\W+", "_", case)))
    d = e.work / name
    d.mkdir()
    r.out = d / "out.torrent"
    r.rss_file = d / "rss.txt"
    argv = [TIME, "-f", "%M", "-o", r.rss_file, CLI, "metadata",
            "magnet:?xt=urn:btih:" + INFO_HASH.hex(), "-o", r.out, "--timeout", MD_TIMEOUT]
    if peer:
        argv += ["--peer", peer.addr]
    r.proc = e.procs.start(name, argv, env=dict(ENV), split=True, cwd=d, sanitized=True)
    return r


def _wait_all(runs, timeout):
    """Reap the runs as they end (so each one's time is its own); SIGKILL after `timeout`."""
    deadline = time.monotonic() + timeout
    while [r for r in runs if r.proc.poll() is None] and time.monotonic() < deadline:
        time.sleep(0.02)
    for r in runs:
        if r.proc.poll() is None:
            r.proc.wait(0.01)  # kills /usr/bin/time (timed_out), then its child by group
            try:
                os.killpg(r.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _finish_metadata(r)


def _finish_metadata(r):
    r.rc = r.proc.rc
    r.err = r.proc.err()
    r.stdout = r.proc.out()
    r.seconds = r.proc.seconds
    try:
        r.rss_mib = int(r.rss_file.read_text().split()[-1]) / 1024.0
    except (OSError, ValueError, IndexError):
        r.rss_mib = None


@pytest.fixture(scope="module")
def md_runs(bt, request):
    """Every metadata case (and the no-peer baseline) started at once, then waited for."""
    if not TIME.is_file():
        pytest.skip("/usr/bin/time is not installed (Debian's `time`: scripts/bootstrap.sh)")
    t0 = time.monotonic()
    peers = {c: ScriptedPeer(bt.ns, _md_handler(c), "md%d" % i) for i, c in enumerate(MD_CASES)}
    runs = {"baseline": _start_metadata(bt, "baseline", None)}
    try:
        for c, p in peers.items():
            runs[c] = _start_metadata(bt, c, p)
        _wait_all(list(runs.values()), MD_TIMEOUT + 25)
    finally:
        for p in peers.values():
            p.close()
    base = runs["baseline"]
    _report(request, "metadata: %d runs together in %.1f s; baseline (no peer) rc=%s peak RSS "
            "%.1f MiB" % (len(runs), time.monotonic() - t0, base.rc, base.rss_mib or -1))
    return runs


def _md_summary(r):
    conns = r.peer.conns
    reqs = [p for c in conns for _, p in c["requests"]]
    eofs = ["%.2f s" % (c["eof_at"] - c["t0"]) if "eof_at" in c else "none" for c in conns]
    reason, _ = _close_reason(r.err, r.peer.addr)
    return ("conns=%d requests=%d%s eof=%s close=%r; cli rc=%s %.1f s peak RSS %.1f MiB"
            % (len(conns), len(reqs), (" pieces=%s" % sorted(set(reqs))[:6]) if reqs else "",
               ",".join(eofs) or "-", reason, r.rc, r.seconds, r.rss_mib or -1))


@pytest.mark.parametrize("case", list(MD_CASES))
def test_ut_metadata_abuse(md_runs, case, request):
    base, r = md_runs["baseline"], md_runs[case]
    _report(request, "B-05 %-26s %s" % (case + ":", _md_summary(r)))
    _sanitizer_free(r.proc)
    assert base.rc == 1 and "no metadata after %d s" % MD_TIMEOUT in base.err, \
        "baseline: rc=%s\n%s" % (base.rc, tail(base.proc.err_path))
    assert base.rss_mib, "no peak RSS from /usr/bin/time for the baseline"
    conns = r.peer.conns
    assert conns, "the CLI never connected to the scripted peer:\n%s" % r.err[-3000:]
    for c in conns:
        assert "error" not in c, "scripted peer failed: %s\n%s" % (c["error"], r.err[-3000:])
    assert r.rss_mib is not None, "no peak RSS from /usr/bin/time (rc=%s)" % r.rc
    slack = RSS_SLACK_MIB
    if case == "16 MiB garbage at the cap" and _asan_build():
        slack += CAP_ASAN_EXTRA_MIB
    assert r.rss_mib <= base.rss_mib + slack, \
        "peak RSS %.1f MiB > baseline %.1f + %d MiB" % (r.rss_mib, base.rss_mib, slack)
    want = MD_CASES[case][1]
    reqs = [p for c in conns for _, p in c["requests"]]
    if want == "ok":
        assert r.rc == 0, "rc=%s\n%s" % (r.rc, r.err[-3000:])
        assert info_hash_of(r.out.read_bytes()) == INFO_HASH.hex()
        assert "metadata name=abuse-meta.bin infohash=%s" % INFO_HASH.hex() in r.stdout, r.stdout
        return
    assert r.rc == 1, "rc=%s (the abusive peer's metadata was used?)\n%s" % (r.rc, r.err[-3000:])
    assert "no metadata after %d s" % MD_TIMEOUT in r.err, r.err[-3000:]
    assert not r.out.exists(), "a .torrent was written from abusive metadata"
    if case.startswith("size "):
        assert reqs == [], "metadata requested for an impossible size: %r" % reqs
    if want == "refused":
        assert "metadata from the swarm refused" in r.err, r.err[-3000:]
        # The peer whose metadata failed is not asked again (each piece requested once).
        n = MD_N if case == "wrong hash" else MD_CAP // MD_PIECE
        assert sorted(reqs) == list(range(n)), "requests %d (want each of %d once)" % (
            len(reqs), n)


# --- B-06: peer-wire abuse against `fetch` --------------------------------------------------

def _fetch_cases():
    p = FETCH_PL
    n = (FETCH_FILES[0][1] + p - 1) // p
    nb = (n + 7) // 8
    block = bytes(16 * KIB)
    return {
        "length 2^32-1": struct.pack(">IB", 0xFFFFFFFF, 7),
        "length 1 MiB + 1": struct.pack(">IB", MIB + 1, 20),
        "request length 16 KiB + 1": message(6, struct.pack(">III", 0, 0, 16 * KIB + 1)),
        "request begin+len > piece": message(6, struct.pack(">III", 0, p - 8 * KIB, 16 * KIB)),
        "have index n": message(4, struct.pack(">I", n)),
        "piece index n": message(7, struct.pack(">II", n, 0) + block),
        "bitfield too long": message(5, bytes(nb + 1)),
        "bitfield too short": message(5, bytes(nb - 1)),
        "bitfield spare bits": message(5, b"\xff" * nb),
        "100 unsolicited pieces": b"".join(
            message(7, struct.pack(">II", i // 4, (i % 4) * 16 * KIB) + block)
            for i in range(100)),
    }


FETCH_CASES = _fetch_cases()


@pytest.fixture(scope="module")
def good_seed(bt):
    """Our `seed` with the real data: the good peer of every fetch."""
    sd = bt.cli.seed(bt.torrent, bt.fetch_p.root)
    assert sd.seeding.get("pieces") == "%d/%d" % (bt.fetch_p.pieces, bt.fetch_p.pieces)
    yield sd
    assert sd.alive(), "the good seed died:\n%s" % tail(sd.err_path)
    _sanitizer_free(sd)


def _wire_handler(ih, abuse):
    def handle(w, rec):
        deadline = time.monotonic() + 20
        hs = w.exact(68, deadline)
        assert hs[:20] == PSTR and hs[28:48] == ih, "not our handshake: %r" % hs[:48]
        w.send(handshake(ih))
        rec["abuse_at"] = time.monotonic()
        sent = 0
        try:  # a big abuse (the piece burst) may be cut short by our side closing
            for off in range(0, len(abuse), 16 * KIB + 13):
                w.send(abuse[off:off + 16 * KIB + 13])
                sent = off + len(abuse[off:off + 16 * KIB + 13])
        except Closed:
            pass
        rec["sent"] = sent
        w.drain_until_eof(rec["abuse_at"] + EOF_WITHIN + 5)
    return handle


@pytest.mark.parametrize("case", list(FETCH_CASES))
def test_peer_wire_abuse(bt, good_seed, case, request):
    p = bt.fetch_p
    abuse = FETCH_CASES[case]
    peer = ScriptedPeer(bt.ns, _wire_handler(p.info_hash, abuse), "wire")
    out = bt.work / ("dl-" + re.sub(r"\W+", "_", case))
    try:
        # 8 MB/s: the download takes ~0.5 s, so the abusive connection is judged long before
        # the CLI finishes (and closes every connection with "torrent removed").
        r = bt.cli.fetch(bt.torrent, out, peers=[peer.addr, good_seed.listen], timeout=10,
                          wall=60, name="fetch", extra=["--download-limit", "8"])
        wait_until(lambda: all("done" in c for c in peer.conns), EOF_WITHIN + 6,
                   what="the scripted peer's connections to end")
    finally:
        peer.close()
    conns = peer.conns
    reason, down = _close_reason(r.err, peer.addr)
    eof = [c["eof_at"] - c["abuse_at"] for c in conns if "eof_at" in c and "abuse_at" in c]
    _report(request, "B-06 %-27s conns=%d sent=%s/%d eof after %s reset=%s close=%r after %s "
            "bytes in; fetch rc=%s %.2f s" % (
                case + ":", len(conns), conns[0].get("sent") if conns else "-", len(abuse),
                ",".join("%.3f s" % x for x in eof) or "none",
                any(c.get("reset") for c in conns), reason, down, r.rc, r.seconds))
    _sanitizer_free(r.proc)
    assert conns, "the CLI never connected to the scripted peer:\n%s" % r.err[-3000:]
    for c in conns:
        assert "error" not in c, "scripted peer failed: %s" % c["error"]
    assert eof and all(x <= EOF_WITHIN for x in eof), \
        "the scripted peer saw no EOF within %.0f s of the abuse:\n%s" % (EOF_WITHIN,
                                                                           r.err[-3000:])
    assert reason and reason.startswith("protocol violation"), \
        "close reason for %s: %r\n%s" % (peer.addr, reason, r.err[-3000:])
    assert r.rc == 0, r
    assert not p.check_download(out), p.check_download(out)


# --- B-06: 10,000 pipelined requests to our seed --------------------------------------------

def _leecher_socket(ns, rcvbuf=None):
    def make():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        return s
    return ns.call(make)


def _blocks(p):
    out = []
    for i in range(p.pieces):
        size = min(p.piece_length, p.total - i * p.piece_length)
        for b in range(0, size, 16 * KIB):
            out.append((i, b, min(16 * KIB, size - b)))
    return out


def _connect_leecher(ns, addr, ih, rec, rcvbuf=None):
    """Handshake with our seed, send interested, wait for the unchoke."""
    host, port = addr.rsplit(":", 1)
    s = _leecher_socket(ns, rcvbuf)
    s.settimeout(5)
    s.connect((host, int(port)))
    w = Wire(s, rec)
    deadline = time.monotonic() + 10
    w.send(handshake(ih))
    hs = w.exact(68, deadline)
    assert hs[:20] == PSTR and hs[28:48] == ih, hs[:48]
    w.send(message(2))  # interested
    while True:
        mid, _ = w.msg(deadline)
        if mid == 1:  # unchoke
            return w


def _read_pieces(w, data, quiet, limit):
    """Count piece messages (checking their bytes) until `quiet` s without one or `limit` s."""
    n, bad = 0, 0
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            mid, body = w.msg(min(end, time.monotonic() + quiet))
        except TimeoutError:
            break
        if mid == 7:
            i, b = struct.unpack(">II", body[:8])
            pos = i * FETCH_PL + b
            n += 1
            bad += data[pos:pos + len(body) - 8] != body[8:]
    return n, bad


def test_10000_pipelined_requests_to_our_seed(bt, request):
    p = bt.fetch_p
    data = p.path_of(p.name).read_bytes()
    sd = bt.cli.seed(bt.torrent, p.root)
    rec = {}
    w = _connect_leecher(bt.ns, sd.listen, p.info_hash, rec, rcvbuf=64 * KIB)
    blocks = _blocks(p)
    reqs = b"".join(message(6, struct.pack(">III", *blocks[k % len(blocks)]))
                    for k in range(FLOOD))
    t0 = time.monotonic()
    w.s.settimeout(10)
    w.send(reqs)

    # Not reading: wait until the seed has every request (nothing left unacked in our send
    # queue), then a little more for it to take them in.
    def outq():
        return struct.unpack("i", fcntl.ioctl(w.s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
    wait_until(lambda: outq() == 0, 10, what="the seed to take the 10,000 requests")
    time.sleep(1.0)
    assert sd.alive(), "seed died under the request flood:\n%s" % tail(sd.err_path)
    # What can be in flight besides the queue: the seed's output buffer (up to OUT_HIGH plus
    # the block that crossed it), its socket send buffer (at most tcp_wmem's max, read in the
    # namespace) and our receive buffer; +8 blocks of slack for skb accounting.
    wmem_max = int(bt.ns.call(lambda: Path("/proc/sys/net/ipv4/tcp_wmem").read_text()).split()[2])
    rcv = w.s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    fits = (OUT_HIGH + wmem_max + rcv) // (16 * KIB + 13) + 1 + 8
    got, bad = _read_pieces(w, data, quiet=1.5, limit=30)
    secs = time.monotonic() - t0
    w.s.close()
    rss = sd.vmhwm_mib()
    # Then a well-behaved leecher gets the whole file from the same seed.
    rec2 = {}
    w2 = _connect_leecher(bt.ns, sd.listen, p.info_hash, rec2)
    w2.send(b"".join(message(6, struct.pack(">III", *b)) for b in blocks))
    buf = bytearray(p.total)
    got2 = 0
    deadline = time.monotonic() + 20
    while got2 < len(blocks):
        mid, body = w2.msg(deadline)
        if mid == 7:
            i, b = struct.unpack(">II", body[:8])
            buf[i * FETCH_PL + b:i * FETCH_PL + b + len(body) - 8] = body[8:]
            got2 += 1
    w2.s.close()
    ok2 = hashlib.sha256(buf).hexdigest() == p.sha256[p.name]
    _report(request, "B-06 %d pipelined requests to our seed: %d pieces came back (bound %d + "
            "%d in flight), %d wrong; %.1f s; seed VmHWM %.1f MiB; a second leecher got %d "
            "blocks, sha256 %s" % (FLOOD, got, REQ_IN_MAX, fits, bad, secs, rss or -1, got2,
                                   "ok" if ok2 else "WRONG"))
    assert bad == 0, "%d pieces with wrong bytes" % bad
    assert REQ_IN_MAX <= got <= REQ_IN_MAX + fits, \
        "%d pieces answered for %d requests (queue cap %d, %d can be in flight)" % (
            got, FLOOD, REQ_IN_MAX, fits)
    assert ok2, "the second leecher's download has the wrong sha256"
    assert sd.alive(), tail(sd.err_path)
    assert sd.stop(15) == 0, "seed exit %s after SIGTERM:\n%s" % (sd.rc, tail(sd.err_path))
    _sanitizer_free(sd)
