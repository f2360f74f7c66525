/* SPDX-License-Identifier: MIT
 * cm_audit: the sending end of the audit log. A daemon (first the gateway) pushes security
 * events to the auth daemon's PULL socket (AUDIT_ENDPOINT, tcp://127.0.0.1:5561), which writes
 * them to the audit_log table (services/auth/auth_audit.h).
 *
 * Fire and forget: an emit never blocks and never slows a request. Events wait in the ZMQ_PUSH
 * socket's queue (CM_AUDIT_HWM of them, so memory is bounded) while auth is away, and go out
 * when it is back; when that queue is full the event is dropped and counted. ZMQ_IMMEDIATE
 * is off, so the queue exists before the first connection succeeds; ZMQ_LINGER is
 * CM_AUDIT_LINGER_MS, so stopping waits at most that long for the last events.
 *
 * Wire: proto/README.md's envelope without a routing frame, i.e. frame 1 the header
 * [AUTH_PROTO, AUTH_VERSION, AUTH_MSG_AUDIT, rid, 0] and frame 2 the AUDIT body
 * (proto/auth.toml). The detail and the target go through cm_redact() before they leave.
 * Threads: everything runs on the loop's thread. */
#ifndef CM_AUDIT_H
#define CM_AUDIT_H
#include <stdarg.h>
#include <stdint.h>
#include "cm_prelude.h"

/* AUDIT.severity; the audit_log table says 'info', 'warning', 'critical'. */
enum cm_audit_severity {
    CM_AUDIT_INFO = 0,     /* a normal event worth keeping (a login, a user created) */
    CM_AUDIT_WARNING = 1,  /* something refused (a failed login, a forbidden call) */
    CM_AUDIT_CRITICAL = 2, /* an attack or a breach (refresh token reuse) */
};

enum {
    CM_AUDIT_HWM = 10000,           /* events queued toward auth before emit drops */
    CM_AUDIT_LINGER_MS = 500,       /* destroy waits at most this long for queued events */
    CM_AUDIT_WARN_EVERY_MS = 10000, /* at most one "dropping" warning per this period */
};

typedef struct cm_audit cm_audit_t; /* opaque: one PUSH socket and its counters */

struct cm_audit_stats {
    uint64_t sent;    /* events handed to the socket */
    uint64_t dropped; /* events lost: queue full (auth away too long) or not encodable */
};

/* Create the sender: a ZMQ_PUSH socket on `zctx` (borrowed, must outlive it), watched by
 * `base` (borrowed), connected to `endpoint` (tcp://host:port or ipc://path; copied).
 * `service` is the name written in every event's service column (copied, cut to 32 bytes).
 * Connecting happens in the background: auth need not be up. Caller owns the result; free it
 * with cm_audit_destroy(). NULL with a sentence in `err` when the endpoint is refused. */
cm_audit_t *cm_audit_new(struct event_base *base, void *zctx, const char *endpoint,
                         const char *service, char *err, size_t errlen);

/* The same with a queue of `hwm` events instead of CM_AUDIT_HWM (tests; hwm >= 1). */
cm_audit_t *cm_audit_new_hwm(struct event_base *base, void *zctx, const char *endpoint,
                             const char *service, int hwm, char *err, size_t errlen);

/* Close the socket and free *self_p; sets it to NULL. NULL-safe. Events still queued keep
 * going out for at most CM_AUDIT_LINGER_MS: zmq_ctx_term() waits that long at most, this call
 * not at all. Call it before the ZeroMQ context is terminated. */
void cm_audit_destroy(cm_audit_t **self_p);

/* Send one event, timestamped now. `event` is its name (e.g. "login_failed", at most 48
 * bytes), `severity` a cm_audit_severity (anything above is critical), `actor_id` the user
 * acting (0: none), `target` what was acted on (e.g. "POST /api/users", at most 256 bytes),
 * `ip` the client address, `rid` the request id (0: none), and `fmt`... the detail, a sentence
 * of at most 512 bytes (NULL: none). String arguments may be NULL (""); they are borrowed for
 * the call only. Over-long strings are cut, invalid UTF-8 becomes '?', and the target and the
 * detail are redacted (cm_redact) before anything leaves the process.
 * Never blocks: when the queue is full the event is dropped and counted (a warning at most
 * every CM_AUDIT_WARN_EVERY_MS). `self` NULL is a no-op, so code may emit before (or
 * without) audit being configured. */
void cm_audit_emit(cm_audit_t *self, const char *event, int severity, uint64_t actor_id,
                   const char *target, const char *ip, uint64_t rid, const char *fmt, ...)
    CM_PRINTF(8, 9);

/* cm_audit_emit() with a va_list, for wrappers. */
void cm_audit_vemit(cm_audit_t *self, const char *event, int severity, uint64_t actor_id,
                    const char *target, const char *ip, uint64_t rid, const char *fmt, va_list ap)
    CM_PRINTF(8, 0);

/* The counters so far (all zero for NULL). */
struct cm_audit_stats cm_audit_stats(const cm_audit_t *self);

#endif
