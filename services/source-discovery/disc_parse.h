/* SPDX-License-Identifier: MIT
 * disc_parse: pure parsers of the two torrent indexes' JSON answers (YTS list_movies.json,
 * TheRARBG imdb-detail and get-posts), no I/O. An answer becomes plain, bounded data: movies
 * with their metadata, each owning a run of normalised torrents (lower-case hex hash, release
 * name, sizes, counts, trackers). A malformed item is skipped, counted and logged (a few
 * lines per answer, samples cut at 80 characters); only a body that is not a usable answer
 * at all (over the cap, not JSON, too deep, wrong shape, YTS status not "ok") is an error.
 * Used by the provider code of source-discovery, which owns the HTTP side. */
#ifndef DISC_PARSE_H
#define DISC_PARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    DISC_PARSE_BODY_MAX = 4 << 20,      /* bytes of one answer; more is refused */
    DISC_PARSE_DEPTH_MAX = 32,          /* nesting of arrays and objects (the answers use 6) */
    DISC_PARSE_ITEMS_MAX = 4096,        /* movies + torrents + posts looked at per answer */
    DISC_PARSE_MOVIES_MAX = 50,         /* movies per answer (YTS limit max; posts groups) */
    DISC_PARSE_TORRENTS_MAX = 64,       /* torrents kept per movie */
    DISC_PARSE_ALL_TORRENTS_MAX = 1024, /* torrents kept per answer */
    DISC_PARSE_TRACKERS_MAX = 16,       /* trackers kept per torrent */
    DISC_PARSE_TRACKER_MAX = 255,       /* bytes of a tracker URL */
    DISC_PARSE_NAME_MAX = 300,          /* bytes of a release name */
    DISC_PARSE_URL_MAX = 511,           /* bytes of a .torrent or poster URL */
    DISC_PARSE_TITLE_MAX = 255,         /* bytes of a movie title */
    DISC_PARSE_GENRES_MAX = 127,        /* bytes of the ", "-joined genre list */
    DISC_PARSE_SEEDERS_MAX = 10000000,  /* seeders/leechers are clamped to [0, this] */
    DISC_PARSE_WARN_MAX = 8,            /* warning lines per answer; then one summary line */
};

/* Sizes above this (1 TiB) are not believed and read as 0 (unknown). */
#define DISC_PARSE_SIZE_MAX ((int64_t)1 << 40)

/* One source as a provider gave it. Every string is NUL-terminated valid UTF-8 without
 * control characters, cut on a character boundary; "" when unknown. */
struct disc_torrent {
    char hash[41]; /* info-hash, 40 lower-case hex (a base32 hash is converted) */
    char name[DISC_PARSE_NAME_MAX + 1]; /* release name; YTS: "Title (Year) quality type codec
                                           Nbit channels", built for the release-name parser */
    char quality[16];                   /* YTS quality ("1080p", "3D"), else "" */
    char type[16];                      /* YTS type ("bluray", "web"), else "" */
    char codec[16];                     /* YTS video_codec ("x264", "x265"), else "" */
    int bit_depth;                      /* YTS bit_depth (1..16), 0 unknown */
    char audio_channels[8];             /* YTS audio_channels ("5.1"), else "" */
    int64_t size;     /* bytes, 0 unknown (negative or over DISC_PARSE_SIZE_MAX too) */
    int32_t seeders;  /* -1 unknown, else 0..DISC_PARSE_SEEDERS_MAX */
    int32_t leechers; /* -1 unknown, else 0..DISC_PARSE_SEEDERS_MAX */
    int64_t uploaded; /* unix seconds, 0 unknown */
    char url[DISC_PARSE_URL_MAX + 1]; /* the provider's .torrent URL (http/https), else "" */
    char trackers[DISC_PARSE_TRACKERS_MAX][DISC_PARSE_TRACKER_MAX + 1]; /* udp/http/https */
    size_t ntrackers; /* TheRARBG trackers whose scrape_error is null, deduplicated */
    int season;       /* TheRARBG season, 0 none */
    int episode;      /* TheRARBG episode, 0 none */
};

/* What a provider says about a movie; zero / "" when it says nothing. */
struct disc_movie_meta {
    char imdb[12];                          /* "tt" + 7 or 8 digits (always set) */
    char title[DISC_PARSE_TITLE_MAX + 1];   /* YTS title; TheRARBG imdb.name */
    int year;                               /* 1870..2100, 0 unknown */
    int runtime_min;                        /* minutes (TheRARBG's seconds converted) */
    char trailer[32];                       /* YouTube video id */
    double rating;                          /* 0..10, 0 unknown */
    char language[8];                       /* lower-case code ("en") */
    int64_t tmdb_id;                        /* TheRARBG imdb.tmdb_id, 0 unknown */
    char genres[DISC_PARSE_GENRES_MAX + 1]; /* "Action, Thriller" (whole genres only) */
    char poster[DISC_PARSE_URL_MAX + 1];    /* cover image URL (http/https) */
};

/* A movie of an answer and the run of torrents it owns. */
struct disc_movie {
    struct disc_movie_meta meta; /* its metadata */
    size_t first;                /* index of its first torrent in disc_parsed.torrents */
    size_t ntorrents;            /* its torrents: torrents[first .. first + ntorrents) */
};

/* One parsed answer. Allocate with disc_parsed_new(); every parse call empties it first, so
 * one can be reused. The counters tell why items are missing. */
struct disc_parsed {
    struct disc_movie movies[DISC_PARSE_MOVIES_MAX]; /* in answer order */
    size_t nmovies;                                  /* movies used */
    struct disc_torrent *torrents; /* owned; all torrents, each movie's run contiguous */
    size_t ntorrents;              /* torrents used */
    size_t torrents_cap;           /* torrents allocated (internal) */
    int64_t provider_count;        /* YTS movie_count / TheRARBG total, -1 not given */
    size_t skipped;   /* items skipped as malformed: bad hash, wrong types, duplicate hash */
    size_t ignored;   /* well-formed items not wanted: other category, other movie, no IMDb */
    size_t truncated; /* items dropped at a cap (movies, torrents, items looked at) */
};

/* An empty result. Caller owns it; free with disc_parsed_destroy(). Aborts on OOM. */
struct disc_parsed *disc_parsed_new(void);

/* Free *self_p and its torrents if not NULL and set it to NULL. Safe to call twice. */
void disc_parsed_destroy(struct disc_parsed **self_p);

/* Parse a YTS api/v2/list_movies.json answer (`len` bytes of `body`, any bytes) into `out`
 * (emptied first). `status` must be "ok"; no movies or movie_count 0 is a success with 0
 * movies. Returns 0, or -1 with a sentence in `err` (the YTS status_message included when the
 * status is not "ok") and `out` empty. Movies without a valid imdb_code are skipped. */
int disc_parse_yts(const char *body, size_t len, struct disc_parsed *out, char *err, size_t errlen);

/* Parse a TheRARBG imdb-detail/<id>/?format=json answer into `out` (emptied first): one movie
 * whose meta comes from the `imdb` object (runtime given in seconds) and whose torrents are
 * the trb_posts of category Movies (category_str "Movies" or absent) for that id. `imdb` is
 * the id asked for (borrowed), or NULL to take it from the answer. An answer with neither
 * `imdb` nor `trb_posts` (the site knows nothing) is a success with 0 movies. Returns 0, or -1
 * with a sentence in `err` (also when the answer is about another id) and `out` empty. */
int disc_parse_rarbg_detail(const char *body, size_t len, const char *imdb, struct disc_parsed *out,
                            char *err, size_t errlen);

/* Parse a TheRARBG get-posts/.../?format=json listing {results: [{pk, n, a, c, s, t, u, se,
 * le, i, h, tg}]} into `out` (emptied first): posts of category Movies grouped into one movie
 * per IMDb id `i` (meta: the id only), in order of first appearance; posts without an id are
 * ignored. Returns 0, or -1 with a sentence in `err` and `out` empty. */
int disc_parse_rarbg_posts(const char *body, size_t len, struct disc_parsed *out, char *err,
                           size_t errlen);

/* Health probe of YTS: true when the body is a JSON object (within the caps) whose `status`
 * is "ok". Logs nothing. */
bool disc_parse_yts_ok(const char *body, size_t len);

#endif
