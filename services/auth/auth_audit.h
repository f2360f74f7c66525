/* SPDX-License-Identifier: MIT
 * auth_audit: the audit log's sink in the auth daemon. Events arrive on a ZMQ_PULL socket
 * (AUDIT_BIND: port 5561 on every interface by default) from every daemon's cm_audit, and from auth
 * itself through auth_audit_add(); they are logged one line each (module "audit", redacted) and
 * written to the audit_log table (services/auth/sql/002_sessions_audit.sql) in batches.
 *
 * Bounded everywhere: at most AUTH_AUDIT_QUEUE_MAX events wait (when full the oldest is
 * dropped, counted, and a warning logged at most every AUTH_AUDIT_WARN_EVERY_MS), plus the
 * one batch being written. A batch is at most AUTH_AUDIT_BATCH events, written by one INSERT
 * whose single parameter is a JSON array; at most one INSERT is in flight. A batch goes when
 * AUTH_AUDIT_BATCH events are queued, or every flush period. While the database is down the
 * batch is kept and retried every flush period (logged once per outage); the writes are
 * at least once (an INSERT cut off by a lost connection may have committed, and is retried).
 * A batch the database refuses as bad data (SQLSTATE class 22 or 23) is dropped and counted,
 * so one bad event cannot stop the log.
 *
 * Threads: everything runs on the loop's thread. */
#ifndef AUTH_AUDIT_H
#define AUTH_AUDIT_H
#include <stdint.h>
#include "cm_pg.h"
#include "auth_msg.h"

enum {
    AUTH_AUDIT_QUEUE_MAX = 10000,     /* events waiting to be written */
    AUTH_AUDIT_BATCH = 200,           /* events per INSERT; this many queued starts one */
    AUTH_AUDIT_FLUSH_MS = 250,        /* default flush period */
    AUTH_AUDIT_WARN_EVERY_MS = 10000, /* at most one overflow (or malformed) warning per this */
};

/* Opaque: the PULL socket, the queue, the batch in flight. (struct auth_audit is the AUDIT
 * message of proto/gen/auth_msg.h; this is the module that stores them.) */
typedef struct auth_audit_sink auth_audit_t;

struct auth_audit_stats {
    uint64_t received;  /* events accepted (from the socket and from auth_audit_add) */
    uint64_t malformed; /* messages refused: not 2 frames, not an AUTH AUDIT header, bad body */
    uint64_t dropped;   /* events lost: queue overflow, or a batch refused as bad data */
    uint64_t written;   /* rows inserted */
    uint64_t batches;   /* INSERTs that succeeded */
    uint64_t failures;  /* INSERTs that failed and were kept for a retry */
    uint64_t pending;   /* events not written yet: queued, in flight, or kept for a retry */
};

/* Bind a ZMQ_PULL socket on `zctx` (borrowed) to `bind` (e.g. port 5561 on every interface, or
 * tcp://127.0.0.1:* in tests: see auth_audit_endpoint()), driven by `base` (borrowed), and
 * write to `pg` (borrowed: it must outlive this object, which must be destroyed first).
 * `flush_ms` <= 0 means AUTH_AUDIT_FLUSH_MS. Caller owns the result; free it with
 * auth_audit_destroy(). NULL with a sentence in `err` when the socket cannot be bound. */
auth_audit_t *auth_audit_new(struct event_base *base, void *zctx, cm_pg_t *pg, const char *bind,
                             int flush_ms, char *err, size_t errlen);

/* Free *self_p and set it to NULL; NULL-safe. Events not written yet are lost (a warning says
 * how many): call auth_audit_flush_now() first. An INSERT in flight completes without it.
 * Must not be called from inside this object's callbacks. */
void auth_audit_destroy(auth_audit_t **self_p);

/* Queue one event of auth's own, exactly as if it had arrived on the socket: strings are
 * NUL-terminated within their arrays, invalid UTF-8 becomes '?', target and detail are
 * redacted, a severity above 2 counts as critical, a ts_ms of 0 (or past the year 9999) is
 * now. `ev` is copied. `self` NULL is a no-op. */
void auth_audit_add(auth_audit_t *self, const struct auth_audit *ev);

/* Shutdown: write everything queued now, batch after batch, without waiting for the timer.
 * Returns the events still not written (auth_audit_stats().pending); run the loop and call it
 * again until it returns 0 or a deadline passes, e.g.
 *     while (auth_audit_flush_now(a) > 0 && cm_mono_ms() < end)
 *         event_base_loop(base, EVLOOP_ONCE);
 * Best effort: while the database is down, the batch is retried at the flush period only. */
uint64_t auth_audit_flush_now(auth_audit_t *self);

/* The endpoint actually bound (a wildcard port resolved). Borrowed; valid until destroy. */
const char *auth_audit_endpoint(const auth_audit_t *self);

/* The counters so far. */
struct auth_audit_stats auth_audit_stats(const auth_audit_t *self);

#endif
