/* SPDX-License-Identifier: MIT
 * gw_client: who the client of a request is when the gateway sits behind reverse proxies.
 *
 * The TCP peer is the client unless it is one of the configured trusted proxies. Only then is
 * X-Forwarded-For read, from the right (each proxy appends the address it saw): trusted
 * proxies are skipped and the first untrusted address is the client. Anything left of it was
 * written by the client and is never believed.
 *
 * Addresses are compared as 16-byte IPv6 values, IPv4 being its mapped form ::ffff:a.b.c.d,
 * so "10.0.0.0/8" and "::ffff:10.0.0.0/104" are the same range, and "::/0" trusts every
 * address, IPv4 included. Answers are in inet_ntop form, IPv4-mapped addresses as plain IPv4.
 *
 * Pure functions over strings; no I/O. The proxy list is built once at start-up and then only
 * read, so it may be shared by any threads. */
#ifndef GW_CLIENT_H
#define GW_CLIENT_H
#include "cm.h"

enum {
    GW_PROXIES_MAX = 64,        /* trusted proxy entries at most */
    GW_PROXIES_TEXT_MAX = 8192, /* longest proxy list text */
    GW_XFF_ITEMS_MAX = 32,      /* X-Forwarded-For items examined at most, from the right */
    GW_XFF_LEN_MAX = 2048,      /* bytes of X-Forwarded-For considered, from the right */
    GW_XFF_ITEM_MAX = 64,       /* longest item once trimmed (address, brackets, port) */
    GW_ADDR_LEN = 46,           /* INET6_ADDRSTRLEN: room for any answer with its NUL */
};

typedef struct gw_proxies gw_proxies_t; /* opaque */

/* Parse a list of trusted proxies: IPv4 and IPv6 addresses and CIDR ranges separated by
 * commas and/or blanks, e.g. "127.0.0.1, 10.0.0.0/8, ::1, fd00::/8". NULL or a blank list
 * trusts nobody. A range must not have bits set past its prefix ("10.1.0.0/8" is refused,
 * as a likely typo). At most GW_PROXIES_MAX entries. Returns the list (caller owns it; free
 * with gw_proxies_destroy()), or NULL with a sentence naming the bad item in `err`. */
gw_proxies_t *gw_proxies_parse(const char *list, char *err, size_t errlen);

/* Destroy *self_p if not NULL and set it to NULL. */
void gw_proxies_destroy(gw_proxies_t **self_p);

/* Entries in the list. */
size_t gw_proxies_count(const gw_proxies_t *self);

/* True when `ip` (a bare numeric IPv4 or IPv6 address) is in the list. False for NULL
 * arguments and for anything that is not an address. */
bool gw_proxies_contains(const gw_proxies_t *self, const char *ip);

/* Write the client address of a request into `out` (NUL-terminated, truncated to `outlen`;
 * GW_ADDR_LEN always suffices for an address). `peer_ip` is the TCP peer ("127.0.0.1",
 * "::1"); `xff` the X-Forwarded-For value or NULL (several header lines must be joined with
 * "," in order, as RFC 9110 allows; the first line alone would let a client choose the
 * answer when a proxy adds a second line). `self` NULL trusts nobody.
 *
 * - If the peer is not a trusted proxy, the answer is the peer (normalised if it is an
 *   address, else copied as is) and `xff` is ignored.
 * - Otherwise items are read from the right, at most GW_XFF_ITEMS_MAX of them within the last
 *   GW_XFF_LEN_MAX bytes: trusted addresses are skipped; the first untrusted one is the
 *   answer. If every item is trusted, the leftmost is. If an item is malformed, or a cap is
 *   reached, reading stops and the last address read (or the peer) is the answer.
 * - An item is an address with optional blanks around it. Also accepted, the port dropped:
 *   "[v6]", "[v6]:port" and "a.b.c.d:port". Empty items are skipped (RFC 9110 lists).
 *   Anything else ("unknown", obfuscated RFC 7239 ids, host names, zone ids) is malformed. */
void gw_client_addr(const gw_proxies_t *self, const char *peer_ip, const char *xff, char *out,
                    size_t outlen);

#endif
