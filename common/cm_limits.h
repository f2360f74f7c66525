/* SPDX-License-Identifier: MIT
 * cm_limits: every cap shared by two or more daemons, one comment per value. A cap used by one
 * file only lives at the top of that file. Hostile input can only hit one of these. */
#ifndef CM_LIMITS_H
#define CM_LIMITS_H

enum {
    /* --- ZeroMQ and msgpack --- */
    CM_MSG_MAX = 1024 * 1024, /* ZMQ_MAXMSGSIZE of control sockets: 1 MiB a frame */
    CM_POOL_MSG_MAX = 16 * 1024 * 1024 + 65536, /* pool sockets: a 16 MiB info dict + headroom */
    CM_MSG_FRAMES_MAX = 4,                      /* identity + header + body + payload */
    CM_MP_DEPTH_MAX = 16,                       /* msgpack nesting accepted by cm_mp_check() */
    CM_ZMQ_HWM = 1000,                          /* send/receive high-water marks, in messages */
    CM_ZMQ_DRAIN_BATCH = 256,                   /* messages read per wake-up before yielding */
    CM_ZMQ_LINGER_MS = 200,                     /* a closing socket flushes for at most this long */
    CM_RPC_PENDING_MAX = 4096,                  /* calls in flight per client */
    CM_RPC_TIMEOUT_MS = 5000,                   /* deadline of a call that names none */
    CM_IDENTITY_MAX = 255,                      /* a ZeroMQ routing identity, bytes */
    CM_REASON_MAX = 256,                        /* ERROR.reason, bytes */

    /* --- heartbeats (zguide Paranoid Pirate) --- */
    CM_HB_INTERVAL_MS = 1000,   /* idle time after which a client sends PING */
    CM_HB_LIVENESS = 3,         /* silent intervals before a peer is dead */
    CM_RECONNECT_MIN_MS = 1000, /* first reconnect delay */
    CM_RECONNECT_MAX_MS = 8000, /* back-off cap (zguide says 32 s; we want faster) */

    /* --- logging and errors --- */
    CM_LOG_LINE_MAX = 2048, /* one log line, bytes; longer messages are cut */
    CM_ERR_LEN = 256,       /* human error buffers of setup paths */

    /* --- HTTP --- */
    CM_HTTP_HEADERS_MAX = 16 * 1024,   /* request line + headers, bytes */
    CM_HTTP_HEADER_COUNT_MAX = 64,     /* header fields per request */
    CM_HTTP_BODY_MAX = 1024 * 1024,    /* request body, bytes */
    CM_HTTP_CONNECTIONS_MAX = 1024,    /* open connections per listener */
    CM_HTTP_HEADER_TIMEOUT_MS = 10000, /* a request must arrive whole within this */
    CM_HTTP_IDLE_TIMEOUT_MS = 60000,   /* idle keep-alive connection lifetime */
    CM_HTTP_WRITE_TIMEOUT_MS = 30000,  /* a client that takes nothing for this long goes */

    /* --- PostgreSQL --- */
    CM_PG_QUEUE_MAX = 256,         /* queries waiting for the connection */
    CM_PG_PARAMS_MAX = 32,         /* parameters of one query */
    CM_PG_RECONNECT_MIN_MS = 100,  /* first reconnect delay */
    CM_PG_RECONNECT_MAX_MS = 5000, /* reconnect back-off cap */
    CM_PG_QUERY_TIMEOUT_MS = 5000, /* default deadline of a query */
};

#endif
