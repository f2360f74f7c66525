/* SPDX-License-Identifier: MIT
 * cm_json: jansson output into cm_malloc'd memory. */
#include "cm.h"
#include "cm_json.h"

enum {
    JSON_FLAGS = JSON_COMPACT | JSON_REAL_PRECISION(10), /* our output style */
};

char *cm_json_take_dump(json_t *root, size_t *len_out)
{
    size_t need = root ? json_dumpb(root, NULL, 0, JSON_FLAGS) : 0;
    char *out = cm_malloc(need + 1);
    if (need && json_dumpb(root, out, need, JSON_FLAGS) != need)
        need = 0; /* cannot happen for a tree we just measured; answer empty rather than junk */
    out[need] = '\0';
    if (len_out)
        *len_out = need;
    json_decref(root);
    return out;
}
