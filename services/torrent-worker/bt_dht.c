/* SPDX-License-Identifier: MIT
 * bt_dht: a Mainline DHT node (BEP 5, IPv4). See bt_dht.h for the contract.
 *
 * Everything hangs off one 100 ms tick: the egress token bucket refills, transactions time
 * out, lookups that were waiting for budget or a transaction slot go on, and once a second the
 * maintenance runs (token secret, peer store expiry, pings of unconfirmed and questionable
 * nodes, bucket refresh, re-bootstrap while the table is thin). A received datagram goes
 * through s_input: parse, then a query to its handler (after the per-IP limit) or a reply to
 * the transaction it answers.
 *
 * Lookups are referred to by handle, never by pointer, from transactions; a finished or
 * cancelled lookup is only marked dead and freed by s_gc at the end of the event callback, so
 * a user callback can cancel or start lookups while we walk the list.
 *
 * Order of the file: helpers, parsing, encoding, egress, routing table, rate limit, tokens and
 * peer store, transactions, lookups, query handlers, input, maintenance, state file, API. */
#include "cm.h"
#include "bt_dht.h"
#include "bt_bencode.h"

#include <event2/dns.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>

enum {
    S_TICK_MS = 100,
    S_MAINT_MS = 1000,
    S_TX_MAX = 256,                  /* transactions in flight */
    S_TX_TIMEOUT_MS = 2000,          /* a query unanswered this long failed */
    S_LOOKUP_MS = 30000,             /* a lookup's search phase */
    S_ANNOUNCE_MS = 5000,            /* its announce phase */
    S_CAND_MAX = 64,                 /* candidates kept per lookup */
    S_SEEN_MAX = 512,                /* peers remembered per lookup (de-duplication) */
    S_BUCKETS = 160,                 /* one per bit of the id */
    S_GOOD_MS = 15 * 60 * 1000,      /* BEP 5: good if heard from within 15 min */
    S_REFRESH_MS = 15 * 60 * 1000,   /* bucket unchanged this long is refreshed */
    S_PING_AGAIN_MS = 30000,         /* a node is pinged at most this often */
    S_PINGS_PER_TICK = 2,            /* maintenance pings per tick */
    S_FAILS_BAD = 2,                 /* missed queries in a row that make a node bad */
    S_SECRET_MS = 5 * 60 * 1000,     /* token secret rotation */
    S_SECRET_LEN = 16,               /* bytes of a token secret */
    S_TOKEN_LEN = 8,                 /* bytes of the tokens we hand out */
    S_PEER_TTL_MS = 30 * 60 * 1000,  /* an announced peer is kept this long */
    S_STORE_SWEEP_MS = 60000,        /* peer store expiry pass */
    S_LIMIT_SLOTS = 256,             /* IPs tracked by the rate limit */
    S_IP_RATE = 5,                   /* default queries/s per IP */
    S_BLOCK_MS = 5 * 60 * 1000,      /* an IP over the rate is ignored this long */
    S_EGRESS_BPS = 8000,             /* default egress cap */
    S_BURST_MIN = BT_DHT_PKT_MAX,    /* smallest egress burst */
    S_REPLY_RATIO = 10,              /* reply bytes <= this x query bytes */
    S_BOOT_MAX = 32,                 /* bootstrap addresses kept */
    S_DNS_MAX = 8,                   /* bootstrap names resolved at once */
    S_SAVED_MAX = 200,               /* nodes in the state file */
    S_STATE_MAX = 64 * 1024,         /* bytes of the state file we read */
    S_REBOOT_MIN_MS = 1000,          /* re-bootstrap while thin: 1 s, 2 s, ... */
    S_REBOOT_MAX_MS = 5 * 60 * 1000, /* ... up to 5 min */
    S_RECV_BURST = 64,               /* datagrams read per wake-up */
    S_BE_DEPTH = 8,
    S_BE_TOKENS = 512,
    S_QUERY_EST = 160, /* bytes budgeted before building one of our queries */
};

#define S_MOD "dht"

/* Transaction kinds (our queries). */
enum { S_TX_PING = 1, S_TX_FIND, S_TX_GET, S_TX_ANNOUNCE };
/* Candidate states. */
enum { S_C_NEW, S_C_SENT, S_C_REPLIED, S_C_FAILED, S_C_ANNOUNCING, S_C_ANNOUNCED };
/* Lookup kinds and phases. */
enum { S_L_BOOT, S_L_REFRESH, S_L_PEERS };
enum { S_P_SEARCH, S_P_ANNOUNCE };
/* Address scopes, for the "no steering into a LAN" rule. */
enum { S_SCOPE_LOOPBACK, S_SCOPE_PRIVATE, S_SCOPE_PUBLIC };

struct s_node {
    uint8_t id[20];
    uint32_t ip; /* network order */
    uint16_t port;
    uint8_t fails;  /* queries missed in a row */
    bool confirmed; /* answered one of our queries at least once */
    uint64_t last_reply_ms, last_query_ms, last_ping_ms, added_ms;
};

struct s_bucket {
    struct s_node n[BT_DHT_K];
    struct s_node repl[BT_DHT_K]; /* replacement cache: confirmed nodes that found it full */
    uint8_t count, nrepl;
    uint64_t changed_ms;
};

struct s_limit {
    uint32_t ip;
    uint32_t count;
    uint64_t window_ms, last_ms, blocked_until;
    bool used;
};

struct s_speer {
    uint32_t ip;
    uint16_t port;
    uint64_t added_ms;
};

struct s_hash {
    uint8_t ih[20];
    uint32_t n, cap;
    struct s_speer *peers; /* owned */
};

struct s_tx {
    bool used;
    uint8_t kind;
    uint8_t tid[2];
    uint32_t ip;
    uint16_t port;
    uint64_t lookup; /* handle, 0 = none */
    uint64_t sent_ms;
};

struct s_cand {
    uint8_t id[20];
    uint32_t ip;
    uint16_t port;
    uint8_t state;
    bool noid; /* a bootstrap address: id unknown, asked first */
    uint8_t toklen;
    uint8_t token[BT_DHT_TOKEN_MAX];
};

struct s_lookup {
    struct s_lookup *next;
    uint64_t handle;
    uint8_t kind, phase;
    bool dead;       /* ended or cancelled: freed by s_gc, no callback after */
    bool local_done; /* our own store reported */
    uint8_t target[20];
    uint16_t port;
    bt_dht_peers_fn peers;
    void (*done)(void *arg);
    void *arg;
    uint64_t start_ms, phase_deadline_ms;
    uint32_t inflight;
    uint32_t ncand;
    struct s_cand cand[S_CAND_MAX];
    uint32_t nseen;
    uint64_t seen[S_SEEN_MAX]; /* ip << 16 | port */
};

struct s_dns {
    bt_dht_t *d;
    struct evdns_getaddrinfo_request *req;
    uint16_t port;
    bool busy;
    bool warned;   /* a failure is logged once per name, not at every retry */
    char name[64]; /* for that log line */
};

struct bt_dht {
    struct event_base *base;
    int fd;
    struct event *read_ev, *tick_ev, *kick_ev;
    char bound[64];
    uint32_t bound_ip;
    uint16_t bound_port;
    uint8_t id[20];
    char *state_file;
    uint64_t rng;       /* xorshift state: refresh targets only */
    uint8_t rpool[256]; /* getrandom bytes for transaction ids (unpredictable to a spoofer) */
    size_t rpos;

    bt_dht_output_fn out_fn;
    void *out_arg;
    cm_buf_t *obuf; /* the packet being built */
    uint8_t pkt[BT_DHT_PKT_MAX + 1];

    /* egress token bucket, in micro-bytes */
    uint64_t bps, quota_ub, burst_ub, refill_us;
    uint32_t ip_rate;

    struct s_bucket *buckets; /* S_BUCKETS, owned */
    uint32_t nb;

    struct s_limit limit[S_LIMIT_SLOTS];

    uint8_t secret[2][S_SECRET_LEN]; /* [0] current, [1] previous */
    uint64_t secret_ms;

    struct s_hash **store; /* sorted by info-hash, owned */
    uint32_t nstore;
    uint64_t store_sweep_ms;

    struct s_tx tx[S_TX_MAX];
    uint32_t ntx;

    struct s_lookup *lookups;
    uint64_t next_handle;
    uint32_t npeer_lookups;

    /* bootstrap: literal and resolved addresses, nodes from the state file */
    uint32_t boot_ip[S_BOOT_MAX];
    uint16_t boot_port[S_BOOT_MAX];
    uint32_t nboot;
    struct s_node saved[S_SAVED_MAX];
    uint32_t nsaved;
    char **boot_names; /* "host:port" still to resolve, owned */
    size_t nboot_names;
    struct evdns_base *dns;
    struct s_dns dnsreq[S_DNS_MAX];
    uint64_t next_boot_ms, boot_gap_ms;
    bool started;
    bool paused; /* the VPN gate: nothing sent, nothing answered (bt_dht_set_paused) */

    uint64_t maint_ms;
    struct bt_dht_stats st;
    struct bt_dht_msg msg; /* the datagram being handled (s_input is not reentrant) */
};

/* --- helpers --- */

static uint16_t s_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t s_rand(bt_dht_t *d)
{
    /* xorshift64*: random ids of buckets to refresh (tids and secrets come from getrandom) */
    d->rng ^= d->rng >> 12;
    d->rng ^= d->rng << 25;
    d->rng ^= d->rng >> 27;
    return d->rng * 2685821657736338717ULL;
}

static void s_random_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n <= 0) {
            /* getrandom does not fail on Linux >= 3.17 once seeded; fall back anyway */
            uint64_t x = cm_mono_us() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)p;
            for (; len > 0; len--, p++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                *p = (uint8_t)(x >> 56);
            }
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

/* Two unpredictable bytes for a transaction id. */
static uint16_t s_rand16(bt_dht_t *d)
{
    if (d->rpos + 2 > sizeof(d->rpool)) {
        s_random_bytes(d->rpool, sizeof(d->rpool));
        d->rpos = 0;
    }
    uint16_t v = s_get16(d->rpool + d->rpos);
    d->rpos += 2;
    return v;
}

static void s_sa_make(struct sockaddr_storage *ss, uint32_t ip, uint16_t port)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_addr.s_addr = ip;
    s4->sin_port = htons(port);
}

static int s_scope(uint32_t ip)
{
    uint32_t h = ntohl(ip);
    if ((h >> 24) == 127)
        return S_SCOPE_LOOPBACK;
    if ((h >> 24) == 10 || (h >> 20) == (172 << 4 | 1) || (h >> 16) == (192 << 8 | 168) ||
        (h >> 16) == (169 << 8 | 254) || (h >> 22) == (100 << 2 | 1)) /* 100.64/10 CGNAT */
        return S_SCOPE_PRIVATE;
    return S_SCOPE_PUBLIC;
}

/* An address we may send to at all: not 0.0.0.0/8, multicast, reserved or broadcast. */
static bool s_addr_ok(uint32_t ip, uint16_t port)
{
    uint32_t h = ntohl(ip);
    return port != 0 && (h >> 24) != 0 && (h >> 28) < 14;
}

/* Bit length of the common prefix of two ids (160 when equal). */
static int s_cpl(const uint8_t *a, const uint8_t *b)
{
    for (int i = 0; i < 20; i++) {
        uint8_t x = a[i] ^ b[i];
        if (x)
            return i * 8 + __builtin_clz((unsigned)x) - 24;
    }
    return 160;
}

/* <0 when a is closer to t than b, >0 when farther, 0 when equal. */
static int s_closer(const uint8_t *t, const uint8_t *a, const uint8_t *b)
{
    for (int i = 0; i < 20; i++) {
        uint8_t x = a[i] ^ t[i], y = b[i] ^ t[i];
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static int s_sha1(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[20])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int mdlen = 0;
    int rc = -1;
    if (c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(c, a, alen) == 1 &&
        EVP_DigestUpdate(c, b, blen) == 1 && EVP_DigestFinal_ex(c, out, &mdlen) == 1 && mdlen == 20)
        rc = 0;
    EVP_MD_CTX_free(c);
    return rc;
}

/* "a.b.c.d:port" into ip (network order) and port. Port 0 allowed when `zero_ok`. */
static int s_parse_v4(const char *s, uint32_t *ip, uint16_t *port, bool zero_ok)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= INET_ADDRSTRLEN)
        return -1;
    char host[INET_ADDRSTRLEN];
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1)
        return -1;
    char *end = NULL;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end != '\0' || p < 0 || p > 65535 || (p == 0 && !zero_ok))
        return -1;
    *ip = a.s_addr;
    *port = (uint16_t)p;
    return 0;
}

/* --- parsing --- */

static int s_get_id(const bt_be_t *be, bt_be_node_t dict, const char *key, uint8_t out[20],
                    bool *has)
{
    bt_be_node_t n = bt_be_dict_get(be, dict, key);
    if (n == BT_BE_NIL)
        return 0;
    size_t len;
    const uint8_t *p = bt_be_str(be, n, &len);
    if (!p || len != 20)
        return -1;
    memcpy(out, p, 20);
    *has = true;
    return 0;
}

static int s_parse_nodes(const bt_be_t *be, bt_be_node_t dict, struct bt_dht_msg *m)
{
    bt_be_node_t n = bt_be_dict_get(be, dict, "nodes");
    if (n == BT_BE_NIL)
        return 0;
    size_t len;
    const uint8_t *p = bt_be_str(be, n, &len);
    if (!p || len % 26 != 0)
        return -1;
    for (size_t i = 0; i < len / 26 && m->nnodes < BT_DHT_NODES_MAX; i++)
        memcpy(m->nodes[m->nnodes++], p + i * 26, 26);
    return 0;
}

static int s_parse_values(const bt_be_t *be, bt_be_node_t dict, struct bt_dht_msg *m)
{
    bt_be_node_t n = bt_be_dict_get(be, dict, "values");
    if (n == BT_BE_NIL)
        return 0;
    if (bt_be_type(be, n) != BT_BE_LIST)
        return -1;
    for (bt_be_node_t v = bt_be_first(be, n); v != BT_BE_NIL; v = bt_be_next(be, v)) {
        size_t len;
        const uint8_t *p = bt_be_str(be, v, &len);
        if (!p)
            return -1;
        if (len == 6 && m->nvalues < BT_DHT_VALUES_MAX)
            memcpy(m->values[m->nvalues++], p, 6);
    }
    return 0;
}

static int s_parse_token(const bt_be_t *be, bt_be_node_t dict, struct bt_dht_msg *m)
{
    bt_be_node_t n = bt_be_dict_get(be, dict, "token");
    if (n == BT_BE_NIL)
        return 0;
    size_t len;
    const uint8_t *p = bt_be_str(be, n, &len);
    if (!p || len == 0 || len > BT_DHT_TOKEN_MAX)
        return -1;
    memcpy(m->token, p, len);
    m->token_len = len;
    return 0;
}

static bool s_streq(const uint8_t *p, size_t len, const char *s)
{
    return p && len == strlen(s) && memcmp(p, s, len) == 0;
}

static int s_parse_query(const bt_be_t *be, bt_be_node_t root, struct bt_dht_msg *m)
{
    size_t qlen;
    const uint8_t *q = bt_be_dict_str(be, root, "q", &qlen);
    bt_be_node_t a = bt_be_dict_get(be, root, "a");
    if (!q || bt_be_type(be, a) != BT_BE_DICT)
        return -1;
    if (s_streq(q, qlen, "ping"))
        m->q = BT_DHT_Q_PING;
    else if (s_streq(q, qlen, "find_node"))
        m->q = BT_DHT_Q_FIND_NODE;
    else if (s_streq(q, qlen, "get_peers"))
        m->q = BT_DHT_Q_GET_PEERS;
    else if (s_streq(q, qlen, "announce_peer"))
        m->q = BT_DHT_Q_ANNOUNCE_PEER;
    else
        m->q = BT_DHT_Q_UNKNOWN;
    if (s_get_id(be, a, "id", m->id, &m->has_id) < 0 || !m->has_id)
        return -1;
    switch (m->q) {
    case BT_DHT_Q_FIND_NODE:
        if (s_get_id(be, a, "target", m->target, &m->has_target) < 0 || !m->has_target)
            return -1;
        break;
    case BT_DHT_Q_GET_PEERS:
        if (s_get_id(be, a, "info_hash", m->info_hash, &m->has_info_hash) < 0 || !m->has_info_hash)
            return -1;
        break;
    case BT_DHT_Q_ANNOUNCE_PEER: {
        if (s_get_id(be, a, "info_hash", m->info_hash, &m->has_info_hash) < 0 || !m->has_info_hash)
            return -1;
        if (s_parse_token(be, a, m) < 0 || m->token_len == 0)
            return -1;
        int64_t v;
        bt_be_node_t ip = bt_be_dict_get(be, a, "implied_port");
        if (ip != BT_BE_NIL) {
            if (bt_be_int(be, ip, &v) < 0)
                return -1;
            m->implied_port = v != 0;
        }
        bt_be_node_t pn = bt_be_dict_get(be, a, "port");
        if (pn != BT_BE_NIL) {
            if (bt_be_int(be, pn, &v) < 0)
                return -1;
            if (v >= 1 && v <= 65535)
                m->port = (uint16_t)v;
            else if (!m->implied_port)
                return -1;
        } else if (!m->implied_port) {
            return -1;
        }
        break;
    }
    default:
        break;
    }
    return 0;
}

static int s_parse_error(const bt_be_t *be, bt_be_node_t root, struct bt_dht_msg *m)
{
    bt_be_node_t e = bt_be_dict_get(be, root, "e");
    if (bt_be_type(be, e) != BT_BE_LIST)
        return -1;
    bt_be_node_t c = bt_be_list_at(be, e, 0);
    if (c != BT_BE_NIL && bt_be_int(be, c, &m->err_code) < 0)
        return -1;
    bt_be_node_t s = bt_be_list_at(be, e, 1);
    if (s != BT_BE_NIL) {
        size_t len;
        const uint8_t *p = bt_be_str(be, s, &len);
        if (!p)
            return -1;
        size_t n = CM_MIN(len, sizeof(m->err_msg) - 1);
        for (size_t i = 0; i < n; i++)
            m->err_msg[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
        m->err_msg[n] = '\0';
    }
    return 0;
}

int bt_dht_parse(const uint8_t *buf, size_t len, struct bt_dht_msg *out)
{
    memset(out, 0, sizeof(*out));
    if (!buf || len == 0 || len > BT_DHT_PKT_MAX)
        return -1;
    bt_be_t be;
    struct bt_be_limits lim = {
        .depth_max = S_BE_DEPTH, .tokens_max = S_BE_TOKENS, .len_max = BT_DHT_PKT_MAX};
    if (bt_be_decode(&be, buf, len, &lim, NULL, NULL, 0) < 0)
        return -1;
    int rc = -1;
    bt_be_node_t root = 0;
    if (bt_be_type(&be, root) != BT_BE_DICT)
        goto out;
    size_t ylen, tlen;
    const uint8_t *y = bt_be_dict_str(&be, root, "y", &ylen);
    const uint8_t *t = bt_be_dict_str(&be, root, "t", &tlen);
    if (!y || ylen != 1 || !t || tlen > BT_DHT_TID_MAX)
        goto out;
    out->y = (char)y[0];
    memcpy(out->t, t, tlen);
    out->tlen = tlen;
    int64_t ro;
    if (bt_be_dict_int(&be, root, "ro", &ro) == 0 && ro == 1)
        out->read_only = true;
    if (out->y == 'q') {
        if (s_parse_query(&be, root, out) < 0)
            goto out;
    } else if (out->y == 'r') {
        bt_be_node_t r = bt_be_dict_get(&be, root, "r");
        if (bt_be_type(&be, r) != BT_BE_DICT)
            goto out;
        if (s_get_id(&be, r, "id", out->id, &out->has_id) < 0 || !out->has_id)
            goto out;
        if (s_parse_nodes(&be, r, out) < 0 || s_parse_values(&be, r, out) < 0 ||
            s_parse_token(&be, r, out) < 0)
            goto out;
    } else if (out->y == 'e') {
        if (s_parse_error(&be, root, out) < 0)
            goto out;
    } else {
        goto out;
    }
    rc = 0;
out:
    bt_be_clear(&be);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* --- encoding (keys in sorted order) --- */

static int s_put_kstr(cm_buf_t *b, const char *key, const void *v, size_t len)
{
    return bt_be_put_cstr(b, key) < 0 || bt_be_put_str(b, v, len) < 0 ? -1 : 0;
}

static int s_put_kint(cm_buf_t *b, const char *key, int64_t v)
{
    return bt_be_put_cstr(b, key) < 0 || bt_be_put_int(b, v) < 0 ? -1 : 0;
}

static const char *const s_qname[] = {"", "ping", "find_node", "get_peers", "announce_peer"};

/* One of our queries. `key` is the target (find_node) or info-hash (get_peers, announce). */
static int s_build_query(bt_dht_t *d, int kind, const uint8_t tid[2], const uint8_t *key,
                         const uint8_t *token, size_t toklen, uint16_t port)
{
    cm_buf_t *b = d->obuf;
    cm_buf_reset(b);
    if (bt_be_put_dict(b) < 0 || bt_be_put_cstr(b, "a") < 0 || bt_be_put_dict(b) < 0 ||
        s_put_kstr(b, "id", d->id, 20) < 0)
        return -1;
    if (kind == S_TX_ANNOUNCE &&
        (s_put_kint(b, "implied_port", 0) < 0 || s_put_kstr(b, "info_hash", key, 20) < 0 ||
         s_put_kint(b, "port", port) < 0 || s_put_kstr(b, "token", token, toklen) < 0))
        return -1;
    if (kind == S_TX_GET && s_put_kstr(b, "info_hash", key, 20) < 0)
        return -1;
    if (kind == S_TX_FIND && s_put_kstr(b, "target", key, 20) < 0)
        return -1;
    if (bt_be_put_end(b) < 0 || bt_be_put_cstr(b, "q") < 0 ||
        bt_be_put_cstr(b, s_qname[kind]) < 0 || s_put_kstr(b, "t", tid, 2) < 0 ||
        s_put_kstr(b, "y", "q", 1) < 0 || bt_be_put_end(b) < 0)
        return -1;
    return 0;
}

/* --- egress --- */

static void s_refill(bt_dht_t *d)
{
    uint64_t now = cm_mono_us();
    uint64_t el = now - d->refill_us;
    d->refill_us = now;
    if (el > 10000000)
        el = 10000000;
    d->quota_ub += el * d->bps;
    if (d->quota_ub > d->burst_ub)
        d->quota_ub = d->burst_ub;
}

static bool s_budget(bt_dht_t *d, size_t len)
{
    s_refill(d);
    return d->quota_ub >= (uint64_t)len * 1000000;
}

/* Send the built packet to ip:port within the egress budget. 0, -1 over budget (try later),
 * -2 on a send error. Without socket and hook the packet goes nowhere but counts as sent. */
static int s_send(bt_dht_t *d, uint32_t ip, uint16_t port)
{
    size_t len = cm_buf_len(d->obuf);
    if (len == 0 || len > BT_DHT_PKT_MAX)
        return -2;
    if (d->paused)
        return -1; /* never reached: nothing runs while paused */
    if (!s_budget(d, len)) {
        d->st.dropped_out++;
        return -1;
    }
    struct sockaddr_storage to;
    s_sa_make(&to, ip, port);
    if (d->out_fn) {
        d->out_fn(d->out_arg, cm_buf_data(d->obuf), len, &to);
    } else if (d->fd >= 0) {
        ssize_t w = sendto(d->fd, cm_buf_data(d->obuf), len, MSG_NOSIGNAL, (struct sockaddr *)&to,
                           sizeof(struct sockaddr_in));
        if (w < 0) {
            cm_log_d(S_MOD, 0, "sendto: %s", strerror(errno));
            return -2;
        }
    }
    d->quota_ub -= (uint64_t)len * 1000000;
    d->st.bytes_out += len;
    return 0;
}

/* --- routing table --- */

static uint32_t s_bucket_of(const bt_dht_t *d, const uint8_t *id)
{
    uint32_t c = (uint32_t)s_cpl(id, d->id);
    return c < d->nb - 1 ? c : d->nb - 1;
}

static struct s_node *s_find_addr(bt_dht_t *d, uint32_t ip, uint16_t port, uint32_t *bi)
{
    for (uint32_t b = 0; b < d->nb; b++)
        for (uint32_t i = 0; i < d->buckets[b].count; i++) {
            struct s_node *n = &d->buckets[b].n[i];
            if (n->ip == ip && n->port == port) {
                if (bi)
                    *bi = b;
                return n;
            }
        }
    return NULL;
}

/* Take node n out of bucket b; a replacement (the newest) takes its place. */
static void s_remove_node(bt_dht_t *d, uint32_t b, struct s_node *n)
{
    struct s_bucket *B = &d->buckets[b];
    size_t i = (size_t)(n - B->n);
    if (B->nrepl > 0) {
        B->n[i] = B->repl[--B->nrepl];
    } else {
        memmove(&B->n[i], &B->n[i + 1], (B->count - i - 1) * sizeof(B->n[0]));
        B->count--;
    }
    B->changed_ms = cm_mono_ms();
}

static void s_split(bt_dht_t *d)
{
    uint32_t old = d->nb - 1;
    struct s_bucket *O = &d->buckets[old], *N = &d->buckets[d->nb];
    memset(N, 0, sizeof(*N));
    N->changed_ms = O->changed_ms;
    d->nb++;
    uint8_t keep = 0, krepl = 0;
    for (uint8_t i = 0; i < O->count; i++) {
        if ((uint32_t)s_cpl(O->n[i].id, d->id) > old)
            N->n[N->count++] = O->n[i];
        else
            O->n[keep++] = O->n[i];
    }
    O->count = keep;
    for (uint8_t i = 0; i < O->nrepl; i++) {
        if ((uint32_t)s_cpl(O->repl[i].id, d->id) > old)
            N->repl[N->nrepl++] = O->repl[i];
        else
            O->repl[krepl++] = O->repl[i];
    }
    O->nrepl = krepl;
}

/* We heard from node id at ip:port: it answered one of our queries (`replied`) or queried us.
 * Only a confirmed answer may change the id of an address or evict anyone. */
static void s_table_seen(bt_dht_t *d, const uint8_t *id, uint32_t ip, uint16_t port, bool replied)
{
    if (memcmp(id, d->id, 20) == 0 || !s_addr_ok(ip, port))
        return;
    uint64_t now = cm_mono_ms();
    uint32_t b;
    struct s_node *n = s_find_addr(d, ip, port, &b);
    if (n) {
        if (memcmp(n->id, id, 20) == 0) {
            if (replied) {
                n->last_reply_ms = now;
                n->fails = 0;
                n->confirmed = true;
                d->buckets[b].changed_ms = now;
            } else {
                n->last_query_ms = now;
            }
            return;
        }
        if (!replied)
            return;
        s_remove_node(d, b, n); /* that address answered with another id */
    }
    for (;;) {
        b = s_bucket_of(d, id);
        struct s_bucket *B = &d->buckets[b];
        for (uint8_t i = 0; i < B->count; i++)
            if (memcmp(B->n[i].id, id, 20) == 0)
                return; /* the id is known at another address: keep that one */
        struct s_node nn = {.ip = ip, .port = port, .confirmed = replied, .added_ms = now};
        memcpy(nn.id, id, 20);
        if (replied)
            nn.last_reply_ms = now;
        else
            nn.last_query_ms = now;
        if (B->count < BT_DHT_K) {
            B->n[B->count++] = nn;
            B->changed_ms = now;
            return;
        }
        if (b == d->nb - 1 && d->nb < S_BUCKETS) {
            s_split(d);
            continue;
        }
        if (!replied)
            return;
        /* Full of others: evict an unconfirmed or failing node, else keep it in reserve. */
        for (uint8_t i = 0; i < B->count; i++)
            if (!B->n[i].confirmed || B->n[i].fails > 0) {
                B->n[i] = nn;
                B->changed_ms = now;
                return;
            }
        for (uint8_t i = 0; i < B->nrepl; i++)
            if (memcmp(B->repl[i].id, id, 20) == 0 ||
                (B->repl[i].ip == ip && B->repl[i].port == port)) {
                B->repl[i] = nn;
                return;
            }
        if (B->nrepl < BT_DHT_K) {
            B->repl[B->nrepl++] = nn;
        } else {
            memmove(&B->repl[0], &B->repl[1], (BT_DHT_K - 1) * sizeof(B->repl[0]));
            B->repl[BT_DHT_K - 1] = nn;
        }
        return;
    }
}

/* ip:port missed a query. */
static void s_table_failed(bt_dht_t *d, uint32_t ip, uint16_t port)
{
    uint32_t b;
    struct s_node *n = s_find_addr(d, ip, port, &b);
    if (!n)
        return;
    n->fails++;
    if (!n->confirmed || n->fails >= S_FAILS_BAD)
        s_remove_node(d, b, n);
}

static bool s_good(const struct s_node *n, uint64_t now)
{
    if (!n->confirmed || n->fails > 0)
        return false;
    return now - n->last_reply_ms < S_GOOD_MS || now - n->last_query_ms < S_GOOD_MS;
}

/* Up to max confirmed, live nodes closest to target, closest first. */
static size_t s_closest(const bt_dht_t *d, const uint8_t *target, const struct s_node **out,
                        size_t max)
{
    size_t n = 0;
    for (uint32_t b = 0; b < d->nb; b++)
        for (uint32_t i = 0; i < d->buckets[b].count; i++) {
            const struct s_node *x = &d->buckets[b].n[i];
            if (!x->confirmed || x->fails >= S_FAILS_BAD)
                continue;
            size_t pos = n;
            while (pos > 0 && s_closer(target, x->id, out[pos - 1]->id) < 0)
                pos--;
            if (pos >= max)
                continue;
            size_t last = n < max ? n : max - 1;
            memmove(&out[pos + 1], &out[pos], (last - pos) * sizeof(out[0]));
            out[pos] = x;
            if (n < max)
                n++;
        }
    return n;
}

/* --- per-IP rate limit --- */

/* Is a query from ip allowed now? Counts it. */
static bool s_allow(bt_dht_t *d, uint32_t ip, uint64_t now)
{
    struct s_limit *e = NULL, *victim = NULL;
    for (size_t i = 0; i < S_LIMIT_SLOTS; i++) {
        struct s_limit *x = &d->limit[i];
        if (x->used && x->ip == ip) {
            e = x;
            break;
        }
        if (!x->used) {
            if (!victim || victim->used)
                victim = x;
        } else if (x->blocked_until <= now &&
                   (!victim || (victim->used && x->last_ms < victim->last_ms))) {
            victim = x;
        }
    }
    if (!e) {
        if (!victim) /* every slot holds a blocked IP: take the one whose block ends first */
            for (size_t i = 0; i < S_LIMIT_SLOTS; i++)
                if (!victim || d->limit[i].blocked_until < victim->blocked_until)
                    victim = &d->limit[i];
        e = victim;
        memset(e, 0, sizeof(*e));
        e->used = true;
        e->ip = ip;
        e->window_ms = now;
    }
    e->last_ms = now;
    if (e->blocked_until > now)
        return false;
    if (now - e->window_ms >= 1000) {
        e->window_ms = now;
        e->count = 0;
    }
    if (++e->count > d->ip_rate) {
        e->blocked_until = now + S_BLOCK_MS;
        char ips[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &ip, ips, sizeof(ips));
        cm_log_n(S_MOD, 0, "%s sent more than %u queries/s: ignored for 5 min", ips, d->ip_rate);
        return false;
    }
    return true;
}

/* --- tokens and the peer store --- */

static void s_token(const uint8_t secret[S_SECRET_LEN], uint32_t ip, uint8_t out[S_TOKEN_LEN])
{
    uint8_t h[20];
    if (s_sha1(secret, S_SECRET_LEN, &ip, 4, h) < 0)
        memset(h, 0, sizeof(h)); /* never matches: verification recomputes and compares */
    memcpy(out, h, S_TOKEN_LEN);
}

static bool s_token_ok(const bt_dht_t *d, uint32_t ip, const uint8_t *tok, size_t len)
{
    if (len != S_TOKEN_LEN)
        return false;
    for (int i = 0; i < 2; i++) {
        uint8_t t[S_TOKEN_LEN];
        uint8_t h[20];
        if (s_sha1(d->secret[i], S_SECRET_LEN, &ip, 4, h) < 0)
            continue;
        memcpy(t, h, S_TOKEN_LEN);
        if (memcmp(t, tok, S_TOKEN_LEN) == 0)
            return true;
    }
    return false;
}

/* Index of the info-hash, or -(insertion point) - 1. */
static long s_store_find(const bt_dht_t *d, const uint8_t *ih)
{
    long lo = 0, hi = (long)d->nstore - 1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        int c = memcmp(d->store[mid]->ih, ih, 20);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

static void s_store_drop(bt_dht_t *d, uint32_t i)
{
    struct s_hash *h = d->store[i];
    d->st.stored_peers -= h->n;
    cm_free(h->peers);
    cm_free(h);
    memmove(&d->store[i], &d->store[i + 1], (d->nstore - i - 1) * sizeof(d->store[0]));
    d->nstore--;
}

static void s_store_add(bt_dht_t *d, const uint8_t *ih, uint32_t ip, uint16_t port)
{
    uint64_t now = cm_mono_ms();
    long i = s_store_find(d, ih);
    struct s_hash *h;
    if (i < 0) {
        if (d->nstore >= BT_DHT_HASHES_MAX) {
            uint32_t v = 0;
            for (uint32_t k = 1; k < d->nstore; k++)
                if (d->store[k]->n < d->store[v]->n)
                    v = k;
            s_store_drop(d, v);
            i = s_store_find(d, ih); /* positions moved */
        }
        uint32_t at = (uint32_t)(-i - 1);
        h = cm_calloc(1, sizeof(*h));
        memcpy(h->ih, ih, 20);
        memmove(&d->store[at + 1], &d->store[at], (d->nstore - at) * sizeof(d->store[0]));
        d->store[at] = h;
        d->nstore++;
    } else {
        h = d->store[i];
    }
    for (uint32_t k = 0; k < h->n; k++)
        if (h->peers[k].ip == ip) {
            h->peers[k].port = port;
            h->peers[k].added_ms = now;
            return;
        }
    if (h->n == BT_DHT_PEERS_PER_HASH) {
        uint32_t v = 0;
        for (uint32_t k = 1; k < h->n; k++)
            if (h->peers[k].added_ms < h->peers[v].added_ms)
                v = k;
        h->peers[v] = (struct s_speer){.ip = ip, .port = port, .added_ms = now};
        return;
    }
    if (h->n == h->cap) {
        h->cap = h->cap ? CM_MIN(h->cap * 2, (uint32_t)BT_DHT_PEERS_PER_HASH) : 4;
        h->peers = cm_realloc(h->peers, h->cap * sizeof(h->peers[0]));
    }
    h->peers[h->n++] = (struct s_speer){.ip = ip, .port = port, .added_ms = now};
    d->st.stored_peers++;
}

static void s_store_expire(bt_dht_t *d, uint64_t now)
{
    for (uint32_t i = d->nstore; i-- > 0;) {
        struct s_hash *h = d->store[i];
        uint32_t keep = 0;
        for (uint32_t k = 0; k < h->n; k++)
            if (now - h->peers[k].added_ms < S_PEER_TTL_MS)
                h->peers[keep++] = h->peers[k];
        d->st.stored_peers -= h->n - keep;
        h->n = keep;
        if (h->n == 0)
            s_store_drop(d, i);
    }
}

/* --- transactions --- */

static struct s_tx *s_tx_new(bt_dht_t *d)
{
    if (d->ntx >= S_TX_MAX)
        return NULL;
    struct s_tx *slot = NULL;
    for (size_t i = 0; i < S_TX_MAX; i++)
        if (!d->tx[i].used) {
            slot = &d->tx[i];
            break;
        }
    if (!slot)
        return NULL;
    for (int tries = 0; tries < 16; tries++) {
        uint16_t t = s_rand16(d);
        bool clash = false;
        for (size_t i = 0; i < S_TX_MAX && !clash; i++)
            clash = d->tx[i].used && s_get16(d->tx[i].tid) == t;
        if (!clash) {
            memset(slot, 0, sizeof(*slot));
            slot->tid[0] = (uint8_t)(t >> 8);
            slot->tid[1] = (uint8_t)t;
            return slot;
        }
    }
    return NULL;
}

/* Send one of our queries. 0; -1 when there is no budget or slot (try again later); -2 when
 * it cannot be sent to that address. */
static int s_query(bt_dht_t *d, int kind, uint32_t ip, uint16_t port, const uint8_t *key,
                   const uint8_t *token, size_t toklen, uint16_t aport, uint64_t lookup)
{
    if (!s_budget(d, S_QUERY_EST))
        return -1;
    struct s_tx *tx = s_tx_new(d);
    if (!tx)
        return -1;
    if (s_build_query(d, kind, tx->tid, key, token, toklen, aport) < 0)
        return -2;
    int rc = s_send(d, ip, port);
    if (rc < 0)
        return rc;
    tx->used = true;
    tx->kind = (uint8_t)kind;
    tx->ip = ip;
    tx->port = port;
    tx->lookup = lookup;
    tx->sent_ms = cm_mono_ms();
    d->ntx++;
    d->st.queries_out++;
    return 0;
}

static void s_ping(bt_dht_t *d, struct s_node *n, uint64_t now)
{
    n->last_ping_ms = now;
    s_query(d, S_TX_PING, n->ip, n->port, NULL, NULL, 0, 0, 0);
}

/* --- lookups --- */

static struct s_lookup *s_lookup_get(bt_dht_t *d, uint64_t handle)
{
    for (struct s_lookup *L = d->lookups; L; L = L->next)
        if (L->handle == handle)
            return L->dead ? NULL : L;
    return NULL;
}

static struct s_cand *s_cand_find(struct s_lookup *L, uint32_t ip, uint16_t port)
{
    for (uint32_t i = 0; i < L->ncand; i++)
        if (L->cand[i].ip == ip && L->cand[i].port == port)
            return &L->cand[i];
    return NULL;
}

/* Insert a candidate in distance order (bootstrap addresses, id unknown, first). */
static void s_cand_insert(struct s_lookup *L, const struct s_cand *c)
{
    uint32_t pos = L->ncand;
    while (pos > 0 && (c->noid ? !L->cand[pos - 1].noid
                               : (!L->cand[pos - 1].noid &&
                                  s_closer(L->target, c->id, L->cand[pos - 1].id) < 0)))
        pos--;
    if (pos >= S_CAND_MAX)
        return;
    uint32_t last = L->ncand < S_CAND_MAX ? L->ncand : S_CAND_MAX - 1;
    memmove(&L->cand[pos + 1], &L->cand[pos], (last - pos) * sizeof(L->cand[0]));
    L->cand[pos] = *c;
    if (L->ncand < S_CAND_MAX)
        L->ncand++;
}

static void s_cand_add(bt_dht_t *d, struct s_lookup *L, const uint8_t *id, uint32_t ip,
                       uint16_t port)
{
    if (!s_addr_ok(ip, port) || (ip == d->bound_ip && port == d->bound_port) ||
        (id && memcmp(id, d->id, 20) == 0))
        return;
    for (uint32_t i = 0; i < L->ncand; i++)
        if ((L->cand[i].ip == ip && L->cand[i].port == port) ||
            (id && !L->cand[i].noid && memcmp(L->cand[i].id, id, 20) == 0))
            return;
    struct s_cand c;
    memset(&c, 0, sizeof(c));
    c.ip = ip;
    c.port = port;
    c.state = S_C_NEW;
    if (id)
        memcpy(c.id, id, 20);
    else
        c.noid = true;
    s_cand_insert(L, &c);
}

/* Seed a lookup from the table, the saved nodes and (for a thin table) the bootstrap list. */
static void s_lookup_seed(bt_dht_t *d, struct s_lookup *L)
{
    const struct s_node *near[2 * BT_DHT_K];
    size_t n = s_closest(d, L->target, near, CM_ARRAY_LEN(near));
    for (size_t i = 0; i < n; i++)
        s_cand_add(d, L, near[i]->id, near[i]->ip, near[i]->port);
    if (n >= BT_DHT_K && L->kind != S_L_BOOT)
        return;
    for (uint32_t i = 0; i < d->nsaved; i++)
        s_cand_add(d, L, d->saved[i].id, d->saved[i].ip, d->saved[i].port);
    for (uint32_t i = 0; i < d->nboot; i++)
        s_cand_add(d, L, NULL, d->boot_ip[i], d->boot_port[i]);
}

static struct s_lookup *s_lookup_new(bt_dht_t *d, int kind, const uint8_t *target)
{
    struct s_lookup *L = cm_calloc(1, sizeof(*L));
    L->handle = ++d->next_handle;
    L->kind = (uint8_t)kind;
    L->phase = S_P_SEARCH;
    memcpy(L->target, target, 20);
    L->start_ms = cm_mono_ms();
    L->phase_deadline_ms = L->start_ms + S_LOOKUP_MS;
    L->next = d->lookups;
    d->lookups = L;
    s_lookup_seed(d, L);
    return L;
}

static void s_lookup_end(bt_dht_t *d, struct s_lookup *L)
{
    uint32_t replied = 0;
    for (uint32_t i = 0; i < L->ncand; i++)
        replied += L->cand[i].state >= S_C_REPLIED && L->cand[i].state != S_C_FAILED;
    cm_log_d(S_MOD, L->handle, "%s lookup ended after %" PRIu64 " ms: %u candidates, %u answered",
             L->kind == S_L_PEERS  ? "get_peers"
             : L->kind == S_L_BOOT ? "bootstrap"
                                   : "refresh",
             cm_mono_ms() - L->start_ms, L->ncand, replied);
    L->dead = true;
    if (L->kind == S_L_PEERS)
        d->npeer_lookups--;
    if (L->done)
        L->done(L->arg);
}

/* Report peers not seen before in this lookup. Returns false when the lookup died in the
 * callback. */
static bool s_report(struct s_lookup *L, const uint32_t *ips, const uint16_t *ports, size_t n)
{
    struct sockaddr_storage out[BT_DHT_VALUES_MAX];
    size_t m = 0;
    for (size_t i = 0; i < n && m < CM_ARRAY_LEN(out); i++) {
        if (!s_addr_ok(ips[i], ports[i]))
            continue;
        uint64_t key = (uint64_t)ips[i] << 16 | ports[i];
        bool dup = false;
        for (uint32_t k = 0; k < L->nseen && !dup; k++)
            dup = L->seen[k] == key;
        for (size_t k = 0; k < m && !dup; k++) {
            const struct sockaddr_in *s4 = (const struct sockaddr_in *)&out[k];
            dup = s4->sin_addr.s_addr == ips[i] && ntohs(s4->sin_port) == ports[i];
        }
        if (dup)
            continue;
        if (L->nseen < S_SEEN_MAX)
            L->seen[L->nseen++] = key;
        s_sa_make(&out[m++], ips[i], ports[i]);
    }
    if (m > 0 && L->peers)
        L->peers(L->arg, out, m);
    return !L->dead;
}

static void s_report_local(bt_dht_t *d, struct s_lookup *L)
{
    L->local_done = true;
    long i = s_store_find(d, L->target);
    if (i < 0)
        return;
    struct s_hash *h = d->store[i];
    uint32_t ips[BT_DHT_VALUES_MAX];
    uint16_t ports[BT_DHT_VALUES_MAX];
    size_t n = 0;
    for (uint32_t k = 0; k < h->n && n < BT_DHT_VALUES_MAX; k++) {
        ips[n] = h->peers[k].ip;
        ports[n++] = h->peers[k].port;
    }
    s_report(L, ips, ports, n);
}

static void s_announce_step(bt_dht_t *d, struct s_lookup *L)
{
    uint32_t pending = 0, picked = 0;
    for (uint32_t i = 0; i < L->ncand && picked < BT_DHT_K; i++) {
        struct s_cand *c = &L->cand[i];
        if (c->state == S_C_ANNOUNCING) {
            picked++;
            pending++;
            continue;
        }
        if (c->state == S_C_ANNOUNCED) {
            picked++;
            continue;
        }
        if (c->state != S_C_REPLIED || c->toklen == 0)
            continue;
        picked++;
        int rc = s_query(d, S_TX_ANNOUNCE, c->ip, c->port, L->target, c->token, c->toklen, L->port,
                         L->handle);
        if (rc == -2) {
            c->state = S_C_ANNOUNCED; /* cannot be sent: given up on */
            continue;
        }
        pending++;
        if (rc == 0) /* else no budget yet: the tick tries again */
            c->state = S_C_ANNOUNCING;
    }
    if (pending == 0 || cm_mono_ms() >= L->phase_deadline_ms)
        s_lookup_end(d, L);
}

static void s_lookup_search_done(bt_dht_t *d, struct s_lookup *L)
{
    if (L->kind == S_L_PEERS && L->port != 0) {
        L->phase = S_P_ANNOUNCE;
        L->phase_deadline_ms = cm_mono_ms() + S_ANNOUNCE_MS;
        s_announce_step(d, L);
        return;
    }
    s_lookup_end(d, L);
}

static void s_lookup_step(bt_dht_t *d, struct s_lookup *L)
{
    if (L->dead)
        return;
    if (L->kind == S_L_PEERS && !L->local_done) {
        s_report_local(d, L);
        if (L->dead)
            return;
    }
    uint64_t now = cm_mono_ms();
    if (L->phase == S_P_ANNOUNCE) {
        s_announce_step(d, L);
        return;
    }
    if (now >= L->phase_deadline_ms) {
        s_lookup_search_done(d, L);
        return;
    }
    /* Done when the K closest live candidates have all answered. */
    uint32_t live = 0;
    bool all_replied = true;
    for (uint32_t i = 0; i < L->ncand && live < BT_DHT_K; i++) {
        if (L->cand[i].state == S_C_FAILED)
            continue;
        live++;
        if (L->cand[i].state != S_C_REPLIED)
            all_replied = false;
    }
    if (live == BT_DHT_K && all_replied) {
        s_lookup_search_done(d, L);
        return;
    }
    int kind = L->kind == S_L_PEERS ? S_TX_GET : S_TX_FIND;
    bool fresh = false;
    for (uint32_t i = 0; i < L->ncand; i++) {
        struct s_cand *c = &L->cand[i];
        if (c->state != S_C_NEW)
            continue;
        fresh = true;
        if (L->inflight >= BT_DHT_ALPHA)
            break;
        int rc = s_query(d, kind, c->ip, c->port, L->target, NULL, 0, 0, L->handle);
        if (rc == -1)
            return; /* no budget or slot: the tick goes on */
        if (rc == -2) {
            c->state = S_C_FAILED;
            continue;
        }
        c->state = S_C_SENT;
        L->inflight++;
    }
    if (!fresh && L->inflight == 0)
        s_lookup_search_done(d, L);
}

/* A reply (or error) to a lookup's query from candidate at ip:port. */
static void s_lookup_reply(bt_dht_t *d, struct s_lookup *L, const struct s_tx *tx,
                           const struct bt_dht_msg *m, uint32_t from_ip)
{
    struct s_cand *c = s_cand_find(L, tx->ip, tx->port);
    if (tx->kind == S_TX_ANNOUNCE) {
        if (c && c->state == S_C_ANNOUNCING)
            c->state = S_C_ANNOUNCED;
        s_lookup_step(d, L);
        return;
    }
    if (L->inflight > 0)
        L->inflight--;
    if (m->y == 'e') {
        if (c)
            c->state = S_C_FAILED;
        s_lookup_step(d, L);
        return;
    }
    if (c) {
        c->state = S_C_REPLIED;
        c->toklen = (uint8_t)m->token_len;
        memcpy(c->token, m->token, m->token_len);
        if (c->noid) { /* a bootstrap address: now that its id is known, put it in order */
            struct s_cand copy = *c;
            copy.noid = false;
            memcpy(copy.id, m->id, 20);
            uint32_t i = (uint32_t)(c - L->cand);
            memmove(&L->cand[i], &L->cand[i + 1], (L->ncand - i - 1) * sizeof(L->cand[0]));
            L->ncand--;
            s_cand_insert(L, &copy);
        }
    }
    int scope = s_scope(from_ip);
    for (size_t i = 0; i < m->nnodes; i++) {
        const uint8_t *p = m->nodes[i];
        uint32_t ip;
        memcpy(&ip, p + 20, 4);
        if (s_scope(ip) < scope)
            continue; /* a public node steering us to loopback or a LAN */
        s_cand_add(d, L, p, ip, s_get16(p + 24));
    }
    if (L->kind == S_L_PEERS && m->nvalues > 0) {
        uint32_t ips[BT_DHT_VALUES_MAX];
        uint16_t ports[BT_DHT_VALUES_MAX];
        size_t n = 0;
        for (size_t i = 0; i < m->nvalues; i++) {
            memcpy(&ips[n], m->values[i], 4);
            ports[n] = s_get16(m->values[i] + 4);
            if (s_scope(ips[n]) >= scope)
                n++;
        }
        if (!s_report(L, ips, ports, n))
            return;
    }
    s_lookup_step(d, L);
}

static void s_lookup_timeout(bt_dht_t *d, struct s_lookup *L, const struct s_tx *tx)
{
    struct s_cand *c = s_cand_find(L, tx->ip, tx->port);
    if (tx->kind == S_TX_ANNOUNCE) {
        if (c && c->state == S_C_ANNOUNCING)
            c->state = S_C_ANNOUNCED; /* given up on */
    } else {
        if (L->inflight > 0)
            L->inflight--;
        if (c && c->state == S_C_SENT)
            c->state = S_C_FAILED;
    }
    s_lookup_step(d, L);
}

/* Free what ended. Only from the top of an event callback or bt_dht_input. */
static void s_gc(bt_dht_t *d)
{
    struct s_lookup **pp = &d->lookups;
    while (*pp) {
        struct s_lookup *L = *pp;
        if (L->dead) {
            *pp = L->next;
            cm_free(L);
        } else {
            pp = &L->next;
        }
    }
}

static bool s_internal_running(const bt_dht_t *d, int kind)
{
    for (const struct s_lookup *L = d->lookups; L; L = L->next)
        if (!L->dead && L->kind == kind)
            return true;
    return false;
}

static void s_kick(bt_dht_t *d)
{
    struct timeval tv = {0, 0};
    evtimer_add(d->kick_ev, &tv);
}

static void s_bootstrap(bt_dht_t *d)
{
    if (s_internal_running(d, S_L_BOOT))
        return;
    struct s_lookup *L = s_lookup_new(d, S_L_BOOT, d->id);
    if (L->ncand == 0)
        L->dead = true; /* nothing to ask yet */
    else
        s_kick(d);
}

/* --- query handlers --- */

static int s_reply_begin(cm_buf_t *b, const uint8_t *id)
{
    cm_buf_reset(b);
    return bt_be_put_dict(b) < 0 || bt_be_put_cstr(b, "r") < 0 || bt_be_put_dict(b) < 0 ||
                   s_put_kstr(b, "id", id, 20) < 0
               ? -1
               : 0;
}

static int s_reply_end(cm_buf_t *b, const struct bt_dht_msg *m)
{
    return bt_be_put_end(b) < 0 || s_put_kstr(b, "t", m->t, m->tlen) < 0 ||
                   s_put_kstr(b, "y", "r", 1) < 0 || bt_be_put_end(b) < 0
               ? -1
               : 0;
}

static int s_put_nodes(bt_dht_t *d, const uint8_t *target)
{
    const struct s_node *near[BT_DHT_K];
    size_t n = s_closest(d, target, near, BT_DHT_K);
    uint8_t buf[BT_DHT_K * 26];
    for (size_t i = 0; i < n; i++) {
        memcpy(buf + i * 26, near[i]->id, 20);
        memcpy(buf + i * 26 + 20, &near[i]->ip, 4);
        buf[i * 26 + 24] = (uint8_t)(near[i]->port >> 8);
        buf[i * 26 + 25] = (uint8_t)near[i]->port;
    }
    return s_put_kstr(d->obuf, "nodes", buf, n * 26);
}

static void s_send_error(bt_dht_t *d, const struct bt_dht_msg *m, int code, const char *msg,
                         uint32_t ip, uint16_t port)
{
    cm_buf_t *b = d->obuf;
    cm_buf_reset(b);
    if (bt_be_put_dict(b) < 0 || bt_be_put_cstr(b, "e") < 0 || bt_be_put_list(b) < 0 ||
        bt_be_put_int(b, code) < 0 || bt_be_put_cstr(b, msg) < 0 || bt_be_put_end(b) < 0 ||
        s_put_kstr(b, "t", m->t, m->tlen) < 0 || s_put_kstr(b, "y", "e", 1) < 0 ||
        bt_be_put_end(b) < 0)
        return;
    s_send(d, ip, port);
}

static void s_handle_query(bt_dht_t *d, const struct bt_dht_msg *m, size_t qlen, uint32_t ip,
                           uint16_t port)
{
    cm_buf_t *b = d->obuf;
    switch (m->q) {
    case BT_DHT_Q_PING:
        if (s_reply_begin(b, d->id) < 0 || s_reply_end(b, m) < 0)
            return;
        break;
    case BT_DHT_Q_FIND_NODE:
        if (s_reply_begin(b, d->id) < 0 || s_put_nodes(d, m->target) < 0 || s_reply_end(b, m) < 0)
            return;
        break;
    case BT_DHT_Q_GET_PEERS: {
        uint8_t tok[S_TOKEN_LEN];
        s_token(d->secret[0], ip, tok);
        long i = s_store_find(d, m->info_hash);
        if (s_reply_begin(b, d->id) < 0)
            return;
        if (i < 0 || d->store[i]->n == 0) {
            if (s_put_nodes(d, m->info_hash) < 0 || s_put_kstr(b, "token", tok, sizeof(tok)) < 0)
                return;
        } else {
            /* Values: at most 100, and the reply at most S_REPLY_RATIO x the query. */
            const struct s_hash *h = d->store[i];
            size_t budget = CM_MIN((size_t)BT_DHT_PKT_MAX, qlen * S_REPLY_RATIO);
            size_t fixed = cm_buf_len(b) + 16 + S_TOKEN_LEN + 10 + 3 + m->tlen + 14;
            size_t room = budget > fixed ? (budget - fixed) / 8 : 0;
            size_t nv = CM_MIN(CM_MIN((size_t)h->n, room), (size_t)BT_DHT_VALUES_MAX);
            if (s_put_kstr(b, "token", tok, sizeof(tok)) < 0 || bt_be_put_cstr(b, "values") < 0 ||
                bt_be_put_list(b) < 0)
                return;
            for (size_t k = 0; k < nv; k++) { /* the newest first */
                const struct s_speer *p = &h->peers[h->n - 1 - k];
                uint8_t v[6];
                memcpy(v, &p->ip, 4);
                v[4] = (uint8_t)(p->port >> 8);
                v[5] = (uint8_t)p->port;
                if (bt_be_put_str(b, v, 6) < 0)
                    return;
            }
            if (bt_be_put_end(b) < 0)
                return;
        }
        if (s_reply_end(b, m) < 0)
            return;
        break;
    }
    case BT_DHT_Q_ANNOUNCE_PEER: {
        if (!s_token_ok(d, ip, m->token, m->token_len)) {
            d->st.ignored++;
            return; /* B-10: a bad token is ignored, not answered */
        }
        uint16_t pport = m->implied_port ? port : m->port;
        if (pport == 0)
            return;
        s_store_add(d, m->info_hash, ip, pport);
        d->st.stored_hashes = d->nstore;
        if (s_reply_begin(b, d->id) < 0 || s_reply_end(b, m) < 0)
            return;
        break;
    }
    default:
        s_send_error(d, m, 204, "Method Unknown", ip, port);
        return;
    }
    s_send(d, ip, port);
}

/* --- input --- */

static void s_input(bt_dht_t *d, const uint8_t *buf, size_t len,
                    const struct sockaddr_storage *from)
{
    if (!from || from->ss_family != AF_INET) {
        d->st.ignored++;
        return;
    }
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)from;
    uint32_t ip = s4->sin_addr.s_addr;
    uint16_t port = ntohs(s4->sin_port);
    struct bt_dht_msg *m = &d->msg;
    if (len > BT_DHT_PKT_MAX || !s_addr_ok(ip, port) ||
        (ip == d->bound_ip && port == d->bound_port) || bt_dht_parse(buf, len, m) < 0) {
        d->st.ignored++;
        return;
    }
    uint64_t now = cm_mono_ms();
    if (m->y == 'q') {
        if (!s_allow(d, ip, now)) {
            d->st.ignored++;
            return;
        }
        d->st.queries_in++;
        if (!m->read_only)
            s_table_seen(d, m->id, ip, port, false);
        s_handle_query(d, m, len, ip, port);
        return;
    }
    /* A reply or an error: only for an outstanding transaction, from the address queried. */
    struct s_tx *tx = NULL;
    if (m->tlen == 2)
        for (size_t i = 0; i < S_TX_MAX; i++)
            if (d->tx[i].used && memcmp(d->tx[i].tid, m->t, 2) == 0) {
                tx = &d->tx[i];
                break;
            }
    if (!tx || tx->ip != ip || tx->port != port) {
        d->st.ignored++;
        return;
    }
    struct s_tx t = *tx;
    tx->used = false;
    d->ntx--;
    d->st.replies_in++;
    if (m->y == 'r')
        s_table_seen(d, m->id, ip, port, true);
    if (t.lookup) {
        struct s_lookup *L = s_lookup_get(d, t.lookup);
        if (L)
            s_lookup_reply(d, L, &t, m, ip);
    }
}

static void s_read_cb(evutil_socket_t fd, short what, void *arg)
{
    bt_dht_t *d = arg;
    CM_UNUSED(what);
    for (int i = 0; i < S_RECV_BURST; i++) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        memset(&from, 0, sizeof(from));
        ssize_t n =
            recvfrom(fd, d->pkt, sizeof(d->pkt), MSG_TRUNC, (struct sockaddr *)&from, &flen);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED)
                continue; /* ICMP port unreachable for an earlier send: nothing to do */
            break;        /* EAGAIN */
        }
        if ((size_t)n > BT_DHT_PKT_MAX || d->paused) {
            d->st.ignored++; /* B-10: oversized datagrams are not looked at; paused: none */
            continue;
        }
        s_input(d, d->pkt, (size_t)n, &from);
    }
    s_gc(d);
}

/* --- maintenance --- */

static void s_timeouts(bt_dht_t *d, uint64_t now)
{
    for (size_t i = 0; i < S_TX_MAX; i++) {
        struct s_tx *tx = &d->tx[i];
        if (!tx->used || now - tx->sent_ms < S_TX_TIMEOUT_MS)
            continue;
        struct s_tx t = *tx;
        tx->used = false;
        d->ntx--;
        s_table_failed(d, t.ip, t.port);
        if (t.lookup) {
            struct s_lookup *L = s_lookup_get(d, t.lookup);
            if (L)
                s_lookup_timeout(d, L, &t);
        }
    }
}

/* Ping unconfirmed nodes and questionable ones (quiet for 15 min), a few per tick. */
static void s_pings(bt_dht_t *d, uint64_t now)
{
    int left = S_PINGS_PER_TICK;
    for (uint32_t b = 0; b < d->nb && left > 0; b++)
        for (uint32_t i = 0; i < d->buckets[b].count && left > 0; i++) {
            struct s_node *n = &d->buckets[b].n[i];
            if (now - n->last_ping_ms < S_PING_AGAIN_MS && n->last_ping_ms != 0)
                continue;
            if (n->confirmed && now - n->last_reply_ms < S_GOOD_MS)
                continue;
            if (!s_budget(d, S_QUERY_EST))
                return;
            s_ping(d, n, now);
            left--;
        }
}

/* A random id in bucket b's range. */
static void s_bucket_random_id(bt_dht_t *d, uint32_t b, uint8_t out[20])
{
    for (int i = 0; i < 20; i += 8) {
        uint64_t r = s_rand(d);
        memcpy(out + i, &r, (size_t)CM_MIN(8, 20 - i));
    }
    /* the first b bits are ours; bit b differs, unless b is the last bucket */
    for (uint32_t bit = 0; bit < b && bit < 160; bit++) {
        uint8_t mask = (uint8_t)(0x80 >> (bit % 8));
        out[bit / 8] = (uint8_t)((out[bit / 8] & ~mask) | (d->id[bit / 8] & mask));
    }
    if (b < d->nb - 1 && b < 160) {
        uint8_t mask = (uint8_t)(0x80 >> (b % 8));
        out[b / 8] = (uint8_t)((out[b / 8] & ~mask) | (~d->id[b / 8] & mask));
    }
}

static void s_maintain(bt_dht_t *d, uint64_t now)
{
    if (now - d->secret_ms >= S_SECRET_MS) {
        memcpy(d->secret[1], d->secret[0], S_SECRET_LEN);
        s_random_bytes(d->secret[0], S_SECRET_LEN);
        d->secret_ms = now;
    }
    if (now - d->store_sweep_ms >= S_STORE_SWEEP_MS) {
        s_store_expire(d, now);
        d->st.stored_hashes = d->nstore;
        d->store_sweep_ms = now;
    }
    /* Re-bootstrap while thin, with a growing gap. */
    struct bt_dht_stats st;
    bt_dht_stats(d, &st);
    if (st.good < BT_DHT_K && now >= d->next_boot_ms && !s_internal_running(d, S_L_BOOT)) {
        s_bootstrap(d);
        d->next_boot_ms = now + d->boot_gap_ms;
        d->boot_gap_ms = CM_MIN(d->boot_gap_ms * 2, (uint64_t)S_REBOOT_MAX_MS);
    }
    /* Refresh one stale bucket at a time. */
    if (st.nodes > 0 && !s_internal_running(d, S_L_REFRESH)) {
        for (uint32_t b = 0; b < d->nb; b++) {
            if (now - d->buckets[b].changed_ms < S_REFRESH_MS)
                continue;
            uint8_t target[20];
            s_bucket_random_id(d, b, target);
            d->buckets[b].changed_ms = now;
            struct s_lookup *L = s_lookup_new(d, S_L_REFRESH, target);
            if (L->ncand == 0)
                L->dead = true;
            break;
        }
    }
}

static void s_step_all(bt_dht_t *d)
{
    for (struct s_lookup *L = d->lookups; L; L = L->next)
        if (!L->dead)
            s_lookup_step(d, L);
}

static void s_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    bt_dht_t *d = arg;
    CM_UNUSED(fd);
    CM_UNUSED(what);
    uint64_t now = cm_mono_ms();
    s_refill(d);
    if (d->paused) {
        s_gc(d);
        return;
    }
    s_timeouts(d, now);
    s_step_all(d);
    if (d->started)
        s_pings(d, now);
    if (now - d->maint_ms >= S_MAINT_MS) {
        d->maint_ms = now;
        if (d->started)
            s_maintain(d, now);
    }
    s_gc(d);
}

/* --- bootstrap names --- */

static void s_boot_addr(bt_dht_t *d, uint32_t ip, uint16_t port)
{
    for (uint32_t i = 0; i < d->nboot; i++)
        if (d->boot_ip[i] == ip && d->boot_port[i] == port)
            return;
    if (d->nboot >= S_BOOT_MAX || !s_addr_ok(ip, port))
        return;
    d->boot_ip[d->nboot] = ip;
    d->boot_port[d->nboot++] = port;
}

static void s_dns_cb(int rc, struct evutil_addrinfo *ai, void *arg)
{
    struct s_dns *r = arg;
    bt_dht_t *d = r->d;
    r->busy = false;
    r->req = NULL;
    if (rc == EVUTIL_EAI_CANCEL)
        return;
    if (rc != 0) {
        if (!r->warned)
            cm_log_w(S_MOD, 0, "bootstrap node %s not resolved: %s (retrying quietly)", r->name,
                     evutil_gai_strerror(rc));
        r->warned = true;
        return;
    }
    bool added = false;
    for (struct evutil_addrinfo *a = ai; a; a = a->ai_next)
        if (a->ai_family == AF_INET) {
            const struct sockaddr_in *s4 = (const struct sockaddr_in *)a->ai_addr;
            s_boot_addr(d, s4->sin_addr.s_addr, r->port);
            added = true;
        }
    evutil_freeaddrinfo(ai);
    if (!added)
        return;
    /* Feed a running bootstrap, or start one (from the kick: we may be inside evdns). */
    for (struct s_lookup *L = d->lookups; L; L = L->next)
        if (!L->dead && L->kind == S_L_BOOT)
            for (uint32_t i = 0; i < d->nboot; i++)
                s_cand_add(d, L, NULL, d->boot_ip[i], d->boot_port[i]);
    d->next_boot_ms = 0;
    d->boot_gap_ms = S_REBOOT_MIN_MS;
    s_kick(d);
}

static void s_resolve(bt_dht_t *d)
{
    if (d->nboot_names == 0)
        return;
    if (!d->dns)
        d->dns = evdns_base_new(d->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                             EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (!d->dns) {
        cm_log_w(S_MOD, 0, "no DNS resolver: bootstrap names not resolved");
        return;
    }
    for (size_t i = 0; i < d->nboot_names && i < S_DNS_MAX; i++) {
        char *name = d->boot_names[i];
        char *colon = strrchr(name, ':');
        if (!colon)
            continue;
        *colon = '\0';
        struct s_dns *r = &d->dnsreq[i];
        r->d = d;
        r->port = (uint16_t)strtol(colon + 1, NULL, 10); /* checked in bt_dht_new */
        snprintf(r->name, sizeof(r->name), "%s", name);
        r->busy = true;
        struct evutil_addrinfo hints;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_INET;
        hints.ai_socktype = SOCK_DGRAM;
        hints.ai_protocol = IPPROTO_UDP;
        struct evdns_getaddrinfo_request *q =
            evdns_getaddrinfo(d->dns, name, NULL, &hints, s_dns_cb, r);
        if (r->busy) /* else the callback already ran */
            r->req = q;
        *colon = ':';
    }
}

/* The first wake-up: resolve names, start the bootstrap lookup. */
static void s_kick_cb(evutil_socket_t fd, short what, void *arg)
{
    bt_dht_t *d = arg;
    CM_UNUSED(fd);
    CM_UNUSED(what);
    if (d->paused)
        return; /* bt_dht_set_paused kicks again on resume */
    if (!d->started) {
        d->started = true;
        s_resolve(d);
        s_bootstrap(d);
        d->next_boot_ms = cm_mono_ms() + S_REBOOT_MIN_MS;
        d->boot_gap_ms = S_REBOOT_MIN_MS * 2;
    } else if (d->next_boot_ms == 0) {
        s_bootstrap(d); /* after a name resolved */
        d->next_boot_ms = cm_mono_ms() + S_REBOOT_MIN_MS;
    }
    s_step_all(d);
    s_gc(d);
}

/* --- state file: d2:id20:...5:nodes<26 x n>e --- */

static void s_state_load(bt_dht_t *d)
{
    int fd = open(d->state_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    uint8_t *buf = cm_malloc(S_STATE_MAX);
    ssize_t n = read(fd, buf, S_STATE_MAX);
    close(fd);
    bt_be_t be;
    memset(&be, 0, sizeof(be));
    struct bt_be_limits lim = {.depth_max = 4, .tokens_max = 16, .len_max = S_STATE_MAX};
    if (n <= 0 || bt_be_decode(&be, buf, (size_t)n, &lim, NULL, NULL, 0) < 0) {
        cm_log_w(S_MOD, 0, "%s: not a DHT state file, ignored", d->state_file);
        goto out;
    }
    size_t len;
    const uint8_t *id = bt_be_dict_str(&be, 0, "id", &len);
    if (id && len == 20)
        memcpy(d->id, id, 20);
    const uint8_t *nodes = bt_be_dict_str(&be, 0, "nodes", &len);
    if (nodes && len % 26 == 0)
        for (size_t i = 0; i < len / 26 && d->nsaved < S_SAVED_MAX; i++) {
            struct s_node *s = &d->saved[d->nsaved];
            memcpy(s->id, nodes + i * 26, 20);
            memcpy(&s->ip, nodes + i * 26 + 20, 4);
            s->port = s_get16(nodes + i * 26 + 24);
            if (s_addr_ok(s->ip, s->port) && memcmp(s->id, d->id, 20) != 0)
                d->nsaved++;
        }
out:
    bt_be_clear(&be);
    cm_free(buf);
}

static void s_state_save(bt_dht_t *d)
{
    cm_buf_t *b = cm_buf_new(64 + S_SAVED_MAX * 26);
    uint8_t *nodes = cm_malloc(S_SAVED_MAX * 26);
    size_t n = 0;
    uint64_t now = cm_mono_ms();
    for (uint32_t k = 0; k < d->nb && n < S_SAVED_MAX; k++)
        for (uint32_t i = 0; i < d->buckets[k].count && n < S_SAVED_MAX; i++) {
            const struct s_node *x = &d->buckets[k].n[i];
            if (!s_good(x, now))
                continue;
            memcpy(nodes + n * 26, x->id, 20);
            memcpy(nodes + n * 26 + 20, &x->ip, 4);
            nodes[n * 26 + 24] = (uint8_t)(x->port >> 8);
            nodes[n * 26 + 25] = (uint8_t)x->port;
            n++;
        }
    char tmp[PATH_MAX];
    int fd = -1;
    if (bt_be_put_dict(b) < 0 || s_put_kstr(b, "id", d->id, 20) < 0 ||
        s_put_kstr(b, "nodes", nodes, n * 26) < 0 || bt_be_put_end(b) < 0)
        goto out;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", d->state_file) >= (int)sizeof(tmp))
        goto out;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        cm_log_w(S_MOD, 0, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    ssize_t w = write(fd, cm_buf_data(b), cm_buf_len(b));
    bool ok = w == (ssize_t)cm_buf_len(b) && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = false;
    fd = -1;
    if (!ok || rename(tmp, d->state_file) != 0) {
        cm_log_w(S_MOD, 0, "%s: not saved: %s", d->state_file, strerror(errno));
        unlink(tmp);
    }
out:
    if (fd >= 0)
        close(fd);
    cm_free(nodes);
    cm_buf_destroy(&b);
}

/* --- API --- */

bt_dht_t *bt_dht_new(struct event_base *base, const struct bt_dht_opts *o, char *err, size_t errlen)
{
    if (!base || !o) {
        cm_errf(err, errlen, "bt_dht_new: missing event base or options");
        return NULL;
    }
    bt_dht_t *d = cm_calloc(1, sizeof(*d));
    d->base = base;
    d->fd = -1;
    d->buckets = cm_calloc(S_BUCKETS, sizeof(d->buckets[0]));
    d->nb = 1;
    uint64_t now = cm_mono_ms();
    d->buckets[0].changed_ms = now;
    d->obuf = cm_buf_new(BT_DHT_PKT_MAX);
    d->store = cm_calloc(BT_DHT_HASHES_MAX + 1, sizeof(d->store[0]));
    d->bps = o->egress_bps ? o->egress_bps : S_EGRESS_BPS;
    d->burst_ub = CM_MAX((uint64_t)S_BURST_MIN, d->bps / 4) * 1000000;
    d->quota_ub = d->burst_ub;
    d->refill_us = cm_mono_us();
    d->ip_rate = o->ip_rate_max ? o->ip_rate_max : S_IP_RATE;
    s_random_bytes(&d->rng, sizeof(d->rng));
    d->rpos = sizeof(d->rpool); /* filled on first use */
    d->rng |= 1;
    s_random_bytes(d->id, 20);
    s_random_bytes(d->secret, sizeof(d->secret));
    d->secret_ms = now;
    d->store_sweep_ms = now;
    d->maint_ms = now;
    d->boot_gap_ms = S_REBOOT_MIN_MS;

    for (size_t i = 0; i < o->nbootstrap; i++) {
        const char *s = o->bootstrap ? o->bootstrap[i] : NULL;
        uint32_t ip;
        uint16_t port;
        if (!s) {
            cm_errf(err, errlen, "bootstrap entry %zu is missing", i);
            goto fail;
        }
        if (s_parse_v4(s, &ip, &port, false) == 0) {
            s_boot_addr(d, ip, port);
            continue;
        }
        const char *colon = strrchr(s, ':');
        char *end = NULL;
        long p = colon ? strtol(colon + 1, &end, 10) : 0;
        if (!colon || colon == s || !end || *end != '\0' || end == colon + 1 || p < 1 ||
            p > 65535 || s[0] == '[' || strlen(s) > 255) {
            cm_errf(err, errlen, "bootstrap node '%s' is not host:port (IPv4)", s);
            goto fail;
        }
        if (d->nboot_names < S_DNS_MAX) {
            d->boot_names =
                cm_realloc(d->boot_names, (d->nboot_names + 1) * sizeof(d->boot_names[0]));
            d->boot_names[d->nboot_names++] = cm_strdup(s);
        }
    }
    if (o->state_file) {
        d->state_file = cm_strdup(o->state_file);
        s_state_load(d);
    }
    if (o->bind) {
        uint32_t ip;
        uint16_t port;
        if (s_parse_v4(o->bind, &ip, &port, true) < 0) {
            cm_errf(err, errlen, "DHT bind address '%s' is not ip:port (IPv4)", o->bind);
            goto fail;
        }
        d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (d->fd < 0) {
            cm_errf(err, errlen, "DHT socket: %s", strerror(errno));
            goto fail;
        }
        struct sockaddr_storage ss;
        s_sa_make(&ss, ip, port);
        if (bind(d->fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) != 0) {
            cm_errf(err, errlen, "DHT bind %s: %s", o->bind, strerror(errno));
            goto fail;
        }
        socklen_t sl = sizeof(ss);
        if (getsockname(d->fd, (struct sockaddr *)&ss, &sl) != 0) {
            cm_errf(err, errlen, "DHT getsockname: %s", strerror(errno));
            goto fail;
        }
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
        d->bound_ip = s4->sin_addr.s_addr;
        d->bound_port = ntohs(s4->sin_port);
        char ips[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &s4->sin_addr, ips, sizeof(ips));
        snprintf(d->bound, sizeof(d->bound), "%s:%u", ips, d->bound_port);
        d->read_ev = event_new(base, d->fd, EV_READ | EV_PERSIST, s_read_cb, d);
        if (!d->read_ev || event_add(d->read_ev, NULL) != 0) {
            cm_errf(err, errlen, "DHT: event_new failed");
            goto fail;
        }
    }
    d->tick_ev = event_new(base, -1, EV_PERSIST, s_tick_cb, d);
    d->kick_ev = evtimer_new(base, s_kick_cb, d);
    if (!d->tick_ev || !d->kick_ev) {
        cm_errf(err, errlen, "DHT: event_new failed");
        goto fail;
    }
    struct timeval tv = cm_tv_ms(S_TICK_MS);
    event_add(d->tick_ev, &tv);
    s_kick(d);
    return d;
fail:
    bt_dht_destroy(&d);
    return NULL;
}

void bt_dht_destroy(bt_dht_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bt_dht_t *d = *self_p;
    *self_p = NULL;
    if (d->state_file && d->started)
        s_state_save(d);
    for (size_t i = 0; i < S_DNS_MAX; i++)
        if (d->dnsreq[i].busy && d->dnsreq[i].req)
            evdns_getaddrinfo_cancel(d->dnsreq[i].req); /* calls back with EAI_CANCEL */
    if (d->dns)
        evdns_base_free(d->dns, 0);
    for (size_t i = 0; i < d->nboot_names; i++)
        cm_free(d->boot_names[i]);
    cm_free(d->boot_names);
    while (d->lookups) {
        struct s_lookup *L = d->lookups;
        d->lookups = L->next;
        cm_free(L);
    }
    for (uint32_t i = 0; i < d->nstore; i++) {
        cm_free(d->store[i]->peers);
        cm_free(d->store[i]);
    }
    cm_free(d->store);
    if (d->read_ev)
        event_free(d->read_ev);
    if (d->tick_ev)
        event_free(d->tick_ev);
    if (d->kick_ev)
        event_free(d->kick_ev);
    if (d->fd >= 0)
        close(d->fd);
    cm_buf_destroy(&d->obuf);
    cm_free(d->buckets);
    cm_free(d->state_file);
    cm_free(d);
}

const char *bt_dht_bound(const bt_dht_t *d)
{
    return d ? d->bound : "";
}

void bt_dht_node_id(const bt_dht_t *d, uint8_t out[20])
{
    memcpy(out, d->id, 20);
}

uint64_t bt_dht_get_peers(bt_dht_t *d, const uint8_t info_hash[20], uint16_t port,
                          bt_dht_peers_fn peers, void (*done)(void *arg), void *arg)
{
    if (!d || !info_hash || d->npeer_lookups >= BT_DHT_LOOKUPS_MAX)
        return 0;
    struct s_lookup *L = s_lookup_new(d, S_L_PEERS, info_hash);
    L->port = port;
    L->peers = peers;
    L->done = done;
    L->arg = arg;
    d->npeer_lookups++;
    s_kick(d);
    return L->handle;
}

void bt_dht_cancel(bt_dht_t *d, uint64_t handle)
{
    if (!d || handle == 0)
        return;
    struct s_lookup *L = s_lookup_get(d, handle);
    if (!L)
        return;
    L->dead = true;
    if (L->kind == S_L_PEERS)
        d->npeer_lookups--;
}

void bt_dht_stats(const bt_dht_t *d, struct bt_dht_stats *out)
{
    *out = d->st;
    uint64_t now = cm_mono_ms();
    out->nodes = out->good = 0;
    for (uint32_t b = 0; b < d->nb; b++)
        for (uint32_t i = 0; i < d->buckets[b].count; i++) {
            out->nodes++;
            if (s_good(&d->buckets[b].n[i], now))
                out->good++;
        }
    out->blocked_ips = 0;
    for (size_t i = 0; i < S_LIMIT_SLOTS; i++)
        if (d->limit[i].used && d->limit[i].blocked_until > now)
            out->blocked_ips++;
    out->stored_hashes = d->nstore;
}

void bt_dht_input(bt_dht_t *d, const uint8_t *buf, size_t len, const struct sockaddr_storage *from)
{
    if (!d || !buf)
        return;
    if (d->paused) {
        d->st.ignored++;
        return;
    }
    s_input(d, buf, len, from);
    s_gc(d);
}

void bt_dht_set_paused(bt_dht_t *d, bool paused)
{
    if (!d || d->paused == paused)
        return;
    d->paused = paused;
    if (paused) {
        /* Queries out are forgotten: their nodes did not fail us, we stopped listening. */
        for (size_t i = 0; i < S_TX_MAX; i++)
            d->tx[i].used = false;
        d->ntx = 0;
        for (struct s_lookup *L = d->lookups; L; L = L->next) {
            if (L->dead)
                continue;
            L->dead = true; /* as bt_dht_cancel: no callback */
            if (L->kind == S_L_PEERS)
                d->npeer_lookups--;
        }
        s_gc(d);
        return;
    }
    /* Back: bootstrap again at once (the table may have gone stale), then as usual. */
    d->next_boot_ms = 0;
    d->boot_gap_ms = S_REBOOT_MIN_MS;
    s_kick(d);
}

void bt_dht_set_output(bt_dht_t *d, bt_dht_output_fn fn, void *arg)
{
    d->out_fn = fn;
    d->out_arg = arg;
}
