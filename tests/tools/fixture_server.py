#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fixture_server: serves the recorded provider answers (tests/fixtures/providers) over
HTTP on loopback, with fault injection, for the provider tests of source-discovery (the C unit
test tests/unit/source-discovery/disc_provider_test.c and the Python integration tests).
Python 3 standard library only.

Usage:
    fixture_server.py FIXTURES_DIR PROVIDER [--port N] [--host 127.0.0.1] [--verbose]

    FIXTURES_DIR  the directory holding <provider>/data/... (e.g. tests/fixtures/providers)
    PROVIDER      yts or therarbg (the subdirectory served)
    --port N      listen on N (default 0: an ephemeral port)

On start it prints one line `PORT <n>` on stdout (flushed), then serves until SIGTERM or
SIGINT, or until its stdin reaches EOF when stdin is a pipe or a socket (so a parent that dies
takes the server with it; a terminal or /dev/null as stdin is not watched).

Requests map to files by the recording rule (fixtures README): request path, then `-` and the
sorted query parameters as `key-value` pairs joined by `-` (characters other than letters,
digits, `.`, `_`, `:` and `-` in keys and values become `_`), then `.json`. The file holds
{"headers": {...}, "data": <body>}; the answer is `data` as JSON with the recorded
Content-Type (gzip-encoded when the client accepts it and the body is over 1 KiB). Without a
file:
  - yts /api/v2/list_movies.json with query_term: an "ok" answer with movie_count 0 (as YTS
    answers an id it does not know); without query_term (a listing such as
    limit=20&page=1&sort_by=date_added): a listing built from the movies of every recorded
    query_term answer, `limit` (default 20, at most 50) of them, movie_count the total;
  - therarbg /imdb-detail/<id>/: 302 with `Location: /` (as the site answers an unknown id);
  - anything else: 404 with a JSON body {"error": "no fixture", "file": "<name>"}.

Control (never counted, never faulted):
  GET /__mode?set=MODE[&count=N][&delay=S][&retry_after=V][&match=SUBSTR][&size=BYTES]
      MODE applies to the requests that follow (only those whose path+query contains SUBSTR
      when `match` is given): sticky without `count`, else for the next N requests, then back
      to ok. Modes:
        ok        serve fixtures (the default)
        html      200 text/html error page (a Cloudflare-like page)
        html500   500 text/html error page
        500       500 application/json {"error": ...}
        404       404 application/json
        malformed 200 application/json, the fixture's JSON cut in half (truncated)
        429       429 with `Retry-After: V` (default 2); V = `date+N` sends an HTTP-date N s
                  ahead instead of seconds
        slow      sleep `delay` seconds (default 3) then answer as ok
        reset     close the connection without an answer (TCP RST)
        302       302 with `Location: /`
        big       200 application/json of `size` bytes (default 8 MiB), a valid JSON object
  GET /__stats    {"requests": N, "faults": N, "last": [up to 50 recent "path?query"]}
  GET /__reset    counters to 0 and mode ok
"""

import argparse
import email.utils
import gzip
import json
import os
import re
import signal
import socket
import stat
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MAX = 50            # recent request paths kept for /__stats
LIMIT_MAX = 50           # movies of a synthesized YTS listing
BIG_MAX = 64 << 20       # bytes of a `big` answer at most
DELAY_MAX = 60.0         # seconds of a `slow` answer at most
GZIP_MIN = 1024          # bodies over this are gzip-encoded when accepted

HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
             b"<body><h1>Attention Required! | Cloudflare</h1>"
             b"<p>Sorry, you have been blocked.</p></body></html>")

SAFE = re.compile(r"[^A-Za-z0-9._:-]")


class State:
    """Mode and counters shared by the handler threads."""

    def __init__(self, root, provider):
        self.root = root
        self.provider = provider
        self.lock = threading.Lock()
        self.mode = "ok"
        self.count = 0          # 0: sticky; else requests left in this mode
        self.params = {}
        self.match = ""
        self.requests = 0
        self.faults = 0
        self.last = []

    def take_mode(self, target):
        """Count a request and return (mode, params) for it."""
        with self.lock:
            self.requests += 1
            self.last.append(target)
            del self.last[:-LAST_MAX]
            if self.mode == "ok" or (self.match and self.match not in target):
                return "ok", {}
            mode, params = self.mode, dict(self.params)
            self.faults += 1
            if self.count > 0:
                self.count -= 1
                if self.count == 0:
                    self.mode, self.params, self.match = "ok", {}, ""
            return mode, params

    def set_mode(self, q):
        with self.lock:
            self.mode = q.get("set", "ok")
            try:
                self.count = max(0, int(q.get("count", "0") or 0))
            except ValueError:
                self.count = 0
            self.match = q.get("match", "")
            self.params = q

    def reset(self):
        with self.lock:
            self.mode, self.count, self.params, self.match = "ok", 0, {}, ""
            self.requests = self.faults = 0
            self.last = []


def fixture_name(path, query):
    pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
    name = path
    if pairs:
        name += "-" + "-".join(SAFE.sub("_", k) + "-" + SAFE.sub("_", v) for k, v in pairs)
    return name + ".json"


def load(state, name):
    """The recorded (headers, data) for a file name from fixture_name(), or None."""
    parts = [p for p in name.split("/") if p]
    if any(p in (".", "..") or "\\" in p or "\0" in p for p in parts):
        return None
    full = os.path.join(state.root, *parts)
    if not full.startswith(state.root + os.sep) or not os.path.isfile(full):
        return None
    with open(full, "rb") as f:
        rec = json.load(f)
    return rec.get("headers") or {}, rec.get("data")


def yts_listing(state, query):
    """A YTS listing built from every recorded query_term answer."""
    q = dict(urllib.parse.parse_qsl(query))
    try:
        limit = max(1, min(LIMIT_MAX, int(q.get("limit", "20"))))
    except ValueError:
        limit = 20
    d = os.path.join(state.root, "api", "v2")
    movies, headers = [], {"content-type": "application/json; charset=utf-8"}
    for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if "query_term" not in fn:
            continue
        with open(os.path.join(d, fn), "rb") as f:
            rec = json.load(f)
        data = rec.get("data") or {}
        ms = (data.get("data") or {}).get("movies") or []
        movies.extend(m for m in ms if isinstance(m, dict))
    return headers, {
        "status": "ok", "status_message": "Query was successful",
        "data": {"movie_count": len(movies), "limit": limit, "page_number": 1,
                 "movies": movies[:limit]},
    }


YTS_EMPTY = {"status": "ok", "status_message": "Query was successful",
             "data": {"movie_count": 0, "limit": 20, "page_number": 1}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "fixture-server/1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fixture_server: " + (fmt % args) + "\n")

    # --- answers ---

    def send(self, status, body, ctype="application/json", extra=None):
        if isinstance(body, str):
            body = body.encode()
        enc = None
        if len(body) > GZIP_MIN and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            body, enc = gzip.compress(body), "gzip"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if enc:
            self.send_header("Content-Encoding", enc)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, obj, ctype="application/json", extra=None):
        self.send(status, json.dumps(obj, ensure_ascii=False), ctype, extra)

    def reset_conn(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    # --- routing ---

    def do_GET(self):
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def route(self):
        st = self.server.state
        u = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(u.path)
        if path == "/__mode":
            q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
            st.set_mode(q)
            return self.send_json(200, {"mode": st.mode, "count": st.count})
        if path == "/__stats":
            with st.lock:
                s = {"requests": st.requests, "faults": st.faults, "last": list(st.last)}
            return self.send_json(200, s)
        if path == "/__reset":
            st.reset()
            return self.send_json(200, {"mode": "ok"})
        target = path + ("?" + u.query if u.query else "")
        mode, params = st.take_mode(target)
        if mode == "slow":
            time.sleep(min(DELAY_MAX, float(params.get("delay", "3") or 3)))
            mode = "ok"
        if mode == "html":
            return self.send(200, HTML_PAGE, "text/html; charset=UTF-8")
        if mode == "html500":
            return self.send(500, HTML_PAGE, "text/html; charset=UTF-8")
        if mode == "500":
            return self.send_json(500, {"error": "internal server error"})
        if mode == "404":
            return self.send_json(404, {"error": "not found"})
        if mode == "reset":
            return self.reset_conn()
        if mode == "302":
            return self.send(302, b"", "text/html; charset=utf-8", {"Location": "/"})
        if mode == "429":
            ra = params.get("retry_after", "2") or "2"
            if ra.startswith("date"):
                ahead = float(ra[4:] or 0)
                ra = email.utils.formatdate(time.time() + ahead, usegmt=True)
            return self.send_json(429, {"status": "error", "status_message": "Too Many Requests"},
                                  extra={"Retry-After": ra})
        if mode == "big":
            size = max(16, min(BIG_MAX, int(params.get("size", str(8 << 20)))))
            body = b'{"pad":"' + b"x" * (size - 10) + b'"}'
            return self.send(200, body)
        self.serve_fixture(path, u.query, malformed=(mode == "malformed"))

    def serve_fixture(self, path, query, malformed):
        st = self.server.state
        name = fixture_name(path, query)
        rec = load(st, name)
        if rec is None and st.provider == "yts" and path == "/api/v2/list_movies.json":
            q = dict(urllib.parse.parse_qsl(query))
            rec = ({"content-type": "application/json; charset=utf-8"}, YTS_EMPTY) \
                if q.get("query_term") else yts_listing(st, query)
        if rec is None and st.provider == "therarbg" and \
                re.fullmatch(r"/imdb-detail/[^/]+/", path):
            return self.send(302, b"", "text/html; charset=utf-8", {"Location": "/"})
        if rec is None:
            return self.send_json(404, {"error": "no fixture", "file": name})
        headers, data = rec
        ctype = headers.get("content-type") or headers.get("Content-Type") or "application/json"
        body = json.dumps(data, ensure_ascii=False).encode()
        if malformed:
            body = body[: max(1, len(body) // 2)]
        self.send(200, body, ctype)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fixtures")
    ap.add_argument("provider", choices=["yts", "therarbg"])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    root = os.path.realpath(os.path.join(a.fixtures, a.provider, "data"))
    if not os.path.isdir(root):
        sys.stderr.write("fixture_server: no directory %s\n" % root)
        return 2
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True
    srv.state = State(root, a.provider)
    srv.verbose = a.verbose
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        mode = os.fstat(0).st_mode
        watch = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
    except OSError:
        watch = False
    if watch:
        def eof():
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                pass
            stop.set()
        threading.Thread(target=eof, daemon=True).start()
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    sys.stdout.write("PORT %d\n" % srv.server_address[1])
    sys.stdout.flush()
    while not stop.wait(0.2):
        pass
    srv.shutdown()
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
