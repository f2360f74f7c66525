/* SPDX-License-Identifier: MIT
 * bt_stream: the worker's streaming read path (issue 5). It owns the torrents the proxy opens
 * (OPEN) and the reads on them (READ, STREAM_CREDIT, CLOSE), and sends the bytes back as CHUNK
 * events, then READ_END, on the pool connection.
 *
 * Contract:
 *  - OPEN loads a torrent (from the .torrent, else the magnet) with nothing wanted, answers
 *    OPEN_OK once the metadata is known (every OPEN of one torrent shares the wait) or ERROR
 *    TIMEOUT, and asks for the head and tail of the largest video file (container indexes).
 *  - READ maps a file range onto pieces: the pieces under the read position are critical
 *    with deadlines, a readahead window follows that doubles while the reader reads on and
 *    starts small again on a seek (a new READ with the same stream id); pieces leaving every
 *    window go back to "not wanted" and their requests are cancelled.
 *  - Only verified bytes go out (read back from disk when sent: nothing is buffered beyond one
 *    chunk), in file order, at most BT_STREAM_CHUNK_MAX bytes a CHUNK and never more than the
 *    stream's credit. A READ with `local` set (the proxy shares our filesystem) gets CHUNK_LOCAL
 *    instead: the verified range and the cache file's path, at most BT_STREAM_LOCAL_MAX bytes
 *    each, and the proxy sends the bytes from the file itself. Every read ends with exactly one
 * READ_END (0 = every byte sent), except after CLOSE or when the proxy that asked is gone
 * (bt_stream_forget_reads).
 *  - While the worker drains (bt_stream_set_draining) no new torrent is taken: OPEN of a
 *    torrent not held answers ERROR UNAVAILABLE "draining".
 *  - A torrent with no reads and no OPEN waiting lingers `linger_ms`, then is removed from the
 *    engine; its verified pieces stay in the disk cache (bt_cache) under the cap.
 * Everything runs on the loop's thread. */
#ifndef BT_STREAM_H
#define BT_STREAM_H
#include "cm.h"
#include "cm_rpc.h"
#include "bt_engine.h"
#include "torrent_msg.h"

enum {
    BT_STREAM_CHUNK_MAX = 1024 * 1024,          /* payload bytes of one CHUNK */
    BT_STREAM_LOCAL_MAX = 4 * 1024 * 1024,      /* bytes one CHUNK_LOCAL names */
    BT_STREAM_READS_MAX = 64,                   /* reads at once (or WORKER_CAPACITY if larger) */
    BT_STREAM_READS_HARD_MAX = 4096,            /* ... whatever WORKER_CAPACITY says */
    BT_STREAM_TORRENTS_MAX = 256,               /* torrents opened for streaming at once */
    BT_STREAM_WAITERS_MAX = 16,                 /* OPENs waiting for one torrent's metadata */
    BT_STREAM_OPEN_TIMEOUT_MS = 30000,          /* metadata wait of an OPEN that names none */
    BT_STREAM_LINGER_DEFAULT_MS = 60000,        /* STREAM_LINGER */
    BT_STREAM_IDLE_MS = 10 * 60 * 1000,         /* a read with no READ, credit or byte sent for
                                                   this long ends (TIMEOUT) */
    BT_STREAM_PRELOAD_BYTES = 1024 * 1024,      /* head and tail of the main file fetched at OPEN */
    BT_STREAM_CRIT_BYTES = 1024 * 1024,         /* critical pieces at the read position ... */
    BT_STREAM_CRIT_PIECES_MAX = 16,             /* ... at most this many */
    BT_STREAM_RA_START_BYTES = 8 * 1024 * 1024, /* first readahead window (>= 4 pieces) */
    BT_STREAM_RA_MIN_PIECES = 4,
    BT_STREAM_RA_MAX_BYTES = 64 * 1024 * 1024, /* window cap (also <= 10 % of the file) */
    BT_STREAM_FIRST_DEADLINE_MS = 500,         /* deadline of the piece under the reader */
};

typedef struct bt_stream bt_stream_t;

struct bt_stream_opts {
    bt_engine_t *engine;   /* borrowed: the BitTorrent engine */
    bt_cache_t *cache;     /* borrowed, may be NULL: then files go to cache_dir/<hex> */
    const char *cache_dir; /* borrowed */
    uint32_t reads_max;    /* reads at once; 0: BT_STREAM_READS_MAX */
    int linger_ms;         /* a torrent with no reads stays this long; < 0: the default */
};

/* CHUNK and READ_END go out with cm_rpc_send on `rpc` (borrowed; must outlive the result).
 * Caller owns the result (bt_stream_destroy). */
bt_stream_t *bt_stream_new(struct event_base *base, cm_rpc_t *rpc,
                           const struct bt_stream_opts *opts);

/* Every read ends (READ_END SHUTDOWN), every waiting OPEN gets ERROR SHUTDOWN, every torrent
 * is removed from the engine. Sets *self_p to NULL; NULL-safe. */
void bt_stream_destroy(bt_stream_t **self_p);

/* OPEN. `defer` is taken (answered now or later with OPEN_OK or ERROR). */
void bt_stream_open(bt_stream_t *self, const struct torrent_open *req, cm_defer_t *defer);

/* READ (a new read, or a seek when the stream id is known). Errors end in READ_END. */
void bt_stream_read(bt_stream_t *self, const struct torrent_read *req);

/* STREAM_CREDIT: `bytes` more may be sent on `stream_id`. Unknown ids are ignored. */
void bt_stream_credit(bt_stream_t *self, uint64_t stream_id, uint64_t bytes);

/* CLOSE: drop the read, its deadlines and its window. Unknown ids are ignored. */
void bt_stream_close(bt_stream_t *self, uint64_t stream_id);

/* The proxy we served is gone (a new one does not know our reads): drop every read without
 * a READ_END. Torrents stay (and linger). */
void bt_stream_forget_reads(bt_stream_t *self);

/* The worker drains (SIGTERM): from now on an OPEN of a torrent not held here is refused
 * (ERROR UNAVAILABLE "draining"); torrents held keep serving their reads and new ones. */
void bt_stream_set_draining(bt_stream_t *self);

/* Reads in progress, torrents held. */
uint32_t bt_stream_reads(const bt_stream_t *self);
uint32_t bt_stream_torrents(const bt_stream_t *self);

#endif
