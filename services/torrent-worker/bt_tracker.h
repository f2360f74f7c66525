/* SPDX-License-Identifier: MIT
 * bt_tracker: announces and scrapes on the event loop.
 *
 * HTTP(S) trackers go through one libcurl multi handle driven by libevent (socket and timer
 * callbacks, never curl_multi_perform in a loop); UDP trackers (BEP 15) through one
 * non-blocking UDP socket per address family with transaction ids, connection ids cached per
 * tracker for 60 s (BEP 15 allows 2 min), and retries at 15 x 2^n s (n <= 8, capped by the
 * request's deadline). Host names are resolved asynchronously (evdns for UDP, curl's own
 * resolver for HTTP).
 *
 * A swarm (one torrent's trackers) follows BEP 12: tiers in order; within a tier the trackers
 * are shuffled once, tried in turn, and one that answers moves to the front of its tier. We
 * announce to the first working tracker of EVERY tier (as libtorrent and aria2 do with public
 * trackers), `started` first, `completed` once when the download ends, `stopped` on stop,
 * then again at the tracker's `interval` (bounded to 60 s..1 h; `min interval` honoured) or
 * sooner when asked for more peers. Peers come back compact (BEP 23, IPv4) and
 * `peers6` (BEP 7), or as a list of dicts.
 *
 * Safety: only http, https and udp URLs; HTTP redirects are not followed; reply bodies are
 * capped at BT_TRK_REPLY_MAX; a tracker whose host is a literal loopback, private or
 * link-local address is used only when its path starts with /announce (libtorrent's
 * ssrf_mitigation) or when `allow_private` is set (a host NAME is checked when we connect:
 * curl's open-socket callback and the UDP resolver refuse a private address under the same
 * rule); the blacklist (substring patterns, case-insensitive, one per line, '#' comments)
 * removes trackers before use. */
#ifndef BT_TRACKER_H
#define BT_TRACKER_H
#include "cm.h"
#include "bt_metainfo.h"

enum {
    BT_TRK_REPLY_MAX = 2 * 1024 * 1024, /* bytes of an HTTP tracker reply */
    BT_TRK_PEERS_MAX = 500,             /* peers taken from one reply */
    BT_TRK_INTERVAL_MIN_S = 60,
    BT_TRK_INTERVAL_MAX_S = 3600,
    BT_TRK_BLACKLIST_MAX = 1000, /* blacklist patterns */
    BT_TRK_LIST_MAX = 500,       /* URLs of a best-trackers list */
};

typedef struct bt_trk bt_trk_t;             /* one per engine */
typedef struct bt_trk_swarm bt_trk_swarm_t; /* one per torrent */

struct bt_trk_opts {
    uint16_t port;          /* our listen port, sent in announces */
    const uint8_t *peer_id; /* 20 bytes, copied */
    bool allow_private;     /* trackers on private addresses without the /announce rule */
    int timeout_ms;         /* one announce or scrape attempt, all retries (0: 15 s) */
};

/* Caller owns the result (bt_trk_destroy). NULL with `err`. */
bt_trk_t *bt_trk_new(struct event_base *base, const struct bt_trk_opts *opts, char *err,
                     size_t errlen);
/* Cancels everything in flight (callbacks are not called). Destroy the swarms first (a swarm
 * left alive is detached: it only answers bt_trk_swarm_info and bt_trk_swarm_destroy). Not
 * from inside one of this engine's callbacks. */
void bt_trk_destroy(bt_trk_t **self_p);
/* Requests in flight, including the detached `stopped` ones: a daemon that stops can run its
 * loop until this is 0 (they end within 5 s). */
size_t bt_trk_pending(const bt_trk_t *t);

/* The VPN gate. Paused: announces in flight are dropped without a callback and none is sent
 * until resumed (swarms keep their state); scrapes, in flight or new, and `stopped`s end with
 * the error "swarm traffic paused (VPN down)" on a later loop turn (never from inside this call
 * or bt_trk_scrape). Resumed: every started swarm announces to each tier at once, back-off
 * forgotten. Unchanged: nothing happens. */
void bt_trk_set_paused(bt_trk_t *t, bool paused);

/* Replace the blacklist with the patterns in `text` (see above). Returns the count. */
size_t bt_trk_set_blacklist(bt_trk_t *t, const char *text, size_t len);
bool bt_trk_blacklisted(const bt_trk_t *t, const char *url);
/* Parse a best-trackers list ("one URL per line, # comments"): valid http/https/udp URLs,
 * de-duplicated, at most BT_TRK_LIST_MAX, appended to *urls (caller owns each string and the
 * array: free with cm_free). Returns the count added. */
size_t bt_trk_list_parse(const char *text, size_t len, char ***urls, size_t *n);

/* --- swarms --- */
struct bt_trk_stats {
    uint64_t uploaded, downloaded, left;
};
struct bt_trk_swarm_cbs {
    /* New peers from a tracker (borrowed array). */
    void (*peers)(void *arg, const struct sockaddr_storage *peers, size_t n);
    /* Fill the figures of the next announce. */
    void (*stats)(void *arg, struct bt_trk_stats *out);
    void *arg;
};

/* A swarm over `urls` (copied; blacklisted and refused ones dropped). Nothing is sent until
 * bt_trk_swarm_start(). Caller owns the result. */
bt_trk_swarm_t *bt_trk_swarm_new(bt_trk_t *t, const uint8_t info_hash[20],
                                 const struct bt_tracker_url *urls, size_t n,
                                 const struct bt_trk_swarm_cbs *cbs);
/* Add URLs (a magnet's tr, the best-trackers list) in a new tier. */
void bt_trk_swarm_add(bt_trk_swarm_t *s, const char *const *urls, size_t n);
void bt_trk_swarm_start(bt_trk_swarm_t *s);      /* event=started, then on interval */
void bt_trk_swarm_completed(bt_trk_swarm_t *s);  /* event=completed, once */
void bt_trk_swarm_more_peers(bt_trk_swarm_t *s); /* re-announce now where min interval allows */
/* Send `stopped` (fire and forget: the engine keeps it going up to 5 s after the swarm is
 * gone) and free the swarm. */
void bt_trk_swarm_destroy(bt_trk_swarm_t **self_p);

struct bt_trk_swarm_info {
    uint32_t trackers;    /* usable trackers */
    uint32_t answered;    /* trackers that answered at least once */
    uint32_t peers;       /* peers received in all */
    uint32_t seeders;     /* last `complete` figure seen (max over trackers) */
    uint32_t leechers;    /* last `incomplete` figure seen (max over trackers) */
    char last_error[160]; /* the last failure, "" when none */
};
void bt_trk_swarm_info(const bt_trk_swarm_t *s, struct bt_trk_swarm_info *out);

/* --- scrape (HTTP: the announce URL with its last "announce" replaced by "scrape"; UDP:
 * BEP 15 scrape). The callback is called exactly once, never before bt_trk_scrape returns,
 * unless cancelled. `status` is 0 on success, else -1 with `err` set. --- */
typedef void (*bt_trk_scrape_cb)(void *arg, int status, uint32_t seeders, uint32_t leechers,
                                 uint32_t completed, const char *err);
typedef uint64_t bt_trk_req_t; /* 0 = none */
bt_trk_req_t bt_trk_scrape(bt_trk_t *t, const char *url, const uint8_t info_hash[20],
                           int timeout_ms, bt_trk_scrape_cb cb, void *arg);
void bt_trk_cancel(bt_trk_t *t, bt_trk_req_t req);

/* --- reply parsers (pure; fuzzed) --- */
struct bt_announce_reply {
    int64_t interval, min_interval; /* seconds, -1 when absent */
    int64_t complete, incomplete;   /* -1 when absent */
    char failure[256];              /* "failure reason", "" when none */
    char warning[256];              /* "warning message", "" when none */
    size_t npeers;                  /* peers written to the caller's array */
};
/* HTTP announce reply body (bencode): 0, or -1 with `err` (malformed). A failure reason is a
 * successful parse with `failure` set. */
int bt_trk_parse_http_announce(const uint8_t *buf, size_t len, struct bt_announce_reply *out,
                               struct sockaddr_storage *peers, size_t max, char *err,
                               size_t errlen);
/* HTTP scrape reply: the figures for `info_hash`. 0, or -1 with `err`. */
int bt_trk_parse_http_scrape(const uint8_t *buf, size_t len, const uint8_t info_hash[20],
                             uint32_t *seeders, uint32_t *leechers, uint32_t *completed, char *err,
                             size_t errlen);

/* UDP (BEP 15) packets we receive. The parser checks the action and the transaction id;
 * `v6` selects 18-byte peer entries. */
enum { BT_UDP_CONNECT = 0, BT_UDP_ANNOUNCE = 1, BT_UDP_SCRAPE = 2, BT_UDP_ERROR = 3 };
struct bt_udp_reply {
    int action; /* enum above */
    uint32_t transaction_id;
    uint64_t connection_id;                      /* connect */
    uint32_t interval, leechers, seeders;        /* announce */
    uint32_t s_seeders, s_completed, s_leechers; /* scrape (first hash) */
    char error[160];                             /* error */
    size_t npeers;
};
/* 0, or -1 (short, wrong transaction id, unknown action, peer list not a multiple of the
 * entry size). `peers` may be NULL when max is 0. */
int bt_trk_parse_udp(const uint8_t *buf, size_t len, uint32_t expect_tid, bool v6,
                     struct bt_udp_reply *out, struct sockaddr_storage *peers, size_t max);

#endif
