/* SPDX-License-Identifier: MIT
 * bt_cache: the worker's disk cache. Each torrent has a directory CACHE_DIR/<infohash hex>/
 * (its bt_storage root). A global cap in bytes holds across torrents: before a torrent grows,
 * the least recently used torrents that nobody is using are deleted whole until the new bytes
 * fit. On start the directory is scanned, so the cache survives restarts (a torrent's last use
 * is its directory's mtime). */
#ifndef BT_CACHE_H
#define BT_CACHE_H
#include "cm.h"

enum { BT_CACHE_TORRENTS_MAX = 100000 };

typedef struct bt_cache bt_cache_t;

/* Scan (and create) `root`. `cap` 0 = unlimited. Caller owns the result. NULL with `err`. */
bt_cache_t *bt_cache_new(const char *root, uint64_t cap, char *err, size_t errlen);
void bt_cache_destroy(bt_cache_t **self_p);

/* The torrent's directory (created if missing) into `out`. 0 or -1. */
int bt_cache_dir(bt_cache_t *c, const uint8_t hash[20], char *out, size_t len);
/* Pin (a torrent is loaded: never evicted) and unpin; both mark it used now. */
void bt_cache_pin(bt_cache_t *c, const uint8_t hash[20]);
void bt_cache_unpin(bt_cache_t *c, const uint8_t hash[20]);
/* Before writing `bytes` more for torrent `hash`: evict LRU unpinned torrents until the total
 * plus `bytes` fits the cap, then count the bytes. 0, or -1 when it cannot fit (everything
 * else is pinned): the caller must not write. */
int bt_cache_reserve(bt_cache_t *c, const uint8_t hash[20], uint64_t bytes);
/* Bytes counted in the cache, and what is left under the cap (UINT64_MAX when unlimited). */
uint64_t bt_cache_used(const bt_cache_t *c);
uint64_t bt_cache_free(const bt_cache_t *c);
uint32_t bt_cache_evictions(const bt_cache_t *c);

#endif
