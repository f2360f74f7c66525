/* SPDX-License-Identifier: MIT
 * bt_magnet: magnet URIs (BEP 9): parse and build.
 *
 * Parsed: `xt=urn:btih:` with a 40-digit hex or 32-character base32 hash (required; the first
 * btih wins), `dn` (display name, percent-decoded, valid UTF-8, <= 1024 bytes), `xl` (exact
 * length), `tr` (tracker URLs, percent-decoded, http/https/udp only, <= BT_TRACKERS_MAX, each
 * <= BT_TRACKER_URL_MAX), `x.pe` (peer addresses "1.2.3.4:port" or "[v6]:port"; host names
 * are skipped, never resolved). Unknown keys are ignored; a URI longer than BT_MAGNET_MAX, a
 * bad percent escape, or a value over its cap is an error. */
#ifndef BT_MAGNET_H
#define BT_MAGNET_H
#include "cm.h"

enum {
    BT_MAGNET_MAX = 64 * 1024, /* bytes of a magnet URI */
    BT_MAGNET_PEERS_MAX = 64,  /* x.pe entries kept */
    BT_DN_MAX = 1024,          /* bytes of a display name */
};

struct bt_magnet {
    uint8_t info_hash[20];
    char *dn;    /* owned, or NULL */
    uint64_t xl; /* exact length, 0 when absent */
    char **tr;   /* owned array of owned URLs */
    size_t ntr;
    struct sockaddr_storage *peers; /* owned; x.pe */
    size_t npeers;
};

/* Parse `uri` (NUL-terminated). 0 and `out` filled (release with bt_magnet_clear), or -1 with a
 * sentence in `err` and `out` empty. */
int bt_magnet_parse(const char *uri, struct bt_magnet *out, char *err, size_t errlen);

void bt_magnet_clear(struct bt_magnet *m);

/* Append "magnet:?xt=urn:btih:<hex>[&dn=..][&xl=..][&tr=..]..." to `out`, percent-encoding
 * values. `dn` may be NULL, `xl` 0. 0, or -1 over the cap. */
int bt_magnet_build(const uint8_t hash[20], const char *dn, uint64_t xl, const char *const *tr,
                    size_t ntr, cm_buf_t *out) CM_WARN_UNUSED;

#endif
