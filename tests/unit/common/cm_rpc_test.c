/* SPDX-License-Identifier: MIT
 * Tests of cm_rpc and cm_zsock in one process: a ROUTER server and DEALER clients on loopback
 * TCP, driven by one libevent loop. Covers replies, errors, deferred answers, timeouts and late
 * replies, unknown messages, an absent peer, heartbeats and reconnection, server-initiated
 * calls, destruction with calls pending and from inside a handler, and draining bursts larger
 * than one wake-up's budget (ZMQ_FD is edge-triggered). */
#include "cm.h"
#include "cm_rpc.h"
#include "common_msg.h"
#include "../../tap.h"

static struct event_base *s_base;
static void *s_zctx;

/* --- loop driving --- */

static void s_tick(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    CM_UNUSED(arg);
}

/* Run the loop until *flag becomes true or timeout_ms passes. Returns *flag. */
static bool s_run_until(const volatile bool *flag, int timeout_ms)
{
    struct event *tick = event_new(s_base, -1, EV_PERSIST, s_tick, NULL);
    struct timeval tv = {0, 5000};
    event_add(tick, &tv);
    uint64_t end = cm_mono_ms() + (uint64_t)timeout_ms;
    while (!*flag && cm_mono_ms() < end)
        event_base_loop(s_base, EVLOOP_ONCE);
    event_free(tick);
    return *flag;
}

static void s_run_for(int ms)
{
    bool never = false;
    s_run_until(&never, ms);
}

/* --- a call's outcome --- */

struct outcome {
    bool done;        /* the callback ran */
    int calls;        /* how many times it ran (must be 1) */
    int status;       /* its status */
    uint16_t msg;     /* the reply's message number */
    uint64_t rid;     /* the reply's rid */
    char reason[300]; /* ERROR.reason when status came from the peer */
    uint64_t at;      /* mono ms when it ran */
};

static void s_on_done(int status, const cm_msg_t *reply, void *arg)
{
    struct outcome *o = arg;
    o->calls++;
    o->done = true;
    o->status = status;
    o->at = cm_mono_ms();
    if (reply) {
        o->msg = reply->hdr.msg;
        o->rid = reply->hdr.rid;
        struct common_error e;
        if (reply->hdr.msg == COMMON_MSG_ERROR &&
            common_error_decode(&e, reply->body.data, reply->body.len) == 0)
            snprintf(o->reason, sizeof(o->reason), "%s", e.reason);
    }
}

/* --- servers used by the tests --- */

static cm_rpc_t *s_server(char *bound, size_t len)
{
    char err[CM_ERR_LEN];
    struct cm_rpc_opts o = {.name = "test-server"};
    cm_rpc_t *srv =
        cm_rpc_server_new(s_base, s_zctx, &o, "tcp://127.0.0.1:*", bound, len, err, sizeof(err));
    if (!srv)
        diag("server: %s", err);
    return srv;
}

static cm_rpc_t *s_client(const char *ep, int hb_ms)
{
    char err[CM_ERR_LEN];
    struct cm_rpc_opts o = {.name = "test-client",
                            .hb_interval_ms = hb_ms,
                            .reconnect_min_ms = 50,
                            .reconnect_max_ms = 200};
    cm_rpc_t *c = cm_rpc_client_new(s_base, s_zctx, &o, ep, err, sizeof(err));
    if (!c)
        diag("client: %s", err);
    return c;
}

/* HEALTH handler answering after a delay, or never (delay < 0), or with an error (delay 0). */
struct later {
    cm_defer_t *defer; /* the request */
    struct event *ev;  /* the delay */
};
static int s_health_delay_ms;
static int s_health_seen;

static void s_on_later(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct later *l = arg;
    struct common_health_ok ok;
    memset(&ok, 0, sizeof(ok));
    snprintf(ok.service, sizeof(ok.service), "unit");
    snprintf(ok.version, sizeof(ok.version), "9.9");
    cm_buf_t *b = cm_buf_new(512);
    if (common_health_ok_encode(&ok, b) == 0)
        cm_defer_reply(&l->defer, COMMON_PROTO, COMMON_MSG_HEALTH_OK, b, NULL);
    cm_defer_drop(&l->defer);
    cm_buf_destroy(&b);
    event_free(l->ev);
    cm_free(l);
}

static void s_on_health(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(arg);
    s_health_seen++;
    if (s_health_delay_ms == 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_NOT_FOUND, "no such thing: %d", 42);
        return;
    }
    struct later *l = cm_calloc(1, sizeof(*l));
    l->defer = cm_rpc_defer(rpc, msg);
    l->ev = evtimer_new(s_base, s_on_later, l);
    int ms = s_health_delay_ms > 0 ? s_health_delay_ms : 0;
    struct timeval tv = cm_tv_ms(ms);
    if (s_health_delay_ms > 0) {
        evtimer_add(l->ev, &tv);
    } else {
        cm_defer_drop(&l->defer); /* never answer */
        event_free(l->ev);
        cm_free(l);
    }
}

/* The raw router of test_unknown_reply_dropped: remember the first peer's identity. */
static uint8_t *s_raw_id;

static void s_on_raw(cm_zsock_t *zs, zmq_msg_t *frames, int n, void *arg)
{
    CM_UNUSED(zs);
    size_t *len = arg;
    if (n >= 1 && *len == 0 && zmq_msg_size(&frames[0]) <= CM_IDENTITY_MAX) {
        memcpy(s_raw_id, zmq_msg_data(&frames[0]), zmq_msg_size(&frames[0]));
        *len = zmq_msg_size(&frames[0]);
    }
}

/* --- tests --- */

static void test_ping_and_sync_rule(void)
{
    char ep[256];
    cm_rpc_t *srv = s_server(ep, sizeof(ep));
    cm_rpc_t *cli = s_client(ep, 1000);
    struct outcome o = {0};
    uint64_t rid = cm_rpc_call(cli, NULL, COMMON_PROTO, COMMON_MSG_PING, 0x1234, NULL, NULL, 2000,
                               s_on_done, &o);
    ok(!o.done, "the callback never runs inside cm_rpc_call");
    is_int(rid, 0x1234, "a caller's rid is used");
    ok(s_run_until(&o.done, 3000), "PING answered");
    is_int(o.status, CM_OK, "status OK");
    is_int(o.msg, COMMON_MSG_PONG, "reply is PONG");
    is_int(o.rid, 0x1234, "rid echoed");
    ok(cm_rpc_alive(cli), "client alive after hearing the server");
    s_run_for(100);
    is_int(o.calls, 1, "callback ran exactly once");
    cm_rpc_destroy(&cli);
    cm_rpc_destroy(&srv);
    ok(cli == NULL && srv == NULL, "destroy nulls the pointers");
}

static void test_deferred_error_timeout_late(void)
{
    char ep[256];
    cm_rpc_t *srv = s_server(ep, sizeof(ep));
    cm_rpc_handle(srv, COMMON_PROTO, COMMON_MSG_HEALTH, s_on_health, NULL);
    cm_rpc_t *cli = s_client(ep, 1000);

    s_health_delay_ms = 50;
    struct outcome a = {0};
    cm_rpc_call(cli, NULL, COMMON_PROTO, COMMON_MSG_HEALTH, 0, NULL, NULL, 2000, s_on_done, &a);
    ok(s_run_until(&a.done, 3000) && a.status == CM_OK && a.msg == COMMON_MSG_HEALTH_OK,
       "deferred reply arrives");

    s_health_delay_ms = 0;
    struct outcome b = {0};
    cm_rpc_call(cli, NULL, COMMON_PROTO, COMMON_MSG_HEALTH, 0, NULL, NULL, 2000, s_on_done, &b);
    ok(s_run_until(&b.done, 3000), "error reply arrives");
    is_int(b.status, CM_ERR_NOT_FOUND, "the peer's status is the callback's status");
    is_int(b.msg, COMMON_MSG_ERROR, "reply is ERROR");
    is_str(b.reason, "no such thing: 42", "the reason travels");

    /* Timeout, then the answer comes late and is dropped. */
    s_health_delay_ms = 300;
    struct outcome c = {0};
    uint64_t t0 = cm_mono_ms();
    cm_rpc_call(cli, NULL, COMMON_PROTO, COMMON_MSG_HEALTH, 0, NULL, NULL, 100, s_on_done, &c);
    ok(s_run_until(&c.done, 2000), "timed-out call completes");
    is_int(c.status, CM_ERR_TIMEOUT, "status TIMEOUT");
    ok(c.at - t0 >= 90 && c.at - t0 < 1000, "timeout after about 100 ms");
    s_run_for(500);
    is_int(c.calls, 1, "the late answer does not call back again");
    struct cm_rpc_stats st;
    cm_rpc_stats(cli, &st);
    ok(st.timeouts >= 1, "timeout counted");
    is_int(st.late, 0, "the server dropped its answer itself: the caller's deadline had passed");

    /* A never-answered request, and the client destroyed while waiting. */
    s_health_delay_ms = -1;
    struct outcome d = {0};
    cm_rpc_call(cli, NULL, COMMON_PROTO, COMMON_MSG_HEALTH, 0, NULL, NULL, 5000, s_on_done, &d);
    s_run_for(50);
    cm_rpc_destroy(&cli);
    ok(d.done && d.status == CM_ERR_SHUTDOWN, "destroy fails pending calls with SHUTDOWN");
    cm_rpc_destroy(&srv);
}

static void test_unknown_message_and_absent_peer(void)
{
    char ep[256];
    cm_rpc_t *srv = s_server(ep, sizeof(ep));
    cm_rpc_t *cli = s_client(ep, 1000);
    struct outcome a = {0};
    /* CREDIT is an event the server has no handler for; an unknown request number gets ERROR. */
    cm_rpc_call(cli, NULL, COMMON_PROTO, 200, 0, NULL, NULL, 2000, s_on_done, &a);
    ok(s_run_until(&a.done, 3000) && a.status == CM_ERR_UNKNOWN_MSG,
       "unknown message number -> ERROR UNKNOWN_MSG");
    struct outcome b = {0};
    cm_rpc_call(cli, NULL, COMMON_PROTO, COMMON_MSG_HEALTH, 0, NULL, NULL, 2000, s_on_done, &b);
    ok(s_run_until(&b.done, 3000) && b.status == CM_ERR_UNKNOWN_MSG,
       "a request without handler -> ERROR UNKNOWN_MSG");
    cm_rpc_destroy(&cli);
    cm_rpc_destroy(&srv);

    /* Nobody listens there: the call waits until the peer is declared dead (3 silent intervals
     * of 100 ms), not until its 5 s deadline; later calls fail at once. */
    cm_rpc_t *lonely = s_client("tcp://127.0.0.1:1", 100);
    struct outcome c = {0};
    uint64_t t0 = cm_mono_ms();
    cm_rpc_call(lonely, NULL, COMMON_PROTO, COMMON_MSG_PING, 0, NULL, NULL, 5000, s_on_done, &c);
    ok(!c.done, "not synchronous even when failing");
    ok(s_run_until(&c.done, 2000) && c.status == CM_ERR_UNAVAILABLE, "absent peer -> UNAVAILABLE");
    ok(c.at - t0 >= 250 && c.at - t0 < 1500, "after the liveness window, long before the deadline");
    ok(!cm_rpc_alive(lonely), "not alive");
    struct outcome d = {0};
    t0 = cm_mono_ms();
    cm_rpc_call(lonely, NULL, COMMON_PROTO, COMMON_MSG_PING, 0, NULL, NULL, 5000, s_on_done, &d);
    ok(s_run_until(&d.done, 1000) && d.status == CM_ERR_UNAVAILABLE && d.at - t0 < 100,
       "a call to a peer declared dead fails fast");
    cm_rpc_destroy(&lonely);
}

static void test_heartbeat_and_reconnect(void)
{
    char ep[256];
    cm_rpc_t *srv = s_server(ep, sizeof(ep));
    cm_rpc_t *cli = s_client(ep, 100); /* dead after 3 x 100 ms of silence */
    bool alive = false;
    for (int i = 0; i < 100 && !alive; i++) {
        s_run_for(20);
        alive = cm_rpc_alive(cli);
    }
    ok(alive, "idle client becomes alive through its own PINGs");
    s_run_for(600);
    ok(cm_rpc_alive(cli), "stays alive while idle (heartbeats answered)");

    cm_rpc_destroy(&srv);
    bool dead = false;
    for (int i = 0; i < 100 && !dead; i++) {
        s_run_for(20);
        dead = !cm_rpc_alive(cli);
    }
    ok(dead, "server gone -> client declares the peer dead");
    struct outcome a = {0};
    cm_rpc_call(cli, NULL, COMMON_PROTO, COMMON_MSG_PING, 0, NULL, NULL, 2000, s_on_done, &a);
    ok(s_run_until(&a.done, 2500) && a.status != CM_OK, "calls fail while the peer is down");

    /* The server comes back on the same endpoint: the client reconnects by itself. */
    char err[CM_ERR_LEN], again[256];
    struct cm_rpc_opts o = {.name = "test-server"};
    srv = cm_rpc_server_new(s_base, s_zctx, &o, ep, again, sizeof(again), err, sizeof(err));
    ok(srv != NULL, "server re-bound on the same endpoint");
    alive = false;
    for (int i = 0; i < 200 && !alive; i++) {
        s_run_for(20);
        alive = cm_rpc_alive(cli);
    }
    ok(alive, "client alive again after the server came back");
    struct cm_rpc_stats st;
    cm_rpc_stats(cli, &st);
    ok(st.reconnects >= 1, "socket re-created at least once");
    struct outcome b = {0};
    cm_rpc_call(cli, NULL, COMMON_PROTO, COMMON_MSG_PING, 0, NULL, NULL, 2000, s_on_done, &b);
    ok(s_run_until(&b.done, 2500) && b.status == CM_OK, "calls work again");
    cm_rpc_destroy(&cli);
    cm_rpc_destroy(&srv);
}

/* A reply nobody waits for (a late or forged rid) is dropped and counted by the client. */
static void test_unknown_reply_dropped(void)
{
    char err[CM_ERR_LEN], ep[256];
    cm_zsock_t *raw = cm_zsock_new(s_base, s_zctx, ZMQ_ROUTER, NULL);
    ok(cm_zsock_bind(raw, "tcp://127.0.0.1:*", ep, sizeof(ep), err, sizeof(err)) == 0, "raw bind");
    static uint8_t id[CM_IDENTITY_MAX];
    static size_t idlen;
    idlen = 0;
    cm_zsock_set_handler(raw, s_on_raw, &idlen);
    s_raw_id = id;
    cm_rpc_t *cli = s_client(ep, 50);
    for (int i = 0; i < 100 && !idlen; i++)
        s_run_for(20);
    ok(idlen > 0, "the client pinged the raw router");
    cm_buf_t *h = cm_buf_new(CM_HDR_MAX);
    struct cm_hdr hdr = {.proto = COMMON_PROTO, .version = 1, .msg = COMMON_MSG_PONG, .rid = 999};
    ok(cm_hdr_encode(&hdr, h) == 0, "header");
    cm_iov_t frames[3] = {{id, idlen}, {cm_buf_data(h), cm_buf_len(h)}, {"\x80", 1}};
    ok(cm_zsock_send(raw, frames, 3) == 0, "forged reply sent");
    struct cm_rpc_stats st = {0};
    for (int i = 0; i < 100 && st.late == 0; i++) {
        s_run_for(10);
        cm_rpc_stats(cli, &st);
    }
    is_int(st.late, 1, "unknown reply counted as late and dropped");
    cm_buf_destroy(&h);
    cm_rpc_destroy(&cli);
    cm_zsock_destroy(&raw);
}

/* Server-initiated calls: the server learns the client's identity from its messages. */
static uint8_t s_peer_id[CM_IDENTITY_MAX];
static size_t s_peer_len;

static void s_on_peer(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    CM_UNUSED(arg);
    memcpy(s_peer_id, msg->identity.data, msg->identity.len);
    s_peer_len = msg->identity.len;
}

static void test_server_calls_client(void)
{
    char ep[256];
    cm_rpc_t *srv = s_server(ep, sizeof(ep));
    cm_rpc_on_peer(srv, s_on_peer, NULL);
    cm_rpc_t *cli = s_client(ep, 50);
    s_peer_len = 0;
    for (int i = 0; i < 100 && !s_peer_len; i++)
        s_run_for(20);
    ok(s_peer_len > 0, "server saw the client's identity");
    struct outcome a = {0};
    cm_iov_t id = {s_peer_id, s_peer_len};
    cm_rpc_call(srv, &id, COMMON_PROTO, COMMON_MSG_PING, 0, NULL, NULL, 2000, s_on_done, &a);
    ok(s_run_until(&a.done, 3000) && a.status == CM_OK && a.msg == COMMON_MSG_PONG,
       "server -> client PING answered by the client");
    struct outcome b = {0};
    cm_iov_t nobody = {"nobody", 6};
    cm_rpc_call(srv, &nobody, COMMON_PROTO, COMMON_MSG_PING, 0, NULL, NULL, 2000, s_on_done, &b);
    ok(s_run_until(&b.done, 1000) && b.status == CM_ERR_UNAVAILABLE,
       "a call to an unknown identity fails at once (ROUTER_MANDATORY)");
    cm_rpc_destroy(&cli);
    cm_rpc_destroy(&srv);
}

/* A handler that destroys its own endpoint must not crash the dispatch that called it, and the
 * answer it sent just before still reaches the caller (no ZMQ_IMMEDIATE, bounded linger). */
static void s_on_health_suicide(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    cm_rpc_t **self_p = arg;
    cm_rpc_reply_error(rpc, msg, CM_ERR_SHUTDOWN, "bye");
    cm_rpc_destroy(self_p);
}

static void test_destroy_inside_handler(void)
{
    char ep[256];
    static cm_rpc_t *srv;
    srv = s_server(ep, sizeof(ep));
    cm_rpc_handle(srv, COMMON_PROTO, COMMON_MSG_HEALTH, s_on_health_suicide, &srv);
    cm_rpc_t *cli = s_client(ep, 1000);
    struct outcome a = {0};
    cm_rpc_call(cli, NULL, COMMON_PROTO, COMMON_MSG_HEALTH, 0, NULL, NULL, 2000, s_on_done, &a);
    ok(s_run_until(&a.done, 3000) && a.status == CM_ERR_SHUTDOWN, "answered before destroying");
    ok(srv == NULL, "server destroyed from its own handler");
    cm_rpc_destroy(&cli);
}

/* Edge-triggered ZMQ_FD: a burst far larger than one wake-up's budget is delivered whole. */
static int s_burst_seen;

static void s_on_burst(cm_zsock_t *zs, zmq_msg_t *frames, int n, void *arg)
{
    CM_UNUSED(zs);
    CM_UNUSED(frames);
    CM_UNUSED(arg);
    if (n == 2)
        s_burst_seen++;
}

static void test_zsock_burst(void)
{
    char err[CM_ERR_LEN], ep[256];
    struct cm_zsock_opts zo = {.hwm = 100000};
    cm_zsock_t *rx = cm_zsock_new(s_base, s_zctx, ZMQ_ROUTER, &zo);
    cm_zsock_t *tx = cm_zsock_new(s_base, s_zctx, ZMQ_DEALER, &zo);
    cm_zsock_set_handler(rx, s_on_burst, NULL);
    ok(cm_zsock_bind(rx, "tcp://127.0.0.1:*", ep, sizeof(ep), err, sizeof(err)) == 0, "bind");
    ok(cm_zsock_connect(tx, ep, err, sizeof(err)) == 0, "connect");
    enum { N = 5000 };
    int sent = 0;
    uint64_t end = cm_mono_ms() + 5000;
    cm_iov_t f = {"x", 1};
    while (sent < N && cm_mono_ms() < end) {
        if (cm_zsock_send(tx, &f, 1) == 0)
            sent++;
        else
            s_run_for(5); /* not connected yet, or HWM */
    }
    is_int(sent, N, "burst sent");
    for (int i = 0; i < 500 && s_burst_seen < N; i++)
        s_run_for(10);
    is_int(s_burst_seen, N, "every message of the burst delivered (drained past the budget)");
    cm_zsock_destroy(&tx);
    cm_zsock_destroy(&rx);
}

int main(void)
{
    cm_log_set_level(CM_LOG_ERROR);
    s_base = event_base_new();
    s_zctx = zmq_ctx_new();
    test_ping_and_sync_rule();
    test_deferred_error_timeout_late();
    test_unknown_message_and_absent_peer();
    test_heartbeat_and_reconnect();
    test_unknown_reply_dropped();
    test_server_calls_client();
    test_destroy_inside_handler();
    test_zsock_burst();
    zmq_ctx_term(s_zctx);
    event_base_free(s_base);
    libevent_global_shutdown();
    return done_testing();
}
