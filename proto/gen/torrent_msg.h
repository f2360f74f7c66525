/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/torrent.toml
 * SPDX-License-Identifier: MIT
 * torrent (protocol 4, version 1): The pool protocol between stream-proxy and torrent-worker.
 *
 * Codecs of the message bodies, frame 2 of the envelope (proto/README.md). Each message <msg>
 * below (its name in lower case) has a plain struct torrent_<msg> and three functions:
 *   int torrent_<msg>_encode(const struct torrent_<msg> *m, cm_buf_t *out);
 *       Append the body to `out`: a msgpack map of every field, keyed by tag. Returns 0,
 *       or -1 when a field breaks the schema (a str not NUL-terminated within its array,
 *       not UTF-8 or holding a NUL; a bin, list or map over its max; a duplicate map key)
 *       or `out` is full. After -1, `out` may hold part of the body: discard it.
 *   int torrent_<msg>_decode(struct torrent_<msg> *m, const void *data, size_t size);
 *       Decode a body. Returns 0, or -1 when it is malformed: not exactly one msgpack map
 *       within CM_MP_DEPTH_MAX, a non-integer key, a value of the wrong type or out of
 *       range, a str not UTF-8 or holding a NUL, over a max, a tag or map key given twice,
 *       a required field missing. Unknown tags are skipped (a newer sender). No logging,
 *       no allocation. str fields are NUL-terminated copies; bin fields are views
 *       BORROWED from `data`, valid only while `data` is. After -1, *m is unspecified.
 *   void torrent_<msg>_print(const struct torrent_<msg> *m, FILE *out);
 *       One line, e.g. `common.ERROR status=8 reason="..."`: strings escaped as in the
 *       logs, bin shown as its length.
 * Every function is pure and may be called from any thread. */
#ifndef TORRENT_MSG_H
#define TORRENT_MSG_H
#include "cm.h"

/* Protocol number (never reused) and version (bumped on an incompatible change). */
#define TORRENT_PROTO 4
#define TORRENT_VERSION 1

/* Message numbers: never reused. */
#define TORRENT_MSG_READY 1
#define TORRENT_MSG_HEARTBEAT 2
#define TORRENT_MSG_METADATA 3
#define TORRENT_MSG_METADATA_OK 4
#define TORRENT_MSG_SCRAPE 5
#define TORRENT_MSG_SCRAPE_OK 6
#define TORRENT_MSG_STATUS 7
#define TORRENT_MSG_STATUS_OK 8
#define TORRENT_MSG_OPEN 9
#define TORRENT_MSG_OPEN_OK 10
#define TORRENT_MSG_READ 11
#define TORRENT_MSG_CHUNK 12
#define TORRENT_MSG_READ_END 13
#define TORRENT_MSG_STREAM_CREDIT 14
#define TORRENT_MSG_CLOSE 15
#define TORRENT_MSG_CHUNK_LOCAL 16

/* READY (1, event): Worker to proxy, on connect: the worker joins the pool. */
struct torrent_ready {
    /* tag 1, required: stable id of the worker */
    char worker_id[64 + 1];
    /* tag 2, required: worker version */
    char version[32 + 1];
    /* tag 3: streams it accepts */
    uint32_t capacity;
    /* tag 4: free space of its piece cache */
    uint64_t free_cache_bytes;
    /* tag 5: absolute path of its disk cache (for CHUNK_LOCAL) */
    char cache_dir[1024 + 1];
    /* tag 6: the contents of cache_dir/.local-token: a proxy that reads the same proves it
     * shares the worker's filesystem */
    char local_token[64 + 1];
};

int torrent_ready_encode(const struct torrent_ready *m, cm_buf_t *out);
int torrent_ready_decode(struct torrent_ready *m, const void *data, size_t size);
void torrent_ready_print(const struct torrent_ready *m, FILE *out);

/* HEARTBEAT (2, event): Both ways, every second: liveness plus the sender's load. */
struct torrent_heartbeat {
    /* tag 1: torrents loaded */
    uint32_t torrents;
    /* tag 2: connected peers */
    uint32_t peers;
    /* tag 3: download rate, bytes per second */
    uint64_t down_bps;
    /* tag 4: upload rate, bytes per second */
    uint64_t up_bps;
    /* tag 5: free space of the piece cache */
    uint64_t free_cache_bytes;
    /* tag 6: takes no new streams */
    bool draining;
    /* tag 7: proxy to worker: the VPN gate is closed: no swarm traffic */
    bool swarm_paused;
};

int torrent_heartbeat_encode(const struct torrent_heartbeat *m, cm_buf_t *out);
int torrent_heartbeat_decode(struct torrent_heartbeat *m, const void *data, size_t size);
void torrent_heartbeat_print(const struct torrent_heartbeat *m, FILE *out);

/* METADATA (3, request): Proxy to worker: fetch a magnet's info dictionary from the swarm;
 * answered by METADATA_OK or ERROR. */
struct torrent_metadata {
    char magnet[65536 + 1]; /* tag 1, required: the magnet URI (its tr= trackers are used) */
    uint32_t timeout_ms;    /* tag 2: give up after this long (0: the worker's default) */
};

int torrent_metadata_encode(const struct torrent_metadata *m, cm_buf_t *out);
int torrent_metadata_decode(struct torrent_metadata *m, const void *data, size_t size);
void torrent_metadata_print(const struct torrent_metadata *m, FILE *out);

/* METADATA_OK (4, reply): Worker to proxy: the .torrent built from the verified info dictionary. */
struct torrent_metadata_ok {
    /* tag 1, required, borrowed from the frame: .torrent bytes (info dictionary spliced
     * unchanged, trackers of the magnet) */
    cm_iov_t torrent;
    /* tag 2, required: lower-case hex */
    char info_hash[40 + 1];
    /* tag 3: torrent name */
    char name[1024 + 1];
    /* tag 4: number of files */
    uint32_t files;
    /* tag 5: payload size */
    uint64_t total_bytes;
};

int torrent_metadata_ok_encode(const struct torrent_metadata_ok *m, cm_buf_t *out);
int torrent_metadata_ok_decode(struct torrent_metadata_ok *m, const void *data, size_t size);
void torrent_metadata_ok_print(const struct torrent_metadata_ok *m, FILE *out);

/* SCRAPE (5, request): Proxy to worker: ask trackers for a torrent's swarm figures; answered by
 * SCRAPE_OK or ERROR. */
struct torrent_scrape {
    char info_hash[40 + 1];      /* tag 1, required: hex or base32 */
    char trackers[32][1024 + 1]; /* tag 2: tracker announce URLs */
    uint32_t trackers_count;     /* items in trackers, at most 32 */
    uint32_t timeout_ms;         /* tag 3: per request (0: 10 s) */
};

int torrent_scrape_encode(const struct torrent_scrape *m, cm_buf_t *out);
int torrent_scrape_decode(struct torrent_scrape *m, const void *data, size_t size);
void torrent_scrape_print(const struct torrent_scrape *m, FILE *out);

/* SCRAPE_OK (6, reply): Worker to proxy: the largest figures any tracker gave. */
struct torrent_scrape_ok {
    uint32_t seeders;   /* tag 1: complete peers */
    uint32_t leechers;  /* tag 2: incomplete peers */
    uint32_t completed; /* tag 3: downloads completed */
    uint32_t answered;  /* tag 4: trackers that answered */
    uint32_t asked;     /* tag 5: trackers asked */
};

int torrent_scrape_ok_encode(const struct torrent_scrape_ok *m, cm_buf_t *out);
int torrent_scrape_ok_decode(struct torrent_scrape_ok *m, const void *data, size_t size);
void torrent_scrape_ok_print(const struct torrent_scrape_ok *m, FILE *out);

/* STATUS (7, request): Proxy to worker: current load and cache figures; answered by STATUS_OK. */
struct torrent_status {
    uint8_t unused_; /* no fields yet; C wants one member */
};

int torrent_status_encode(const struct torrent_status *m, cm_buf_t *out);
int torrent_status_decode(struct torrent_status *m, const void *data, size_t size);
void torrent_status_print(const struct torrent_status *m, FILE *out);

/* STATUS_OK (8, reply): Worker to proxy: what the worker is doing. */
struct torrent_status_ok {
    char worker_id[64 + 1]; /* tag 1, required: stable id */
    char version[32 + 1];   /* tag 2: worker version */
    uint32_t torrents;      /* tag 3: torrents loaded */
    uint32_t peers;         /* tag 4: peer connections */
    uint64_t down_bps;      /* tag 5: download rate */
    uint64_t up_bps;        /* tag 6: upload rate */
    uint64_t downloaded;    /* tag 7: payload bytes since start */
    uint64_t uploaded;      /* tag 8: payload bytes since start */
    uint64_t cache_used;    /* tag 9: bytes in the disk cache */
    uint64_t cache_free;    /* tag 10: bytes left under the cap */
    char listen[64 + 1];    /* tag 11: peer listen address */
    bool draining;          /* tag 12: takes no new streams */
};

int torrent_status_ok_encode(const struct torrent_status_ok *m, cm_buf_t *out);
int torrent_status_ok_decode(struct torrent_status_ok *m, const void *data, size_t size);
void torrent_status_ok_print(const struct torrent_status_ok *m, FILE *out);

/* OPEN (9, request): Proxy to worker: load a torrent (if needed) for streaming and answer its
 * file list; answered by OPEN_OK or ERROR (TIMEOUT when no metadata came). */
struct torrent_open {
    /* tag 1, required: lower-case hex */
    char info_hash[40 + 1];
    /* tag 2, borrowed from the frame: .torrent bytes when known (preferred) */
    cm_iov_t torrent;
    /* tag 3: else the magnet (its tr= trackers are used) */
    char magnet[65536 + 1];
    /* tag 4: metadata wait (0: the worker's default) */
    uint32_t timeout_ms;
};

int torrent_open_encode(const struct torrent_open *m, cm_buf_t *out);
int torrent_open_decode(struct torrent_open *m, const void *data, size_t size);
void torrent_open_print(const struct torrent_open *m, FILE *out);

/* OPEN_OK (10, reply): Worker to proxy: the torrent's layout. Files in metainfo order; the byte
 * stream is their concatenation. */
struct torrent_open_ok {
    /* tag 1, required: lower-case hex */
    char info_hash[40 + 1];
    /* tag 2: torrent name */
    char name[1024 + 1];
    /* tag 3: bytes per piece */
    uint32_t piece_length;
    /* tag 4: payload size */
    uint64_t total_bytes;
    /* tag 5: path of each file, '/'-joined (at most 1000 files are listed) */
    char file_paths[1000][512 + 1];
    /* items in file_paths, at most 1000 */
    uint32_t file_paths_count;
    /* tag 6: size of each file */
    uint64_t file_sizes[1000];
    /* items in file_sizes, at most 1000 */
    uint32_t file_sizes_count;
    /* tag 7, borrowed from the frame: .torrent bytes (for a magnet: made from the fetched
     * metadata) */
    cm_iov_t torrent;
    /* tag 8: files in the torrent (may exceed the listed ones) */
    uint32_t files_total;
};

int torrent_open_ok_encode(const struct torrent_open_ok *m, cm_buf_t *out);
int torrent_open_ok_decode(struct torrent_open_ok *m, const void *data, size_t size);
void torrent_open_ok_print(const struct torrent_open_ok *m, FILE *out);

/* READ (11, event): Proxy to worker: stream bytes of one file of an opened torrent, as CHUNK
 * events under credit, then READ_END. A new READ with the same stream id replaces the old one (a
 * seek). */
struct torrent_read {
    /* tag 1, required: chosen by the proxy, unique per proxy */
    uint64_t stream_id;
    /* tag 2, required: an opened torrent */
    char info_hash[40 + 1];
    /* tag 3: file index */
    uint32_t file;
    /* tag 4: first byte, within the file */
    uint64_t offset;
    /* tag 5, required: bytes wanted */
    uint64_t length;
    /* tag 6: bytes the worker may send before more credit */
    uint64_t credit;
    /* tag 7: the proxy shares the worker's filesystem: send CHUNK_LOCAL instead of CHUNK */
    bool local;
};

int torrent_read_encode(const struct torrent_read *m, cm_buf_t *out);
int torrent_read_decode(struct torrent_read *m, const void *data, size_t size);
void torrent_read_print(const struct torrent_read *m, FILE *out);

/* CHUNK (12, event, with a payload frame): Worker to proxy: verified bytes of a read, in order;
 * the bytes are the payload frame. */
struct torrent_chunk {
    uint64_t stream_id; /* tag 1, required */
    uint64_t offset;    /* tag 2, required: file offset of the payload's first byte */
};

int torrent_chunk_encode(const struct torrent_chunk *m, cm_buf_t *out);
int torrent_chunk_decode(struct torrent_chunk *m, const void *data, size_t size);
void torrent_chunk_print(const struct torrent_chunk *m, FILE *out);

/* READ_END (13, event): Worker to proxy: a read is over: every byte sent (status 0), or it
 * failed (a cm_status_t and a sentence). */
struct torrent_read_end {
    uint64_t stream_id;   /* tag 1, required */
    uint16_t status;      /* tag 2: 0 = done, else cm_status_t */
    char reason[256 + 1]; /* tag 3: why it failed */
};

int torrent_read_end_encode(const struct torrent_read_end *m, cm_buf_t *out);
int torrent_read_end_decode(struct torrent_read_end *m, const void *data, size_t size);
void torrent_read_end_print(const struct torrent_read_end *m, FILE *out);

/* STREAM_CREDIT (14, event): Proxy to worker: the client drained bytes; the worker may send this
 * many more on the stream. */
struct torrent_stream_credit {
    uint64_t stream_id; /* tag 1, required */
    uint64_t bytes;     /* tag 2, required: added to the stream's credit */
};

int torrent_stream_credit_encode(const struct torrent_stream_credit *m, cm_buf_t *out);
int torrent_stream_credit_decode(struct torrent_stream_credit *m, const void *data, size_t size);
void torrent_stream_credit_print(const struct torrent_stream_credit *m, FILE *out);

/* CLOSE (15, event): Proxy to worker: the reader is gone (client closed, seek done elsewhere):
 * drop the read and its deadlines. */
struct torrent_close {
    uint64_t stream_id; /* tag 1, required */
};

int torrent_close_encode(const struct torrent_close *m, cm_buf_t *out);
int torrent_close_decode(struct torrent_close *m, const void *data, size_t size);
void torrent_close_print(const struct torrent_close *m, FILE *out);

/* CHUNK_LOCAL (16, event): Worker to proxy, for a READ with local set: verified bytes of a read,
 * in order, left where they are in the worker's cache file for the proxy to send from there
 * (same host). Verified bytes of a file never change while the file exists. */
struct torrent_chunk_local {
    /* tag 1, required */
    uint64_t stream_id;
    /* tag 2, required: file offset of the first byte (the torrent file's, and the cache file's) */
    uint64_t offset;
    /* tag 3, required: bytes, counted against the credit */
    uint64_t length;
    /* tag 4, required: the cache file, relative to the READY cache_dir */
    char path[4096 + 1];
};

int torrent_chunk_local_encode(const struct torrent_chunk_local *m, cm_buf_t *out);
int torrent_chunk_local_decode(struct torrent_chunk_local *m, const void *data, size_t size);
void torrent_chunk_local_print(const struct torrent_chunk_local *m, FILE *out);

/* Room for any message of the protocol, e.g. to decode into before dispatching. */
union torrent_msg {
    struct torrent_ready ready;
    struct torrent_heartbeat heartbeat;
    struct torrent_metadata metadata;
    struct torrent_metadata_ok metadata_ok;
    struct torrent_scrape scrape;
    struct torrent_scrape_ok scrape_ok;
    struct torrent_status status;
    struct torrent_status_ok status_ok;
    struct torrent_open open;
    struct torrent_open_ok open_ok;
    struct torrent_read read;
    struct torrent_chunk chunk;
    struct torrent_read_end read_end;
    struct torrent_stream_credit stream_credit;
    struct torrent_close close;
    struct torrent_chunk_local chunk_local;
};

/* The name of message `id` (e.g. "READY"), or "?" when the protocol has none. Static. */
const char *torrent_msg_name(int id);

/* The functions above, chosen by message number: `m` points to the struct of message `id` (a
 * union torrent_msg will do). Decode and encode return -1 for an unknown id; print prints
 * "torrent.? id=N". */
int torrent_msg_decode(int id, void *m, const void *data, size_t size);
int torrent_msg_encode(int id, const void *m, cm_buf_t *out);
void torrent_msg_print(int id, const void *m, FILE *out);

/* What the transport layer knows of the protocol: ids, kinds, payload flags, names. */
extern const struct cm_proto torrent_proto;

#endif
