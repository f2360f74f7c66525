/* SPDX-License-Identifier: MIT
 * auth_audit: audit events from the PULL socket and from auth itself, into audit_log.
 *
 * The events wait in a ring of AUTH_AUDIT_QUEUE_MAX slots. A flush takes up to
 * AUTH_AUDIT_BATCH of them out of the ring into one JSON array, the single parameter of one
 * INSERT ... SELECT FROM json_to_recordset($1::json): one round trip per batch, and the values
 * never become SQL text. That array is the batch from then on: while its INSERT is in flight
 * it belongs to a `struct s_flight`, and when the INSERT fails it is kept as `retry_json` and
 * sent again, unchanged, before anything newer. So the memory held is the ring plus one
 * batch, whatever the database does. */
#include "cm.h"
#include "cm_json.h"
#include "cm_redact.h"
#include "cm_zsock.h"
#include "auth_audit.h"

#define AUTH_AUDIT_TAG 0xa0d17001u

enum {
    S_MSG_MAX = 4096,     /* ZMQ_MAXMSGSIZE: an AUDIT frame is under 1 KiB */
    S_STR_MAX = 512 + 1,  /* the largest string field of struct auth_audit (detail) */
    S_ENDPOINT_MAX = 256, /* the bound endpoint */
    S_ERRLINE_MAX = 256,  /* the part of a database error we log */
};

/* The last millisecond of the year 9999: to_timestamp() refuses later times. */
static const uint64_t s_ts_max_ms = 253402300799999ull;

static const char s_sql_insert[] =
    "INSERT INTO audit_log (ts, event, severity, service, actor_id, target, ip, request_id, "
    "detail) "
    "SELECT to_timestamp(x.ts_ms / 1000.0), x.event, x.severity, x.service, "
    "NULLIF(x.actor_id, 0), x.target, x.ip, x.request_id, x.detail "
    "FROM json_to_recordset($1::json) AS x(ts_ms bigint, event text, severity text, "
    "service text, actor_id bigint, target text, ip text, request_id text, detail text)";

/* One INSERT in flight. It outlives the sink when the sink is destroyed first: cm_pg still
 * answers it (at the latest from cm_pg_destroy), and the answer then only frees it. */
struct s_flight {
    auth_audit_t *owner; /* the sink, or NULL once it is gone */
    char *json;          /* the batch: the INSERT's parameter (owned) */
    size_t n;            /* events in it */
};

struct auth_audit_sink {
    uint32_t tag;                     /* AUTH_AUDIT_TAG while alive */
    cm_pg_t *pg;                      /* borrowed */
    cm_zsock_t *zs;                   /* the PULL socket */
    struct event *ev_flush;           /* persistent timer, every flush_ms */
    int flush_ms;                     /* the flush period */
    char endpoint[S_ENDPOINT_MAX];    /* what the socket bound */
    struct auth_audit *ring;          /* AUTH_AUDIT_QUEUE_MAX slots */
    size_t head;                      /* oldest queued event */
    size_t count;                     /* events queued in the ring */
    struct s_flight *flight;          /* the INSERT in flight, or NULL */
    char *retry_json;                 /* a batch whose INSERT failed, sent again first */
    size_t retry_n;                   /* its events */
    bool draining;                    /* auth_audit_flush_now() ran: no waiting for the timer */
    bool db_failing;                  /* the last INSERT failed; retries wait for the timer */
    uint64_t overflow_warned_ms;      /* last overflow warning (monotonic), 0: never */
    uint64_t overflow_dropped_warned; /* stats.dropped at that warning */
    uint64_t malformed_warned_ms;     /* last malformed warning (monotonic), 0: never */
    uint64_t malformed_warned;        /* stats.malformed at that warning */
    struct auth_audit_stats stats;    /* counters (pending is computed) */
};

/* --- events: repair, log, JSON --- */

static const char *s_severity_name(uint8_t severity)
{
    return severity == 0 ? "info" : severity == 1 ? "warning" : "critical";
}

/* NUL-terminate the string field `s` of `size` bytes and make it valid UTF-8. */
static void s_fix_str(char *s, size_t size)
{
    assert(size <= S_STR_MAX);
    s[size - 1] = '\0';
    if (cm_utf8_valid(s, strlen(s), false))
        return;
    char tmp[S_STR_MAX];
    cm_utf8_copy(tmp, size, s);
    memcpy(s, tmp, strlen(tmp) + 1);
}

/* Make an event fit the table: valid UTF-8 within each field, secrets out, a severity the
 * table knows, a time to_timestamp() takes. */
static void s_sanitize(struct auth_audit *ev)
{
    s_fix_str(ev->event, sizeof(ev->event));
    s_fix_str(ev->service, sizeof(ev->service));
    s_fix_str(ev->target, sizeof(ev->target));
    s_fix_str(ev->ip, sizeof(ev->ip));
    s_fix_str(ev->detail, sizeof(ev->detail));
    cm_redact(ev->target);
    cm_redact(ev->detail);
    if (ev->severity > 2)
        ev->severity = 2;
    if (ev->ts_ms == 0 || ev->ts_ms > s_ts_max_ms)
        ev->ts_ms = cm_now_ms();
}

static void s_log_event(const struct auth_audit *ev)
{
    int level = ev->severity >= 2 ? CM_LOG_ERROR : ev->severity == 1 ? CM_LOG_WARN : CM_LOG_INFO;
    CM_LOG_AT(level, "audit", ev->rid,
              "%s service=%s actor=%" PRIu64 " ip=%s target=\"%s\" detail=\"%s\"", ev->event,
              ev->service, ev->actor_id, ev->ip, ev->target, ev->detail);
}

/* One element of the INSERT's array, or NULL (jansson refused a string: cannot happen after
 * s_sanitize). */
static json_t *s_to_json(const struct auth_audit *ev)
{
    char rid[17] = "";
    if (ev->rid)
        snprintf(rid, sizeof(rid), "%016" PRIx64, ev->rid);
    /* actor_id is a bigint: an id past its range names no user. */
    json_int_t actor = ev->actor_id > (uint64_t)INT64_MAX ? 0 : (json_int_t)ev->actor_id;
    return json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "ts_ms",
                     (json_int_t)ev->ts_ms, "event", ev->event, "severity",
                     s_severity_name(ev->severity), "service", ev->service, "actor_id", actor,
                     "target", ev->target, "ip", ev->ip, "request_id", rid, "detail", ev->detail);
}

/* --- writing --- */

static uint64_t s_pending(const auth_audit_t *self)
{
    return (uint64_t)self->count + self->retry_n + (self->flight ? self->flight->n : 0);
}

/* The database refused the data itself (data exception, constraint violation): sending the
 * same batch again would fail forever. */
static bool s_bad_data(const PGresult *res)
{
    const char *state = cm_pg_sqlstate(res);
    return strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0;
}

static void s_flush(auth_audit_t *self);

static void s_on_insert(int status, const PGresult *res, void *arg)
{
    struct s_flight *f = arg;
    auth_audit_t *self = f->owner;
    if (!self) {
        cm_free(f->json);
        cm_free(f);
        return;
    }
    assert(self->tag == AUTH_AUDIT_TAG && self->flight == f);
    self->flight = NULL;
    char line[S_ERRLINE_MAX] = "";
    if (res && status != CM_OK)
        cm_pg_message_line(line, sizeof(line), PQresultErrorMessage(res));
    if (status == CM_OK) {
        self->stats.written += f->n;
        self->stats.batches++;
        if (self->db_failing)
            cm_log_n("audit", 0, "writing to audit_log again");
        self->db_failing = false;
        cm_free(f->json);
    } else if (status == CM_ERR_DB && s_bad_data(res)) {
        cm_log_e("audit", 0, "audit_log refused a batch of %zu events, dropped: %s (SQLSTATE %s)",
                 f->n, line, cm_pg_sqlstate(res));
        self->stats.dropped += f->n;
        cm_free(f->json);
    } else {
        /* Kept whole and sent again first; the ring keeps filling (and drops its oldest when
         * full), so memory stays bounded however long the outage. */
        self->stats.failures++;
        if (!self->db_failing)
            cm_log_w("audit", 0,
                     "cannot write to audit_log (%s%s%s); keeping the events, retrying every %d ms",
                     cm_status_str(status), line[0] ? ": " : "", line, self->flush_ms);
        self->db_failing = true;
        self->retry_json = f->json;
        self->retry_n = f->n;
    }
    cm_free(f);
    if (!self->db_failing && (self->count >= AUTH_AUDIT_BATCH || (self->draining && self->count)))
        s_flush(self);
}

/* Start the INSERT of the next batch, unless one is in flight. */
static void s_flush(auth_audit_t *self)
{
    if (self->flight)
        return;
    char *json = NULL;
    size_t n = 0;
    if (self->retry_json) {
        json = self->retry_json;
        n = self->retry_n;
        self->retry_json = NULL;
        self->retry_n = 0;
    } else {
        if (self->count == 0)
            return;
        json_t *arr = json_array();
        while (self->count > 0 && n < AUTH_AUDIT_BATCH) {
            json_t *o = s_to_json(&self->ring[self->head]);
            self->head = (self->head + 1) % AUTH_AUDIT_QUEUE_MAX;
            self->count--;
            if (!o || json_array_append_new(arr, o) < 0) {
                self->stats.dropped++;
                continue;
            }
            n++;
        }
        if (n == 0) {
            json_decref(arr);
            return;
        }
        json = cm_json_take_dump(arr, NULL);
    }
    struct s_flight *f = cm_calloc(1, sizeof(*f));
    f->owner = self;
    f->json = json;
    f->n = n;
    self->flight = f;
    const char *params[] = {json};
    cm_pg_query(self->pg, s_sql_insert, 1, params, 0, s_on_insert, f);
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    auth_audit_t *self = arg;
    if (!self->flight && (self->count > 0 || self->retry_json))
        s_flush(self);
}

/* --- queueing --- */

static void s_warn_overflow(auth_audit_t *self)
{
    uint64_t now = cm_mono_ms();
    if (self->overflow_warned_ms && now - self->overflow_warned_ms < AUTH_AUDIT_WARN_EVERY_MS)
        return;
    cm_log_w("audit", 0,
             "audit queue full (%d events): dropping the oldest, %" PRIu64
             " dropped since the last warning",
             AUTH_AUDIT_QUEUE_MAX, self->stats.dropped - self->overflow_dropped_warned);
    self->overflow_warned_ms = now ? now : 1;
    self->overflow_dropped_warned = self->stats.dropped;
}

static void s_push(auth_audit_t *self, const struct auth_audit *ev)
{
    if (self->count == AUTH_AUDIT_QUEUE_MAX) {
        self->head = (self->head + 1) % AUTH_AUDIT_QUEUE_MAX;
        self->count--;
        self->stats.dropped++;
        s_warn_overflow(self);
    }
    struct auth_audit *slot = &self->ring[(self->head + self->count) % AUTH_AUDIT_QUEUE_MAX];
    memcpy(slot, ev, sizeof(*slot));
    s_sanitize(slot);
    self->count++;
    self->stats.received++;
    s_log_event(slot);
    if (self->count >= AUTH_AUDIT_BATCH && !self->db_failing)
        s_flush(self);
}

static void s_malformed(auth_audit_t *self, int nframes, const char *why)
{
    self->stats.malformed++;
    uint64_t now = cm_mono_ms();
    if (self->malformed_warned_ms && now - self->malformed_warned_ms < AUTH_AUDIT_WARN_EVERY_MS)
        return;
    cm_log_w("audit", 0,
             "dropped a malformed audit message (%d frames: %s); %" PRIu64
             " since the last warning",
             nframes, why, self->stats.malformed - self->malformed_warned);
    self->malformed_warned_ms = now ? now : 1;
    self->malformed_warned = self->stats.malformed;
}

static void s_on_msg(cm_zsock_t *zs, zmq_msg_t *frames, int n, void *arg)
{
    CM_UNUSED(zs);
    auth_audit_t *self = arg;
    assert(self->tag == AUTH_AUDIT_TAG);
    if (n != 2) {
        s_malformed(self, n, "want a header and a body");
        return;
    }
    struct cm_hdr h;
    if (cm_hdr_decode(&h, zmq_msg_data(&frames[0]), zmq_msg_size(&frames[0])) < 0) {
        s_malformed(self, n, "bad header");
        return;
    }
    if (h.proto != AUTH_PROTO || h.version != AUTH_VERSION || h.msg != AUTH_MSG_AUDIT) {
        s_malformed(self, n, "not an auth AUDIT message of this version");
        return;
    }
    struct auth_audit ev;
    if (auth_audit_decode(&ev, zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1])) < 0) {
        s_malformed(self, n, "AUDIT body does not decode");
        return;
    }
    if (ev.rid == 0)
        ev.rid = h.rid;
    s_push(self, &ev);
}

/* --- public --- */

auth_audit_t *auth_audit_new(struct event_base *base, void *zctx, cm_pg_t *pg, const char *bind,
                             int flush_ms, char *err, size_t errlen)
{
    assert(base && zctx && pg && bind);
    struct cm_zsock_opts zo = {.max_msg = S_MSG_MAX, .hwm = AUTH_AUDIT_QUEUE_MAX};
    cm_zsock_t *zs = cm_zsock_new(base, zctx, ZMQ_PULL, &zo);
    if (!zs) {
        cm_errf(err, errlen, "cannot create the audit socket: %s", zmq_strerror(zmq_errno()));
        return NULL;
    }
    auth_audit_t *self = cm_calloc(1, sizeof(*self));
    if (cm_zsock_bind(zs, bind, self->endpoint, sizeof(self->endpoint), err, errlen) < 0) {
        cm_zsock_destroy(&zs);
        cm_free(self);
        return NULL;
    }
    self->tag = AUTH_AUDIT_TAG;
    self->pg = pg;
    self->zs = zs;
    self->flush_ms = flush_ms > 0 ? flush_ms : AUTH_AUDIT_FLUSH_MS;
    /* calloc'd pages are mapped on first use: an idle queue costs little. */
    self->ring = cm_calloc(AUTH_AUDIT_QUEUE_MAX, sizeof(*self->ring));
    cm_zsock_set_handler(zs, s_on_msg, self);
    self->ev_flush = event_new(base, -1, EV_PERSIST, s_on_timer, self);
    struct timeval tv = cm_tv_ms(self->flush_ms);
    event_add(self->ev_flush, &tv);
    return self;
}

void auth_audit_destroy(auth_audit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    auth_audit_t *self = *self_p;
    assert(self->tag == AUTH_AUDIT_TAG);
    *self_p = NULL;
    uint64_t lost = (uint64_t)self->count + self->retry_n;
    if (lost)
        cm_log_w("audit", 0, "%" PRIu64 " audit events were never written to audit_log", lost);
    if (self->flight)
        self->flight->owner = NULL; /* its answer frees it */
    event_free(self->ev_flush);
    cm_zsock_destroy(&self->zs);
    cm_free(self->ring);
    cm_free(self->retry_json);
    self->tag = 0xdeadbeef;
    cm_free(self);
}

void auth_audit_add(auth_audit_t *self, const struct auth_audit *ev)
{
    if (!self)
        return;
    assert(self->tag == AUTH_AUDIT_TAG && ev);
    s_push(self, ev);
}

uint64_t auth_audit_flush_now(auth_audit_t *self)
{
    assert(self && self->tag == AUTH_AUDIT_TAG);
    self->draining = true;
    if (!self->flight && !self->db_failing)
        s_flush(self);
    return s_pending(self);
}

const char *auth_audit_endpoint(const auth_audit_t *self)
{
    assert(self && self->tag == AUTH_AUDIT_TAG);
    return self->endpoint;
}

struct auth_audit_stats auth_audit_stats(const auth_audit_t *self)
{
    assert(self && self->tag == AUTH_AUDIT_TAG);
    struct auth_audit_stats st = self->stats;
    st.pending = s_pending(self);
    return st;
}
