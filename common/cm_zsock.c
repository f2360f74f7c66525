/* SPDX-License-Identifier: MIT
 * cm_zsock: ZeroMQ sockets driven by libevent (ZMQ_FD + ZMQ_EVENTS). */
#include "cm.h"
#include "cm_zsock.h"

#define CM_ZSOCK_TAG 0xcb0f0002u

struct cm_zsock {
    uint32_t tag;           /* CM_ZSOCK_TAG while alive */
    void *sock;             /* the libzmq socket */
    int type;               /* ZMQ_ROUTER, ZMQ_DEALER, ... */
    size_t max_msg;         /* largest frame we accept */
    struct event *ev_fd;    /* EV_READ|EV_PERSIST on ZMQ_FD */
    struct event *ev_check; /* zero-timeout re-check of ZMQ_EVENTS */
    cm_zsock_msg_fn *fn;    /* message callback */
    void *arg;              /* its argument */
    bool in_dispatch;       /* inside s_drain: destroy must be deferred */
    bool dead;              /* destroy was called during dispatch */
};

static void s_free(cm_zsock_t *self)
{
    if (self->ev_fd)
        event_free(self->ev_fd);
    if (self->ev_check)
        event_free(self->ev_check);
    if (self->sock)
        zmq_close(self->sock); /* ZMQ_LINGER was set at creation */
    self->tag = 0xdeadbeef;
    cm_free(self);
}

/* Schedule a re-check of ZMQ_EVENTS on the next loop turn. */
static void s_recheck(cm_zsock_t *self)
{
    event_active(self->ev_check, EV_TIMEOUT, 0); /* idempotent while already active */
}

static int s_events(cm_zsock_t *self)
{
    int events = 0;
    size_t len = sizeof(events);
    if (zmq_getsockopt(self->sock, ZMQ_EVENTS, &events, &len) < 0)
        return 0;
    return events;
}

static bool s_readable(cm_zsock_t *self)
{
    return (s_events(self) & ZMQ_POLLIN) != 0;
}

/* Receive one whole message; returns the number of frames kept (0: nothing to read, -1: the
 * message was dropped because it had too many frames). */
static int s_recv_one(cm_zsock_t *self, zmq_msg_t *frames)
{
    int n = 0;
    bool more = true;
    bool overflow = false;
    while (more) {
        zmq_msg_t scratch;
        zmq_msg_t *m = n < CM_MSG_FRAMES_MAX ? &frames[n] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(m);
            if (n == 0)
                return 0;
            /* Multipart messages arrive whole; a failure mid-message is a libzmq bug. */
            break;
        }
        more = zmq_msg_more(m);
        if (m == &scratch) {
            overflow = true;
            zmq_msg_close(m);
        } else {
            n++;
        }
    }
    if (overflow) {
        for (int i = 0; i < n; i++)
            zmq_msg_close(&frames[i]);
        return -1;
    }
    return n;
}

static void s_drain(cm_zsock_t *self)
{
    self->in_dispatch = true;
    int budget = CM_ZMQ_DRAIN_BATCH;
    while (!self->dead && budget-- > 0 && s_readable(self)) {
        zmq_msg_t frames[CM_MSG_FRAMES_MAX];
        int n = s_recv_one(self, frames);
        if (n == 0)
            break;
        if (n < 0) {
            cm_log_w("zmq", 0, "dropped a message of more than %d frames", CM_MSG_FRAMES_MAX);
            continue;
        }
        if (self->fn)
            self->fn(self, frames, n, self->arg);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&frames[i]);
    }
    self->in_dispatch = false;
    if (self->dead) {
        s_free(self);
        return;
    }
    /* Out of budget, or a send from the callback changed the state: look again soon. */
    if (s_readable(self))
        s_recheck(self);
}

static void s_on_fd(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    s_drain(arg);
}

cm_zsock_t *cm_zsock_new(struct event_base *base, void *zctx, int type,
                         const struct cm_zsock_opts *opts)
{
    void *sock = zmq_socket(zctx, type);
    if (!sock)
        return NULL;
    cm_zsock_t *self = cm_calloc(1, sizeof(*self));
    self->tag = CM_ZSOCK_TAG;
    self->sock = sock;
    self->type = type;
    self->max_msg = opts && opts->max_msg ? opts->max_msg : CM_MSG_MAX;
    int hwm = opts && opts->hwm ? opts->hwm : CM_ZMQ_HWM;
    int64_t maxmsg = (int64_t)self->max_msg;
    int one = 1, idle = 30, intvl = 10, linger = CM_ZMQ_LINGER_MS;
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE, &one, sizeof(one));
    zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE_IDLE, &idle, sizeof(idle));
    zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE_INTVL, &intvl, sizeof(intvl));
    if (type == ZMQ_ROUTER)
        zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));

    int fd;
    size_t len = sizeof(fd);
    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len) < 0) {
        s_free(self);
        return NULL;
    }
    self->ev_fd = event_new(base, fd, EV_READ | EV_PERSIST, s_on_fd, self);
    self->ev_check = evtimer_new(base, s_on_fd, self);
    event_add(self->ev_fd, NULL);
    return self;
}

void cm_zsock_destroy(cm_zsock_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cm_zsock_t *self = *self_p;
    assert(self->tag == CM_ZSOCK_TAG);
    *self_p = NULL;
    if (self->in_dispatch) {
        /* s_drain frees it when the callback returns; stop the events now. */
        self->dead = true;
        event_del(self->ev_fd);
        event_del(self->ev_check);
        return;
    }
    s_free(self);
}

void cm_zsock_set_handler(cm_zsock_t *self, cm_zsock_msg_fn *fn, void *arg)
{
    assert(self && self->tag == CM_ZSOCK_TAG);
    self->fn = fn;
    self->arg = arg;
}

int cm_zsock_bind(cm_zsock_t *self, const char *endpoint, char *bound, size_t boundlen, char *err,
                  size_t errlen)
{
    assert(self && self->tag == CM_ZSOCK_TAG);
    if (zmq_bind(self->sock, endpoint) < 0) {
        snprintf(err, errlen, "cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    if (bound && boundlen) {
        size_t len = boundlen;
        if (zmq_getsockopt(self->sock, ZMQ_LAST_ENDPOINT, bound, &len) < 0)
            snprintf(bound, boundlen, "%s", endpoint);
    }
    /* Binding may have made the socket readable without an edge we will see. */
    s_recheck(self);
    return 0;
}

int cm_zsock_connect(cm_zsock_t *self, const char *endpoint, char *err, size_t errlen)
{
    assert(self && self->tag == CM_ZSOCK_TAG);
    if (zmq_connect(self->sock, endpoint) < 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    s_recheck(self);
    return 0;
}

int cm_zsock_send(cm_zsock_t *self, const cm_iov_t *frames, int n)
{
    assert(self && self->tag == CM_ZSOCK_TAG && n > 0);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_send(self->sock, frames[i].data, frames[i].len, flags) < 0) {
            /* Only the first frame can fail: libzmq checks the pipe once per message. */
            rc = -1;
            break;
        }
    }
    int saved = errno;
    if (s_readable(self))
        s_recheck(self);
    errno = saved;
    return rc;
}

void *cm_zsock_raw(cm_zsock_t *self)
{
    assert(self && self->tag == CM_ZSOCK_TAG);
    return self->sock;
}

int cm_zsock_msg_srcfd(zmq_msg_t *frame)
{
#ifdef ZMQ_SRCFD
    return zmq_msg_get(frame, ZMQ_SRCFD);
#else
    CM_UNUSED(frame);
    return -1;
#endif
}
