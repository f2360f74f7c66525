#!/usr/bin/env python3
"""Streaming benchmark: ours (stream-proxy + torrent-worker) against WebTorrent and peerflix
streaming one movie out of the same swarm, and our edge against nginx on a cached file.

A single MP4-named file (128 MiB, 1 MiB pieces) is seeded inside a loopback-only network
namespace (tests/integration/btswarm.py) by aria2 and our own `torrent-worker seed`, with
opentracker as the tracker. Everything runs in that namespace: the seeders, the tracker, our
daemons (auth, source-discovery, stream-proxy, one torrent-worker, gateway; PostgreSQL runs
outside and is reached on its Unix socket), the node processes of the other clients, nginx,
and the HTTP requests of this script (sockets made by threads that entered the namespace).

Each client starts cold from a magnet (a fresh cache directory, nothing loaded) and is
measured in the same order, with the same offsets:
  TTFB      GET Range bytes=0- on a fresh connection: time to the first body byte, from the
            first request for ours (the source was added to the catalog as a magnet and a
            stream URL minted before; the worker has never seen it), and from the add of the
            magnet for the others (WebTorrent's client.add / peerflix(), then the GET as soon
            as their HTTP server can serve the file: a library cannot be asked before it has
            the metadata).
  seeks     20 ranges bytes=X-X+65535 at random offsets in parts not yet downloaded (one in
            each of 20 slots between 24 MiB and the last 2 MiB, each on a fresh connection):
            time to the first body byte, median and p95. Before each seek the client is asked
            whether it already has those pieces (our worker: its cache file, SEEK_DATA; the
            others: their bitfield); such seeks are counted and reported.
  streams   10 concurrent GETs of 4 MiB at different places: peak RSS of the serving
            processes while they run (sampled every 20 ms).
  whole     GET of the whole file: MiB/s (the sustained streaming throughput; part of the
            file was fetched by the steps before, the rest comes from the swarm).
  RSS       VmHWM at the end of the serving processes: worker and proxy; node.
Every body is compared byte for byte with the file. Then, with the whole file in our worker's
cache, our edge against nginx (sendfile, one process) serving the same file from disk (page
cache warm), measured with curl, a C client, so that this script does not hold a fast server
back: the whole file (best of 3) and 200 random 1 MiB ranges on one curl (keep-alive where
the server keeps the connection), MiB/s from curl's own timings, and the servers' CPU time
per GiB (ours: worker + proxy). The bytes of those requests are checked by this script
first, untimed.

WebTorrent (npm `webtorrent`, client.createServer()) and peerflix (npm `peerflix`, its
library and HTTP server, the code its CLI runs; tests/bench/node/stream_peer.mjs) run with
DHT, LSD, PEX, UPnP/NAT-PMP and uTP off and fetch on demand only (see stream_peer.mjs).

Targets (issue 5): TTFB and seek latency (median and p95) <= half of the best other client's;
cached throughput >= 70 % of nginx's; worker RSS <= 64 MiB with 10 concurrent streams.

Environment: STREAM_BENCH_CLIENTS (ours,webtorrent,peerflix,nginx), STREAM_BENCH_SIZE_MIB
(128), STREAM_BENCH_PIECE_KIB (1024), BENCH_BIN (build/release/bin), BENCH_STRICT=1 (exit 1
when a target is missed or a client fails), BENCH_KEEP=1 (keep the work directory). A client
that cannot be installed or run is reported as SKIP and the others go on.
"""
import json
import math
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "scripts"))
from btswarm import (MIB, Aria2, Netns, OpenTracker, ProcSet, TorrentWorker,  # noqa: E402
                     make_payload, tail, wait_until)
from pgcluster import PgCluster, PgClusterError  # noqa: E402

CLIENTS = os.environ.get("STREAM_BENCH_CLIENTS", "ours,webtorrent,peerflix,nginx").split(",")
SIZE_MIB = int(os.environ.get("STREAM_BENCH_SIZE_MIB", "128"))
PIECE = int(os.environ.get("STREAM_BENCH_PIECE_KIB", "1024")) * 1024
BIN = Path(os.environ.get("BENCH_BIN", ROOT / "build" / "release" / "bin"))
NODE_DIR = ROOT / "tests" / "bench" / "node"
NAME = "stream-bench.mp4"
PEERS = ("webtorrent", "peerflix")

SEEKS = 20
SEEK_LEN = 64 * 1024
SEEK_FROM = 24 * MIB        # past the first request's readahead
SEEK_TAIL = 2 * MIB         # not in the tail (fetched at open by ours, for container indexes)
STREAMS = 10
STREAM_LEN = 4 * MIB
RANGES = 200
RANGE_LEN = MIB
WHOLE_RUNS = 3
HTTP_TIMEOUT = 60           # seconds without progress on one HTTP exchange
RSS_PERIOD = 0.02
TARGET_RATIO = 0.5          # TTFB and seeks: at most half of the best other client's
TARGET_CACHED = 0.70        # cached throughput: at least 70 % of nginx's
TARGET_WORKER_RSS = 64.0    # MiB with 10 concurrent streams

JWT_SECRET = "bench-" + os.urandom(24).hex()
ADMIN = ("admin@bench.local", "bench-admin-" + os.urandom(8).hex())
SOURCE_SECURITY_KEY = "bWFycXVlZS1zdHJlYW0tYmVuY2gtc291cmNlLWtleTE="  # base64 of 32 bytes


def say(msg):
    print(msg, flush=True)


class Skip(Exception):
    pass


# --- HTTP from inside the namespace -----------------------------------------------------------

class Reply:
    def __init__(self, status, headers, t_first, nbody, body, keep):
        self.status = status
        self.headers = headers      # lower-case names
        self.t_first = t_first      # perf_counter() when the first body byte arrived (or None)
        self.nbody = nbody          # body bytes read
        self.body = body            # bytes, or None when read into a caller's buffer
        self.keep = keep            # the connection can carry another request


class Conn:
    """One HTTP/1.1 client connection made in the namespace (the socket lives there; this
    thread only reads and writes it). Bounded: HTTP_TIMEOUT without progress raises."""

    def __init__(self, ns, url):
        u = urllib.parse.urlsplit(url)
        self.ns = ns
        self.host, self.port = u.hostname, u.port or 80
        self.sock = None

    def open(self):
        self.close()
        self.sock = self.ns.call(socket.create_connection, (self.host, self.port), HTTP_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(HTTP_TIMEOUT)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def get(self, path, rng=None, into=None, limit=None):
        """GET path; the body goes into `into` (a writable memoryview at least as long as the
        body) or is returned; limit: read at most that many body bytes, then close."""
        if self.sock is None:
            self.open()
        head = "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: marquee-bench\r\n" % (
            path, self.host, self.port)
        if rng:
            head += "Range: %s\r\n" % rng
        self.sock.sendall((head + "\r\n").encode())
        buf = bytearray()
        while True:
            b = self.sock.recv(256 * 1024)
            if not b:
                raise ConnectionError("connection closed before the headers (%d bytes)"
                                      % len(buf))
            buf += b
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(buf) > 64 * 1024:
                raise ConnectionError("headers over 64 KiB")
        t_first = time.perf_counter() if len(buf) > end + 4 else None
        lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise ConnectionError("chunked bodies are not expected here")
        if "content-length" not in headers:
            raise ConnectionError("no Content-Length (status %d)" % status)
        length = int(headers["content-length"])
        want = length if limit is None else min(length, limit)
        keep = (headers.get("connection", "").lower() != "close" and limit is None)
        first = bytes(buf[end + 4:end + 4 + want])
        if into is not None:
            into[:len(first)] = first
            out = None
        else:
            out = bytearray(first)
        n = len(first)
        while n < want:
            if into is not None:
                got = self.sock.recv_into(into[n:want], min(want - n, 1 << 20))
            else:
                chunk = self.sock.recv(min(want - n, 1 << 20))
                got = len(chunk)
                out += chunk
            if got == 0:
                raise ConnectionError("connection closed after %d of %d body bytes" % (n, want))
            if t_first is None:
                t_first = time.perf_counter()
            n += got
        if not keep:
            self.close()
        return Reply(status, headers, t_first, n, None if out is None else bytes(out), keep)


def timed_get(ns, url, rng=None, into=None, limit=None):
    """(seconds from before the connect to the first body byte, Reply) on a fresh connection."""
    c = Conn(ns, url)
    u = urllib.parse.urlsplit(url)
    path = u.path + ("?" + u.query if u.query else "")
    t0 = time.perf_counter()
    try:
        c.open()
        r = c.get(path, rng=rng, into=into, limit=limit)
    finally:
        c.close()
    return (r.t_first - t0 if r.t_first is not None else None), r


class RssSampler:
    """Peak VmRSS (MiB) of some PIDs, sampled every RSS_PERIOD seconds while running."""

    def __init__(self, pids):
        self.pids = dict(pids)      # name -> pid
        self.peak = {n: 0.0 for n in self.pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for n, pid in self.pids.items():
                v = status_mib(pid, "VmRSS")
                if v is not None and v > self.peak[n]:
                    self.peak[n] = v
            self._stop.wait(RSS_PERIOD)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)


def status_mib(pid, field):
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return None


def cpu_seconds(pid):
    """User + system CPU time of a process so far (its threads included), or None."""
    try:
        fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def pct(values, p):
    """The p-th percentile (nearest rank) of values."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(p / 100.0 * len(s)) - 1))]


# --- the benchmark ------------------------------------------------------------------------------

class Bench:
    def __init__(self):
        self.work = Path(tempfile.mkdtemp(prefix="marquee-stream-bench-", dir="/tmp"))
        os.chmod(self.work, 0o755)
        self.ns = Netns()
        self.procs = ProcSet(self.ns, self.work / "logs")
        self.res = {}       # client -> {metric: value}
        self.skipped = {}   # client -> reason
        self.failed = {}    # client -> reason
        self.pg = None

    # --- swarm ----------------------------------------------------------------------------

    def setup(self):
        if not self.ns.active:
            raise Skip("%s; this benchmark runs only in a network namespace (root and ip(8))"
                       % self.ns.note)
        if not shutil.which("opentracker") or not shutil.which("aria2c"):
            raise Skip("opentracker and aria2c are needed (scripts/bootstrap.sh)")
        t0 = time.monotonic()
        self.p = make_payload(NAME, [(NAME, SIZE_MIB * MIB)], PIECE, seed="marquee-stream-bench",
                              single=True)
        self.path = self.p.path_of(NAME)
        self.data = self.path.read_bytes()   # the reference, and the file in the page cache
        self.size = len(self.data)
        self.tracker = OpenTracker(self.ns, self.procs, self.work, [self.p.hex])
        self.url = self.tracker.http_url
        self.torrent = self.p.write_torrent(self.work / "bench.torrent", self.url)
        self.magnet = self.p.magnet([self.url])
        seeders = self.seeders = []
        aria = Aria2(self.ns, self.procs, self.work, [self.url])
        aria.wait_seeding(aria.seed(self.p, self.torrent, verify=False), 120)
        seeders.append("aria2")
        cli = BIN / "torrent-worker"
        if cli.is_file():
            TorrentWorker(self.ns, self.procs, cli).seed(self.torrent, self.p.root,
                                                         trackers=[self.url], wait=120)
            seeders.append("ours (torrent-worker seed)")
        wait_until(lambda: self.tracker.scrape_http(self.p.info_hash)[0] >= len(seeders), 60,
                   interval=0.2, what="%d seeders on the tracker" % len(seeders))
        say("payload %s: %d MiB, %d pieces of %d KiB, info-hash %s; seeders: %s; netns %s "
            "(%.1f s)" % (NAME, SIZE_MIB, self.p.pieces, PIECE // 1024, self.p.hex,
                          ", ".join(seeders), self.ns.name, time.monotonic() - t0))
        rnd = random.Random(20250505)
        first, last = SEEK_FROM // PIECE, (self.size - SEEK_TAIL) // PIECE
        width = (last - first) // SEEKS
        if width < 2:
            raise SystemExit("stream bench: the file is too small for %d seek slots" % SEEKS)
        self.seeks = []
        for i in range(SEEKS):
            k = rnd.randrange(first + i * width, first + (i + 1) * width - 1)
            self.seeks.append(k * PIECE + rnd.randrange(PIECE))
        rnd.shuffle(self.seeks)
        self.streams = [min(self.size - STREAM_LEN, i * (self.size // STREAMS)
                            + rnd.randrange(self.size // STREAMS // 2)) for i in range(STREAMS)]
        self.ranges = [rnd.randrange(self.size - RANGE_LEN + 1) for _ in range(RANGES)]

    # --- measurements common to every client ----------------------------------------------

    def check(self, what, off, body):
        if body != self.data[off:off + len(body)]:
            raise AssertionError("%s: the bytes at %d differ from the file" % (what, off))

    def measure_swarm(self, name, url, pids, t_start, have):
        """TTFB (from t_start), seeks, 10 streams, whole file, RSS. `have(off, n)`: whether the
        client holds data at [off, off+n) already, or None when it cannot tell."""
        r = self.res.setdefault(name, {})
        ttfb, rep = timed_get(self.ns, url, rng="bytes=0-", limit=SEEK_LEN)
        if rep.status != 206 or ttfb is None:
            raise AssertionError("GET bytes=0-: HTTP %d %r" % (rep.status, (rep.body or b"")[:300]))
        self.check("bytes=0-", 0, rep.body)
        r["ttfb"] = rep.t_first - t_start
        say("  %-10s TTFB %.1f ms%s" % (name, r["ttfb"] * 1000, "" if r["ttfb"] - ttfb < 1e-3
                                        else " (%.1f ms of it from the GET)" % (ttfb * 1000)))
        lat, had = [], 0
        for off in self.seeks:
            end = min(self.size, off + SEEK_LEN) - 1
            h = have(off, end - off + 1)
            had += 1 if h else 0
            t, rep = timed_get(self.ns, url, rng="bytes=%d-%d" % (off, end))
            if rep.status != 206 or t is None or rep.nbody != end - off + 1:
                raise AssertionError("seek to %d: HTTP %d, %d bytes" % (off, rep.status,
                                                                        rep.nbody))
            self.check("seek", off, rep.body)
            lat.append(t)
        r["seek_med"], r["seek_p95"] = statistics.median(lat), pct(lat, 95)
        r["seek_had"] = had
        say("  %-10s seeks: median %.1f ms, p95 %.1f ms, max %.1f ms%s" % (
            name, r["seek_med"] * 1000, r["seek_p95"] * 1000, max(lat) * 1000,
            "; %d of %d into data it had already" % (had, SEEKS)))

        def stream(off):
            _, rep = timed_get(self.ns, url, rng="bytes=%d-%d" % (off, off + STREAM_LEN - 1))
            if rep.status != 206 or rep.nbody != STREAM_LEN:
                raise AssertionError("stream at %d: HTTP %d, %d bytes" % (off, rep.status,
                                                                          rep.nbody))
            self.check("stream", off, rep.body)
        t0 = time.perf_counter()
        with RssSampler(pids) as s, ThreadPoolExecutor(STREAMS) as pool:
            list(pool.map(stream, self.streams))
        r["streams_s"] = time.perf_counter() - t0
        r["rss10"] = dict(s.peak)
        say("  %-10s %d concurrent streams of %d MiB: %.2f s, peak RSS %s" % (
            name, STREAMS, STREAM_LEN // MIB, r["streams_s"],
            ", ".join("%s %.1f MiB" % kv for kv in s.peak.items())))
        buf = bytearray(self.size)
        t0 = time.perf_counter()
        _, rep = timed_get(self.ns, url, into=memoryview(buf))
        secs = time.perf_counter() - t0
        if rep.status != 200 or rep.nbody != self.size or buf != self.data:
            raise AssertionError("whole GET: HTTP %d, %d bytes%s" % (
                rep.status, rep.nbody, "" if buf == self.data else ", bytes differ"))
        r["whole"] = self.size / MIB / secs
        r["hwm"] = {n: max(status_mib(pid, "VmHWM") or 0.0, s.peak[n]) for n, pid in pids.items()}
        say("  %-10s whole file %.1f MiB/s; peak RSS %s" % (
            name, r["whole"], ", ".join("%s %.1f MiB" % kv for kv in r["hwm"].items())))

    def curl(self, args, timeout=300):
        """curl run in the namespace; its stdout (one -w line per transfer)."""
        r = subprocess.run(self.ns.wrap(["curl", "-s", "-S", *args]), capture_output=True,
                           text=True, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError("curl exit %d: %s" % (r.returncode, r.stderr[-600:]))
        return r.stdout

    def measure_cached(self, name, url, pids):
        """The whole file (best of WHOLE_RUNS) and RANGES random 1 MiB ranges on one curl
        (it keeps the connection where the server does), MiB/s from curl's own timings: a C
        client, so that a fast server is not held back by this script. The bytes are checked
        first by this script (untimed): the whole file and every range."""
        r = self.res.setdefault(name, {})
        buf = bytearray(self.size)
        _, rep = timed_get(self.ns, url, into=memoryview(buf))
        if rep.status != 200 or rep.nbody != self.size or buf != self.data:
            raise AssertionError("cached whole GET: HTTP %d, %d bytes%s" % (
                rep.status, rep.nbody, "" if buf == self.data else ", bytes differ"))
        del buf
        u = urllib.parse.urlsplit(url)
        path = u.path + ("?" + u.query if u.query else "")
        c = Conn(self.ns, url)
        try:
            for off in self.ranges:
                rep = c.get(path, rng="bytes=%d-%d" % (off, off + RANGE_LEN - 1))
                if rep.status != 206 or rep.nbody != RANGE_LEN:
                    raise AssertionError("cached range at %d: HTTP %d, %d bytes" % (
                        off, rep.status, rep.nbody))
                self.check("cached range", off, rep.body)
        finally:
            c.close()
        best = None
        cpu0 = {n: cpu_seconds(pid) for n, pid in pids.items()}
        for _ in range(WHOLE_RUNS):
            out = self.curl(["-o", "/dev/null", "-w", "%{http_code} %{size_download} "
                             "%{time_total}\n", url]).split()
            if out[0] != "200" or int(out[1]) != self.size:
                raise AssertionError("curl whole GET: %r" % out)
            best = float(out[2]) if best is None else min(best, float(out[2]))
        r["c_whole"] = self.size / MIB / best
        cpu1 = {n: cpu_seconds(pid) for n, pid in pids.items()}
        if None not in list(cpu0.values()) + list(cpu1.values()):
            r["c_cpu"] = {n: cpu1[n] - cpu0[n] for n in pids}
        cfg = self.work / ("%s-ranges.curl" % name)
        with open(cfg, "w") as f:
            for i, off in enumerate(self.ranges):
                if i:
                    f.write("next\n")
                f.write('url = "%s"\nrange = "%d-%d"\noutput = "/dev/null"\n'
                        'write-out = "%%{http_code} %%{size_download} %%{time_total} '
                        '%%{num_connects}\\n"\n' % (url, off, off + RANGE_LEN - 1))
        lines = [x.split() for x in self.curl(["-K", cfg]).splitlines() if x.strip()]
        if len(lines) != RANGES or any(x[0] != "206" or int(x[1]) != RANGE_LEN for x in lines):
            raise AssertionError("curl ranges: %d answers, first bad: %r" % (
                len(lines), next((x for x in lines if x[0] != "206"), None)))
        r["c_ranges"] = RANGES * RANGE_LEN / MIB / sum(float(x[2]) for x in lines)
        r["c_conns"] = sum(int(x[3]) for x in lines)
        say("  %-10s cached: whole file %.0f MiB/s (best of %d); %d ranges of 1 MiB %.0f MiB/s "
            "over %d connection(s) (curl)" % (name, r["c_whole"], WHOLE_RUNS, RANGES,
                                              r["c_ranges"], r["c_conns"]))

    # --- ours -----------------------------------------------------------------------------

    def daemon(self, name, env, wait=30):
        """Start BIN/name in the namespace; wait for its ready line; (Proc, ready dict)."""
        full = {"LOG_LEVEL": "notice", "JWT_SECRET": JWT_SECRET, "METRICS_LISTEN": "127.0.0.1:0",
                **env}
        p = self.procs.start(name, [BIN / name], env=full)
        pat = re.compile(r" %s\[%d\] main: ready (.*)$" % (re.escape(name), p.pid), re.M)

        def ready():
            m = pat.search(p.out())
            if m:
                return m
            if not p.alive():
                raise AssertionError("%s exited %s:\n%s" % (name, p.rc, tail(p.out_path, 2000)))
            return None
        m = wait_until(ready, wait, interval=0.05, what="%s ready" % name)
        return p, dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv)

    def api(self, base, method, path, body=None, token=None, want=(200, 201)):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        st, data = self.ns.http(base + path, method=method, headers=headers, timeout=15,
                                data=None if body is None else json.dumps(body).encode())
        if st not in want:
            raise AssertionError("%s %s: HTTP %d %r" % (method, path, st, data[:300]))
        return json.loads(data) if data else None

    def run_ours(self):
        for b in ("auth", "source-discovery", "stream-proxy", "torrent-worker", "gateway"):
            if not (BIN / b).is_file():
                raise Skip("%s is missing (make all)" % (BIN / b))
        self.pg = PgCluster(str(self.work / "pg"), fast=True)
        db = {"DATABASE_URL": self.pg.start(), "DB_WAIT": "10s"}
        started = []
        try:
            a, ar = self.daemon("auth", {**db, "AUTH_BIND": "tcp://127.0.0.1:*",
                                         "AUDIT_BIND": "tcp://127.0.0.1:*",
                                         "ADMIN_EMAIL": ADMIN[0], "ADMIN_PASSWORD": ADMIN[1]})
            started.append(a)
            d, dr = self.daemon("source-discovery", {**db,
                                                     "DISCOVERY_BIND": "tcp://127.0.0.1:*",
                                                     "SOURCE_SECURITY_KEY": SOURCE_SECURITY_KEY,
                                                     "DISCOVERY_PROVIDERS": "",
                                                     "TORRENT_FETCH_CONCURRENCY": "0",
                                                     "SCRAPE_CONCURRENCY": "0"})
            started.append(d)
            sp, spr = self.daemon("stream-proxy", {"STREAM_CONTROL_BIND": "tcp://127.0.0.1:*",
                                                   "STREAM_POOL_BIND": "tcp://127.0.0.1:*",
                                                   "STREAM_LISTEN": "127.0.0.1:0",
                                                   "AUTH_ENDPOINT": ar["rpc"],
                                                   "DISCOVERY_ENDPOINT": dr["rpc"],
                                                   "STREAM_SESSIONS_PER_USER": "100"})
            started.append(sp)
            cache = self.work / "ours-cache"
            w, _ = self.daemon("torrent-worker", {"STREAM_POOL_ENDPOINT": spr["pool"],
                                                  "WORKER_ID": "bench-1",
                                                  "BT_LISTEN": "127.0.0.1:%d"
                                                  % self.ns.free_port(),
                                                  "CACHE_DIR": str(cache),
                                                  "DISABLE_DISCOVERY": "true"})
            started.append(w)
            g, gr = self.daemon("gateway", {"GATEWAY_LISTEN": "127.0.0.1:0",
                                            "AUTH_ENDPOINT": ar["rpc"],
                                            "AUDIT_ENDPOINT": ar["audit"],
                                            "DISCOVERY_ENDPOINT": dr["rpc"],
                                            "STREAM_CONTROL_ENDPOINT": spr["rpc"],
                                            "STREAM_PUBLIC_URL": "http://" + spr["http"],
                                            "RATE_LIMIT_API": "off", "RATE_LIMIT_LOGIN": "off",
                                            "RATE_LIMIT_LOGIN_ACCOUNT": "off"})
            started.append(g)
            base = "http://" + gr["http"]

            def healthy():
                st, body = self.ns.http(base + "/api/health", timeout=5)
                return st == 200 and json.loads(body)["services"]["workers"]["up"] == 1
            wait_until(healthy, 20, interval=0.1, what="/api/health with 1 worker up")
            tok = self.api(base, "POST", "/api/auth/login",
                           {"email": ADMIN[0], "password": ADMIN[1]})["accessToken"]
            movie = self.api(base, "POST", "/api/movies", {"imdbId": "tt0000555",
                                                           "title": "Stream Bench"}, tok)["id"]
            source = self.api(base, "POST", "/api/movies/%d/sources" % movie,
                              {"magnet": self.magnet}, tok)["id"]
            url = self.api(base, "POST", "/api/stream/token", {"sourceId": source}, tok)["url"]
            cfile = cache / self.p.hex / NAME

            def have(off, n):
                """Whether our worker's cache file holds data in [off, off+n) (SEEK_DATA)."""
                try:
                    fd = os.open(cfile, os.O_RDONLY)
                except FileNotFoundError:
                    return False
                try:
                    return os.lseek(fd, off, os.SEEK_DATA) < off + n
                except OSError:
                    return False    # ENXIO: no data at or after off
                finally:
                    os.close(fd)
            pids = {"worker": w.pid, "proxy": sp.pid}
            self.measure_swarm("ours", url, pids, time.perf_counter(), have)
            if "nginx" in CLIENTS:
                self.measure_cached("ours", url, {"worker": w.pid, "proxy": sp.pid})
        finally:
            for p in reversed(started):
                p.stop(20)
            self.pg.stop()
            self.pg = None

    # --- WebTorrent, peerflix -------------------------------------------------------------

    def run_peer(self, mode):
        if not shutil.which("node"):
            raise Skip("node is not installed (scripts/bootstrap.sh --bench)")
        lib = {"webtorrent": "webtorrent", "peerflix": "peerflix"}[mode]
        if not (NODE_DIR / "node_modules" / lib).is_dir():
            raise Skip("npm `%s` is not installed in %s (tests/bench/run.sh installs it)"
                       % (lib, NODE_DIR))
        cport = self.ns.free_port()
        p = self.procs.start(mode, ["node", NODE_DIR / "stream_peer.mjs", mode, cport,
                                    self.ns.free_port(), self.work / ("%s-cache" % mode),
                                    self.url], split=True)
        try:
            def up():
                if not p.alive():
                    raise AssertionError("exited %s: %s" % (p.rc, tail(p.err_path, 1500)))
                return "control port=" in p.out()
            wait_until(up, 60, interval=0.05, what="%s control server" % mode)
            ctl = "http://127.0.0.1:%d" % cport
            t_start = time.perf_counter()
            st, body = self.ns.http(ctl + "/add?magnet=" + urllib.parse.quote(self.magnet,
                                                                              safe=""),
                                    timeout=90)
            if st != 200:
                raise AssertionError("add: HTTP %d %r; stderr: %s" % (st, body[:300],
                                                                      tail(p.err_path, 1500)))
            info = json.loads(body)
            if info["length"] != self.size or info["pieceLength"] != PIECE:
                raise AssertionError("add: unexpected file %r" % info)

            def have(off, n):
                st, body = self.ns.http("%s/have?from=%d&to=%d" % (ctl, off // PIECE,
                                                                   (off + n - 1) // PIECE),
                                        timeout=10)
                return st == 200 and json.loads(body)["have"] > 0
            self.measure_swarm(mode, info["url"], {"node": p.pid}, t_start, have)
        finally:
            p.stop(20)

    # --- nginx ----------------------------------------------------------------------------

    def run_nginx(self):
        exe = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                        else None)
        if not exe:
            raise Skip("nginx is not installed (scripts/bootstrap.sh --bench: nginx-light)")
        d = self.work / "nginx"
        for sub in ("tmp", "logs"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        port = self.ns.free_port()
        conf = d / "nginx.conf"
        conf.write_text("""daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    types {{ video/mp4 mp4; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
""".format(d=d, port=port, root=self.p.root))
        p = self.procs.start("nginx", [exe, "-e", d / "logs" / "error.log", "-p", d, "-c", conf])
        try:
            def up():
                if not p.alive():
                    raise AssertionError("nginx exited %s: %s" % (p.rc, tail(p.out_path, 1500)))
                try:
                    st, _ = self.ns.http("http://127.0.0.1:%d/" % port, timeout=2)
                    return st in (200, 403, 404)
                except OSError:
                    return False
            wait_until(up, 15, interval=0.05, what="nginx")
            self.measure_cached("nginx", "http://127.0.0.1:%d/%s" % (
                port, urllib.parse.quote(NAME)), {"nginx": p.pid})
        finally:
            p.stop(20)

    # --- the run --------------------------------------------------------------------------

    def run(self):
        self.setup()
        order = [c for c in ("ours", "nginx", "webtorrent", "peerflix") if c in CLIENTS]
        for c in CLIENTS:
            if c not in order:
                self.skipped[c] = "unknown client (STREAM_BENCH_CLIENTS)"
        for client in order:
            say("%s:" % client)
            try:
                if client in PEERS:
                    self.run_peer(client)
                else:
                    getattr(self, "run_" + client)()
            except Skip as e:
                self.skipped[client] = str(e)
                say("  SKIP %s: %s" % (client, e))
            except (AssertionError, OSError, ValueError, KeyError, subprocess.SubprocessError,
                    PgClusterError) as e:
                self.failed[client] = "%s: %s" % (type(e).__name__, str(e)[:600])
                say("  FAIL %s: %s" % (client, str(e)[:2000]))
        return self.report()

    def report(self):
        R = self.res
        say("")
        say("%d MiB single file (%s), %d KiB pieces, seeded by %s in a loopback-only netns; "
            "one run:" % (SIZE_MIB, NAME, PIECE // 1024, " + ".join(self.seeders)))
        peers = [c for c in PEERS if c in CLIENTS]
        cols = ["ours"] + peers
        say("%-34s" % "metric" + "".join("%13s" % c for c in cols) + "   target           result")
        ok = True

        def val(c, k, scale=1.0, fmt="%.1f"):
            v = R.get(c, {}).get(k)
            return fmt % (v * scale) if v is not None else "-"

        def row(label, key, scale, lower_better, target_ratio):
            nonlocal ok
            cells = "".join("%13s" % val(c, key, scale) for c in cols)
            others = [R[c][key] for c in peers if key in R.get(c, {})]
            mine = R.get("ours", {}).get(key)
            if mine is None or not others:
                say("%-34s%s   %-16s %s" % (label, cells, "-", "not measured"))
                return
            best = min(others) if lower_better else max(others)
            limit = best * target_ratio
            hit = mine <= limit if lower_better else mine >= limit
            ok &= hit
            say("%-34s%s   %-16s %s" % (label, cells, "%s %.1f" % ("<=" if lower_better else
                                                                  ">=", limit * scale),
                                        "PASS" if hit else "MISS"))
        row("TTFB, cold magnet (ms)", "ttfb", 1000, True, TARGET_RATIO)
        row("seek median (ms)", "seek_med", 1000, True, TARGET_RATIO)
        row("seek p95 (ms)", "seek_p95", 1000, True, TARGET_RATIO)
        say("%-34s" % "seeks into data already held" + "".join(
            "%13s" % ("-" if R.get(c, {}).get("seek_had") is None else "%d/%d" % (
                R[c]["seek_had"], SEEKS)) for c in cols))
        say("%-34s" % "whole file GET (MiB/s)" + "".join("%13s" % val(c, "whole") for c in cols))
        say("%-34s" % ("%d streams x %d MiB (s)" % (STREAMS, STREAM_LEN // MIB)) + "".join(
            "%13s" % val(c, "streams_s", 1, "%.2f") for c in cols))

        def rss(c, key, who):
            v = R.get(c, {}).get(key, {}).get(who)
            return "%.1f" % v if v is not None else "-"
        w10 = R.get("ours", {}).get("rss10", {}).get("worker")
        hit = w10 is not None and w10 <= TARGET_WORKER_RSS
        if w10 is not None:
            ok &= hit
        say("%-34s%13s%s   %-16s %s" % (
            "RSS with %d streams (MiB)" % STREAMS, "w " + rss("ours", "rss10", "worker"),
            "".join("%13s" % rss(c, "rss10", "node") for c in peers),
            "<= %.0f (worker)" % TARGET_WORKER_RSS,
            "not measured" if w10 is None else "PASS" if hit else "MISS"))
        say("%-34s%13s" % ("  proxy RSS with %d streams (MiB)" % STREAMS,
                           rss("ours", "rss10", "proxy")))
        say("%-34s%13s%s" % ("peak RSS, whole run (MiB)", "w " + rss("ours", "hwm", "worker"),
                             "".join("%13s" % rss(c, "hwm", "node") for c in peers)))
        say("%-34s%13s" % ("  proxy peak RSS (MiB)", rss("ours", "hwm", "proxy")))
        say("")
        say("%-34s%13s%13s%9s   %-16s %s" % ("cached file", "ours", "nginx", "ratio", "target",
                                             "result"))
        for label, key in (("whole file GET (MiB/s)", "c_whole"),
                           ("%d random 1 MiB ranges (MiB/s)" % RANGES, "c_ranges")):
            o, n = R.get("ours", {}).get(key), R.get("nginx", {}).get(key)
            if o is None or n is None:
                say("%-34s%13s%13s%9s   %-16s %s" % (label, val("ours", key, 1, "%.0f"),
                                                     val("nginx", key, 1, "%.0f"), "-",
                                                     ">= 70 %", "not measured"))
                continue
            hit = o >= TARGET_CACHED * n
            ok &= hit
            say("%-34s%13.0f%13.0f%8.0f%%   %-16s %s" % (label, o, n, 100.0 * o / n, ">= 70 %",
                                                        "PASS" if hit else "MISS"))
        def cpu(c):
            v = R.get(c, {}).get("c_cpu")
            per = 1024.0 * MIB / (WHOLE_RUNS * self.size)
            return "-" if v is None else "+".join("%.2f" % (x * per) for x in v.values())
        say("%-34s%13s%13s   %s" % ("  server CPU s per GiB (whole file)", cpu("ours"),
                                    cpu("nginx"), "ours: worker+proxy"))
        if "c_conns" in R.get("ours", {}) or "c_conns" in R.get("nginx", {}):
            say("%-34s%13s%13s" % ("  connections for the ranges", val("ours", "c_conns", 1, "%d"),
                                   val("nginx", "c_conns", 1, "%d")))
        for c in CLIENTS:
            if c in self.skipped:
                say("SKIP %s: %s" % (c, self.skipped[c]))
            if c in self.failed:
                say("FAIL %s: %s" % (c, self.failed[c]))
                ok = False
        return ok

    def close(self):
        problems = self.procs.stop_all(20)
        for p in problems:
            say("teardown: %s" % p[:500])
        if self.pg is not None:
            try:
                self.pg.stop()
            except Exception as e:  # keep tearing down
                say("teardown: postgres: %s" % e)
        self.ns.close()
        if os.environ.get("BENCH_KEEP"):
            say("work directory kept: %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    b = Bench()
    try:
        ok = b.run()
    except Skip as e:
        say("SKIP stream: %s" % e)
        return 0
    finally:
        b.close()
    if not ok and os.environ.get("BENCH_STRICT") == "1":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
