"""Source discovery end to end, against the recorded provider answers.

Two fixture servers (tests/tools/fixture_server.py) serve tests/fixtures/providers for YTS
and TheRARBG on 127.0.0.1; source-discovery talks real HTTP to them (YTS_API_URL,
THE_RARBG_API_URL). Checked here:
  - POST /api/movies {imdbId} fills the movie from the providers and its sources appear,
    ranked by score, with the release name's details; the raw table holds no hash or magnet;
  - every provider is asked: one failing (HTML error pages, 429) does not stop the other, and a
    search whose providers both answer merges them;
  - on demand: GET /api/movies/{id}?includeSources=true waits at most
    ONDEMAND_SEARCH_TIMEOUT_MS, answers what it has, and the search ends in the background;
  - background discovery picks movies that are due without anyone asking;
  - GET /api/movies: search and paging;
  - the VPN gate (a fake endpoint): down pauses provider traffic, /api/status says so, up
    resumes it by itself.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2
import pytest

from authlib import ADMIN_EMAIL, ADMIN_PASSWORD, NO_LIMITS, auth_header, call, login_ok
from conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("MARQUEE_FIXTURES", ROOT / "tests" / "fixtures" / "providers"))
SERVER = ROOT / "tests" / "tools" / "fixture_server.py"

# A YTS fixture with torrents, and TheRARBG fixtures (one torrent each once de-duplicated).
YTS_ID = "tt9150192"
RARBG_ID = "tt4154756"


class Fixture:
    """One fixture server process, stopped by its PID."""

    def __init__(self, provider):
        self.p = subprocess.Popen([sys.executable, str(SERVER), str(FIXTURES), provider],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        line = self.p.stdout.readline().split()
        assert line and line[0] == "PORT", "fixture server did not start: %r" % line
        self.url = "http://127.0.0.1:%s" % line[1]

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=5) as r:
            return json.loads(r.read() or b"{}")

    def mode(self, mode, **kw):
        q = "&".join(["set=" + mode] + ["%s=%s" % kv for kv in kw.items()])
        self.get("/__mode?" + q)

    def requests(self):
        return self.get("/__stats")["requests"]

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(5)


class Vpn:
    """A fake VPN status endpoint: {"vpn": {"connected": <bool>}}."""

    def __init__(self):
        self.up = True
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({"vpn": {"connected": outer.up}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/status" % self.srv.server_port
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def fixtures():
    assert FIXTURES.is_dir(), "no provider fixtures at %s" % FIXTURES
    yts, rarbg = Fixture("yts"), Fixture("therarbg")
    yield yts, rarbg
    yts.stop()
    rarbg.stop()


def _start(stack, fixtures, pg, **env):
    """The stack with both providers on their fixture servers; the catalog starts empty."""
    yts, rarbg = fixtures
    with psycopg2.connect(pg.url) as c, c.cursor() as cur:
        cur.execute("SELECT to_regclass('movies') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("TRUNCATE movies CASCADE")
    yts.get("/__reset")
    rarbg.get("/__reset")
    e = {"DISCOVERY_PROVIDERS": "yts,therarbg", "YTS_API_URL": yts.url, "YTS_MIRRORS": "",
         "THE_RARBG_API_URL": rarbg.url, "THE_RARBG_MIRRORS": "", "PROVIDER_TIMEOUT": "3s",
         "PROVIDER_RETRIES": "0", "PROVIDER_PROBE_INTERVAL": "0",
         "DISCOVERY_BACKGROUND": "false", "YTS_RATE": "6000", "YTS_ONDEMAND_RATE": "6000",
         "THE_RARBG_RATE": "6000", "THE_RARBG_ONDEMAND_RATE": "6000"}
    e.update(env)
    stack.start_core(workers=0, gateway_env=NO_LIMITS, extra_env=e)
    base = stack.gateway_url
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    return base, admin


def _rows(url, sql, args=()):
    with psycopg2.connect(url) as c, c.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _sources(base, tok, movie):
    r = call(base, "GET", "/api/movies/%d?includeSources=true" % movie, None, auth_header(tok))
    assert r.status == 200, r
    return r.json


def test_add_by_imdb_fills_the_movie_and_its_sources(stack, fixtures, pg, request):
    base, admin = _start(stack, fixtures, pg)
    yts, rarbg = fixtures
    t0 = time.monotonic()
    r = call(base, "POST", "/api/movies", {"imdbId": YTS_ID}, auth_header(admin))
    assert r.status == 201, r
    movie = r.json
    assert movie["title"] and movie["year"], movie  # from the providers, not given
    assert movie["runtime"] and movie["genres"], movie
    doc = _sources(base, admin, movie["id"])
    src = doc["sources"]
    assert len(src) >= 2, doc
    scores = [s["score"] for s in src]
    assert scores == sorted(scores, reverse=True), "sources are not ranked by score"
    for s in src:
        assert s["provider"] in ("YTS", "TheRARBG"), s
        assert s["quality"] in ("SD", "HD", "FHD", "2K", "4K", "8K"), s
        assert 0 < s["score"] <= 10000 and s["size"] > 0, s
        assert s["seeders"] is not None and s["uploadedAt"], s
        assert s["hasTorrentFile"] is False
    report_line = "imdb %s: %d sources in %.2f s, best %s %s %s (score %d)" % (
        YTS_ID, len(src), time.monotonic() - t0, src[0]["quality"], src[0]["videoCodec"],
        src[0]["sourceType"], src[0]["score"])
    print("[discovery] " + report_line)
    assert yts.requests() >= 1 and rarbg.requests() >= 1, "not every provider was asked"
    # the raw table: no hash and no magnet in clear, only sealed values and the blind index
    fixture = json.loads((FIXTURES / "yts" / "data" / "api" / "v2" /
                          ("list_movies.json-limit-20-page-1-query_term-%s.json" % YTS_ID))
                         .read_text())
    hashes = [t["hash"] for m in fixture["data"]["data"]["movies"] for t in m["torrents"]]
    dump = repr(_rows(pg.url, "SELECT * FROM sources")).lower()
    for h in hashes:
        assert h.lower() not in dump, "a plaintext info-hash is in the sources table"
        assert bytes.fromhex(h).hex() not in dump
    assert "magnet:" not in dump and "urn:btih" not in dump
    n = _rows(pg.url, "SELECT count(*) FROM sources WHERE info_hash_enc IS NOT NULL AND "
                      "magnet_enc IS NOT NULL AND info_hash_index IS NOT NULL")[0][0]
    assert n == len(src)
    # a second search stores nothing twice (merged by the blind index)
    r = call(base, "POST", "/api/movies", {"imdbId": YTS_ID}, auth_header(admin))
    assert r.status == 409, r


def test_every_provider_is_asked_and_one_failing_does_not_stop_the_other(stack, fixtures, pg):
    base, admin = _start(stack, fixtures, pg)
    yts, rarbg = fixtures
    rarbg.mode("html500")  # TheRARBG answers error pages
    r = call(base, "POST", "/api/movies", {"imdbId": YTS_ID, "title": "Given"},
             auth_header(admin))
    assert r.status == 201 and r.json["title"] == "Given", r
    doc = _sources(base, admin, r.json["id"])
    assert doc["sources"] and {s["provider"] for s in doc["sources"]} == {"YTS"}, doc
    assert rarbg.requests() >= 1
    st = call(base, "GET", "/api/status", None, {})
    assert st.status == 200, st
    provs = {p["name"]: p for p in st.json["providers"]}
    assert provs["TheRARBG"]["errors"] >= 1 and provs["TheRARBG"]["state"] != "ready", provs
    assert provs["YTS"]["state"] == "ready", provs
    # YTS rate-limits us, TheRARBG works again: its sources come, YTS's failure is no crash
    rarbg.mode("ok")
    yts.mode("429", retry_after=30)
    r = call(base, "POST", "/api/movies", {"imdbId": RARBG_ID, "title": "Other"},
             auth_header(admin))
    assert r.status == 201, r
    doc = _sources(base, admin, r.json["id"])
    assert {s["provider"] for s in doc["sources"]} == {"TheRARBG"}, doc


def test_on_demand_waits_then_the_search_finishes_in_the_background(stack, fixtures, pg):
    base, admin = _start(stack, fixtures, pg, ONDEMAND_SEARCH_TIMEOUT_MS="1200")
    yts, rarbg = fixtures
    r = call(base, "POST", "/api/movies", {"imdbId": YTS_ID, "title": "Slow"},
             auth_header(admin))
    assert r.status == 201, r
    movie = r.json["id"]
    yts.mode("slow", delay=2)  # under PROVIDER_TIMEOUT (3 s), over the on-demand wait
    rarbg.mode("slow", delay=2)
    t0 = time.monotonic()
    doc = _sources(base, admin, movie)
    waited = time.monotonic() - t0
    # it answered while the search was still running (so before its end), after waiting
    assert doc["sources"] == [] and doc["searching"] is True, doc
    assert waited >= 1.1, "the on-demand search was not waited for (%.2f s)" % waited
    # the search goes on and stores what it finds; a second GET does not start another
    before = yts.requests()

    def found():
        return _rows(pg.url, "SELECT count(*) FROM sources WHERE movie_id = %s", (movie,))[0][0]
    wait_until(lambda: found() > 0, 10, what="the background end of the on-demand search")
    doc = _sources(base, admin, movie)
    assert doc["sources"] and doc["searching"] is False, doc
    assert yts.requests() == before, "a second search ran while the first one was running"


def test_background_discovery_searches_movies_that_are_due(stack, fixtures, pg):
    base, admin = _start(stack, fixtures, pg, DISCOVERY_BACKGROUND="true", DISCOVERY_TICK="200ms")
    ids = []
    for imdb, title in ((YTS_ID, "Popular"), (RARBG_ID, "Less popular")):
        r = call(base, "POST", "/api/movies", {"imdbId": imdb, "title": title},
                 auth_header(admin))
        assert r.status == 201, r
        ids.append(r.json["id"])
    wait_until(lambda: all(_rows(pg.url, "SELECT searched_at IS NOT NULL FROM movies WHERE id "
                                         "= %s", (i,))[0][0] for i in ids), 15,
               what="both movies searched in the background")
    rows = _rows(pg.url, "SELECT id, next_search_at > now() + interval '1 hour', "
                         "(SELECT count(*) FROM sources s WHERE s.movie_id = m.id) "
                         "FROM movies m ORDER BY id")
    for mid, later, n in rows:
        assert n > 0 and later, (mid, later, n)  # found: next search a day later


def test_a_search_that_finds_nothing_backs_off_45_to_75_minutes(stack, fixtures, pg):
    base, admin = _start(stack, fixtures, pg, DISCOVERY_BACKGROUND="true", DISCOVERY_TICK="200ms")
    r = call(base, "POST", "/api/movies", {"imdbId": "tt0000001", "title": "Unknown"},
             auth_header(admin))
    assert r.status == 201, r
    mid = r.json["id"]
    wait_until(lambda: _rows(pg.url, "SELECT searched_at IS NOT NULL FROM movies WHERE id = %s",
                             (mid,))[0][0], 15, what="the search of an unknown id")
    mins = _rows(pg.url, "SELECT extract(epoch FROM next_search_at - searched_at) / 60, "
                         "search_misses FROM movies WHERE id = %s", (mid,))[0]
    assert 44.9 <= float(mins[0]) <= 75.1 and mins[1] == 1, mins


def test_movie_list_search_and_paging(stack, fixtures, pg):
    base, admin = _start(stack, fixtures, pg)
    for i, (imdb, title) in enumerate((("tt1000001", "The Big Sleep"),
                                       ("tt1000002", "Big Fish"),
                                       ("tt1000003", "Small Soldiers"))):
        r = call(base, "POST", "/api/movies", {"imdbId": imdb, "title": title},
                 auth_header(admin))
        assert r.status == 201, r
    r = call(base, "GET", "/api/movies?query=big&limit=1&page=1", None, auth_header(admin))
    assert r.status == 200 and r.json["total"] == 2 and len(r.json["results"]) == 1, r
    r2 = call(base, "GET", "/api/movies?query=big&limit=1&page=2", None, auth_header(admin))
    assert r2.status == 200 and len(r2.json["results"]) == 1, r2
    assert r.json["results"][0]["id"] != r2.json["results"][0]["id"]
    r = call(base, "GET", "/api/movies?query=tt1000003", None, auth_header(admin))
    assert [m["title"] for m in r.json["results"]] == ["Small Soldiers"], r
    r = call(base, "GET", "/api/movies?query=100%25_%5C", None, auth_header(admin))
    assert r.status == 200 and r.json["total"] == 0, r  # LIKE wildcards are literal
    r = call(base, "GET", "/api/movies", None, auth_header(admin))
    assert r.json["total"] == 3 and r.json["page"] == 1, r
    r = call(base, "GET", "/api/movies?limit=1000", None, auth_header(admin))
    assert r.status == 400, r
    r = call(base, "GET", "/api/movies", None, {})
    assert r.status == 401, r


def test_vpn_down_pauses_discovery_and_up_resumes_it(stack, fixtures, pg):
    vpn = Vpn()
    try:
        base, admin = _start(stack, fixtures, pg, VPN_CHECK_URL=vpn.url,
                             VPN_CHECK_FIELD="vpn.connected", VPN_CHECK_INTERVAL="200ms",
                             DISCOVERY_BACKGROUND="true", DISCOVERY_TICK="200ms",
                             ONDEMAND_SEARCH_TIMEOUT_MS="300")
        yts, rarbg = fixtures

        def status():
            r = call(base, "GET", "/api/status", None, {})
            assert r.status == 200, r
            return r.json
        wait_until(lambda: status()["vpn"]["up"], 10, what="the VPN seen up")
        assert status()["vpn"]["check"] == "endpoint"
        vpn.up = False
        wait_until(lambda: not status()["vpn"]["up"], 10, what="the VPN seen down")
        st = status()
        assert st["status"] == "paused" and "false" in st["vpn"]["reason"], st
        before = yts.requests() + rarbg.requests()
        r = call(base, "POST", "/api/movies", {"imdbId": YTS_ID, "title": "Gated"},
                 auth_header(admin))
        assert r.status == 201, r
        mid = r.json["id"]
        doc = _sources(base, admin, mid)  # on demand: nothing leaves while the VPN is down
        assert doc["sources"] == [], doc
        time.sleep(1.5)  # background ticks pass too
        assert yts.requests() + rarbg.requests() == before, "a provider was asked with the VPN down"
        vpn.up = True
        wait_until(lambda: status()["vpn"]["up"], 10, what="the VPN seen up again")

        def found():
            return _rows(pg.url, "SELECT count(*) FROM sources WHERE movie_id = %s", (mid,))[0][0]
        wait_until(lambda: found() > 0, 15, what="discovery resumed by itself")
        assert yts.requests() + rarbg.requests() > before
    finally:
        vpn.stop()


def test_periodic_import_of_the_newest_listings(stack, fixtures, pg):
    """DISCOVERY_IMPORT_INTERVAL: the newest movies of each provider enter the catalog (once at
    start, then every interval); background discovery then finds their sources."""
    base, admin = _start(stack, fixtures, pg, DISCOVERY_IMPORT_INTERVAL="1h")
    yts, rarbg = fixtures

    def count():
        return _rows(pg.url, "SELECT count(*) FROM movies")[0][0]
    wait_until(lambda: count() >= 3, 15, what="movies imported from the listings")
    rows = _rows(pg.url, "SELECT imdb_id, title FROM movies WHERE title <> '' LIMIT 5")
    assert rows, "imported movies have their titles"
    r = call(base, "GET", "/api/movies?limit=100", None, auth_header(admin))
    assert r.status == 200 and r.json["total"] == count(), r
    asked = yts.get("/__stats")["last"] + rarbg.get("/__stats")["last"]
    assert any("sort_by=date_added" in p for p in asked), asked
    assert any("get-posts" in p for p in asked), asked
