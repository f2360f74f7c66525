/* SPDX-License-Identifier: MIT
 * bt_storage: a torrent's files on disk. The torrent's byte stream is mapped onto its files
 * (a block may span several); reads and writes are pread/pwrite on a small LRU cache of open
 * descriptors. Files are created on first write, sparse, under `root` (single-file torrent:
 * root/<name>; multi-file: root/<name>/<path>), directories made as needed with openat() and
 * O_NOFOLLOW so nothing is ever written outside `root` even when a symlink sits in the way.
 *
 * Resume data: root/.<infohash hex>.resume holds our bitfield plus each file's size and mtime;
 * on load, a file that changed since (size or mtime) drops the pieces that touch it. Written to
 * a temporary file and renamed, so a crash leaves the old or the new, never half. */
#ifndef BT_STORAGE_H
#define BT_STORAGE_H
#include "cm.h"
#include "bt_metainfo.h"
#include <sys/uio.h>

enum {
    BT_STORAGE_FDS_MAX = 32, /* open files per torrent */
};

typedef struct bt_storage bt_storage_t;

/* `mi` is borrowed and must outlive the storage. `root` must exist or be creatable (mkdir -p).
 * Caller owns the result (bt_storage_destroy). NULL with a sentence in `err`. */
bt_storage_t *bt_storage_open(const char *root, const bt_metainfo_t *mi, char *err, size_t errlen);
void bt_storage_destroy(bt_storage_t **self_p);

/* Write the bytes of `iov` at (piece, begin). 0, or -1 with errno set. */
int bt_storage_writev(bt_storage_t *st, uint32_t piece, uint32_t begin, const struct iovec *iov,
                      int iovcnt);
/* Read `len` bytes at (piece, begin) into `buf`. 0 when all were read; -1 with errno (a file
 * missing or short gives ENODATA). */
int bt_storage_read(bt_storage_t *st, uint32_t piece, uint32_t begin, void *buf, size_t len);
/* SHA-1 of piece `i` as on disk (OpenSSL EVP). 1 when it equals the metainfo's hash, 0 when
 * not (or the data is missing), -1 on an I/O error. */
int bt_storage_verify(bt_storage_t *st, uint32_t piece);

/* Load resume data into `bits` (ceil(npieces/8) bytes, zeroed first). Returns the number of
 * pieces marked had (0 when there is no usable resume file). */
uint32_t bt_storage_resume_load(bt_storage_t *st, uint8_t *bits);
/* Save `bits` as resume data. 0 or -1. */
int bt_storage_resume_save(bt_storage_t *st, const uint8_t *bits);

/* Hash-check every piece whose files exist; set the good ones in `bits` (zeroed first).
 * `progress` (may be NULL) is called after each piece. Returns the number of good pieces, or
 * -1 on an I/O error other than a missing file. Blocking: for the CLI's `seed` and start-up. */
long bt_storage_check_all(bt_storage_t *st, uint8_t *bits,
                          void (*progress)(void *arg, uint32_t done, uint32_t total), void *arg);

/* Bytes the torrent's files take on disk (allocated blocks). */
uint64_t bt_storage_disk_usage(bt_storage_t *st);
/* Close every file, then delete the files, the resume file and the directories the torrent
 * created (not `root` itself). 0 or -1. */
int bt_storage_remove(bt_storage_t *st);
/* Absolute path of file i (for the CLI's messages), into out. */
void bt_storage_file_path(const bt_storage_t *st, uint32_t i, char *out, size_t len);

#endif
