/* SPDX-License-Identifier: MIT
 * cm_audit: audit events pushed to auth, never blocking the sender.
 *
 * cm_zsock fits a send-only socket: nothing ever becomes readable on a PUSH socket, but its
 * ZMQ_FD still signals libzmq's internal commands (a connection made, a pipe drained), and
 * cm_zsock reads ZMQ_EVENTS on each of them, which lets libzmq process them. The HWM and the
 * linger are set here, before the connect: libzmq applies the HWM to a pipe when it creates
 * it, and with ZMQ_IMMEDIATE off the pipe is created by the connect itself. */
#include "cm.h"
#include "cm_audit.h"
#include "cm_redact.h"
#include "cm_zsock.h"
#include "auth_msg.h"

#define CM_AUDIT_TAG 0xcb0fa0d1u

enum {
    S_TEXT_MAX = 2048,    /* detail and target are formatted and redacted in this much room */
    S_BODY_MAX = 4096,    /* an encoded AUDIT body (its strings total 912 bytes at most) */
    S_ENDPOINT_MAX = 256, /* the endpoint kept for log lines */
};

struct cm_audit {
    uint32_t tag;                  /* CM_AUDIT_TAG while alive */
    cm_zsock_t *zs;                /* the PUSH socket */
    char service[32 + 1];          /* AUDIT.service of every event, valid UTF-8 */
    char endpoint[S_ENDPOINT_MAX]; /* where we push, for log lines */
    cm_buf_t *hdr;                 /* frame 1, reused */
    cm_buf_t *body;                /* frame 2, reused */
    struct cm_audit_stats stats;   /* counters */
    uint64_t dropped_warned;       /* stats.dropped at the last warning */
    uint64_t warned_ms;            /* monotonic time of the last warning, 0: never */
};

/* A cut made by vsnprintf or by our buffer may leave the head of a token at the end of the
 * text, too short for cm_redact to recognise: drop the word the cut fell into. */
static void s_trim_cut(char *text)
{
    size_t n = strlen(text);
    while (n > 0) {
        unsigned char c = (unsigned char)text[n - 1];
        bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == '=';
        if (!word)
            break;
        n--;
    }
    text[n] = '\0';
}

/* `src` (may be NULL) redacted, cut to `size` bytes on a character boundary, as valid UTF-8,
 * into `dst`. Redaction runs before the final cut, so the cut never splits a secret into a
 * piece too short to be recognised. */
static void s_redacted_copy(char *dst, size_t size, const char *src)
{
    char text[S_TEXT_MAX];
    size_t n = src ? strlen(src) : 0;
    if (n >= sizeof(text)) {
        memcpy(text, src, sizeof(text) - 1);
        text[sizeof(text) - 1] = '\0';
        s_trim_cut(text);
    } else {
        memcpy(text, src ? src : "", n + 1);
    }
    cm_redact(text);
    cm_utf8_copy(dst, size, text);
}

/* Count a drop and warn, at most once per CM_AUDIT_WARN_EVERY_MS. */
static void s_drop(cm_audit_t *self, const char *why)
{
    self->stats.dropped++;
    uint64_t now = cm_mono_ms();
    if (self->warned_ms && now - self->warned_ms < CM_AUDIT_WARN_EVERY_MS)
        return;
    cm_log_w("audit", 0,
             "dropping audit events for %s (%s): %" PRIu64 " dropped since the last "
             "warning",
             self->endpoint, why, self->stats.dropped - self->dropped_warned);
    self->warned_ms = now ? now : 1;
    self->dropped_warned = self->stats.dropped;
}

cm_audit_t *cm_audit_new_hwm(struct event_base *base, void *zctx, const char *endpoint,
                             const char *service, int hwm, char *err, size_t errlen)
{
    assert(base && zctx && endpoint && hwm >= 1);
    struct cm_zsock_opts zo = {.hwm = hwm};
    cm_zsock_t *zs = cm_zsock_new(base, zctx, ZMQ_PUSH, &zo);
    if (!zs) {
        cm_errf(err, errlen, "cannot create the audit socket: %s", zmq_strerror(zmq_errno()));
        return NULL;
    }
    void *raw = cm_zsock_raw(zs);
    int linger = CM_AUDIT_LINGER_MS, off = 0;
    zmq_setsockopt(raw, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(raw, ZMQ_IMMEDIATE, &off, sizeof(off));
    if (cm_zsock_connect(zs, endpoint, err, errlen) < 0) {
        cm_zsock_destroy(&zs);
        return NULL;
    }
    cm_audit_t *self = cm_calloc(1, sizeof(*self));
    self->tag = CM_AUDIT_TAG;
    self->zs = zs;
    cm_utf8_copy(self->service, sizeof(self->service), service ? service : "");
    snprintf(self->endpoint, sizeof(self->endpoint), "%s", endpoint);
    self->hdr = cm_buf_new(CM_HDR_MAX);
    self->body = cm_buf_new(S_BODY_MAX);
    return self;
}

cm_audit_t *cm_audit_new(struct event_base *base, void *zctx, const char *endpoint,
                         const char *service, char *err, size_t errlen)
{
    return cm_audit_new_hwm(base, zctx, endpoint, service, CM_AUDIT_HWM, err, errlen);
}

void cm_audit_destroy(cm_audit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cm_audit_t *self = *self_p;
    assert(self->tag == CM_AUDIT_TAG);
    *self_p = NULL;
    cm_zsock_destroy(&self->zs);
    cm_buf_destroy(&self->hdr);
    cm_buf_destroy(&self->body);
    self->tag = 0xdeadbeef;
    cm_free(self);
}

void cm_audit_vemit(cm_audit_t *self, const char *event, int severity, uint64_t actor_id,
                    const char *target, const char *ip, uint64_t rid, const char *fmt, va_list ap)
{
    if (!self)
        return;
    assert(self->tag == CM_AUDIT_TAG);
    struct auth_audit m;
    memset(&m, 0, sizeof(m));
    m.ts_ms = cm_now_ms();
    cm_utf8_copy(m.event, sizeof(m.event), event ? event : "");
    m.severity = severity <= CM_AUDIT_INFO       ? CM_AUDIT_INFO
                 : severity >= CM_AUDIT_CRITICAL ? CM_AUDIT_CRITICAL
                                                 : (uint8_t)severity;
    memcpy(m.service, self->service, sizeof(m.service));
    m.actor_id = actor_id;
    s_redacted_copy(m.target, sizeof(m.target), target);
    cm_utf8_copy(m.ip, sizeof(m.ip), ip ? ip : "");
    m.rid = rid;
    char text[S_TEXT_MAX] = "";
    if (fmt) {
        int n = vsnprintf(text, sizeof(text), fmt, ap);
        if (n < 0)
            text[0] = '\0';
        else if ((size_t)n >= sizeof(text))
            s_trim_cut(text);
    }
    s_redacted_copy(m.detail, sizeof(m.detail), text);

    struct cm_hdr h = {.proto = AUTH_PROTO,
                       .version = AUTH_VERSION,
                       .msg = AUTH_MSG_AUDIT,
                       .rid = rid,
                       .deadline = 0};
    cm_buf_reset(self->hdr);
    cm_buf_reset(self->body);
    if (cm_hdr_encode(&h, self->hdr) < 0 || auth_audit_encode(&m, self->body) < 0) {
        s_drop(self, "the event does not encode"); /* cannot happen: every field is checked */
        return;
    }
    cm_iov_t frames[2] = {{cm_buf_data(self->hdr), cm_buf_len(self->hdr)},
                          {cm_buf_data(self->body), cm_buf_len(self->body)}};
    if (cm_zsock_send(self->zs, frames, 2) < 0) {
        s_drop(self, errno == EAGAIN ? "queue full" : zmq_strerror(errno));
        return;
    }
    self->stats.sent++;
}

void cm_audit_emit(cm_audit_t *self, const char *event, int severity, uint64_t actor_id,
                   const char *target, const char *ip, uint64_t rid, const char *fmt, ...)
{
    if (!self)
        return;
    va_list ap;
    va_start(ap, fmt);
    cm_audit_vemit(self, event, severity, actor_id, target, ip, rid, fmt, ap);
    va_end(ap);
}

struct cm_audit_stats cm_audit_stats(const cm_audit_t *self)
{
    struct cm_audit_stats zero = {0, 0};
    if (!self)
        return zero;
    assert(self->tag == CM_AUDIT_TAG);
    return self->stats;
}
