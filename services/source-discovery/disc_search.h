/* SPDX-License-Identifier: MIT
 * disc_search: finding sources for movies. A search asks EVERY provider (the original stopped
 * at the first that answered, and at the first that failed), stores what each one found as it
 * comes (release name read, score computed, secrets sealed; one statement per answer, merged
 * with what is stored by the info-hash's blind index), fills the movie's metadata the first
 * time a provider knows it, and plans the movie's next search:
 *   - sources found: again after DISCOVERY_REFRESH (a day);
 *   - nothing found: after 45-75 min (jittered);
 *   - every provider failed: after 10-20 min.
 * One search per movie at a time: a second asker joins the running one.
 *
 * Background discovery: every DISCOVERY_TICK the most popular movies that are due are searched,
 * at most DISCOVERY_CONCURRENCY at a time, the providers' own rate limits pacing them. On
 * demand: disc_search_wait() starts (or joins) a search and calls back when it ends or after
 * `wait_ms`, whichever comes first; the search goes on either way.
 *
 * While the VPN gate is closed nothing is searched (the providers are paused). */
#ifndef DISC_SEARCH_H
#define DISC_SEARCH_H
#include "disc.h"

enum {
    DISC_SEARCHES_MAX = 256,     /* searches running at once (on-demand ones included) */
    DISC_SEARCH_WAITERS_MAX = 64 /* callers waiting on one search */
};

/* The search ended (finished) or the wait ran out (not finished: it goes on). */
typedef void(disc_search_wait_fn)(void *arg, bool finished);

/* Start the background loop (when d->cfg.background). 0, or -1. */
int disc_search_start(struct disc *d);
/* Stop: no callback is called any more (waiters are dropped without a call: the RPC layer
 * answers its own deferred requests at shutdown). */
void disc_search_stop(struct disc *d);

/* Start or join the search of movie `id` (IMDb `imdb`); `cb` exactly once, never from inside
 * this call. `ondemand` uses the providers' on-demand budget. Beyond the caps the callback
 * comes at once with finished = false. */
void disc_search_wait(struct disc *d, uint64_t id, const char *imdb, bool ondemand, int wait_ms,
                      disc_search_wait_fn *cb, void *arg);

/* Is a search of movie `id` running? */
bool disc_search_running(const struct disc *d, uint64_t id);
/* Searches running. */
uint32_t disc_search_count(const struct disc *d);

#endif
