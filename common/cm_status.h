/* SPDX-License-Identifier: MIT
 * cm_status: the one status enum of the suite. It travels on the wire (common.ERROR.status) and
 * maps to HTTP statuses in one table. Append only: never renumber, never remove (curl's rule). */
#ifndef CM_STATUS_H
#define CM_STATUS_H
#include <stddef.h>

typedef enum cm_status {
    CM_OK = 0,
    CM_ERR_INTERNAL = 1,      /* a bug or an unexpected library failure */
    CM_ERR_MALFORMED = 2,     /* a frame or body that does not decode */
    CM_ERR_UNKNOWN_MSG = 3,   /* a message number the receiver does not handle */
    CM_ERR_VERSION = 4,       /* a protocol version the receiver does not speak */
    CM_ERR_TIMEOUT = 5,       /* the deadline passed before an answer */
    CM_ERR_UNAVAILABLE = 6,   /* the peer or the database is down or unreachable */
    CM_ERR_BUSY = 7,          /* a queue or cap is full; try again later */
    CM_ERR_NOT_FOUND = 8,     /* unknown id */
    CM_ERR_INVALID = 9,       /* well-formed but semantically wrong input */
    CM_ERR_CONFLICT = 10,     /* already exists, or a concurrent change won */
    CM_ERR_UNAUTHORIZED = 11, /* no or bad credentials */
    CM_ERR_FORBIDDEN = 12,    /* credentials fine, role insufficient */
    CM_ERR_TOO_LARGE = 13,    /* over a size cap */
    CM_ERR_RATE_LIMITED = 14, /* a rate limit hit */
    CM_ERR_SHUTDOWN = 15,     /* the daemon is stopping; the request was abandoned */
    CM_ERR_DB = 16,           /* the database answered with an error */
    CM_STATUS_COUNT           /* keep last */
} cm_status_t;

/* Format one sentence into err[errlen] (the setup paths' "char *err" convention); nothing when
 * `err` is NULL or errlen 0. */
void cm_errf(char *err, size_t errlen, const char *fmt, ...) CM_PRINTF(3, 4);

/* A short English sentence for `status`. Never NULL; unknown values give "unknown status". */
const char *cm_status_str(int status);

/* A stable machine code for `status`, e.g. "timeout"; used as the JSON "code" field. */
const char *cm_status_code(int status);

/* The HTTP status that best reports `status` to a client (e.g. CM_ERR_TIMEOUT -> 504). */
int cm_status_http(int status);

#endif
