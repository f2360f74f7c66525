/* SPDX-License-Identifier: MIT
 * libFuzzer target for bt_dht.
 *
 * 1. bt_dht_parse on the whole input and on each record, with the invariants of the result:
 *    y is q/r/e, counts within their caps, ids present where required, every copied id, node and
 *    token found in the input, the error message printable, parsing deterministic.
 * 2. The records, fed to a live node without a socket (bt_dht_input, output hook): the input
 *    is records separated by "|#|", each one mode byte then a datagram. The node bootstraps
 *    from 127.0.0.1:6881 and runs one get_peers lookup (port 6881), so it has queries out; the
 *    hook keeps each query's transaction id and address. A record whose mode has bit 7 set
 *    comes from an unrelated address (127.0.0.2:1000 + low bits); otherwise it comes from the
 *    address of captured query (mode & 63) % n, and "1:t2:TT" in it is replaced by that
 *    query's transaction id, so replies reach the lookup and routing-table code. Every packet
 *    the node emits must parse and fit in BT_DHT_PKT_MAX, with at most 100 values.
 * No datagram is sent anywhere: the node has no socket. */
#include "fuzz.h"
#include "bt_dht.h"

enum { S_CAPT_MAX = 64, S_RECORDS_MAX = 16 };

struct s_capt {
    uint8_t tid[2];
    struct sockaddr_storage to;
};

static struct s_capt s_capt[S_CAPT_MAX];
static size_t s_ncapt;
static size_t s_npeers;
static bool s_done;

static bool s_in(const uint8_t *data, size_t size, const void *p, size_t len)
{
    return len == 0 || (len <= size && memmem(data, size, p, len) != NULL);
}

static void s_check_msg(const uint8_t *data, size_t size)
{
    struct bt_dht_msg m, m2;
    int rc = bt_dht_parse(data, size, &m);
    CHECK(rc == 0 || rc == -1);
    if (rc != 0)
        return;
    CHECK(size <= BT_DHT_PKT_MAX);
    CHECK(m.y == 'q' || m.y == 'r' || m.y == 'e');
    CHECK(m.tlen <= BT_DHT_TID_MAX && s_in(data, size, m.t, m.tlen));
    CHECK(m.nnodes <= BT_DHT_NODES_MAX && m.nvalues <= BT_DHT_VALUES_MAX);
    CHECK(m.token_len <= BT_DHT_TOKEN_MAX && s_in(data, size, m.token, m.token_len));
    if (m.y == 'q') {
        CHECK(m.q >= BT_DHT_Q_PING && m.q <= BT_DHT_Q_UNKNOWN);
        CHECK(m.has_id && s_in(data, size, m.id, 20));
        if (m.q == BT_DHT_Q_FIND_NODE)
            CHECK(m.has_target && s_in(data, size, m.target, 20));
        if (m.q == BT_DHT_Q_GET_PEERS || m.q == BT_DHT_Q_ANNOUNCE_PEER)
            CHECK(m.has_info_hash && s_in(data, size, m.info_hash, 20));
        if (m.q == BT_DHT_Q_ANNOUNCE_PEER)
            CHECK(m.token_len > 0 && (m.port > 0 || m.implied_port));
        CHECK(m.nnodes == 0 && m.nvalues == 0);
    } else {
        CHECK(m.q == BT_DHT_Q_NONE);
    }
    if (m.y == 'r')
        CHECK(m.has_id && s_in(data, size, m.id, 20));
    for (size_t i = 0; i < m.nnodes; i++)
        CHECK(s_in(data, size, m.nodes[i], 26));
    for (size_t i = 0; i < m.nvalues; i++)
        CHECK(s_in(data, size, m.values[i], 6));
    size_t elen = strnlen(m.err_msg, sizeof(m.err_msg));
    CHECK(elen < sizeof(m.err_msg));
    for (size_t i = 0; i < elen; i++)
        CHECK(m.err_msg[i] >= 0x20 && m.err_msg[i] < 0x7f);
    CHECK(bt_dht_parse(data, size, &m2) == 0 && memcmp(&m, &m2, sizeof(m)) == 0);
}

static void s_out(void *arg, const uint8_t *pkt, size_t len, const struct sockaddr_storage *to)
{
    CM_UNUSED(arg);
    struct bt_dht_msg m;
    CHECK(len > 0 && len <= BT_DHT_PKT_MAX);
    CHECK(to->ss_family == AF_INET);
    CHECK(bt_dht_parse(pkt, len, &m) == 0);
    CHECK(m.nvalues <= BT_DHT_VALUES_MAX);
    if (m.y == 'q' && m.tlen == 2 && s_ncapt < S_CAPT_MAX) {
        memcpy(s_capt[s_ncapt].tid, m.t, 2);
        s_capt[s_ncapt++].to = *to;
    }
}

static void s_peers(void *arg, const struct sockaddr_storage *peers, size_t n)
{
    CM_UNUSED(arg);
    CHECK(n > 0 && n <= BT_DHT_VALUES_MAX);
    for (size_t i = 0; i < n; i++)
        CHECK(peers[i].ss_family == AF_INET && ((const struct sockaddr_in *)&peers[i])->sin_port);
    s_npeers += n;
}

static void s_done_cb(void *arg)
{
    CM_UNUSED(arg);
    CHECK(!s_done);
    s_done = true;
}

static void s_feed(bt_dht_t *d, const uint8_t *rec, size_t len)
{
    if (len == 0)
        return;
    uint8_t mode = rec[0];
    uint8_t *pkt = cm_malloc(len);
    size_t plen = len - 1;
    memcpy(pkt, rec + 1, plen);
    struct sockaddr_storage from;
    memset(&from, 0, sizeof(from));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&from;
    if ((mode & 0x80) || s_ncapt == 0) {
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(0x7f000002);
        s4->sin_port = htons((uint16_t)(1000 + (mode & 7)));
    } else {
        const struct s_capt *c = &s_capt[(mode & 63) % s_ncapt];
        from = c->to;
        uint8_t *p = pkt;
        size_t left = plen;
        uint8_t *hit;
        while ((hit = memmem(p, left, "1:t2:TT", 7)) != NULL) {
            hit[5] = c->tid[0];
            hit[6] = c->tid[1];
            left -= (size_t)(hit + 7 - p);
            p = hit + 7;
        }
    }
    s_check_msg(pkt, plen);
    bt_dht_input(d, pkt, plen, &from);
    cm_free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct event_base *base;
    if (!base) {
        cm_log_set_level(CM_LOG_ERROR);
        base = event_base_new();
    }
    s_check_msg(data, size);

    s_ncapt = 0;
    s_npeers = 0;
    s_done = false;
    const char *boot[1] = {"127.0.0.1:6881"};
    struct bt_dht_opts o = {
        .bootstrap = boot, .nbootstrap = 1, .egress_bps = 1000000, .ip_rate_max = 1000};
    char err[160];
    bt_dht_t *d = bt_dht_new(base, &o, err, sizeof(err));
    CHECK(d != NULL);
    bt_dht_set_output(d, s_out, NULL);
    static const uint8_t hash[20] = "fuzz-info-hash-01234";
    uint64_t h = bt_dht_get_peers(d, hash, 6881, s_peers, s_done_cb, NULL);
    CHECK(h != 0);
    event_base_loop(base, EVLOOP_NONBLOCK); /* the kick: bootstrap and lookup queries */

    size_t off = 0;
    for (int r = 0; r < S_RECORDS_MAX && off < size; r++) {
        const uint8_t *sep = memmem(data + off, size - off, "|#|", 3);
        size_t end = sep ? (size_t)(sep - data) : size;
        s_feed(d, data + off, end - off);
        off = sep ? end + 3 : size;
    }
    struct bt_dht_stats st;
    bt_dht_stats(d, &st);
    CHECK(st.nodes <= 160 * BT_DHT_K && st.good <= st.nodes);
    CHECK(st.stored_peers <= (uint32_t)BT_DHT_PEERS_PER_HASH * st.stored_hashes);
    bt_dht_cancel(d, h);
    bt_dht_destroy(&d);
    return 0;
}
