/* SPDX-License-Identifier: MIT
 * bt_internal: the structures shared by bt_engine.c, bt_torrent.c and bt_peer.c. Not an API:
 * only those three files include it. Transmission's cut: the engine (session, limits, listener),
 * the torrent (swarm, pieces, choking), the peer (one connection's I/O and messages). */
#ifndef BT_INTERNAL_H
#define BT_INTERNAL_H
#include "bt_engine.h"
#include "bt_storage.h"
#include "bt_tracker.h"
#include "bt_wire.h"
#include "bt_ext.h"
#include "bt_dht.h"

/* Tuning knobs, one place (Transmission's commented enum). */
enum {
    BT_PEER_INBUF = 64 * 1024,       /* input buffer of a peer; grows for a big message */
    BT_PEER_OUT_HIGH = 256 * 1024,   /* stop serving blocks above this much queued output */
    BT_REQ_OUT_MAX = 250,            /* our requests in flight to one peer */
    BT_REQ_OUT_MIN = 4,              /* ... at least, when it is not snubbed */
    BT_REQ_OUT_START = 64,           /* ... before its rate is known */
    BT_REQ_QUEUE_S = 2,              /* pipeline sized to this many seconds of the peer's rate */
    BT_REQ_IN_MAX = 2000,            /* its requests queued at us (libtorrent: 2,000) */
    BT_HANDSHAKE_TIMEOUT_MS = 10000, /* connect + handshake */
    BT_PEER_IDLE_MS = 120000,        /* nothing received for this long: close */
    BT_KEEPALIVE_MS = 60000,         /* send a keep-alive after this long silent */
    BT_SNUB_MS = 15000,              /* requests out, no block for this long: snubbed */
    BT_RECHOKE_TICKS = 10,           /* rechoke every 10 s */
    BT_OPTIMISTIC_ROUNDS = 3,        /* optimistic unchoke rotates every 3 rechokes */
    BT_CANDIDATES_MAX = 2000,        /* known peer addresses per torrent */
    BT_CONNECTING_MAX = 32,          /* outgoing connects in progress per torrent */
    BT_CONNECT_RETRY_MS = 30000,     /* a failed address waits this long (x failures) */
    BT_CONNECT_FAILS_MAX = 5,        /* then it is forgotten */
    BT_HASHFAIL_BAN = 5,             /* shared hash failures before a ban */
    BT_CONTRIB_MAX = 8,              /* contributors remembered per piece in progress */
    BT_MD_REQ_OUT = 4,               /* metadata requests in flight per peer */
    BT_MD_REQ_TIMEOUT_MS = 10000,    /* a metadata request unanswered this long moves on */
    BT_RESUME_SAVE_MS = 30000,       /* resume data saved at most this often */
    BT_TICK_MS = 1000,               /* engine housekeeping tick */
    BT_INCOMING_PENDING_MAX = 64,    /* incoming connections before their handshake */
    BT_DHT_RELOOK_FEW_MS = 60000,    /* DHT lookup again after this with few peers */
    BT_DHT_RELOOK_MS = 15 * 60000,   /* ... else after this (re-announce) */
    BT_DHT_FEW_PEERS = 10,           /* "few peers" */
};

struct bt_peer;

enum { BT_NOTIFY_METADATA = 1, BT_NOTIFY_COMPLETE = 2 };

/* A known address of a torrent's swarm. */
struct bt_cand {
    struct sockaddr_storage addr;
    socklen_t alen;
    uint64_t next_try_ms; /* mono ms; 0 = now */
    uint8_t fails;
    bool connected; /* a live connection uses it */
    bool banned;
    bool self; /* it was us */
};

struct bt_partial_contrib {
    uint32_t piece;
    uint8_t n;
    struct bt_peer *peers[BT_CONTRIB_MAX]; /* identity only: compared, never dereferenced
                                              unless still in the torrent's peer list */
    uint32_t ids[BT_CONTRIB_MAX];          /* peer serials (a freed peer's pointer may be reused) */
};

struct bt_torrent {
    uint32_t tag;
    bt_engine_t *e;
    uint8_t info_hash[20];
    char hex[41];
    char *root; /* storage root */
    int flags;
    struct bt_torrent_cbs cbs;
    bt_metainfo_t *mi;   /* NULL until metadata */
    bt_picker_t *picker; /* NULL until metadata */
    bt_storage_t *st;    /* NULL until metadata */
    char *dn;            /* display name before metadata */
    bool complete;       /* every wanted piece had */
    bool completed_sent;
    bool removing;
    /* metadata download (magnet) */
    uint8_t *md_buf; /* metadata_size bytes */
    uint32_t md_size;
    uint32_t md_npieces;
    uint8_t *md_have;    /* per metadata piece: 0 missing, 1 requested, 2 received */
    uint64_t *md_req_at; /* per metadata piece: mono ms of the request */
    /* peers */
    struct bt_peer *peers; /* list */
    uint32_t npeers, nconnecting;
    struct bt_cand *cands;
    uint32_t ncands, cands_cap;
    /* trackers and the DHT */
    bt_trk_swarm_t *swarm;
    uint64_t dht_lookup;  /* handle of the lookup in progress, 0 = none */
    uint64_t dht_next_ms; /* mono ms of the next lookup */
    uint32_t dht_peers;
    /* pieces in progress: who sent blocks (hash-failure blame) */
    struct bt_partial_contrib *contrib;
    uint32_t ncontrib, contrib_cap;
    /* figures */
    uint64_t downloaded, uploaded, down_win, up_win, down_bps, up_bps;
    uint32_t hash_failures, banned;
    uint32_t peers_used;     /* peers that sent us at least one block */
    uint64_t first_block_ms; /* mono ms of the first block written, 0 before */
    uint32_t rechoke_round;
    uint64_t resume_saved_ms;
    bool resume_dirty;
    uint32_t *md_from;       /* per metadata piece: serial of the peer asked */
    struct event *ev_notify; /* deferred callbacks */
    int notify;              /* BT_NOTIFY_* bits pending */
    struct bt_torrent *next;
};

enum bt_peer_state { BT_PS_CONNECTING, BT_PS_HANDSHAKE, BT_PS_ACTIVE, BT_PS_CLOSED };

struct bt_req {
    uint32_t piece, begin, length;
    uint64_t sent_ms;
};

struct bt_peer {
    uint32_t serial;
    bt_engine_t *e;
    bt_torrent_t *t; /* NULL for an incoming peer before its handshake */
    int fd;
    struct event *ev_read, *ev_write;
    enum bt_peer_state state;
    bool incoming;
    bool read_paused; /* waiting for download tokens */
    struct sockaddr_storage addr;
    socklen_t alen;
    char name[64];        /* "1.2.3.4:5678" for logs */
    struct bt_cand *cand; /* index into t->cands is unstable: we keep the address */
    uint8_t peer_id[20];
    uint8_t reserved[8];
    bool sent_handshake, got_handshake;
    /* input */
    uint8_t *in;
    size_t in_len, in_cap;
    /* output */
    struct evbuffer *out;
    /* BEP 3 state */
    bool am_choking, am_interested, peer_choking, peer_interested;
    bool fast;         /* BEP 6 on both sides */
    uint8_t *bits;     /* its bitfield; before metadata it grows with haves */
    uint32_t bits_len; /* bytes of `bits` */
    bool counted;      /* its pieces are counted in the picker's availability */
    bool counted_seed; /* ... as a seed (bt_picker_peer_seed) */
    uint32_t cancels;  /* requests cancelled or dropped whose block may still arrive */
    uint32_t have_count;
    bool have_all_pending; /* have_all before we knew npieces */
    bool seed;
    /* extensions */
    bool ext; /* BEP 10 on both sides */
    struct bt_ext_hs ehs;
    uint32_t md_out; /* metadata requests in flight to it */
    bool md_bad;     /* sent metadata that failed the hash */
    /* our requests to it */
    struct bt_req *reqs;
    uint32_t nreqs, reqs_cap;
    uint32_t pipeline; /* target requests in flight */
    bool snubbed;
    /* its requests to us */
    struct bt_req *inq;
    uint32_t inq_head, inq_len;
    /* timing and figures */
    uint64_t connected_ms, last_recv_ms, last_send_ms, last_block_ms;
    uint64_t down_win, up_win, down_bps, up_bps, downloaded, uploaded;
    uint64_t down_round, up_round; /* bytes since the last rechoke */
    uint32_t hashfails;
    bool optimistic;
    struct bt_peer *next; /* in t->peers, or in e->pending */
};

struct bt_engine {
    uint32_t tag;
    struct event_base *base;
    struct bt_engine_opts opts;
    char **best;
    size_t nbest;
    uint8_t peer_id[20];
    struct evconnlistener *listener;
    char listen_addr[64];
    uint16_t port;
    bt_trk_t *trk;
    bt_dht_t *dht; /* NULL when off */
    struct bt_torrent *torrents;
    uint32_t ntorrents;
    struct bt_peer *pending; /* incoming, before the handshake names a torrent */
    uint32_t npending;
    uint32_t npeers; /* every connection, pending and connecting included */
    uint32_t serial;
    struct bt_bucket down, up;
    struct event *ev_tick, *ev_refill;
    bool refill_armed;
    uint64_t downloaded, uploaded, down_win, up_win, down_bps, up_bps;
    struct bt_peer *zombies; /* closed peers, freed on the next loop turn */
    struct event *ev_reap;
    bool paused; /* the VPN gate: no swarm traffic (bt_engine_set_paused) */
};

/* bt_peer.c */
struct bt_peer *bt_peer_new(bt_engine_t *e, bt_torrent_t *t, int fd, const struct sockaddr *sa,
                            socklen_t alen, bool incoming, bool connecting);
void bt_peer_close(struct bt_peer *p, const char *why); /* unlinks; freed next turn */
void bt_peer_free(struct bt_peer *p);                   /* a zombie */
void bt_peer_send_have(struct bt_peer *p, uint32_t piece);
void bt_peer_set_choke(struct bt_peer *p, bool choke);
void bt_peer_update_interest(struct bt_peer *p);
void bt_peer_fill_requests(struct bt_peer *p);
void bt_peer_cancel_block(struct bt_peer *p, uint32_t piece, uint32_t begin);
bool bt_peer_has_req(const struct bt_peer *p, uint32_t piece, uint32_t begin);
void bt_peer_tick(struct bt_peer *p, uint64_t now);
void bt_peer_metadata_ready(struct bt_peer *p); /* torrent learnt its metadata */
void bt_peer_resume_read(struct bt_peer *p);
void bt_peer_serve(struct bt_peer *p);
void bt_peer_md_request(struct bt_peer *p);

/* bt_torrent.c */
void bt_torrent_attach_peer(bt_torrent_t *t, struct bt_peer *p); /* handshake done */
void bt_torrent_detach_peer(bt_torrent_t *t, struct bt_peer *p);
void bt_torrent_add_cands(bt_torrent_t *t, const struct sockaddr_storage *a, size_t n);
void bt_torrent_block_in(bt_torrent_t *t, struct bt_peer *p, uint32_t piece, uint32_t begin,
                         const uint8_t *data, uint32_t len);
void bt_torrent_md_data(bt_torrent_t *t, struct bt_peer *p, const struct bt_md_msg *m);
void bt_torrent_md_reject(bt_torrent_t *t, struct bt_peer *p, uint32_t piece);
void bt_torrent_tick(bt_torrent_t *t, uint64_t now);
void bt_torrent_ban(bt_torrent_t *t, struct bt_peer *p, const char *why);
bool bt_torrent_is_banned(const bt_torrent_t *t, const struct sockaddr *sa);
void bt_torrent_connect_some(bt_torrent_t *t);
/* The engine's pause (the VPN gate): paused, close every peer (the addresses keep their
 * failure counts) and cancel the DHT lookup; resumed, try every known address again now and
 * look the torrent up in the DHT. */
void bt_torrent_set_paused(bt_torrent_t *t, bool paused);

/* bt_engine.c */
bool bt_engine_can_connect(const bt_engine_t *e);
bool bt_engine_blocked(const bt_engine_t *e, const struct sockaddr *sa);
size_t bt_engine_down_take(bt_engine_t *e, size_t want); /* granted bytes */
void bt_engine_want_refill(bt_engine_t *e);
void bt_engine_pending_unlink(bt_engine_t *e, struct bt_peer *p);
void bt_addr_name(const struct sockaddr *sa, char *out, size_t len);
bool bt_addr_equal(const struct sockaddr *a, const struct sockaddr *b);

#endif
