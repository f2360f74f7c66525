/* SPDX-License-Identifier: MIT
 * cm_http_parse: a strict HTTP/1.x request-head parser in picohttpparser's shape, plus the small
 * decoders a handler needs (Content-Length, token lists, query parameters, percent-decoded
 * paths). Pure: no I/O, no allocation, no global state, so any thread may call it. Every output
 * is a borrowed view into the caller's bytes. Used by cm_http; fuzzed by
 * tests/fuzz/fuzz_http_request.c. */
#ifndef CM_HTTP_PARSE_H
#define CM_HTTP_PARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    CM_HTTP_METHOD_MAX = 16,         /* a method token, bytes */
    CM_HTTP_REQUEST_LINE_MAX = 8192, /* request line without its line ending, bytes */
};

/* What cm_http_parse_request() returns when it has no complete head: 0 or below. Each error
 * maps to exactly one HTTP status, given in the comment. Append only. */
enum cm_http_parse_result {
    CM_HTTP_PARSE_AGAIN = 0,            /* incomplete so far: read more bytes */
    CM_HTTP_PARSE_MALFORMED = -1,       /* 400: syntax, smuggling defences, bad Host */
    CM_HTTP_PARSE_TOO_LARGE = -2,       /* 431: more than max_headers fields */
    CM_HTTP_PARSE_VERSION = -3,         /* 505: HTTP/x.y other than 1.0 and 1.1 */
    CM_HTTP_PARSE_LENGTH_REQUIRED = -4, /* 411: Transfer-Encoding (we take no chunked bodies) */
    CM_HTTP_PARSE_URI_TOO_LONG = -5,    /* 414: request line over CM_HTTP_REQUEST_LINE_MAX */
};

/* One header field: borrowed views into the parsed bytes, not NUL-terminated. The value has
 * its surrounding spaces and tabs trimmed; it may be empty (then `value` points at the line
 * ending). */
struct cm_http_header {
    const char *name;  /* field name, a token; compare case-insensitively */
    size_t name_len;   /* bytes */
    const char *value; /* field value, trimmed */
    size_t value_len;  /* bytes */
};

/* The parsed request head. Every pointer borrows from the buffer given to the parser. */
struct cm_http_parsed {
    const char *method;             /* method token, at most CM_HTTP_METHOD_MAX bytes */
    size_t method_len;              /* bytes */
    const char *path;               /* request-target up to '?' (origin-form: starts with '/') */
    size_t path_len;                /* bytes */
    const char *query;              /* bytes after '?'; NULL when the target has no '?' */
    size_t query_len;               /* bytes; 0 when absent or empty */
    int minor_version;              /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    struct cm_http_header *headers; /* in: caller's array of at least max_headers entries */
    size_t num_headers;             /* out: entries filled */
    int64_t content_length;         /* the agreed Content-Length, or -1 when absent */
};

/* Parse the request head at the start of `buf` (`len` bytes; need not be NUL-terminated).
 * Leading empty lines are skipped (RFC 9112 §2.2). The caller sets out->headers to an array of
 * at least `max_headers` entries before the call; the parser fills out->num_headers of them.
 * Returns the length of the head including its final empty line (> 0) when it is complete,
 * CM_HTTP_PARSE_AGAIN (0) when more bytes are needed, or one of the negative results above as
 * soon as the bytes seen cannot start a valid request. On 0 or an error `*out` holds no
 * meaningful values. The request body (if any) starts at `buf + result`.
 * Strict: the method is a token of at most 16 bytes; the target is visible ASCII without '#'
 * and must be origin-form ("/..."); only HTTP/1.0 and HTTP/1.1; header names are tokens ending
 * in ':' with no space before it; no obs-fold (a line starting with SP or HT); no bare CR; LF
 * line endings are accepted; control bytes other than HTAB are refused in values.
 * Smuggling defences: Content-Length and Transfer-Encoding together, differing Content-Length
 * values or a malformed one are MALFORMED; Transfer-Encoding alone is LENGTH_REQUIRED. An
 * HTTP/1.1 request needs exactly one Host field, an HTTP/1.0 one at most one (RFC 9112 §3.2). */
int cm_http_parse_request(const char *buf, size_t len, struct cm_http_parsed *out,
                          size_t max_headers);

/* Parse a Content-Length value: one or more ASCII digits, nothing else, no overflow. Returns 0
 * and sets *value_out, or -1. */
int cm_http_parse_content_length(const char *s, size_t len, uint64_t *value_out);

/* The first header of `parsed` whose name equals `name` (ASCII case-insensitive), or NULL.
 * Borrowed from `parsed`. */
const struct cm_http_header *cm_http_header_find(const struct cm_http_parsed *parsed,
                                                 const char *name);

/* A parameter (cm_http_query_get) as a decimal integer in [min, max], 0 <= min: the value,
 * `def` when absent, -1 when malformed or out of range. */
long cm_http_query_uint(const char *query, const char *name, long def, long min, long max);

/* True when `s` (`len` bytes) is a non-empty token (RFC 9110 §5.6.2), e.g. a field name. */
bool cm_http_is_token(const char *s, size_t len);

/* True when the comma-separated list `value` (`len` bytes, e.g. a Connection value) holds an
 * element equal to `token` (ASCII case-insensitive, spaces around elements ignored). */
bool cm_http_list_has_token(const char *value, size_t len, const char *token);

/* Look up `key` in the NUL-terminated query string `query` ("a=1&b=x%20y", without the '?').
 * Keys and values are percent-decoded, with '+' as a space; the first matching key wins; a
 * key without '=' has the empty value. On a match the decoded value is written to `out` and
 * NUL-terminated (pass out NULL and outlen 0 to only test and measure).
 * Returns the decoded length (>= 0), -1 when the key is absent, or -2 when the value is
 * invalid: a malformed escape, %00, or longer than outlen - 1. */
int cm_http_query_get(const char *query, const char *key, char *out, size_t outlen);

/* Percent-decode a path (`len` bytes; '+' stays '+') into `out`, NUL-terminated. Returns the
 * decoded length, or -1 on a malformed escape, %00, or when it does not fit in outlen - 1
 * bytes. Does not resolve "." or ".." segments and does not refuse "%2F": a router that maps
 * paths to files must check segments itself. */
int cm_http_path_decode(const char *path, size_t len, char *out, size_t outlen);

#endif
