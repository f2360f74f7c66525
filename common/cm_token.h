/* SPDX-License-Identifier: MIT
 * cm_token: random identifiers and opaque tokens, and their digests. Every byte comes from
 * OpenSSL's CSPRNG (RAND_bytes); a CSPRNG failure aborts, since nothing safe can follow. */
#ifndef CM_TOKEN_H
#define CM_TOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `n` random bytes into `out`. Aborts if the CSPRNG fails. */
void cm_rand_bytes(void *out, size_t n);

/* `n` random bytes as 2n lower-case hex digits and a NUL into `out` (size >= 2n + 1). */
void cm_rand_hex(char *out, size_t n);

/* Unpadded base64url of `len` bytes into `out` (size >= cm_b64url_len(len) + 1), NUL-ended.
 * Returns the length written. */
size_t cm_b64url_encode(const void *in, size_t len, char *out);
#define cm_b64url_len(n) (((n)*4 + 2) / 3)

/* The 6-bit value of a base64 character, or -1: the base64url alphabet ('-', '_') when `url`,
 * the standard one ('+', '/') otherwise. Padding and whitespace are -1. */
int cm_b64_digit(int c, bool url);

/* Strict standard base64 (RFC 4648 §4): '=' padding optional but complete when given, no
 * whitespace, the unused low bits of the last character zero (one encoding per value). The
 * bytes go to `out` (at most `size`); returns their count, or -1 (malformed, or too long). */
long cm_b64_decode(const char *in, size_t len, uint8_t *out, size_t size);

/* SHA-256 of `len` bytes as 64 lower-case hex digits and a NUL into `out` (size >= 65). */
void cm_sha256_hex(const void *in, size_t len, char *out);

/* Bytes as lower-case hex, NUL-ended, into `out` (size >= 2 * len + 1). */
void cm_hex_encode(const void *in, size_t len, char *out);

#endif
