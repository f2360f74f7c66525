/* SPDX-License-Identifier: MIT
 * bt_limits: token buckets for rate limits, an IP blocklist, and a small blocking HTTP GET
 * for start-up lists (blocklist and best-trackers URLs).
 *
 * Blocklist formats, one entry per line, '#' and blank lines ignored, CRLF accepted:
 *   PeerGuardian p2p:  "Some organisation:1.2.3.0-1.2.3.255" (the description may hold ':')
 *   CIDR:              "10.0.0.0/8", "2001:db8::/32"
 *   a single address:  "192.0.2.7", "2001:db8::1"
 * A malformed line is counted and skipped. Ranges are sorted and merged; a lookup is a binary
 * search. IPv4-mapped IPv6 addresses are matched as IPv4. */
#ifndef BT_LIMITS_H
#define BT_LIMITS_H
#include "cm.h"

enum {
    BT_BLOCKLIST_MAX = 4000000,      /* ranges (a full level1 list has ~250,000) */
    BT_FETCH_MAX = 64 * 1024 * 1024, /* bytes of a list fetched over HTTP */
};

/* --- token bucket: `rate` bytes per second, `burst` bytes; rate 0 = unlimited --- */
struct bt_bucket {
    uint64_t rate;
    uint64_t burst;
    double tokens;
    uint64_t last_us; /* monotonic microseconds of the last refill */
};
void bt_bucket_init(struct bt_bucket *b, uint64_t rate, uint64_t burst);
/* Take up to `want` bytes now; returns what was granted (want when unlimited). */
size_t bt_bucket_take(struct bt_bucket *b, size_t want, uint64_t now_us);
/* Microseconds until `want` bytes can be taken (0 when now). */
uint64_t bt_bucket_wait_us(struct bt_bucket *b, size_t want, uint64_t now_us);
/* Give back bytes taken but not used. */
void bt_bucket_refund(struct bt_bucket *b, size_t n);

/* --- blocklist --- */
typedef struct bt_blocklist bt_blocklist_t;
bt_blocklist_t *bt_blocklist_new(void);
void bt_blocklist_destroy(bt_blocklist_t **self_p);
/* Add the lines of `text`; *bad (may be NULL) gets the number of malformed lines. 0, or -1
 * when the cap on ranges is hit. Call bt_blocklist_finish() before matching. */
int bt_blocklist_add_text(bt_blocklist_t *bl, const char *text, size_t len, size_t *bad);
/* Read a file (or, for http:// and https://, fetch it with bt_fetch) and add it. 0, or -1
 * with a sentence in `err`. */
int bt_blocklist_load(bt_blocklist_t *bl, const char *path_or_url, char *err, size_t errlen);
void bt_blocklist_finish(bt_blocklist_t *bl);
bool bt_blocklist_match(const bt_blocklist_t *bl, const struct sockaddr *sa);
size_t bt_blocklist_count(const bt_blocklist_t *bl);

/* --- blocking HTTP GET for start-up (never from an event callback): at most `max` bytes,
 * `timeout_ms` in all, http/https only, no redirects to other protocols. Appends the body to
 * `out`. 0, or -1 with a sentence in `err` (status, timeout, too big). --- */
int bt_fetch(const char *url, size_t max, int timeout_ms, cm_buf_t *out, char *err, size_t errlen);

/* Read a whole file or URL (as bt_fetch) into `out`, at most `max` bytes. 0 or -1 + err. */
int bt_load_text(const char *path_or_url, size_t max, cm_buf_t *out, char *err, size_t errlen);

#endif
