"""Discovery to playback, end to end, with real peers on loopback.

Two real torrents are seeded by aria2 and our own `seed` with opentracker on 127.0.0.1. A
small YTS stand-in (this process, real HTTP) lists both for one IMDb id: the first without a
.torrent URL, the second with one it serves. The whole stack runs (auth, stream-proxy,
source-discovery wired to the proxy's control API, one worker, the gateway). Checked:
  - POST /api/movies {imdbId} fills the movie and stores both sources, sealed;
  - the .torrent of the first is fetched through the pool (stream.METADATA: the worker gets
    the metadata from the swarm with the magnet's tracker, BEST_TRACKERS), the second's from
    its URL, both checked against their info-hash and stored sealed with their file lists;
  - SCRAPE through the pool stores the seeders;
  - POST /api/stream/token {movieId, quality: auto} streams the best source byte for byte.
"""
import hashlib
import json
import os
import shutil
import socket
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2
import pytest

from authlib import ADMIN_EMAIL, ADMIN_PASSWORD, NO_LIMITS, auth_header, call, login_ok
from btswarm import Aria2, Netns, OpenTracker, ProcSet, TorrentWorker, make_payload
from conftest import BIN, wait_until

CLI = BIN / "torrent-worker"
PIECE = 256 * 1024
IMDB = "tt7000001"


@pytest.fixture(scope="module")
def swarm():
    if not CLI.is_file():
        pytest.skip("%s is missing (make SANITIZER=address,undefined all)" % CLI)
    if not shutil.which("opentracker") or not shutil.which("aria2c"):
        pytest.skip("SKIP: opentracker and aria2c are needed (scripts/bootstrap.sh)")
    work = Path(tempfile.mkdtemp(prefix="marquee-disc-e2e-", dir="/tmp"))
    os.chmod(work, 0o755)
    ns = Netns(enable=False)
    procs = ProcSet(ns, work / "logs")
    try:
        a = make_payload("Found.Movie.2021.1080p.WEB-DL.x264", [("movie.mp4", 3 * 1024 * 1024 + 77)],
                         PIECE, seed="disc-a")
        b = make_payload("Found.Movie.2021.720p.BluRay.x264", [("movie.mp4", 2 * 1024 * 1024 + 5)],
                         PIECE, seed="disc-b")
        tracker = OpenTracker(ns, procs, work, [a.hex, b.hex])
        aria = Aria2(ns, procs, work, [tracker.http_url])
        gids = []
        for p in (a, b):
            t = p.write_torrent(work / (p.hex + ".torrent"), tracker.http_url)
            gids.append(aria.seed(p, t))
            TorrentWorker(ns, procs, CLI).seed(t, p.root, trackers=[tracker.http_url])
        for g in gids:
            aria.wait_seeding(g)
        for p in (a, b):
            wait_until(lambda p=p: tracker.scrape_http(p.info_hash)[0] >= 2, 20,
                       what="two seeders of %s at the tracker" % p.name)
        yield {"a": a, "b": b, "tracker": tracker, "work": work}
    finally:
        procs.stop_all()
        ns.close()


class MiniYts:
    """GET /api/v2/list_movies.json?query_term=IMDB -> both torrents; /torrent/<hex> -> the
    second one's .torrent; counts what was asked."""

    def __init__(self, a, b, announce):
        self.asked = []
        outer = self
        torrent_b = b.torrent_bytes(announce)

        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.asked.append(self.path)
                u = urllib.parse.urlsplit(self.path)
                q = urllib.parse.parse_qs(u.query)
                if u.path == "/torrent/" + b.hex.upper():
                    self._send(200, "application/x-bittorrent", torrent_b)
                    return
                if u.path != "/api/v2/list_movies.json":
                    self._send(404, "application/json", b'{"error":"no"}')
                    return
                movies = []
                if q.get("query_term") == [IMDB]:
                    movies = [{
                        "imdb_code": IMDB, "title": "Found Movie", "year": 2021, "runtime": 4,
                        "rating": 7.1, "genres": ["Drama"], "language": "en",
                        "yt_trailer_code": "abcdefghijk",
                        "medium_cover_image": "https://img.invalid/p.jpg",
                        "torrents": [
                            {"url": "", "hash": a.hex.upper(), "quality": "1080p", "type": "web",
                             "video_codec": "x264", "bit_depth": "8", "audio_channels": "2.0",
                             "seeds": 2, "peers": 0, "size_bytes": a.total,
                             "date_uploaded_unix": int(time.time()) - 86400},
                            {"url": outer.url + "/torrent/" + b.hex.upper(), "hash": b.hex,
                             "quality": "720p", "type": "bluray", "video_codec": "x264",
                             "bit_depth": "8", "audio_channels": "2.0", "seeds": 2, "peers": 0,
                             "size_bytes": b.total,
                             "date_uploaded_unix": int(time.time()) - 86400}]}]
                body = json.dumps({"status": "ok", "status_message": "Query was successful",
                                   "data": {"movie_count": len(movies), "limit": 20,
                                            "page_number": 1, "movies": movies}}).encode()
                self._send(200, "application/json", body)

            def _send(self, status, ctype, body):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_port
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _rows(url, sql, args=()):
    with psycopg2.connect(url) as c, c.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def test_found_fetched_scraped_and_streamed(stack, swarm, pg, request):
    a, b, tracker = swarm["a"], swarm["b"], swarm["tracker"]
    yts = MiniYts(a, b, tracker.http_url)
    try:
        db = {"DATABASE_URL": pg.url, "DB_WAIT": "10s"}
        auth = stack.spawn("auth", "auth", {"AUTH_BIND": "tcp://127.0.0.1:*", **db})
        disc_ep = "tcp://127.0.0.1:%d" % _free_port()
        sp = stack.spawn("stream-proxy", "stream-proxy",
                         {"STREAM_CONTROL_BIND": "tcp://127.0.0.1:*",
                          "STREAM_POOL_BIND": "tcp://127.0.0.1:*",
                          "STREAM_LISTEN": "127.0.0.1:0", "AUTH_ENDPOINT": auth.ready["rpc"],
                          "DISCOVERY_ENDPOINT": disc_ep})
        stack.spawn("source-discovery", "source-discovery",
                    {"DISCOVERY_BIND": disc_ep, **db, "STREAM_CONTROL_ENDPOINT": sp.ready["rpc"],
                     "DISCOVERY_PROVIDERS": "yts", "YTS_API_URL": yts.url, "YTS_MIRRORS": "",
                     "PROVIDER_PROBE_INTERVAL": "0", "DISCOVERY_BACKGROUND": "false",
                     "DISCOVERY_TICK": "200ms", "TORRENT_FETCH_CONCURRENCY": "2",
                     "TORRENT_FETCH_TIMEOUT": "20s", "SCRAPE_CONCURRENCY": "2",
                     "BEST_TRACKERS": tracker.http_url})
        stack.spawn("worker-1", "torrent-worker",
                    {"STREAM_POOL_ENDPOINT": sp.ready["pool"], "WORKER_ID": "w1"})
        stack.spawn("gateway", "gateway",
                    {"GATEWAY_LISTEN": "127.0.0.1:0", "AUTH_ENDPOINT": auth.ready["rpc"],
                     "AUDIT_ENDPOINT": auth.ready["audit"], "DISCOVERY_ENDPOINT": disc_ep,
                     "STREAM_CONTROL_ENDPOINT": sp.ready["rpc"],
                     "STREAM_PUBLIC_URL": "http://" + sp.ready["http"], **NO_LIMITS})
        base = stack.gateway_url
        admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
        A = auth_header(admin)
        t0 = time.monotonic()
        r = call(base, "POST", "/api/movies", {"imdbId": IMDB}, A)
        assert r.status == 201 and r.json["title"] == "Found Movie", r
        assert r.json["year"] == 2021 and r.json["trailer"] == "abcdefghijk", r
        movie = r.json["id"]

        def sources():
            r = call(base, "GET", "/api/movies/%d?includeSources=true" % movie, None, A)
            assert r.status == 200, r
            return r.json["sources"]
        src = sources()
        assert len(src) == 2 and {s["quality"] for s in src} == {"FHD", "HD"}, src
        wait_until(lambda: all(s["hasTorrentFile"] for s in sources()), 40,
                   what="both .torrent files fetched (pool and URL)")
        fetched = time.monotonic() - t0
        assert any(p.startswith("/torrent/" + b.hex.upper()) for p in yts.asked), yts.asked
        log = stack.daemons["source-discovery"].text()
        assert log.count(".torrent stored") == 2, log[-2000:]
        # the file lists are known now, and nothing in the table is in clear
        for s in sources():
            r = call(base, "GET", "/api/sources/%d" % s["id"], None, A)
            assert r.status == 200 and [f["path"] for f in r.json["files"]], r
        dump = repr(_rows(pg.url, "SELECT * FROM sources")).lower()
        for p in (a, b):
            assert p.hex not in dump and "magnet:" not in dump
        wait_until(lambda: _rows(pg.url, "SELECT bool_and(stats_at IS NOT NULL AND seeders >= 1) "
                                         "FROM sources")[0][0], 40,
                   what="both sources scraped through the pool")
        # the best source streams, byte for byte
        r = call(base, "POST", "/api/stream/token", {"movieId": movie, "quality": "auto"}, A)
        assert r.status == 200, r
        best = sources()[0]
        assert r.json["sourceId"] == best["id"] and best["quality"] == "FHD", (r.json, best)
        with urllib.request.urlopen(r.json["url"], timeout=60) as resp:
            body = resp.read()
        assert hashlib.sha256(body).hexdigest() == a.sha256["movie.mp4"]
        print("[discovery-e2e] found, both .torrent files in %.1f s (pool + URL), scraped, "
              "streamed %d bytes byte-exact" % (fetched, len(body)))
    finally:
        yts.stop()
