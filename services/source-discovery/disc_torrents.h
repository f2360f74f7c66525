/* SPDX-License-Identifier: MIT
 * disc_torrents: the two loops that keep sources useful once found.
 *
 * .torrent retrieval: sources without their .torrent, best score first, at most
 * TORRENT_FETCH_CONCURRENCY at once. The provider's .torrent URL first (the bytes must parse
 * and be of the source's info-hash), else METADATA through the pool (stream.METADATA on the
 * stream-proxy's control API: the worker rendezvous hashing picks fetches it from the swarm,
 * with the magnet's trackers). Stored sealed with the file list. A failure retries later, 5 min
 * doubling per attempt up to a day (jittered). Every job ends in one place that gives its slot
 * back, whatever happened (the original stalled for good once its 52 slots leaked).
 *
 * Seeder statistics: stream.SCRAPE of the magnet's trackers (and BEST_TRACKERS) for sources
 * that are due, SCRAPE_CONCURRENCY at once. The next check adapts to how much the figures
 * moved (disc_scrape_interval) within [SCRAPE_MIN_INTERVAL, SCRAPE_MAX_INTERVAL]; the score is
 * computed again with the new figures.
 *
 * Both pause while the VPN gate is closed. */
#ifndef DISC_TORRENTS_H
#define DISC_TORRENTS_H
#include "disc.h"

enum {
    DISC_FETCH_MAX = 64,              /* TORRENT_FETCH_CONCURRENCY at most */
    DISC_SCRAPE_MAX = 64,             /* SCRAPE_CONCURRENCY at most */
    DISC_TORRENT_BYTES_MAX = 16 << 20 /* a .torrent fetched from a provider URL */
};

/* Start both loops (each off when its concurrency is 0). 0, or -1. */
int disc_torrents_start(struct disc *d);
/* Stop: callbacks that come later find nothing. Call before the pool client, the HTTP client
 * and the database go. */
void disc_torrents_stop(struct disc *d);

/* Jobs running now: .torrent fetches and scrapes. */
uint32_t disc_torrents_fetching(const struct disc *d);
uint32_t disc_torrents_scraping(const struct disc *d);

/* The next scrape interval in seconds. `prev_s` the last one (<= 0: `base_s`); the figures
 * before (-1: unknown) and now. Volatility v = the largest relative change of seeders and
 * leechers (from 0 to more: 100 %). v < 5 %: doubled; < 10 %: kept; < 20 %: x 0.75; < 50 %:
 * halved; else back to `base_s`; unknown before: `base_s`. Then x `jitter` (0.8..1.2 from the
 * caller) and clamped to [min_s, max_s]. Pure. */
int disc_scrape_interval(int prev_s, int64_t old_seeders, int64_t old_leechers, uint32_t seeders,
                         uint32_t leechers, int base_s, int min_s, int max_s, double jitter);

#endif
