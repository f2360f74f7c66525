/* SPDX-License-Identifier: MIT
 * disc_provider: one torrent index (YTS or TheRARBG) behind one interface, for the search
 * logic of source-discovery. It asks the index by IMDb id, for its latest listing, or for a
 * health probe, over disc_http, and hands back what disc_parse made of the answer.
 *
 * Around each request: two token buckets (background and on-demand; on-demand searches go
 * first), a queue of searches waiting for a token (capped), mirror failover (round-robin,
 * starting at the mirror that last worked; a probe always starts at the first, configured
 * one, so the provider returns to it once it works again), retry rounds with jittered
 * exponential backoff, 429 Retry-After (the provider's buckets are blocked until then), a
 * pause switch (the VPN gate), and a health state with counters for /api/status and metrics.
 *
 * How an answer is judged:
 *  - timeout, connection failure, 5xx, an HTML page (Content-Type text/html or a body whose
 *    first non-blank byte is '<'), a body over the cap, an answer the parser refuses (not
 *    JSON, wrong shape, YTS status not "ok", TheRARBG answer about another id), another 3xx:
 *    an error of that mirror; the next mirror is tried at once; after a whole round, a new
 *    round after backoff, up to `retries` rounds;
 *  - 429: the provider is blocked for Retry-After (DISC_PROVIDER_429_DEFAULT_S without one);
 *    the search waits and tries the same mirror again, or fails at once with "rate limited,
 *    retry after N s" when that is past its budget;
 *  - another 4xx: the search fails, no retry;
 *  - TheRARBG imdb-detail 3xx with Location "/" (or none): the site does not know the id, a
 *    success with 0 movies.
 *
 * Every callback is called exactly once, from an event callback of the loop, never from
 * inside the call that started the search; except that disc_provider_cancel() and
 * disc_provider_destroy() drop searches without calling anything. Loop thread only. */
#ifndef DISC_PROVIDER_H
#define DISC_PROVIDER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "disc_http.h"
#include "disc_parse.h"

enum {
    DISC_PROVIDER_QUEUE_MAX = 256,            /* searches waiting for a token (both queues) */
    DISC_PROVIDER_INFLIGHT_MAX = 16,          /* requests of one provider at once */
    DISC_PROVIDER_MIRRORS_MAX = 8,            /* base URLs; more are ignored (logged) */
    DISC_PROVIDER_BASE_MAX = 255,             /* bytes of a base URL */
    DISC_PROVIDER_WHY_MAX = 256,              /* bytes of an error sentence */
    DISC_PROVIDER_RETRIES_MAX = 5,            /* retry rounds per search at most */
    DISC_PROVIDER_BURST_MAX = 8,              /* tokens a bucket holds at most */
    DISC_PROVIDER_HISTORY = 3,                /* failed operations in a row that make ERROR */
    DISC_PROVIDER_429_DEFAULT_S = 5,          /* block after a 429 without Retry-After */
    DISC_PROVIDER_429_MAX_S = 3600,           /* a longer Retry-After is read as this */
    DISC_PROVIDER_TIMEOUT_DEFAULT_MS = 15000, /* one request, when opts say 0 */
    DISC_PROVIDER_BUDGET_DEFAULT_MS = 60000,  /* one search, when opts say 0 */
    DISC_PROVIDER_BACKOFF_DEFAULT_MS = 500,   /* first backoff, when opts say 0 */
    DISC_PROVIDER_BACKOFF_MAX_MS = 8000,      /* backoff cap (before jitter) */
};

enum disc_provider_kind {
    DISC_PROV_YTS = 0,   /* yts.mx: api/v2/list_movies.json */
    DISC_PROV_RARBG = 1, /* therarbg.to: imdb-detail, get-posts (?format=json) */
};

/* Health, from the operations (searches, listings, probes) that reached the provider. */
enum disc_prov_state {
    DISC_PROV_READY = 0,    /* the last one succeeded at the first try (or none ran yet) */
    DISC_PROV_DEGRADED = 1, /* the last one succeeded only after errors (another mirror, a
                               retry, a 429), or failed, but not the last HISTORY in a row */
    DISC_PROV_ERROR = 2,    /* the last DISC_PROVIDER_HISTORY ones all failed */
};

/* How a search ended (the callback's `status`). Stable numbers, append only. */
enum disc_prov_status {
    DISC_PROV_OK = 0,             /* answered (maybe with 0 movies) */
    DISC_PROV_E_UNAVAILABLE = 1,  /* every mirror failed in every round (see above) */
    DISC_PROV_E_REFUSED = 2,      /* a 4xx other than 429; not retried */
    DISC_PROV_E_RATE_LIMITED = 3, /* a 429 asked to wait past the search's budget */
    DISC_PROV_E_BUSY = 4,         /* DISC_PROVIDER_QUEUE_MAX searches already waiting */
    DISC_PROV_E_PAUSED = 5,       /* paused (VPN down) until the budget ran out */
    DISC_PROV_E_TIMEOUT = 6,      /* the budget ran out (waiting for a token, or a backoff) */
};

struct disc_provider_opts {
    enum disc_provider_kind kind;
    const char *const *mirrors; /* base URLs (http/https, no query), borrowed, copied by
                                   disc_provider_new: first the configured one (YTS_API_URL /
                                   THE_RARBG_API_URL), then the mirror list; a trailing '/'
                                   is dropped */
    size_t nmirrors;            /* 1..DISC_PROVIDER_MIRRORS_MAX */
    double rate_bg;             /* background tokens per second (0: YTS 1/3, TheRARBG 2) */
    double rate_ondemand;       /* on-demand tokens per second (0: YTS 2, TheRARBG 4) */
    int burst;                  /* tokens a bucket holds, 1..BURST_MAX (0: 1) */
    int timeout_ms;             /* one request (0: DISC_PROVIDER_TIMEOUT_DEFAULT_MS) */
    int budget_ms;              /* one search, from its first request (an on-demand one:
                                   from the call) to its end, every wait included
                                   (0: DISC_PROVIDER_BUDGET_DEFAULT_MS) */
    int retries;                /* rounds over the mirrors after the first,
                                   0..DISC_PROVIDER_RETRIES_MAX */
    int backoff_ms;             /* before the first retry round, doubled each round, +-25 %
                                   jitter, cap BACKOFF_MAX_MS (0: BACKOFF_DEFAULT_MS) */
    size_t max_body;            /* bytes of an answer (0 or more: DISC_PARSE_BODY_MAX) */
};

/* Counters and state for /api/status and metrics. Counters only grow. */
struct disc_provider_stats {
    enum disc_prov_state state;
    char why[DISC_PROVIDER_WHY_MAX];        /* the state in a sentence */
    uint64_t operations;                    /* searches, listings and probes asked for */
    uint64_t succeeded;                     /* ... that answered */
    uint64_t failed;                        /* ... that failed (any status but OK) */
    uint64_t requests;                      /* HTTP requests sent */
    uint64_t errors;                        /* requests that failed (any reason, 429 too) */
    uint64_t rate_limited;                  /* 429 answers */
    uint64_t failovers;                     /* moves to another mirror within a round */
    size_t queued;                          /* searches waiting for a token now */
    size_t inflight;                        /* requests in flight now */
    size_t mirror;                          /* index of the mirror tried first now */
    size_t nmirrors;                        /* mirrors configured */
    bool paused;                            /* disc_provider_pause(true) in force */
    int64_t blocked_ms;                     /* ms left of a 429 block, 0 none */
    char last_error[DISC_PROVIDER_WHY_MAX]; /* the last request error, "" none */
    uint64_t last_error_ms;                 /* its wall-clock time, 0 never */
    uint64_t last_ok_ms;                    /* wall-clock time of the last answer, 0 never */
};

typedef struct disc_provider disc_provider_t;

/* The end of a search, listing or probe. `status` is a disc_prov_status. On success
 * `*result_p` is the parsed answer (NULL for a probe); on failure `result_p` is NULL and
 * `why` says what happened (never NULL; "" on success). The result is the callee's: the
 * callback may keep it by taking the pointer and setting *result_p to NULL (then it frees it
 * with disc_parsed_destroy), else it is freed when the callback returns. `why` is borrowed
 * for the call. The callback may start, cancel, pause and probe, not destroy the provider. */
typedef void disc_provider_done_fn(void *arg, int status, struct disc_parsed **result_p,
                                   const char *why);

/* A provider on `base` using `http` (both borrowed; they must outlive it). Returns NULL with
 * a sentence in `err` when the options are unusable (no mirror, a base URL not http/https or
 * too long, a negative rate). Caller owns the result; free with disc_provider_destroy().
 * Aborts on OOM. */
disc_provider_t *disc_provider_new(struct event_base *base, disc_http_t *http,
                                   const struct disc_provider_opts *opts, char *err, size_t errlen);

/* Drop every search (their callbacks are NOT called; their HTTP transfers are cancelled),
 * free *self_p if not NULL and set it to NULL. Safe to call twice. Not from a callback. */
void disc_provider_destroy(disc_provider_t **self_p);

/* Search by IMDb id (`imdb`, copied: "tt" + 7 or 8 digits). YTS: GET
 * {base}/api/v2/list_movies.json?query_term=<imdb>&page=1&limit=20; the result holds at most
 * one movie, the one asked for, whose meta.imdb is `imdb`: with one movie in the answer, that
 * one (the recorded fixtures carry fake imdb_codes, and YTS matched the query); with several,
 * the one whose imdb_code is `imdb`, else the first. TheRARBG: GET
 * {base}/imdb-detail/<imdb>/?format=json, parsed for that id (an answer about another id is
 * refused, as a malformed one); 0 or 1 movie. `ondemand` picks the on-demand bucket and queue
 * (served first; its budget starts now, so it can fail with PAUSED or TIMEOUT while queued;
 * a background search waits in the queue as long as it takes). `cb` gets `arg` later.
 * Returns the search id (> 0), or -1 when `imdb` is not an IMDb id or `cb` is NULL (nothing
 * started, no callback). A full queue is reported through the callback (BUSY). */
int disc_provider_search(disc_provider_t *self, const char *imdb, bool ondemand,
                         disc_provider_done_fn *cb, void *arg);

/* The newest movies, for the optional periodic import (background bucket). YTS:
 * list_movies.json?limit=20&page=1&sort_by=date_added (disc_parse_yts, up to 20 movies);
 * TheRARBG: get-posts/category:Movies:time:1H/?format=json (disc_parse_rarbg_posts, movies
 * carry only their id). Returns the id (> 0), or -1 when `cb` is NULL. */
int disc_provider_latest(disc_provider_t *self, disc_provider_done_fn *cb, void *arg);

/* Health probe, to be run by the caller periodically (say every 5 min, and at start): YTS
 * list_movies.json?limit=1 (disc_parse_yts_ok), TheRARBG
 * get-posts/category:Movies:time:1H/?format=json (disc_parse_rarbg_posts). One round over
 * the mirrors from the first (configured) one, no retry, ahead of the background queue but
 * through its bucket. Updates the state; `cb` may be NULL (result_p is always NULL). Returns
 * the id (> 0), or 0 when a probe is already under way (then nothing new is started and `cb`
 * is not called). */
int disc_provider_probe(disc_provider_t *self, disc_provider_done_fn *cb, void *arg);

/* Drop search `id` (from search, latest or probe) if its callback has not run yet: it never
 * will, and its HTTP transfer is cancelled. Unknown or finished ids are ignored. */
void disc_provider_cancel(disc_provider_t *self, int id);

/* The VPN gate. While paused no request is sent (requests already in flight end normally; a
 * retry or failover they would cause waits); searches wait in their queue, on-demand ones
 * until their budget runs out (PAUSED: "paused: VPN down"). Resuming serves the queues. */
void disc_provider_pause(disc_provider_t *self, bool paused);

/* The health state; `why` (may be NULL) gets a sentence. */
enum disc_prov_state disc_provider_state(const disc_provider_t *self, char *why, size_t whylen);

/* Counters and state, copied into `out`. */
void disc_provider_stats(const disc_provider_t *self, struct disc_provider_stats *out);

/* "YTS" or "TheRARBG" (static). */
const char *disc_provider_name(const disc_provider_t *self);

/* Base URL of mirror `i` (borrowed, valid while the provider lives), NULL past the end. */
const char *disc_provider_mirror(const disc_provider_t *self, size_t i);

/* "ready", "degraded", "error" (static; "unknown" for other values). */
const char *disc_prov_state_name(enum disc_prov_state state);

/* A short name of a disc_prov_status: "ok", "unavailable", "refused", "rate limited", "busy",
 * "paused", "timeout" (static; "unknown" for other values). */
const char *disc_prov_status_name(int status);

#endif
