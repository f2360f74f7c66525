/* SPDX-License-Identifier: MIT
 * cm_pg: asynchronous libpq in the libevent loop. See cm_pg.h for the contract.
 *
 * The connection is a small state machine:
 *
 *   DOWN --(retry timer)--> CONNECTING --(PQconnectPoll OK)--> UP
 *     ^                        |  (failed or connect timer)       |  (lost, or a query timed out)
 *     +------------------------+----------------------------------+
 *
 * Two flags sit beside it. `up` is what the state callback reports. `outage` is set when a
 * connection was lost or an attempt failed, and cleared when a connection is up again; while
 * it is set, cm_pg_query() fails fast instead of queueing (a database that is down must not
 * make callers wait for their deadlines). A query timeout closes the connection on purpose
 * and reconnects at once without setting either flag: that is not an outage.
 *
 * Every callback is called from an event of the loop: cm_pg_query() only queues and wakes the
 * `kick` event, and failures decided inside cm_pg_query() (busy, unavailable) go to the
 * `done` list, which the kick event delivers. cm_pg_query() therefore never touches the
 * connection, so a callback that makes a new query cannot disturb the code that called it.
 *
 * No re-preparation after a reconnect: queries go out with PQsendQueryParams, i.e. as unnamed
 * statements parsed anew each time, so a new session has nothing to prepare again and
 * SQLSTATE 26000 ("prepared statement does not exist") cannot happen (D-02). */
#include "cm.h"
#include "cm_pg.h"
#include <sys/queue.h>

#define CM_PG_TAG 0xcb0f0c01u
#define CM_PG_REQ_TAG 0xcb0f0c02u

enum {
    S_CONNECT_TIMEOUT_S = 5,       /* default opts.connect_timeout_s */
    S_CHECK_INTERVAL_MS = 1000,    /* client_connection_check_interval: how soon the server
                                      notices that we closed a connection mid-query */
    S_KEEPALIVES_IDLE_S = 10,      /* TCP keepalive: first probe after this idle time */
    S_KEEPALIVES_INTERVAL_S = 5,   /* between probes */
    S_KEEPALIVES_COUNT = 3,        /* unanswered probes before the kernel gives up */
    S_TCP_USER_TIMEOUT_MS = 10000, /* unacknowledged data for this long kills the connection */
    S_ERRMSG_MAX = 256,            /* the part of a libpq error message we keep for a log */
    S_BACKOFF_JITTER_PCT = 25,     /* each reconnect delay is moved by up to +-25 % */
};

enum s_state {
    S_DOWN,       /* no connection; the retry timer may be pending */
    S_CONNECTING, /* PQconnectPoll in progress */
    S_UP,         /* connected: idle or one query in flight */
};

enum s_where {
    S_IN_QUEUE,    /* waiting for the connection; its timer runs */
    S_IN_FLIGHT,   /* sent; its timer runs */
    S_IN_DONE,     /* decided inside cm_pg_query(), delivered by the kick event; no timer */
    S_IN_CALLBACK, /* detached, being answered */
};

/* One query from cm_pg_query() to its callback. */
struct s_req {
    uint32_t tag;                   /* CM_PG_REQ_TAG while alive */
    TAILQ_ENTRY(s_req) link;        /* in `queue` or `done` */
    cm_pg_t *owner;                 /* the connection it belongs to */
    enum s_where where;             /* which list or slot holds it */
    int status;                     /* S_IN_DONE: the status to deliver */
    int timeout_ms;                 /* its deadline, from cm_pg_query() */
    const char *sql;                /* borrowed: a constant of the program */
    int nparams;                    /* number of params */
    char *params[CM_PG_PARAMS_MAX]; /* owned copies; NULL = SQL NULL */
    struct event *timer;            /* deadline; NULL for S_IN_DONE */
    cm_pg_result_fn *cb;            /* the one callback */
    void *arg;                      /* borrowed, given back to cb */
};

TAILQ_HEAD(s_req_list, s_req);

struct cm_pg {
    uint32_t tag;             /* CM_PG_TAG while alive */
    struct event_base *base;  /* borrowed: the process's loop */
    char *conninfo;           /* owned copy; may hold a password, never logged */
    char *app_name;           /* owned copy */
    char connect_timeout[16]; /* connect_timeout_s as text, for libpq */
    char options[96];         /* "-c statement_timeout=... -c ..." */
    int connect_timeout_s;    /* our own bound on a connection attempt */
    int query_timeout_ms;     /* default deadline of a query */
    int reconnect_min_ms;     /* first back-off delay */
    int reconnect_max_ms;     /* back-off cap */
    int queue_max;            /* queries waiting behind the one in flight */

    PGconn *conn;                /* owned; NULL when S_DOWN */
    enum s_state state;          /* see the diagram at the top */
    struct event *io_ev;         /* S_CONNECTING: one-shot wait for PQconnectPoll's wish */
    struct event *rd_ev;         /* S_UP: the socket is readable (persistent, also idle) */
    struct event *wr_ev;         /* S_UP: writable; added only while PQflush has data left */
    bool flushing;               /* wr_ev is added */
    struct event *connect_timer; /* bounds S_CONNECTING (libpq ignores connect_timeout in
                                    PQconnectPoll: the application must enforce it) */
    struct event *retry_timer;   /* S_DOWN -> S_CONNECTING */
    struct event *kick_ev;       /* activated by cm_pg_query(): deliver `done`, send next */

    struct s_req *inflight;  /* the query sent, or NULL */
    PGresult *pending_res;   /* the in-flight query's result kept until PQgetResult
                                returns NULL (its first error, else its last result) */
    struct s_req_list queue; /* FIFO of queries waiting for the connection */
    int nqueued;             /* length of `queue` */
    struct s_req_list done;  /* answers decided inside cm_pg_query() */

    bool up;                  /* reported state (cm_pg_is_up, state callback) */
    bool outage;              /* lost or failed; queries fail fast until connected */
    bool ever_connected;      /* for the log line of the first connection */
    bool closing;             /* cm_pg_destroy() runs */
    int attempts;             /* failed connection attempts in a row (back-off) */
    uint64_t outage_start_ms; /* monotonic time the outage began */
    uint32_t rng;             /* xorshift32 state for back-off jitter */
    int cb_depth;             /* > 0 while a user callback runs (destroy check) */
    cm_pg_state_fn *state_fn; /* state callback, or NULL */
    void *state_arg;          /* borrowed, given back to state_fn */
};

/* --- small helpers --- */

static uint32_t s_rand(cm_pg_t *self)
{
    uint32_t x = self->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    self->rng = x;
    return x;
}

/* The first line of a libpq message, for one log line. libpq's connection and query errors
 * name the host or socket but never carry the password or the rest of the conninfo. */
void cm_pg_message_line(char *out, size_t size, const char *msg)
{
    if (!msg || !*msg)
        msg = "unknown error";
    size_t n = strcspn(msg, "\n");
    if (n >= size)
        n = size - 1;
    memcpy(out, msg, n);
    out[n] = '\0';
}

/* SQLSTATEs that mean the session is gone: class 08 (connection exception) and the
 * administrator/crash shutdowns of class 57 (57P01 admin_shutdown, 57P02 crash_shutdown,
 * 57P03 cannot_connect_now). */
static bool s_is_conn_error(const char *sqlstate)
{
    return strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
           strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0;
}

static void s_on_notice(void *arg, const char *message)
{
    CM_UNUSED(arg);
    size_t n = strlen(message);
    while (n > 0 && message[n - 1] == '\n')
        n--;
    cm_log_d("pg", 0, "server notice: %.*s", (int)n, message);
}

/* --- requests --- */

static void s_req_free(struct s_req *req)
{
    for (int i = 0; i < req->nparams; i++)
        cm_free(req->params[i]);
    if (req->timer)
        event_free(req->timer);
    req->tag = 0xdeadbeef;
    cm_free(req);
}

/* Answer a detached request and free it. `res` stays the caller's. */
static void s_finish(cm_pg_t *self, struct s_req *req, int status, const PGresult *res)
{
    assert(req->tag == CM_PG_REQ_TAG);
    req->where = S_IN_CALLBACK;
    if (req->timer)
        event_del(req->timer);
    self->cb_depth++;
    req->cb(status, res, req->arg);
    self->cb_depth--;
    s_req_free(req);
}

/* Answer the query in flight and every queued one with `status`. The lists are detached
 * first: a callback that queries again adds to the fresh (empty) queue, or to `done`. */
static void s_fail_all(cm_pg_t *self, int status)
{
    struct s_req_list list = TAILQ_HEAD_INITIALIZER(list);
    struct s_req *req = self->inflight;
    self->inflight = NULL;
    if (req)
        TAILQ_INSERT_TAIL(&list, req, link);
    TAILQ_CONCAT(&list, &self->queue, link);
    self->nqueued = 0;
    while ((req = TAILQ_FIRST(&list)) != NULL) {
        TAILQ_REMOVE(&list, req, link);
        s_finish(self, req, status, NULL);
    }
}

static void s_set_up(cm_pg_t *self, bool up)
{
    if (self->up == up)
        return;
    self->up = up;
    if (self->state_fn) {
        self->cb_depth++;
        self->state_fn(up, self->state_arg);
        self->cb_depth--;
    }
}

/* --- the connection --- */

static void s_connect_start(cm_pg_t *self);
static void s_pump(cm_pg_t *self);

/* Drop the connection and its events. Events are freed before PQfinish closes the socket, so
 * libevent never watches a closed (and perhaps reused) descriptor. */
static void s_close_conn(cm_pg_t *self)
{
    if (self->io_ev) {
        event_free(self->io_ev);
        self->io_ev = NULL;
    }
    if (self->rd_ev) {
        event_free(self->rd_ev);
        self->rd_ev = NULL;
    }
    if (self->wr_ev) {
        event_free(self->wr_ev);
        self->wr_ev = NULL;
    }
    self->flushing = false;
    if (self->connect_timer)
        event_del(self->connect_timer);
    if (self->pending_res) {
        PQclear(self->pending_res);
        self->pending_res = NULL;
    }
    if (self->conn) {
        /* Non-blocking: sends Terminate if it fits in the socket buffer, then closes. */
        PQfinish(self->conn);
        self->conn = NULL;
    }
    self->state = S_DOWN;
}

/* Arm the retry timer: min * 2^attempts (failed attempts in a row), capped, moved by up to +-25 %
 * so that the replicas of a service do not all knock at the same instant after a database restart.
 */
static void s_schedule_retry(cm_pg_t *self, bool immediately)
{
    int delay = 0;
    if (!immediately) {
        int shift = self->attempts > 16 ? 16 : self->attempts;
        long base = (long)self->reconnect_min_ms << shift;
        if (base > self->reconnect_max_ms)
            base = self->reconnect_max_ms;
        long span = base * S_BACKOFF_JITTER_PCT / 100;
        long d = base - span + (long)(s_rand(self) % (uint32_t)(2 * span + 1));
        delay = (int)CM_MAX(CM_MIN(d, (long)self->reconnect_max_ms), (long)self->reconnect_min_ms);
    }
    struct timeval tv = cm_tv_ms(delay);
    evtimer_add(self->retry_timer, &tv);
}

/* A connection attempt failed (`msg` is libpq's message, read before the connection is
 * closed). Fails what waited for this attempt and schedules the next. */
static void s_connect_failed(cm_pg_t *self, const char *msg)
{
    char line[S_ERRMSG_MAX];
    cm_pg_message_line(line, sizeof(line), msg);
    s_close_conn(self);
    if (!self->outage) {
        self->outage = true;
        self->outage_start_ms = cm_mono_ms();
        cm_log_w("pg", 0, "cannot connect to the database: %s; retrying", line);
    } else {
        cm_log_d("pg", 0, "connection attempt %d failed: %s", self->attempts + 1, line);
    }
    self->attempts++;
    s_schedule_retry(self, false);
    s_set_up(self, false);
    s_fail_all(self, CM_ERR_UNAVAILABLE);
}

/* An established connection is gone (server restart, network, fatal error). */
static void s_lost(cm_pg_t *self, const char *msg)
{
    char line[S_ERRMSG_MAX];
    cm_pg_message_line(line, sizeof(line), msg);
    s_close_conn(self);
    self->outage = true;
    self->outage_start_ms = cm_mono_ms();
    self->attempts = 0;
    cm_log_w("pg", 0, "connection to the database lost: %s; reconnecting", line);
    s_schedule_retry(self, false);
    s_set_up(self, false);
    s_fail_all(self, CM_ERR_UNAVAILABLE);
}

static void s_on_connect_io(evutil_socket_t fd, short what, void *arg);

/* Wait for what PQconnectPoll asked for. The socket may change between calls (libpq moves to
 * the next host or address, or retries without SSL), so the event is made anew each time. */
static void s_connect_wait(cm_pg_t *self, PostgresPollingStatusType want)
{
    int fd = PQsocket(self->conn);
    if (fd < 0) {
        s_connect_failed(self, PQerrorMessage(self->conn));
        return;
    }
    if (self->io_ev)
        event_free(self->io_ev);
    short what = want == PGRES_POLLING_READING ? EV_READ : EV_WRITE;
    self->io_ev = event_new(self->base, fd, what, s_on_connect_io, self);
    if (!self->io_ev || event_add(self->io_ev, NULL) < 0) {
        s_connect_failed(self, "cannot watch the database socket");
        return;
    }
}

static void s_on_read(evutil_socket_t fd, short what, void *arg);
static void s_on_write(evutil_socket_t fd, short what, void *arg);

static void s_connected(cm_pg_t *self)
{
    if (self->io_ev) {
        event_free(self->io_ev);
        self->io_ev = NULL;
    }
    event_del(self->connect_timer);
    int fd = PQsocket(self->conn);
    if (fd < 0 || PQsetnonblocking(self->conn, 1) != 0) {
        s_connect_failed(self, PQerrorMessage(self->conn));
        return;
    }
    self->rd_ev = event_new(self->base, fd, EV_READ | EV_PERSIST, s_on_read, self);
    self->wr_ev = event_new(self->base, fd, EV_WRITE | EV_PERSIST, s_on_write, self);
    if (!self->rd_ev || !self->wr_ev || event_add(self->rd_ev, NULL) < 0) {
        s_connect_failed(self, "cannot watch the database socket");
        return;
    }
    self->state = S_UP;
    if (self->outage) {
        cm_log_n("pg", 0, "connection to the database is back after %" PRIu64 " ms",
                 cm_mono_ms() - self->outage_start_ms);
    } else if (!self->ever_connected) {
        cm_log_i("pg", 0, "connected to the database (server %d)", PQserverVersion(self->conn));
    }
    self->ever_connected = true;
    self->outage = false;
    self->attempts = 0;
    s_set_up(self, true);
    s_pump(self);
}

static void s_on_connect_io(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    cm_pg_t *self = arg;
    switch (PQconnectPoll(self->conn)) {
    case PGRES_POLLING_OK:
        s_connected(self);
        break;
    case PGRES_POLLING_READING:
        s_connect_wait(self, PGRES_POLLING_READING);
        break;
    case PGRES_POLLING_WRITING:
        s_connect_wait(self, PGRES_POLLING_WRITING);
        break;
    default:
        s_connect_failed(self, PQerrorMessage(self->conn));
        break;
    }
}

static void s_on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    cm_pg_t *self = arg;
    char msg[64];
    snprintf(msg, sizeof(msg), "no connection within %d s", self->connect_timeout_s);
    s_connect_failed(self, msg);
}

/* Start an attempt. Our settings come first and the caller's conninfo last, expanded
 * (expand_dbname = 1), so that whatever the conninfo says wins over our defaults. */
static void s_connect_start(cm_pg_t *self)
{
    static const char *const keywords[] = {
        "connect_timeout",  "keepalives",
        "keepalives_idle",  "keepalives_interval",
        "keepalives_count", "tcp_user_timeout",
        "application_name", "options",
        "dbname",           NULL,
    };
    char idle[16], interval[16], count[16], user_timeout[16];
    snprintf(idle, sizeof(idle), "%d", S_KEEPALIVES_IDLE_S);
    snprintf(interval, sizeof(interval), "%d", S_KEEPALIVES_INTERVAL_S);
    snprintf(count, sizeof(count), "%d", S_KEEPALIVES_COUNT);
    snprintf(user_timeout, sizeof(user_timeout), "%d", S_TCP_USER_TIMEOUT_MS);
    const char *const values[] = {
        self->connect_timeout, "1",           idle,           interval, count, user_timeout,
        self->app_name,        self->options, self->conninfo, NULL,
    };
    assert(self->state == S_DOWN && !self->conn);
    self->state = S_CONNECTING;
    self->conn = PQconnectStartParams(keywords, values, 1);
    if (!self->conn) {
        s_connect_failed(self, "out of memory in libpq");
        return;
    }
    PQsetNoticeProcessor(self->conn, s_on_notice, self);
    if (PQstatus(self->conn) == CONNECTION_BAD) {
        s_connect_failed(self, PQerrorMessage(self->conn));
        return;
    }
    struct timeval tv = cm_tv_ms(self->connect_timeout_s * 1000);
    evtimer_add(self->connect_timer, &tv);
    /* libpq's documented start: behave as if PQconnectPoll had returned POLLING_WRITING. */
    s_connect_wait(self, PGRES_POLLING_WRITING);
}

static void s_on_retry(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    s_connect_start(arg);
}

/* --- queries --- */

/* PQflush until it returns 0; while it returns 1 the write event stays added (and the read
 * handler flushes too, as libpq asks). Returns 0, or -1 when the connection was lost. */
static int s_flush(cm_pg_t *self)
{
    int r = PQflush(self->conn);
    if (r < 0) {
        s_lost(self, PQerrorMessage(self->conn));
        return -1;
    }
    if (r == 1 && !self->flushing) {
        event_add(self->wr_ev, NULL);
        self->flushing = true;
    } else if (r == 0 && self->flushing) {
        event_del(self->wr_ev);
        self->flushing = false;
    }
    return 0;
}

/* Send the next queued query if the connection is up and idle. */
static void s_pump(cm_pg_t *self)
{
    while (self->state == S_UP && !self->inflight && !TAILQ_EMPTY(&self->queue)) {
        struct s_req *req = TAILQ_FIRST(&self->queue);
        TAILQ_REMOVE(&self->queue, req, link);
        self->nqueued--;
        req->where = S_IN_FLIGHT;
        self->inflight = req;
        /* Text parameters, text results. Only one statement per string is accepted. */
        if (PQsendQueryParams(self->conn, req->sql, req->nparams, NULL,
                              (const char *const *)req->params, NULL, NULL, 0)) {
            s_flush(self);
            return;
        }
        if (PQstatus(self->conn) == CONNECTION_BAD) {
            s_lost(self, PQerrorMessage(self->conn));
            return;
        }
        /* Refused by libpq itself (e.g. too many parameters for the protocol): an error
         * result carrying libpq's message, and the connection stays usable. */
        self->inflight = NULL;
        PGresult *res = PQmakeEmptyPGresult(self->conn, PGRES_FATAL_ERROR);
        s_finish(self, req, CM_ERR_DB, res);
        PQclear(res);
    }
}

/* The in-flight query's results are complete (PQgetResult returned NULL): answer it. */
static void s_complete(cm_pg_t *self)
{
    struct s_req *req = self->inflight;
    PGresult *res = self->pending_res;
    self->pending_res = NULL;
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        self->inflight = NULL;
        s_finish(self, req, CM_OK, res);
        PQclear(res);
        return;
    }
    const char *sqlstate = cm_pg_sqlstate(res);
    if (s_is_conn_error(sqlstate) || PQstatus(self->conn) == CONNECTION_BAD) {
        /* The query stays in flight so s_lost() answers it CM_ERR_UNAVAILABLE. */
        char line[S_ERRMSG_MAX];
        cm_pg_message_line(line, sizeof(line),
                           res ? PQresultErrorMessage(res) : PQerrorMessage(self->conn));
        PQclear(res);
        s_lost(self, line);
        return;
    }
    if (!res)
        res = PQmakeEmptyPGresult(self->conn, PGRES_FATAL_ERROR);
    self->inflight = NULL;
    s_finish(self, req, CM_ERR_DB, res);
    PQclear(res);
}

/* Read every result libpq has complete. Keeps the first error, else the last result. */
static void s_collect(cm_pg_t *self)
{
    while (self->inflight && !PQisBusy(self->conn)) {
        PGresult *res = PQgetResult(self->conn);
        if (!res) {
            s_complete(self);
            return;
        }
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            /* Our SQL never uses COPY; a connection in COPY state cannot be used again, so
             * reopen it and answer with the result as an error. */
            struct s_req *req = self->inflight;
            self->inflight = NULL;
            cm_log_w("pg", 0, "COPY is not supported by cm_pg; reopening the connection");
            s_close_conn(self);
            s_schedule_retry(self, true);
            s_finish(self, req, CM_ERR_DB, res);
            PQclear(res);
            return;
        }
        if (!self->pending_res) {
            self->pending_res = res;
        } else if (PQresultStatus(self->pending_res) == PGRES_FATAL_ERROR) {
            PQclear(res);
        } else {
            PQclear(self->pending_res);
            self->pending_res = res;
        }
    }
}

static void s_on_read(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    cm_pg_t *self = arg;
    if (!PQconsumeInput(self->conn)) {
        /* EOF or a socket error: also how a restart is noticed while idle (the server's
         * 57P01 notice arrives first, then the close). */
        s_lost(self, PQerrorMessage(self->conn));
        return;
    }
    PGnotify *n;
    while ((n = PQnotifies(self->conn)) != NULL)
        PQfreemem(n); /* we LISTEN to nothing; drop any so they cannot pile up */
    if (PQstatus(self->conn) == CONNECTION_BAD) {
        s_lost(self, PQerrorMessage(self->conn));
        return;
    }
    if (self->flushing && s_flush(self) < 0)
        return;
    if (self->inflight)
        s_collect(self);
    if (self->state == S_UP)
        s_pump(self);
}

static void s_on_write(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    s_flush(arg);
}

static void s_on_req_timeout(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct s_req *req = arg;
    cm_pg_t *self = req->owner;
    assert(req->tag == CM_PG_REQ_TAG);
    if (req->where == S_IN_QUEUE) {
        TAILQ_REMOVE(&self->queue, req, link);
        self->nqueued--;
    } else {
        assert(req == self->inflight);
        /* Closing the connection is the only non-blocking way (with libpq 15) to make the
         * server give up: PQcancel would block on a new connection. The server notices the
         * close within client_connection_check_interval, and the answer, if any, dies with
         * the connection, so it can never reach the next query. */
        self->inflight = NULL;
        cm_log_i("pg", 0, "a query took more than %d ms; reopening the connection",
                 req->timeout_ms);
        s_close_conn(self);
        s_schedule_retry(self, true);
    }
    s_finish(self, req, CM_ERR_TIMEOUT, NULL);
}

static void s_on_kick(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    cm_pg_t *self = arg;
    struct s_req_list list = TAILQ_HEAD_INITIALIZER(list);
    TAILQ_CONCAT(&list, &self->done, link);
    struct s_req *req;
    while ((req = TAILQ_FIRST(&list)) != NULL) {
        TAILQ_REMOVE(&list, req, link);
        s_finish(self, req, req->status, NULL);
    }
    s_pump(self);
}

/* --- public API --- */

cm_pg_t *cm_pg_new(struct event_base *base, const struct cm_pg_opts *opts)
{
    assert(base && opts && opts->conninfo);
    cm_pg_t *self = cm_calloc(1, sizeof(*self));
    self->tag = CM_PG_TAG;
    self->base = base;
    self->conninfo = cm_strdup(opts->conninfo);
    self->app_name = cm_strdup(opts->app_name ? opts->app_name : "marquee");
    self->connect_timeout_s =
        opts->connect_timeout_s > 0 ? opts->connect_timeout_s : S_CONNECT_TIMEOUT_S;
    self->query_timeout_ms =
        opts->query_timeout_ms > 0 ? opts->query_timeout_ms : CM_PG_QUERY_TIMEOUT_MS;
    int statement_ms =
        opts->statement_timeout_ms > 0 ? opts->statement_timeout_ms : self->query_timeout_ms;
    self->reconnect_min_ms =
        opts->reconnect_min_ms > 0 ? opts->reconnect_min_ms : CM_PG_RECONNECT_MIN_MS;
    self->reconnect_max_ms =
        opts->reconnect_max_ms > 0 ? opts->reconnect_max_ms : CM_PG_RECONNECT_MAX_MS;
    if (self->reconnect_max_ms < self->reconnect_min_ms)
        self->reconnect_max_ms = self->reconnect_min_ms;
    self->queue_max = opts->queue_max > 0 ? opts->queue_max : CM_PG_QUEUE_MAX;
    snprintf(self->connect_timeout, sizeof(self->connect_timeout), "%d", self->connect_timeout_s);
    snprintf(self->options, sizeof(self->options),
             "-c statement_timeout=%d -c client_connection_check_interval=%d", statement_ms,
             S_CHECK_INTERVAL_MS);
    TAILQ_INIT(&self->queue);
    TAILQ_INIT(&self->done);
    self->rng = (uint32_t)cm_mono_ms() ^ ((uint32_t)getpid() << 16) ^ (uint32_t)(uintptr_t)self;
    if (self->rng == 0)
        self->rng = 0x9e3779b9u;
    self->connect_timer = evtimer_new(base, s_on_connect_timeout, self);
    self->retry_timer = evtimer_new(base, s_on_retry, self);
    self->kick_ev = event_new(base, -1, 0, s_on_kick, self);
    if (!self->connect_timer || !self->retry_timer || !self->kick_ev) {
        fprintf(stderr, "fatal: libevent cannot allocate an event\n");
        abort();
    }
    /* Connecting starts from the loop, like everything else. */
    s_schedule_retry(self, true);
    return self;
}

void cm_pg_destroy(cm_pg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cm_pg_t *self = *self_p;
    assert(self->tag == CM_PG_TAG);
    assert(self->cb_depth == 0); /* not from inside one of our callbacks */
    self->closing = true;
    s_close_conn(self);
    event_free(self->connect_timer);
    event_free(self->retry_timer);
    event_free(self->kick_ev);
    self->connect_timer = self->retry_timer = self->kick_ev = NULL;
    /* Answer everything; a query made from one of these callbacks lands in `done` (closing)
     * and is answered by this same loop. */
    for (;;) {
        struct s_req *req = self->inflight;
        self->inflight = NULL;
        if (!req && (req = TAILQ_FIRST(&self->queue)) != NULL) {
            TAILQ_REMOVE(&self->queue, req, link);
            self->nqueued--;
        }
        if (!req && (req = TAILQ_FIRST(&self->done)) != NULL)
            TAILQ_REMOVE(&self->done, req, link);
        if (!req)
            break;
        s_finish(self, req, CM_ERR_SHUTDOWN, NULL);
    }
    cm_free(self->conninfo);
    cm_free(self->app_name);
    self->tag = 0xdeadbeef;
    cm_free(self);
    *self_p = NULL;
}

void cm_pg_query(cm_pg_t *self, const char *sql, int nparams, const char *const *params,
                 int timeout_ms, cm_pg_result_fn *cb, void *arg)
{
    assert(self && self->tag == CM_PG_TAG);
    assert(sql && cb);
    assert(nparams >= 0 && nparams <= CM_PG_PARAMS_MAX && (nparams == 0 || params));
    struct s_req *req = cm_calloc(1, sizeof(*req));
    req->tag = CM_PG_REQ_TAG;
    req->owner = self;
    req->sql = sql;
    req->cb = cb;
    req->arg = arg;
    req->timeout_ms = timeout_ms > 0 ? timeout_ms : self->query_timeout_ms;

    int fail = CM_OK;
    if (self->closing)
        fail = CM_ERR_SHUTDOWN;
    else if (self->outage)
        fail = CM_ERR_UNAVAILABLE; /* fail fast: do not queue while the database is down */
    else if (self->nqueued >= self->queue_max)
        fail = CM_ERR_BUSY;
    if (fail != CM_OK) {
        req->where = S_IN_DONE;
        req->status = fail;
        TAILQ_INSERT_TAIL(&self->done, req, link);
        if (!self->closing)
            event_active(self->kick_ev, EV_TIMEOUT, 0);
        return;
    }

    req->nparams = nparams;
    for (int i = 0; i < nparams; i++)
        req->params[i] = params[i] ? cm_strdup(params[i]) : NULL;
    req->timer = evtimer_new(self->base, s_on_req_timeout, req);
    if (!req->timer) {
        fprintf(stderr, "fatal: libevent cannot allocate an event\n");
        abort();
    }
    struct timeval tv = cm_tv_ms(req->timeout_ms);
    evtimer_add(req->timer, &tv);
    req->where = S_IN_QUEUE;
    TAILQ_INSERT_TAIL(&self->queue, req, link);
    self->nqueued++;
    event_active(self->kick_ev, EV_TIMEOUT, 0);
}

bool cm_pg_is_up(const cm_pg_t *self)
{
    assert(self && self->tag == CM_PG_TAG);
    return self->up;
}

void cm_pg_set_state_cb(cm_pg_t *self, cm_pg_state_fn *fn, void *arg)
{
    assert(self && self->tag == CM_PG_TAG);
    self->state_fn = fn;
    self->state_arg = arg;
}

const char *cm_pg_sqlstate(const PGresult *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}
