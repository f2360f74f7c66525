/* SPDX-License-Identifier: MIT
 * cm_mem: abort-on-OOM allocation, plus a fault-injection counter for tests. */
#include <malloc.h>
#include "cm.h"

static long s_fail_after = -1; /* try-allocations left before an injected failure; -1 never */

CM_NORETURN static void s_oom(size_t size)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", size);
    abort();
}

void *cm_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        s_oom(size);
    return p;
}

void *cm_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        s_oom(n * size);
    return p;
}

void *cm_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        s_oom(size);
    return p;
}

char *cm_strdup(const char *s)
{
    return cm_memdup(s, strlen(s) + 1);
}

char *cm_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = cm_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void *cm_memdup(const void *src, size_t n)
{
    void *p = cm_malloc(n);
    if (n)
        memcpy(p, src, n);
    return p;
}

void *cm_try_malloc(size_t size)
{
    if (s_fail_after == 0)
        return NULL;
    if (s_fail_after > 0)
        s_fail_after--;
    return malloc(size ? size : 1);
}

void cm_free(void *ptr)
{
    free(ptr);
}

void cm_mem_fail_after(long n)
{
    s_fail_after = n;
}

void cm_mem_tune_bulk(size_t mmap_max, size_t trim_max)
{
    mallopt(M_MMAP_THRESHOLD, (int)mmap_max);
    mallopt(M_TRIM_THRESHOLD, (int)trim_max);
}
