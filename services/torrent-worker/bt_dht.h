/* SPDX-License-Identifier: MIT
 * bt_dht: a Mainline DHT node (BEP 5, IPv4) on the event loop.
 *
 * One UDP socket (usually on the peer port) carries KRPC: we answer ping, find_node,
 * get_peers and announce_peer, and run iterative lookups of our own (find_node on our id to
 * bootstrap and to refresh stale buckets; get_peers then announce_peer for the engine).
 *
 * Routing table: k = 8 buckets, the bucket holding our own id splits when full (at most 160
 * buckets). A node that answered one of our queries is "confirmed"; a node that only queried
 * us enters a bucket with room as unconfirmed and is pinged: one that never answers leaves.
 * Liveness per BEP 5: good = answered within 15 min (or answered once and queried us within
 * 15 min); questionable nodes are pinged; a node that misses 2 queries in a row is bad and is
 * replaced from its bucket's replacement cache. Buckets unchanged for 15 min are refreshed.
 * Only confirmed nodes are given out in replies.
 *
 * Lookups: alpha = 3 queries in flight, the 64 closest candidates kept, a query times out
 * after 2 s, a lookup ends when its 8 closest live candidates have answered, when nothing is
 * left to ask, or after 30 s; a get_peers lookup then sends announce_peer to the 8 closest
 * that gave a token (when a port is given) and waits for those answers (2 s each).
 *
 * Storage: tokens are 8 bytes of SHA-1(secret, requester IPv4); the secret turns every 5 min
 * and the previous one is still accepted. announce_peer needs a token valid for its source IP;
 * a bad one is ignored without an answer. Up to 100 peers per info-hash (one per announcing
 * IP, the oldest replaced), 2000 info-hashes (the one with the fewest peers evicted), entries
 * expire after 30 min; implied_port is honoured.
 *
 * Safety (checklist B-10): datagrams over BT_DHT_PKT_MAX bytes are dropped; bencode is
 * decoded with depth 8 and 512 tokens; queries from one IP above `ip_rate_max` per second
 * block that IP for 5 min (its packets are ignored); replies go out only through a token
 * bucket of `egress_bps` (burst: max(1500, bps / 4) bytes; what does not fit is dropped);
 * a reply is at most 1500 bytes and at most 10 times the size of the query that asked for it
 * (so at most 100 values); a reply is taken only for an outstanding transaction id (2 random
 * bytes) and from the address that was queried; nodes a public address hands us that are
 * loopback or private are not contacted (no steering of our queries into a LAN).
 *
 * Everything runs on the loop's thread. Callbacks are never called from inside the API call
 * that caused them; they may call bt_dht_cancel and bt_dht_get_peers, not bt_dht_destroy. */
#ifndef BT_DHT_H
#define BT_DHT_H
#include "cm.h"

enum {
    BT_DHT_PKT_MAX = 1500,   /* bytes of a datagram we read or send */
    BT_DHT_K = 8,            /* bucket size, nodes in a reply, nodes announced to */
    BT_DHT_ALPHA = 3,        /* queries in flight per lookup */
    BT_DHT_NODES_MAX = 64,   /* compact nodes taken from one message */
    BT_DHT_VALUES_MAX = 100, /* peers taken from (and put in) one message */
    BT_DHT_TID_MAX = 16,     /* bytes of a transaction id we accept */
    BT_DHT_TOKEN_MAX = 32,   /* bytes of a token we accept */
    BT_DHT_ERRMSG_MAX = 64,  /* bytes of an error message kept (with its NUL) */
    BT_DHT_PEERS_PER_HASH = 100,
    BT_DHT_HASHES_MAX = 2000,
    BT_DHT_LOOKUPS_MAX = 64, /* get_peers lookups at once */
};

typedef struct bt_dht bt_dht_t;

struct bt_dht_opts {
    const char *bind;             /* "ip:port" UDP, IPv4 (port 0 = ephemeral), usually the peer
                                     port. NULL: no socket at all; packets come in only through
                                     bt_dht_input and go out only to the output hook (tests,
                                     fuzzing) */
    const char *const *bootstrap; /* "host:port" nodes to start from; literal IPv4 addresses are
                                     used at once, names resolved with evdns (IPv4); copied */
    size_t nbootstrap;
    const char *state_file; /* node id + good nodes loaded from and saved here (may be NULL) */
    uint32_t egress_bps;    /* cap on bytes/s we send (0: 8000, libtorrent's default) */
    uint32_t ip_rate_max;   /* queries/s one IP may send before it is blocked 5 min (0: 5) */
};

/* Caller owns the result (bt_dht_destroy). NULL with a sentence in `err` (bad or taken bind
 * address, a bootstrap entry that is not host:port). Nothing is sent before the loop runs. */
bt_dht_t *bt_dht_new(struct event_base *base, const struct bt_dht_opts *o, char *err,
                     size_t errlen);
/* Saves state_file (atomically: temp file + rename), cancels every lookup without calling its
 * callbacks, closes the socket. Not from inside one of this node's callbacks. */
void bt_dht_destroy(bt_dht_t **self_p);
/* "ip:port" actually bound, "" without a socket. Borrowed. */
const char *bt_dht_bound(const bt_dht_t *d);
/* Our node id (20 bytes). */
void bt_dht_node_id(const bt_dht_t *d, uint8_t out[20]);

/* Peers of one reply (AF_INET, borrowed array), each reported once per lookup. */
typedef void (*bt_dht_peers_fn)(void *arg, const struct sockaddr_storage *peers, size_t n);
/* Look up peers for an info-hash (iterative get_peers, alpha = 3, closest 8; our own store is
 * reported too), then announce_peer with `port` (0: don't announce) to the closest nodes that
 * gave tokens. Peers are reported as they arrive; `done` is called once at the end (may be
 * NULL), not after a cancel. Returns a handle for bt_dht_cancel, or 0 when
 * BT_DHT_LOOKUPS_MAX lookups are running. */
uint64_t bt_dht_get_peers(bt_dht_t *d, const uint8_t info_hash[20], uint16_t port,
                          bt_dht_peers_fn peers, void (*done)(void *arg), void *arg);
/* Stop a lookup: no callback of it is called after this. Unknown or ended handles are fine. */
void bt_dht_cancel(bt_dht_t *d, uint64_t handle);

/* The VPN gate. Paused: nothing is sent (no query, no answer), datagrams that arrive are
 * dropped unread (counted as ignored), every lookup ends without its callbacks (as
 * bt_dht_cancel) and the queries out are forgotten without blaming their nodes; the routing
 * table and the peer store are kept. A lookup started while paused waits for the resume.
 * Resumed: a bootstrap lookup runs at once, then maintenance as usual. Unchanged: nothing
 * happens. Not from inside one of this node's callbacks. */
void bt_dht_set_paused(bt_dht_t *d, bool paused);

struct bt_dht_stats {
    uint32_t nodes;         /* in the routing table */
    uint32_t good;          /* of which good (BEP 5) */
    uint32_t queries_in;    /* well-formed queries received and not blocked */
    uint32_t queries_out;   /* queries sent */
    uint32_t replies_in;    /* replies and errors matched to one of our transactions */
    uint32_t blocked_ips;   /* IPs blocked now by the rate limit */
    uint64_t bytes_out;     /* bytes sent */
    uint32_t ignored;       /* datagrams dropped: malformed, oversized, blocked, unmatched */
    uint32_t dropped_out;   /* datagrams not sent for lack of egress budget */
    uint32_t stored_hashes; /* info-hashes in our peer store */
    uint32_t stored_peers;  /* peers in our peer store */
};
void bt_dht_stats(const bt_dht_t *d, struct bt_dht_stats *out);

/* --- KRPC parsing (pure; fuzzed) --- */
enum bt_dht_q {
    BT_DHT_Q_NONE = 0, /* not a query */
    BT_DHT_Q_PING,
    BT_DHT_Q_FIND_NODE,
    BT_DHT_Q_GET_PEERS,
    BT_DHT_Q_ANNOUNCE_PEER,
    BT_DHT_Q_UNKNOWN, /* a method we do not know (answered with error 204) */
};

/* One received message, copied out of the packet (no pointer into it). */
struct bt_dht_msg {
    char y;                    /* 'q', 'r' or 'e' */
    uint8_t t[BT_DHT_TID_MAX]; /* transaction id */
    size_t tlen;               /* 0..BT_DHT_TID_MAX */
    enum bt_dht_q q;           /* queries: the method */
    bool read_only;            /* BEP 43 "ro": 1 */
    bool has_id, has_target, has_info_hash;
    uint8_t id[20];        /* the sender's id ("a" or "r"); required for q and r */
    uint8_t target[20];    /* find_node */
    uint8_t info_hash[20]; /* get_peers, announce_peer */
    uint8_t token[BT_DHT_TOKEN_MAX];
    size_t token_len;                    /* 0 = none */
    uint8_t nodes[BT_DHT_NODES_MAX][26]; /* compact: id, IPv4, port (big-endian) */
    size_t nnodes;
    uint8_t values[BT_DHT_VALUES_MAX][6]; /* compact IPv4 peers (other lengths skipped) */
    size_t nvalues;
    uint16_t port;                   /* announce_peer */
    bool implied_port;               /* announce_peer: use the UDP source port */
    int64_t err_code;                /* 'e' */
    char err_msg[BT_DHT_ERRMSG_MAX]; /* 'e', printable ASCII ('?' for other bytes) */
};

/* Parse one datagram. 0, or -1 when it is not a KRPC message we can use: over
 * BT_DHT_PKT_MAX, bad bencode (depth 8, 512 tokens), not a dict, y missing or unknown, t
 * missing or longer than BT_DHT_TID_MAX, a query without q or a, an id/target/info_hash not 20
 * bytes (id required in queries and replies; target in find_node; info_hash in get_peers and
 * announce_peer), an announce_peer without token or without a port in 1..65535 (unless
 * implied_port), a token over BT_DHT_TOKEN_MAX, nodes not a multiple of 26, values not a
 * list of strings, keys of the wrong type. Nodes beyond BT_DHT_NODES_MAX and values beyond
 * BT_DHT_VALUES_MAX are left out. */
int bt_dht_parse(const uint8_t *buf, size_t len, struct bt_dht_msg *out);

/* --- test and fuzzing entries --- */
/* Hand the node one datagram as if it had arrived from `from` (AF_INET; others ignored). Not
 * from inside one of this node's callbacks. */
void bt_dht_input(bt_dht_t *d, const uint8_t *buf, size_t len, const struct sockaddr_storage *from);
/* Every datagram the node sends (after the egress cap) goes to `fn` instead of the socket;
 * NULL restores the socket. The packet is borrowed for the call. */
typedef void (*bt_dht_output_fn)(void *arg, const uint8_t *pkt, size_t len,
                                 const struct sockaddr_storage *to);
void bt_dht_set_output(bt_dht_t *d, bt_dht_output_fn fn, void *arg);

#endif
