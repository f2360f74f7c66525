/* SPDX-License-Identifier: MIT
 * cm_json: the small glue between jansson and our allocator. JSON bodies are built with
 * jansson (strict UTF-8, depth-limited parsing); these helpers turn them into bytes we own. */
#ifndef CM_JSON_H
#define CM_JSON_H
#include <jansson.h>
#include <stddef.h>

/* Serialize `root` compactly and release it (json_decref). Caller owns the NUL-terminated
 * result (free with cm_free); its length goes to `len_out` when not NULL. */
char *cm_json_take_dump(json_t *root, size_t *len_out);

#endif
