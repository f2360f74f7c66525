/* SPDX-License-Identifier: MIT
 * bt_config: the engine's environment table and its translation into engine options. */
#include "bt_config.h"
#include "bt_tracker.h"

struct bt_config bt_cfg;

const struct cm_cfg_var bt_cfg_vars[] = {
    {"BT_LISTEN", CM_CFG_LISTEN, "0.0.0.0:6881", &bt_cfg.listen, 0, 0, NULL,
     "address for incoming BitTorrent peers (port 0 picks a free one)"},
    {"CONTENT_CONNECTION_LIMIT", CM_CFG_INT, "100", &bt_cfg.conn_torrent, 1, 10000, NULL,
     "peer connections per torrent"},
    {"BT_CONNECTIONS_MAX", CM_CFG_INT, "500", &bt_cfg.conn_max, 1, 65536, NULL,
     "peer connections in all"},
    {"BT_UPLOAD_SLOTS", CM_CFG_INT, "8", &bt_cfg.upload_slots, 1, 1000, NULL,
     "peers unchoked at once per torrent"},
    {"CONTENT_DOWNLOAD_LIMIT", CM_CFG_STR, "0", &bt_cfg.down_limit, 1, 32, NULL,
     "download limit in MB/s (10^6 bytes), decimals allowed, 0 = unlimited"},
    {"CONTENT_UPLOAD_LIMIT", CM_CFG_STR, "0", &bt_cfg.up_limit, 1, 32, NULL,
     "upload limit in MB/s (10^6 bytes), decimals allowed, 0 = unlimited"},
    {"BT_BLOCKLIST", CM_CFG_STR, "", &bt_cfg.blocklist, 0, 4096, NULL,
     "IP blocklist (PeerGuardian p2p or CIDR lines): a file or an http(s) URL; empty = none"},
    {"BEST_TRACKERS", CM_CFG_STR, "", &bt_cfg.best_trackers, 0, 4096, NULL,
     "trackers added to every torrent (one URL per line, # comments): a file or a URL"},
    {"TRACKER_BLACKLIST", CM_CFG_STR, "", &bt_cfg.tracker_blacklist, 0, 4096, NULL,
     "trackers never used (substring patterns, one per line): a file or a URL"},
    {"DISABLE_DISCOVERY", CM_CFG_BOOL, "false", &bt_cfg.no_dht, 0, 0, NULL,
     "no DHT (BEP 5): peers only from trackers, PEX and the user"},
    {"DHT_BOOTSTRAP", CM_CFG_STR,
     "router.bittorrent.com:6881,dht.transmissionbt.com:6881,router.utorrent.com:6881",
     &bt_cfg.dht_bootstrap, 0, 4096, NULL, "DHT nodes to start from: host:port, comma-separated"},
    {"DHT_RATE_PER_IP", CM_CFG_INT, "5", &bt_cfg.dht_ip_rate, 1, 100000, NULL,
     "DHT queries per second one address may send before it is ignored for 5 min"},
    {"BT_ALLOW_PRIVATE_TRACKERS", CM_CFG_BOOL, "false", &bt_cfg.allow_private, 0, 0, NULL,
     "allow trackers on private/loopback addresses whatever their path (SSRF guard off)"},
    {"STREAM_LINGER", CM_CFG_MS, "60s", &bt_cfg.stream_linger, 0, 86400000, NULL,
     "a torrent nobody streams stays loaded this long, then its peers close (pieces stay cached)"},
};
const size_t bt_cfg_nvars = CM_ARRAY_LEN(bt_cfg_vars);

int bt_config_parse_rate(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !(v >= 0) || v > 100000)
        return -1;
    *out = (uint64_t)(v * 1e6 + 0.5);
    return 0;
}

int bt_config_setup(struct bt_engine_setup *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    struct bt_engine_opts *o = &s->opts;
    o->listen = bt_cfg.listen;
    o->conn_max = (uint32_t)bt_cfg.conn_max;
    o->conn_max_torrent = (uint32_t)bt_cfg.conn_torrent;
    o->upload_slots = (uint32_t)bt_cfg.upload_slots;
    o->allow_private_trackers = bt_cfg.allow_private;
    if (bt_config_parse_rate(bt_cfg.down_limit, &o->down_rate) < 0) {
        snprintf(err, errlen, "CONTENT_DOWNLOAD_LIMIT='%s' is not valid: expected MB/s, e.g. 2.5",
                 bt_cfg.down_limit);
        return -1;
    }
    if (bt_config_parse_rate(bt_cfg.up_limit, &o->up_rate) < 0) {
        snprintf(err, errlen, "CONTENT_UPLOAD_LIMIT='%s' is not valid: expected MB/s, e.g. 2.5",
                 bt_cfg.up_limit);
        return -1;
    }
    o->dht = !bt_cfg.no_dht;
    o->dht_ip_rate = (uint32_t)bt_cfg.dht_ip_rate;
    for (const char *p = bt_cfg.dht_bootstrap; o->dht && p && *p && s->ndht_nodes < 16;) {
        size_t n = strcspn(p, ", ");
        if (n > 0 && n < 256) {
            s->dht_nodes = cm_realloc(s->dht_nodes, (s->ndht_nodes + 1) * sizeof(char *));
            s->dht_nodes[s->ndht_nodes++] = cm_strndup(p, n);
        }
        p += n;
        p += strspn(p, ", ");
    }
    o->dht_bootstrap = (const char *const *)s->dht_nodes;
    o->ndht_bootstrap = s->ndht_nodes;
    char e2[CM_ERR_LEN];
    if (bt_cfg.blocklist && bt_cfg.blocklist[0]) {
        s->blocklist = bt_blocklist_new();
        if (bt_blocklist_load(s->blocklist, bt_cfg.blocklist, e2, sizeof(e2)) < 0) {
            snprintf(err, errlen, "BT_BLOCKLIST: %s", e2);
            bt_config_setup_free(s);
            return -1;
        }
        bt_blocklist_finish(s->blocklist);
        cm_log_n("config", 0, "blocklist: %zu ranges", bt_blocklist_count(s->blocklist));
        o->blocklist = s->blocklist;
    }
    if (bt_cfg.best_trackers && bt_cfg.best_trackers[0]) {
        cm_buf_t *b = cm_buf_new(BT_FETCH_MAX);
        if (bt_load_text(bt_cfg.best_trackers, 1024 * 1024, b, e2, sizeof(e2)) < 0) {
            snprintf(err, errlen, "BEST_TRACKERS: %s", e2);
            cm_buf_destroy(&b);
            bt_config_setup_free(s);
            return -1;
        }
        bt_trk_list_parse((const char *)cm_buf_data(b), cm_buf_len(b), &s->best, &s->nbest);
        cm_buf_destroy(&b);
        o->best_trackers = (const char *const *)s->best;
        o->nbest_trackers = s->nbest;
        cm_log_n("config", 0, "best trackers: %zu", s->nbest);
    }
    if (bt_cfg.tracker_blacklist && bt_cfg.tracker_blacklist[0]) {
        cm_buf_t *b = cm_buf_new(BT_FETCH_MAX);
        if (bt_load_text(bt_cfg.tracker_blacklist, 1024 * 1024, b, e2, sizeof(e2)) < 0) {
            snprintf(err, errlen, "TRACKER_BLACKLIST: %s", e2);
            cm_buf_destroy(&b);
            bt_config_setup_free(s);
            return -1;
        }
        size_t len = 0;
        s->blacklist_text = (char *)cm_buf_take(b, &len);
        cm_buf_destroy(&b);
        o->tracker_blacklist = s->blacklist_text;
    }
    return 0;
}

void bt_config_setup_free(struct bt_engine_setup *s)
{
    bt_blocklist_destroy(&s->blocklist);
    for (size_t i = 0; i < s->nbest; i++)
        cm_free(s->best[i]);
    cm_free(s->best);
    cm_free(s->blacklist_text);
    for (size_t i = 0; i < s->ndht_nodes; i++)
        cm_free(s->dht_nodes[i]);
    cm_free(s->dht_nodes);
    memset(s, 0, sizeof(*s));
}
