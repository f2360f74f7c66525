/* SPDX-License-Identifier: MIT
 * bt_engine: the BitTorrent engine on one libevent loop. It owns the listening socket, every
 * peer connection, the trackers client, the global limits (connection caps, download and
 * upload token buckets, the IP blocklist) and the torrents. The CLI (bt_cli.c) and the pool
 * daemon (bt_pool.c) drive it through this API; the picker API (bt_picker.h) is how the
 * streaming read path will steer it.
 *
 * Everything here runs on the loop's thread; callbacks are never called from inside the API
 * call that caused them to be due (they run from the loop). */
#ifndef BT_ENGINE_H
#define BT_ENGINE_H
#include "cm.h"
#include "bt_metainfo.h"
#include "bt_magnet.h"
#include "bt_picker.h"
#include "bt_limits.h"
#include "bt_cache.h"
#include "bt_tracker.h"

typedef struct bt_engine bt_engine_t;
typedef struct bt_torrent bt_torrent_t;

struct bt_engine_opts {
    const char *listen;               /* "ip:port" for incoming peers ("...:0" = ephemeral); NULL =
                                         no listener (outgoing connections only) */
    uint32_t conn_max;                /* peer connections in all (0: 500) */
    uint32_t conn_max_torrent;        /* peer connections per torrent (0: 100) */
    uint32_t upload_slots;            /* peers unchoked at once per torrent (0: 8) */
    uint64_t down_rate;               /* bytes/s, 0 = unlimited */
    uint64_t up_rate;                 /* bytes/s, 0 = unlimited */
    bt_blocklist_t *blocklist;        /* borrowed, may be NULL */
    const char *const *best_trackers; /* added to every torrent as a last tier; copied */
    size_t nbest_trackers;
    const char *tracker_blacklist;    /* text of substring patterns, may be NULL; copied */
    bool allow_private_trackers;      /* see bt_tracker.h (SSRF rule) */
    bt_cache_t *cache;                /* borrowed, may be NULL: no global cap */
    bool dht;                         /* run a DHT node (BEP 5) on the listen port, UDP */
    const char *const *dht_bootstrap; /* "host:port" nodes to start from; copied */
    size_t ndht_bootstrap;
    const char *dht_state; /* node id and good nodes kept here, may be NULL */
    uint32_t dht_ip_rate;  /* DHT queries/s one IP may send before it is blocked (0: 5) */
};

/* Caller owns the result (bt_engine_destroy). NULL with a sentence in `err` (e.g. the listen
 * address is taken). */
bt_engine_t *bt_engine_new(struct event_base *base, const struct bt_engine_opts *opts, char *err,
                           size_t errlen);
/* Remove every torrent and run the loop until the trackers have heard `stopped` (or `max_ms`
 * passed). Call before bt_engine_destroy when the loop has stopped. */
void bt_engine_drain(bt_engine_t *e, int max_ms);
/* Closes every peer and torrent; what is still in flight to trackers is cancelled. */
void bt_engine_destroy(bt_engine_t **self_p);

/* The VPN gate: swarm traffic off (paused) or on. While paused nothing goes to the swarm:
 * every peer connection is closed and no new one is made, incoming connections are accepted
 * and closed at once, trackers hear nothing (announces wait; scrapes and `stopped`s fail with
 * "swarm traffic paused (VPN down)", see bt_trk_set_paused), the DHT neither asks nor answers.
 * Torrents stay loaded: a metadata fetch simply gets no peer (and times out as usual), and
 * verified pieces stay readable (bt_torrent_read, the cache files). On resume every tracker is
 * announced to at once, the known peer addresses are tried again and the DHT bootstraps and
 * looks the torrents up again. Logs one line per change; unchanged, nothing happens. Not from
 * inside an engine callback. */
void bt_engine_set_paused(bt_engine_t *e, bool paused);
bool bt_engine_paused(const bt_engine_t *e);

/* The engine's tracker client (scrapes for the pool). Borrowed. */
bt_trk_t *bt_engine_trk(bt_engine_t *e);

/* The bound listen address ("127.0.0.1:51413"), "" without a listener. Borrowed. */
const char *bt_engine_listen_addr(const bt_engine_t *e);

struct bt_engine_stats {
    uint32_t torrents, peers;
    uint64_t down_bps, up_bps;     /* payload rates, last seconds */
    uint64_t downloaded, uploaded; /* payload bytes since start */
};
void bt_engine_stats(const bt_engine_t *e, struct bt_engine_stats *out);

/* --- torrents --- */
enum bt_torrent_flags {
    BT_TF_SEED_CHECK = 1 << 0,    /* hash-check existing files before starting (seed) */
    BT_TF_METADATA_ONLY = 1 << 1, /* stop wanting data once the metadata is known */
    BT_TF_PAUSED_DATA = 1 << 2,   /* want nothing until priorities are set (streaming) */
};

struct bt_torrent_cbs {
    void (*metadata)(void *arg, bt_torrent_t *t); /* the info dict is known and verified */
    void (*piece)(void *arg, bt_torrent_t *t, uint32_t piece); /* a piece verified */
    void (*complete)(void *arg, bt_torrent_t *t);              /* every wanted piece is had */
    void *arg;
};

/* Add a torrent from a metainfo (ownership of `mi` is taken, also on failure) or a magnet
 * (copied). Its files go under `root` (see bt_storage.h). A torrent already present (same
 * info-hash) is an error. NULL with a sentence in `err`. The torrent belongs to the engine;
 * remove it with bt_torrent_remove. */
bt_torrent_t *bt_engine_add_metainfo(bt_engine_t *e, bt_metainfo_t *mi, const char *root, int flags,
                                     const struct bt_torrent_cbs *cbs, char *err, size_t errlen);
bt_torrent_t *bt_engine_add_magnet(bt_engine_t *e, const struct bt_magnet *m, const char *root,
                                   int flags, const struct bt_torrent_cbs *cbs, char *err,
                                   size_t errlen);
bt_torrent_t *bt_engine_find(bt_engine_t *e, const uint8_t info_hash[20]);
/* Close its peers, send `stopped`, save resume data, free it. */
void bt_torrent_remove(bt_torrent_t **t_p);

/* Connect to a peer (from the CLI's --peer, a magnet's x.pe). */
void bt_torrent_add_peer(bt_torrent_t *t, const struct sockaddr *sa, socklen_t len);
/* Trackers given beside the metainfo (CLI --tracker), in a new tier. */
void bt_torrent_add_trackers(bt_torrent_t *t, const char *const *urls, size_t n);

/* The metainfo once known (NULL before metadata). Borrowed; valid while the torrent is. */
const bt_metainfo_t *bt_torrent_metainfo(const bt_torrent_t *t);
/* The picker once the metadata is known (NULL before): priorities and deadlines. */
bt_picker_t *bt_torrent_picker(bt_torrent_t *t);
const uint8_t *bt_torrent_info_hash(const bt_torrent_t *t);
/* The path of file `i` on disk ("" before the metadata or for no such file). */
void bt_torrent_file_path(const bt_torrent_t *t, uint32_t i, char *out, size_t len);
/* Read verified bytes of the torrent's byte stream. 0, or -1 (not had, I/O error). */
int bt_torrent_read(bt_torrent_t *t, uint64_t offset, void *buf, size_t len);

/* Streaming steers a torrent's wants (priorities and deadlines) directly in its picker. After
 * such a change: peers re-evaluate their interest and ask for blocks now, the fastest first
 * (they get the earliest deadlines), rather than at the next tick; with `cancel`, requests
 * for pieces nobody wants any more are cancelled. Also settles `complete` (below). */
void bt_torrent_wanted_changed(bt_torrent_t *t, bool cancel);
/* A torrent whose wanted pieces are all had counts as complete, and a complete torrent is
 * never interested again; a streaming torrent wants more later, so it is complete only when it
 * has every piece. */
void bt_torrent_settle(bt_torrent_t *t);
/* With no peer connected: try the known addresses again now and ask the trackers for more.
 * Returns true when it did (there was no peer). */
bool bt_torrent_retry_peers(bt_torrent_t *t);

struct bt_torrent_stats {
    bool has_metadata, complete;
    uint32_t pieces_have, npieces;
    uint64_t total, done; /* bytes wanted in all / verified */
    uint64_t down_bps, up_bps;
    uint64_t downloaded, uploaded; /* payload bytes since added */
    uint32_t peers, seeds, connecting, known_peers;
    uint32_t peers_used;     /* peers that sent at least one block */
    uint64_t first_block_ms; /* monotonic ms of the first block, 0 before */
    uint32_t hash_failures, banned;
    uint32_t trackers, trackers_answered, tracker_peers;
    uint32_t dht_peers; /* peers the DHT gave */
    char tracker_error[160];
};
void bt_torrent_stats(const bt_torrent_t *t, struct bt_torrent_stats *out);

/* Peer id prefix: Azureus style, "-MQ0100-" + 12 random bytes. */
#define BT_PEER_ID_PREFIX "-MQ0100-"

#endif
