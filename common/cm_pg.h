/* SPDX-License-Identifier: MIT
 * cm_pg: one PostgreSQL connection driven by the process's libevent loop, never blocking it.
 * Used by the *_store.c modules of auth and source-discovery (the only files besides common/
 * that include libpq-fe.h, through this header).
 *
 * Queries go out one at a time in FIFO order over one connection, with PQsendQueryParams:
 * parameters travel apart from the SQL text, one statement per string, so no value can ever
 * become SQL (security-and-reliability.md §5.1, D-01). The connection is watched while idle,
 * so a server restart is noticed at once; while the database is down every query fails fast
 * with CM_ERR_UNAVAILABLE, and cm_pg reconnects by itself with back-off (100 ms to 5 s, with
 * jitter; D-02). Every query has a deadline (D-03).
 *
 * Limitations: libpq resolves a host name with a blocking getaddrinfo() inside
 * PQconnectStartParams/PQconnectPoll, so give an IP address or a Unix socket directory as the
 * host where a slow resolver matters. Requires PostgreSQL >= 14 on the server
 * (client_connection_check_interval is set at connect time).
 *
 * Threads: everything runs on the loop's thread; no function here may be called elsewhere. */
#ifndef CM_PG_H
#define CM_PG_H
#include <stdbool.h>
#include <libpq-fe.h>
#include <event2/event.h>

typedef struct cm_pg cm_pg_t; /* opaque: one connection, its queue and its state */

/* Options of cm_pg_new(). A field left at 0 (or NULL) takes the default shown. */
struct cm_pg_opts {
    const char *conninfo;     /* libpq URL or key=value string (may hold a password: never
                                 logged); its settings override ours. Required. */
    const char *app_name;     /* application_name seen in pg_stat_activity; "marquee" */
    int connect_timeout_s;    /* a connection attempt gives up after this; 5 */
    int statement_timeout_ms; /* server-side statement_timeout (a query it stops ends in
                                 CM_ERR_DB, SQLSTATE 57014); query_timeout_ms */
    int query_timeout_ms;     /* deadline of a query whose timeout_ms is 0;
                                 CM_PG_QUERY_TIMEOUT_MS */
    int reconnect_min_ms;     /* first reconnect delay; CM_PG_RECONNECT_MIN_MS */
    int reconnect_max_ms;     /* reconnect back-off cap; CM_PG_RECONNECT_MAX_MS */
    int queue_max;            /* queries waiting behind the one in flight; CM_PG_QUEUE_MAX */
};

/* Called exactly once per query, always from the loop and never from inside cm_pg_query():
 *   CM_OK              + res: PGRES_TUPLES_OK or PGRES_COMMAND_OK
 *   CM_ERR_DB          + res: the server refused the query; cm_pg_sqlstate(res) says why
 *   CM_ERR_UNAVAILABLE + NULL: not connected, or the connection was lost during the query
 *                              (the outcome of a data-changing query is then unknown)
 *   CM_ERR_TIMEOUT     + NULL: the deadline passed (the query may have run on the server)
 *   CM_ERR_BUSY        + NULL: the queue was full
 *   CM_ERR_SHUTDOWN    + NULL: cm_pg_destroy() ran first
 * `res` is borrowed: valid only until the callback returns (copy what you keep). The callback
 * may call cm_pg_query() again, but not cm_pg_destroy() on the same object. */
typedef void(cm_pg_result_fn)(int status, const PGresult *res, void *arg);

/* Called when the database becomes reachable (up = true: a connection is established) or
 * unreachable (up = false: the connection was lost or a connection attempt failed). Only on
 * changes; a query timeout that forces a new connection is not a change. */
typedef void(cm_pg_state_fn)(bool up, void *arg);

/* Create the connection object and start connecting on `base` (borrowed; must outlive the
 * object). `opts` is copied (its strings too). Never fails for a reachable or unreachable
 * database alike: connecting happens on the loop. Queries made before the first attempt ends
 * are queued; after an attempt has failed they fail fast until a connection is up.
 * Caller owns the result; free it with cm_pg_destroy(). Aborts on OOM. */
cm_pg_t *cm_pg_new(struct event_base *base, const struct cm_pg_opts *opts);

/* Close the connection and free *self_p if not NULL, and set it to NULL. Every query that has
 * not been answered yet gets its callback called once, from here, with CM_ERR_SHUTDOWN (a
 * query made from such a callback too). Must not be called from a callback of this object. */
void cm_pg_destroy(cm_pg_t **self_p);

/* Queue one query and answer it later through `cb` (see cm_pg_result_fn).
 * `sql` must be a constant string of the program, never text built from input: values go in
 * `params` as $1..$n. `sql` is borrowed and must stay valid until the callback (a literal).
 * `params` holds `nparams` (0..CM_PG_PARAMS_MAX) text values, copied here; NULL is SQL NULL.
 * `timeout_ms` is the deadline from now, waiting in the queue included (0: the default).
 * A timed-out query in flight closes the connection, so the server abandons it; a result that
 * arrives late is never delivered. */
void cm_pg_query(cm_pg_t *self, const char *sql, int nparams, const char *const *params,
                 int timeout_ms, cm_pg_result_fn *cb, void *arg);

/* The last state reported to cm_pg_state_fn: true from a connection's establishment until
 * the database is seen down (a reconnect forced by a query timeout keeps it true). */
bool cm_pg_is_up(const cm_pg_t *self);

/* Set (or, with fn = NULL, clear) the state callback. `arg` is borrowed. */
void cm_pg_set_state_cb(cm_pg_t *self, cm_pg_state_fn *fn, void *arg);

/* The five-character SQLSTATE of an error result ("42P01"), or "" when there is none (NULL
 * result, a success, or an error made by libpq itself). Borrowed from `res`. */
const char *cm_pg_sqlstate(const PGresult *res);

/* The first line of a libpq message (`msg` may be NULL or empty: "unknown error"), cut to fit
 * `size` bytes, into `out`. libpq's messages name the host or socket but never the password
 * or the rest of the conninfo, so the line may be logged. */
void cm_pg_message_line(char *out, size_t size, const char *msg);

#endif
