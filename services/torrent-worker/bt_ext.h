/* SPDX-License-Identifier: MIT
 * bt_ext: BEP 10 extension messages, pure functions: the extended handshake, ut_metadata
 * (BEP 9) and ut_pex (BEP 11). Inputs are payloads after the extended id (bt_wire's
 * bt_msg.payload). Every parser is bounded (bt_bencode with small caps) and fuzzed.
 *
 * Our local extended ids (what we put in our handshake's `m`) are fixed: */
#ifndef BT_EXT_H
#define BT_EXT_H
#include "cm.h"

enum {
    BT_EXT_UT_METADATA = 1,    /* our id for ut_metadata */
    BT_EXT_UT_PEX = 2,         /* our id for ut_pex */
    BT_EXT_HS_MAX = 64 * 1024, /* extended handshake payload we accept, bytes */
    BT_METADATA_PIECE = 16384, /* ut_metadata piece size */
    BT_PEX_MAX = 200,          /* peers taken from one ut_pex message (per family) */
};

struct bt_ext_hs {
    uint8_t ut_metadata;   /* the peer's id for ut_metadata, 0 = not supported */
    uint8_t ut_pex;        /* the peer's id for ut_pex, 0 = not supported */
    int64_t metadata_size; /* -1 when absent; NOT range-checked here: the caller caps it */
    uint16_t port;         /* `p`, 0 when absent */
    uint32_t reqq;         /* `reqq`, 0 when absent */
    char client[64];       /* `v`, NUL-terminated, cut, non-printable bytes replaced by '?' */
    bool upload_only;      /* `upload_only` = 1 */
};

/* Parse an extended handshake: 0, or -1 (not a dict, over the cap, bad types). Missing keys
 * keep their defaults; ids outside 1..255 count as absent. */
int bt_ext_hs_parse(const uint8_t *p, size_t len, struct bt_ext_hs *out);

/* Build our handshake: m = {ut_metadata: 1, ut_pex: 2}, metadata_size when > 0, p when > 0,
 * reqq, v. 0, or -1 over the buffer cap. */
int bt_ext_hs_build(cm_buf_t *out, int64_t metadata_size, uint16_t port, uint32_t reqq,
                    const char *client) CM_WARN_UNUSED;

enum bt_md_type { BT_MD_REQUEST = 0, BT_MD_DATA = 1, BT_MD_REJECT = 2 };

struct bt_md_msg {
    int type;            /* enum bt_md_type */
    uint32_t piece;      /* metadata piece index (< 2^31 checked) */
    int64_t total_size;  /* data: total_size, -1 when absent */
    const uint8_t *data; /* data: bytes after the dict (borrowed) */
    size_t dlen;
};

/* Parse a ut_metadata message: 0, or -1 (bad dict, unknown msg_type, piece out of range,
 * data on a non-data message). For data, the caller checks total_size against the size it
 * knows and dlen against the piece's expected size (16 KiB except the last). */
int bt_md_parse(const uint8_t *p, size_t len, struct bt_md_msg *out);

/* Build a ut_metadata request/reject (no data) or data message (dict + `data`). */
int bt_md_build(cm_buf_t *out, int type, uint32_t piece, int64_t total_size, const uint8_t *data,
                size_t dlen) CM_WARN_UNUSED;

/* Parse ut_pex: `added` (compact IPv4, 6 bytes each) and `added6` (18 bytes each); at most
 * `max` addresses written to `out` (sockaddr_in / sockaddr_in6), port 0 entries skipped.
 * Returns the count, or -1 when the dict is malformed or a list length is not a multiple. */
int bt_pex_parse(const uint8_t *p, size_t len, struct sockaddr_storage *out, size_t max);

/* Compact peer lists (BEP 23, BEP 7), shared with the trackers: append up to `max - *n`
 * addresses from `p` (6 or 18 bytes each; `v6` selects) to out[*n...]; port-0 entries
 * skipped. Returns -1 when len is not a multiple of the entry size, else 0. */
int bt_compact_peers(const uint8_t *p, size_t len, bool v6, struct sockaddr_storage *out, size_t *n,
                     size_t max);

#endif
