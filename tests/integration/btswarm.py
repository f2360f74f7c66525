"""A BitTorrent swarm on loopback for interop tests and benchmarks.

Everything runs inside a network namespace that has only a loopback interface (`ip netns`,
we are root), so no client can reach another address whatever its hidden defaults are; every
peer, the tracker and the program under test are started with `ip netns exec`, and the calls
this process makes itself (tracker scrapes, qBittorrent's WebUI, aria2's RPC) run on worker
threads that entered the namespace with setns(2). Without `ip netns` the swarm falls back to
plain 127.0.0.1 with every client's DHT, LPD, UPnP and PEX off.

Pieces:
  - bencode / bdecode / info_hash_of: an independent bencode codec (the info-hash is the SHA-1
    of the raw `info` value, taken from the file's own bytes).
  - make_payload: deterministic files (seeded PRNG per 1 MiB chunk), multi-file layouts, the
    info dictionary and its hash; cached under /tmp/marquee-bt-fixtures/<key>/.
  - Netns, ProcSet/Proc: the namespace, free ports inside it, processes tracked by PID and
    stopped at teardown (SIGTERM, bounded wait, SIGKILL); every wait is bounded.
  - OpenTracker, Aria2 (seeder over RPC), aria2_fetch (leecher), Qbit (qbittorrent-nox over
    its WebUI API), BadPeer (a seeder that serves corrupted blocks), TorrentWorker (our CLI).

Run as a script, `python3 btswarm.py badpeer ...` is the bad peer itself (see BadPeer).
"""
import asyncio
import base64
import ctypes
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

KIB = 1024
MIB = 1024 * 1024
FIXTURE_ROOT = Path(os.environ.get("MARQUEE_BT_FIXTURES", "/tmp/marquee-bt-fixtures"))
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehavior")
FIXTURE_VERSION = 1
CHUNK = MIB


def note(msg):
    """A line on the real stderr (visible with pytest -s or in its captured output)."""
    sys.stderr.write("btswarm: %s\n" % msg)
    sys.stderr.flush()


def wait_until(pred, timeout, interval=0.05, what="condition"):
    """Poll pred() until it returns a true value, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def tail(path, n=3000):
    try:
        return Path(path).read_text(errors="replace")[-n:]
    except OSError as e:
        return "(%s)" % e


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


# --- bencode --------------------------------------------------------------------------------

def bencode(v):
    if isinstance(v, bool):
        raise TypeError("bool in bencode")
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, (bytes, bytearray)):
        return b"%d:%s" % (len(v), bytes(v))
    if isinstance(v, (list, tuple)):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError("cannot bencode %r" % type(v))


def _bdec(data, i, depth=0):
    if depth > 64:
        raise ValueError("bencode nested too deep")
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        i += 1
        out = []
        while data[i:i + 1] != b"e":
            v, i = _bdec(data, i, depth + 1)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while data[i:i + 1] != b"e":
            k, i = _bdec(data, i, depth + 1)
            if not isinstance(k, bytes):
                raise ValueError("dict key not a string")
            out[k], i = _bdec(data, i, depth + 1)
        return out, i + 1
    if c.isdigit():
        colon = data.index(b":", i)
        n = int(data[i:colon])
        s = data[colon + 1:colon + 1 + n]
        if len(s) != n:
            raise ValueError("string past the end")
        return s, colon + 1 + n
    raise ValueError("bad bencode at %d" % i)


def bdecode(data):
    v, end = _bdec(bytes(data), 0)
    if end != len(data):
        raise ValueError("trailing bytes after bencode value")
    return v


def info_span(torrent):
    """The raw bytes of the top-level `info` value of a .torrent file."""
    data = bytes(torrent)
    if data[:1] != b"d":
        raise ValueError("not a dictionary")
    i = 1
    while data[i:i + 1] != b"e":
        k, i = _bdec(data, i)
        start = i
        _, i = _bdec(data, i)
        if k == b"info":
            return data[start:i]
    raise ValueError("no info dictionary")


def info_hash_of(torrent):
    return hashlib.sha1(info_span(torrent)).hexdigest()


def torrent_files(torrent):
    """[(relative path as str, length)] of a .torrent's info; single-file: [(name, length)]."""
    info = bdecode(info_span(torrent))
    name = info[b"name"].decode()
    if b"files" not in info:
        return name, [(name, info[b"length"])]
    return name, [("/".join(p.decode() for p in f[b"path"]), f[b"length"])
                  for f in info[b"files"]]


# --- payloads -------------------------------------------------------------------------------

class Payload:
    """Deterministic torrent content on disk: `root` holds <name> (single file) or <name>/...

    files: [(relative path, size)] (for a single file: [(name, size)]).
    """

    def __init__(self, base, manifest):
        self.base = Path(base)
        self.root = self.base / "data"
        self.name = manifest["name"]
        self.single = manifest["single"]
        self.piece_length = manifest["piece_length"]
        self.files = [(p, n) for p, n in manifest["files"]]
        self.sha256 = manifest["sha256"]
        self.info_raw = (self.base / "info.bencode").read_bytes()
        self.info_hash = hashlib.sha1(self.info_raw).digest()
        self.hex = self.info_hash.hex()
        self.total = sum(n for _, n in self.files)
        self.pieces = (self.total + self.piece_length - 1) // self.piece_length

    def path_of(self, rel, root=None):
        root = Path(root or self.root)
        return root / self.name if self.single else root / self.name / rel

    def torrent_bytes(self, announce=None):
        parts = [b"d"]
        if announce:
            parts.append(bencode("announce") + bencode(announce))
        parts.append(bencode("info") + self.info_raw + b"e")
        return b"".join(parts)

    def write_torrent(self, path, announce=None):
        Path(path).write_bytes(self.torrent_bytes(announce))
        return Path(path)

    def magnet(self, trackers=(), dn=True):
        m = "magnet:?xt=urn:btih:" + self.hex
        if dn:
            m += "&dn=" + urllib.parse.quote(self.name)
        for t in trackers:
            m += "&tr=" + urllib.parse.quote(t, safe="")
        return m

    def check_download(self, outdir):
        """Problems (missing file, size, sha256) of a download laid out under outdir."""
        problems = []
        for rel, size in self.files:
            p = self.path_of(rel, outdir)
            if not p.is_file():
                problems.append("%s: missing" % p)
                continue
            if p.stat().st_size != size:
                problems.append("%s: %d bytes, want %d" % (p, p.stat().st_size, size))
                continue
            got = sha256_file(p)
            if got != self.sha256[rel]:
                problems.append("%s: sha256 %s, want %s" % (p, got, self.sha256[rel]))
        return problems

    def intact(self):
        for rel, size in self.files:
            p = self.path_of(rel)
            if not p.is_file() or p.stat().st_size != size:
                return False
        return True


def make_payload(name, files, piece_length, seed="marquee", single=False):
    """A cached Payload. files: [(relpath, size)]; single=True: one file called `name`."""
    if single:
        assert len(files) == 1
        files = [(name, files[0][1])]
    params = json.dumps([FIXTURE_VERSION, name, files, piece_length, seed, single])
    key = "%s-%s" % (name, hashlib.sha1(params.encode()).hexdigest()[:12])
    base = FIXTURE_ROOT / key
    if (base / "manifest.json").is_file():
        p = Payload(base, json.loads((base / "manifest.json").read_text()))
        if p.intact():
            return p
        note("fixture %s damaged, regenerating" % base)
    FIXTURE_ROOT.mkdir(parents=True, exist_ok=True)
    os.chmod(FIXTURE_ROOT, 0o755)
    tmp = FIXTURE_ROOT / (".%s.%d.tmp" % (key, os.getpid()))
    shutil.rmtree(tmp, ignore_errors=True)
    data = tmp / "data"
    pieces = []
    pending = bytearray()
    sums = {}
    for rel, size in files:
        path = data / name if single else data / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        with open(path, "wb") as f:
            k, left = 0, size
            while left:
                n = min(CHUNK, left)
                b = random.Random("%s/%s/%d" % (seed, rel, k)).randbytes(n)
                f.write(b)
                h.update(b)
                pending += b
                if len(pending) >= piece_length:
                    whole = len(pending) - len(pending) % piece_length
                    view = memoryview(pending)
                    for off in range(0, whole, piece_length):
                        pieces.append(hashlib.sha1(view[off:off + piece_length]).digest())
                    view.release()
                    del pending[:whole]
                left -= n
                k += 1
        sums[rel] = h.hexdigest()
    if pending:
        pieces.append(hashlib.sha1(pending).digest())
    info = {"name": name, "piece length": piece_length, "pieces": b"".join(pieces)}
    if single:
        info["length"] = files[0][1]
    else:
        info["files"] = [{"length": n, "path": rel.split("/")} for rel, n in files]
    (tmp / "info.bencode").write_bytes(bencode(info))
    manifest = {"name": name, "single": single, "piece_length": piece_length, "files": files,
                "sha256": sums}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
    for d, _, fs in os.walk(tmp):
        os.chmod(d, 0o755)
        for f in fs:
            os.chmod(os.path.join(d, f), 0o644)
    shutil.rmtree(base, ignore_errors=True)
    os.rename(tmp, base)
    return Payload(base, manifest)


# --- network namespace ----------------------------------------------------------------------

CLONE_NEWNET = 0x40000000
_ns_seq = [0]


def _stale_namespaces():
    """Our namespaces left by a run whose process is gone: (name, pids inside)."""
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10)
    out = []
    for line in r.stdout.splitlines():
        m = re.match(r"(mq-bt-(\d+)(?:-\d+)?)\b", line)
        if m and not os.path.exists("/proc/%s" % m.group(2)):
            pids = subprocess.run(["ip", "netns", "pids", m.group(1)], capture_output=True,
                                  text=True, timeout=10).stdout.split()
            out.append((m.group(1), [int(p) for p in pids]))
    return out


class Netns:
    """A loopback-only network namespace, or plain 127.0.0.1 when namespaces are unavailable."""

    def __init__(self, enable=True):
        _ns_seq[0] += 1
        self.name = "mq-bt-%d-%d" % (os.getpid(), _ns_seq[0])
        self.active = False
        self.note = None
        self._pool = None
        self._ports = set()
        self._next_port = 20000 + (0 if enable else random.randrange(0, 8000))
        self._lock = threading.Lock()
        if enable:
            self._up()

    def _up(self):
        why = None
        if os.environ.get("MARQUEE_BT_NO_NETNS"):
            why = "MARQUEE_BT_NO_NETNS is set"
        elif os.geteuid() != 0:
            why = "not root"
        elif not shutil.which("ip"):
            why = "no ip(8) (iproute2)"
        if why is None:
            try:
                for name, pids in _stale_namespaces():
                    for pid in pids:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    subprocess.run(["ip", "netns", "del", name], timeout=10,
                                   capture_output=True)
            except (OSError, subprocess.SubprocessError):
                pass
            r = subprocess.run(["ip", "netns", "add", self.name], capture_output=True,
                               text=True, timeout=10)
            if r.returncode != 0:
                why = "ip netns add failed: %s" % r.stderr.strip()
            else:
                r = subprocess.run(["ip", "netns", "exec", self.name, "ip", "link", "set",
                                    "lo", "up"], capture_output=True, text=True, timeout=10)
                if r.returncode != 0:
                    subprocess.run(["ip", "netns", "del", self.name], capture_output=True,
                                   timeout=10)
                    why = "ip netns exec failed: %s" % r.stderr.strip()
        if why is not None:
            self.note = ("no network namespace (%s): the swarm runs on the host's 127.0.0.1 "
                         "with DHT/LPD/UPnP/PEX off in every client" % why)
            note(self.note)
            self._next_port = 20000 + random.randrange(0, 8000)
            return
        self.active = True
        self._pool = ThreadPoolExecutor(max_workers=4, initializer=self._enter,
                                        thread_name_prefix="netns")
        self.call(lambda: None)

    def _enter(self):
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open("/run/netns/%s" % self.name, os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns(%s): %s" % (self.name, os.strerror(e)))
        finally:
            os.close(fd)

    def call(self, fn, *args, **kw):
        """Run fn in the namespace (sockets it creates live there); return its result."""
        if not self.active:
            return fn(*args, **kw)
        return self._pool.submit(fn, *args, **kw).result()

    def wrap(self, argv):
        argv = [str(a) for a in argv]
        return ["ip", "netns", "exec", self.name, *argv] if self.active else argv

    def free_port(self):
        """A port free for TCP and UDP on 127.0.0.1, never handed out twice. Ports are taken
        below the kernel's ephemeral range, so outgoing connections cannot grab them."""
        def probe(p):
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(socket.AF_INET, kind)
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    return False
                finally:
                    s.close()
            return True

        with self._lock:
            for _ in range(5000):
                p = self._next_port
                self._next_port += 1
                if self._next_port >= 32000:
                    self._next_port = 20000
                if p not in self._ports and self.call(probe, p):
                    self._ports.add(p)
                    return p
        raise AssertionError("no free port found")

    def http(self, url, data=None, headers=None, timeout=10, method=None):
        """(status, body bytes) of an HTTP request made inside the namespace."""
        def go():
            req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
            try:
                with urllib.request.urlopen(req, timeout=timeout) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()
        return self.call(go)

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self.active:
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=10)
            self.active = False


# --- processes ------------------------------------------------------------------------------

class Proc:
    """One child process, started through the namespace; logs in files; reaped with wait4 so
    its rusage (peak RSS) is known."""

    def __init__(self, name, argv, logdir, ns=None, env=None, split=False, cwd=None,
                 expect_exit=None, sanitized=False):
        self.name = name
        self.argv = [str(a) for a in argv]
        logdir = Path(logdir)
        logdir.mkdir(parents=True, exist_ok=True)
        if split:
            self.out_path = logdir / ("%s.out" % name)
            self.err_path = logdir / ("%s.err" % name)
        else:
            self.out_path = self.err_path = logdir / ("%s.log" % name)
        full = dict(os.environ)
        full.update(env or {})
        out = open(self.out_path, "wb")
        err = open(self.err_path, "wb") if split else out
        self.t0 = time.monotonic()
        try:
            self.popen = subprocess.Popen(ns.wrap(self.argv) if ns else self.argv, env=full,
                                          stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                          cwd=cwd, start_new_session=True)
        finally:
            out.close()
            if split:
                err.close()
        self.pid = self.popen.pid
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self._pidfd = None
        self.rc = None
        self.rusage = None
        self.t_end = None
        self.timed_out = False
        self.expect_exit = expect_exit  # None: any exit code is fine at teardown
        self.sanitized = sanitized       # check its stderr for sanitizer reports

    def _signal(self, sig):
        if self.rc is not None:
            return
        try:
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, sig)
            else:
                os.kill(self.pid, sig)
        except (ProcessLookupError, OSError):
            pass

    def _reaped(self, status, ru):
        self.t_end = time.monotonic()
        self.rusage = ru
        self.rc = os.waitstatus_to_exitcode(status)
        self.popen.returncode = self.rc
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def poll(self):
        if self.rc is None:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                self._reaped(status, ru)
        return self.rc

    def alive(self):
        return self.poll() is None

    def wait(self, timeout):
        """Exit code; SIGKILL after `timeout` seconds (then timed_out is True)."""
        if self.rc is not None:
            return self.rc

        def kill():
            self.timed_out = True
            self._signal(signal.SIGKILL)
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(self.pid, 0)
        finally:
            timer.cancel()
        self._reaped(status, ru)
        return self.rc

    def stop(self, timeout=10, sig=signal.SIGTERM):
        if self.poll() is None:
            self._signal(sig)
            self.wait(timeout)
        return self.rc

    @property
    def seconds(self):
        return (self.t_end or time.monotonic()) - self.t0

    @property
    def maxrss_mib(self):
        return self.rusage.ru_maxrss / 1024.0 if self.rusage else None

    def out(self):
        return Path(self.out_path).read_text(errors="replace")

    def err(self):
        return Path(self.err_path).read_text(errors="replace")

    def sanitizer_report(self):
        text = self.err()
        return next((m for m in SANITIZER_MARKS if m in text), None)

    def vmhwm_mib(self):
        """Peak RSS of a running process, from /proc/PID/status."""
        try:
            for line in Path("/proc/%d/status" % self.pid).read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
        except OSError:
            pass
        return None


class ProcSet:
    """Every process a test module starts; stopped by PID at teardown."""

    def __init__(self, ns, logdir):
        self.ns = ns
        self.logdir = Path(logdir)
        self.procs = []

    def start(self, name, argv, **kw):
        names = {p.name for p in self.procs}
        base, n = name, 1
        while name in names:
            n += 1
            name = "%s-%d" % (base, n)
        p = Proc(name, argv, self.logdir, ns=self.ns, **kw)
        self.procs.append(p)
        return p

    def stop_all(self, timeout=10):
        problems = []
        for p in reversed(self.procs):
            rc = p.stop(timeout)
            if p.timed_out:
                problems.append("%s (pid %d) did not exit within %d s of SIGTERM"
                                % (p.name, p.pid, timeout))
            elif p.expect_exit is not None and rc != p.expect_exit:
                problems.append("%s (pid %d) exited %s, expected %s:\n%s"
                                % (p.name, p.pid, rc, p.expect_exit, tail(p.err_path)))
            if p.sanitized and p.sanitizer_report():
                problems.append("%s: sanitizer report:\n%s" % (p.name, tail(p.err_path, 6000)))
        return problems


# --- tracker --------------------------------------------------------------------------------

def _udp_tracker_scrape(port, info_hashes, timeout=3.0):
    """BEP 15 scrape: {hex: (seeders, completed, leechers)}."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        tx = random.getrandbits(31)
        s.sendto(struct.pack(">QII", 0x41727101980, 0, tx), ("127.0.0.1", port))
        data = s.recv(2048)
        action, rtx, conn = struct.unpack(">IIQ", data[:16])
        if action != 0 or rtx != tx:
            raise AssertionError("bad UDP connect reply %r" % data)
        tx += 1
        s.sendto(struct.pack(">QII", conn, 2, tx) + b"".join(info_hashes), ("127.0.0.1", port))
        data = s.recv(2048)
        action, rtx = struct.unpack(">II", data[:8])
        if action != 2 or rtx != tx:
            raise AssertionError("bad UDP scrape reply %r" % data)
        out = {}
        for i, ih in enumerate(info_hashes):
            out[ih.hex()] = struct.unpack(">III", data[8 + 12 * i:20 + 12 * i])
        return out
    finally:
        s.close()


class OpenTracker:
    """opentracker with an info-hash whitelist, HTTP and UDP on one port."""

    def __init__(self, ns, procs, workdir, hashes=()):
        self.ns = ns
        self.dir = Path(workdir) / "opentracker"
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.whitelist = self.dir / "whitelist"
        self.hashes = []
        self._write(hashes)
        self.port = ns.free_port()
        argv = ["opentracker", "-i", "127.0.0.1", "-p", self.port, "-P", self.port,
                "-d", self.dir, "-w", "whitelist", "-A", "127.0.0.1"]
        self.proc = procs.start("opentracker", argv)
        wait_until(self._answers, 10, what="opentracker on port %d" % self.port)

    @property
    def http_url(self):
        return "http://127.0.0.1:%d/announce" % self.port

    @property
    def udp_url(self):
        return "udp://127.0.0.1:%d/announce" % self.port

    def _write(self, hashes):
        for h in hashes:
            h = h.hex() if isinstance(h, bytes) else h
            if h not in self.hashes:
                self.hashes.append(h)
        self.whitelist.write_text("".join(h + "\n" for h in self.hashes))
        os.chmod(self.whitelist, 0o644)

    def _answers(self):
        if not self.proc.alive():
            raise AssertionError("opentracker exited %s:\n%s" % (self.proc.rc,
                                                                 tail(self.proc.err_path)))
        try:
            st, _ = self.ns.http("http://127.0.0.1:%d/scrape" % self.port, timeout=2)
            return st == 200
        except OSError:
            return False

    def allow(self, hashes):
        """Add hashes to the whitelist and reload it (SIGHUP); wait until it is in force."""
        self._write(hashes)
        self.proc._signal(signal.SIGHUP)
        probe_id = b"-MQPROBE-" + os.urandom(6).hex()[:11].encode()
        for h in hashes:
            h = bytes.fromhex(h) if isinstance(h, str) else h

            def accepted():
                r = self.announce(h, 9, left=0, event="started", peer_id=probe_id)
                ok = b"failure reason" not in r
                if ok:
                    self.announce(h, 9, left=0, event="stopped", peer_id=probe_id)
                return ok
            wait_until(accepted, 30, interval=0.1, what="opentracker whitelist reload")

    def announce(self, info_hash, port, left, event=None, peer_id=None, uploaded=0,
                 downloaded=0):
        """An HTTP announce as a (possibly fake) peer; returns the decoded reply."""
        q = {"info_hash": info_hash, "peer_id": peer_id or (b"-MQFAKE-" + b"0" * 12),
             "port": port, "uploaded": uploaded, "downloaded": downloaded, "left": left,
             "compact": 1}
        if event:
            q["event"] = event
        url = self.http_url + "?" + urllib.parse.urlencode(q)
        st, body = self.ns.http(url, timeout=5)
        if st != 200:
            raise AssertionError("announce: HTTP %d" % st)
        return bdecode(body)

    def scrape_http(self, info_hash):
        """(seeders, leechers, completed) from opentracker's HTTP scrape."""
        url = "http://127.0.0.1:%d/scrape?info_hash=%s" % (
            self.port, urllib.parse.quote_from_bytes(info_hash))
        st, body = self.ns.http(url, timeout=5)
        if st != 200:
            raise AssertionError("scrape: HTTP %d" % st)
        f = bdecode(body)[b"files"].get(info_hash, {})
        return (f.get(b"complete", 0), f.get(b"incomplete", 0), f.get(b"downloaded", 0))

    def scrape_udp(self, info_hash):
        """(seeders, leechers, completed) from opentracker's BEP 15 UDP scrape."""
        s, c, l_ = self.ns.call(_udp_tracker_scrape, self.port, [info_hash])[info_hash.hex()]
        return (s, l_, c)


# --- aria2 ----------------------------------------------------------------------------------

def aria2_common(trackers, port):
    """Flags that keep aria2 on the local swarm only (see loopback-peers.md)."""
    return ["--no-conf=true", "--enable-dht=false", "--enable-dht6=false",
            "--bt-enable-lpd=false", "--enable-peer-exchange=false",
            "--bt-exclude-tracker=*", "--bt-tracker=" + ",".join(trackers),
            "--interface=127.0.0.1", "--disable-ipv6=true", "--listen-port=%d" % port,
            "--summary-interval=0", "--console-log-level=warn", "--log-level=notice",
            "--file-allocation=none", "--allow-overwrite=true", "--auto-file-renaming=false",
            "--bt-max-peers=0", "--stop-with-process=%d" % os.getpid()]


class Aria2:
    """A long-running aria2c driven over JSON-RPC: seeds any number of torrents."""

    def __init__(self, ns, procs, workdir, trackers, name="aria2-seed", extra=()):
        self.ns = ns
        self.name = name
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = ns.free_port()
        self.rpc_port = ns.free_port()
        argv = ["aria2c", *aria2_common(trackers, self.port), "--enable-rpc=true",
                "--rpc-listen-port=%d" % self.rpc_port, "--rpc-listen-all=false",
                "--seed-ratio=0.0", "--max-concurrent-downloads=50",
                "--dir=%s" % self.dir, "--log=%s" % (self.dir / "aria2.log"), *extra]
        self.proc = procs.start(name, argv)

        def up():
            if not self.proc.alive():
                raise AssertionError("%s exited %s:\n%s" % (name, self.proc.rc,
                                                            tail(self.proc.err_path)))
            try:
                return self.rpc("aria2.getVersion")
            except OSError:
                return None
        wait_until(up, 10, what="%s RPC" % name)

    def rpc(self, method, *params):
        body = json.dumps({"jsonrpc": "2.0", "id": "1", "method": method,
                           "params": list(params)}).encode()
        st, data = self.ns.http("http://127.0.0.1:%d/jsonrpc" % self.rpc_port, data=body,
                                headers={"Content-Type": "application/json"}, timeout=5)
        doc = json.loads(data)
        if "error" in doc:
            raise AssertionError("aria2 %s: %s" % (method, doc["error"]))
        return doc["result"]

    def seed(self, payload, torrent_path, verify=True):
        """Seed payload (already on disk) from torrent_path; returns the GID."""
        opts = {"dir": str(payload.root), "seed-ratio": "0.0"}
        if verify:
            opts["check-integrity"] = "true"
        else:
            opts["bt-seed-unverified"] = "true"
        tb = base64.b64encode(Path(torrent_path).read_bytes()).decode()
        return self.rpc("aria2.addTorrent", tb, [], opts)

    def status(self, gid):
        return self.rpc("aria2.tellStatus", gid)

    def wait_seeding(self, gid, timeout=60):
        def seeding():
            st = self.status(gid)
            if st["status"] in ("error", "removed"):
                raise AssertionError("%s: download %s is %s: %s" % (
                    self.name, gid, st["status"], st.get("errorMessage")))
            return (st["status"] == "active" and st.get("seeder") == "true"
                    and st["completedLength"] == st["totalLength"]) and st
        return wait_until(seeding, timeout, interval=0.1, what="%s seeding" % self.name)

    def uploaded(self, gid):
        return int(self.status(gid)["uploadLength"])


def aria2_fetch(ns, procs, workdir, source, outdir, trackers, timeout=120, limit_bps=None,
                metadata_only=False, name="aria2-fetch"):
    """Run aria2c as a leecher until it exits; returns the waited Proc (rc, seconds, rusage).
    source: a .torrent path or a magnet URI."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    argv = ["aria2c", *aria2_common(trackers, ns.free_port()), "--seed-time=0",
            "--bt-stop-timeout=%d" % max(5, int(timeout)), "--dir=%s" % outdir,
            "--check-integrity=false", "--bt-hash-check-seed=false",
            "--log=%s" % (Path(workdir) / ("%s-%d.log" % (name, time.monotonic_ns())))]
    if limit_bps:
        argv.append("--max-overall-download-limit=%d" % limit_bps)
    if metadata_only:
        argv += ["--bt-metadata-only=true", "--bt-save-metadata=true"]
    argv.append(str(source))
    p = procs.start(name, argv)
    p.wait(timeout + 10)
    return p


# --- qBittorrent ----------------------------------------------------------------------------

QBIT_CONF = """[LegalNotice]
Accepted=true

[Application]
FileLogger\\Enabled=true
FileLogger\\Path={profile}/log

[BitTorrent]
Session\\AddTrackersEnabled=false
Session\\AnonymousModeEnabled=false
Session\\BTProtocol=TCP
Session\\DHTEnabled=false
Session\\DefaultSavePath={profile}/downloads
Session\\Encryption=0
Session\\GlobalMaxRatio=-1
Session\\Interface=lo
Session\\InterfaceAddress=127.0.0.1
Session\\InterfaceName=lo
Session\\LSDEnabled=false
Session\\MaxConnections=-1
Session\\MaxConnectionsPerTorrent=-1
Session\\MaxUploads=-1
Session\\MaxUploadsPerTorrent=-1
Session\\MultiConnectionsPerIp=true
Session\\PeXEnabled=false
Session\\Port={port}
Session\\Preallocation=false
Session\\QueueingSystemEnabled=false
Session\\ReannounceWhenAddressChanged=false
Session\\SSRFMitigation=false
Session\\TempPathEnabled=false
Session\\UseRandomPort=false

[Network]
PortForwardingEnabled=false
Proxy\\Type=None

[Preferences]
Advanced\\AnonymousMode=false
Bittorrent\\DHT=false
Bittorrent\\LSD=false
Bittorrent\\PeX=false
Connection\\PortRangeMin={port}
Connection\\ResolvePeerCountries=false
Connection\\ResolvePeerHostNames=false
Connection\\UPnP=false
General\\Locale=en
WebUI\\Address=127.0.0.1
WebUI\\CSRFProtection=false
WebUI\\ClickjackingProtection=false
WebUI\\Enabled=true
WebUI\\HostHeaderValidation=false
WebUI\\LocalHostAuth=false
WebUI\\Port={webui}
WebUI\\UseUPnP=false
"""

QBIT_SEEDING = ("uploading", "stalledUP", "forcedUP", "queuedUP")


class Qbit:
    """qbittorrent-nox with its own profile, driven over the WebUI API (inside the netns)."""

    def __init__(self, ns, procs, workdir, name="qbittorrent"):
        self.ns = ns
        self.name = name
        self.profile = Path(workdir) / name
        conf = self.profile / "qBittorrent" / "config" / "qBittorrent.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        self.port = ns.free_port()
        self.webui = ns.free_port()
        conf.write_text(QBIT_CONF.format(profile=self.profile, port=self.port,
                                         webui=self.webui))
        env = {"HOME": str(self.profile), "XDG_CONFIG_HOME": str(self.profile / "xdg-config"),
               "XDG_DATA_HOME": str(self.profile / "xdg-data"),
               "XDG_CACHE_HOME": str(self.profile / "xdg-cache"), "QT_QPA_PLATFORM": "offscreen"}
        self.proc = procs.start(name, ["qbittorrent-nox", "--profile=%s" % self.profile,
                                       "--webui-port=%d" % self.webui], env=env)
        self.base = "http://127.0.0.1:%d/api/v2" % self.webui

        def up():
            if not self.proc.alive():
                raise AssertionError("%s exited %s:\n%s" % (name, self.proc.rc,
                                                            tail(self.proc.err_path)))
            try:
                st, body = self.ns.http(self.base + "/app/version", timeout=2)
                return st == 200 and body
            except OSError:
                return None
        self.version = wait_until(up, 30, interval=0.1, what="%s WebUI" % name).decode()

    def get(self, path, **q):
        url = self.base + path + ("?" + urllib.parse.urlencode(q) if q else "")
        st, body = self.ns.http(url, timeout=5)
        if st != 200:
            raise AssertionError("%s GET %s: HTTP %d %r" % (self.name, path, st, body[:200]))
        return body

    def post(self, path, fields=None, files=None):
        """multipart/form-data POST; files: {field: (filename, bytes)}."""
        boundary = "----marquee%s" % os.urandom(8).hex()
        parts = []
        for k, v in (fields or {}).items():
            parts.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                          % (boundary, k, v)).encode())
        for k, (fn, data) in (files or {}).items():
            parts.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                          "filename=\"%s\"\r\nContent-Type: application/x-bittorrent\r\n\r\n"
                          % (boundary, k, fn)).encode() + data + b"\r\n")
        parts.append(("--%s--\r\n" % boundary).encode())
        st, body = self.ns.http(self.base + path, data=b"".join(parts), timeout=10,
                                headers={"Content-Type":
                                         "multipart/form-data; boundary=%s" % boundary})
        if st != 200:
            raise AssertionError("%s POST %s: HTTP %d %r" % (self.name, path, st, body[:200]))
        return body

    def add(self, savepath, torrent_path=None, magnet=None, skip_checking=False, trackers=()):
        fields = {"savepath": str(savepath), "paused": "false", "autoTMM": "false",
                  "skip_checking": "true" if skip_checking else "false",
                  "contentLayout": "Original"}
        if magnet:
            fields["urls"] = magnet
        files = None
        if torrent_path:
            files = {"torrents": (Path(torrent_path).name, Path(torrent_path).read_bytes())}
        body = self.post("/torrents/add", fields, files)
        if b"Ok" not in body:
            raise AssertionError("%s refused the torrent: %r" % (self.name, body))

    def info(self, hex_hash):
        got = json.loads(self.get("/torrents/info", hashes=hex_hash))
        return got[0] if got else None

    def wait_seeding(self, hex_hash, timeout=60):
        def seeding():
            t = self.info(hex_hash)
            if t and t["state"] in ("error", "missingFiles"):
                raise AssertionError("%s: torrent %s is %s" % (self.name, hex_hash, t["state"]))
            return t and t["progress"] >= 1.0 and t["state"] in QBIT_SEEDING and t
        return wait_until(seeding, timeout, interval=0.1, what="%s seeding" % self.name)

    def wait_complete(self, hex_hash, timeout=120, interval=0.02):
        def done():
            t = self.info(hex_hash)
            if t and t["state"] in ("error", "missingFiles"):
                raise AssertionError("%s: torrent %s is %s" % (self.name, hex_hash, t["state"]))
            return t and t["progress"] >= 1.0 and t["state"] not in (
                "checkingUP", "checkingDL", "checkingResumeData", "moving") and t
        return wait_until(done, timeout, interval=interval,
                          what="%s completing %s" % (self.name, hex_hash))

    def uploaded(self, hex_hash):
        t = self.info(hex_hash)
        return int(t["uploaded"]) if t else 0

    def delete(self, hex_hash, files=False):
        self.post("/torrents/delete", {"hashes": hex_hash,
                                       "deleteFiles": "true" if files else "false"})


# --- a peer that serves corrupted data ------------------------------------------------------

class BadPeer:
    """`python3 btswarm.py badpeer`: a seeder whose blocks of chosen pieces are corrupted.

    It announces itself to the tracker as a seed, answers the handshake with a full bitfield,
    unchokes whoever is interested and answers every request; in the pieces of `corrupt`
    ("all", "even", "odd" or "1,5,9") every block has bytes flipped. A remote that says it is a
    seed (full bitfield or have_all) is disconnected at once, as real clients do, so only
    leechers stay. Its log has one line per event: "listening PORT ...", "conn ADDR peer=ID",
    "request ADDR piece=I begin=B len=L corrupt=0|1",
    "closed ADDR by=remote|seed|... requests=N seed=0|1".
    """

    def __init__(self, ns, procs, payload, torrent_path, tracker_url, corrupt="all"):
        self.port = ns.free_port()
        argv = [sys.executable, Path(__file__).resolve(), "badpeer", "--torrent", torrent_path,
                "--data", payload.root, "--port", self.port, "--tracker", tracker_url,
                "--corrupt", corrupt]
        self.proc = procs.start("badpeer", argv, env={"PYTHONUNBUFFERED": "1"})
        self.addr = "127.0.0.1:%d" % self.port

        def up():
            if not self.proc.alive():
                raise AssertionError("bad peer exited:\n%s" % tail(self.proc.out_path))
            return "announced" in self.proc.out()
        wait_until(up, 10, what="bad peer listening and announced")

    def stats(self):
        """connections: accepted; closed: ended (any reason); leechers: ended connections that
        completed a plain BitTorrent handshake (an encrypted one, as aria2 tries first, fails)
        from peers that were not seeds; closed_by_remote: those the remote closed."""
        text = self.proc.out()
        return {
            "connections": len(re.findall(r"^conn ", text, re.M)),
            "closed": len(re.findall(r"^closed ", text, re.M)),
            "seeds": len(re.findall(r"^closed .* seed=1$", text, re.M)),
            "leechers": len(re.findall(r"^closed .* by=(?!handshake).* seed=0$", text, re.M)),
            "closed_by_remote": len(re.findall(r"^closed .* by=remote .* seed=0$", text, re.M)),
            "requests": len(re.findall(r"^request ", text, re.M)),
            "corrupt_blocks": len(re.findall(r"^request .* corrupt=1$", text, re.M)),
            "log": text,
        }


def _badpeer_main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="btswarm.py badpeer")
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tracker", default=None)
    ap.add_argument("--corrupt", default="all")
    a = ap.parse_args(argv)
    tb = Path(a.torrent).read_bytes()
    info_raw = info_span(tb)
    ih = hashlib.sha1(info_raw).digest()
    info = bdecode(info_raw)
    plen = info[b"piece length"]
    name, files = torrent_files(tb)
    single = b"files" not in info
    total = sum(n for _, n in files)
    npieces = (total + plen - 1) // plen
    if a.corrupt == "all":
        bad = set(range(npieces))
    elif a.corrupt == "even":
        bad = set(range(0, npieces, 2))
    elif a.corrupt == "odd":
        bad = set(range(1, npieces, 2))
    else:
        bad = {int(x) for x in a.corrupt.split(",") if x}
    spans = []
    off = 0
    for rel, n in files:
        p = Path(a.data) / name if single else Path(a.data) / name / rel
        spans.append((off, n, open(p, "rb")))
        off += n

    def read(pos, length):
        out = bytearray()
        for start, n, fh in spans:
            if length <= 0:
                break
            if pos < start + n and pos + length > start:
                lo = max(pos, start)
                hi = min(pos + length, start + n)
                fh.seek(lo - start)
                out += fh.read(hi - lo)
        return bytes(out)

    peer_id = b"-MQBAD0-" + os.urandom(6).hex().encode()
    bitfield = bytearray((npieces + 7) // 8)
    for i in range(npieces):
        bitfield[i // 8] |= 0x80 >> (i % 8)

    def log(msg):
        sys.stdout.write(msg + "\n")
        sys.stdout.flush()

    def full(bits):
        return len(bits) == len(bitfield) and all(
            bits[i // 8] & (0x80 >> (i % 8)) for i in range(npieces))

    async def handle(reader, writer):
        addr = "%s:%d" % writer.get_extra_info("peername")[:2]
        nreq = 0
        how = "remote"
        seed = 0
        try:
            hs = await asyncio.wait_for(reader.readexactly(68), 30)
            if hs[:20] != b"\x13BitTorrent protocol" or hs[28:48] != ih:
                log("conn %s peer=?" % addr)
                how = "handshake"
                return
            log("conn %s peer=%s" % (addr, hs[48:68].decode("latin-1").encode(
                "unicode_escape").decode()))
            writer.write(b"\x13BitTorrent protocol" + bytes(8) + ih + peer_id)
            writer.write(struct.pack(">IB", 1 + len(bitfield), 5) + bytes(bitfield))
            await writer.drain()
            while True:
                n = struct.unpack(">I", await reader.readexactly(4))[0]
                if n == 0:
                    continue
                if n > 1 << 17:
                    how = "oversized"
                    return
                msg = await reader.readexactly(n)
                mid = msg[0]
                if (mid == 5 and full(msg[1:])) or mid == 14:  # bitfield / have_all of a seed
                    seed = 1
                    how = "seed"
                    return
                if mid == 2:  # interested
                    writer.write(struct.pack(">IB", 1, 1))
                elif mid == 6 and n == 13:  # request
                    idx, begin, length = struct.unpack(">III", msg[1:13])
                    if idx >= npieces or length > 1 << 17:
                        continue
                    pos = idx * plen + begin
                    data = bytearray(read(pos, length))
                    corrupt = idx in bad
                    if corrupt:
                        for j in range(0, len(data), 997):
                            data[j] ^= 0xFF
                    nreq += 1
                    log("request %s piece=%d begin=%d len=%d corrupt=%d"
                        % (addr, idx, begin, length, int(corrupt)))
                    writer.write(struct.pack(">IBII", 9 + len(data), 7, idx, begin)
                                 + bytes(data))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError):
            how = "remote"
        except Exception as e:  # keep serving others
            how = "error %r" % e
        finally:
            log("closed %s by=%s requests=%d seed=%d" % (addr, how, nreq, seed))
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", a.port)
        log("listening %d pieces=%d corrupt=%d" % (a.port, npieces, len(bad)))
        if a.tracker:
            q = urllib.parse.urlencode({"info_hash": ih, "peer_id": peer_id, "port": a.port,
                                        "uploaded": 0, "downloaded": 0, "left": 0,
                                        "event": "started", "compact": 1})
            loop = asyncio.get_running_loop()
            body = await loop.run_in_executor(
                None, lambda: urllib.request.urlopen(a.tracker + "?" + q, timeout=5).read())
            log("announced %r" % body[:60])
        else:
            log("announced (no tracker)")
        stop = asyncio.Event()
        for s in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(s, stop.set)
        async with server:
            await stop.wait()
        log("exit")

    asyncio.run(main())
    return 0


# --- our CLI --------------------------------------------------------------------------------

class CliResult:
    def __init__(self, proc):
        self.proc = proc
        self.rc = proc.rc
        self.out = proc.out()
        self.err = proc.err()
        self.seconds = proc.seconds
        self.maxrss_mib = proc.maxrss_mib
        m = re.search(r"^done (.*)$", self.out, re.M)
        self.done = dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv) if m else None

    def __repr__(self):
        return "rc=%s after %.2f s\n--- stdout:\n%s\n--- stderr (tail):\n%s" % (
            self.rc, self.seconds, self.out[-2000:], self.err[-4000:])


class TorrentWorker:
    """Our `torrent-worker` CLI, run inside the namespace."""

    def __init__(self, ns, procs, binary, env=None):
        self.ns = ns
        self.procs = procs
        self.binary = str(binary)
        # no DHT: the swarm is the tracker's (and nothing may leave the machine)
        self.env = {"DISABLE_DISCOVERY": "true", **(env or {})}

    def run(self, name, args, timeout=120, env=None):
        e = dict(self.env)
        e.update(env or {})
        p = self.procs.start(name, [self.binary, *args], env=e, split=True, sanitized=True)
        p.wait(timeout)
        return CliResult(p)

    @staticmethod
    def _common(trackers, peers, timeout):
        a = []
        for t in trackers:
            a += ["--tracker", t]
        for p in peers:
            a += ["--peer", p]
        if timeout is not None:
            a += ["--timeout", str(timeout)]
        return a

    def fetch(self, source, outdir, trackers=(), peers=(), timeout=30, extra=(), env=None,
              wall=180, name="tw-fetch"):
        Path(outdir).mkdir(parents=True, exist_ok=True)
        return self.run(name, ["fetch", str(source), "-o", str(outdir),
                               *self._common(trackers, peers, timeout), *extra],
                        timeout=wall, env=env)

    def metadata(self, magnet, out, trackers=(), peers=(), timeout=30, wall=120):
        return self.run("tw-metadata", ["metadata", magnet, "-o", str(out),
                                        *self._common(trackers, peers, timeout)], timeout=wall)

    def scrape(self, target, trackers, timeout=10, wall=60):
        return self.run("tw-scrape", ["scrape", str(target),
                                      *self._common(trackers, (), timeout)], timeout=wall)

    def seed(self, torrent, data_dir, trackers=(), listen="127.0.0.1:0", wait=60):
        """Start `seed` and wait for its `seeding` line; returns the Proc with .seeding (dict)
        and .listen ("ip:port")."""
        args = ["seed", str(torrent), str(data_dir), "--listen", listen]
        for t in trackers:
            args += ["--tracker", t]
        p = self.procs.start("tw-seed", [self.binary, *args], env=dict(self.env), split=True,
                             expect_exit=0, sanitized=True)

        def line():
            m = re.search(r"^seeding (.*)$", p.out(), re.M)
            if m:
                return m
            if not p.alive():
                raise AssertionError("seed exited %s before its seeding line:\n%s"
                                     % (p.rc, tail(p.err_path)))
            return None
        m = wait_until(line, wait, what="the seeding line of torrent-worker seed")
        p.seeding = dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv)
        p.listen = p.seeding.get("listen")
        return p


def parse_scrape_lines(text):
    """{tracker URL: {"seeders": N, ...} or {"error": "..."}} from `scrape` output."""
    out = {}
    for line in text.splitlines():
        m = re.match(r'^tracker=(\S+) (.*)$', line)
        if not m:
            continue
        rest = m.group(2)
        e = re.match(r'^error="(.*)"$', rest)
        if e:
            out[m.group(1)] = {"error": e.group(1)}
        else:
            out[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", rest)}
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "badpeer":
        sys.exit(_badpeer_main(sys.argv[2:]))
    sys.stderr.write("usage: btswarm.py badpeer --torrent T --data DIR --port N "
                     "[--tracker URL] [--corrupt all|even|odd|I,J]\n")
    sys.exit(2)
