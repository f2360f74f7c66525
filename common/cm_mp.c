/* SPDX-License-Identifier: MIT
 * cm_mp: msgpack validation, in-place reading, and writing through msgpack-c's packer. */
#include "cm.h"

enum {
    MP_CHECK_DEPTH_HARD = 64, /* cm_mp_check() never walks deeper, whatever the caller asks */
};

/* --- Header decoding shared by the checker and the reader --- */

/* One decoded msgpack header: what the next value is and how many bytes or items follow. */
struct mp_head {
    int type;     /* enum cm_mp_type */
    size_t hlen;  /* bytes of the header itself (type byte + length/value bytes) */
    uint64_t len; /* STR/BIN/EXT: payload bytes; ARRAY: items; MAP: pairs */
    uint64_t u;   /* UINT value, BOOL value */
    int64_t i;    /* INT value */
    double d;     /* FLOAT value */
};

static uint64_t s_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Decode the header at p; 0 or -1 if truncated or unusable (0xc1). Payload bytes of str/bin/
 * ext are not checked here. */
static int s_head(const unsigned char *p, const unsigned char *end, struct mp_head *h)
{
    if (p >= end)
        return -1;
    size_t left = (size_t)(end - p);
    unsigned c = p[0];
    memset(h, 0, sizeof(*h));
    h->hlen = 1;
    if (c <= 0x7f) {
        h->type = CM_MP_UINT;
        h->u = c;
        return 0;
    }
    if (c >= 0xe0) {
        h->type = CM_MP_INT;
        h->i = (int8_t)c;
        return 0;
    }
    if ((c & 0xf0) == 0x80) {
        h->type = CM_MP_MAP;
        h->len = c & 0x0f;
        return 0;
    }
    if ((c & 0xf0) == 0x90) {
        h->type = CM_MP_ARRAY;
        h->len = c & 0x0f;
        return 0;
    }
    if ((c & 0xe0) == 0xa0) {
        h->type = CM_MP_STR;
        h->len = c & 0x1f;
        return 0;
    }
    /* Sizes of the extra bytes after the type byte, for 0xc0..0xdf. */
    int n = 0;
    switch (c) {
    case 0xc0:
        h->type = CM_MP_NIL;
        return 0;
    case 0xc2:
    case 0xc3:
        h->type = CM_MP_BOOL;
        h->u = c == 0xc3;
        return 0;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        h->type = CM_MP_BIN;
        n = 1 << (c - 0xc4);
        break;
    case 0xc7:
    case 0xc8:
    case 0xc9:
        h->type = CM_MP_EXT;
        n = (1 << (c - 0xc7)) + 1; /* length + ext type byte */
        break;
    case 0xca:
        h->type = CM_MP_FLOAT;
        n = 4;
        break;
    case 0xcb:
        h->type = CM_MP_FLOAT;
        n = 8;
        break;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        h->type = CM_MP_UINT;
        n = 1 << (c - 0xcc);
        break;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        h->type = CM_MP_INT;
        n = 1 << (c - 0xd0);
        break;
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        h->type = CM_MP_EXT;
        n = 1;
        h->len = 1u << (c - 0xd4);
        break;
    case 0xd9:
    case 0xda:
    case 0xdb:
        h->type = CM_MP_STR;
        n = 1 << (c - 0xd9);
        break;
    case 0xdc:
    case 0xdd:
        h->type = CM_MP_ARRAY;
        n = 2 << (c - 0xdc);
        break;
    case 0xde:
    case 0xdf:
        h->type = CM_MP_MAP;
        n = 2 << (c - 0xde);
        break;
    default: /* 0xc1 is never used */
        return -1;
    }
    if (left < 1 + (size_t)n)
        return -1;
    h->hlen = 1 + (size_t)n;
    const unsigned char *q = p + 1;
    switch (h->type) {
    case CM_MP_BIN:
    case CM_MP_STR:
    case CM_MP_ARRAY:
    case CM_MP_MAP:
        h->len = s_be(q, n);
        break;
    case CM_MP_EXT:
        if (c >= 0xc7 && c <= 0xc9)
            h->len = s_be(q, n - 1);
        break;
    case CM_MP_UINT:
        h->u = s_be(q, n);
        break;
    case CM_MP_INT: {
        uint64_t raw = s_be(q, n);
        int64_t v;
        if (n == 1)
            v = (int8_t)raw;
        else if (n == 2)
            v = (int16_t)raw;
        else if (n == 4)
            v = (int32_t)raw;
        else
            memcpy(&v, &raw, sizeof(v));
        if (v >= 0) {
            h->type = CM_MP_UINT;
            h->u = (uint64_t)v;
        } else {
            h->i = v;
        }
        break;
    }
    case CM_MP_FLOAT:
        if (n == 4) {
            uint32_t raw = (uint32_t)s_be(q, 4);
            float f;
            memcpy(&f, &raw, sizeof(f));
            h->d = f;
        } else {
            uint64_t raw = s_be(q, 8);
            memcpy(&h->d, &raw, sizeof(h->d));
        }
        break;
    default:
        break;
    }
    return 0;
}

/* --- cm_mp_check --- */

/* Check one value at *pp; advance past it. Recursion depth is bounded by max_depth. */
static int s_check(const unsigned char **pp, const unsigned char *end, int depth, int max_depth)
{
    struct mp_head h;
    if (s_head(*pp, end, &h) < 0)
        return -1;
    *pp += h.hlen;
    size_t left = (size_t)(end - *pp);
    switch (h.type) {
    case CM_MP_STR:
    case CM_MP_BIN:
        if (h.len > left)
            return -1;
        *pp += h.len;
        return 0;
    case CM_MP_EXT:
        return -1; /* no ext types on our wire */
    case CM_MP_ARRAY:
    case CM_MP_MAP: {
        uint64_t items = h.type == CM_MP_MAP ? h.len * 2 : h.len;
        /* Each element takes at least one byte: a count past the bytes left is a lie. */
        if (items > left)
            return -1;
        if (depth + 1 > max_depth)
            return -1;
        for (uint64_t i = 0; i < items; i++) {
            if (s_check(pp, end, depth + 1, max_depth) < 0)
                return -1;
        }
        return 0;
    }
    default:
        return 0;
    }
}

int cm_mp_check(const void *data, size_t size, int max_depth)
{
    if (!data || size == 0)
        return -1;
    if (max_depth > MP_CHECK_DEPTH_HARD)
        max_depth = MP_CHECK_DEPTH_HARD;
    const unsigned char *p = data;
    const unsigned char *end = p + size;
    if (s_check(&p, end, 0, max_depth) < 0)
        return -1;
    return p == end ? 0 : -1; /* trailing bytes are a malformed frame */
}

/* --- Writer --- */

static int s_write(void *data, const char *buf, size_t len)
{
    cm_mp_writer_t *w = data;
    if (w->err || cm_buf_append(w->buf, buf, len) < 0) {
        w->err = -1;
        return -1;
    }
    return 0;
}

void cm_mp_writer_init(cm_mp_writer_t *w, cm_buf_t *buf)
{
    w->buf = buf;
    w->err = 0;
    msgpack_packer_init(&w->pk, w, s_write);
}

void cm_mp_put_map(cm_mp_writer_t *w, uint32_t n)
{
    msgpack_pack_map(&w->pk, n);
}

void cm_mp_put_array(cm_mp_writer_t *w, uint32_t n)
{
    msgpack_pack_array(&w->pk, n);
}

void cm_mp_put_uint(cm_mp_writer_t *w, uint64_t v)
{
    msgpack_pack_uint64(&w->pk, v);
}

void cm_mp_put_int(cm_mp_writer_t *w, int64_t v)
{
    msgpack_pack_int64(&w->pk, v);
}

void cm_mp_put_bool(cm_mp_writer_t *w, bool v)
{
    if (v)
        msgpack_pack_true(&w->pk);
    else
        msgpack_pack_false(&w->pk);
}

void cm_mp_put_nil(cm_mp_writer_t *w)
{
    msgpack_pack_nil(&w->pk);
}

void cm_mp_put_double(cm_mp_writer_t *w, double v)
{
    msgpack_pack_double(&w->pk, v);
}

void cm_mp_put_str(cm_mp_writer_t *w, const char *s, size_t len)
{
    if (len > UINT32_MAX) {
        w->err = -1;
        return;
    }
    msgpack_pack_str(&w->pk, len);
    if (len)
        msgpack_pack_str_body(&w->pk, s, len);
}

void cm_mp_put_cstr(cm_mp_writer_t *w, const char *s)
{
    cm_mp_put_str(w, s, strlen(s));
}

void cm_mp_put_bin(cm_mp_writer_t *w, const void *p, size_t len)
{
    if (len > UINT32_MAX) {
        w->err = -1;
        return;
    }
    msgpack_pack_bin(&w->pk, len);
    if (len)
        msgpack_pack_bin_body(&w->pk, p, len);
}

int cm_mp_writer_status(const cm_mp_writer_t *w)
{
    return w->err ? -1 : 0;
}

/* --- Reader --- */

void cm_mp_reader_init(cm_mp_reader_t *r, const void *data, size_t size)
{
    r->p = data;
    r->end = r->p + (data ? size : 0);
}

int cm_mp_peek(const cm_mp_reader_t *r)
{
    struct mp_head h;
    if (s_head(r->p, r->end, &h) < 0)
        return CM_MP_NONE;
    return h.type;
}

size_t cm_mp_left(const cm_mp_reader_t *r)
{
    return (size_t)(r->end - r->p);
}

/* Decode the next header and require `type`; on success the header is consumed. */
static int s_take(cm_mp_reader_t *r, int type, struct mp_head *h)
{
    if (s_head(r->p, r->end, h) < 0 || h->type != type)
        return -1;
    size_t left = (size_t)(r->end - r->p) - h->hlen;
    if (type == CM_MP_STR || type == CM_MP_BIN) {
        if (h->len > left)
            return -1;
    } else if (type == CM_MP_ARRAY || type == CM_MP_MAP) {
        uint64_t items = type == CM_MP_MAP ? h->len * 2 : h->len;
        if (items > left)
            return -1;
    }
    r->p += h->hlen;
    return 0;
}

int cm_mp_read_map(cm_mp_reader_t *r, uint32_t *n)
{
    struct mp_head h;
    if (s_take(r, CM_MP_MAP, &h) < 0)
        return -1;
    *n = (uint32_t)h.len;
    return 0;
}

int cm_mp_read_array(cm_mp_reader_t *r, uint32_t *n)
{
    struct mp_head h;
    if (s_take(r, CM_MP_ARRAY, &h) < 0)
        return -1;
    *n = (uint32_t)h.len;
    return 0;
}

int cm_mp_read_uint(cm_mp_reader_t *r, uint64_t *v)
{
    struct mp_head h;
    if (s_take(r, CM_MP_UINT, &h) < 0)
        return -1;
    *v = h.u;
    return 0;
}

int cm_mp_read_int(cm_mp_reader_t *r, int64_t *v)
{
    struct mp_head h;
    if (s_head(r->p, r->end, &h) < 0)
        return -1;
    if (h.type == CM_MP_UINT) {
        if (h.u > (uint64_t)INT64_MAX)
            return -1;
        *v = (int64_t)h.u;
    } else if (h.type == CM_MP_INT) {
        *v = h.i;
    } else {
        return -1;
    }
    r->p += h.hlen;
    return 0;
}

int cm_mp_read_bool(cm_mp_reader_t *r, bool *v)
{
    struct mp_head h;
    if (s_take(r, CM_MP_BOOL, &h) < 0)
        return -1;
    *v = h.u != 0;
    return 0;
}

int cm_mp_read_nil(cm_mp_reader_t *r)
{
    struct mp_head h;
    return s_take(r, CM_MP_NIL, &h);
}

int cm_mp_read_double(cm_mp_reader_t *r, double *v)
{
    struct mp_head h;
    if (s_head(r->p, r->end, &h) < 0)
        return -1;
    if (h.type == CM_MP_FLOAT)
        *v = h.d;
    else if (h.type == CM_MP_UINT)
        *v = (double)h.u;
    else if (h.type == CM_MP_INT)
        *v = (double)h.i;
    else
        return -1;
    r->p += h.hlen;
    return 0;
}

int cm_mp_read_str(cm_mp_reader_t *r, const char **s, uint32_t *len)
{
    struct mp_head h;
    if (s_take(r, CM_MP_STR, &h) < 0)
        return -1;
    *s = (const char *)r->p;
    *len = (uint32_t)h.len;
    r->p += h.len;
    return 0;
}

int cm_mp_read_bin(cm_mp_reader_t *r, const void **p, uint32_t *len)
{
    struct mp_head h;
    if (s_take(r, CM_MP_BIN, &h) < 0)
        return -1;
    *p = r->p;
    *len = (uint32_t)h.len;
    r->p += h.len;
    return 0;
}

int cm_mp_skip(cm_mp_reader_t *r, int max_depth)
{
    const unsigned char *p = r->p;
    if (max_depth > MP_CHECK_DEPTH_HARD)
        max_depth = MP_CHECK_DEPTH_HARD;
    if (s_check(&p, r->end, 0, max_depth) < 0)
        return -1;
    r->p = p;
    return 0;
}
