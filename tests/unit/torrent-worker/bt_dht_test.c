/* SPDX-License-Identifier: MIT
 * Tests of bt_dht.
 *  - KRPC parsing from hand-made bencode: every query (ping, find_node, get_peers,
 *    announce_peer with port and implied_port, an unknown method), replies (nodes, values,
 *    token, IPv6 values skipped, the 100-value cap), errors, BEP 43 "ro"; and what is refused
 *    (bad types, short ids, nodes not a multiple of 26, missing fields, oversized, too deep,
 *    too many tokens, trailing bytes).
 *  - A node without a socket, driven through bt_dht_input with the output hook (no datagram
 *    leaves the process, so the in-memory source addresses 127.0.x.y are never contacted):
 *    tokens are bound to the requester's IP, 100 peers per info-hash, the reply to get_peers
 *    is at most 10 x its query and carries at most 100 values, every packet we emit parses.
 *  - Live on 127.0.0.1 in one event loop: 12 nodes bootstrap from node 0; node A announces an
 *    info-hash with port 5000 and node B's get_peers finds 127.0.0.1:5000; callbacks are not
 *    called synchronously; cancel silences a lookup; raw UDP from the test: announce_peer with a
 *    bad token ignored, a good one stored, implied_port; 100 pings in a burst from one socket
 *    get at most 5 answers and the IP is blocked; replies with an unknown transaction id or
 *    from another address are ignored (and their values not reported); the egress cap holds
 *    under a flood; the state file keeps the node id and good nodes. */
#include "cm.h"
#include "bt_dht.h"
#include "bt_bencode.h"
#include "../../tap.h"

#include <fcntl.h>
#include <sys/stat.h>

static struct event_base *s_base;
static const uint8_t s_id_a[20] = "abcdefghij0123456789";
static const uint8_t s_id_b[20] = "mnopqrstuvwxyz012345";
static const uint8_t s_hash[20] = "HASH-0123456789-HASH";

/* --- helpers --- */

static void s_pump(int ms)
{
    struct timeval tv = cm_tv_ms(ms);
    event_base_loopexit(s_base, &tv);
    event_base_dispatch(s_base);
}

/* Run the loop until *flag or ms passed. */
static bool s_pump_until(const bool *flag, int ms)
{
    uint64_t end = cm_mono_ms() + (uint64_t)ms;
    while (!*flag && cm_mono_ms() < end)
        s_pump(10);
    return *flag;
}

static int s_parse(const char *s, struct bt_dht_msg *m)
{
    return bt_dht_parse((const uint8_t *)s, strlen(s), m);
}

static uint16_t s_port_of(const char *hostport)
{
    const char *c = strrchr(hostport, ':');
    return c ? (uint16_t)strtol(c + 1, NULL, 10) : 0;
}

static void s_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &s4->sin_addr);
    s4->sin_port = htons(port);
}

static bool s_is(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    struct in_addr a;
    inet_pton(AF_INET, ip, &a);
    return ss->ss_family == AF_INET && s4->sin_addr.s_addr == a.s_addr &&
           ntohs(s4->sin_port) == port;
}

/* A query built with the encoder. `key` is the target or info-hash; port < 0: none. */
static cm_buf_t *s_query(const char *q, const char *tid, const uint8_t *id, const uint8_t *key,
                         const uint8_t *tok, size_t toklen, int64_t port, int implied)
{
    cm_buf_t *b = cm_buf_new(BT_DHT_PKT_MAX);
    int rc = bt_be_put_dict(b) | bt_be_put_cstr(b, "a") | bt_be_put_dict(b) |
             bt_be_put_cstr(b, "id") | bt_be_put_str(b, id, 20);
    if (implied >= 0)
        rc |= bt_be_put_cstr(b, "implied_port") | bt_be_put_int(b, implied);
    if (key && strcmp(q, "find_node") != 0)
        rc |= bt_be_put_cstr(b, "info_hash") | bt_be_put_str(b, key, 20);
    if (port >= 0)
        rc |= bt_be_put_cstr(b, "port") | bt_be_put_int(b, port);
    if (key && strcmp(q, "find_node") == 0)
        rc |= bt_be_put_cstr(b, "target") | bt_be_put_str(b, key, 20);
    if (tok)
        rc |= bt_be_put_cstr(b, "token") | bt_be_put_str(b, tok, toklen);
    rc |= bt_be_put_end(b) | bt_be_put_cstr(b, "q") | bt_be_put_cstr(b, q) |
          bt_be_put_cstr(b, "t") | bt_be_put_cstr(b, tid) | bt_be_put_cstr(b, "y") |
          bt_be_put_cstr(b, "q") | bt_be_put_end(b);
    if (rc != 0)
        diag("s_query: encoder failed");
    return b;
}

/* A reply: r = {id, nodes?, token?, values?}. */
static cm_buf_t *s_reply(const uint8_t *tid, size_t tlen, const uint8_t *id, const uint8_t *nodes,
                         size_t nodes_len, const char *token, const uint8_t (*values)[6],
                         size_t nvalues)
{
    cm_buf_t *b = cm_buf_new(BT_DHT_PKT_MAX);
    int rc = bt_be_put_dict(b) | bt_be_put_cstr(b, "r") | bt_be_put_dict(b) |
             bt_be_put_cstr(b, "id") | bt_be_put_str(b, id, 20);
    if (nodes)
        rc |= bt_be_put_cstr(b, "nodes") | bt_be_put_str(b, nodes, nodes_len);
    if (token)
        rc |= bt_be_put_cstr(b, "token") | bt_be_put_cstr(b, token);
    if (values) {
        rc |= bt_be_put_cstr(b, "values") | bt_be_put_list(b);
        for (size_t i = 0; i < nvalues; i++)
            rc |= bt_be_put_str(b, values[i], 6);
        rc |= bt_be_put_end(b);
    }
    rc |= bt_be_put_end(b) | bt_be_put_cstr(b, "t") | bt_be_put_str(b, tid, tlen) |
          bt_be_put_cstr(b, "y") | bt_be_put_cstr(b, "r") | bt_be_put_end(b);
    if (rc != 0)
        diag("s_reply: encoder failed");
    return b;
}

static void s_value(uint8_t v[6], const char *ip, uint16_t port)
{
    struct in_addr a;
    inet_pton(AF_INET, ip, &a);
    memcpy(v, &a, 4);
    v[4] = (uint8_t)(port >> 8);
    v[5] = (uint8_t)port;
}

/* --- raw UDP sockets on 127.0.0.1 --- */

static int s_udp(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_storage ss;
    s_addr(&ss, "127.0.0.1", 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) != 0)
        return -1;
    int big = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static void s_send_to(int fd, const void *buf, size_t len, uint16_t port)
{
    struct sockaddr_storage ss;
    s_addr(&ss, "127.0.0.1", port);
    if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) < 0)
        diag("sendto: %s", strerror(errno));
}

static void s_send_buf(int fd, cm_buf_t *b, uint16_t port)
{
    s_send_to(fd, cm_buf_data(b), cm_buf_len(b), port);
}

/* Read one datagram (after pumping the loop up to ms) that parses as y (0 = any) and, for
 * queries, method q (0 = any). Returns its length, or -1. */
static ssize_t s_recv(int fd, int ms, char y, enum bt_dht_q q, struct bt_dht_msg *m,
                      uint16_t *from_port)
{
    uint64_t end = cm_mono_ms() + (uint64_t)ms;
    uint8_t buf[2048];
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (n > 0) {
            if (bt_dht_parse(buf, (size_t)n, m) == 0 && (!y || m->y == y) && (!q || m->q == q)) {
                if (from_port)
                    *from_port = ntohs(((struct sockaddr_in *)&from)->sin_port);
                return n;
            }
            continue;
        }
        if (cm_mono_ms() >= end)
            return -1;
        s_pump(5);
    }
}

static void s_drain(int fd)
{
    uint8_t buf[2048];
    while (recv(fd, buf, sizeof(buf), 0) > 0) {
    }
}

/* --- parsing --- */

static void test_parse_queries(void)
{
    struct bt_dht_msg m;
    is_int(s_parse("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe", &m), 0, "ping");
    ok(m.y == 'q' && m.q == BT_DHT_Q_PING && m.tlen == 2 && memcmp(m.t, "aa", 2) == 0,
       "ping: y, q, t");
    ok(m.has_id && memcmp(m.id, s_id_a, 20) == 0 && !m.read_only, "ping: id");

    is_int(s_parse("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz012345e"
                   "1:q9:find_node1:t2:aa1:y1:qe",
                   &m),
           0, "find_node");
    ok(m.q == BT_DHT_Q_FIND_NODE && m.has_target && memcmp(m.target, s_id_b, 20) == 0,
       "find_node: target");

    is_int(s_parse("d1:ad2:id20:abcdefghij01234567899:info_hash20:HASH-0123456789-HASHe"
                   "1:q9:get_peers1:t4:abcd1:y1:q2:roi1ee",
                   &m),
           0, "get_peers");
    ok(m.q == BT_DHT_Q_GET_PEERS && m.has_info_hash && memcmp(m.info_hash, s_hash, 20) == 0 &&
           m.tlen == 4 && m.read_only,
       "get_peers: info_hash, 4-byte t, ro");

    is_int(s_parse("d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:HASH-"
                   "0123456789-HASH4:porti6881e5:token8:tokentoke1:q13:announce_peer1:t2:aa"
                   "1:y1:qe",
                   &m),
           0, "announce_peer");
    ok(m.q == BT_DHT_Q_ANNOUNCE_PEER && m.implied_port && m.port == 6881 && m.token_len == 8 &&
           memcmp(m.token, "tokentok", 8) == 0,
       "announce_peer: implied_port, port, token");
    is_int(s_parse("d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:HASH-"
                   "0123456789-HASH5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
                   &m),
           0, "announce_peer: implied_port without port");
    ok(m.implied_port && m.port == 0, "... port 0");
    is_int(s_parse("d1:ad2:id20:abcdefghij01234567899:info_hash20:HASH-0123456789-HASH"
                   "5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
                   &m),
           -1, "announce_peer without port nor implied_port refused");
    is_int(s_parse("d1:ad2:id20:abcdefghij01234567899:info_hash20:HASH-0123456789-HASH"
                   "4:porti70000e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
                   &m),
           -1, "announce_peer port 70000 refused");
    is_int(s_parse("d1:ad2:id20:abcdefghij01234567899:info_hash20:HASH-0123456789-HASH"
                   "4:porti6881ee1:q13:announce_peer1:t2:aa1:y1:qe",
                   &m),
           -1, "announce_peer without token refused");

    is_int(s_parse("d1:ad2:id20:abcdefghij0123456789e1:q4:vote1:t2:aa1:y1:qe", &m), 0,
           "unknown method parses");
    is_int(m.q, BT_DHT_Q_UNKNOWN, "... as BT_DHT_Q_UNKNOWN");
}

static void test_parse_replies(void)
{
    struct bt_dht_msg m;
    /* two compact nodes */
    uint8_t nodes[52];
    memcpy(nodes, s_id_a, 20);
    s_value(nodes + 20, "127.0.0.1", 6881);
    memcpy(nodes + 26, s_id_b, 20);
    s_value(nodes + 46, "127.0.0.1", 6882);
    uint8_t vals[3][6];
    s_value(vals[0], "127.0.0.1", 5000);
    s_value(vals[1], "127.0.0.1", 5001);
    s_value(vals[2], "127.0.0.1", 5002);
    cm_buf_t *b = s_reply((const uint8_t *)"xy", 2, s_id_b, nodes, 52, "tok", vals, 3);
    is_int(bt_dht_parse(cm_buf_data(b), cm_buf_len(b), &m), 0, "reply with nodes, token, values");
    ok(m.y == 'r' && m.has_id && memcmp(m.id, s_id_b, 20) == 0, "reply: id");
    is_int(m.nnodes, 2, "reply: 2 nodes");
    ok(memcmp(m.nodes[1], s_id_b, 20) == 0 && m.nodes[1][24] == (6882 >> 8) &&
           m.nodes[1][25] == (6882 & 0xff),
       "reply: node 2 id and port");
    is_int(m.nvalues, 3, "reply: 3 values");
    ok(memcmp(m.values[2], vals[2], 6) == 0, "reply: value 3");
    ok(m.token_len == 3 && memcmp(m.token, "tok", 3) == 0, "reply: token");
    cm_buf_destroy(&b);

    is_int(s_parse("d1:rd2:id20:abcdefghij01234567896:valuesl6:AAAAAA18:BBBBBBBBBBBBBBBBBB"
                   "6:CCCCCCee1:t2:aa1:y1:re",
                   &m),
           0, "values with an IPv6 entry");
    is_int(m.nvalues, 2, "... the 18-byte entry skipped");

    /* 150 values: 100 kept */
    uint8_t many[150][6];
    for (int i = 0; i < 150; i++)
        s_value(many[i], "127.0.0.1", (uint16_t)(1000 + i));
    b = s_reply((const uint8_t *)"xy", 2, s_id_b, NULL, 0, NULL, (const uint8_t(*)[6])many, 150);
    is_int(bt_dht_parse(cm_buf_data(b), cm_buf_len(b), &m), 0, "reply with 150 values");
    is_int(m.nvalues, BT_DHT_VALUES_MAX, "... 100 kept");
    cm_buf_destroy(&b);

    is_int(s_parse("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee", &m), 0, "error");
    ok(m.y == 'e' && m.err_code == 201 && strcmp(m.err_msg, "A Generic Error Ocurred") == 0,
       "error: code and message");
    is_int(s_parse("d1:eli203e4:a\x01\x02"
                   "be1:t2:aa1:y1:ee",
                   &m),
           0, "error with control bytes");
    is_str(m.err_msg, "a??b", "... replaced by '?'");
}

static void test_parse_errors(void)
{
    struct bt_dht_msg m;
    static const struct {
        const char *in, *name;
    } bad[] = {
        {"", "empty"},
        {"le", "not a dict"},
        {"d1:t2:aae", "y missing"},
        {"d1:t2:aa1:y1:xe", "y unknown"},
        {"d1:t2:aa1:yi1ee", "y not a string"},
        {"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe", "t missing"},
        {"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:ti1e1:y1:qe", "t not a string"},
        {"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t17:aaaaaaaaaaaaaaaaa1:y1:qe",
         "t of 17 bytes"},
        {"d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe", "short id"},
        {"d1:ad2:idi5ee1:q4:ping1:t2:aa1:y1:qe", "id not a string"},
        {"d1:ade1:q4:ping1:t2:aa1:y1:qe", "id missing"},
        {"d1:al2:ide1:q4:ping1:t2:aa1:y1:qe", "a not a dict"},
        {"d1:ad2:id20:abcdefghij0123456789e1:qi1e1:t2:aa1:y1:qe", "q not a string"},
        {"d1:q4:ping1:t2:aa1:y1:qe", "a missing"},
        {"d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe", "target missing"},
        {"d1:ad2:id20:abcdefghij01234567896:target3:abce1:q9:find_node1:t2:aa1:y1:qe",
         "short target"},
        {"d1:ad2:id20:abcdefghij0123456789e1:q9:get_peers1:t2:aa1:y1:qe", "info_hash missing"},
        {"d1:rd5:nodes0:e1:t2:aa1:y1:re", "reply without id"},
        {"d1:rle1:t2:aa1:y1:re", "r not a dict"},
        {"d1:rd2:id20:abcdefghij01234567895:nodes27:aaaaaaaaaaaaaaaaaaaaaaaaaaae1:t2:aa1:y1:re",
         "nodes of 27 bytes"},
        {"d1:rd2:id20:abcdefghij01234567895:nodesi1ee1:t2:aa1:y1:re", "nodes not a string"},
        {"d1:rd2:id20:abcdefghij01234567896:valuesi1ee1:t2:aa1:y1:re", "values not a list"},
        {"d1:rd2:id20:abcdefghij01234567896:valuesli1eee1:t2:aa1:y1:re", "value not a string"},
        {"d1:rd2:id20:abcdefghij01234567895:tokeni1ee1:t2:aa1:y1:re", "token not a string"},
        {"d1:rd2:id20:abcdefghij01234567895:token33:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaae1:t2:aa1:y1:"
         "re",
         "token of 33 bytes"},
        {"d1:e4:oops1:t2:aa1:y1:ee", "e not a list"},
        {"d1:eli1ei2ee1:t2:aa1:y1:ee", "error message not a string"},
        {"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qexx", "trailing bytes"},
        {"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:q", "truncated"},
        {"d1:xllllllllllllllleeeeeeeeeeeeeee1:t2:aa1:y1:ee", "deeper than 8"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(bad); i++) {
        memset(&m, 0x5a, sizeof(m));
        int rc = s_parse(bad[i].in, &m);
        is_int(rc, -1, bad[i].name);
        if (rc == -1 && (m.y != 0 || m.tlen != 0 || m.nnodes != 0))
            diag("%s: output not cleared", bad[i].name);
    }
    /* an error message with a list of n empty strings beside it: fine at 10, over the 512-token
     * cap at 600 */
    char big[BT_DHT_PKT_MAX + 64];
    for (int round = 0; round < 2; round++) {
        int cnt = round == 0 ? 10 : 600;
        size_t n = (size_t)snprintf(big, sizeof(big), "d1:eli201e1:xe1:t2:aa1:y1:e1:zl");
        for (int i = 0; i < cnt; i++) {
            memcpy(big + n, "0:", 2);
            n += 2;
        }
        memcpy(big + n, "ee", 2);
        n += 2;
        is_int(bt_dht_parse((const uint8_t *)big, n, &m), round == 0 ? 0 : -1,
               round == 0 ? "10 extra tokens are fine" : "more than 512 tokens refused");
    }
    /* a ping padded with an unknown key to exactly 1,500 and 1,501 bytes */
    for (size_t total = BT_DHT_PKT_MAX; total <= BT_DHT_PKT_MAX + 1; total++) {
        const char *head = "d1:ad2:id20:abcdefghij0123456789e1:p",
                   *tail = "1:q4:ping1:t2:aa1:y1:qe";
        size_t fixed = strlen(head) + strlen(tail) + 5; /* "NNNN:" */
        size_t pad = total - fixed;
        size_t n = (size_t)snprintf(big, sizeof(big), "%s%04zu:", head, pad);
        memset(big + n, 'x', pad);
        n += pad;
        memcpy(big + n, tail, strlen(tail));
        n += strlen(tail);
        is_int(n, total, "padded ping length");
        is_int(bt_dht_parse((const uint8_t *)big, n, &m), total == BT_DHT_PKT_MAX ? 0 : -1,
               total == BT_DHT_PKT_MAX ? "1,500 bytes parse" : "1,501 bytes refused");
    }
}

/* --- a node without a socket --- */

struct s_out {
    uint8_t last[BT_DHT_PKT_MAX];
    size_t last_len;
    int count;
    bool bad; /* a packet we emitted did not parse or was oversized */
};

static void s_out_cb(void *arg, const uint8_t *pkt, size_t len, const struct sockaddr_storage *to)
{
    struct s_out *o = arg;
    struct bt_dht_msg m;
    CM_UNUSED(to);
    if (len > BT_DHT_PKT_MAX || bt_dht_parse(pkt, len, &m) != 0)
        o->bad = true;
    memcpy(o->last, pkt, CM_MIN(len, sizeof(o->last)));
    o->last_len = len;
    o->count++;
}

static void s_in(bt_dht_t *d, cm_buf_t *b, const char *ip, uint16_t port)
{
    struct sockaddr_storage ss;
    s_addr(&ss, ip, port);
    bt_dht_input(d, cm_buf_data(b), cm_buf_len(b), &ss);
}

static void test_offline(void)
{
    char err[160];
    struct bt_dht_opts o = {.ip_rate_max = 100000, .egress_bps = 1000000};
    bt_dht_t *d = bt_dht_new(s_base, &o, err, sizeof(err));
    ok(d != NULL, "node without a socket");
    if (!d)
        return;
    is_str(bt_dht_bound(d), "", "... bound to nothing");
    struct s_out out = {0};
    bt_dht_set_output(d, s_out_cb, &out);

    /* token from 127.0.0.1 */
    cm_buf_t *q = s_query("get_peers", "g1", s_id_a, s_hash, NULL, 0, -1, -1);
    s_in(d, q, "127.0.0.1", 4000);
    cm_buf_destroy(&q);
    struct bt_dht_msg m;
    ok(out.count == 1 && bt_dht_parse(out.last, out.last_len, &m) == 0 && m.y == 'r' &&
           m.token_len == 8 && m.nvalues == 0,
       "get_peers answered with a token, no values");
    uint8_t tok[8];
    memcpy(tok, m.token, 8);

    /* that token from another IP: ignored, no answer */
    q = s_query("announce_peer", "a1", s_id_a, s_hash, tok, 8, 7000, -1);
    int before = out.count;
    s_in(d, q, "127.0.0.9", 4000);
    struct bt_dht_stats st;
    bt_dht_stats(d, &st);
    ok(out.count == before && st.stored_peers == 0, "a token from another IP is refused");
    s_in(d, q, "127.0.0.1", 4000);
    bt_dht_stats(d, &st);
    ok(out.count == before + 1 && st.stored_peers == 1 && st.stored_hashes == 1,
       "the same token from its IP is taken");
    cm_buf_destroy(&q);

    /* 150 IPs announce (each with its own token): 100 kept */
    for (int i = 0; i < 150; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "127.0.%d.%d", 1 + i / 200, 1 + i % 200);
        q = s_query("get_peers", "g2", s_id_a, s_hash, NULL, 0, -1, -1);
        s_in(d, q, ip, 4000);
        cm_buf_destroy(&q);
        if (bt_dht_parse(out.last, out.last_len, &m) != 0 || m.token_len != 8)
            break;
        q = s_query("announce_peer", "a2", s_id_a, s_hash, m.token, 8, 7000 + i, -1);
        s_in(d, q, ip, 4000);
        cm_buf_destroy(&q);
    }
    bt_dht_stats(d, &st);
    is_int(st.stored_peers, BT_DHT_PEERS_PER_HASH, "100 peers per info-hash");

    /* the reply to a small get_peers: <= 10 x its size, <= 100 values */
    q = s_query("get_peers", "g", s_id_a, s_hash, NULL, 0, -1, -1);
    s_in(d, q, "127.0.0.1", 4000);
    ok(bt_dht_parse(out.last, out.last_len, &m) == 0 && m.nvalues > 50 &&
           m.nvalues <= BT_DHT_VALUES_MAX,
       "get_peers answered with values");
    ok(out.last_len <= 10 * cm_buf_len(q), "reply at most 10 x the query");
    diag("query %zu bytes, reply %zu bytes, %zu values", cm_buf_len(q), out.last_len, m.nvalues);
    cm_buf_destroy(&q);

    /* unknown method: error 204 */
    q = s_query("vote", "v1", s_id_a, NULL, NULL, 0, -1, -1);
    s_in(d, q, "127.0.0.1", 4000);
    ok(bt_dht_parse(out.last, out.last_len, &m) == 0 && m.y == 'e' && m.err_code == 204,
       "unknown method: error 204");
    cm_buf_destroy(&q);

    /* find_node from a node we heard: it is not given out before it answered a ping */
    q = s_query("find_node", "f1", s_id_b, s_id_a, NULL, 0, -1, -1);
    s_in(d, q, "127.0.0.1", 4001);
    ok(bt_dht_parse(out.last, out.last_len, &m) == 0 && m.y == 'r' && m.nnodes == 0,
       "unconfirmed nodes are not given out");
    cm_buf_destroy(&q);
    bt_dht_stats(d, &st);
    ok(st.nodes >= 1 && st.good == 0, "querying nodes enter the table unconfirmed");
    ok(!out.bad, "every packet emitted parses and fits");
    bt_dht_destroy(&d);
    ok(d == NULL, "destroy clears the pointer");
}

/* --- live nodes --- */

struct s_look {
    bool done;
    int calls;
    size_t npeers;
    struct sockaddr_storage peers[64];
};

static void s_peers_cb(void *arg, const struct sockaddr_storage *peers, size_t n)
{
    struct s_look *l = arg;
    l->calls++;
    for (size_t i = 0; i < n && l->npeers < CM_ARRAY_LEN(l->peers); i++)
        l->peers[l->npeers++] = peers[i];
}

static void s_done_cb(void *arg)
{
    struct s_look *l = arg;
    l->done = true;
}

static bool s_found(const struct s_look *l, const char *ip, uint16_t port)
{
    for (size_t i = 0; i < l->npeers; i++)
        if (s_is(&l->peers[i], ip, port))
            return true;
    return false;
}

enum { NNODES = 12 };

static void test_swarm(bt_dht_t **nodes)
{
    char err[160];
    /* node 0 plays a bootstrap router: eleven nodes ask it at once, so it gets a router's egress
     * (the default 8 KB/s with its 2 KB burst drops some answers, which only slows the start) */
    struct bt_dht_opts o0 = {.bind = "127.0.0.1:0", .ip_rate_max = 100000, .egress_bps = 100000};
    nodes[0] = bt_dht_new(s_base, &o0, err, sizeof(err));
    ok(nodes[0] != NULL, "node 0 started");
    if (!nodes[0]) {
        diag("%s", err);
        return;
    }
    const char *boot[1] = {bt_dht_bound(nodes[0])};
    ok(strncmp(boot[0], "127.0.0.1:", 10) == 0 && s_port_of(boot[0]) != 0,
       "bound to an ephemeral port");
    bool all = true;
    for (int i = 1; i < NNODES; i++) {
        struct bt_dht_opts o = {
            .bind = "127.0.0.1:0", .bootstrap = boot, .nbootstrap = 1, .ip_rate_max = 100000};
        nodes[i] = bt_dht_new(s_base, &o, err, sizeof(err));
        if (!nodes[i]) {
            diag("node %d: %s", i, err);
            all = false;
        }
    }
    ok(all, "11 more nodes started, bootstrapping from node 0");
    if (!all)
        return;
    /* let the tables fill: node 0 hears every node, pings it, and they find each other */
    uint64_t end = cm_mono_ms() + 4000;
    for (;;) {
        s_pump(50);
        bool full = true;
        for (int i = 0; i < NNODES && full; i++) {
            struct bt_dht_stats st;
            bt_dht_stats(nodes[i], &st);
            full = st.good >= 6;
        }
        if (full || cm_mono_ms() >= end)
            break;
    }
    struct bt_dht_stats st;
    bt_dht_stats(nodes[0], &st);
    ok(st.good >= NNODES - 2, "node 0 has the others as good nodes");
    diag("node 0: %u nodes, %u good, %u queries in, %u out", st.nodes, st.good, st.queries_in,
         st.queries_out);
    uint32_t minnodes = UINT32_MAX;
    for (int i = 1; i < NNODES; i++) {
        bt_dht_stats(nodes[i], &st);
        minnodes = CM_MIN(minnodes, st.good);
    }
    ok(minnodes >= 3, "every node knows several good nodes");
    diag("smallest table: %u good nodes", minnodes);

    /* A announces with port 5000 */
    bt_dht_t *A = nodes[3], *B = nodes[9];
    struct s_look la = {0}, lb = {0};
    uint64_t h = bt_dht_get_peers(A, s_hash, 5000, s_peers_cb, s_done_cb, &la);
    ok(h != 0 && !la.done && la.calls == 0, "get_peers returns a handle, no callback yet");
    ok(s_pump_until(&la.done, 10000), "A's lookup and announce end");
    uint32_t stored = 0;
    for (int i = 0; i < NNODES; i++) {
        bt_dht_stats(nodes[i], &st);
        stored += st.stored_peers;
    }
    ok(stored >= 3, "the announce reached several nodes");
    diag("nodes storing the peer: %u", stored);

    /* B finds it */
    h = bt_dht_get_peers(B, s_hash, 0, s_peers_cb, s_done_cb, &lb);
    ok(h != 0 && !lb.done, "B's get_peers started");
    ok(s_pump_until(&lb.done, 10000), "B's lookup ends");
    ok(s_found(&lb, "127.0.0.1", 5000), "B finds 127.0.0.1:5000");
    bool dup = false;
    for (size_t i = 0; i < lb.npeers; i++)
        for (size_t k = i + 1; k < lb.npeers; k++)
            dup = dup || memcmp(&lb.peers[i], &lb.peers[k], sizeof(lb.peers[i])) == 0;
    ok(!dup, "each peer reported once");

    /* cancel silences a lookup */
    struct s_look lc = {0};
    h = bt_dht_get_peers(B, s_hash, 0, s_peers_cb, s_done_cb, &lc);
    bt_dht_cancel(B, h);
    bt_dht_cancel(B, h);
    bt_dht_cancel(B, 12345678);
    s_pump(300);
    ok(!lc.done && lc.calls == 0, "a cancelled lookup calls nothing");

    bt_dht_stats(B, &st);
    ok(st.queries_out > 0 && st.replies_in > 0 && st.bytes_out > 0, "B's counters move");
}

static void test_tokens(void)
{
    char err[160];
    struct bt_dht_opts o = {.bind = "127.0.0.1:0", .ip_rate_max = 100000};
    bt_dht_t *d = bt_dht_new(s_base, &o, err, sizeof(err));
    uint16_t rport, dport = d ? s_port_of(bt_dht_bound(d)) : 0;
    int fd = s_udp(&rport);
    ok(d && fd >= 0, "node and raw socket for tokens");
    if (!d || fd < 0)
        goto out;
    struct bt_dht_msg m;
    const uint8_t h2[20] = "second-hash-01234567", h3[20] = "third-hash-012345678";

    cm_buf_t *b = s_query("get_peers", "g1", s_id_a, h2, NULL, 0, -1, -1);
    s_send_buf(fd, b, dport);
    cm_buf_destroy(&b);
    ok(s_recv(fd, 1000, 'r', 0, &m, NULL) > 0 && m.token_len == 8 && m.nvalues == 0,
       "get_peers: a token, no values");
    uint8_t tok[8];
    memcpy(tok, m.token, 8);

    b = s_query("announce_peer", "a1", s_id_a, h2, (const uint8_t *)"badtoken", 8, 7000, -1);
    s_send_buf(fd, b, dport);
    cm_buf_destroy(&b);
    ok(s_recv(fd, 300, 'r', 0, &m, NULL) < 0, "announce_peer with a bad token: no answer");
    struct bt_dht_stats st;
    bt_dht_stats(d, &st);
    is_int(st.stored_peers, 0, "... and nothing stored");

    b = s_query("announce_peer", "a2", s_id_a, h2, tok, 8, 7000, -1);
    s_send_buf(fd, b, dport);
    cm_buf_destroy(&b);
    ok(s_recv(fd, 1000, 'r', 0, &m, NULL) > 0 && m.tlen == 2 && memcmp(m.t, "a2", 2) == 0,
       "announce_peer with the token: answered");
    b = s_query("get_peers", "g2", s_id_a, h2, NULL, 0, -1, -1);
    s_send_buf(fd, b, dport);
    cm_buf_destroy(&b);
    uint8_t v[6];
    s_value(v, "127.0.0.1", 7000);
    ok(s_recv(fd, 1000, 'r', 0, &m, NULL) > 0 && m.nvalues == 1 && memcmp(m.values[0], v, 6) == 0,
       "get_peers returns 127.0.0.1:7000");

    /* implied_port: the source port is stored */
    b = s_query("announce_peer", "a3", s_id_a, h3, tok, 8, 1, 1);
    s_send_buf(fd, b, dport);
    cm_buf_destroy(&b);
    s_recv(fd, 1000, 'r', 0, &m, NULL);
    b = s_query("get_peers", "g3", s_id_a, h3, NULL, 0, -1, -1);
    s_send_buf(fd, b, dport);
    cm_buf_destroy(&b);
    s_value(v, "127.0.0.1", rport);
    ok(s_recv(fd, 1000, 'r', 0, &m, NULL) > 0 && m.nvalues == 1 && memcmp(m.values[0], v, 6) == 0,
       "implied_port stores the UDP source port");
out:
    if (fd >= 0)
        close(fd);
    bt_dht_destroy(&d);
}

static void test_rate_limit(void)
{
    char err[160];
    struct bt_dht_opts o = {.bind = "127.0.0.1:0"}; /* default: 5 queries/s per IP */
    bt_dht_t *d = bt_dht_new(s_base, &o, err, sizeof(err));
    uint16_t rport, dport = d ? s_port_of(bt_dht_bound(d)) : 0;
    int fd = s_udp(&rport);
    ok(d && fd >= 0, "node and raw socket for the rate limit");
    if (!d || fd < 0)
        goto out;
    s_pump(20);
    for (int i = 0; i < 100; i++) {
        char tid[16];
        snprintf(tid, sizeof(tid), "p%02d", i);
        cm_buf_t *b = s_query("ping", tid, s_id_a, NULL, NULL, 0, -1, -1);
        s_send_buf(fd, b, dport);
        cm_buf_destroy(&b);
    }
    int answers = 0;
    struct bt_dht_msg m;
    while (s_recv(fd, 300, 'r', 0, &m, NULL) > 0)
        answers++;
    ok(answers >= 1 && answers <= 5, "100 pings in a burst: at most 5 answers");
    diag("%d answers", answers);
    struct bt_dht_stats st;
    bt_dht_stats(d, &st);
    is_int(st.blocked_ips, 1, "the IP is blocked");
    ok(st.queries_in <= 5 && st.ignored >= 95, "the rest ignored");
    s_pump(1100); /* a new second: still blocked */
    cm_buf_t *b = s_query("ping", "late", s_id_a, NULL, NULL, 0, -1, -1);
    s_send_buf(fd, b, dport);
    cm_buf_destroy(&b);
    ok(s_recv(fd, 300, 'r', 0, &m, NULL) < 0, "still ignored a second later");
out:
    if (fd >= 0)
        close(fd);
    bt_dht_destroy(&d);
}

static void test_unknown_tid(void)
{
    char err[160];
    uint16_t sport, s2port;
    int s = s_udp(&sport), s2 = s_udp(&s2port);
    char bootaddr[32];
    snprintf(bootaddr, sizeof(bootaddr), "127.0.0.1:%u", sport);
    const char *boot[1] = {bootaddr};
    struct bt_dht_opts o = {
        .bind = "127.0.0.1:0", .bootstrap = boot, .nbootstrap = 1, .ip_rate_max = 100000};
    bt_dht_t *d = bt_dht_new(s_base, &o, err, sizeof(err));
    uint16_t dport = d ? s_port_of(bt_dht_bound(d)) : 0;
    ok(d && s >= 0 && s2 >= 0, "node bootstrapping from a raw socket");
    if (!d || s < 0 || s2 < 0)
        goto out;
    struct bt_dht_msg m;
    uint8_t myid[20];
    bt_dht_node_id(d, myid);
    ok(s_recv(s, 1000, 'q', BT_DHT_Q_FIND_NODE, &m, NULL) > 0 && m.tlen == 2 &&
           memcmp(m.target, myid, 20) == 0,
       "bootstrap: find_node on our own id, 2-byte transaction id");
    uint8_t tid[2];
    memcpy(tid, m.t, 2);

    cm_buf_t *b = s_reply(tid, 2, s_id_b, NULL, 0, NULL, NULL, 0);
    s_send_buf(s2, b, dport); /* right tid, wrong address */
    cm_buf_destroy(&b);
    uint8_t wrong[2] = {(uint8_t)(tid[0] ^ 0xff), tid[1]};
    b = s_reply(wrong, 2, s_id_b, NULL, 0, NULL, NULL, 0);
    s_send_buf(s, b, dport); /* right address, unknown tid */
    cm_buf_destroy(&b);
    s_pump(100);
    struct bt_dht_stats st;
    bt_dht_stats(d, &st);
    ok(st.replies_in == 0 && st.nodes == 0 && st.ignored >= 2,
       "replies from another address or with an unknown tid are ignored");

    b = s_reply(tid, 2, s_id_b, NULL, 0, NULL, NULL, 0);
    s_send_buf(s, b, dport);
    cm_buf_destroy(&b);
    s_pump(100);
    bt_dht_stats(d, &st);
    ok(st.replies_in == 1 && st.nodes == 1 && st.good == 1, "the real reply is taken");

    /* a get_peers lookup asks the raw socket; values under an unknown tid are not reported */
    struct s_look l = {0};
    bt_dht_get_peers(d, s_hash, 0, s_peers_cb, s_done_cb, &l);
    ok(s_recv(s, 1000, 'q', BT_DHT_Q_GET_PEERS, &m, NULL) > 0, "the lookup asks us");
    memcpy(tid, m.t, 2);
    uint8_t vals[1][6];
    s_value(vals[0], "127.0.0.1", 6000);
    wrong[0] = (uint8_t)(tid[0] ^ 0x55);
    wrong[1] = tid[1];
    b = s_reply(wrong, 2, s_id_b, NULL, 0, "tk", vals, 1);
    s_send_buf(s, b, dport);
    cm_buf_destroy(&b);
    b = s_reply(tid, 2, s_id_b, NULL, 0, "tk", vals, 1);
    s_send_buf(s2, b, dport);
    cm_buf_destroy(&b);
    s_pump(100);
    s_value(vals[0], "127.0.0.1", 6001);
    b = s_reply(tid, 2, s_id_b, NULL, 0, "tk", vals, 1);
    s_send_buf(s, b, dport);
    cm_buf_destroy(&b);
    ok(s_pump_until(&l.done, 2000), "the lookup ends");
    ok(!s_found(&l, "127.0.0.1", 6000) && s_found(&l, "127.0.0.1", 6001) && l.npeers == 1,
       "only the matched reply's peer is reported");
out:
    if (s >= 0)
        close(s);
    if (s2 >= 0)
        close(s2);
    bt_dht_destroy(&d);
}

static void test_egress(void)
{
    char err[160];
    struct bt_dht_opts o = {.bind = "127.0.0.1:0", .egress_bps = 2000, .ip_rate_max = 1000000};
    bt_dht_t *d = bt_dht_new(s_base, &o, err, sizeof(err));
    uint16_t fport, dport = d ? s_port_of(bt_dht_bound(d)) : 0;
    int fd = s_udp(&fport);
    ok(d && fd >= 0, "node with egress_bps = 2000");
    if (!d || fd < 0)
        goto out;
    s_pump(20);
    uint64_t t0 = cm_mono_us();
    int sent = 0;
    size_t got = 0;
    while (cm_mono_us() - t0 < 1500000) {
        for (int i = 0; i < 20; i++) {
            char tid[16];
            snprintf(tid, sizeof(tid), "%04x", (unsigned)sent & 0xffff);
            cm_buf_t *b = s_query(i % 2 ? "ping" : "find_node", tid, s_id_a, i % 2 ? NULL : s_id_b,
                                  NULL, 0, -1, -1);
            s_send_buf(fd, b, dport);
            cm_buf_destroy(&b);
            sent++;
        }
        s_pump(5);
        uint8_t buf[2048];
        ssize_t n;
        while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
            got += (size_t)n;
    }
    s_pump(20);
    double secs = (double)(cm_mono_us() - t0) / 1e6;
    struct bt_dht_stats st;
    bt_dht_stats(d, &st);
    double cap = 2000 * secs + BT_DHT_PKT_MAX;
    diag("%d queries in %.2f s: %" PRIu64 " bytes out (cap %.0f), %zu received, %u dropped", sent,
         secs, st.bytes_out, cap, got, st.dropped_out);
    ok(sent > 1000, "a flood of queries was sent");
    ok((double)st.bytes_out <= cap, "bytes out within 2000 B/s + one packet");
    ok((double)st.bytes_out >= 2000 * secs * 0.6, "... and the budget is used");
    ok(st.dropped_out > 0, "the rest is dropped");
    s_drain(fd);
out:
    if (fd >= 0)
        close(fd);
    bt_dht_destroy(&d);
}

static void test_state_file(bt_dht_t *node0)
{
    char dir[] = "/tmp/bt_dht_test.XXXXXX";
    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp");
        return;
    }
    char path[256];
    snprintf(path, sizeof(path), "%s/dht.state", dir);
    char err[160];
    const char *boot[1] = {bt_dht_bound(node0)};
    struct bt_dht_opts o = {.bind = "127.0.0.1:0",
                            .bootstrap = boot,
                            .nbootstrap = 1,
                            .state_file = path,
                            .ip_rate_max = 100000};
    bt_dht_t *d = bt_dht_new(s_base, &o, err, sizeof(err));
    ok(d != NULL, "node with a state file");
    if (!d)
        return;
    uint64_t end = cm_mono_ms() + 3000;
    struct bt_dht_stats st;
    do {
        s_pump(50);
        bt_dht_stats(d, &st);
    } while (st.good < 3 && cm_mono_ms() < end);
    uint8_t id1[20], id2[20];
    bt_dht_node_id(d, id1);
    bt_dht_destroy(&d);
    struct stat sb;
    ok(stat(path, &sb) == 0 && sb.st_size > 26, "state file written");
    /* read it back */
    uint8_t buf[8192];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
    if (fd >= 0)
        close(fd);
    bt_be_t be;
    size_t len = 0;
    const uint8_t *nodes = NULL;
    if (n > 0 && bt_be_decode(&be, buf, (size_t)n, NULL, NULL, NULL, 0) == 0) {
        nodes = bt_be_dict_str(&be, 0, "nodes", &len);
        bt_be_clear(&be);
    }
    ok(nodes && len >= 3 * 26 && len % 26 == 0, "state file holds the good nodes");
    o.bootstrap = NULL;
    o.nbootstrap = 0;
    d = bt_dht_new(s_base, &o, err, sizeof(err));
    ok(d != NULL, "restarted from the state file");
    if (d) {
        bt_dht_node_id(d, id2);
        ok(memcmp(id1, id2, 20) == 0, "same node id");
        end = cm_mono_ms() + 3000;
        do {
            s_pump(50);
            bt_dht_stats(d, &st);
        } while (st.good < 3 && cm_mono_ms() < end);
        ok(st.good >= 3, "saved nodes bootstrap it (no bootstrap list)");
        bt_dht_destroy(&d);
    }
    unlink(path);
    rmdir(dir);
}

static void test_bad_options(void)
{
    char err[160] = "";
    struct bt_dht_opts o = {.bind = "nonsense"};
    ok(bt_dht_new(s_base, &o, err, sizeof(err)) == NULL && err[0], "bad bind address refused");
    const char *boot[1] = {"no-port"};
    struct bt_dht_opts o2 = {.bind = "127.0.0.1:0", .bootstrap = boot, .nbootstrap = 1};
    err[0] = '\0';
    ok(bt_dht_new(s_base, &o2, err, sizeof(err)) == NULL && err[0], "bootstrap without a port");
    diag("%s", err);
}

int main(void)
{
    cm_log_set_level(CM_LOG_WARN);
    s_base = event_base_new();
    test_parse_queries();
    test_parse_replies();
    test_parse_errors();
    test_offline();
    test_bad_options();

    bt_dht_t *nodes[NNODES] = {0};
    test_swarm(nodes);
    test_tokens();
    test_rate_limit();
    test_unknown_tid();
    test_egress();
    if (nodes[0])
        test_state_file(nodes[0]);
    for (int i = 0; i < NNODES; i++)
        bt_dht_destroy(&nodes[i]);
    event_base_free(s_base);
    return done_testing();
}
