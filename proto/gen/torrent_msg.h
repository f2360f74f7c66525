/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/torrent.toml
 * SPDX-License-Identifier: MIT
 * torrent (protocol 4, version 1): The pool protocol between stream-proxy and torrent-worker.
 *
 * Codecs of the message bodies, frame 2 of the envelope (proto/README.md). Each message <msg>
 * below (its name in lower case) has a plain struct torrent_<msg> and three functions:
 *   int torrent_<msg>_encode(const struct torrent_<msg> *m, cm_buf_t *out);
 *       Append the body to `out`: a msgpack map of every field, keyed by tag. Returns 0,
 *       or -1 when a field breaks the schema (a str not NUL-terminated within its array,
 *       not UTF-8 or holding a NUL; a bin, list or map over its max; a duplicate map key)
 *       or `out` is full. After -1, `out` may hold part of the body: discard it.
 *   int torrent_<msg>_decode(struct torrent_<msg> *m, const void *data, size_t size);
 *       Decode a body. Returns 0, or -1 when it is malformed: not exactly one msgpack map
 *       within CM_MP_DEPTH_MAX, a non-integer key, a value of the wrong type or out of
 *       range, a str not UTF-8 or holding a NUL, over a max, a tag or map key given twice,
 *       a required field missing. Unknown tags are skipped (a newer sender). No logging,
 *       no allocation. str fields are NUL-terminated copies; bin fields are views
 *       BORROWED from `data`, valid only while `data` is. After -1, *m is unspecified.
 *   void torrent_<msg>_print(const struct torrent_<msg> *m, FILE *out);
 *       One line, e.g. `common.ERROR status=8 reason="..."`: strings escaped as in the
 *       logs, bin shown as its length.
 * Every function is pure and may be called from any thread. */
#ifndef TORRENT_MSG_H
#define TORRENT_MSG_H
#include "cm.h"

/* Protocol number (never reused) and version (bumped on an incompatible change). */
#define TORRENT_PROTO 4
#define TORRENT_VERSION 1

/* Message numbers: never reused. */
#define TORRENT_MSG_READY 1
#define TORRENT_MSG_HEARTBEAT 2

/* READY (1, event): Worker to proxy, on connect: the worker joins the pool. */
struct torrent_ready {
    char worker_id[64 + 1];    /* tag 1, required: stable id of the worker */
    char version[32 + 1];      /* tag 2, required: worker version */
    uint32_t capacity;         /* tag 3: streams it accepts */
    uint64_t free_cache_bytes; /* tag 4: free space of its piece cache */
};

int torrent_ready_encode(const struct torrent_ready *m, cm_buf_t *out);
int torrent_ready_decode(struct torrent_ready *m, const void *data, size_t size);
void torrent_ready_print(const struct torrent_ready *m, FILE *out);

/* HEARTBEAT (2, event): Both ways, every second: liveness plus the sender's load. */
struct torrent_heartbeat {
    uint32_t torrents;         /* tag 1: torrents loaded */
    uint32_t peers;            /* tag 2: connected peers */
    uint64_t down_bps;         /* tag 3: download rate, bytes per second */
    uint64_t up_bps;           /* tag 4: upload rate, bytes per second */
    uint64_t free_cache_bytes; /* tag 5: free space of the piece cache */
    bool draining;             /* tag 6: takes no new streams */
};

int torrent_heartbeat_encode(const struct torrent_heartbeat *m, cm_buf_t *out);
int torrent_heartbeat_decode(struct torrent_heartbeat *m, const void *data, size_t size);
void torrent_heartbeat_print(const struct torrent_heartbeat *m, FILE *out);

/* Room for any message of the protocol, e.g. to decode into before dispatching. */
union torrent_msg {
    struct torrent_ready ready;
    struct torrent_heartbeat heartbeat;
};

/* The name of message `id` (e.g. "READY"), or "?" when the protocol has none. Static. */
const char *torrent_msg_name(int id);

/* The functions above, chosen by message number: `m` points to the struct of message `id` (a
 * union torrent_msg will do). Decode and encode return -1 for an unknown id; print prints
 * "torrent.? id=N". */
int torrent_msg_decode(int id, void *m, const void *data, size_t size);
int torrent_msg_encode(int id, const void *m, cm_buf_t *out);
void torrent_msg_print(int id, const void *m, FILE *out);

/* What the transport layer knows of the protocol: ids, kinds, payload flags, names. */
extern const struct cm_proto torrent_proto;

#endif
