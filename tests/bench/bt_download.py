#!/usr/bin/env python3
"""Download benchmark: one file from a loopback swarm, ours against aria2c, qBittorrent and
WebTorrent.

A 512 MiB single file with 1 MiB pieces is seeded inside a loopback-only network namespace
(tests/integration/btswarm.py) by aria2, qbittorrent-nox and WebTorrent, with opentracker as
the tracker; the payload is read once first so it sits in the page cache. Each downloader then
fetches it into a fresh directory, BENCH_RUNS times (default 3, interleaved), and the median is
reported: wall time from process start to completion, MiB/s, peak RSS.

  completion: ours and WebTorrent: process exit (both exit on completion); aria2c: its
              --on-bt-download-complete hook; qbittorrent-nox: the WebUI reporting progress 1
              (polled every 20 ms; a fresh process each run, so its start-up counts).
  peak RSS:   GNU time (%M) for processes that exit; VmHWM for qbittorrent-nox,
              read before it is stopped.

Targets: ours no slower than the fastest other client; our peak RSS <= 32 MiB.

Environment: BENCH_RUNS (3), BENCH_SIZE_MIB (512), BENCH_CLIENTS (ours,aria2c,qbittorrent,
webtorrent), BENCH_BIN (build/release/bin), BENCH_STRICT=1 (exit 1 when a target is missed),
BENCH_KEEP=1 (keep the work directory). A client that cannot run is reported as SKIP.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from btswarm import (MIB, Aria2, Netns, OpenTracker, ProcSet, Qbit, aria2_common,  # noqa: E402
                     make_payload, tail, wait_until)

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SIZE_MIB = int(os.environ.get("BENCH_SIZE_MIB", "512"))
CLIENTS = os.environ.get("BENCH_CLIENTS", "ours,aria2c,qbittorrent,webtorrent").split(",")
BIN = Path(os.environ.get("BENCH_BIN", ROOT / "build" / "release" / "bin"))
NODE_DIR = ROOT / "tests" / "bench" / "node"
TIMEOUT = 300
TARGET_RSS_MIB = 32


def say(msg):
    print(msg, flush=True)


class Skip(Exception):
    pass


class Bench:
    def __init__(self):
        self.work = Path(tempfile.mkdtemp(prefix="marquee-bench-", dir="/tmp"))
        os.chmod(self.work, 0o755)
        self.ns = Netns()
        self.procs = ProcSet(self.ns, self.work / "logs")
        self.results = {}   # client -> list of (seconds, rss MiB)
        self.skipped = {}   # client -> reason

    # --- swarm -----------------------------------------------------------------------------

    def setup(self):
        t0 = time.monotonic()
        self.p = make_payload("bench%d" % SIZE_MIB, [("bench.bin", SIZE_MIB * MIB)], MIB,
                              seed="marquee-bench", single=True)
        say("payload %s: %d MiB, %d pieces of 1 MiB, info-hash %s (%.1f s)"
            % (self.p.name, SIZE_MIB, self.p.pieces, self.p.hex, time.monotonic() - t0))
        with open(self.p.path_of(self.p.name), "rb") as f:  # into the page cache
            while f.read(8 * MIB):
                pass
        self.tracker = OpenTracker(self.ns, self.procs, self.work, [self.p.hex])
        self.url = self.tracker.http_url
        self.torrent = self.p.write_torrent(self.work / "bench.torrent", self.url)
        seeders = []
        for name, start in (("aria2", self.seed_aria2), ("qbittorrent", self.seed_qbit),
                            ("webtorrent", self.seed_webtorrent)):
            try:
                start()
                seeders.append(name)
            except Skip as e:
                say("SKIP seeder %s: %s" % (name, e))
            except AssertionError as e:
                say("SKIP seeder %s: %s" % (name, str(e)[:600]))
        if not seeders:
            raise SystemExit("no seeder could start")
        wait_until(lambda: self.tracker.scrape_http(self.p.info_hash)[0] >= len(seeders), 60,
                   interval=0.2, what="%d seeders on the tracker" % len(seeders))
        say("seeders: %s (netns %s), set up in %.1f s" % (
            ", ".join(seeders), self.ns.name if self.ns.active else "none: " + str(self.ns.note),
            time.monotonic() - t0))

    def seed_aria2(self):
        if not shutil.which("aria2c"):
            raise Skip("aria2c is not installed")
        self.aria = Aria2(self.ns, self.procs, self.work, [self.url])
        self.aria.wait_seeding(self.aria.seed(self.p, self.torrent, verify=False), 120)

    def seed_qbit(self):
        if not shutil.which("qbittorrent-nox"):
            raise Skip("qbittorrent-nox is not installed")
        self.qbit = Qbit(self.ns, self.procs, self.work, name="qbittorrent-seed")
        self.qbit.add(self.p.root, torrent_path=self.torrent, skip_checking=True)
        self.qbit.wait_seeding(self.p.hex, 120)

    def node_ready(self):
        if not shutil.which("node"):
            raise Skip("node is not installed (scripts/bootstrap.sh --bench)")
        if not (NODE_DIR / "node_modules" / "webtorrent").is_dir():
            raise Skip("the WebTorrent library is not installed in %s (tests/bench/run.sh "
                       "installs it with npm)" % NODE_DIR)

    def seed_webtorrent(self):
        self.node_ready()
        port = self.ns.free_port()
        p = self.procs.start("webtorrent-seed", ["node", NODE_DIR / "wt.mjs", "seed",
                                                 self.torrent, self.p.root, port, self.url],
                             split=True)

        def ready():
            if not p.alive():
                raise AssertionError("exited %s: %s" % (p.rc, tail(p.err_path, 600)))
            return "seeding" in p.out()
        wait_until(ready, 120, interval=0.1, what="WebTorrent seeding")

    # --- downloaders -----------------------------------------------------------------------

    def fresh(self, client, run):
        d = self.work / ("out-%s-%d" % (client, run))
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        return d

    def finish(self, client, out, seconds, rss):
        problems = self.p.check_download(out)
        shutil.rmtree(out, ignore_errors=True)
        if problems:
            raise AssertionError("wrong download: %s" % "; ".join(problems))
        self.results.setdefault(client, []).append((seconds, rss))
        say("  %-12s %6.2f s  %7.1f MiB/s  peak RSS %6.1f MiB"
            % (client, seconds, SIZE_MIB / seconds, rss if rss is not None else float("nan")))

    def rss_wrapped(self, name, argv):
        """argv run under GNU time, which reports the program's own peak RSS: wait4() on a
        child forked from this Python process would count Python's pages too (the child
        shares them until exec), about 33 MiB here."""
        path = self.work / ("%s.maxrss" % name)
        if path.exists():
            path.unlink()
        return ["/usr/bin/time", "-q", "-f", "%M", "-o", path] + list(argv), path

    @staticmethod
    def rss_read(path):
        try:
            return int(Path(path).read_text().split()[-1]) / 1024.0
        except (OSError, ValueError, IndexError):
            return None

    def run_ours(self, run):
        exe = BIN / "torrent-worker"
        if not exe.is_file():
            raise Skip("%s does not exist (make all)" % exe)
        h = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=20)
        if "fetch" not in h.stdout + h.stderr:
            raise Skip("%s has no `fetch` command yet" % exe)
        out = self.fresh("ours", run)
        argv, rssf = self.rss_wrapped("ours", [exe, "fetch", self.torrent, "-o", out,
                                               "--tracker", self.url, "--timeout", "30"])
        p = self.procs.start("ours", argv, split=True, env={"DISABLE_DISCOVERY": "true"})
        p.wait(TIMEOUT)
        if p.rc != 0:
            raise AssertionError("exit %s: %s" % (p.rc, tail(p.err_path, 800)))
        m = re.search(r"^done .*$", p.out(), re.M)
        if m and run == 0:
            say("  ours says: %s" % m.group(0))
        self.finish("ours", out, p.seconds, self.rss_read(rssf))

    def run_aria2c(self, run):
        if not shutil.which("aria2c"):
            raise Skip("aria2c is not installed")
        out = self.fresh("aria2c", run)
        hook = self.work / "aria2-hook.sh"
        hook.write_text("#!/bin/sh\n: > \"%s-$1\"\n" % (self.work / "aria2-hook"))
        hook.chmod(0o755)
        for old in self.work.glob("aria2-hook-*"):
            old.unlink()
        wall0 = time.time()
        argv, rssf = self.rss_wrapped("aria2c", [
            "aria2c", *aria2_common([self.url], self.ns.free_port()), "--seed-time=0",
            "--dir=%s" % out, "--bt-stop-timeout=30", "--on-bt-download-complete=%s" % hook,
            self.torrent])
        p = self.procs.start("aria2c", argv)
        p.wait(TIMEOUT)
        if p.rc != 0:
            raise AssertionError("exit %s: %s" % (p.rc, tail(p.err_path, 800)))
        hooks = list(self.work.glob("aria2-hook-*"))
        if hooks:
            seconds = hooks[0].stat().st_mtime - wall0
        else:
            say("  (aria2c ran no completion hook: timing its exit)")
            seconds = p.seconds
        self.finish("aria2c", out, seconds, self.rss_read(rssf))

    def run_qbittorrent(self, run):
        if not shutil.which("qbittorrent-nox"):
            raise Skip("qbittorrent-nox is not installed")
        out = self.fresh("qbittorrent", run)
        t0 = time.monotonic()
        q = Qbit(self.ns, self.procs, self.work / ("qbit-leech-%d" % run), name="qbittorrent")
        try:
            q.add(out, torrent_path=self.torrent)
            q.wait_complete(self.p.hex, TIMEOUT, interval=0.02)
            seconds = time.monotonic() - t0
            rss = q.proc.vmhwm_mib()
        finally:
            q.proc.stop(20)
        self.finish("qbittorrent", out, seconds, rss)
        shutil.rmtree(self.work / ("qbit-leech-%d" % run), ignore_errors=True)

    def run_webtorrent(self, run):
        self.node_ready()
        out = self.fresh("webtorrent", run)
        argv, rssf = self.rss_wrapped("webtorrent", ["node", NODE_DIR / "wt.mjs", "fetch",
                                                     self.torrent, out, self.ns.free_port(),
                                                     self.url])
        p = self.procs.start("webtorrent", argv, split=True)
        p.wait(TIMEOUT)
        if p.rc != 0 or "done" not in p.out():
            raise AssertionError("exit %s: %s" % (p.rc, tail(p.err_path, 800)))
        self.finish("webtorrent", out, p.seconds, self.rss_read(rssf))

    # --- the run ---------------------------------------------------------------------------

    def run(self):
        self.setup()
        for run in range(RUNS):
            say("run %d of %d" % (run + 1, RUNS))
            for client in CLIENTS:
                if client in self.skipped:
                    continue
                fn = getattr(self, "run_" + client, None)
                if fn is None:
                    self.skipped[client] = "unknown client (BENCH_CLIENTS)"
                    continue
                try:
                    fn(run)
                except Skip as e:
                    self.skipped[client] = str(e)
                    say("  SKIP %s: %s" % (client, e))
                except AssertionError as e:
                    self.skipped[client] = "failed: %s" % str(e)[:400]
                    say("  FAIL %s: %s" % (client, str(e)[:1500]))
        return self.report()

    def report(self):
        say("")
        say("%d MiB single file, 1 MiB pieces, loopback, median of %d run(s):" % (SIZE_MIB, RUNS))
        say("%-12s %9s %9s %15s   runs (s)" % ("client", "seconds", "MiB/s", "peak RSS MiB"))
        med = {}
        for client in CLIENTS:
            if client in self.results:
                secs = [s for s, _ in self.results[client]]
                rss = [r for _, r in self.results[client] if r is not None]
                m = statistics.median(secs)
                med[client] = (m, max(rss) if rss else None)
                say("%-12s %9.2f %9.1f %15s   %s" % (
                    client, m, SIZE_MIB / m, "%.1f" % max(rss) if rss else "?",
                    " ".join("%.2f" % s for s in secs)))
            if client in self.skipped:
                say("%-12s SKIP: %s" % (client, self.skipped[client]))
        say("")
        ok = True
        others = {c: v for c, v in med.items() if c != "ours"}
        if "ours" in med and others:
            best = min(others, key=lambda c: others[c][0])
            hit = med["ours"][0] <= others[best][0]
            ok &= hit
            say("target: ours no slower than the fastest other (%s, %.2f s): ours %.2f s -> %s"
                % (best, others[best][0], med["ours"][0], "met" if hit else "MISSED"))
        else:
            say("target: ours no slower than the fastest other: not measured")
        if "ours" in med and med["ours"][1] is not None:
            hit = med["ours"][1] <= TARGET_RSS_MIB
            ok &= hit
            say("target: our peak RSS <= %d MiB: %.1f MiB -> %s"
                % (TARGET_RSS_MIB, med["ours"][1], "met" if hit else "MISSED"))
        else:
            say("target: our peak RSS <= %d MiB: not measured" % TARGET_RSS_MIB)
        return ok

    def close(self):
        problems = self.procs.stop_all(20)
        for p in problems:
            say("teardown: %s" % p[:500])
        self.ns.close()
        if os.environ.get("BENCH_KEEP"):
            say("work directory kept: %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    if RUNS < 1:
        raise SystemExit("BENCH_RUNS must be >= 1")
    b = Bench()
    try:
        ok = b.run()
    finally:
        b.close()
    if not ok and os.environ.get("BENCH_STRICT") == "1":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
