"""The catalog: movies and hand-added sources, over source-discovery's RPC and the gateway.

Sources are added from a magnet and from a .torrent bencoded here; duplicates are refused by
the blind index whatever the form of the hash (hex in either case, base32, magnet or
.torrent). The raw table never holds a hash, a magnet or a torrent's bytes in clear, and the
sealed columns are opened here with an independent AES-GCM (python3-cryptography) from the
key derived with HKDF as ARCHITECTURE.md says, which checks the stored format itself.
"""
import base64
import hashlib
import hmac
import os
import subprocess

import psycopg2
import pytest

from authlib import (ADMIN_EMAIL, ADMIN_PASSWORD, NO_LIMITS, auth_header, call as hcall,
                     create_user, login_ok)
from conftest import BIN, COMMON, DISCOVERY, ERROR, SOURCE_SECURITY_KEY, call, dealer

MOVIE_CREATE, MOVIE, MOVIE_GET, SOURCE_ADD, SOURCE, SOURCE_GET, SOURCE_SET_TORRENT = range(1, 8)
NOT_FOUND, INVALID, CONFLICT = 8, 9, 10


# --- a .torrent, bencoded by hand ------------------------------------------------------------

def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def make_torrent(name, files=None, piece_len=16384):
    """(.torrent bytes, 20-byte info-hash). files: [(path under name, size)] for a multi-file
    torrent, or an int for a single file of that size."""
    single = isinstance(files, int)
    total = files if single else sum(size for _, size in files)
    npieces = (total + piece_len - 1) // piece_len
    info = {"name": name, "piece length": piece_len, "pieces": os.urandom(20 * npieces)}
    if single:
        info["length"] = files
    else:
        info["files"] = [{"length": size, "path": path.split("/")} for path, size in files]
    raw = bencode({"announce": "http://tracker.invalid/announce", "info": info})
    return raw, hashlib.sha1(bencode(info)).digest()


def magnet_of(h, dn=None, xl=None, upper=False):
    hx = h.hex().upper() if upper else h.hex()
    m = "magnet:?xt=urn:btih:" + hx
    if dn:
        m += "&dn=" + dn
    if xl:
        m += "&xl=%d" % xl
    return m


# --- the keys, derived independently --------------------------------------------------------

def hkdf(ikm, info, salt=b"marquee/source-discovery/v1"):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


IKM = base64.b64decode(SOURCE_SECURITY_KEY)
ENC_KEY = hkdf(IKM, b"sources: AES-256-GCM column encryption")
INDEX_KEY = hkdf(IKM, b"sources: HMAC-SHA256 info-hash blind index")


def open_sealed(value, column):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    value = bytes(value)
    assert value[0] == 1, "version byte"
    return AESGCM(ENC_KEY).decrypt(value[1:13], value[13:], b"\x01" + column.encode())


# --- RPC helpers -------------------------------------------------------------------------------

class Disc:
    def __init__(self, stack):
        self.sock = dealer(stack.daemons["source-discovery"].ready["rpc"])

    def rpc(self, msg, body):
        got = call(self.sock, DISCOVERY, msg, body, timeout=10)
        assert got is not None, "no answer to discovery message %d" % msg
        hdr, body, _ = got
        if hdr[0] == COMMON and hdr[2] == ERROR:
            return "error", body[1], body.get(2, "")
        return hdr[2], body, None

    def ok(self, msg, body, want):
        kind, b, _ = self.rpc(msg, body)
        assert kind == want, "expected message %d, got %r %r" % (want, kind, b)
        return b

    def err(self, msg, body, status):
        kind, st, reason = self.rpc(msg, body)
        assert kind == "error" and st == status, (kind, st, reason)
        return reason

    def close(self):
        self.sock.close()


def rows(url, sql, args=()):
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.commit()
        conn.close()


def as_bytes(v):
    if v is None:
        return b""
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, bytes):
        return v
    return str(v).encode()


@pytest.fixture
def core(stack):
    stack.start_core(workers=0, gateway_env=NO_LIMITS)
    d = Disc(stack)
    yield stack, d
    d.close()


# --- over RPC ----------------------------------------------------------------------------------

def test_movies_over_rpc(core):
    stack, d = core
    m = d.ok(MOVIE_CREATE, {1: "tt1254207", 2: "Big Buck Bunny", 3: 2008}, MOVIE)
    assert m[1] > 0 and m[2] == "tt1254207" and m[3] == "Big Buck Bunny" and m[4] == 2008
    assert m[5] > 1700000000000
    assert not m.get(6)  # no sources asked for
    assert "exists" in d.err(MOVIE_CREATE, {1: "tt1254207", 2: "Again"}, CONFLICT)
    n = d.ok(MOVIE_CREATE, {1: "tt12542070"}, MOVIE)  # 8 digits, no title, no year
    assert n[3] == "" and n[4] == 0
    for bad in ("tt123456", "tt123456789", "nm1254207", "TT1254207", "tt12a4207", ""):
        d.err(MOVIE_CREATE, {1: bad, 2: "x"}, INVALID)
    d.err(MOVIE_CREATE, {1: "tt7654321", 3: 1500}, INVALID)
    d.err(MOVIE_CREATE, {1: "tt7654321", 2: "x" * 513}, 2)  # over the schema's max: MALFORMED
    g = d.ok(MOVIE_GET, {1: m[1], 2: True}, MOVIE)
    assert g[1] == m[1] and g[3] == "Big Buck Bunny" and not g.get(6)
    d.err(MOVIE_GET, {1: 987654321}, NOT_FOUND)
    d.err(MOVIE_GET, {1: 2**64 - 1}, NOT_FOUND)


def test_sources_over_rpc(core, pg):
    stack, d = core
    movie = d.ok(MOVIE_CREATE, {1: "tt0000001", 2: "Sources"}, MOVIE)[1]

    # The torrent whose hash the magnet names (its metadata arrives later), and another.
    late, late_hash = make_torrent("Late.Movie.720p", [("late.mkv", 50000), ("late.srt", 1000)])
    full, full_hash = make_torrent("Big.Buck.Bunny.1080p",
                                   [("bbb.mp4", 70000), ("Subs/en.srt", 1200)])
    assert late_hash != full_hash

    mag = magnet_of(late_hash, dn="Late.Movie.2160p", xl=51000, upper=True)
    s1 = d.ok(SOURCE_ADD, {1: movie, 2: mag}, SOURCE)
    assert s1[2] == movie and s1[3] == "manual" and s1[4] == "Late.Movie.2160p"
    assert s1[5] == "4K" and s1[6] == 51000 and s1[12] is False
    assert not s1.get(7) and not s1.get(9) and not s1.get(10) and not s1.get(11)

    # The same hash in another case, in base32, or as a .torrent: one source per info-hash.
    d.err(SOURCE_ADD, {1: movie, 2: magnet_of(late_hash)}, CONFLICT)
    d.err(SOURCE_ADD, {1: movie, 2: "magnet:?xt=urn:btih:"
                       + base64.b32encode(late_hash).decode()}, CONFLICT)
    d.err(SOURCE_ADD, {1: movie, 3: late}, CONFLICT)

    s2 = d.ok(SOURCE_ADD, {1: movie, 3: full}, SOURCE)
    assert s2[4] == "Big.Buck.Bunny.1080p" and s2[5] == "FHD" and s2[6] == 71200
    assert s2[12] is True
    assert s2[7] == ["Big.Buck.Bunny.1080p/bbb.mp4", "Big.Buck.Bunny.1080p/Subs/en.srt"]
    assert s2[8] == [70000, 1200]
    assert not s2.get(9) and not s2.get(10) and not s2.get(11)
    d.err(SOURCE_ADD, {1: movie, 3: full}, CONFLICT)
    d.err(SOURCE_ADD, {1: movie, 2: magnet_of(full_hash, upper=True)}, CONFLICT)

    # Bad inputs.
    d.err(SOURCE_ADD, {1: 987654321, 2: magnet_of(os.urandom(20))}, NOT_FOUND)
    d.err(SOURCE_ADD, {1: movie}, INVALID)
    d.err(SOURCE_ADD, {1: movie, 2: magnet_of(os.urandom(20)), 3: full}, INVALID)
    d.err(SOURCE_ADD, {1: movie, 2: "magnet:?dn=nohash"}, INVALID)
    d.err(SOURCE_ADD, {1: movie, 2: "http://example.org/x.torrent"}, INVALID)
    d.err(SOURCE_ADD, {1: movie, 3: b"d4:infod4:name1:aee"}, INVALID)
    d.err(SOURCE_ADD, {1: movie, 3: full[:-1]}, INVALID)

    # The movie lists both, oldest first.
    g = d.ok(MOVIE_GET, {1: movie, 2: True}, MOVIE)
    assert g[6] == [s1[1], s2[1]] and g[7] == ["manual", "manual"]
    assert g[8] == ["4K", "FHD"] and g[9] == ["Late.Movie.2160p", "Big.Buck.Bunny.1080p"]
    assert g[10] == [51000, 71200] and g[11] == [False, True]
    assert not d.ok(MOVIE_GET, {1: movie, 2: False}, MOVIE).get(6)

    # Secrets only when asked.
    p = d.ok(SOURCE_GET, {1: s1[1]}, SOURCE)
    assert not p.get(9) and not p.get(10) and not p.get(11)
    sec = d.ok(SOURCE_GET, {1: s1[1], 2: True}, SOURCE)
    assert sec[9] == late_hash.hex() and sec[10] == mag and not sec.get(11)
    sec = d.ok(SOURCE_GET, {1: s2[1], 2: True}, SOURCE)
    assert sec[9] == full_hash.hex() and not sec.get(10) and sec[11] == full
    assert sec[7] == s2[7]
    d.err(SOURCE_GET, {1: 987654321, 2: True}, NOT_FOUND)

    # The magnet-only source gets its metadata: only the torrent of its own hash is taken.
    reason = d.err(SOURCE_SET_TORRENT, {1: s1[1], 2: full}, INVALID)
    assert "info-hash" in reason
    d.err(SOURCE_SET_TORRENT, {1: s1[1], 2: b"not bencode"}, INVALID)
    d.err(SOURCE_SET_TORRENT, {1: 987654321, 2: late}, NOT_FOUND)
    t = d.ok(SOURCE_SET_TORRENT, {1: s1[1], 2: late}, SOURCE)
    assert t[1] == s1[1] and t[12] is True and t[4] == "Late.Movie.720p" and t[6] == 51000
    assert t[5] == "4K"  # the quality it had stays
    assert t[7] == ["Late.Movie.720p/late.mkv", "Late.Movie.720p/late.srt"]
    assert not t.get(9) and not t.get(10) and not t.get(11)
    sec = d.ok(SOURCE_GET, {1: s1[1], 2: True}, SOURCE)
    assert sec[9] == late_hash.hex() and sec[10] == mag and sec[11] == late

    # The raw table: nothing in clear.
    check_table_has_no_secrets(pg.url, [late_hash, full_hash], [mag],
                               [b"Late.Movie.720p", b"Big.Buck.Bunny.1080p", b"late.mkv",
                                b"bbb.mp4"])
    # ... and what is sealed opens with the documented scheme.
    got = rows(pg.url, "SELECT id, info_hash_index, info_hash_enc, magnet_enc, torrent_enc "
                       "FROM sources WHERE id IN (%s, %s) ORDER BY id", (s1[1], s2[1]))
    for (sid, index, ih, mg, tor), h, m, raw in zip(got, (late_hash, full_hash), (mag, None),
                                                    (late, full)):
        assert bytes(index) == hmac.new(INDEX_KEY, h.hex().encode(), hashlib.sha256).digest()
        assert open_sealed(ih, "sources.info_hash") == h
        assert open_sealed(tor, "sources.torrent") == raw
        if m:
            assert open_sealed(mg, "sources.magnet") == m.encode()
            with pytest.raises(Exception):
                open_sealed(mg, "sources.torrent")  # the column is bound
        else:
            assert mg is None

    # A value moved to another column no longer opens: SOURCE_GET fails, says nothing secret.
    rows(pg.url, "UPDATE sources SET magnet_enc = info_hash_enc WHERE id = %s", (s1[1],))
    reason = d.err(SOURCE_GET, {1: s1[1], 2: True}, 1)
    assert late_hash.hex() not in reason
    assert d.ok(SOURCE_GET, {1: s1[1]}, SOURCE)[1] == s1[1]  # the public view still works

    # Deleting the movie deletes its sources.
    rows(pg.url, "DELETE FROM movies WHERE id = %s", (movie,))
    assert rows(pg.url, "SELECT count(*) FROM sources WHERE movie_id = %s", (movie,)) == [(0,)]


def check_table_has_no_secrets(url, hashes, magnets, names):
    """Every column of every row, as text and as bytes: no hash (hex either case, raw),
    no magnet, no 'magnet:'; the sealed columns hold none of the torrents' names either."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT * FROM sources")
            cols = [c.name for c in cur.description]
            data = cur.fetchall()
            cur.execute("SELECT s::text FROM sources s")
            text = "\n".join(r[0] for r in cur.fetchall())
    finally:
        conn.close()
    assert data, "the table is empty"
    assert "magnet:" not in text
    for h in hashes:
        assert h.hex() not in text.lower() and h.hex().upper() not in text
        assert base64.b32encode(h).decode() not in text
    for row in data:
        for col, v in zip(cols, row):
            b = as_bytes(v)
            assert b"magnet:" not in b, col
            for h in hashes:
                assert h not in b and h.hex().encode() not in b.lower(), col
            for m in magnets:
                assert m.encode() not in b, col
            if col.endswith("_enc"):
                for n in names:
                    assert n not in b, (col, n)
    assert "info_hash" not in cols and "magnet" not in cols and "torrent" not in cols


def test_file_list_is_capped_at_1000(core):
    stack, d = core
    movie = d.ok(MOVIE_CREATE, {1: "tt0000002", 2: "Many files"}, MOVIE)[1]
    files = [("f%04d.bin" % i, 10) for i in range(1200)]
    tor, _ = make_torrent("Pack", files)
    s = d.ok(SOURCE_ADD, {1: movie, 3: tor}, SOURCE)
    assert len(s[7]) == 1000 and len(s[8]) == 1000 and s[6] == 12000
    assert s[7][0] == "Pack/f0000.bin" and s[7][999] == "Pack/f0999.bin"
    got = d.ok(SOURCE_GET, {1: s[1], 2: True}, SOURCE)
    assert len(got[7]) == 1000 and got[11] == tor
    single, h = make_torrent("Single.File.1080p.mkv", 12345)
    s = d.ok(SOURCE_ADD, {1: movie, 3: single}, SOURCE)
    assert s[7] == ["Single.File.1080p.mkv"] and s[8] == [12345] and s[5] == "FHD"


def test_refuses_to_start_without_a_valid_key(pg, tmp_path):
    base = {"PATH": "/usr/bin:/bin", "DATABASE_URL": pg.url, "DB_WAIT": "10s",
            "DISCOVERY_BIND": "tcp://127.0.0.1:*"}
    r = subprocess.run([str(BIN / "source-discovery")], env=base, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "SOURCE_SECURITY_KEY" in r.stderr, r.stderr
    for bad in ("too-short", base64.b64encode(b"x" * 31).decode() + "AAAA",
                base64.b64encode(b"y" * 33).decode(), "!" * 44):
        r = subprocess.run([str(BIN / "source-discovery")],
                           env=dict(base, SOURCE_SECURITY_KEY=bad), capture_output=True,
                           text=True, timeout=30)
        assert r.returncode != 0 and "SOURCE_SECURITY_KEY" in r.stderr, r.stderr
        assert bad not in r.stderr and " ready " not in r.stderr


# --- through the gateway -----------------------------------------------------------------------

def routes_wired(base, tok):
    r = hcall(base, "POST", "/api/movies", {"imdbId": "tt0"}, auth_header(tok))
    return not (r.status == 404 and "no such route" in (r.json or {}).get("error", ""))


def test_catalog_through_the_gateway(core, pg):
    stack, d = core
    base = stack.gateway_url
    admin = login_ok(base, ADMIN_EMAIL, ADMIN_PASSWORD)["accessToken"]
    if not routes_wired(base, admin):
        pytest.skip("the gateway's catalog routes are not wired yet (gw_routes.c)")
    A = auth_header(admin)

    r = hcall(base, "POST", "/api/movies", {"imdbId": "tt3000001", "title": "Big Buck Bunny",
                                            "year": 2008}, A)
    assert r.status == 201, r
    movie = r.json
    assert movie["imdbId"] == "tt3000001" and movie["title"] == "Big Buck Bunny"
    assert movie["year"] == 2008 and movie["id"] > 0 and "createdAt" in movie
    mid = movie["id"]
    assert hcall(base, "POST", "/api/movies", {"imdbId": "tt3000001"}, A).status == 409
    for bad in ({"imdbId": "tt12"}, {}, {"imdbId": 1254207}, {"imdbId": "tt3000002", "year": "x"},
                {"imdbId": "tt3000002", "year": 1500}, {"imdbId": "tt3000002", "title": 5}):
        r = hcall(base, "POST", "/api/movies", bad, A)
        assert r.status == 400, (bad, r)
    assert hcall(base, "POST", "/api/movies", "not json", A).status == 400
    r = hcall(base, "POST", "/api/movies", {"imdbId": "tt3000002"}, A)
    assert r.status == 201 and r.json["year"] is None and r.json["title"] == ""

    full, full_hash = make_torrent("Big.Buck.Bunny.1080p", [("bbb.mp4", 70000),
                                                            ("extra/a.txt", 10)])
    mh = os.urandom(20)
    mag = magnet_of(mh, dn="Big.Buck.Bunny.720p", upper=True)
    src = "/api/movies/%d/sources" % mid
    r = hcall(base, "POST", src, {"magnet": mag}, A)
    assert r.status == 201, r
    s1 = r.json
    assert s1["movieId"] == mid and s1["provider"] == "manual" and s1["quality"] == "HD"
    assert s1["hasTorrentFile"] is False and s1["files"] == []
    r = hcall(base, "POST", src, {"torrent": base64.b64encode(full).decode()}, A)
    assert r.status == 201, r
    s2 = r.json
    assert s2["name"] == "Big.Buck.Bunny.1080p" and s2["quality"] == "FHD"
    assert s2["size"] == 70010 and s2["hasTorrentFile"] is True
    assert s2["files"] == [{"index": 0, "path": "Big.Buck.Bunny.1080p/bbb.mp4", "size": 70000},
                           {"index": 1, "path": "Big.Buck.Bunny.1080p/extra/a.txt", "size": 10}]
    # duplicates, whatever the form
    assert hcall(base, "POST", src, {"magnet": magnet_of(mh)}, A).status == 409
    assert hcall(base, "POST", src, {"magnet": magnet_of(full_hash, upper=True)}, A).status == 409
    assert hcall(base, "POST", src, {"torrent": base64.b64encode(full).decode()},
                 A).status == 409
    # bad inputs
    for bad in ({}, {"magnet": mag, "torrent": "ZA=="}, {"magnet": "magnet:?dn=x"},
                {"torrent": "not base64!"}, {"torrent": base64.b64encode(full).decode()[:-2]},
                {"torrent": "ZGU="}, {"torrent": ""}, {"magnet": 5}):
        r = hcall(base, "POST", src, bad, A)
        assert r.status == 400, (bad, r)
    assert hcall(base, "POST", "/api/movies/987654321/sources",
                 {"magnet": magnet_of(os.urandom(20))}, A).status == 404
    assert hcall(base, "POST", "/api/movies/abc/sources", {"magnet": mag}, A).status == 404

    r = hcall(base, "GET", "/api/movies/%d?includeSources=true" % mid, headers=A)
    assert r.status == 200, r
    assert [s["id"] for s in r.json["sources"]] == [s1["id"], s2["id"]]
    # a source added by hand: nothing scraped yet, so no seeders and no score
    assert r.json["sources"][1] == {"id": s2["id"], "provider": "manual", "quality": "FHD",
                                    "name": "Big.Buck.Bunny.1080p", "size": 70010,
                                    "hasTorrentFile": True, "videoCodec": "", "sourceType": "",
                                    "seeders": None, "leechers": None, "score": 0,
                                    "uploadedAt": None}
    assert r.json["searching"] is False
    r = hcall(base, "GET", "/api/movies/%d" % mid, headers=A)
    assert r.status == 200 and "sources" not in r.json
    assert hcall(base, "GET", "/api/movies/%d?includeSources=maybe" % mid,
                 headers=A).status == 400
    assert hcall(base, "GET", "/api/movies/987654321", headers=A).status == 404
    assert hcall(base, "GET", "/api/movies/0", headers=A).status == 404

    r = hcall(base, "GET", "/api/sources/%d" % s2["id"], headers=A)
    assert r.status == 200 and r.json["files"] == s2["files"] and r.json["movieId"] == mid
    for body in (r.body, hcall(base, "GET", "/api/sources/%d" % s1["id"], headers=A).body):
        low = body.lower()
        assert full_hash.hex().encode() not in low and mh.hex().encode() not in low
        assert b"magnet" not in low and b"infohash" not in low and b"torrent\"" not in low
    assert hcall(base, "GET", "/api/sources/987654321", headers=A).status == 404
    assert hcall(base, "GET", "/api/sources/x1", headers=A).status == 404

    # A user may read, not write; nobody anonymous may do either.
    user, pw = create_user(base, admin)
    U = auth_header(login_ok(base, user["email"], pw)["accessToken"])
    assert hcall(base, "POST", "/api/movies", {"imdbId": "tt7777777"}, U).status == 403
    assert hcall(base, "POST", src, {"magnet": magnet_of(os.urandom(20))}, U).status == 403
    assert hcall(base, "GET", "/api/movies/%d?includeSources=true" % mid, headers=U).status == 200
    assert hcall(base, "GET", "/api/sources/%d" % s2["id"], headers=U).status == 200
    assert hcall(base, "GET", "/api/movies/%d" % mid).status == 401
    assert hcall(base, "POST", "/api/movies", {"imdbId": "tt7777777"}).status == 401

    check_table_has_no_secrets(pg.url, [full_hash, mh], [mag], [b"Big.Buck.Bunny.1080p",
                                                                  b"bbb.mp4"])
