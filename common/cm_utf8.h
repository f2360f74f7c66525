/* SPDX-License-Identifier: MIT
 * cm_utf8: strict UTF-8 checks (no overlong forms, no surrogates, nothing past U+10FFFF). Used
 * by the log escaper, the msgpack str decoder and the JSON layer. */
#ifndef CM_UTF8_H
#define CM_UTF8_H
#include <stdbool.h>
#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at `p`, which has `left` > 0 bytes, or 0. */
size_t cm_utf8_seq(const unsigned char *p, size_t left);

/* True when all `len` bytes are valid UTF-8 and, unless `allow_nul`, contain no NUL byte. */
bool cm_utf8_valid(const void *s, size_t len, bool allow_nul);

/* Copy the C string `src` into `dst` (`size` > 0 bytes, always NUL-terminated), as valid UTF-8:
 * invalid bytes become '?', and a cut at `size` falls on a character boundary, never inside a
 * sequence. For text that must pass a str field's UTF-8 and length checks. Returns `dst`. */
char *cm_utf8_copy(char *dst, size_t size, const char *src);

/* The value of a hex digit (any case), or -1. */
int cm_hexval(int c);

#endif
