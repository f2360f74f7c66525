/* SPDX-License-Identifier: MIT
 * bt_metainfo: a v1 .torrent (BEP 3, BEP 12 announce-list) parsed into a validated model.
 *
 * The info-hash is SHA-1 over the raw bytes of the info dictionary as they appear in the
 * input, never over a re-encoding. Validation (each failure gets its own sentence): piece
 * length > 0 and <= BT_PIECE_LEN_MAX; `pieces` exactly 20 x n bytes; n equal to
 * ceil(total / piece length) and <= BT_PIECES_MAX; lengths >= 0 and a total that does not
 * overflow; file path components non-empty, not "." or "..", no '/', '\\' or NUL, each at most
 * 255 bytes, valid UTF-8; no two files with the same path; at most BT_FILES_MAX files; the
 * name follows the same rules. Trackers: `announce-list` tiers (BEP 12) else `announce`; only
 * http, https and udp URLs are kept, at most BT_TRACKERS_MAX. */
#ifndef BT_METAINFO_H
#define BT_METAINFO_H
#include "cm.h"

enum {
    BT_PIECE_LEN_MAX = 32 * 1024 * 1024, /* our cap on piece length (libtorrent: ~512 MiB) */
    BT_PIECES_MAX = 2097152,             /* libtorrent's cap on the piece count */
    BT_FILES_MAX = 100000,               /* files in one torrent */
    BT_TRACKERS_MAX = 200,               /* tracker URLs kept from one torrent or magnet */
    BT_TRACKER_URL_MAX = 1024,           /* bytes of one tracker URL */
    BT_METADATA_MAX = 16 * 1024 * 1024,  /* the info dictionary, bytes (ut_metadata cap) */
    BT_BLOCK_LEN = 16384,                /* a request is one 16 KiB block */
};

struct bt_file {
    char *path;      /* owned; relative, '/'-separated, components checked; for a single-file
                        torrent it is the name */
    uint64_t length; /* bytes */
    uint64_t offset; /* offset of its first byte in the torrent's byte stream */
    bool pad;        /* BEP 47 padding file (attr "p"): zeros, need not be written; two pad
                        files may share a path (libtorrent names them ".pad/<size>") */
};

struct bt_tracker_url {
    char *url; /* owned */
    int tier;  /* BEP 12 tier, 0 first */
};

typedef struct bt_metainfo {
    uint8_t info_hash[20];
    char *name;         /* owned; the torrent's name (checked like a path component) */
    bool multi;         /* multi-file layout: files live under name/ */
    uint64_t total_len; /* bytes */
    uint32_t piece_len; /* bytes */
    uint32_t npieces;
    uint8_t *hashes;       /* owned; 20 x npieces */
    struct bt_file *files; /* owned */
    uint32_t nfiles;
    struct bt_tracker_url *trackers; /* owned; sorted by tier, order kept within a tier */
    uint32_t ntrackers;
    bool private_;     /* info.private = 1 */
    uint8_t *info_raw; /* owned copy of the raw info dictionary */
    size_t info_len;
} bt_metainfo_t;

/* Parse a .torrent file's bytes. Caller owns the result (bt_metainfo_destroy). NULL with a
 * sentence in `err` (e.g. "pieces is 119 bytes, not a multiple of 20"). */
bt_metainfo_t *bt_metainfo_parse(const uint8_t *buf, size_t len, char *err, size_t errlen);

/* Build from a bare info dictionary (ut_metadata). With `expect_hash` not NULL, the SHA-1 of
 * `info` must equal it. Caller owns the result. NULL with a sentence in `err`. */
bt_metainfo_t *bt_metainfo_from_info(const uint8_t *info, size_t len, const uint8_t *expect_hash,
                                     char *err, size_t errlen);

/* Add tracker URLs (e.g. from a magnet or the best-trackers list) in a new tier after the last,
 * skipping duplicates and what the caps refuse. */
void bt_metainfo_add_trackers(bt_metainfo_t *mi, const char *const *urls, size_t n);

/* Write a .torrent: announce (first tracker), announce-list (tiers), then the raw info
 * dictionary spliced in unchanged, so the info-hash is preserved. 0, or -1 over the cap. */
int bt_metainfo_write(const bt_metainfo_t *mi, cm_buf_t *out) CM_WARN_UNUSED;

/* Bytes of piece `i` (the last one may be shorter); 0 for an index out of range. */
uint32_t bt_metainfo_piece_size(const bt_metainfo_t *mi, uint32_t i);

void bt_metainfo_destroy(bt_metainfo_t **self_p);

/* --- info-hash text forms --- */
/* 40 hex digits (any case) or 32 base32 characters (any case) -> 20 bytes. 0 or -1. */
int bt_hash_parse(const char *s, size_t len, uint8_t out[20]);
/* Lower-case hex, NUL-terminated. */
void bt_hash_hex(const uint8_t h[20], char out[41]);

#endif
