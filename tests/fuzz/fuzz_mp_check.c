/* SPDX-License-Identifier: MIT
 * fuzz_mp_check: the pre-decode gate (STYLE.md, "Decode safety"). Whatever cm_mp_check() accepts
 * must be exactly one value that cm_mp_skip() consumes whole, and that the typed cm_mp_read_*()
 * functions walk value by value to the last byte, within the same depth. Accepting at a smaller
 * depth limit implies accepting at a larger one. Corpus: tests/fuzz/corpus/mp_check/. */
#include "fuzz.h"

/* Read one value with the typed readers, containers included. 0 or -1. */
static int s_walk(cm_mp_reader_t *r, int depth)
{
    uint32_t n;
    uint64_t u;
    int64_t i;
    bool b;
    double d;
    const char *s;
    const void *p;

    switch (cm_mp_peek(r)) {
    case CM_MP_NIL:
        return cm_mp_read_nil(r);
    case CM_MP_BOOL:
        return cm_mp_read_bool(r, &b);
    case CM_MP_UINT:
        return cm_mp_read_uint(r, &u);
    case CM_MP_INT:
        return cm_mp_read_int(r, &i);
    case CM_MP_FLOAT:
        return cm_mp_read_double(r, &d);
    case CM_MP_STR:
        return cm_mp_read_str(r, &s, &n);
    case CM_MP_BIN:
        return cm_mp_read_bin(r, &p, &n);
    case CM_MP_ARRAY:
    case CM_MP_MAP: {
        bool map = cm_mp_peek(r) == CM_MP_MAP;
        if (depth >= CM_MP_DEPTH_MAX)
            return -1;
        if ((map ? cm_mp_read_map(r, &n) : cm_mp_read_array(r, &n)) < 0)
            return -1;
        for (uint64_t k = 0; k < (map ? 2 * (uint64_t)n : n); k++) {
            if (s_walk(r, depth + 1) < 0)
                return -1;
        }
        return 0;
    }
    default: /* ext, 0xc1, or nothing left: cm_mp_check() never lets these through */
        return -1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cm_mp_reader_t r;

    if (cm_mp_check(data, size, 4) == 0 && cm_mp_check(data, size, CM_MP_DEPTH_MAX) != 0)
        abort();
    if (cm_mp_check(data, size, CM_MP_DEPTH_MAX) != 0)
        return 0;
    cm_mp_reader_init(&r, data, size);
    if (cm_mp_skip(&r, CM_MP_DEPTH_MAX) != 0 || cm_mp_left(&r) != 0)
        abort();
    cm_mp_reader_init(&r, data, size);
    if (s_walk(&r, 0) != 0 || cm_mp_left(&r) != 0)
        abort();
    return 0;
}
