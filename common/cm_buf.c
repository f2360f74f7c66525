/* SPDX-License-Identifier: MIT
 * cm_buf: bounded growable byte buffer. */
#include "cm.h"

#define CM_BUF_TAG 0xcb0f0001u

struct cm_buf {
    uint32_t tag;       /* CM_BUF_TAG while alive */
    unsigned char *mem; /* storage, NULL until the first append; always NUL-terminated */
    size_t len;         /* bytes used */
    size_t alloc;       /* bytes allocated (includes room for the NUL) */
    size_t cap;         /* most bytes `len` may reach */
};

static int s_grow(cm_buf_t *self, size_t extra)
{
    if (extra > self->cap - self->len)
        return -1;
    size_t need = self->len + extra + 1;
    if (need <= self->alloc)
        return 0;
    size_t alloc = self->alloc ? self->alloc : 64;
    while (alloc < need)
        alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
    if (alloc > self->cap + 1)
        alloc = self->cap + 1;
    self->mem = cm_realloc(self->mem, alloc);
    self->alloc = alloc;
    return 0;
}

cm_buf_t *cm_buf_new(size_t cap)
{
    cm_buf_t *self = cm_calloc(1, sizeof(*self));
    self->tag = CM_BUF_TAG;
    self->cap = cap < SIZE_MAX - 1 ? cap : SIZE_MAX - 2;
    return self;
}

void cm_buf_destroy(cm_buf_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cm_buf_t *self = *self_p;
    assert(self->tag == CM_BUF_TAG);
    self->tag = 0xdeadbeef;
    cm_free(self->mem);
    cm_free(self);
    *self_p = NULL;
}

int cm_buf_append(cm_buf_t *self, const void *data, size_t len)
{
    assert(self && self->tag == CM_BUF_TAG);
    if (s_grow(self, len) < 0)
        return -1;
    if (len)
        memcpy(self->mem + self->len, data, len);
    self->len += len;
    self->mem[self->len] = '\0';
    return 0;
}

int cm_buf_vappendf(cm_buf_t *self, const char *fmt, va_list ap)
{
    assert(self && self->tag == CM_BUF_TAG);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || s_grow(self, (size_t)n) < 0)
        return -1;
    vsnprintf((char *)self->mem + self->len, (size_t)n + 1, fmt, ap);
    self->len += (size_t)n;
    return 0;
}

int cm_buf_appendf(cm_buf_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cm_buf_vappendf(self, fmt, ap);
    va_end(ap);
    return rc;
}

void cm_buf_reset(cm_buf_t *self)
{
    assert(self && self->tag == CM_BUF_TAG);
    self->len = 0;
    if (self->mem)
        self->mem[0] = '\0';
}

const unsigned char *cm_buf_data(const cm_buf_t *self)
{
    assert(self && self->tag == CM_BUF_TAG);
    return self->mem ? self->mem : (const unsigned char *)"";
}

size_t cm_buf_len(const cm_buf_t *self)
{
    assert(self && self->tag == CM_BUF_TAG);
    return self->len;
}

size_t cm_buf_cap(const cm_buf_t *self)
{
    assert(self && self->tag == CM_BUF_TAG);
    return self->cap;
}

unsigned char *cm_buf_take(cm_buf_t *self, size_t *len_out)
{
    assert(self && self->tag == CM_BUF_TAG);
    unsigned char *mem = self->mem ? self->mem : cm_calloc(1, 1);
    if (len_out)
        *len_out = self->len;
    self->mem = NULL;
    self->len = self->alloc = 0;
    return mem;
}
