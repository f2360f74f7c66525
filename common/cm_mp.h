/* SPDX-License-Identifier: MIT
 * cm_mp: msgpack helpers. Encoding goes through msgpack-c's packer writing into a cm_buf_t.
 * Decoding never uses msgpack-c's object unpacker, which allocates count x 24 bytes for an
 * array header before reading any element (5 bytes can ask for gigabytes). Instead:
 *   1. cm_mp_check() walks the bytes and rejects any declared length or count larger than the
 *      bytes left, nesting deeper than a limit, ext types, and trailing bytes;
 *   2. a cm_mp_reader_t then reads values in place, bounds-checked, without allocating.
 * All functions are pure and may be called from any thread. */
#ifndef CM_MP_H
#define CM_MP_H
#include <msgpack.h>
#include "cm_buf.h"

/* Validate that `data` is exactly one msgpack object of at most `max_depth` nesting levels whose
 * every declared count and length fits in the bytes that follow. Returns 0 or -1. */
int cm_mp_check(const void *data, size_t size, int max_depth);

/* --- Writer: msgpack_packer over a cm_buf_t --- */

typedef struct cm_mp_writer {
    msgpack_packer pk; /* msgpack-c packer; its callback appends to `buf` */
    cm_buf_t *buf;     /* borrowed destination */
    int err;           /* -1 once an append failed (the buffer's cap); sticky */
} cm_mp_writer_t;

/* Start writing at the end of `buf` (borrowed; must outlive the writer). */
void cm_mp_writer_init(cm_mp_writer_t *w, cm_buf_t *buf);

void cm_mp_put_map(cm_mp_writer_t *w, uint32_t n);
void cm_mp_put_array(cm_mp_writer_t *w, uint32_t n);
void cm_mp_put_uint(cm_mp_writer_t *w, uint64_t v);
void cm_mp_put_int(cm_mp_writer_t *w, int64_t v);
void cm_mp_put_bool(cm_mp_writer_t *w, bool v);
void cm_mp_put_nil(cm_mp_writer_t *w);
void cm_mp_put_double(cm_mp_writer_t *w, double v);
void cm_mp_put_str(cm_mp_writer_t *w, const char *s, size_t len);
void cm_mp_put_cstr(cm_mp_writer_t *w, const char *s);
void cm_mp_put_bin(cm_mp_writer_t *w, const void *p, size_t len);

/* 0 if every put so far fitted in the buffer's cap, else -1. */
int cm_mp_writer_status(const cm_mp_writer_t *w);

/* --- Reader: in-place, bounds-checked, no allocation --- */

typedef struct cm_mp_reader {
    const unsigned char *p;   /* next byte */
    const unsigned char *end; /* one past the last byte */
} cm_mp_reader_t;

enum cm_mp_type {
    CM_MP_NONE = 0, /* end of input or an unusable byte */
    CM_MP_NIL,
    CM_MP_BOOL,
    CM_MP_UINT, /* a non-negative integer, whatever its encoding */
    CM_MP_INT,  /* a negative integer */
    CM_MP_FLOAT,
    CM_MP_STR,
    CM_MP_BIN,
    CM_MP_ARRAY,
    CM_MP_MAP,
    CM_MP_EXT,
};

/* Read from `data` (borrowed; must outlive the reader and every view it returns). */
void cm_mp_reader_init(cm_mp_reader_t *r, const void *data, size_t size);

/* The type of the next value, without consuming it. */
int cm_mp_peek(const cm_mp_reader_t *r);
size_t cm_mp_left(const cm_mp_reader_t *r);

/* Each reads one value of its type and returns 0, or -1 (reader unchanged) on a type mismatch,
 * an out-of-range value or truncated input. Integers accept any msgpack integer encoding whose
 * value fits. Container reads give the count; the elements follow. */
int cm_mp_read_map(cm_mp_reader_t *r, uint32_t *n);
int cm_mp_read_array(cm_mp_reader_t *r, uint32_t *n);
int cm_mp_read_uint(cm_mp_reader_t *r, uint64_t *v);
int cm_mp_read_int(cm_mp_reader_t *r, int64_t *v);
int cm_mp_read_bool(cm_mp_reader_t *r, bool *v);
int cm_mp_read_nil(cm_mp_reader_t *r);
int cm_mp_read_double(cm_mp_reader_t *r, double *v);
/* `*s` is a borrowed view into the input, NOT NUL-terminated. */
int cm_mp_read_str(cm_mp_reader_t *r, const char **s, uint32_t *len);
int cm_mp_read_bin(cm_mp_reader_t *r, const void **p, uint32_t *len);

/* Skip one whole value (containers included), at most `max_depth` levels deep. 0 or -1. */
int cm_mp_skip(cm_mp_reader_t *r, int max_depth);

#endif
