/* SPDX-License-Identifier: MIT
 * Tests of the VPN gate's pause of swarm traffic (bt_engine_set_paused, bt_trk_set_paused,
 * bt_dht_set_paused), all on 127.0.0.1 in one event loop:
 *  - DHT (no socket, output hook): a ping is answered; paused, a ping gets no answer and is
 *    counted as ignored, and the node it taught us is not pinged in 1.5 s; resumed, queries go
 *    out again and a ping is answered.
 *  - Trackers (a UDP socket of the test plays the tracker): paused, a scrape fails with
 *    "swarm traffic paused (VPN down)" on a later loop turn and sends nothing, a swarm started
 *    sends no announce; resumed, the announce (a BEP 15 connect) goes out at once; a scrape in
 *    flight when the gate closes fails the same way.
 *  - Engine: a peer address the engine is connected to sees its connection closed when the
 *    gate closes; no new connection in 1.5 s; an incoming connection is closed at once; the
 *    peer count is 0; resumed, the engine connects to the known address again at once. */
#include "cm.h"
#include "bt_engine.h"
#include "bt_dht.h"
#include "bt_tracker.h"
#include "bt_bencode.h"
#include "../../tap.h"

#include <fcntl.h>

static struct event_base *s_base;

static void s_pump(int ms)
{
    struct timeval tv = cm_tv_ms(ms);
    event_base_loopexit(s_base, &tv);
    event_base_dispatch(s_base);
}

static bool s_pump_until(const bool *flag, int ms)
{
    uint64_t end = cm_mono_ms() + (uint64_t)ms;
    while (!*flag && cm_mono_ms() < end)
        s_pump(10);
    return *flag;
}

static void s_sin(struct sockaddr_in *s4, const char *ip, uint16_t port)
{
    memset(s4, 0, sizeof(*s4));
    s4->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &s4->sin_addr);
    s4->sin_port = htons(port);
}

static uint16_t s_local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return 0;
    return ntohs(a.sin_port);
}

/* --- DHT --- */

static int s_out; /* datagrams the node sent */

static void s_on_out(void *arg, const uint8_t *pkt, size_t len, const struct sockaddr_storage *to)
{
    CM_UNUSED(arg);
    CM_UNUSED(pkt);
    CM_UNUSED(len);
    CM_UNUSED(to);
    s_out++;
}

static void s_ping_from(bt_dht_t *d, const char *ip, uint16_t port, const uint8_t id[20])
{
    cm_buf_t *b = cm_buf_new(BT_DHT_PKT_MAX);
    int rc = bt_be_put_dict(b) | bt_be_put_cstr(b, "a") | bt_be_put_dict(b) |
             bt_be_put_cstr(b, "id") | bt_be_put_str(b, id, 20) | bt_be_put_end(b) |
             bt_be_put_cstr(b, "q") | bt_be_put_cstr(b, "ping") | bt_be_put_cstr(b, "t") |
             bt_be_put_cstr(b, "aa") | bt_be_put_cstr(b, "y") | bt_be_put_cstr(b, "q") |
             bt_be_put_end(b);
    if (rc != 0)
        diag("ping: encoder failed");
    struct sockaddr_storage from;
    s_sin((struct sockaddr_in *)&from, ip, port);
    bt_dht_input(d, cm_buf_data(b), cm_buf_len(b), &from);
    cm_buf_destroy(&b);
}

static void test_dht(void)
{
    char err[CM_ERR_LEN];
    struct bt_dht_opts o = {.bind = NULL};
    bt_dht_t *d = bt_dht_new(s_base, &o, err, sizeof(err));
    ok(d != NULL, "dht: a node without a socket");
    if (!d)
        return;
    bt_dht_set_output(d, s_on_out, NULL);
    static const uint8_t id1[20] = "node-one-0123456789x";
    static const uint8_t id2[20] = "node-two-0123456789y";
    s_out = 0;
    s_ping_from(d, "127.0.0.2", 7001, id1);
    is_int(s_out, 1, "dht: a ping is answered");

    bt_dht_set_paused(d, true);
    bt_dht_set_paused(d, true); /* unchanged: nothing */
    struct bt_dht_stats st0, st1;
    bt_dht_stats(d, &st0);
    s_out = 0;
    s_ping_from(d, "127.0.0.3", 7002, id2);
    bt_dht_stats(d, &st1);
    is_int(s_out, 0, "dht paused: a ping gets no answer");
    is_int(st1.ignored, st0.ignored + 1, "dht paused: the datagram is counted as ignored");
    s_pump(1500);
    is_int(s_out, 0, "dht paused: nothing at all goes out in 1.5 s (no ping, no bootstrap)");
    uint64_t h = bt_dht_get_peers(d, (const uint8_t *)"HASH-0123456789-HASH", 0, NULL, NULL, NULL);
    ok(h != 0, "dht paused: a lookup may be started");
    s_pump(300);
    is_int(s_out, 0, "dht paused: ... and waits");
    bt_dht_cancel(d, h);

    bt_dht_set_paused(d, false);
    s_pump(1500);
    ok(s_out > 0, "dht resumed: queries go out again (bootstrap, pings)");
    diag("%d datagrams after the resume", s_out);
    s_out = 0;
    s_ping_from(d, "127.0.0.2", 7001, id1);
    ok(s_out >= 1, "dht resumed: a ping is answered");
    bt_dht_destroy(&d);
}

/* --- trackers --- */

struct scrape_res {
    bool done;
    int status;
    char err[160];
};

static void s_on_scrape(void *arg, int status, uint32_t seeders, uint32_t leechers,
                        uint32_t completed, const char *err)
{
    CM_UNUSED(seeders);
    CM_UNUSED(leechers);
    CM_UNUSED(completed);
    struct scrape_res *r = arg;
    r->done = true;
    r->status = status;
    snprintf(r->err, sizeof(r->err), "%s", err ? err : "");
}

/* Datagrams waiting on the fake tracker's socket (drained). */
static int s_udp_drain(int fd)
{
    uint8_t buf[2048];
    int n = 0;
    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
        n++;
    return n;
}

/* Pump up to `ms` until a datagram arrives; how many arrived. */
static int s_udp_wait(int fd, int ms)
{
    uint64_t end = cm_mono_ms() + (uint64_t)ms;
    int n = 0;
    while (n == 0 && cm_mono_ms() < end) {
        s_pump(10);
        n += s_udp_drain(fd);
    }
    return n;
}

static void test_tracker(void)
{
    char err[CM_ERR_LEN];
    int ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    s_sin(&a, "127.0.0.1", 0);
    ok(ufd >= 0 && bind(ufd, (struct sockaddr *)&a, sizeof(a)) == 0, "trk: a fake UDP tracker");
    char url[96];
    snprintf(url, sizeof(url), "udp://127.0.0.1:%u/announce", s_local_port(ufd));
    static const uint8_t peer_id[20] = "-MQ0100-pausetest000";
    static const uint8_t hash[20] = "HASH-0123456789-HASH";
    struct bt_trk_opts to = {.port = 6881, .peer_id = peer_id, .allow_private = true};
    bt_trk_t *t = bt_trk_new(s_base, &to, err, sizeof(err));
    ok(t != NULL, "trk: a client");
    if (!t) {
        close(ufd);
        return;
    }

    bt_trk_set_paused(t, true);
    struct scrape_res r1 = {0};
    ok(bt_trk_scrape(t, url, hash, 2000, s_on_scrape, &r1) != 0, "trk paused: scrape accepted");
    ok(!r1.done, "trk paused: its callback does not run inside the call");
    ok(s_pump_until(&r1.done, 1000), "trk paused: the scrape ends");
    ok(r1.status != 0, "trk paused: ... failed");
    is_str(r1.err, "swarm traffic paused (VPN down)", "trk paused: ... with the gate's reason");
    struct bt_tracker_url u = {.url = url, .tier = 0};
    bt_trk_swarm_t *sw = bt_trk_swarm_new(t, hash, &u, 1, NULL);
    ok(sw != NULL, "trk: a swarm");
    bt_trk_swarm_start(sw);
    bt_trk_swarm_more_peers(sw);
    s_pump(500);
    is_int(s_udp_drain(ufd), 0, "trk paused: no datagram reached the tracker");

    bt_trk_set_paused(t, false);
    ok(s_udp_wait(ufd, 1000) >= 1, "trk resumed: the swarm announces at once");

    /* a scrape in flight when the gate closes */
    struct scrape_res r2 = {0};
    bt_trk_scrape(t, url, hash, 5000, s_on_scrape, &r2);
    ok(s_udp_wait(ufd, 1000) >= 1, "trk: a scrape goes out");
    bt_trk_set_paused(t, true);
    ok(!r2.done, "trk: pausing calls no callback from inside the call");
    ok(s_pump_until(&r2.done, 1000), "trk paused: the scrape in flight ends at once");
    is_str(r2.err, "swarm traffic paused (VPN down)", "trk paused: ... with the gate's reason");
    s_pump(300);
    is_int(s_udp_drain(ufd), 0, "trk paused: nothing more was sent");

    bt_trk_swarm_destroy(&sw); /* its `stopped` fails: still paused */
    s_pump(100);
    is_int(s_udp_drain(ufd), 0, "trk paused: a swarm removed sends no `stopped`");
    is_int((long long)bt_trk_pending(t), 0, "trk paused: nothing is pending");
    bt_trk_destroy(&t);
    close(ufd);
}

/* --- engine --- */

static int s_listen_tcp(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    s_sin(&a, "127.0.0.1", 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = s_local_port(fd);
    return fd;
}

/* Pump until the listener has a connection to accept; its fd, or -1. */
static int s_accept_wait(int lfd, int ms)
{
    uint64_t end = cm_mono_ms() + (uint64_t)ms;
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0 || cm_mono_ms() >= end)
            return fd;
        s_pump(10);
    }
}

/* Pump until `fd` reads end of file (or a reset); bytes before that are drained. */
static bool s_eof_wait(int fd, int ms)
{
    uint64_t end = cm_mono_ms() + (uint64_t)ms;
    uint8_t buf[1024];
    while (cm_mono_ms() < end) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            return true;
        if (n < 0)
            s_pump(10);
    }
    return false;
}

static void test_engine(void)
{
    char err[CM_ERR_LEN];
    char dir[] = "/tmp/bt_pause_test.XXXXXX";
    ok(mkdtemp(dir) != NULL, "engine: a temporary directory");
    struct bt_engine_opts eo = {.listen = "127.0.0.1:0"};
    bt_engine_t *e = bt_engine_new(s_base, &eo, err, sizeof(err));
    ok(e != NULL, "engine: with a listener");
    uint16_t pport = 0;
    int lfd = s_listen_tcp(&pport);
    ok(lfd >= 0, "engine: a peer listens");
    if (!e || lfd < 0) {
        bt_engine_destroy(&e);
        if (lfd >= 0)
            close(lfd);
        return;
    }
    struct bt_magnet m;
    ok(bt_magnet_parse("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", &m, err,
                       sizeof(err)) == 0,
       "engine: a magnet");
    bt_torrent_t *t = bt_engine_add_magnet(e, &m, dir, BT_TF_METADATA_ONLY, NULL, err, sizeof(err));
    bt_magnet_clear(&m);
    ok(t != NULL, "engine: the magnet is added");
    if (!t) {
        bt_engine_destroy(&e);
        close(lfd);
        return;
    }
    struct sockaddr_in pa;
    s_sin(&pa, "127.0.0.1", pport);
    bt_torrent_add_peer(t, (struct sockaddr *)&pa, sizeof(pa));
    int c1 = s_accept_wait(lfd, 2000);
    ok(c1 >= 0, "engine: it connects to the known peer");

    ok(!bt_engine_paused(e), "engine: not paused at first");
    bt_engine_set_paused(e, true);
    ok(bt_engine_paused(e), "engine: paused");
    ok(c1 >= 0 && s_eof_wait(c1, 1000), "engine paused: the peer connection is closed");
    struct bt_engine_stats es;
    bt_engine_stats(e, &es);
    is_int(es.peers, 0, "engine paused: no peer connection");
    is_int(es.torrents, 1, "engine paused: the torrent stays loaded");
    bt_torrent_add_peer(t, (struct sockaddr *)&pa, sizeof(pa));
    (void)bt_torrent_retry_peers(t);
    int c2 = s_accept_wait(lfd, 1500);
    ok(c2 < 0, "engine paused: no new connection in 1.5 s");
    if (c2 >= 0)
        close(c2);

    /* an incoming connection is closed at once */
    const char *la = bt_engine_listen_addr(e);
    const char *colon = strrchr(la, ':');
    struct sockaddr_in ea;
    s_sin(&ea, "127.0.0.1", colon ? (uint16_t)strtol(colon + 1, NULL, 10) : 0);
    int in = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ok(in >= 0 && connect(in, (struct sockaddr *)&ea, sizeof(ea)) == 0,
       "engine paused: the kernel takes a connection to the listener");
    ok(in >= 0 && s_eof_wait(in, 1000), "engine paused: ... and the engine closes it at once");
    if (in >= 0)
        close(in);
    bt_engine_stats(e, &es);
    is_int(es.peers, 0, "engine paused: still no peer connection");

    bt_engine_set_paused(e, false);
    ok(!bt_engine_paused(e), "engine: resumed");
    int c3 = s_accept_wait(lfd, 1000);
    ok(c3 >= 0, "engine resumed: the known peer is connected again at once");
    if (c3 >= 0)
        close(c3);
    if (c1 >= 0)
        close(c1);
    close(lfd);
    bt_torrent_remove(&t);
    bt_engine_destroy(&e);
    s_pump(20);
    rmdir(dir);
}

int main(void)
{
    cm_log_set_level(CM_LOG_ERROR);
    s_base = event_base_new();
    test_dht();
    test_tracker();
    test_engine();
    event_base_free(s_base);
    return done_testing();
}
