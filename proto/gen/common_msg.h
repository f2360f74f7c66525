/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/common.toml
 * SPDX-License-Identifier: MIT
 * common (protocol 0, version 1): Control messages every daemon speaks: liveness, errors, credit
 * and health.
 *
 * Codecs of the message bodies, frame 2 of the envelope (proto/README.md). Each message <msg>
 * below (its name in lower case) has a plain struct common_<msg> and three functions:
 *   int common_<msg>_encode(const struct common_<msg> *m, cm_buf_t *out);
 *       Append the body to `out`: a msgpack map of every field, keyed by tag. Returns 0,
 *       or -1 when a field breaks the schema (a str not NUL-terminated within its array,
 *       not UTF-8 or holding a NUL; a bin, list or map over its max; a duplicate map key)
 *       or `out` is full. After -1, `out` may hold part of the body: discard it.
 *   int common_<msg>_decode(struct common_<msg> *m, const void *data, size_t size);
 *       Decode a body. Returns 0, or -1 when it is malformed: not exactly one msgpack map
 *       within CM_MP_DEPTH_MAX, a non-integer key, a value of the wrong type or out of
 *       range, a str not UTF-8 or holding a NUL, over a max, a tag or map key given twice,
 *       a required field missing. Unknown tags are skipped (a newer sender). No logging,
 *       no allocation. str fields are NUL-terminated copies; bin fields are views
 *       BORROWED from `data`, valid only while `data` is. After -1, *m is unspecified.
 *   void common_<msg>_print(const struct common_<msg> *m, FILE *out);
 *       One line, e.g. `common.ERROR status=8 reason="..."`: strings escaped as in the
 *       logs, bin shown as its length.
 * Every function is pure and may be called from any thread. */
#ifndef COMMON_MSG_H
#define COMMON_MSG_H
#include "cm.h"

/* Protocol number (never reused) and version (bumped on an incompatible change). */
#define COMMON_PROTO 0
#define COMMON_VERSION 1

/* Message numbers: never reused. */
#define COMMON_MSG_PING 1
#define COMMON_MSG_PONG 2
#define COMMON_MSG_ERROR 3
#define COMMON_MSG_CREDIT 4
#define COMMON_MSG_HEALTH 5
#define COMMON_MSG_HEALTH_OK 6

/* PING (1, request): Liveness probe; answered by PONG. */
struct common_ping {
    uint8_t unused_; /* no fields yet; C wants one member */
};

int common_ping_encode(const struct common_ping *m, cm_buf_t *out);
int common_ping_decode(struct common_ping *m, const void *data, size_t size);
void common_ping_print(const struct common_ping *m, FILE *out);

/* PONG (2, reply): Answer to PING. */
struct common_pong {
    uint8_t unused_; /* no fields yet; C wants one member */
};

int common_pong_encode(const struct common_pong *m, cm_buf_t *out);
int common_pong_decode(struct common_pong *m, const void *data, size_t size);
void common_pong_print(const struct common_pong *m, FILE *out);

/* ERROR (3, reply): A request failed. Answers any request in place of its *_OK message. */
struct common_error {
    uint16_t status;      /* tag 1, required: cm_status_t */
    char reason[256 + 1]; /* tag 2: human sentence, may be empty */
};

int common_error_encode(const struct common_error *m, cm_buf_t *out);
int common_error_decode(struct common_error *m, const void *data, size_t size);
void common_error_print(const struct common_error *m, FILE *out);

/* CREDIT (4, event): Grants the receiver permission to send this many more payload bytes. */
struct common_credit {
    uint64_t bytes; /* tag 1, required: added to the window */
};

int common_credit_encode(const struct common_credit *m, cm_buf_t *out);
int common_credit_decode(struct common_credit *m, const void *data, size_t size);
void common_credit_print(const struct common_credit *m, FILE *out);

/* HEALTH (5, request): Health probe; answered by HEALTH_OK. */
struct common_health {
    uint8_t unused_; /* no fields yet; C wants one member */
};

int common_health_encode(const struct common_health *m, cm_buf_t *out);
int common_health_decode(struct common_health *m, const void *data, size_t size);
void common_health_print(const struct common_health *m, FILE *out);

/* HEALTH_OK (6, reply): A daemon's health: identity, uptime, its database and its workers. */
struct common_health_ok {
    char service[32 + 1]; /* tag 1, required: daemon name */
    char version[32 + 1]; /* tag 2, required: daemon version */
    uint32_t pid;         /* tag 3: process id */
    uint64_t uptime_ms;   /* tag 4: time since start */
    uint8_t db;           /* tag 5: 0 = this daemon has no database, 1 = up, 2 = down */
    uint32_t db_us;       /* tag 6: database round trip in microseconds */
    uint32_t workers;     /* tag 7: stream-proxy: live workers */
    char detail[256 + 1]; /* tag 8: why degraded, empty when fine */
};

int common_health_ok_encode(const struct common_health_ok *m, cm_buf_t *out);
int common_health_ok_decode(struct common_health_ok *m, const void *data, size_t size);
void common_health_ok_print(const struct common_health_ok *m, FILE *out);

/* Room for any message of the protocol, e.g. to decode into before dispatching. */
union common_msg {
    struct common_ping ping;
    struct common_pong pong;
    struct common_error error;
    struct common_credit credit;
    struct common_health health;
    struct common_health_ok health_ok;
};

/* The name of message `id` (e.g. "PING"), or "?" when the protocol has none. Static. */
const char *common_msg_name(int id);

/* The functions above, chosen by message number: `m` points to the struct of message `id` (a
 * union common_msg will do). Decode and encode return -1 for an unknown id; print prints
 * "common.? id=N". */
int common_msg_decode(int id, void *m, const void *data, size_t size);
int common_msg_encode(int id, const void *m, cm_buf_t *out);
void common_msg_print(int id, const void *m, FILE *out);

/* What the transport layer knows of the protocol: ids, kinds, payload flags, names. */
extern const struct cm_proto common_proto;

#endif
