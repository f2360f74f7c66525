/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/stream.toml
 * SPDX-License-Identifier: MIT
 * stream (protocol 3, version 1): The stream-proxy's control API.
 *
 * Codecs of the message bodies, frame 2 of the envelope (proto/README.md). Each message <msg>
 * below (its name in lower case) has a plain struct stream_<msg> and three functions:
 *   int stream_<msg>_encode(const struct stream_<msg> *m, cm_buf_t *out);
 *       Append the body to `out`: a msgpack map of every field, keyed by tag. Returns 0,
 *       or -1 when a field breaks the schema (a str not NUL-terminated within its array,
 *       not UTF-8 or holding a NUL; a bin, list or map over its max; a duplicate map key)
 *       or `out` is full. After -1, `out` may hold part of the body: discard it.
 *   int stream_<msg>_decode(struct stream_<msg> *m, const void *data, size_t size);
 *       Decode a body. Returns 0, or -1 when it is malformed: not exactly one msgpack map
 *       within CM_MP_DEPTH_MAX, a non-integer key, a value of the wrong type or out of
 *       range, a str not UTF-8 or holding a NUL, over a max, a tag or map key given twice,
 *       a required field missing. Unknown tags are skipped (a newer sender). No logging,
 *       no allocation. str fields are NUL-terminated copies; bin fields are views
 *       BORROWED from `data`, valid only while `data` is. After -1, *m is unspecified.
 *   void stream_<msg>_print(const struct stream_<msg> *m, FILE *out);
 *       One line, e.g. `common.ERROR status=8 reason="..."`: strings escaped as in the
 *       logs, bin shown as its length.
 * Every function is pure and may be called from any thread. */
#ifndef STREAM_MSG_H
#define STREAM_MSG_H
#include "cm.h"

/* Protocol number (never reused) and version (bumped on an incompatible change). */
#define STREAM_PROTO 3
#define STREAM_VERSION 1

/* Message numbers: never reused. */
#define STREAM_MSG_SESSIONS 1
#define STREAM_MSG_SESSIONS_OK 2
#define STREAM_MSG_SESSION_END 3
#define STREAM_MSG_SESSION_END_OK 4
#define STREAM_MSG_WORKERS 5
#define STREAM_MSG_WORKERS_OK 6
#define STREAM_MSG_METADATA 7
#define STREAM_MSG_METADATA_OK 8
#define STREAM_MSG_SCRAPE 9
#define STREAM_MSG_SCRAPE_OK 10
#define STREAM_MSG_SWARM_GATE 11
#define STREAM_MSG_SWARM_GATE_OK 12

/* SESSIONS (1, request): Gateway: open streams of a user (user_id 0 with all = true:
 * everyone's). Answered by SESSIONS_OK. */
struct stream_sessions {
    uint64_t user_id; /* tag 1 */
    bool all;         /* tag 2: admin: every user's */
};

int stream_sessions_encode(const struct stream_sessions *m, cm_buf_t *out);
int stream_sessions_decode(struct stream_sessions *m, const void *data, size_t size);
void stream_sessions_print(const struct stream_sessions *m, FILE *out);

/* SESSIONS_OK (2, reply): Open streams as parallel lists. */
struct stream_sessions_ok {
    uint64_t ids[1000];         /* tag 1 */
    uint32_t ids_count;         /* items in ids, at most 1000 */
    uint64_t user_ids[1000];    /* tag 2 */
    uint32_t user_ids_count;    /* items in user_ids, at most 1000 */
    uint64_t source_ids[1000];  /* tag 3 */
    uint32_t source_ids_count;  /* items in source_ids, at most 1000 */
    uint64_t bytes[1000];       /* tag 4: bytes served */
    uint32_t bytes_count;       /* items in bytes, at most 1000 */
    int64_t started_ms[1000];   /* tag 5 */
    uint32_t started_ms_count;  /* items in started_ms, at most 1000 */
    int64_t active_ms[1000];    /* tag 6: last activity */
    uint32_t active_ms_count;   /* items in active_ms, at most 1000 */
    char workers[1000][64 + 1]; /* tag 7 */
    uint32_t workers_count;     /* items in workers, at most 1000 */
};

int stream_sessions_ok_encode(const struct stream_sessions_ok *m, cm_buf_t *out);
int stream_sessions_ok_decode(struct stream_sessions_ok *m, const void *data, size_t size);
void stream_sessions_ok_print(const struct stream_sessions_ok *m, FILE *out);

/* SESSION_END (3, request): Gateway: end a stream (its owner, or an admin with all = true).
 * Answered by SESSION_END_OK or ERROR NOT_FOUND. */
struct stream_session_end {
    uint64_t id;      /* tag 1, required */
    uint64_t user_id; /* tag 2 */
    bool all;         /* tag 3 */
};

int stream_session_end_encode(const struct stream_session_end *m, cm_buf_t *out);
int stream_session_end_decode(struct stream_session_end *m, const void *data, size_t size);
void stream_session_end_print(const struct stream_session_end *m, FILE *out);

/* SESSION_END_OK (4, reply): The stream is ended. */
struct stream_session_end_ok {
    uint8_t unused_; /* no fields yet; C wants one member */
};

int stream_session_end_ok_encode(const struct stream_session_end_ok *m, cm_buf_t *out);
int stream_session_end_ok_decode(struct stream_session_end_ok *m, const void *data, size_t size);
void stream_session_end_ok_print(const struct stream_session_end_ok *m, FILE *out);

/* WORKERS (5, request): Gateway (admin): the pool. Answered by WORKERS_OK. */
struct stream_workers {
    uint8_t unused_; /* no fields yet; C wants one member */
};

int stream_workers_encode(const struct stream_workers *m, cm_buf_t *out);
int stream_workers_decode(struct stream_workers *m, const void *data, size_t size);
void stream_workers_print(const struct stream_workers *m, FILE *out);

/* WORKERS_OK (6, reply): Live workers as parallel lists. */
struct stream_workers_ok {
    char ids[256][64 + 1];           /* tag 1 */
    uint32_t ids_count;              /* items in ids, at most 256 */
    uint32_t torrents[256];          /* tag 2 */
    uint32_t torrents_count;         /* items in torrents, at most 256 */
    uint32_t peers[256];             /* tag 3 */
    uint32_t peers_count;            /* items in peers, at most 256 */
    uint64_t down_bps[256];          /* tag 4 */
    uint32_t down_bps_count;         /* items in down_bps, at most 256 */
    uint64_t up_bps[256];            /* tag 5 */
    uint32_t up_bps_count;           /* items in up_bps, at most 256 */
    uint64_t free_cache_bytes[256];  /* tag 6 */
    uint32_t free_cache_bytes_count; /* items in free_cache_bytes, at most 256 */
    uint32_t streams[256];           /* tag 7: open streams */
    uint32_t streams_count;          /* items in streams, at most 256 */
    bool draining[256];              /* tag 8 */
    uint32_t draining_count;         /* items in draining, at most 256 */
};

int stream_workers_ok_encode(const struct stream_workers_ok *m, cm_buf_t *out);
int stream_workers_ok_decode(struct stream_workers_ok *m, const void *data, size_t size);
void stream_workers_ok_print(const struct stream_workers_ok *m, FILE *out);

/* METADATA (7, request): Discovery: fetch a torrent's .torrent from the swarm through the worker
 * that rendezvous hashing names for its info-hash (another one if that one does not answer).
 * Answered by METADATA_OK or ERROR (UNAVAILABLE: no live worker; BUSY: too many in flight; the
 * worker's own error, e.g. TIMEOUT, with its reason). */
struct stream_metadata {
    /* tag 1, required: 40 hex digits, any case */
    char info_hash[40 + 1];
    /* tag 2: a magnet of that info-hash (its tr= trackers are used); empty: a bare one */
    char magnet[65536 + 1];
    /* tag 3: give up after this long (0: 60 s; at most 10 min) */
    uint32_t timeout_ms;
};

int stream_metadata_encode(const struct stream_metadata *m, cm_buf_t *out);
int stream_metadata_decode(struct stream_metadata *m, const void *data, size_t size);
void stream_metadata_print(const struct stream_metadata *m, FILE *out);

/* METADATA_OK (8, reply): The .torrent built from the verified info dictionary. */
struct stream_metadata_ok {
    /* tag 1, required: lower-case hex */
    char info_hash[40 + 1];
    /* tag 2, required, borrowed from the frame: .torrent bytes (info dictionary spliced
     * unchanged, trackers of the magnet) */
    cm_iov_t torrent;
    /* tag 3: the worker that fetched it */
    char worker[64 + 1];
    /* tag 4: torrent name */
    char name[1024 + 1];
    /* tag 5: number of files */
    uint32_t files;
    /* tag 6: payload size */
    uint64_t total_bytes;
};

int stream_metadata_ok_encode(const struct stream_metadata_ok *m, cm_buf_t *out);
int stream_metadata_ok_decode(struct stream_metadata_ok *m, const void *data, size_t size);
void stream_metadata_ok_print(const struct stream_metadata_ok *m, FILE *out);

/* SCRAPE (9, request): Discovery: a torrent's swarm figures from its trackers, asked by a worker
 * (the one rendezvous hashing names; another one if that one does not answer). Answered by
 * SCRAPE_OK or ERROR (UNAVAILABLE: no live worker, or no tracker answered; BUSY: too many in
 * flight). */
struct stream_scrape {
    /* tag 1, required: 40 hex digits, any case */
    char info_hash[40 + 1];
    /* tag 2: tracker announce URLs (at least one) */
    char trackers[32][1024 + 1];
    /* items in trackers, at most 32 */
    uint32_t trackers_count;
    /* tag 3: per tracker, all asked at once (0: 10 s; at most 10 min) */
    uint32_t timeout_ms;
};

int stream_scrape_encode(const struct stream_scrape *m, cm_buf_t *out);
int stream_scrape_decode(struct stream_scrape *m, const void *data, size_t size);
void stream_scrape_print(const struct stream_scrape *m, FILE *out);

/* SCRAPE_OK (10, reply): The largest figures any tracker gave. */
struct stream_scrape_ok {
    uint32_t seeders;    /* tag 1: complete peers */
    uint32_t leechers;   /* tag 2: incomplete peers */
    uint32_t completed;  /* tag 3: downloads completed */
    uint32_t answered;   /* tag 4: trackers that answered */
    uint32_t asked;      /* tag 5: trackers asked */
    char worker[64 + 1]; /* tag 6: the worker that asked them */
};

int stream_scrape_ok_encode(const struct stream_scrape_ok *m, cm_buf_t *out);
int stream_scrape_ok_decode(struct stream_scrape_ok *m, const void *data, size_t size);
void stream_scrape_ok_print(const struct stream_scrape_ok *m, FILE *out);

/* SWARM_GATE (11, request): Discovery: the VPN gate's state, sent on every change and again
 * every few seconds (a restarted proxy learns it). The proxy keeps the last one (at start: not
 * paused) and passes it to every worker in its HEARTBEAT; a worker run with
 * VPN_GATE_TORRENTS=true stops all swarm traffic while it is paused. Answered by SWARM_GATE_OK. */
struct stream_swarm_gate {
    bool paused;          /* tag 1: the VPN is down: no swarm traffic */
    char reason[256 + 1]; /* tag 2: why, for the logs */
};

int stream_swarm_gate_encode(const struct stream_swarm_gate *m, cm_buf_t *out);
int stream_swarm_gate_decode(struct stream_swarm_gate *m, const void *data, size_t size);
void stream_swarm_gate_print(const struct stream_swarm_gate *m, FILE *out);

/* SWARM_GATE_OK (12, reply): The state is taken. */
struct stream_swarm_gate_ok {
    /* tag 1: live workers told (on a change: those the new state was sent to at once; else every
     * live worker, told by its next heartbeat) */
    uint32_t workers;
};

int stream_swarm_gate_ok_encode(const struct stream_swarm_gate_ok *m, cm_buf_t *out);
int stream_swarm_gate_ok_decode(struct stream_swarm_gate_ok *m, const void *data, size_t size);
void stream_swarm_gate_ok_print(const struct stream_swarm_gate_ok *m, FILE *out);

/* Room for any message of the protocol, e.g. to decode into before dispatching. */
union stream_msg {
    struct stream_sessions sessions;
    struct stream_sessions_ok sessions_ok;
    struct stream_session_end session_end;
    struct stream_session_end_ok session_end_ok;
    struct stream_workers workers;
    struct stream_workers_ok workers_ok;
    struct stream_metadata metadata;
    struct stream_metadata_ok metadata_ok;
    struct stream_scrape scrape;
    struct stream_scrape_ok scrape_ok;
    struct stream_swarm_gate swarm_gate;
    struct stream_swarm_gate_ok swarm_gate_ok;
};

/* The name of message `id` (e.g. "SESSIONS"), or "?" when the protocol has none. Static. */
const char *stream_msg_name(int id);

/* The functions above, chosen by message number: `m` points to the struct of message `id` (a
 * union stream_msg will do). Decode and encode return -1 for an unknown id; print prints
 * "stream.? id=N". */
int stream_msg_decode(int id, void *m, const void *data, size_t size);
int stream_msg_encode(int id, const void *m, cm_buf_t *out);
void stream_msg_print(int id, const void *m, FILE *out);

/* What the transport layer knows of the protocol: ids, kinds, payload flags, names. */
extern const struct cm_proto stream_proto;

#endif
