/* SPDX-License-Identifier: MIT
 * cm_zsock: a ZeroMQ socket living in a libevent loop.
 *
 * libzmq's ZMQ_FD is edge-triggered: it signals only when the socket's state changes, and
 * after every zmq_send/zmq_recv the application must re-read ZMQ_EVENTS. So on wake-up we drain
 * while ZMQ_EVENTS says POLLIN (at most CM_ZMQ_DRAIN_BATCH messages, then we yield and re-arm a
 * zero-timeout re-check so other events run), and after every send we re-check ZMQ_EVENTS and
 * schedule the same re-check when input is pending. Missing either step stalls a socket
 * forever with messages waiting in it.
 *
 * The socket options are set here, in one place: ZMQ_MAXMSGSIZE (a bigger frame disconnects
 * the peer), HWMs, ZMQ_LINGER of CM_ZMQ_LINGER_MS (a reply sent just before a close still goes
 * out, and closing never blocks longer than that), ZMQ_ROUTER_MANDATORY on ROUTER (a send to
 * a gone peer fails with EHOSTUNREACH instead of vanishing), TCP keep-alives. Not ZMQ_IMMEDIATE:
 * with it, libzmq throws away messages that arrived but were not read yet when the peer
 * disconnects (a reply sent just before a daemon stops would be lost).
 * Everything runs on the loop's thread. */
#ifndef CM_ZSOCK_H
#define CM_ZSOCK_H
#include <zmq.h>
#include "cm_buf.h"

typedef struct cm_zsock cm_zsock_t;

struct cm_zsock_opts {
    size_t max_msg; /* ZMQ_MAXMSGSIZE and the largest frame accepted; 0 = CM_MSG_MAX */
    int hwm;        /* send and receive HWM in messages; 0 = CM_ZMQ_HWM */
};

/* Called once per complete message with its frames (at most CM_MSG_FRAMES_MAX; messages with
 * more are dropped before this). The frames are borrowed for the duration of the call. The
 * callback may send on the socket and may destroy it. */
typedef void(cm_zsock_msg_fn)(cm_zsock_t *zs, zmq_msg_t *frames, int nframes, void *arg);

/* Create a socket of `type` (ZMQ_ROUTER, ZMQ_DEALER, ZMQ_PAIR, ...) on `zctx`, watched by
 * `base`. `opts` may be NULL. Caller owns the result; free with cm_zsock_destroy(). NULL with
 * errno set when libzmq refuses. */
cm_zsock_t *cm_zsock_new(struct event_base *base, void *zctx, int type,
                         const struct cm_zsock_opts *opts);

/* Close the socket (bounded linger) and free it; sets *self_p to NULL. Safe inside the
 * callback. */
void cm_zsock_destroy(cm_zsock_t **self_p);

/* Set the message callback. */
void cm_zsock_set_handler(cm_zsock_t *self, cm_zsock_msg_fn *fn, void *arg);

/* Bind to `endpoint`. The endpoint actually bound (tcp://127.0.0.1:*, a port picked by the
 * system, becomes tcp://127.0.0.1:41234) goes to `bound` when not NULL.
 * Returns 0, or -1 with a sentence in `err`. */
int cm_zsock_bind(cm_zsock_t *self, const char *endpoint, char *bound, size_t boundlen, char *err,
                  size_t errlen);

/* Connect to `endpoint`. Returns 0, or -1 with a sentence in `err`. */
int cm_zsock_connect(cm_zsock_t *self, const char *endpoint, char *err, size_t errlen);

/* Send one multipart message of `n` frames without blocking (the bytes are copied).
 * Returns 0, or -1 with errno: EAGAIN (HWM reached),
 * EHOSTUNREACH (ROUTER: no such peer). */
int cm_zsock_send(cm_zsock_t *self, const cm_iov_t *frames, int n);

/* The libzmq socket, borrowed (for getsockopt and monitors). */
void *cm_zsock_raw(cm_zsock_t *self);

/* The fd a message came from (ZMQ_SRCFD), or -1: lets a ROUTER map peers to connections. */
int cm_zsock_msg_srcfd(zmq_msg_t *frame);

#endif
