/* SPDX-License-Identifier: MIT
 * disc: the source-discovery daemon's state, shared by its modules. It owns the movies and
 * sources tables; no other daemon touches them. */
#ifndef DISC_H
#define DISC_H
#include "cm.h"
#include "cm_pg.h"
#include "cm_rpc.h"
#include "disc_crypt.h"

enum {
    DISC_SOURCES_MAX = 200, /* sources listed with a movie (MOVIE.source_ids max) */
    DISC_FILES_MAX = 1000,  /* files kept and listed per source (SOURCE.file_paths max) */
};

enum {
    DISC_PROVIDERS_MAX = 4,
    DISC_TRACKERS_MAX = 32,     /* BEST_TRACKERS kept */
    DISC_TRACKER_URL_MAX = 512, /* bytes of one */
};

struct disc_provider;
struct disc_vpn;
struct disc_http;
struct disc_searches;
struct disc_torrents;

/* What main.c read from the environment. */
struct disc_cfg {
    bool background;    /* DISCOVERY_BACKGROUND */
    int tick_ms;        /* DISCOVERY_TICK */
    int concurrency;    /* DISCOVERY_CONCURRENCY: background searches at once */
    int refresh_s;      /* DISCOVERY_REFRESH: a movie with sources is searched again after */
    int ondemand_ms;    /* ONDEMAND_SEARCH_TIMEOUT_MS */
    int create_wait_ms; /* MOVIE_CREATE without a title waits this long for the metadata */
    const char *const *trackers; /* BEST_TRACKERS (udp/http/https URLs), added to every magnet
                                    we build and to every scrape */
    size_t ntrackers;
    int import_ms;          /* DISCOVERY_IMPORT_INTERVAL: the newest listings (0: off) */
    int fetch_concurrency;  /* TORRENT_FETCH_CONCURRENCY (0: off) */
    int fetch_timeout_ms;   /* TORRENT_FETCH_TIMEOUT */
    int scrape_concurrency; /* SCRAPE_CONCURRENCY (0: off) */
    int scrape_base_s;      /* SCRAPE_INTERVAL */
    int scrape_min_s;       /* SCRAPE_MIN_INTERVAL */
    int scrape_max_s;       /* SCRAPE_MAX_INTERVAL */
};

struct disc {
    struct event_base *base;
    cm_pg_t *pg;         /* borrowed from cm_service */
    cm_rpc_t *rpc;       /* borrowed from cm_service */
    disc_crypt_t *crypt; /* owned by main.c: the source store's keys */
    struct disc_cfg cfg;
    struct disc_http *http;                              /* owned by main.c */
    struct disc_provider *providers[DISC_PROVIDERS_MAX]; /* owned by main.c */
    size_t nproviders;
    struct disc_vpn *vpn;           /* owned by main.c */
    struct disc_searches *searches; /* disc_search.c's state */
    struct disc_torrents *torrents; /* disc_torrents.c's state */
    cm_rpc_t *pool;                 /* client of the stream-proxy's control API (owned by main.c) */
};

/* Column names, the additional data of each sealed column: a value cannot move to another. */
#define DISC_AAD_HASH "sources.info_hash"
#define DISC_AAD_MAGNET "sources.magnet"
#define DISC_AAD_TORRENT "sources.torrent"
#define DISC_AAD_URL "sources.url"

/* `len` bytes of `plain` sealed for column `aad`, as lower-case hex (caller frees); NULL when
 * sealing fails. */
char *disc_seal_hex(const struct disc *d, const char *aad, const void *plain, size_t len);

/* Register the catalog handlers of disc_api.c: MOVIE_CREATE, MOVIE_GET, SOURCE_ADD,
 * SOURCE_GET, SOURCE_SET_TORRENT (proto/discovery.toml). `d` is borrowed and must outlive the
 * RPC server. */
void disc_api_register(struct disc *d);

/* Open the sealed bytea column `col` of row `row`, sealed for column `aad`: 0 with *out (a
 * NUL-terminated copy, caller wipes and frees) and *len, 0 with NULL for SQL NULL, -1 when it
 * does not open (another key, a changed row). */
int disc_col_open(const struct disc *d, const PGresult *res, int row, int col, const char *aad,
                  uint8_t **out, size_t *len);

/* Store `len` bytes of .torrent `buf` for source `id` (sealed; name, size, quality when
 * unknown, the file list): the query's rows go to `cb` (cm_pg_result_fn; row 0 column 0 is
 * false when the torrent is not the source's info-hash, and no row when there is no such
 * source; then the SOURCE columns). Returns CM_OK (the query is under way), or a status with
 * a sentence in `err` (nothing started: not a torrent, cannot seal). */
int disc_torrent_store(struct disc *d, uint64_t id, const uint8_t *buf, size_t len,
                       cm_pg_result_fn *cb, void *arg, char *err, size_t errlen);

/* Register STATUS (disc_status.c): the VPN gate, the providers, the backlog. */
void disc_status_register(struct disc *d);

/* True when `s` is an IMDb title id: "tt" and 7 or 8 digits. */
bool disc_imdb_valid(const char *s);

/* The quality a torrent's name announces: "4K" (2160p, 4K, UHD), "8K" (4320p, 8K), "2K"
 * (1440p), "FHD" (1080p), "HD" (720p), "SD" (576p, 480p, 360p, DVDRip), else "". Tokens are
 * matched without case, between non-alphanumeric characters. Static string; `name` may be
 * NULL. */
const char *disc_quality_guess(const char *name);

#endif
