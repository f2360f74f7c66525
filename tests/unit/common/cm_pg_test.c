/* SPDX-License-Identifier: MIT
 * Tests of cm_pg against a real, throwaway PostgreSQL (scripts/pgcluster.py start --fast):
 * parameters that would be injections, SQL errors, FIFO order, the queue cap, deadlines,
 * server restart and stop (D-02), and destroy with queries pending. Every wait is bounded. */
#include "cm.h"
#include "cm_pg.h"
#include "../../tap.h"
#include "../pg_cluster.h"
#include <fcntl.h>
#include <sys/wait.h>

enum {
    T_UP_WAIT_MS = 10000,       /* a connection must be up within this */
    T_ANSWER_WAIT_MS = 10000,   /* a query must be answered within this */
    T_FAIL_FAST_MS = 1000,      /* a query during an outage is answered within this (D-02) */
    T_SLICE_MS = 5,             /* loop slice between checks of a condition */
    T_FIFO_N = 100,             /* queries of the FIFO test */
    T_RESTART_TICKS_MAX = 2000, /* queries of the restart test */
};

/* --- the loop --- */

static struct event_base *t_base;

static uint64_t t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Run the loop in short slices until *flag is true or `ms` passed. Returns *flag. */
static bool t_run_until(const bool *flag, int ms)
{
    uint64_t deadline = t_now_ms() + (uint64_t)ms;
    while (!*flag && t_now_ms() < deadline) {
        struct timeval tv = {0, T_SLICE_MS * 1000};
        event_base_loopexit(t_base, &tv);
        event_base_dispatch(t_base);
    }
    return *flag;
}

static void t_run_for(int ms)
{
    bool never = false;
    t_run_until(&never, ms);
}

/* --- answers --- */

struct t_ans {
    int called;          /* times the callback ran (must end at 1) */
    int status;          /* its status */
    bool had_res;        /* a PGresult came with it */
    char sqlstate[6];    /* cm_pg_sqlstate(res) */
    int nfields;         /* fields of row 0 copied below */
    char val[4][256];    /* row 0, byte-exact (text format) */
    int len[4];          /* their lengths */
    bool isnull[4];      /* SQL NULL */
    int seq;             /* order of arrival among all answers */
    uint64_t t_issued;   /* when the query was made */
    uint64_t t_answered; /* when the callback ran */
    bool done;           /* called at least once */
};

static bool t_in_query; /* true while cm_pg_query() runs */
static int t_cb_inside; /* callbacks that ran inside cm_pg_query() (must stay 0) */
static int t_seq;       /* arrival counter */

static void t_on_ans(int status, const PGresult *res, void *arg)
{
    struct t_ans *a = arg;
    if (t_in_query)
        t_cb_inside++;
    a->called++;
    a->done = true;
    a->status = status;
    a->had_res = res != NULL;
    a->seq = t_seq++;
    a->t_answered = t_now_ms();
    snprintf(a->sqlstate, sizeof(a->sqlstate), "%s", cm_pg_sqlstate(res));
    if (res && status == CM_OK && PQntuples(res) > 0) {
        a->nfields = CM_MIN(PQnfields(res), 4);
        for (int i = 0; i < a->nfields; i++) {
            a->isnull[i] = PQgetisnull(res, 0, i);
            a->len[i] = CM_MIN(PQgetlength(res, 0, i), 255);
            memcpy(a->val[i], PQgetvalue(res, 0, i), (size_t)a->len[i]);
            a->val[i][a->len[i]] = '\0';
        }
    }
}

static void t_query(cm_pg_t *pg, const char *sql, int n, const char *const *params, int tmo,
                    struct t_ans *a)
{
    memset(a, 0, sizeof(*a));
    a->t_issued = t_now_ms();
    t_in_query = true;
    cm_pg_query(pg, sql, n, params, tmo, t_on_ans, a);
    t_in_query = false;
}

/* Make one query and wait for its answer. */
static int t_sync(cm_pg_t *pg, const char *sql, int n, const char *const *params, struct t_ans *a)
{
    t_query(pg, sql, n, params, 0, a);
    t_run_until(&a->done, T_ANSWER_WAIT_MS);
    return a->done ? a->status : -1;
}

/* --- state --- */

struct t_state {
    char seq[64];       /* 'u' and 'd' in the order the callback reported them */
    int n;              /* length of seq */
    bool up, down;      /* latest report */
    cm_pg_t *pg;        /* to query from the down callback */
    struct t_ans in_cb; /* a query made inside the "down" callback */
    bool query_on_down; /* make that query */
};

static void t_on_state(bool up, void *arg)
{
    struct t_state *s = arg;
    if (s->n < (int)sizeof(s->seq) - 1)
        s->seq[s->n++] = up ? 'u' : 'd';
    s->up = up;
    s->down = !up;
    if (!up && s->query_on_down) {
        s->query_on_down = false;
        t_query(s->pg, "SELECT 1", 0, NULL, 0, &s->in_cb);
    }
}

/* --- tests --- */

static void test_params(cm_pg_t *pg)
{
    struct t_ans a;
    is_int(t_sync(pg, "CREATE TABLE cm_pg_t1 (x int)", 0, NULL, &a), CM_OK, "create table");
    const char *quoted = "it's \"quoted\" \\ and 'more''";
    const char *drop = "x'); DROP TABLE cm_pg_t1; --";
    const char *utf8 = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x8e\xac";
    const char *params[] = {quoted, drop, utf8, NULL};
    t_sync(pg, "SELECT $1::text, $2::text, $3::text, $4::text", 4, params, &a);
    is_int(a.status, CM_OK, "parameterised select answered CM_OK");
    ok(a.had_res && a.nfields == 4, "four fields");
    ok(a.len[0] == (int)strlen(quoted) && memcmp(a.val[0], quoted, strlen(quoted)) == 0,
       "quotes and backslash round-trip byte-exact");
    ok(a.len[1] == (int)strlen(drop) && memcmp(a.val[1], drop, strlen(drop)) == 0,
       "'; DROP TABLE' round-trips as a value");
    ok(a.len[2] == (int)strlen(utf8) && memcmp(a.val[2], utf8, strlen(utf8)) == 0,
       "UTF-8 round-trips byte-exact");
    ok(a.isnull[3], "NULL parameter is SQL NULL");
    t_sync(pg, "SELECT count(*) FROM cm_pg_t1", 0, NULL, &a);
    is_int(a.status, CM_OK, "the table was not dropped");
    /* The same value used where it would matter: an INSERT and a WHERE. */
    const char *ins[] = {drop};
    is_int(t_sync(pg, "CREATE TABLE cm_pg_t2 (s text)", 0, NULL, &a), CM_OK, "create t2");
    is_int(t_sync(pg, "INSERT INTO cm_pg_t2 VALUES ($1)", 1, ins, &a), CM_OK, "insert payload");
    t_sync(pg, "SELECT count(*) FROM cm_pg_t2 WHERE s = $1", 1, ins, &a);
    is_str(a.val[0], "1", "payload stored and found as data");
    t_sync(pg, "SELECT to_regclass('cm_pg_t1') IS NOT NULL", 0, NULL, &a);
    is_str(a.val[0], "t", "cm_pg_t1 still exists");
    /* Two statements in one string are refused: no stacked queries. */
    t_sync(pg, "SELECT 1; SELECT 2", 0, NULL, &a);
    is_int(a.status, CM_ERR_DB, "two statements in one query are refused");
    is_int(a.called, 1, "callback called once");
}

/* A parameter far larger than the socket buffer: PQflush returns 1 and the write event has
 * to finish sending. */
static void test_large_param(cm_pg_t *pg)
{
    enum { BIG = 4 * 1024 * 1024 };
    char *big = cm_malloc(BIG + 1);
    for (int i = 0; i < BIG; i++)
        big[i] = (char)('a' + i % 26);
    big[BIG] = '\0';
    const char *p[] = {big};
    struct t_ans a;
    t_sync(pg,
           "SELECT length($1), md5($1) = md5(repeat('abcdefghijklmnopqrstuvwxyz', "
           "4194304 / 26) || left('abcdefghijklmnopqrstuvwxyz', 4194304 % 26))",
           1, p, &a);
    cm_free(big);
    is_int(a.status, CM_OK, "4 MiB parameter sent (PQflush until 0)");
    is_str(a.val[0], "4194304", "server saw every byte");
    is_str(a.val[1], "t", "and the same bytes");
}

static void test_sql_error(cm_pg_t *pg)
{
    struct t_ans a;
    t_sync(pg, "SELECT * FROM cm_pg_no_such_table", 0, NULL, &a);
    is_int(a.status, CM_ERR_DB, "missing table gives CM_ERR_DB");
    ok(a.had_res, "with a result");
    is_str(a.sqlstate, "42P01", "SQLSTATE 42P01");
    t_sync(pg, "SELECT 1/0", 0, NULL, &a);
    is_str(a.sqlstate, "22012", "division by zero: 22012");
    t_sync(pg, "SELECT 42", 0, NULL, &a);
    is_int(a.status, CM_OK, "connection usable after errors");
    is_str(a.val[0], "42", "value");
    is_str(cm_pg_sqlstate(NULL), "", "cm_pg_sqlstate(NULL) is \"\"");
}

static void test_fifo(cm_pg_t *pg)
{
    static struct t_ans ans[T_FIFO_N];
    char vals[T_FIFO_N][16];
    int first = t_seq;
    for (int i = 0; i < T_FIFO_N; i++) {
        snprintf(vals[i], sizeof(vals[i]), "%d", i);
        const char *p[] = {vals[i]};
        t_query(pg, "SELECT $1::int", 1, p, 0, &ans[i]);
    }
    bool none_yet = true;
    for (int i = 0; i < T_FIFO_N; i++)
        none_yet = none_yet && !ans[i].done;
    ok(none_yet, "no callback ran inside cm_pg_query");
    bool all = false;
    uint64_t deadline = t_now_ms() + T_ANSWER_WAIT_MS;
    while (!all && t_now_ms() < deadline) {
        t_run_for(10);
        all = true;
        for (int i = 0; i < T_FIFO_N; i++)
            all = all && ans[i].done;
    }
    ok(all, "100 queued queries all answered");
    int bad = 0;
    for (int i = 0; i < T_FIFO_N; i++) {
        if (ans[i].called != 1 || ans[i].status != CM_OK || ans[i].seq != first + i ||
            strtol(ans[i].val[0], NULL, 10) != i)
            bad++;
    }
    is_int(bad, 0, "each answered once, CM_OK, in order, with its own value");
}

static void test_busy(const char *url)
{
    struct cm_pg_opts o = {.conninfo = url, .queue_max = 4};
    cm_pg_t *pg = cm_pg_new(t_base, &o);
    struct t_ans a;
    t_sync(pg, "SELECT 1", 0, NULL, &a);
    is_int(a.status, CM_OK, "busy: connected");
    struct t_ans ans[10];
    for (int i = 0; i < 10; i++)
        t_query(pg, "SELECT pg_sleep(0.01)", 0, NULL, 0, &ans[i]);
    ok(!ans[4].done, "CM_ERR_BUSY is not delivered inside cm_pg_query");
    bool all = false;
    uint64_t deadline = t_now_ms() + T_ANSWER_WAIT_MS;
    while (!all && t_now_ms() < deadline) {
        t_run_for(10);
        all = true;
        for (int i = 0; i < 10; i++)
            all = all && ans[i].done;
    }
    int okn = 0, busy = 0;
    for (int i = 0; i < 10; i++) {
        okn += ans[i].status == CM_OK && ans[i].called == 1;
        busy += ans[i].status == CM_ERR_BUSY && ans[i].called == 1 && !ans[i].had_res;
    }
    is_int(okn, 4, "queue_max 4: four queries answered CM_OK");
    is_int(busy, 6, "the other six CM_ERR_BUSY");
    cm_pg_destroy(&pg);
    ok(pg == NULL, "destroy nulls the pointer");
}

static void test_timeout(cm_pg_t *pg, struct t_state *st)
{
    struct t_ans a, b;
    int nstate = st->n;
    t_query(pg, "SELECT pg_sleep(30)", 0, NULL, 200, &a);
    t_run_until(&a.done, T_ANSWER_WAIT_MS);
    is_int(a.status, CM_ERR_TIMEOUT, "pg_sleep(30) with 200 ms: CM_ERR_TIMEOUT");
    uint64_t took = a.t_answered - a.t_issued;
    ok(took >= 190 && took < 1000, "answered after about 200 ms");
    diag("timeout answered after %" PRIu64 " ms", took);
    t_sync(pg, "SELECT 7", 0, NULL, &b);
    is_int(b.status, CM_OK, "next query succeeds on the reopened connection");
    is_str(b.val[0], "7", "with its own value");
    is_int(st->n, nstate, "a timeout is not reported as an outage");
    ok(cm_pg_is_up(pg), "still up");

    /* A result that arrives after the deadline is never delivered. */
    t_query(pg, "SELECT pg_sleep(0.5)", 0, NULL, 200, &a);
    t_run_for(1200);
    is_int(a.called, 1, "late result: the callback ran once");
    is_int(a.status, CM_ERR_TIMEOUT, "late result: CM_ERR_TIMEOUT");

    /* The server gave up the abandoned query (client_connection_check_interval), long
     * before statement_timeout (60 s) would have stopped it. */
    bool gone = false;
    uint64_t deadline = t_now_ms() + 5000;
    while (!gone && t_now_ms() < deadline) {
        t_sync(pg,
               "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' "
               "AND pid <> pg_backend_pid()",
               0, NULL, &b);
        gone = b.status == CM_OK && strcmp(b.val[0], "0") == 0;
        if (!gone)
            t_run_for(200);
    }
    ok(gone, "the server abandoned the timed-out query");

    /* A queued query times out in the queue, behind a slow one. */
    t_query(pg, "SELECT pg_sleep(0.6)", 0, NULL, 2000, &a);
    t_query(pg, "SELECT 1", 0, NULL, 150, &b);
    t_run_until(&b.done, T_ANSWER_WAIT_MS);
    is_int(b.status, CM_ERR_TIMEOUT, "queued query times out in the queue");
    ok(!a.done, "while the one in flight still runs");
    t_run_until(&a.done, T_ANSWER_WAIT_MS);
    is_int(a.status, CM_OK, "the slow one then succeeds");
}

/* Background `pgcluster.py restart` while the loop runs, with a query every 20 ms. */
struct t_ticker {
    cm_pg_t *pg;                           /* connection under test */
    struct event *ev;                      /* the 20 ms timer */
    struct t_ans ans[T_RESTART_TICKS_MAX]; /* one per tick */
    int n;                                 /* ticks so far */
};

static void t_on_tick(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct t_ticker *t = arg;
    if (t->n < T_RESTART_TICKS_MAX) {
        t_query(t->pg, "SELECT 1", 0, NULL, 3000, &t->ans[t->n]);
        t->n++;
    }
}

static pid_t t_spawn_ctl(const struct t_cluster *c, const char *cmd)
{
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        execl(t_python(), t_python(), t_script, cmd, c->dir, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void test_restart(struct t_cluster *c, cm_pg_t *pg, struct t_state *st)
{
    static struct t_ticker t;
    memset(&t, 0, sizeof(t));
    t.pg = pg;
    st->n = 0;
    st->seq[0] = '\0';
    st->query_on_down = true;
    struct timeval every = {0, 20 * 1000};
    t.ev = event_new(t_base, -1, EV_PERSIST, t_on_tick, &t);
    event_add(t.ev, &every);

    pid_t child = t_spawn_ctl(c, "restart");
    int child_status = -1;
    uint64_t deadline = t_now_ms() + 40000;
    bool back = false;
    while (t_now_ms() < deadline) {
        t_run_for(20);
        if (child > 0 && waitpid(child, &child_status, WNOHANG) == child)
            child = 0;
        back = strstr(st->seq, "du") != NULL && st->up;
        if (back && child == 0)
            break;
    }
    event_free(t.ev);
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, &child_status, 0);
    }
    ok(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0, "pgcluster.py restart ran");
    ok(strncmp(st->seq, "du", 2) == 0, "state callback saw down, then up");
    diag("state sequence: %s", st->seq);
    is_int(st->in_cb.status, CM_ERR_UNAVAILABLE, "query made when down: CM_ERR_UNAVAILABLE");
    is_int(st->in_cb.called, 1, "answered once (from the loop, not inside cm_pg_query)");

    /* Let the last ticks finish, then look at every answer. */
    bool all = false;
    deadline = t_now_ms() + T_ANSWER_WAIT_MS;
    while (!all && t_now_ms() < deadline) {
        t_run_for(10);
        all = true;
        for (int i = 0; i < t.n; i++)
            all = all && t.ans[i].done;
    }
    ok(all, "every query during the restart was answered");
    int okn = 0, unavail = 0, other = 0, once = 0;
    uint64_t worst = 0;
    for (int i = 0; i < t.n; i++) {
        once += t.ans[i].called == 1;
        if (t.ans[i].status == CM_OK) {
            okn++;
        } else if (t.ans[i].status == CM_ERR_UNAVAILABLE) {
            unavail++;
            worst = CM_MAX(worst, t.ans[i].t_answered - t.ans[i].t_issued);
        } else {
            other++;
            diag("query %d: status %d", i, t.ans[i].status);
        }
    }
    diag("restart: %d queries, %d ok, %d unavailable (slowest %" PRIu64 " ms), %d other", t.n, okn,
         unavail, worst, other);
    is_int(once, t.n, "each answered exactly once");
    is_int(other, 0, "only CM_OK or CM_ERR_UNAVAILABLE");
    ok(worst < T_FAIL_FAST_MS, "failures were fast (< 1 s)");
    struct t_ans a;
    t_sync(pg, "SELECT 'after'", 0, NULL, &a);
    is_int(a.status, CM_OK, "query after reconnect succeeds");
}

static void test_stop_start(struct t_cluster *c, cm_pg_t *pg, struct t_state *st)
{
    st->n = 0;
    st->seq[0] = '\0';
    is_int(t_cluster_ctl(c, "stop"), 0, "server stopped");
    t_run_until(&st->down, T_UP_WAIT_MS);
    ok(st->down && !cm_pg_is_up(pg), "down noticed without a query");
    /* 2 s of outage: queries fail fast, and reconnect attempts keep failing. */
    int fast = 0, total = 0;
    uint64_t until = t_now_ms() + 2000;
    while (t_now_ms() < until) {
        struct t_ans a;
        t_query(pg, "SELECT 1", 0, NULL, 0, &a);
        t_run_until(&a.done, T_ANSWER_WAIT_MS);
        total++;
        fast += a.status == CM_ERR_UNAVAILABLE && a.t_answered - a.t_issued < 100;
        t_run_for(100);
    }
    is_int(fast, total, "every query during the outage: CM_ERR_UNAVAILABLE within 100 ms");
    is_int(t_cluster_ctl(c, "start"), 0, "server started again");
    uint64_t t0 = t_now_ms();
    t_run_until(&st->up, T_UP_WAIT_MS);
    ok(st->up && cm_pg_is_up(pg), "reconnected by itself");
    diag("reconnected %" PRIu64 " ms after the server was back", t_now_ms() - t0);
    ok(t_now_ms() - t0 <= 7000, "within the 5 s back-off cap (+ jitter, + slack)");
    is_str(st->seq, "du", "state: down, up");
    struct t_ans a;
    t_sync(pg, "SELECT 'again'", 0, NULL, &a);
    is_int(a.status, CM_OK, "query after reconnect succeeds");
}

static cm_pg_t *t_requery_pg;       /* connection a SHUTDOWN callback queries again */
static struct t_ans *t_requery_ans; /* where that query's answer goes */

static void t_on_shutdown_requery(int status, const PGresult *res, void *arg)
{
    t_on_ans(status, res, arg);
    if (t_requery_pg) {
        cm_pg_t *pg = t_requery_pg;
        t_requery_pg = NULL;
        cm_pg_query(pg, "SELECT 1", 0, NULL, 0, t_on_ans, t_requery_ans);
    }
}

static void test_destroy_pending(const char *url)
{
    struct cm_pg_opts o = {.conninfo = url};
    cm_pg_t *pg = cm_pg_new(t_base, &o);
    struct t_ans first;
    t_sync(pg, "SELECT 1", 0, NULL, &first);
    is_int(first.status, CM_OK, "destroy: connected");
    struct t_ans ans[6];
    t_query(pg, "SELECT pg_sleep(5)", 0, NULL, 0, &ans[0]);
    t_run_for(50); /* now in flight */
    for (int i = 1; i < 6; i++)
        t_query(pg, "SELECT 1", 0, NULL, 0, &ans[i]);
    cm_pg_destroy(&pg);
    int shut = 0;
    for (int i = 0; i < 6; i++)
        shut += ans[i].called == 1 && ans[i].status == CM_ERR_SHUTDOWN;
    is_int(shut, 6, "in flight + 5 queued: each called once with CM_ERR_SHUTDOWN");

    /* Before the first connection, and a query made from a SHUTDOWN callback. */
    struct t_ans a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    pg = cm_pg_new(t_base, &o);
    t_requery_pg = pg;
    t_requery_ans = &b;
    cm_pg_query(pg, "SELECT 1", 0, NULL, 0, t_on_shutdown_requery, &a);
    cm_pg_destroy(&pg);
    is_int(a.called, 1, "query made before connecting: answered once");
    is_int(a.status, CM_ERR_SHUTDOWN, "... with CM_ERR_SHUTDOWN");
    is_int(b.called, 1, "query made from a SHUTDOWN callback: answered once");
    is_int(b.status, CM_ERR_SHUTDOWN, "... with CM_ERR_SHUTDOWN");
}

static void test_unreachable(const char *dir)
{
    char url[256];
    snprintf(url, sizeof(url), "postgresql:///marquee?host=%s/nosock&user=postgres", dir);
    struct cm_pg_opts o = {.conninfo = url};
    cm_pg_t *pg = cm_pg_new(t_base, &o);
    struct t_ans a, b;
    t_query(pg, "SELECT 1", 0, NULL, 0, &a);
    t_run_until(&a.done, T_ANSWER_WAIT_MS);
    is_int(a.status, CM_ERR_UNAVAILABLE, "unreachable: queued first query fails after attempt");
    t_query(pg, "SELECT 1", 0, NULL, 0, &b);
    ok(!b.done, "not answered inside cm_pg_query");
    t_run_until(&b.done, T_ANSWER_WAIT_MS);
    is_int(b.status, CM_ERR_UNAVAILABLE, "then fail fast");
    ok(b.t_answered - b.t_issued < 100, "within 100 ms");
    ok(!cm_pg_is_up(pg), "not up");
    cm_pg_destroy(&pg);
}

int main(void)
{
    cm_log_init("cm_pg_test");
    signal(SIGPIPE, SIG_IGN);
    t_base = event_base_new();
    struct t_cluster c;
    if (t_cluster_start(&c) < 0) {
        ok(0, "throwaway PostgreSQL started");
        t_cluster_stop(&c);
        event_base_free(t_base);
        return done_testing();
    }
    ok(1, "throwaway PostgreSQL started");

    struct t_state st;
    memset(&st, 0, sizeof(st));
    /* statement_timeout far above every wait here, so that the server abandoning a
     * timed-out query can only come from the closed connection. */
    struct cm_pg_opts o = {
        .conninfo = c.url, .app_name = "cm_pg_test", .statement_timeout_ms = 60000};
    cm_pg_t *pg = cm_pg_new(t_base, &o);
    st.pg = pg;
    cm_pg_set_state_cb(pg, t_on_state, &st);
    ok(!cm_pg_is_up(pg), "not up before the loop runs");
    struct t_ans a;
    t_query(pg, "SELECT current_setting('application_name')", 0, NULL, 0, &a);
    ok(!a.done, "query before connecting is queued");
    t_run_until(&a.done, T_ANSWER_WAIT_MS);
    is_int(a.status, CM_OK, "and answered once connected");
    is_str(a.val[0], "cm_pg_test", "application_name set");
    t_sync(pg,
           "SELECT current_setting('statement_timeout'), "
           "current_setting('client_connection_check_interval')",
           0, NULL, &a);
    is_str(a.val[0], "1min", "statement_timeout set from the options");
    is_str(a.val[1], "1s", "client_connection_check_interval set");
    ok(cm_pg_is_up(pg) && strcmp(st.seq, "u") == 0, "state callback: up");

    test_params(pg);
    test_large_param(pg);
    test_sql_error(pg);
    test_fifo(pg);
    test_busy(c.url);
    test_timeout(pg, &st);
    test_restart(&c, pg, &st);
    test_stop_start(&c, pg, &st);
    test_destroy_pending(c.url);
    test_unreachable(c.dir);

    cm_pg_destroy(&pg);
    is_int(t_cb_inside, 0, "no callback ever ran inside cm_pg_query");
    t_cluster_stop(&c);
    event_base_free(t_base);
    return done_testing();
}
