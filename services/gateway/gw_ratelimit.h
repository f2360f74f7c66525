/* SPDX-License-Identifier: MIT
 * gw_ratelimit: token buckets keyed by (class, key) for the public API, in memory that never
 * grows past a cap fixed at creation, whatever keys the clients make us see.
 *
 * A rule "N/PERIOD" is a bucket of N tokens refilled at N per PERIOD; each request takes one.
 * A bucket is stored in its GCRA form (one timestamp: when it will be full again), so an entry
 * whose bucket is full carries no information and may be dropped: idle entries are expired
 * lazily from the old end of an LRU list, and when every slot holds a live entry the least
 * recently used one is evicted (and counted). Keys are hashed with SipHash under a random key
 * drawn at creation, so clients cannot aim at one hash chain.
 *
 * Single-threaded: one limiter belongs to the gateway's libevent loop; no locking. Every call
 * is O(1) (amortised for the lazy expiry, which also has a per-call bound). */
#ifndef GW_RATELIMIT_H
#define GW_RATELIMIT_H
#include "cm.h"

enum {
    GW_RATE_TEXT_MAX = 64,              /* longest rule text gw_rate_parse accepts */
    GW_RATE_BURST_MAX = 1000000,        /* largest N in "N/PERIOD" */
    GW_RATE_PERIOD_MAX_S = 86400,       /* longest PERIOD: one day */
    GW_RATELIMIT_KEY_MAX = 300,         /* bytes of a key that count; the rest is ignored */
    GW_RATELIMIT_ENTRIES_MAX = 1 << 24, /* largest max_entries (larger values are clamped) */
};

/* A rule. burst <= 0 or per_s <= 0 (or NaN) means unlimited ("off"). A burst below 1 acts as
 * 1: the first request of an idle key always passes. */
struct gw_rate {
    double burst; /* bucket capacity, tokens */
    double per_s; /* refill rate, tokens per second */
};

/* Limiter counters, for metrics. */
struct gw_ratelimit_stats {
    size_t entries;     /* entries held now (live or not yet expired) */
    size_t max_entries; /* the cap */
    uint64_t allowed;   /* takes that passed under a limiting rule */
    uint64_t limited;   /* takes refused */
    uint64_t evictions; /* live entries dropped because the table was full */
    uint64_t expired;   /* idle entries dropped (their bucket was full again) */
};

typedef struct gw_ratelimit gw_ratelimit_t; /* opaque */

/* Parse a rule: "N/PERIOD" with N an integer in 1..GW_RATE_BURST_MAX and PERIOD an optional
 * integer count followed by a unit s, m, h or d ("1s", "30s", "1m", "7m", "1h", "s" = "1s"),
 * at most one day; or "0" / "off" for unlimited. Surrounding blanks are allowed, none inside.
 * Returns 0 with *out set, or -1 with *out untouched and a sentence in `err`. */
int gw_rate_parse(const char *s, struct gw_rate *out, char *err, size_t errlen);

/* True when `rule` limits nothing. */
bool gw_rate_off(const struct gw_rate *rule);

/* Create a limiter that holds at most `max_entries` keys (0 acts as 1; above
 * GW_RATELIMIT_ENTRIES_MAX is clamped). Its memory (40 bytes per entry plus 4 to 8 bytes of hash
 * table) is reserved now and never grows. Caller owns the result; free it with
 * gw_ratelimit_destroy(). Aborts on OOM. */
gw_ratelimit_t *gw_ratelimit_new(size_t max_entries);

/* Destroy *self_p if not NULL and set it to NULL. */
void gw_ratelimit_destroy(gw_ratelimit_t **self_p);

/* Take one token from the bucket of (cls, key) under `rule` at time `now_ms` (a monotonic
 * clock in milliseconds; borrowed `key`, NULL counts as ""; only its first
 * GW_RATELIMIT_KEY_MAX bytes count). Classes are separate namespaces: the same key in two
 * classes has two buckets. Returns 1 when allowed (a token was taken; an unlimited rule
 * always allows and stores nothing), or 0 when limited, with *retry_after_s (if not NULL) set
 * to the whole seconds, rounded up and at least 1, until a token will be available. */
int gw_ratelimit_take(gw_ratelimit_t *self, int cls, const char *key, const struct gw_rate *rule,
                      int64_t now_ms, int *retry_after_s);

/* Entries held now (never more than max_entries). */
size_t gw_ratelimit_size(const gw_ratelimit_t *self);

/* Copy the counters into *out. */
void gw_ratelimit_stats(const gw_ratelimit_t *self, struct gw_ratelimit_stats *out);

#endif
