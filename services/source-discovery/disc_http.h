/* SPDX-License-Identifier: MIT
 * disc_http: asynchronous HTTP GET for the provider code of source-discovery (disc_provider),
 * libcurl multi driven by the daemon's libevent loop. Only http and https, no redirect ever
 * followed (a 3xx is an answer like any other), a cap on the decoded body, a cap on the
 * transfers in flight. Every transfer ends in exactly one call of its callback, always from an
 * event callback of the loop and never from inside disc_http_get(), unless it is cancelled
 * (disc_http_cancel, disc_http_destroy), which calls nothing. Loop thread only. */
#ifndef DISC_HTTP_H
#define DISC_HTTP_H
#include <stddef.h>
#include <stdint.h>

struct event_base;

enum {
    DISC_HTTP_INFLIGHT_MAX = 64,          /* transfers at once; disc_http_get refuses more */
    DISC_HTTP_URL_MAX = 2048,             /* bytes of a URL */
    DISC_HTTP_UA_MAX = 255,               /* bytes of the User-Agent kept */
    DISC_HTTP_CTYPE_MAX = 127,            /* bytes of a Content-Type kept */
    DISC_HTTP_LOCATION_MAX = 511,         /* bytes of a Location kept */
    DISC_HTTP_ERR_MAX = 256,              /* bytes of an error sentence */
    DISC_HTTP_TIMEOUT_MAX_MS = 300000,    /* a longer timeout is cut to this */
    DISC_HTTP_RETRY_AFTER_MAX_S = 86400,  /* a longer Retry-After is read as this */
    DISC_HTTP_BODY_MAX = 64 << 20,        /* max_body above this is cut to this */
    DISC_HTTP_BODY_DEFAULT = 4 << 20,     /* max_body 0 means this */
    DISC_HTTP_TIMEOUT_DEFAULT_MS = 15000, /* timeout_ms <= 0 means this */
};

typedef struct disc_http disc_http_t;

/* How a transfer ended. Every pointer is borrowed: valid until the callback returns. */
struct disc_http_result {
    int curl_code;            /* 0 (CURLE_OK) when a whole HTTP answer arrived, any status */
    long status;              /* HTTP status of the answer, 0 when none arrived */
    const char *content_type; /* its Content-Type, "" when none */
    const char *location;     /* the absolute URL of a 3xx's Location, "" when none */
    const char *body;         /* the body, decoded (gzip), NUL-terminated after `len` bytes */
    size_t len;               /* bytes of body (what arrived, also on an error) */
    int64_t retry_after_s;    /* Retry-After as seconds from now (delta or HTTP-date), -1 none */
    double total_ms;          /* time from disc_http_get to the end */
    char error[DISC_HTTP_ERR_MAX]; /* "" when curl_code is 0, else a short sentence (no URL):
                                      "timed out after N ms", "response over N bytes", ... */
};

/* Called once per transfer that was not cancelled. It may call disc_http_get and
 * disc_http_cancel, but not disc_http_destroy. */
typedef void disc_http_done_fn(void *arg, const struct disc_http_result *res);

/* A client on `base` (borrowed; must outlive the client) sending `user_agent` (copied, cut at
 * DISC_HTTP_UA_MAX; NULL gives "Marquee/0.1"). Returns NULL when libcurl cannot be set up
 * (logged). Caller owns the result; free it with disc_http_destroy(). Aborts on OOM. */
disc_http_t *disc_http_new(struct event_base *base, const char *user_agent);

/* Cancel every transfer without calling its callback, free *self_p if not NULL and set it to
 * NULL. Safe to call twice. Not from inside a callback of this client. */
void disc_http_destroy(disc_http_t **self_p);

/* Start `GET url` (copied; http or https only). The transfer is abandoned after `timeout_ms`
 * (<= 0: DISC_HTTP_TIMEOUT_DEFAULT_MS; at most DISC_HTTP_TIMEOUT_MAX_MS), and as soon as the
 * decoded body would exceed `max_body` bytes (0: DISC_HTTP_BODY_DEFAULT; at most
 * DISC_HTTP_BODY_MAX). `cb` gets `arg` (borrowed) back, later, from the loop. Returns the
 * transfer's id (> 0), or -1 with nothing started and no callback ever: bad arguments (URL
 * empty, too long, not http/https), DISC_HTTP_INFLIGHT_MAX transfers in flight, a curl
 * failure. */
int disc_http_get(disc_http_t *self, const char *url, int timeout_ms, size_t max_body,
                  disc_http_done_fn *cb, void *arg);

/* Abandon transfer `id` if it has not ended yet; its callback is not called. Unknown or
 * finished ids are ignored. */
void disc_http_cancel(disc_http_t *self, int id);

/* Transfers started and not yet reported or cancelled. */
size_t disc_http_inflight(const disc_http_t *self);

#endif
