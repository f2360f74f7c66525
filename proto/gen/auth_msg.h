/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/auth.toml
 * SPDX-License-Identifier: MIT
 * auth (protocol 1, version 1): Accounts, logins, tokens and stream keys.
 *
 * Codecs of the message bodies, frame 2 of the envelope (proto/README.md). Each message <msg>
 * below (its name in lower case) has a plain struct auth_<msg> and three functions:
 *   int auth_<msg>_encode(const struct auth_<msg> *m, cm_buf_t *out);
 *       Append the body to `out`: a msgpack map of every field, keyed by tag. Returns 0,
 *       or -1 when a field breaks the schema (a str not NUL-terminated within its array,
 *       not UTF-8 or holding a NUL; a bin, list or map over its max; a duplicate map key)
 *       or `out` is full. After -1, `out` may hold part of the body: discard it.
 *   int auth_<msg>_decode(struct auth_<msg> *m, const void *data, size_t size);
 *       Decode a body. Returns 0, or -1 when it is malformed: not exactly one msgpack map
 *       within CM_MP_DEPTH_MAX, a non-integer key, a value of the wrong type or out of
 *       range, a str not UTF-8 or holding a NUL, over a max, a tag or map key given twice,
 *       a required field missing. Unknown tags are skipped (a newer sender). No logging,
 *       no allocation. str fields are NUL-terminated copies; bin fields are views
 *       BORROWED from `data`, valid only while `data` is. After -1, *m is unspecified.
 *   void auth_<msg>_print(const struct auth_<msg> *m, FILE *out);
 *       One line, e.g. `common.ERROR status=8 reason="..."`: strings escaped as in the
 *       logs, bin shown as its length.
 * Every function is pure and may be called from any thread. */
#ifndef AUTH_MSG_H
#define AUTH_MSG_H
#include "cm.h"

/* Protocol number (never reused) and version (bumped on an incompatible change). */
#define AUTH_PROTO 1
#define AUTH_VERSION 1

/* Room for any message of the protocol, e.g. to decode into before dispatching. */
union auth_msg {
    uint8_t unused_; /* no messages yet; C wants one member */
};

/* The name of message `id` (e.g. "PING"), or "?" when the protocol has none. Static. */
const char *auth_msg_name(int id);

/* The functions above, chosen by message number: `m` points to the struct of message `id` (a
 * union auth_msg will do). Decode and encode return -1 for an unknown id; print prints "auth.?
 * id=N". */
int auth_msg_decode(int id, void *m, const void *data, size_t size);
int auth_msg_encode(int id, const void *m, cm_buf_t *out);
void auth_msg_print(int id, const void *m, FILE *out);

/* What the transport layer knows of the protocol: ids, kinds, payload flags, names. */
extern const struct cm_proto auth_proto;

#endif
