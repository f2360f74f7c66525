/* SPDX-License-Identifier: MIT
 * cm_mem: the only allocator entry points of the suite. They abort on OOM (Redis zmalloc):
 * caps make attacker-driven OOM impossible by construction, so OOM means the machine is gone.
 * Tests can make the Nth allocation fail (cm_mem_fail_after) to check partial-state cleanup in
 * code that uses the _try variants. */
#ifndef CM_MEM_H
#define CM_MEM_H
#include <stddef.h>

/* Allocate; abort with a message on OOM. Caller owns the result; release with cm_free(). */
void *cm_malloc(size_t size);
void *cm_calloc(size_t n, size_t size);
void *cm_realloc(void *ptr, size_t size);
char *cm_strdup(const char *s);
char *cm_strndup(const char *s, size_t n);
void *cm_memdup(const void *p, size_t n);

/* Like cm_malloc but returns NULL on failure (real or injected) instead of aborting. */
void *cm_try_malloc(size_t size);

/* Free `ptr`; NULL is fine. */
void cm_free(void *ptr);

/* Tests only: make the allocation after the next `n` cm_try_malloc() calls fail (-1: never). */
void cm_mem_fail_after(long n);

/* For daemons that move large buffers at a high rate (stream chunks of 1 MiB): keep blocks
 * below `mmap_max` bytes on the heap and keep up to `trim_max` bytes of free heap, instead of
 * glibc mapping, zeroing and unmapping every such block (page faults on each chunk). */
void cm_mem_tune_bulk(size_t mmap_max, size_t trim_max);

#endif
