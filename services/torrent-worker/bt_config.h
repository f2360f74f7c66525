/* SPDX-License-Identifier: MIT
 * bt_config: the engine's configuration, shared by the pool daemon and the CLI commands: the
 * environment table, and turning it into bt_engine_opts (rates in MB/s -> bytes/s, the
 * blocklist and the best-trackers list loaded from a file or a URL, the tracker blacklist). */
#ifndef BT_CONFIG_H
#define BT_CONFIG_H
#include "bt_engine.h"

struct bt_config {
    char *listen;            /* BT_LISTEN */
    int64_t conn_torrent;    /* CONTENT_CONNECTION_LIMIT */
    int64_t conn_max;        /* BT_CONNECTIONS_MAX */
    int64_t upload_slots;    /* BT_UPLOAD_SLOTS */
    char *down_limit;        /* CONTENT_DOWNLOAD_LIMIT, MB/s */
    char *up_limit;          /* CONTENT_UPLOAD_LIMIT, MB/s */
    char *blocklist;         /* BT_BLOCKLIST: file or URL */
    char *best_trackers;     /* BEST_TRACKERS: file or URL */
    char *tracker_blacklist; /* TRACKER_BLACKLIST: file or URL */
    bool allow_private;      /* BT_ALLOW_PRIVATE_TRACKERS */
    bool no_dht;             /* DISABLE_DISCOVERY */
    char *dht_bootstrap;     /* DHT_BOOTSTRAP: host:port, comma-separated */
    int64_t dht_ip_rate;     /* DHT_RATE_PER_IP */
    int64_t stream_linger;   /* STREAM_LINGER, ms (the pool daemon's read path) */
};
extern struct bt_config bt_cfg;
extern const struct cm_cfg_var bt_cfg_vars[];
extern const size_t bt_cfg_nvars;

/* "2", "2.5", "0" (MB/s, MB = 10^6 bytes) -> bytes/s. 0 or -1. */
int bt_config_parse_rate(const char *s, uint64_t *out);

/* Everything an engine needs that outlives bt_engine_opts' borrowed pointers. */
struct bt_engine_setup {
    struct bt_engine_opts opts;
    bt_blocklist_t *blocklist;
    char **best;
    size_t nbest;
    char *blacklist_text;
    char **dht_nodes;
    size_t ndht_nodes;
};
/* Fill `s` from bt_cfg (loading lists: blocking, start-up only). 0, or -1 with `err`. */
int bt_config_setup(struct bt_engine_setup *s, char *err, size_t errlen);
void bt_config_setup_free(struct bt_engine_setup *s);

#endif
