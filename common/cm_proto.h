/* SPDX-License-Identifier: MIT
 * cm_proto: what the transport layer knows of a protocol, and the envelope's header frame.
 *
 * A message on our ZeroMQ sockets is, after the routing identity (ROUTER side only):
 *   frame 1  header   msgpack array [proto, version, msg, rid, deadline]
 *   frame 2  body     msgpack map keyed by small integer field tags (may be empty: 0x80)
 *   frame 3  payload  optional raw bytes (piece data, .torrent files), never msgpack
 * proto/gen/<svc>_msg.c fills one `struct cm_proto` per protocol from proto/<svc>.toml. */
#ifndef CM_PROTO_H
#define CM_PROTO_H
#include <stddef.h>
#include <stdint.h>
#include "cm_buf.h"

/* What a message is for, so a receiver can tell a reply to its own call from a new request. */
enum cm_msg_kind {
    CM_MSG_REQUEST = 1, /* expects exactly one reply (its *_OK message or common.ERROR) */
    CM_MSG_REPLY = 2,   /* answers a request; carries the request's rid */
    CM_MSG_EVENT = 3,   /* one-way; no reply */
};

struct cm_proto_msg {
    uint16_t id;      /* message number, never reused within the protocol */
    uint8_t kind;     /* enum cm_msg_kind */
    uint8_t payload;  /* 1 when the message may carry a raw payload frame */
    const char *name; /* e.g. "PING" */
};

struct cm_proto {
    uint16_t id;                     /* protocol number, never reused */
    uint16_t version;                /* bumped on incompatible change */
    const char *name;                /* e.g. "common" */
    size_t nmsgs;                    /* entries in msgs */
    const struct cm_proto_msg *msgs; /* sorted by id */
};

/* The message `msg` of `p`, or NULL when `p` has no such message. */
const struct cm_proto_msg *cm_proto_find(const struct cm_proto *p, int msg);

/* --- Header frame --- */

struct cm_hdr {
    uint16_t proto;    /* protocol number (common = 0) */
    uint16_t version;  /* protocol version of the sender */
    uint16_t msg;      /* message number within the protocol */
    uint64_t rid;      /* request id chosen by the caller, echoed in the reply */
    uint64_t deadline; /* ms since the epoch after which nobody waits for an answer; 0 = none */
};

enum {
    CM_HDR_MAX = 64, /* an encoded header never exceeds this many bytes */
};

/* Append the header to `out`. Returns 0, or -1 when `out` is full. */
int cm_hdr_encode(const struct cm_hdr *h, cm_buf_t *out);

/* Decode a header frame. Extra trailing array elements (a newer sender) are ignored.
 * Returns 0, or -1 when the frame is not a header. */
int cm_hdr_decode(struct cm_hdr *h, const void *data, size_t size);

#endif
