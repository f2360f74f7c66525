/* SPDX-License-Identifier: MIT
 * Tests of cm_audit: events pushed to a plain libzmq PULL socket in this process decode to
 * what was sent (header and body), secrets are redacted, strings are cut and repaired, a NULL
 * sender is a no-op, and with no receiver and a tiny queue an emit never blocks and counts
 * its drops. */
#include "cm.h"
#include "cm_audit.h"
#include "cm_zsock.h"
#include "auth_msg.h"
#include "../../tap.h"

enum {
    T_RECV_TIMEOUT_MS = 5000, /* one message must arrive within this */
    T_FLOOD = 2000,           /* emits of the no-receiver test */
    T_EMIT_SLOW_MS = 100,     /* an emit taking this long counts as blocking */
};

static struct event_base *t_base;
static void *t_zctx;

/* Receive one 2-frame message on the raw PULL socket and decode it. Returns 0 or -1. */
static int t_recv(void *pull, struct cm_hdr *h, struct auth_audit *m)
{
    char f1[256], f2[4096];
    int n1 = zmq_recv(pull, f1, sizeof(f1), 0);
    if (n1 < 0)
        return -1;
    int more = 0;
    size_t len = sizeof(more);
    zmq_getsockopt(pull, ZMQ_RCVMORE, &more, &len);
    if (!more)
        return -1;
    int n2 = zmq_recv(pull, f2, sizeof(f2), 0);
    zmq_getsockopt(pull, ZMQ_RCVMORE, &more, &len);
    if (n2 < 0 || more || (size_t)n1 > sizeof(f1) || (size_t)n2 > sizeof(f2))
        return -1;
    if (cm_hdr_decode(h, f1, (size_t)n1) < 0)
        return -1;
    return auth_audit_decode(m, f2, (size_t)n2);
}

static void *t_pull(char *ep, size_t eplen)
{
    void *pull = zmq_socket(t_zctx, ZMQ_PULL);
    int tmo = T_RECV_TIMEOUT_MS, linger = 0;
    zmq_setsockopt(pull, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
    zmq_setsockopt(pull, ZMQ_LINGER, &linger, sizeof(linger));
    if (zmq_bind(pull, "tcp://127.0.0.1:*") < 0)
        return NULL;
    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &eplen);
    return pull;
}

static void test_fields(void)
{
    char ep[256], err[CM_ERR_LEN] = "";
    void *pull = t_pull(ep, sizeof(ep));
    ok(pull != NULL, "PULL bound");
    cm_audit_t *a = cm_audit_new(t_base, t_zctx, ep, "gateway", err, sizeof(err));
    ok(a != NULL, "cm_audit_new");

    const char *jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    uint64_t before = cm_now_ms();
    cm_audit_emit(a, "login_failed", CM_AUDIT_WARNING, 42, "POST /api/login?token=abcdefghijkl",
                  "203.0.113.7", 0x0123456789abcdefull, "user %s password=%s bearer %s", "alice",
                  "hunter2", jwt);
    struct cm_hdr h;
    struct auth_audit m;
    ok(t_recv(pull, &h, &m) == 0, "two frames received and decoded");
    is_int(h.proto, AUTH_PROTO, "header proto is auth");
    is_int(h.version, AUTH_VERSION, "header version");
    is_int(h.msg, AUTH_MSG_AUDIT, "header msg is AUDIT");
    ok(h.rid == 0x0123456789abcdefull, "header rid");
    ok(m.ts_ms >= before && m.ts_ms <= cm_now_ms(), "ts_ms is now");
    is_str(m.event, "login_failed", "event");
    is_int(m.severity, CM_AUDIT_WARNING, "severity");
    is_str(m.service, "gateway", "service");
    ok(m.actor_id == 42, "actor_id");
    is_str(m.target, "POST /api/login?token=[redacted]", "target redacted");
    is_str(m.ip, "203.0.113.7", "ip");
    ok(m.rid == 0x0123456789abcdefull, "rid");
    is_str(m.detail, "user alice password=* bearer [redacted]", "detail redacted");
    ok(!strstr(m.detail, "hunter2") && !strstr(m.detail, "eyJ"), "no secret in the detail");

    /* NULL strings, an unknown severity, no detail. */
    cm_audit_emit(a, NULL, 7, 0, NULL, NULL, 0, NULL);
    ok(t_recv(pull, &h, &m) == 0, "event with NULL strings received");
    is_str(m.event, "", "NULL event is empty");
    is_int(m.severity, CM_AUDIT_CRITICAL, "severity above 2 is critical");
    is_str(m.target, "", "NULL target is empty");
    is_str(m.detail, "", "NULL fmt is an empty detail");
    ok(h.rid == 0 && m.rid == 0, "rid 0");

    /* Over-long strings are cut on a character boundary; invalid UTF-8 is repaired. */
    char big[3000];
    size_t o = 0;
    while (o + 2 < sizeof(big) - 1) {
        memcpy(big + o, "\xc3\xa9", 2); /* e-acute: a cut must not split it */
        o += 2;
    }
    big[o++] = 'x';
    big[o] = '\0';
    cm_audit_emit(a, "bad\xff\xfe_event_name_that_is_far_longer_than_forty_eight_bytes",
                  CM_AUDIT_INFO, 1, big, "::1", 1, "%s", big);
    ok(t_recv(pull, &h, &m) == 0, "long and invalid strings still decode (valid UTF-8)");
    is_str(m.event, "bad??_event_name_that_is_far_longer_than_forty_e", "event repaired and cut");
    is_int(strlen(m.target), 256, "target cut to 256 bytes");
    is_int(strlen(m.detail), 512, "detail cut to 512 bytes");
    ok(cm_utf8_valid(m.detail, strlen(m.detail), false), "detail is valid UTF-8");

    /* A token cut by the formatting buffer (2048 bytes) is not half kept, even when the
     * redaction of what comes before pulls the cut into the 512 bytes that are sent. */
    char tail[2200];
    size_t t = 0;
    for (int i = 0; i < 40; i++) {
        memcpy(tail + t, "0123456789abcdef0123456789abcdef0123456789abcdef01 ", 51);
        t += 51;
    }
    snprintf(tail + t, sizeof(tail) - t, "SECRETabcdefghijklmnopqrstuvwxyz0123456789");
    cm_audit_emit(a, "cut", CM_AUDIT_INFO, 0, "", "", 0, "%s", tail);
    ok(t_recv(pull, &h, &m) == 0, "long detail received");
    ok(strncmp(m.detail, "[redacted] [redacted] ", 22) == 0, "the long runs are redacted");
    ok(!strstr(m.detail, "SECRET"), "the token at the cut is gone");
    diag("detail ends: '%s'", m.detail + strlen(m.detail) - CM_MIN(strlen(m.detail), 24));

    struct cm_audit_stats st = cm_audit_stats(a);
    ok(st.sent == 4 && st.dropped == 0, "stats: 4 sent, 0 dropped");
    cm_audit_destroy(&a);
    ok(a == NULL, "destroy sets NULL");
    cm_audit_destroy(&a);
    ok(1, "destroy twice is fine");
    zmq_close(pull);
}

static void test_null_and_errors(void)
{
    cm_audit_emit(NULL, "x", 0, 0, "t", "i", 0, "detail %d", 1);
    ok(1, "emit on NULL is a no-op");
    struct cm_audit_stats st = cm_audit_stats(NULL);
    ok(st.sent == 0 && st.dropped == 0, "stats of NULL are zero");
    char err[CM_ERR_LEN] = "";
    cm_audit_t *a = cm_audit_new(t_base, t_zctx, "nonsense://x", "gw", err, sizeof(err));
    ok(a == NULL, "a bad endpoint is refused");
    ok(strstr(err, "nonsense://x") != NULL, "and the error names it");
    diag("err: %s", err);
}

static void test_no_receiver(void)
{
    char err[CM_ERR_LEN] = "";
    /* Nothing listens on port 1: the connect keeps failing in the background. */
    cm_audit_t *a =
        cm_audit_new_hwm(t_base, t_zctx, "tcp://127.0.0.1:1", "gw", 5, err, sizeof(err));
    ok(a != NULL, "sender to nobody created");
    uint64_t slowest = 0, t0 = cm_mono_ms();
    for (int i = 0; i < T_FLOOD; i++) {
        uint64_t s = cm_mono_us();
        cm_audit_emit(a, "flood", CM_AUDIT_INFO, 0, "", "", (uint64_t)i + 1, "event %d", i);
        slowest = CM_MAX(slowest, cm_mono_us() - s);
    }
    uint64_t took = cm_mono_ms() - t0;
    diag("%d emits in %" PRIu64 " ms, slowest %" PRIu64 " us", T_FLOOD, took, slowest);
    ok(slowest < (uint64_t)T_EMIT_SLOW_MS * 1000, "no emit blocked");
    struct cm_audit_stats st = cm_audit_stats(a);
    diag("sent %" PRIu64 ", dropped %" PRIu64, st.sent, st.dropped);
    ok(st.sent + st.dropped == T_FLOOD, "every emit is sent or dropped");
    ok(st.sent >= 1 && st.sent <= 10, "about the HWM queued");
    ok(st.dropped >= T_FLOOD - 10, "the rest dropped and counted");
    uint64_t d0 = cm_mono_ms();
    cm_audit_destroy(&a);
    ok(cm_mono_ms() - d0 < 100, "destroy does not block");
}

/* With the default queue, a receiver that comes up late still gets what was sent before. */
static void test_late_receiver(void)
{
    char err[CM_ERR_LEN] = "", ep[256];
    void *probe = t_pull(ep, sizeof(ep)); /* find a free port, then free it */
    zmq_close(probe);
    cm_audit_t *a = cm_audit_new(t_base, t_zctx, ep, "gw", err, sizeof(err));
    for (int i = 0; i < 10; i++)
        cm_audit_emit(a, "early", CM_AUDIT_INFO, 0, "", "", (uint64_t)i + 1, NULL);
    void *pull = zmq_socket(t_zctx, ZMQ_PULL);
    int tmo = T_RECV_TIMEOUT_MS, linger = 0;
    zmq_setsockopt(pull, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
    zmq_setsockopt(pull, ZMQ_LINGER, &linger, sizeof(linger));
    int rc = -1;
    for (int i = 0; i < 100 && rc < 0; i++) {
        rc = zmq_bind(pull, ep); /* the probe's listener closes in the background */
        if (rc < 0)
            usleep(20 * 1000);
    }
    ok(rc == 0, "receiver bound late on the same port");
    int got = 0;
    struct cm_hdr h;
    struct auth_audit m;
    for (int i = 0; i < 10 && t_recv(pull, &h, &m) == 0; i++)
        got += m.rid == (uint64_t)i + 1;
    is_int(got, 10, "the 10 events queued before it arrived, in order");
    cm_audit_destroy(&a);
    zmq_close(pull);
}

int main(void)
{
    cm_log_set_level(CM_LOG_ERROR);
    t_base = event_base_new();
    t_zctx = zmq_ctx_new();
    test_fields();
    test_null_and_errors();
    test_no_receiver();
    test_late_receiver();
    uint64_t t0 = cm_mono_ms();
    zmq_ctx_term(t_zctx);
    ok(cm_mono_ms() - t0 < CM_AUDIT_LINGER_MS + 1000, "zmq_ctx_term waits at most the linger");
    event_base_free(t_base);
    return done_testing();
}
