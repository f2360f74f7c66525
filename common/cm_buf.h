/* SPDX-License-Identifier: MIT
 * cm_buf: a growable byte buffer with a hard size cap (curl's dynbuf with `toobig`). The codecs
 * encode into it; cm_zsock sends from it. Also cm_iov_t, a borrowed view of bytes. */
#ifndef CM_BUF_H
#define CM_BUF_H
#include <stddef.h>
#include <stdarg.h>
#include "cm_prelude.h"

/* A borrowed view: `data` is not owned; the owner says how long it stays valid. */
typedef struct cm_iov {
    const void *data; /* first byte, or NULL when len is 0 */
    size_t len;       /* bytes */
} cm_iov_t;

typedef struct cm_buf cm_buf_t; /* opaque */

/* Create an empty buffer that refuses to grow beyond `cap` bytes.
 * Caller owns the result; free it with cm_buf_destroy(). Aborts on OOM. */
cm_buf_t *cm_buf_new(size_t cap);

/* Destroy *self_p if not NULL and set it to NULL. Safe to call twice. */
void cm_buf_destroy(cm_buf_t **self_p);

/* Append `len` bytes. Returns 0, or -1 if the cap would be exceeded (buffer unchanged). */
int cm_buf_append(cm_buf_t *self, const void *data, size_t len) CM_WARN_UNUSED;

/* Append formatted text (no NUL stored). Returns 0, or -1 over the cap (buffer unchanged). */
int cm_buf_appendf(cm_buf_t *self, const char *fmt, ...) CM_PRINTF(2, 3) CM_WARN_UNUSED;
int cm_buf_vappendf(cm_buf_t *self, const char *fmt, va_list ap) CM_WARN_UNUSED;

/* Empty the buffer, keeping its storage. */
void cm_buf_reset(cm_buf_t *self);

/* Borrowed view of the contents; valid until the next call that modifies `self`. Never NULL:
 * an empty buffer gives a pointer to a NUL byte. The contents are always followed by a NUL
 * byte (not counted in the length), so text can be read as a C string. */
const unsigned char *cm_buf_data(const cm_buf_t *self);
size_t cm_buf_len(const cm_buf_t *self);
size_t cm_buf_cap(const cm_buf_t *self);

/* Take the storage out of the buffer, leaving it empty. Caller owns it (NUL-terminated after
 * `*len_out` bytes); release with cm_free(). */
unsigned char *cm_buf_take(cm_buf_t *self, size_t *len_out);

#endif
