/* SPDX-License-Identifier: MIT
 * Tests of auth_audit against a real, throwaway PostgreSQL with auth's migrations applied:
 * 500 events from a cm_audit land in audit_log in a few batches with the right columns;
 * malformed messages are counted and dropped; auth's own events are repaired and redacted;
 * a database outage keeps the events (bounded: the oldest are dropped past the cap) and
 * writes them once it is back; flush_now and destroy with an INSERT in flight. Every wait is
 * bounded. */
#include "cm.h"
#include "cm_audit.h"
#include "cm_migrate.h"
#include "cm_pg.h"
#include "cm_zsock.h"
#include "auth_audit.h"
#include "../../tap.h"
#include "../pg_cluster.h"

extern const struct cm_migration auth_migrations[];
extern const size_t auth_migrations_count;

enum {
    T_FLUSH_MS = 50,          /* flush period of the sink under test */
    T_EVENTS = 500,           /* events of the main test */
    T_WAIT_MS = 20000,        /* rows must be written within this */
    T_OUTAGE_WAIT_MS = 40000, /* after a restart (cm_pg backs off up to 5 s) */
    T_SLICE_MS = 5,           /* loop slice between checks */
    T_OVERFLOW = 300,         /* events past the queue cap in the outage test */
};

static struct event_base *t_base;
static void *t_zctx;
static const char *t_url;

/* --- helpers --- */

static void t_run_for(int ms)
{
    uint64_t end = cm_mono_ms() + (uint64_t)ms;
    while (cm_mono_ms() < end) {
        struct timeval tv = {0, T_SLICE_MS * 1000};
        event_base_loopexit(t_base, &tv);
        event_base_dispatch(t_base);
    }
}

/* Run the loop until the sink's `field` reaches `want` or `ms` passed; returns the value. */
#define T_WAIT_STAT(sink, field, cmp, want, ms)                                                    \
    __extension__({                                                                                \
        uint64_t end_ = cm_mono_ms() + (uint64_t)(ms);                                             \
        while (!(auth_audit_stats(sink).field cmp(want)) && cm_mono_ms() < end_)                   \
            t_run_for(T_SLICE_MS);                                                                 \
        auth_audit_stats(sink).field;                                                              \
    })

/* One value of a constant query with text parameters (blocking; tests only). Returns a
 * pointer to a static copy, "NULL" for SQL NULL, or "ERROR: ..." on failure. */
static const char *t_value(const char *sql, int n, const char *const *params)
{
    static char out[1024];
    PGconn *conn = PQconnectdb(t_url);
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
        snprintf(out, sizeof(out), "%s", PQgetisnull(res, 0, 0) ? "NULL" : PQgetvalue(res, 0, 0));
    else
        snprintf(out, sizeof(out), "ERROR: %s", PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    return out;
}

/* The row whose target is `target`, as event|severity|service|actor|ip|request_id|detail. */
static const char *t_row(const char *target)
{
    const char *p[] = {target};
    return t_value("SELECT concat_ws('|', event, severity, service, "
                   "coalesce(actor_id::text, 'NULL'), ip, request_id, detail) "
                   "FROM audit_log WHERE target = $1 ORDER BY id LIMIT 1",
                   1, p);
}

static const char *t_count_event(const char *event)
{
    const char *p[] = {event};
    return t_value("SELECT count(*) FROM audit_log WHERE event = $1", 1, p);
}

/* --- tests --- */

static void test_bind_error(cm_pg_t *pg)
{
    char err[CM_ERR_LEN] = "";
    auth_audit_t *a = auth_audit_new(t_base, t_zctx, pg, "nonsense://x", 0, err, sizeof(err));
    ok(a == NULL, "a bad bind endpoint is refused");
    ok(strstr(err, "nonsense://x") != NULL, "and the error names it");
}

static void test_from_sender(auth_audit_t *sink)
{
    char err[CM_ERR_LEN] = "";
    cm_audit_t *tx =
        cm_audit_new(t_base, t_zctx, auth_audit_endpoint(sink), "gateway", err, sizeof(err));
    ok(tx != NULL, "cm_audit connected to the sink");
    struct auth_audit_stats st0 = auth_audit_stats(sink);
    cm_log_level_g = CM_LOG_ERROR - 1; /* not 500 lines of events */
    for (int i = 0; i < T_EVENTS; i++) {
        char target[32], ip[32];
        snprintf(target, sizeof(target), "target-%d", i);
        snprintf(ip, sizeof(ip), "198.51.100.%d", i % 256);
        cm_audit_emit(tx, "t_event", i % 3, (uint64_t)i, target, ip, i ? 0x100u + (uint64_t)i : 0,
                      "n=%d password=secret%d", i, i);
    }
    is_int(cm_audit_stats(tx).sent, T_EVENTS, "500 events sent");
    uint64_t w = T_WAIT_STAT(sink, written, >=, st0.written + T_EVENTS, T_WAIT_MS);
    cm_log_level_g = CM_LOG_WARN;
    is_int(w - st0.written, T_EVENTS, "500 rows written");
    is_str(t_count_event("t_event"), "500", "500 rows in audit_log");
    struct auth_audit_stats st = auth_audit_stats(sink);
    is_int(st.received - st0.received, T_EVENTS, "500 received");
    uint64_t batches = st.batches - st0.batches;
    diag("500 events in %" PRIu64 " INSERTs", batches);
    ok(batches >= T_EVENTS / AUTH_AUDIT_BATCH && batches < 50, "batched: a few INSERTs, not 500");
    is_int(st.malformed - st0.malformed, 0, "nothing malformed");
    is_int(st.dropped - st0.dropped, 0, "nothing dropped");

    is_str(t_row("target-7"),
           "t_event|warning|gateway|7|198.51.100.7|0000000000000107|n=7 password=*",
           "row 7: every column");
    is_str(t_row("target-0"), "t_event|info|gateway|NULL|198.51.100.0||n=0 password=*",
           "row 0: actor 0 is NULL, rid 0 is ''");
    is_str(t_row("target-302"),
           "t_event|critical|gateway|302|198.51.100.46|000000000000022e|n=302 password=*",
           "row 302: critical");
    is_str(t_value("SELECT count(*) FROM audit_log WHERE detail LIKE '%secret%'", 0, NULL), "0",
           "no password reached the table");
    is_str(t_value("SELECT count(*) FROM audit_log WHERE event = 't_event' "
                   "AND abs(extract(epoch FROM now() - ts)) < 60",
                   0, NULL),
           "500", "ts is the time of the emit");
    cm_audit_destroy(&tx);
}

static void t_send(void *push, const void *f1, size_t n1, const void *f2, size_t n2, const void *f3,
                   size_t n3)
{
    zmq_send(push, f1, n1, f2 ? ZMQ_SNDMORE : 0);
    if (f2)
        zmq_send(push, f2, n2, f3 ? ZMQ_SNDMORE : 0);
    if (f3)
        zmq_send(push, f3, n3, 0);
}

/* Encode a header into `out` (CM_HDR_MAX bytes); returns its length. */
static size_t t_hdr(unsigned char *out, int proto, int version, int msg, uint64_t rid)
{
    cm_buf_t *b = cm_buf_new(CM_HDR_MAX);
    struct cm_hdr h = {(uint16_t)proto, (uint16_t)version, (uint16_t)msg, rid, 0};
    int rc = cm_hdr_encode(&h, b);
    size_t n = rc == 0 ? cm_buf_len(b) : 0;
    memcpy(out, cm_buf_data(b), n);
    cm_buf_destroy(&b);
    return n;
}

static void test_malformed(auth_audit_t *sink)
{
    void *push = zmq_socket(t_zctx, ZMQ_PUSH);
    int linger = 1000;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof(linger));
    ok(zmq_connect(push, auth_audit_endpoint(sink)) == 0, "raw PUSH connected");

    struct auth_audit ev;
    memset(&ev, 0, sizeof(ev));
    ev.ts_ms = cm_now_ms();
    snprintf(ev.event, sizeof(ev.event), "after_bad");
    snprintf(ev.target, sizeof(ev.target), "target-after-bad");
    cm_buf_t *body = cm_buf_new(4096);
    ok(auth_audit_encode(&ev, body) == 0, "valid body encoded");
    const unsigned char *b = cm_buf_data(body);
    size_t blen = cm_buf_len(body);
    unsigned char h[CM_HDR_MAX], bad_proto[CM_HDR_MAX], bad_msg[CM_HDR_MAX], bad_ver[CM_HDR_MAX];
    size_t hl = t_hdr(h, AUTH_PROTO, AUTH_VERSION, AUTH_MSG_AUDIT, 0x77);
    size_t pl = t_hdr(bad_proto, AUTH_PROTO + 1, AUTH_VERSION, AUTH_MSG_AUDIT, 1);
    size_t ml = t_hdr(bad_msg, AUTH_PROTO, AUTH_VERSION, AUTH_MSG_LOGIN, 1);
    size_t vl = t_hdr(bad_ver, AUTH_PROTO, AUTH_VERSION + 1, AUTH_MSG_AUDIT, 1);

    struct auth_audit_stats st0 = auth_audit_stats(sink);
    t_send(push, h, hl, NULL, 0, NULL, 0);         /* 1: one frame */
    t_send(push, h, hl, b, blen, "x", 1);          /* 2: three frames */
    t_send(push, "junk", 4, b, blen, NULL, 0);     /* 3: header not msgpack */
    t_send(push, bad_proto, pl, b, blen, NULL, 0); /* 4: another protocol */
    t_send(push, bad_msg, ml, b, blen, NULL, 0);   /* 5: another message */
    t_send(push, bad_ver, vl, b, blen, NULL, 0);   /* 6: another version */
    t_send(push, h, hl, "\xc1", 1, NULL, 0);       /* 7: body not msgpack */
    t_send(push, h, hl, "\x80", 1, NULL, 0);       /* 8: body without the required event */
    t_send(push, h, hl, "\x81\x02\xa3\xff\xfe\xfd", 6, NULL, 0); /* 9: event not UTF-8 */
    t_send(push, "", 0, "", 0, NULL, 0);                         /* 10: empty frames */
    t_send(push, h, hl, b, blen, NULL, 0);                       /* then a good one */
    uint64_t got = T_WAIT_STAT(sink, received, >=, st0.received + 1, T_WAIT_MS);
    is_int(got - st0.received, 1, "the good message after the bad ones arrived");
    is_int(auth_audit_stats(sink).malformed - st0.malformed, 10, "10 malformed counted");
    T_WAIT_STAT(sink, pending, ==, 0, T_WAIT_MS);
    is_str(t_row("target-after-bad"), "after_bad|info||NULL||0000000000000077|",
           "the good one is written (rid from the header when the body has none)");
    cm_buf_destroy(&body);
    zmq_close(push);
}

static void test_add(auth_audit_t *sink)
{
    struct auth_audit ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.event, sizeof(ev.event), "self_event");
    snprintf(ev.service, sizeof(ev.service), "auth");
    ev.severity = 9;
    ev.actor_id = 5;
    /* target: no NUL within the array, "ab " repeated */
    for (size_t i = 0; i < sizeof(ev.target); i++)
        ev.target[i] = "ab "[i % 3];
    snprintf(ev.detail, sizeof(ev.detail), "bad \xff\xfe bytes token=abcdefghijkl");
    auth_audit_add(NULL, &ev);
    ok(1, "add to NULL is a no-op");
    struct auth_audit_stats st0 = auth_audit_stats(sink);
    auth_audit_add(sink, &ev);
    T_WAIT_STAT(sink, written, >=, st0.written + 1, T_WAIT_MS);
    is_str(t_value("SELECT concat_ws('|', severity, service, actor_id, length(target), detail, "
                   "CASE WHEN abs(extract(epoch FROM now() - ts)) < 60 THEN 'recent' END) "
                   "FROM audit_log WHERE event = 'self_event'",
                   0, NULL),
           "critical|auth|5|256|bad ?? bytes token=[redacted]|recent",
           "own event: severity capped, target cut at its array, UTF-8 repaired, redacted, "
           "ts 0 is now");
}

/* The log lines of events: one each, at the level of the severity, redacted. */
static void test_log_lines(auth_audit_t *sink)
{
    char path[] = "/tmp/auth_audit_test_log.XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    cm_log_set_level(CM_LOG_INFO);
    struct auth_audit ev;
    memset(&ev, 0, sizeof(ev));
    for (int sev = 0; sev < 3; sev++) {
        snprintf(ev.event, sizeof(ev.event), "t_log%d", sev);
        ev.severity = (uint8_t)sev;
        ev.rid = 0xabc;
        snprintf(ev.detail, sizeof(ev.detail), "\"password\":\"hunter2hunter2\"");
        auth_audit_add(sink, &ev);
    }
    cm_log_set_level(CM_LOG_WARN);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char text[4096] = "";
    ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    ok(strstr(text, " I auth_audit_test[") && strstr(text, "audit: rid=0000000000000abc t_log0"),
       "info event logged at I");
    ok(strstr(text, " W auth_audit_test[") && strstr(text, "t_log1"), "warning event logged at W");
    ok(strstr(text, " E auth_audit_test[") && strstr(text, "t_log2"), "critical event logged at E");
    ok(!strstr(text, "hunter2"), "the log lines are redacted");
    T_WAIT_STAT(sink, pending, ==, 0, T_WAIT_MS);
}

static void test_outage(struct t_cluster *c, auth_audit_t *sink)
{
    enum { N = AUTH_AUDIT_QUEUE_MAX + T_OVERFLOW };
    struct auth_audit_stats st0 = auth_audit_stats(sink);
    ok(st0.pending == 0, "nothing pending before the outage");
    is_int(t_cluster_ctl(c, "stop"), 0, "database stopped");
    struct auth_audit ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.event, sizeof(ev.event), "t_flood");
    for (int i = 0; i < N; i++) {
        ev.ts_ms = cm_now_ms();
        ev.rid = (uint64_t)i + 1;
        snprintf(ev.target, sizeof(ev.target), "flood-%d", i);
        auth_audit_add(sink, &ev);
        if (i % 1000 == 0)
            t_run_for(T_FLUSH_MS); /* let the flushes run and fail meanwhile */
    }
    t_run_for(10 * T_FLUSH_MS);
    struct auth_audit_stats st = auth_audit_stats(sink);
    diag("during the outage: pending %" PRIu64 ", dropped %" PRIu64 ", failures %" PRIu64,
         st.pending, st.dropped - st0.dropped, st.failures - st0.failures);
    ok(st.failures > st0.failures, "INSERTs failed and were counted");
    is_int(st.written - st0.written, 0, "nothing written while the database is down");
    ok(st.pending <= AUTH_AUDIT_QUEUE_MAX + AUTH_AUDIT_BATCH, "pending stays under the cap");
    ok(st.dropped - st0.dropped >= T_OVERFLOW - AUTH_AUDIT_BATCH, "the overflow was dropped");
    is_int(st.pending + (st.dropped - st0.dropped), N, "every event is pending or dropped");

    is_int(t_cluster_ctl(c, "start"), 0, "database started again");
    uint64_t left = T_WAIT_STAT(sink, pending, ==, 0, T_OUTAGE_WAIT_MS);
    is_int(left, 0, "everything pending was written after the restart");
    st = auth_audit_stats(sink);
    is_int((st.written - st0.written) + (st.dropped - st0.dropped), N,
           "written + dropped = every event");
    char want[32];
    snprintf(want, sizeof(want), "%" PRIu64, st.written - st0.written);
    is_str(t_count_event("t_flood"), want, "the rows are there, once each");
    /* The oldest were dropped, the newest kept. */
    is_str(t_value("SELECT count(*) FROM audit_log WHERE target = 'flood-10299'", 0, NULL), "1",
           "the newest event was kept");
}

static void test_flush_now_and_destroy(cm_pg_t *pg)
{
    char err[CM_ERR_LEN] = "";
    /* A period of a minute: only flush_now writes anything in this test. */
    auth_audit_t *a =
        auth_audit_new(t_base, t_zctx, pg, "tcp://127.0.0.1:*", 60000, err, sizeof(err));
    ok(a != NULL, "second sink");
    struct auth_audit ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.event, sizeof(ev.event), "t_shutdown");
    for (int i = 0; i < 5; i++)
        auth_audit_add(a, &ev);
    t_run_for(100);
    is_int(auth_audit_stats(a).pending, 5, "5 pending: the timer has not fired");
    uint64_t end = cm_mono_ms() + T_WAIT_MS;
    uint64_t left;
    while ((left = auth_audit_flush_now(a)) > 0 && cm_mono_ms() < end)
        event_base_loop(t_base, EVLOOP_ONCE);
    is_int(left, 0, "flush_now wrote them");
    is_str(t_count_event("t_shutdown"), "5", "5 rows");

    /* Destroy with an INSERT in flight: its answer must not touch the freed sink. */
    snprintf(ev.event, sizeof(ev.event), "t_inflight");
    for (int i = 0; i < 3; i++)
        auth_audit_add(a, &ev);
    ok(auth_audit_flush_now(a) == 3, "INSERT of 3 started");
    auth_audit_destroy(&a);
    ok(a == NULL, "destroyed with the INSERT in flight");
    t_run_for(500);
    is_str(t_count_event("t_inflight"), "3", "the INSERT in flight still completed");

    /* Destroy with events queued: they are lost, with a warning. */
    a = auth_audit_new(t_base, t_zctx, pg, "tcp://127.0.0.1:*", 60000, err, sizeof(err));
    snprintf(ev.event, sizeof(ev.event), "t_lost");
    auth_audit_add(a, &ev);
    auth_audit_destroy(&a);
    auth_audit_destroy(&a);
    ok(1, "destroy with events queued, and twice");
}

int main(void)
{
    cm_log_init("auth_audit_test");
    cm_log_set_level(CM_LOG_WARN); /* info events would print 10000 lines */
    signal(SIGPIPE, SIG_IGN);
    t_base = event_base_new();
    t_zctx = zmq_ctx_new();
    struct t_cluster c;
    if (t_cluster_start(&c) < 0) {
        ok(0, "throwaway PostgreSQL started");
        t_cluster_stop(&c);
        return done_testing();
    }
    ok(1, "throwaway PostgreSQL started");
    t_url = c.url;
    char err[CM_ERR_LEN] = "";
    int n = cm_migrate_run(c.url, "auth", auth_migrations, auth_migrations_count, 10000, err,
                           sizeof(err));
    ok(n == (int)auth_migrations_count, "auth migrations applied");
    if (n < 0)
        diag("migrations: %s", err);

    struct cm_pg_opts o = {.conninfo = c.url, .app_name = "auth_audit_test"};
    cm_pg_t *pg = cm_pg_new(t_base, &o);
    test_bind_error(pg);
    auth_audit_t *sink =
        auth_audit_new(t_base, t_zctx, pg, "tcp://127.0.0.1:*", T_FLUSH_MS, err, sizeof(err));
    ok(sink != NULL, "sink bound");
    diag("sink at %s", sink ? auth_audit_endpoint(sink) : err);
    if (sink) {
        test_from_sender(sink);
        test_malformed(sink);
        test_add(sink);
        test_log_lines(sink);
        test_outage(&c, sink);
        test_flush_now_and_destroy(pg);
        auth_audit_destroy(&sink);
    }
    cm_pg_destroy(&pg);
    zmq_ctx_term(t_zctx);
    event_base_free(t_base);
    t_cluster_stop(&c);
    return done_testing();
}
