/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/discovery.toml
 * SPDX-License-Identifier: MIT
 * discovery (protocol 2, version 1): Movie catalogue and torrent sources.
 *
 * Codecs of the message bodies, frame 2 of the envelope (proto/README.md). Each message <msg>
 * below (its name in lower case) has a plain struct discovery_<msg> and three functions:
 *   int discovery_<msg>_encode(const struct discovery_<msg> *m, cm_buf_t *out);
 *       Append the body to `out`: a msgpack map of every field, keyed by tag. Returns 0,
 *       or -1 when a field breaks the schema (a str not NUL-terminated within its array,
 *       not UTF-8 or holding a NUL; a bin, list or map over its max; a duplicate map key)
 *       or `out` is full. After -1, `out` may hold part of the body: discard it.
 *   int discovery_<msg>_decode(struct discovery_<msg> *m, const void *data, size_t size);
 *       Decode a body. Returns 0, or -1 when it is malformed: not exactly one msgpack map
 *       within CM_MP_DEPTH_MAX, a non-integer key, a value of the wrong type or out of
 *       range, a str not UTF-8 or holding a NUL, over a max, a tag or map key given twice,
 *       a required field missing. Unknown tags are skipped (a newer sender). No logging,
 *       no allocation. str fields are NUL-terminated copies; bin fields are views
 *       BORROWED from `data`, valid only while `data` is. After -1, *m is unspecified.
 *   void discovery_<msg>_print(const struct discovery_<msg> *m, FILE *out);
 *       One line, e.g. `common.ERROR status=8 reason="..."`: strings escaped as in the
 *       logs, bin shown as its length.
 * Every function is pure and may be called from any thread. */
#ifndef DISCOVERY_MSG_H
#define DISCOVERY_MSG_H
#include "cm.h"

/* Protocol number (never reused) and version (bumped on an incompatible change). */
#define DISCOVERY_PROTO 2
#define DISCOVERY_VERSION 1

/* Message numbers: never reused. */
#define DISCOVERY_MSG_MOVIE_CREATE 1
#define DISCOVERY_MSG_MOVIE 2
#define DISCOVERY_MSG_MOVIE_GET 3
#define DISCOVERY_MSG_SOURCE_ADD 4
#define DISCOVERY_MSG_SOURCE 5
#define DISCOVERY_MSG_SOURCE_GET 6
#define DISCOVERY_MSG_SOURCE_SET_TORRENT 7
#define DISCOVERY_MSG_MOVIE_LIST 8
#define DISCOVERY_MSG_MOVIE_LIST_OK 9
#define DISCOVERY_MSG_STATUS 10
#define DISCOVERY_MSG_STATUS_OK 11

/* MOVIE_CREATE (1, request): Admin: add a movie. Answered by MOVIE or ERROR (CONFLICT: the IMDb
 * id exists, INVALID). */
struct discovery_movie_create {
    /* tag 1, required: tt + 7 or 8 digits */
    char imdb_id[16 + 1];
    /* tag 2 */
    char title[512 + 1];
    /* tag 3: 0: unknown */
    uint16_t year;
    /* tag 4: without a title: wait this long for the providers' metadata (0: the daemon's
     * default) */
    uint32_t wait_ms;
};

int discovery_movie_create_encode(const struct discovery_movie_create *m, cm_buf_t *out);
int discovery_movie_create_decode(struct discovery_movie_create *m, const void *data, size_t size);
void discovery_movie_create_print(const struct discovery_movie_create *m, FILE *out);

/* MOVIE (2, reply): One movie, with its sources when asked (parallel lists, best score first). */
struct discovery_movie {
    uint64_t id;                           /* tag 1, required */
    char imdb_id[16 + 1];                  /* tag 2 */
    char title[512 + 1];                   /* tag 3 */
    uint16_t year;                         /* tag 4 */
    int64_t created_ms;                    /* tag 5 */
    uint64_t source_ids[200];              /* tag 6 */
    uint32_t source_ids_count;             /* items in source_ids, at most 200 */
    char source_providers[200][32 + 1];    /* tag 7 */
    uint32_t source_providers_count;       /* items in source_providers, at most 200 */
    char source_qualities[200][8 + 1];     /* tag 8: SD HD FHD 2K 4K 8K or empty */
    uint32_t source_qualities_count;       /* items in source_qualities, at most 200 */
    char source_names[200][256 + 1];       /* tag 9 */
    uint32_t source_names_count;           /* items in source_names, at most 200 */
    uint64_t source_sizes[200];            /* tag 10: 0: unknown */
    uint32_t source_sizes_count;           /* items in source_sizes, at most 200 */
    bool source_has_torrent[200];          /* tag 11: metadata known */
    uint32_t source_has_torrent_count;     /* items in source_has_torrent, at most 200 */
    uint16_t runtime_min;                  /* tag 12: 0: unknown */
    uint16_t rating10;                     /* tag 13: rating x 10 (0..100), 0: unknown */
    char genres[256 + 1];                  /* tag 14 */
    char poster_url[512 + 1];              /* tag 15 */
    char trailer[32 + 1];                  /* tag 16: YouTube id */
    char source_video_codecs[200][16 + 1]; /* tag 17 */
    uint32_t source_video_codecs_count;    /* items in source_video_codecs, at most 200 */
    char source_types[200][16 + 1];        /* tag 18: source type (BluRay, WEB-DL, CAM ...) */
    uint32_t source_types_count;           /* items in source_types, at most 200 */
    int64_t source_seeders[200];           /* tag 19: -1: unknown */
    uint32_t source_seeders_count;         /* items in source_seeders, at most 200 */
    int64_t source_leechers[200];          /* tag 20: -1: unknown */
    uint32_t source_leechers_count;        /* items in source_leechers, at most 200 */
    uint32_t source_scores[200];           /* tag 21: 0..10000, the list's order */
    uint32_t source_scores_count;          /* items in source_scores, at most 200 */
    int64_t source_uploaded_ms[200];       /* tag 22: 0: unknown */
    uint32_t source_uploaded_ms_count;     /* items in source_uploaded_ms, at most 200 */
    bool searching;                        /* tag 23: a provider search for this movie is running */
};

int discovery_movie_encode(const struct discovery_movie *m, cm_buf_t *out);
int discovery_movie_decode(struct discovery_movie *m, const void *data, size_t size);
void discovery_movie_print(const struct discovery_movie *m, FILE *out);

/* MOVIE_GET (3, request): A movie by id. Answered by MOVIE or ERROR NOT_FOUND. */
struct discovery_movie_get {
    uint64_t id;          /* tag 1, required */
    bool include_sources; /* tag 2 */
};

int discovery_movie_get_encode(const struct discovery_movie_get *m, cm_buf_t *out);
int discovery_movie_get_decode(struct discovery_movie_get *m, const void *data, size_t size);
void discovery_movie_get_print(const struct discovery_movie_get *m, FILE *out);

/* SOURCE_ADD (4, request): Admin: add a source to a movie from a magnet or a .torrent. Answered
 * by SOURCE or ERROR (NOT_FOUND movie, CONFLICT same info-hash, INVALID). */
struct discovery_source_add {
    uint64_t movie_id;      /* tag 1, required */
    char magnet[65536 + 1]; /* tag 2: either this */
    cm_iov_t torrent;       /* tag 3, borrowed from the frame: or this */
};

int discovery_source_add_encode(const struct discovery_source_add *m, cm_buf_t *out);
int discovery_source_add_decode(struct discovery_source_add *m, const void *data, size_t size);
void discovery_source_add_print(const struct discovery_source_add *m, FILE *out);

/* SOURCE (5, reply): One source. The secret fields (info_hash, magnet, torrent) are filled only
 * for SOURCE_GET with secrets = true. */
struct discovery_source {
    uint64_t id;                    /* tag 1, required */
    uint64_t movie_id;              /* tag 2 */
    char provider[32 + 1];          /* tag 3 */
    char name[1024 + 1];            /* tag 4: torrent name */
    char quality[8 + 1];            /* tag 5 */
    uint64_t size;                  /* tag 6: 0: unknown */
    char file_paths[1000][512 + 1]; /* tag 7: empty until metadata is known */
    uint32_t file_paths_count;      /* items in file_paths, at most 1000 */
    uint64_t file_sizes[1000];      /* tag 8 */
    uint32_t file_sizes_count;      /* items in file_sizes, at most 1000 */
    char info_hash[40 + 1];         /* tag 9: secret */
    char magnet[65536 + 1];         /* tag 10: secret */
    cm_iov_t torrent;               /* tag 11, borrowed from the frame: secret */
    bool has_torrent;               /* tag 12 */
    int64_t created_ms;             /* tag 13 */
};

int discovery_source_encode(const struct discovery_source *m, cm_buf_t *out);
int discovery_source_decode(struct discovery_source *m, const void *data, size_t size);
void discovery_source_print(const struct discovery_source *m, FILE *out);

/* SOURCE_GET (6, request): A source by id. Answered by SOURCE or ERROR NOT_FOUND. */
struct discovery_source_get {
    uint64_t id;  /* tag 1, required */
    bool secrets; /* tag 2: include info_hash, magnet and torrent (stream-proxy only) */
};

int discovery_source_get_encode(const struct discovery_source_get *m, cm_buf_t *out);
int discovery_source_get_decode(struct discovery_source_get *m, const void *data, size_t size);
void discovery_source_get_print(const struct discovery_source_get *m, FILE *out);

/* SOURCE_SET_TORRENT (7, request): stream-proxy: the .torrent of a magnet-only source, fetched
 * by a worker. Answered by SOURCE (without secrets) or ERROR (INVALID: not this source's
 * info-hash). */
struct discovery_source_set_torrent {
    uint64_t id;      /* tag 1, required */
    cm_iov_t torrent; /* tag 2, required, borrowed from the frame */
};

int discovery_source_set_torrent_encode(const struct discovery_source_set_torrent *m,
                                        cm_buf_t *out);
int discovery_source_set_torrent_decode(struct discovery_source_set_torrent *m, const void *data,
                                        size_t size);
void discovery_source_set_torrent_print(const struct discovery_source_set_torrent *m, FILE *out);

/* MOVIE_LIST (8, request): Movies by title or IMDb id, most popular first. Answered by
 * MOVIE_LIST_OK. */
struct discovery_movie_list {
    char query[200 + 1]; /* tag 1: words of the title, or an IMDb id; empty: all */
    uint32_t page;       /* tag 2: from 1 */
    uint32_t limit;      /* tag 3: 1..100 */
};

int discovery_movie_list_encode(const struct discovery_movie_list *m, cm_buf_t *out);
int discovery_movie_list_decode(struct discovery_movie_list *m, const void *data, size_t size);
void discovery_movie_list_print(const struct discovery_movie_list *m, FILE *out);

/* MOVIE_LIST_OK (9, reply): One page of movies, as parallel lists. */
struct discovery_movie_list_ok {
    uint64_t total;               /* tag 1: movies matching */
    uint64_t ids[100];            /* tag 2 */
    uint32_t ids_count;           /* items in ids, at most 100 */
    char imdb_ids[100][16 + 1];   /* tag 3 */
    uint32_t imdb_ids_count;      /* items in imdb_ids, at most 100 */
    char titles[100][512 + 1];    /* tag 4 */
    uint32_t titles_count;        /* items in titles, at most 100 */
    uint32_t years[100];          /* tag 5: 0: unknown */
    uint32_t years_count;         /* items in years, at most 100 */
    uint32_t ratings10[100];      /* tag 6: rating x 10, 0: unknown */
    uint32_t ratings10_count;     /* items in ratings10, at most 100 */
    char posters[100][512 + 1];   /* tag 7 */
    uint32_t posters_count;       /* items in posters, at most 100 */
    uint32_t source_counts[100];  /* tag 8 */
    uint32_t source_counts_count; /* items in source_counts, at most 100 */
};

int discovery_movie_list_ok_encode(const struct discovery_movie_list_ok *m, cm_buf_t *out);
int discovery_movie_list_ok_decode(struct discovery_movie_list_ok *m, const void *data,
                                   size_t size);
void discovery_movie_list_ok_print(const struct discovery_movie_list_ok *m, FILE *out);

/* STATUS (10, request): The VPN gate and the providers (GET /api/status). Answered by STATUS_OK. */
struct discovery_status {
    uint8_t unused_; /* no fields yet; C wants one member */
};

int discovery_status_encode(const struct discovery_status *m, cm_buf_t *out);
int discovery_status_decode(struct discovery_status *m, const void *data, size_t size);
void discovery_status_print(const struct discovery_status *m, FILE *out);

/* STATUS_OK (11, reply): The VPN gate and each provider's state. */
struct discovery_status_ok {
    /* tag 1: off, none (nothing configured), interface, endpoint, both */
    char vpn_check[16 + 1];
    /* tag 2: provider traffic may flow */
    bool vpn_up;
    /* tag 3 */
    char vpn_reason[256 + 1];
    /* tag 4: 0: never */
    int64_t vpn_checked_ms;
    /* tag 5 */
    char provider_names[8][32 + 1];
    /* items in provider_names, at most 8 */
    uint32_t provider_names_count;
    /* tag 6: ready, degraded, error */
    char provider_states[8][16 + 1];
    /* items in provider_states, at most 8 */
    uint32_t provider_states_count;
    /* tag 7: last error */
    char provider_reasons[8][256 + 1];
    /* items in provider_reasons, at most 8 */
    uint32_t provider_reasons_count;
    /* tag 8 */
    uint64_t provider_requests[8];
    /* items in provider_requests, at most 8 */
    uint32_t provider_requests_count;
    /* tag 9 */
    uint64_t provider_errors[8];
    /* items in provider_errors, at most 8 */
    uint32_t provider_errors_count;
    /* tag 10 */
    uint32_t searches_running;
    /* tag 11: movies waiting for a background search */
    uint64_t movies_due;
    /* tag 12: sources without their .torrent yet */
    uint64_t torrents_pending;
};

int discovery_status_ok_encode(const struct discovery_status_ok *m, cm_buf_t *out);
int discovery_status_ok_decode(struct discovery_status_ok *m, const void *data, size_t size);
void discovery_status_ok_print(const struct discovery_status_ok *m, FILE *out);

/* Room for any message of the protocol, e.g. to decode into before dispatching. */
union discovery_msg {
    struct discovery_movie_create movie_create;
    struct discovery_movie movie;
    struct discovery_movie_get movie_get;
    struct discovery_source_add source_add;
    struct discovery_source source;
    struct discovery_source_get source_get;
    struct discovery_source_set_torrent source_set_torrent;
    struct discovery_movie_list movie_list;
    struct discovery_movie_list_ok movie_list_ok;
    struct discovery_status status;
    struct discovery_status_ok status_ok;
};

/* The name of message `id` (e.g. "MOVIE_CREATE"), or "?" when the protocol has none. Static. */
const char *discovery_msg_name(int id);

/* The functions above, chosen by message number: `m` points to the struct of message `id` (a
 * union discovery_msg will do). Decode and encode return -1 for an unknown id; print prints
 * "discovery.? id=N". */
int discovery_msg_decode(int id, void *m, const void *data, size_t size);
int discovery_msg_encode(int id, const void *m, cm_buf_t *out);
void discovery_msg_print(int id, const void *m, FILE *out);

/* What the transport layer knows of the protocol: ids, kinds, payload flags, names. */
extern const struct cm_proto discovery_proto;

#endif
